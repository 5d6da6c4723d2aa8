"""In-memory reply templates and OPD LINE groups, with the DynamoDB repositories' contract.

`chalicelib/store/reply_templates.py` and `chalicelib/store/line_groups.py` are the reference;
`tests/unit/store_contract/test_reply_templates_contract.py` and `test_line_groups_contract.py` run the same
expectations against both. Template ids come from the store's own `template_id_for`; times go through
PynamoDB's attribute mapping (see `accounts.py`), so what is read back is what DynamoDB gives back.
"""

from __future__ import annotations

import threading
from datetime import datetime

from pynamodb.exceptions import DeleteError, GetError, PutError, QueryError, UpdateError

from chalicelib.store.line_groups import GroupBinding
from chalicelib.store.reply_templates import ReplyTemplate, template_id_for
from tests.support.memory.items import require_key, stored_time


class InMemoryReplyTemplateRepository:
    """Templates per agency, keyed by the id derived from the agency and the adding form's key."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, dict]] = {}  # agency_id -> template_id -> fields
        self._lock = threading.Lock()

    def list(self, agency_id: str, limit: int = 100) -> list[ReplyTemplate]:
        """The first `limit` templates in template-id order (the Query's), then ordered by title.

        So with more than `limit` templates, which ones are listed depends on their ids, not their titles.
        """
        if limit == 0:  # PynamoDB stops before sending the query
            return []
        require_key(agency_id, QueryError, "agency_id")
        if limit is not None and limit < 0:
            raise QueryError("Limit must be at least 1")
        with self._lock:
            templates = self.items.get(agency_id, {})
            found = [self._template(agency_id, tid, templates[tid]) for tid in sorted(templates)[:limit]]
        return sorted(found, key=lambda t: (t.title.lower(), t.template_id))

    def get(self, agency_id: str, template_id: str) -> ReplyTemplate | None:
        if not template_id:
            return None
        require_key(agency_id, GetError, "agency_id")
        with self._lock:
            fields = self.items.get(agency_id, {}).get(template_id)
            return self._template(agency_id, template_id, fields) if fields is not None else None

    def put(self, agency_id: str, key: str, title: str, body: str, by: str, at: datetime) -> tuple[ReplyTemplate, bool]:
        """(the template as written, True) once per form key; on a replay (the stored one, False).

        As the real one, a new template comes back with `at` exactly as given, a stored one with `at` in UTC.
        """
        template_id = template_id_for(agency_id, key)
        fields = {"title": title, "body": body, "updated_by": by,
                  "updated_at": stored_time(at) if at is not None else None}
        require_key(agency_id, PutError, "agency_id")
        with self._lock:
            templates = self.items.setdefault(agency_id, {})
            if template_id not in templates:
                templates[template_id] = fields
                return ReplyTemplate(agency_id, template_id, title, body, by, at), True
            return self._template(agency_id, template_id, templates[template_id]), False

    def delete(self, agency_id: str, template_id: str) -> bool:
        """Remove a template; False if it was not there."""
        require_key(agency_id, DeleteError, "agency_id")
        require_key(template_id, DeleteError, "template_id")
        with self._lock:
            return self.items.get(agency_id, {}).pop(template_id, None) is not None

    @staticmethod
    def _template(agency_id: str, template_id: str, fields: dict) -> ReplyTemplate:
        return ReplyTemplate(agency_id, template_id, fields["title"], fields["body"], fields["updated_by"],
                             fields["updated_at"])


class InMemoryLineGroupRepository:
    """One binding per OPD: its LINE group and the group's alert preferences."""

    def __init__(self) -> None:
        self.items: dict[str, dict] = {}  # agency_id -> fields
        self._lock = threading.Lock()

    def group_of(self, agency_id: str) -> str | None:
        found = self.binding(agency_id)
        return found.group_id if found else None

    def binding(self, agency_id: str) -> GroupBinding | None:
        require_key(agency_id, GetError, "agency_id")
        with self._lock:
            item = self.items.get(agency_id)
            if item is None:
                return None
            kinds = tuple(item["alert_kinds"]) if item["alert_kinds"] is not None else None
            return GroupBinding(agency_id, item["group_id"], kinds, item["quiet_hours"])

    def set_preferences(self, agency_id: str, kinds: tuple[str, ...] | None, quiet_hours: str | None) -> bool:
        """Kinds as given (an empty tuple stays empty, None means every kind); empty quiet hours are removed.
        False when the OPD has no group bound."""
        require_key(agency_id, UpdateError, "agency_id")
        with self._lock:
            item = self.items.get(agency_id)
            if item is None:
                return False
            item["alert_kinds"] = list(kinds) if kinds is not None else None
            item["quiet_hours"] = quiet_hours or None
            return True

    def bind(self, agency_id: str, group_id: str, by: str, at: datetime) -> None:
        """Replace the whole item, as the real unconditional save: a rebind drops the group's preferences."""
        bound_at = stored_time(at) if at is not None else None
        require_key(agency_id, PutError, "agency_id")
        require_key(group_id, PutError, "group_id")  # the by-group index key, which must not be empty either
        with self._lock:
            self.items[agency_id] = {"group_id": group_id, "bound_by": by, "bound_at": bound_at,
                                     "alert_kinds": None, "quiet_hours": None}

    def unbind(self, agency_id: str, group_id: str) -> bool:
        """Remove the binding if it still names `group_id`; False if gone or bound to another group."""
        require_key(agency_id, DeleteError, "agency_id")
        with self._lock:
            item = self.items.get(agency_id)
            if item is None or item["group_id"] != group_id:
                return False
            del self.items[agency_id]
            return True

    def agencies_of(self, group_id: str) -> list[str]:
        """Every OPD bound to `group_id`, by agency id (DynamoDB promises no order for a hash-only index;
        moto gives this one)."""
        require_key(group_id, QueryError, "group_id")
        with self._lock:
            return sorted(agency_id for agency_id, item in self.items.items() if item["group_id"] == group_id)
