"""Which LINE group an OPD's alerts go to (one item per OPD; single-item writes)."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DeleteError

from chalicelib.store.conditions import is_conditional_failure
from chalicelib.store.models import LineGroupRecord
from chalicelib.store.tables import bind_models


class LineGroupRepository:
    def __init__(self) -> None:
        bind_models()

    def group_of(self, agency_id: str) -> str | None:
        """The LINE groupId bound to this OPD, or None (alerts then go to its officers personally)."""
        try:
            return LineGroupRecord.get(agency_id).group_id
        except LineGroupRecord.DoesNotExist:
            return None

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
