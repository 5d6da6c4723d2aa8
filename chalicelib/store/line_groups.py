"""Which LINE group an OPD's alerts go to (one item per OPD; single-item writes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import DeleteError, UpdateError

from chalicelib.store.conditions import is_conditional_failure
from chalicelib.store.models import LineGroupRecord
from chalicelib.store.tables import bind_models


@dataclass(frozen=True)
class GroupBinding:
    agency_id: str
    group_id: str
    alert_kinds: tuple[str, ...] | None = None  # None: every kind
    quiet_hours: str | None = None  # None: the city's


class LineGroupRepository:
    def __init__(self) -> None:
        bind_models()

    def group_of(self, agency_id: str) -> str | None:
        """The LINE groupId bound to this OPD, or None (alerts then go to its officers personally)."""
        found = self.binding(agency_id)
        return found.group_id if found else None

    def binding(self, agency_id: str) -> GroupBinding | None:
        """The OPD's LINE group with the group's own alert preferences, or None."""
        try:
            r = LineGroupRecord.get(agency_id)
        except LineGroupRecord.DoesNotExist:
            return None
        kinds = tuple(r.alert_kinds) if r.alert_kinds is not None else None
        return GroupBinding(r.agency_id, r.group_id, kinds, r.quiet_hours)

    def set_preferences(self, agency_id: str, kinds: tuple[str, ...] | None, quiet_hours: str | None) -> bool:
        """The group's alert kinds and quiet hours; False when the OPD has no group bound."""
        actions = [
            LineGroupRecord.alert_kinds.set(list(kinds)) if kinds is not None else LineGroupRecord.alert_kinds.remove(),
            LineGroupRecord.quiet_hours.set(quiet_hours) if quiet_hours else LineGroupRecord.quiet_hours.remove(),
        ]
        try:
            LineGroupRecord._get_connection().update_item(
                agency_id, actions=actions, condition=LineGroupRecord.agency_id.exists())
        except UpdateError as error:
            if is_conditional_failure(error):
                return False
            raise
        return True

    def bind(self, agency_id: str, group_id: str, by: str, at: datetime) -> None:
        LineGroupRecord(agency_id, group_id=group_id, bound_by=by, bound_at=at).save()

    def unbind(self, agency_id: str, group_id: str) -> bool:
        """Remove the binding if it still names this group; False if it did not (already gone or rebound)."""
        try:
            LineGroupRecord(agency_id).delete(condition=LineGroupRecord.group_id == group_id)
        except DeleteError as error:
            if is_conditional_failure(error):
                return False
            raise
        return True

    def agencies_of(self, group_id: str) -> list[str]:
        """The OPDs bound to this LINE group (one index Query)."""
        return [r.agency_id for r in LineGroupRecord.by_group.query(group_id)]
