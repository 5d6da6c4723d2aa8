"""Case repository: maps `CaseRecord` <-> domain `Case`, and owns the conditional writes.

Every write is one single-item conditional write with a deterministic key:
- `add` puts a new case only if its id is free (a retried creation finds its own earlier write);
- `save` replaces a case only if its version is still the one the actor read (optimistic locking).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.domain.case import (
    Action,
    Case,
    Channel,
    PausedClock,
    Reporter,
    Role,
    Status,
    SupportTask,
    TimelineEvent,
)
from chalicelib.domain.errors import VersionConflict
from chalicelib.domain.sla import Deadline, DeadlineKind, Tier
from chalicelib.store.conditions import is_conditional_failure, put_new
from chalicelib.store.models import (
    CaseRecord,
    PausedClockMap,
    ReporterMap,
    SupportTaskMap,
    TimelineEventMap,
)
from chalicelib.store.tables import bind_models

ESCALATION_SHARD = "ESCALATE"  # warnings and escalation steps
AUTO_CLOSE_SHARD = "AUTOCLOSE"
SHARDS = {"warn": ESCALATION_SHARD, "escalate": ESCALATION_SHARD, "resume": ESCALATION_SHARD,
          "auto_close": AUTO_CLOSE_SHARD}
SYNC_SHARD = "PENDING"
SUMMARY_LENGTH = 160


class CaseIdTaken(Exception):
    """The tracking number is already used; `existing_source_key` tells a replay from a collision."""

    def __init__(self, existing_source_key: str | None) -> None:
        super().__init__("case id taken")
        self.existing_source_key = existing_source_key


@dataclass(frozen=True)
class CaseSummary:
    """What a work list shows, read from an index projection (no full item read per row)."""

    case_id: str
    status: Status
    summary: str
    received_at: datetime
    category_id: str | None
    tier: str | None
    channel: str
    lead_agency: str | None
    assigned_officer: str | None
    due_at: datetime | None
    due_kind: str | None
    anonymous: bool
    confidential: bool
    version: int


@dataclass(frozen=True)
class Page:
    items: list
    cursor: dict | None


@dataclass(frozen=True)
class InboxFilter:
    """What narrows an inbox query. The receipt dates are key conditions on the index's range key
    (`received_at`); the rest are filter expressions on projected attributes (they cost the items read)."""

    received_from: datetime | None = None
    received_to: datetime | None = None
    category_id: str | None = None
    channel: str | None = None
    due_before: datetime | None = None  # next_due_at < due_before (overdue)
    due_from: datetime | None = None  # with due_until: due_from <= next_due_at <= due_until (due soon)
    due_until: datetime | None = None

    @property
    def filtered(self) -> bool:
        return any(v is not None for v in (self.category_id, self.channel, self.due_before, self.due_from,
                                           self.due_until))


@dataclass(frozen=True)
class InboxPage:
    """One page of an inbox query: the rows, where the next page starts (a LastEvaluatedKey-shaped dict),
    and what it cost (items DynamoDB evaluated, requests made; `capped` when the read cap stopped it)."""

    items: list[CaseSummary]
    cursor: dict | None
    evaluated: int
    requests: int
    capped: bool


class CaseRepository:
    """All DynamoDB access for cases."""

    def __init__(self) -> None:
        bind_models()

    # ------------------------------------------------------------ reads
    def get(self, case_id: str, consistent: bool = True) -> Case | None:
        try:
            record = CaseRecord.get(case_id, consistent_read=consistent)
        except CaseRecord.DoesNotExist:
            return None
        return to_case(record)

    def get_many(self, case_ids: Iterable[str], consistent: bool = True) -> dict[str, Case]:
        ids = list(dict.fromkeys(case_ids))
        return {r.case_id: to_case(r) for r in CaseRecord.batch_get(ids, consistent_read=consistent)}

    def list_by_agency_status(
        self, agency_id: str, status: Status, limit: int = 50, cursor: dict | None = None
    ) -> Page:
        result = CaseRecord.by_agency_status.query(
            f"{agency_id}#{status.value}", scan_index_forward=False, limit=limit, last_evaluated_key=cursor
        )
        return self._page(result, limit)

    def list_by_status(self, status: Status, limit: int = 50, cursor: dict | None = None) -> Page:
        result = CaseRecord.by_status.query(
            status.value, scan_index_forward=False, limit=limit, last_evaluated_key=cursor
        )
        return self._page(result, limit)

    def list_by_reporter(self, reporter_key: str, limit: int = 20) -> list[str]:
        result = CaseRecord.by_reporter.query(reporter_key, scan_index_forward=False, limit=limit)
        return [r.case_id for r in result]

    def alarms_due(self, shard: str, moment: datetime, limit: int = 500) -> Iterator[str]:
        """Cases whose alarm in `shard` is at or before `moment` (an eventually consistent index read)."""
        for record in CaseRecord.open_by_due.query(shard, CaseRecord.due_at <= moment, limit=limit):
            yield record.case_id

    def ids_pending_sync(self, limit: int = 200) -> list[tuple[str, datetime]]:
        return [
            (r.case_id, r.changed_at)
            for r in CaseRecord.pending_sync.query(SYNC_SHARD, limit=limit)
        ]

    def flagged_for_sync(self, case_ids: list[str]) -> list[str]:
        """Those of `case_ids` whose derived data still lags the case (one BatchGetItem per 100, keys only)."""
        flagged: list[str] = []
        for start in range(0, len(case_ids), 100):
            chunk = case_ids[start : start + 100]
            records = CaseRecord.batch_get(chunk, attributes_to_get=["case_id", "sync_shard"])
            found = {r.case_id for r in records if r.sync_shard}
            flagged.extend(case_id for case_id in chunk if case_id in found)
        return flagged

    def inbox_by_status(self, status: Status, spec: InboxFilter, page_size: int = 25, read_cap: int = 200,
                        start_key: dict | None = None) -> InboxPage:
        """The city's cases of one status, newest first (index `by_status`), one page of at most `page_size`."""
        return query_page(CaseRecord.by_status, status.value, spec, page_size, read_cap, start_key)

    def inbox_by_agency_status(self, agency_id: str, status: Status, spec: InboxFilter, page_size: int = 25,
                               read_cap: int = 200, start_key: dict | None = None) -> InboxPage:
        """The cases an OPD leads with one status, newest first (index `by_agency_status`)."""
        return query_page(CaseRecord.by_agency_status, f"{agency_id}#{status.value}", spec, page_size, read_cap,
                          start_key)

    @staticmethod
    def _page(result, limit: int) -> Page:
        items = [to_summary(r) for r in result]
        return Page(items=items[:limit], cursor=result.last_evaluated_key)

    # ------------------------------------------------------------ writes
    def add(self, case: Case) -> None:
        """Put a new case; raise CaseIdTaken if the id already exists."""
        if not put_new(to_record(case)):  # version unset: PynamoDB writes 1
            existing = self.get(case.case_id)
            raise CaseIdTaken(existing.source_key if existing else None)

    def save(self, case: Case) -> None:
        """Write the case produced by one action; fails with VersionConflict if someone else wrote first."""
        record = to_record(case)
        record.version = case.version - 1  # PynamoDB conditions on this and writes case.version
        try:
            record.save()
        except PutError as error:
            if is_conditional_failure(error):
                raise VersionConflict(
                    "Laporan ini baru saja diubah oleh petugas lain. Muat ulang lalu coba lagi.",
                    case_id=case.case_id,
                ) from error
            raise

    def mark_synced(self, case_id: str, version: int) -> bool:
        """Clear the pending-sync flag if the case did not change since it was synced.

        Goes below `Model.update`, which would bump the version: derived-data bookkeeping must never
        look like an edit to the officer holding the case open.
        """
        try:
            CaseRecord._get_connection().update_item(
                case_id,
                actions=[CaseRecord.sync_shard.remove(), CaseRecord.notified_seq.set(version)],
                condition=(CaseRecord.version == version),
            )
        except UpdateError as error:
            if is_conditional_failure(error):
                return False
            raise
        return True


