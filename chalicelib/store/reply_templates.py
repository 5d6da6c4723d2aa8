"""Reply templates per OPD: short texts an officer starts a reply to a citizen from.

One partition per agency (listing is one Query). A template's id derives from the agency and the
idempotency key of the form that added it, so a double-submitted form adds it once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import DeleteError

from chalicelib.store.conditions import is_conditional_failure, put_new
from chalicelib.store.models import ReplyTemplateRecord
from chalicelib.store.tables import bind_models


@dataclass(frozen=True)
class ReplyTemplate:
    agency_id: str
    template_id: str
    title: str
    body: str
    updated_by: str | None = None
    updated_at: datetime | None = None


def template_id_for(agency_id: str, key: str) -> str:
    return hashlib.sha256(f"{agency_id}\n{key}".encode()).hexdigest()[:16]


class ReplyTemplateRepository:
    def __init__(self) -> None:
        bind_models()

    def list(self, agency_id: str, limit: int = 100) -> list[ReplyTemplate]:
        """An agency's templates, ordered by title."""
        found = [_template(r) for r in ReplyTemplateRecord.query(agency_id, limit=limit)]
        return sorted(found, key=lambda t: (t.title.lower(), t.template_id))

    def get(self, agency_id: str, template_id: str) -> ReplyTemplate | None:
        if not template_id:
            return None
        try:
            return _template(ReplyTemplateRecord.get(agency_id, template_id))
        except ReplyTemplateRecord.DoesNotExist:
            return None

    def put(self, agency_id: str, key: str, title: str, body: str, by: str, at: datetime) -> tuple[ReplyTemplate, bool]:
        """Add a template once per form key; (template, True) if new, (the existing one, False) on a replay."""
        template_id = template_id_for(agency_id, key)
        record = ReplyTemplateRecord(agency_id, template_id, title=title, body=body, updated_by=by, updated_at=at)
        if put_new(record):
            return _template(record), True
        existing = self.get(agency_id, template_id)
        return (existing or _template(record)), False

    def delete(self, agency_id: str, template_id: str) -> bool:
        """Remove a template; False if it was not there."""
        try:
            ReplyTemplateRecord(agency_id, template_id).delete(
                condition=ReplyTemplateRecord.template_id.exists()
            )
        except DeleteError as error:
            if is_conditional_failure(error):
                return False
            raise
        return True


def _template(r: ReplyTemplateRecord) -> ReplyTemplate:
    return ReplyTemplate(
        agency_id=r.agency_id, template_id=r.template_id, title=r.title, body=r.body,
        updated_by=r.updated_by, updated_at=r.updated_at,
    )
