"""Supporting-OPD inbox rows: repository for `AgencyCaseRecord`.

The lead OPD finds its cases on the cases table's own `by_agency_status` index; an OPD that only supports a
case finds it here, one row per (agency, case) with the work-list summary fields and
`agency_status = "<agency>#<status>"` as the key of this table's `by_agency_status` index.

The rows are derived data, written by the sync job from the case (`sync_supporting_rows`): one single-item
conditional write per agency, no transactions. Every write is conditional on the row's case version being
no newer than the one written, so a delayed sync of an older version never overwrites a newer row, and
repeating a sync changes nothing.
"""

from __future__ import annotations

from pynamodb.exceptions import DeleteError, PutError

from chalicelib.domain.case import Case, Status
from chalicelib.store.cases import InboxFilter, InboxPage, query_page, summary_text
from chalicelib.store.conditions import is_conditional_failure
from chalicelib.store.models import AgencyCaseRecord
from chalicelib.store.tables import bind_models


def supporting_agencies_ever(case: Case) -> set[str]:
    """Agencies that supported the case at some point: on a forwarding event, `agencies` is
    (lead, *supporting), so everything after the first entry was a supporting OPD then."""
    return {agency for event in case.timeline for agency in event.agencies[1:] if agency}


def supporting_now(case: Case) -> set[str]:
    return {a for a in case.supporting_agencies if a and a != case.lead_agency}


def to_agency_record(agency_id: str, case: Case) -> AgencyCaseRecord:
    """The supporting OPD's row: its SLA is its own contribution deadline while that is pending (none once
    it has contributed), not the lead OPD's."""
    task = case.support_task(agency_id)
    if task is not None:
        nxt = task.deadline if task.pending and case.is_open and case.paused is None else None
    else:
        nxt = case.next_deadline  # forwarded before supporting OPDs had their own deadlines
    return AgencyCaseRecord(
        agency_id=agency_id,
        case_id=case.case_id,
        agency_status=f"{agency_id}#{case.status.value}",
        received_at=case.received_at,
        status=case.status.value,
        summary=summary_text(case),
        category_id=case.category_id,
        tier=case.tier.value if case.tier else None,
        channel=case.channel.value,
        lead_agency=case.lead_agency,
        assigned_officer=case.assigned_officer,
        next_due_at=nxt.due_at if nxt else None,
        due_kind=nxt.kind.value if nxt else None,
        anonymous=case.anonymous,
        confidential=case.confidential,
        version=case.version,
    )


class AgencyCaseRepository:
    """All DynamoDB access for the supporting-OPD rows."""

    def __init__(self) -> None:
        bind_models()

    # ------------------------------------------------------------ writes (the sync job)
    def put(self, agency_id: str, case: Case) -> bool:
        """Write the row of `agency_id` for `case`; False if a newer version of the case is already there."""
        record = to_agency_record(agency_id, case)
        try:
            record.save(condition=AgencyCaseRecord.case_id.does_not_exist()
                        | (AgencyCaseRecord.version <= case.version))
        except PutError as error:
            if is_conditional_failure(error):
                return False
            raise
        return True

    def remove(self, agency_id: str, case_id: str, version: int) -> bool:
        """Delete the row unless it was written from a newer version than `version`; False if nothing gone."""
        try:
            AgencyCaseRecord(agency_id, case_id).delete(condition=AgencyCaseRecord.version <= version)
        except DeleteError as error:
            if is_conditional_failure(error):
                return False  # no such row (nothing to remove) or a newer sync re-added it
            raise
        return True

    def sync_supporting_rows(self, case: Case) -> None:
        """Make the rows follow the case: one per current supporting OPD, none for an OPD that supported it
        earlier but no longer does (or has become its lead). Idempotent."""
        now = supporting_now(case)
        for agency in sorted(now):
            self.put(agency, case)
        for agency in sorted(supporting_agencies_ever(case) - now):
            self.remove(agency, case.case_id, case.version)

    # ------------------------------------------------------------ reads (the inbox)
    def get(self, agency_id: str, case_id: str) -> AgencyCaseRecord | None:
        try:
            return AgencyCaseRecord.get(agency_id, case_id)
        except AgencyCaseRecord.DoesNotExist:
            return None

    def inbox(self, agency_id: str, status: Status, spec: InboxFilter, page_size: int = 25, read_cap: int = 200,
              start_key: dict | None = None) -> InboxPage:
        """The cases `agency_id` supports with one status, newest first (this table's `by_agency_status`)."""
        return query_page(AgencyCaseRecord.by_agency_status, f"{agency_id}#{status.value}", spec, page_size,
                          read_cap, start_key)