# ---------------------------------------------------------------- inbox paging

def inbox_conditions(model, spec: InboxFilter) -> tuple[Any, Any]:
    """(range key condition, filter condition) of `spec` on `model`'s attributes (same names on every
    work-list index: `received_at`, `category_id`, `channel`, `next_due_at`)."""
    received = model.received_at
    if spec.received_from is not None and spec.received_to is not None:
        key_condition = received.between(spec.received_from, spec.received_to)
    elif spec.received_from is not None:
        key_condition = received >= spec.received_from
    elif spec.received_to is not None:
        key_condition = received <= spec.received_to
    else:
        key_condition = None
    parts = []
    if spec.category_id is not None:
        parts.append(model.category_id == spec.category_id)
    if spec.channel is not None:
        parts.append(model.channel == spec.channel)
    if spec.due_before is not None:
        parts.append(model.next_due_at < spec.due_before)
    if spec.due_from is not None and spec.due_until is not None:
        parts.append(model.next_due_at.between(spec.due_from, spec.due_until))
    condition = None
    for part in parts:
        condition = part if condition is None else condition & part
    return key_condition, condition


def query_page(index, hash_value: str, spec: InboxFilter, page_size: int = 25, read_cap: int = 200,
               start_key: dict | None = None) -> InboxPage:
    """One page of an index, newest first: Query requests only (never a Scan), each with its own Limit.

    Without filter expressions one request reads `page_size + 1` items: the extra one tells whether a next
    page exists, and the cursor is the key of the last row shown. With filter expressions it queries on
    (each request reading twice as many as the one before) until the page is full or `read_cap` items were
    evaluated; a page cut short by the cap still returns the key where the reading stopped, so the next
    page continues from there.
    """
    model = index._model
    connection = model._get_connection()
    hash_attribute = index._hash_key_attribute()
    key_condition, filter_condition = inbox_conditions(model, spec)
    key_names = _key_names(model, index)
    kept: list[dict] = []
    evaluated = requests = 0
    key = start_key
    limit = page_size + 1
    while True:
        # without a filter every item read is a row: read no more than the page needs
        limit = (page_size + 1 - len(kept)) if filter_condition is None else max(1, min(limit, read_cap - evaluated))
        response = connection.query(
            hash_attribute.serialize(hash_value), range_key_condition=key_condition,
            filter_condition=filter_condition, index_name=index.Meta.index_name, exclusive_start_key=key,
            limit=limit, scan_index_forward=False,
        )
        requests += 1
        evaluated += int(response.get("ScannedCount", len(response.get("Items", []))))
        kept.extend(response.get("Items", []))
        key = response.get("LastEvaluatedKey")
        if len(kept) > page_size:
            kept = kept[:page_size]
            key = {name: kept[-1][name] for name in key_names}
            break
        if len(kept) == page_size or not key or evaluated >= read_cap:
            break  # a full page (whatever follows is the next page's), the end, or the read cap
        limit *= 2
    capped = bool(key) and len(kept) < page_size
    items = [to_summary(model.from_raw_data(item)) for item in kept]
    return InboxPage(items=items, cursor=key or None, evaluated=evaluated, requests=requests, capped=capped)


def _key_names(model, index) -> tuple[str, ...]:
    """The attributes of a LastEvaluatedKey of a Query on `index`: the table's key and the index's key."""
    names = [model._hash_key_attribute().attr_name]
    if model._range_key_attribute() is not None:
        names.append(model._range_key_attribute().attr_name)
    for attribute in index.Meta.attributes.values():
        if attribute.attr_name not in names:
            names.append(attribute.attr_name)
    return tuple(names)


# ---------------------------------------------------------------- mapping

def to_record(case: Case) -> CaseRecord:
    nxt = case.next_deadline
    record = CaseRecord(
        case_id=case.case_id,
        city_code=case.city_code,
        channel=case.channel.value,
        status=case.status.value,
        title=case.title or None,
        description=case.description,
        summary=_summary(case),
        location=case.location or None,
        anonymous=case.anonymous,
        confidential=case.confidential,
        category_id=case.category_id,
        tier=case.tier.value if case.tier else None,
        lead_agency=case.lead_agency,
        supporting_agencies=list(case.supporting_agencies) or None,
        support=[_task_map(t) for t in case.support] or None,
        assigned_officer=case.assigned_officer,
        reporter=ReporterMap(
            name=case.reporter.name,
            phone=case.reporter.phone,
            email=case.reporter.email,
            channel_user_id=case.reporter.channel_user_id,
        ),
        reporter_key=case.reporter.key,
        received_at=case.received_at,
        verified_at=case.verified_at,
        followed_up_at=case.followed_up_at,
        closed_at=case.closed_at,
        deadline_kind=case.deadline.kind.value if case.deadline else None,
        deadline_at=case.deadline.due_at if case.deadline else None,
        finish_by_at=case.finish_by.due_at if case.finish_by else None,
        paused=_paused_map(case.paused),
        paused_calendar_days=case.paused_calendar_days,
        merged_into=case.merged_into,
        rating=case.rating,
        source_key=case.source_key,
        created_by=case.created_by,
        timeline=[_event_map(e) for e in case.timeline],
        escalation_level=case.escalation_level,
        ladder_shift=case.ladder_shift,
        warned=case.warned,
        alarm_kind=case.alarm_kind,
        notified_seq=case.notified_seq,
        due_shard=SHARDS.get(case.alarm_kind or "") if case.alarm_at else None,
        due_at=case.alarm_at,
        due_kind=nxt.kind.value if nxt else None,
        next_due_at=nxt.due_at if nxt else None,
        agency_status=f"{case.lead_agency}#{case.status.value}" if case.lead_agency else None,
        sync_shard=SYNC_SHARD,
        changed_at=case.timeline[-1].at if case.timeline else case.received_at,
    )
    return record


def summary_text(case: Case) -> str:
    """The one-line summary a work list shows (title, else description, whitespace folded, 160 chars)."""
    return _summary(case)


def _summary(case: Case) -> str:
    text = case.title or case.description
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_LENGTH else text[: SUMMARY_LENGTH - 1] + "…"


def _paused_map(paused: PausedClock | None) -> PausedClockMap | None:
    if paused is None:
        return None
    return PausedClockMap(
        held_from=paused.held_from.value,
        paused_at=paused.paused_at,
        kind=paused.kind.value,
        remaining_working_days=paused.remaining_working_days,
        until=paused.until,
        missed_due_at=paused.missed_due_at,
    )


def _event_map(event: TimelineEvent) -> TimelineEventMap:
    return TimelineEventMap(
        seq=event.seq,
        at=event.at,
        action=event.action.value,
        actor_id=event.actor_id,
        actor_role=event.actor_role.value,
        actor_agency=event.actor_agency,
        from_status=event.from_status.value if event.from_status else None,
        to_status=event.to_status.value,
        note=event.note or None,
        public=event.public,
        agencies=list(event.agencies) or None,
        rung=event.rung,
        merged_from=event.merged_from,
        agency=event.agency,
    )


def _task_map(task: SupportTask) -> SupportTaskMap:
    return SupportTaskMap(
        agency_id=task.agency_id,
        due_at=task.due_at,
        added_at=task.added_at,
        contributed_at=task.contributed_at,
        warned=task.warned,
        escalation_level=task.escalation_level,
    )


def _task(m: SupportTaskMap) -> SupportTask:
    return SupportTask(
        agency_id=m.agency_id,
        due_at=m.due_at,
        added_at=m.added_at,
        contributed_at=m.contributed_at,
        warned=bool(m.warned),
        escalation_level=int(m.escalation_level or 0),
    )


def to_case(record: CaseRecord) -> Case:
    reporter = record.reporter
    paused = record.paused
    return Case(
        case_id=record.case_id,
        city_code=record.city_code,
        channel=Channel(record.channel),
        status=Status(record.status),
        title=record.title or "",
        description=record.description,
        location=record.location or "",
        received_at=record.received_at,
        reporter=Reporter(
            name=reporter.name,
            phone=reporter.phone,
            email=reporter.email,
            channel_user_id=reporter.channel_user_id,
        )
        if reporter
        else Reporter(),
        anonymous=bool(record.anonymous),
        confidential=bool(record.confidential),
        category_id=record.category_id,
        tier=Tier(record.tier) if record.tier else None,
        lead_agency=record.lead_agency,
        supporting_agencies=tuple(record.supporting_agencies or ()),
        support=tuple(_task(m) for m in (record.support or ())),
        assigned_officer=record.assigned_officer,
        verified_at=record.verified_at,
        followed_up_at=record.followed_up_at,
        closed_at=record.closed_at,
        deadline=Deadline(DeadlineKind(record.deadline_kind), record.deadline_at)
        if record.deadline_kind and record.deadline_at
        else None,
        finish_by=Deadline(DeadlineKind.BATAS_AKHIR, record.finish_by_at) if record.finish_by_at else None,
        paused=PausedClock(
            held_from=Status(paused.held_from),
            paused_at=paused.paused_at,
            kind=DeadlineKind(paused.kind),
            remaining_working_days=int(paused.remaining_working_days),
            until=paused.until,
            missed_due_at=paused.missed_due_at,
        )
        if paused
        else None,
        paused_calendar_days=int(record.paused_calendar_days or 0),
        merged_into=record.merged_into,
        rating=int(record.rating) if record.rating is not None else None,
        source_key=record.source_key,
        created_by=record.created_by,
        version=int(record.version),
        escalation_level=int(record.escalation_level or 0),
        ladder_shift=int(record.ladder_shift or 0),
        warned=bool(record.warned),
        alarm_at=record.due_at if record.due_shard else None,
        alarm_kind=record.alarm_kind,
        notified_seq=int(record.notified_seq or 0),
        timeline=tuple(
            TimelineEvent(
                seq=int(e.seq),
                at=e.at,
                action=Action(e.action),
                actor_id=e.actor_id,
                actor_role=Role(e.actor_role),
                actor_agency=e.actor_agency,
                from_status=Status(e.from_status) if e.from_status else None,
                to_status=Status(e.to_status),
                note=e.note or "",
                public=bool(e.public),
                agencies=tuple(e.agencies or ()),
                rung=e.rung,
                merged_from=e.merged_from,
                agency=e.agency,
            )
            for e in (record.timeline or [])
        ),
    )


def to_summary(record: CaseRecord) -> CaseSummary:
    return CaseSummary(
        case_id=record.case_id,
        status=Status(record.status),
        summary=record.summary or "",
        received_at=record.received_at,
        category_id=record.category_id,
        tier=record.tier,
        channel=record.channel,
        lead_agency=record.lead_agency,
        assigned_officer=record.assigned_officer,
        due_at=record.next_due_at,
        due_kind=record.due_kind,
        anonymous=bool(record.anonymous),
        confidential=bool(record.confidential),
        version=int(record.version or 0),
    )
