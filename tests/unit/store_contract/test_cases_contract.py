"""The case repository's contract, run against DynamoDB (moto) and the in-memory fake the service tests use:
the same conditional writes succeed and fail alike, and every index answers with the same rows, order,
pages, cursors and read costs.

The moto tables live for the whole session and other tests write cases too, so each test works in index
partitions only it uses: its own agency ids and reporter keys, and for the partitions every case shares (the
city-wide status queue, the alarm shards, the pending-sync shard) a year no other test uses. Ties on
`received_at` (DynamoDB leaves their order undefined) are kept out.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pynamodb.exceptions import GetError

from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.case import Action, Actor, Case, Channel, Reporter, Role, Status
from chalicelib.domain.errors import VersionConflict
from chalicelib.domain.lifecycle import ActionRequest, apply_action, new_case
from chalicelib.domain.sla import SlaPolicy
from chalicelib.store.cases import (
    AUTO_CLOSE_SHARD,
    ESCALATION_SHARD,
    CaseIdTaken,
    CaseSummary,
    InboxFilter,
    InboxPage,
    to_record,
    to_summary,
)
from tests.support.memory.cases import InMemoryCaseRepository

CAL = WorkingCalendar(holidays_by_year=lambda year: {})  # weekends only: any year works
POLICY = SlaPolicy()
ADMIN = Actor("officer:admin.kontrak", Role.ADMIN, "diskominfo")

_later_years = itertools.count(2400)
_earlier_years = itertools.count(1899, -1)


@pytest.fixture(params=["dynamodb", "memory"])
def repo(request, aws):
    """The repository under contract. On moto, every case a test adds is deleted afterwards: its alarms and
    sync flag lie years in the past, and the escalation and sync runs of later tests must not find them."""
    if request.param == "memory":
        yield InMemoryCaseRepository()
        return
    from chalicelib.store.cases import CaseRepository
    from chalicelib.store.models import CaseRecord

    added: list[str] = []

    class Tracked(CaseRepository):
        def add(self, case: Case) -> None:
            added.append(case.case_id)
            super().add(case)

    yield Tracked()
    for case_id in added:
        if case_id:
            CaseRecord._get_connection().delete_item(case_id)  # below Model.delete: no version check


# ---------------------------------------------------------------- building valid cases


def a_later_year() -> datetime:
    """The start of a year later than any other test's cases: on a newest-first index shared by the session
    (the city's status queue) this test's cases come first."""
    return datetime(next(_later_years), 1, 5, 2, 0, tzinfo=UTC)


def an_earlier_year() -> datetime:
    """The start of a year earlier than any other test's cases: on an oldest-first shared index (alarm shards,
    pending sync) this test's cases come first."""
    return datetime(next(_earlier_years), 1, 5, 2, 0, tzinfo=UTC)


def an_agency() -> str:
    return f"opd-kontrak-{uuid.uuid4().hex[:8]}"


def a_phone() -> str:
    return f"+62812{uuid.uuid4().int % 10**8:08d}"


def reported(received_at: datetime, *, category: str = "jalan-rusak", channel: Channel = Channel.PHONE,
             phone: str | None = None, **fields) -> Case:
    """A fresh BARU case, as intake makes it."""
    return new_case(case_id=f"KTR-{uuid.uuid4().hex[:12].upper()}", city_code="KDR", channel=channel,
                    description="Lampu jalan mati di depan pasar, sudah tiga malam gelap.", received_at=received_at,
                    actor=ADMIN, calendar=CAL, policy=POLICY, reporter=Reporter(phone=phone or a_phone()),
                    category_id=category, **fields)


def act(case: Case, action: Action, actor: Actor = ADMIN, after: timedelta = timedelta(hours=1), **fields) -> Case:
    return apply_action(case, ActionRequest(action, **fields), actor, case.timeline[-1].at + after, CAL, POLICY)


def forwarded(case: Case, lead: str, *supporting: str) -> Case:
    return act(case, Action.FORWARD, lead_agency=lead, supporting_agencies=supporting)


def followed_up(case: Case) -> Case:
    return act(case, Action.FOLLOW_UP, Actor("officer:petugas.kontrak", Role.OPD, case.lead_agency),
               note="Lampu sudah diganti.")


def kept(repo, *history: Case) -> Case:
    """Store a case as the services do: `add` its first version, `save` each next one."""
    repo.add(history[0])
    for case in history[1:]:
        repo.save(case)
    return history[-1]


def led_by(repo, agency: str, start: datetime, count: int, **fields) -> list[Case]:
    """`count` cases forwarded to `agency`, received a day apart: newest first, as the inbox lists them."""
    cases = []
    for i in range(count):
        case = reported(start + timedelta(days=i, minutes=i), **fields)
        cases.append(kept(repo, case, forwarded(case, agency)))
    return cases[::-1]


def summary(case: Case) -> CaseSummary:
    """The work-list row of a stored case (its stored version is `case.version`)."""
    record = to_record(case)
    record.version = case.version
    return to_summary(record)


def ids(items) -> list[str]:
    return [item.case_id for item in items]


def through_json(cursor: dict | None) -> dict | None:
    """A cursor as the web inbox hands it back: JSON in a signed token."""
    return json.loads(json.dumps(cursor)) if cursor is not None else None


# ---------------------------------------------------------------- add, get


def test_an_added_case_reads_back_whole_at_version_one(repo):
    case = reported(datetime(2026, 11, 23, 2, 0, tzinfo=UTC), title="Lampu PJU", anonymous=True,
                    source_key="line:kontrak-1")
    repo.add(case)
    assert repo.get(case.case_id) == case
    assert repo.get(case.case_id, consistent=False) == case
    assert repo.get_many([case.case_id]) == {case.case_id: case}


def test_a_forwarded_case_with_supporting_tasks_reads_back_whole(repo):
    case = reported(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    stored = kept(repo, case, forwarded(case, an_agency(), an_agency(), an_agency()))
    assert repo.get(stored.case_id) == stored
    assert stored.version == 2 and len(stored.support) == 2


def test_adding_a_case_at_a_later_version_stores_it_at_version_one(repo):
    """`add` lets PynamoDB number the first write: the Case's own version is not what is stored."""
    case = reported(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    later = forwarded(case, an_agency())
    repo.add(later)
    assert repo.get(later.case_id) == dataclasses.replace(later, version=1)


def test_adding_a_taken_id_is_refused_naming_the_source_key_of_the_case_there(repo):
    first = reported(datetime(2026, 11, 23, 2, 0, tzinfo=UTC), source_key="wa:kontrak-first")
    repo.add(first)
    retry = dataclasses.replace(first, description="Another text", source_key="wa:kontrak-second")
    with pytest.raises(CaseIdTaken) as refused:
        repo.add(retry)
    assert refused.value.existing_source_key == "wa:kontrak-first"
    assert repo.get(first.case_id) == first


def test_adding_a_taken_id_of_a_case_without_source_key_names_none(repo):
    first = reported(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    repo.add(first)
    with pytest.raises(CaseIdTaken) as refused:
        repo.add(first)
    assert refused.value.existing_source_key is None


def test_a_missing_case_is_none_and_get_many_returns_only_the_found_once_each(repo):
    one, two = reported(datetime(2026, 11, 23, 2, 0, tzinfo=UTC)), reported(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    repo.add(one)
    repo.add(two)
    missing = f"KTR-MISSING-{uuid.uuid4().hex[:8]}"
    assert repo.get(missing) is None
    assert repo.get_many([one.case_id, missing, two.case_id, one.case_id]) == {one.case_id: one, two.case_id: two}
    assert repo.get_many([]) == {}


def test_an_empty_case_id_is_refused_as_invalid_not_missing(repo):
    with pytest.raises(GetError) as refused:
        repo.get("")
    assert refused.value.cause_response_code == "ValidationException"


# ---------------------------------------------------------------- save


def test_saving_the_next_version_replaces_the_case(repo):
    case = reported(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    repo.add(case)
    later = forwarded(case, an_agency())
    repo.save(later)
    assert repo.get(case.case_id) == later
    done = followed_up(later)
    repo.save(done)
    assert repo.get(case.case_id) == done and done.version == 3


def test_saving_from_a_version_someone_else_moved_on_is_a_version_conflict(repo):
    case = reported(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    repo.add(case)
    first = forwarded(case, an_agency())
    repo.save(first)
    second = forwarded(case, an_agency())  # the other officer read version 1 too
    with pytest.raises(VersionConflict) as refused:
        repo.save(second)
    assert refused.value.details == {"case_id": case.case_id}
    assert refused.value.message == "Laporan ini baru saja diubah oleh petugas lain. Muat ulang lalu coba lagi."
    assert repo.get(case.case_id) == first


def test_saving_a_version_that_skips_one_is_a_version_conflict(repo):
    case = reported(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    repo.add(case)
    skipped = followed_up(forwarded(case, an_agency()))
    with pytest.raises(VersionConflict):
        repo.save(skipped)
    assert repo.get(case.case_id) == case


@pytest.mark.parametrize("steps", [0, 1])
def test_saving_a_case_that_does_not_exist_is_a_version_conflict(repo, steps):
    """Even version 1: `save` conditions on the stored version being `version - 1`, never on absence."""
    case = reported(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    if steps:
        case = forwarded(case, an_agency())
    with pytest.raises(VersionConflict):
        repo.save(case)
    assert repo.get(case.case_id) is None


# ---------------------------------------------------------------- reads are copies


def test_changing_what_a_read_returned_changes_nothing_stored(repo):
    agency = an_agency()
    cases = led_by(repo, agency, datetime(2026, 11, 2, 2, 0, tzinfo=UTC), 3)
    page = repo.list_by_agency_status(agency, Status.TERVERIFIKASI, limit=2)
    page.items.clear()
    page.cursor["case_id"]["S"] = "KTR-TAMPERED"
    inbox = repo.inbox_by_agency_status(agency, Status.TERVERIFIKASI, InboxFilter(), page_size=2)
    inbox.cursor["received_at"]["S"] = "1999-01-01T00:00:00.000000+0000"
    assert ids(repo.list_by_agency_status(agency, Status.TERVERIFIKASI).items) == ids(cases)
    again = repo.inbox_by_agency_status(agency, Status.TERVERIFIKASI, InboxFilter(), page_size=2)
    assert again.cursor == {"case_id": {"S": cases[1].case_id}, "agency_status": {"S": f"{agency}#TERVERIFIKASI"},
                            "received_at": {"S": to_record(cases[1]).serialize()["received_at"]["S"]}}


# ---------------------------------------------------------------- work lists


def test_the_lead_opds_list_shows_only_its_cases_of_that_status_newest_first(repo):
    agency, other = an_agency(), an_agency()
    cases = led_by(repo, agency, datetime(2026, 11, 2, 2, 0, tzinfo=UTC), 3)
    led_by(repo, other, datetime(2026, 11, 2, 3, 0, tzinfo=UTC), 1)
    supported = reported(datetime(2026, 11, 9, 2, 0, tzinfo=UTC))
    kept(repo, supported, forwarded(supported, other, agency))  # the agency only supports it
    done = followed_up(cases[0])  # moves to DITINDAKLANJUTI
    repo.save(done)
    page = repo.list_by_agency_status(agency, Status.TERVERIFIKASI)
    assert page.items == [summary(c) for c in cases[1:]]
    assert page.cursor is None
    assert repo.list_by_agency_status(agency, Status.DITINDAKLANJUTI).items == [summary(done)]
    assert repo.list_by_agency_status(agency, Status.BARU).items == []


def test_the_lead_opds_list_pages_through_every_case_once_by_cursor(repo):
    agency = an_agency()
    cases = led_by(repo, agency, datetime(2026, 11, 2, 2, 0, tzinfo=UTC), 7)
    seen, cursor, pages = [], None, 0
    while True:
        page = repo.list_by_agency_status(agency, Status.TERVERIFIKASI, limit=3, cursor=through_json(cursor))
        pages += 1
        assert len(page.items) <= 3
        seen.extend(page.items)
        cursor = page.cursor
        if cursor is None:
            break
        assert cursor["case_id"] == {"S": page.items[-1].case_id}  # the last row shown
    assert seen == [summary(c) for c in cases]
    assert pages == 3


def test_a_short_last_page_of_a_list_has_no_cursor(repo):
    agency = an_agency()
    cases = led_by(repo, agency, datetime(2026, 11, 2, 2, 0, tzinfo=UTC), 5)
    first = repo.list_by_agency_status(agency, Status.TERVERIFIKASI, limit=3)
    assert ids(first.items) == ids(cases[:3]) and first.cursor is not None
    last = repo.list_by_agency_status(agency, Status.TERVERIFIKASI, limit=3, cursor=first.cursor)
    assert ids(last.items) == ids(cases[3:]) and last.cursor is None


def test_a_list_of_limit_zero_reads_nothing_and_keeps_the_cursor(repo):
    agency = an_agency()
    led_by(repo, agency, datetime(2026, 11, 2, 2, 0, tzinfo=UTC), 2)
    first = repo.list_by_agency_status(agency, Status.TERVERIFIKASI, limit=1)
    page = repo.list_by_agency_status(agency, Status.TERVERIFIKASI, limit=0, cursor=first.cursor)
    assert page.items == [] and page.cursor == first.cursor


def test_the_city_queue_by_status_is_newest_first_and_pages_by_cursor(repo):
    start = a_later_year()
    cases = [kept(repo, reported(start + timedelta(days=i))) for i in range(5)][::-1]
    first = repo.list_by_status(Status.BARU, limit=2)
    assert first.items == [summary(c) for c in cases[:2]]
    second = repo.list_by_status(Status.BARU, limit=2, cursor=through_json(first.cursor))
    assert second.items == [summary(c) for c in cases[2:4]]
    assert second.cursor["case_id"] == {"S": cases[3].case_id}
    assert ids(repo.list_by_status(Status.BARU, limit=5).items) == ids(cases)


def test_a_citizens_cases_are_listed_newest_first_up_to_the_limit(repo):
    phone = a_phone()
    start = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    mine = [kept(repo, reported(start + timedelta(days=i), phone=phone)) for i in range(4)][::-1]
    kept(repo, reported(start + timedelta(days=9)))  # someone else's
    key = mine[0].reporter.key
    assert repo.list_by_reporter(key) == ids(mine)
    assert repo.list_by_reporter(key, limit=2) == ids(mine[:2])
    assert repo.list_by_reporter(f"tel:{a_phone()}") == []


# ---------------------------------------------------------------- alarms


def test_alarms_due_are_those_of_the_shard_at_or_before_the_moment_earliest_first(repo):
    start = an_earlier_year()
    cases = [kept(repo, reported(start + timedelta(weeks=i))) for i in range(4)]
    assert [c.alarm_kind for c in cases] == ["warn"] * 4
    alarms = [c.alarm_at for c in cases]
    assert alarms == sorted(set(alarms))
    moment = alarms[2]
    assert list(repo.alarms_due(ESCALATION_SHARD, moment)) == ids(cases[:3])  # at the moment is due
    assert list(repo.alarms_due(ESCALATION_SHARD, moment - timedelta(seconds=1))) == ids(cases[:2])
    assert list(repo.alarms_due(ESCALATION_SHARD, moment, limit=2)) == ids(cases[:2])
    assert list(repo.alarms_due(AUTO_CLOSE_SHARD, moment)) == []


def test_an_auto_close_alarm_is_in_its_own_shard_and_a_case_without_alarm_in_none(repo):
    start = an_earlier_year()
    agency = an_agency()
    case = reported(start)
    waiting = kept(repo, case, forwarded(case, agency), followed_up(forwarded(case, agency)))
    assert waiting.alarm_kind == "auto_close"
    other = reported(start + timedelta(days=1))
    kept(repo, other, forwarded(other, agency))
    closed = act(waiting, Action.CLOSE, note="Selesai.")  # the admin closes within the reply window
    assert closed.alarm_at is None
    far = waiting.alarm_at + timedelta(days=30)
    assert list(repo.alarms_due(AUTO_CLOSE_SHARD, far)) == [waiting.case_id]
    assert other.case_id not in list(repo.alarms_due(AUTO_CLOSE_SHARD, far))
    repo.save(closed)
    assert list(repo.alarms_due(AUTO_CLOSE_SHARD, far)) == []


def test_alarms_are_read_when_iterated(repo):
    start = an_earlier_year()
    due = repo.alarms_due(ESCALATION_SHARD, start + timedelta(days=60))
    case = kept(repo, reported(start))
    assert list(due) == [case.case_id]


# ---------------------------------------------------------------- derived-data sync


def test_changed_cases_wait_for_sync_oldest_change_first(repo):
    start = an_earlier_year()
    cases = [kept(repo, reported(start + timedelta(days=i))) for i in range(3)]
    changed = act(cases[0], Action.FORWARD, after=timedelta(days=5), lead_agency=an_agency())  # now changed last
    repo.save(changed)
    expected = [(c.case_id, c.timeline[-1].at) for c in (*cases[1:], changed)]
    assert repo.ids_pending_sync(limit=3) == expected
    assert repo.ids_pending_sync(limit=1) == expected[:1]


def test_marking_synced_clears_the_flag_and_records_notified_seq_without_a_new_version(repo):
    start = an_earlier_year()
    one, two = kept(repo, reported(start)), kept(repo, reported(start + timedelta(days=1)))
    assert repo.mark_synced(one.case_id, one.version) is True
    assert repo.get(one.case_id) == dataclasses.replace(one, notified_seq=1)
    assert repo.ids_pending_sync(limit=1) == [(two.case_id, two.received_at)]
    assert repo.flagged_for_sync([one.case_id, two.case_id]) == [two.case_id]
    assert repo.mark_synced(one.case_id, one.version) is True  # again: the same outcome
    later = forwarded(one, an_agency())
    repo.save(later)  # the version the officer saw still follows: marking never looked like an edit
    assert repo.flagged_for_sync([one.case_id]) == [one.case_id]


def test_marking_synced_a_version_that_moved_on_or_a_missing_case_does_nothing(repo):
    start = an_earlier_year()
    case = reported(start)
    later = kept(repo, case, forwarded(case, an_agency()))
    assert repo.mark_synced(case.case_id, 1) is False
    assert repo.mark_synced(case.case_id, 3) is False
    assert repo.get(case.case_id) == later
    assert repo.ids_pending_sync(limit=1) == [(case.case_id, later.timeline[-1].at)]
    assert repo.mark_synced(f"KTR-MISSING-{uuid.uuid4().hex[:8]}", 1) is False


def test_flagged_for_sync_keeps_the_order_asked_and_drops_synced_and_missing(repo):
    start = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    cases = [kept(repo, reported(start + timedelta(days=i))) for i in range(3)]
    repo.mark_synced(cases[1].case_id, 1)
    missing = f"KTR-MISSING-{uuid.uuid4().hex[:8]}"
    asked = [cases[2].case_id, missing, cases[1].case_id, cases[0].case_id, cases[2].case_id]
    assert repo.flagged_for_sync(asked) == [cases[2].case_id, cases[0].case_id, cases[2].case_id]
    assert repo.flagged_for_sync([]) == []


def test_flagged_for_sync_reads_more_than_a_hundred_ids_in_batches(repo):
    case = kept(repo, reported(datetime(2026, 11, 2, 2, 0, tzinfo=UTC)))
    asked = [f"KTR-MISSING-{uuid.uuid4().hex[:8]}" for _ in range(150)] + [case.case_id]
    assert repo.flagged_for_sync(asked) == [case.case_id]


# ---------------------------------------------------------------- inbox pages


def cost(page: InboxPage) -> tuple[int, int, bool]:
    return page.evaluated, page.requests, page.capped


def test_an_unfiltered_inbox_reads_one_more_than_a_page_and_pages_by_cursor(repo):
    agency = an_agency()
    cases = led_by(repo, agency, datetime(2026, 11, 2, 2, 0, tzinfo=UTC), 7)
    first = repo.inbox_by_agency_status(agency, Status.TERVERIFIKASI, InboxFilter(), page_size=3)
    assert first.items == [summary(c) for c in cases[:3]]
    assert first.cursor["case_id"] == {"S": cases[2].case_id}
    assert cost(first) == (4, 1, False)
    second = repo.inbox_by_agency_status(agency, Status.TERVERIFIKASI, InboxFilter(), page_size=3,
                                         start_key=through_json(first.cursor))
    assert ids(second.items) == ids(cases[3:6]) and cost(second) == (4, 1, False)
    last = repo.inbox_by_agency_status(agency, Status.TERVERIFIKASI, InboxFilter(), page_size=3,
                                       start_key=through_json(second.cursor))
    assert ids(last.items) == ids(cases[6:]) and last.cursor is None and cost(last) == (1, 1, False)


def test_a_full_last_inbox_page_has_no_cursor(repo):
    agency = an_agency()
    cases = led_by(repo, agency, datetime(2026, 11, 2, 2, 0, tzinfo=UTC), 3)
    page = repo.inbox_by_agency_status(agency, Status.TERVERIFIKASI, InboxFilter(), page_size=3)
    assert ids(page.items) == ids(cases) and page.cursor is None and cost(page) == (3, 1, False)


def test_an_inbox_of_nothing_is_empty(repo):
    page = repo.inbox_by_agency_status(an_agency(), Status.TERVERIFIKASI, InboxFilter(category_id="x"))
    assert (page.items, page.cursor, cost(page)) == ([], None, (0, 1, False))


def test_a_filtered_inbox_doubles_each_request_until_the_page_is_full(repo):
    agency = an_agency()
    start = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    categories = ["sampah"] * 10
    for i in (1, 8, 9):  # newest first: the 2nd, 9th and 10th
        categories[9 - i] = "jalan-rusak"
    cases = []
    for i, category in enumerate(categories):
        case = reported(start + timedelta(days=i), category=category)
        cases.append(kept(repo, case, forwarded(case, agency)))
    cases.reverse()
    spec = InboxFilter(category_id="jalan-rusak")
    first = repo.inbox_by_agency_status(agency, Status.TERVERIFIKASI, spec, page_size=2)
    assert first.items == [summary(cases[1]), summary(cases[8])]
    assert cost(first) == (9, 2, False)  # Limit 3, then 6
    assert first.cursor["case_id"] == {"S": cases[8].case_id}
    rest = repo.inbox_by_agency_status(agency, Status.TERVERIFIKASI, spec, page_size=2,
                                       start_key=through_json(first.cursor))
    assert ids(rest.items) == [cases[9].case_id] and rest.cursor is None and cost(rest) == (1, 1, False)


def test_a_filtered_inbox_cuts_a_page_short_at_the_read_cap_and_resumes_there(repo):
    agency = an_agency()
    start = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    cases = []
    for i in range(11):
        case = reported(start + timedelta(days=i), channel=Channel.WEB if i == 1 else Channel.PHONE)
        cases.append(kept(repo, case, forwarded(case, agency)))
    cases.reverse()  # the web one is the 10th newest
    spec = InboxFilter(channel="web")
    first = repo.inbox_by_agency_status(agency, Status.TERVERIFIKASI, spec, page_size=2, read_cap=5)
    assert (first.items, cost(first)) == ([], (5, 2, True))  # Limit 3, then what the cap leaves: 2
    assert first.cursor["case_id"] == {"S": cases[4].case_id}
    second = repo.inbox_by_agency_status(agency, Status.TERVERIFIKASI, spec, page_size=2, read_cap=5,
                                         start_key=through_json(first.cursor))
    assert ids(second.items) == [cases[9].case_id] and cost(second) == (5, 2, True)
    assert second.cursor["case_id"] == {"S": cases[9].case_id}
    last = repo.inbox_by_agency_status(agency, Status.TERVERIFIKASI, spec, page_size=2, read_cap=5,
                                       start_key=through_json(second.cursor))
    assert (last.items, last.cursor, cost(last)) == ([], None, (1, 1, False))


def test_an_inbox_filtered_by_category_and_channel_keeps_only_matching_rows(repo):
    agency = an_agency()
    start = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    cases = []
    for i, (category, channel) in enumerate([("sampah", Channel.WEB), ("jalan-rusak", Channel.WEB),
                                             ("jalan-rusak", Channel.LINE), ("sampah", Channel.LINE),
                                             ("jalan-rusak", Channel.WEB)]):
        case = reported(start + timedelta(days=i), category=category, channel=channel)
        cases.append(kept(repo, case, forwarded(case, agency)))
    cases.reverse()
    both = repo.inbox_by_agency_status(agency, Status.TERVERIFIKASI,
                                       InboxFilter(category_id="jalan-rusak", channel="web"))
    assert both.items == [summary(c) for c in cases if c.category_id == "jalan-rusak" and c.channel is Channel.WEB]
    assert cost(both) == (5, 1, False)
    line = repo.inbox_by_agency_status(agency, Status.TERVERIFIKASI, InboxFilter(channel="line"))
    assert ids(line.items) == ids(c for c in cases if c.channel is Channel.LINE)


def test_an_inbox_filtered_by_deadline_finds_the_overdue_and_the_due_soon(repo):
    agency = an_agency()
    cases = led_by(repo, agency, datetime(2026, 11, 2, 2, 0, tzinfo=UTC), 6)
    dues = sorted({c.next_deadline.due_at for c in cases})
    assert len(dues) >= 4
    overdue = repo.inbox_by_agency_status(agency, Status.TERVERIFIKASI, InboxFilter(due_before=dues[2]))
    assert ids(overdue.items) == ids(c for c in cases if c.next_deadline.due_at < dues[2])
    soon = repo.inbox_by_agency_status(agency, Status.TERVERIFIKASI,
                                       InboxFilter(due_from=dues[1], due_until=dues[3]))
    assert ids(soon.items) == ids(c for c in cases if dues[1] <= c.next_deadline.due_at <= dues[3])
    assert soon.items and overdue.items and cost(soon) == (6, 1, False)


def test_a_followed_up_case_is_filtered_by_its_auto_close_deadline(repo):
    agency = an_agency()
    case = reported(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    done = kept(repo, case, forwarded(case, agency), followed_up(forwarded(case, agency)))
    due = done.next_deadline.due_at
    hit = repo.inbox_by_agency_status(agency, Status.DITINDAKLANJUTI, InboxFilter(due_from=due, due_until=due))
    assert hit.items == [summary(done)]
    miss = repo.inbox_by_agency_status(agency, Status.DITINDAKLANJUTI, InboxFilter(due_before=due))
    assert miss.items == []


def test_an_inbox_by_receipt_dates_reads_only_the_range(repo):
    agency = an_agency()
    cases = led_by(repo, agency, datetime(2026, 11, 2, 2, 0, tzinfo=UTC), 6)  # newest first
    within = InboxFilter(received_from=cases[4].received_at, received_to=cases[1].received_at)
    page = repo.inbox_by_agency_status(agency, Status.TERVERIFIKASI, within, page_size=3)
    assert ids(page.items) == ids(cases[1:4]) and cost(page) == (4, 1, False)
    rest = repo.inbox_by_agency_status(agency, Status.TERVERIFIKASI, within, page_size=3,
                                       start_key=through_json(page.cursor))
    assert ids(rest.items) == ids(cases[4:5]) and rest.cursor is None and cost(rest) == (1, 1, False)
    since = repo.inbox_by_agency_status(agency, Status.TERVERIFIKASI,
                                        InboxFilter(received_from=cases[2].received_at))
    assert ids(since.items) == ids(cases[:3])
    until = repo.inbox_by_agency_status(agency, Status.TERVERIFIKASI,
                                        InboxFilter(received_to=cases[2].received_at - timedelta(seconds=1)))
    assert ids(until.items) == ids(cases[3:]) and cost(until) == (3, 1, False)


def test_receipt_dates_and_filters_combine(repo):
    agency = an_agency()
    start = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    cases = []
    for i in range(6):
        case = reported(start + timedelta(days=i), category="sampah" if i % 2 else "jalan-rusak")
        cases.append(kept(repo, case, forwarded(case, agency)))
    cases.reverse()
    spec = InboxFilter(received_from=cases[4].received_at, received_to=cases[1].received_at, category_id="sampah")
    page = repo.inbox_by_agency_status(agency, Status.TERVERIFIKASI, spec)
    assert ids(page.items) == ids(c for c in cases[1:5] if c.category_id == "sampah")
    assert cost(page) == (4, 1, False)


def test_the_city_inbox_by_status_pages_a_receipt_window_newest_first(repo):
    start = a_later_year()
    cases = [kept(repo, reported(start + timedelta(days=i))) for i in range(5)][::-1]
    window = InboxFilter(received_from=start, received_to=start + timedelta(days=30))
    first = repo.inbox_by_status(Status.BARU, window, page_size=2)
    assert first.items == [summary(c) for c in cases[:2]] and cost(first) == (3, 1, False)
    assert first.cursor == {"case_id": {"S": cases[1].case_id}, "status": {"S": "BARU"},
                            "received_at": {"S": to_record(cases[1]).serialize()["received_at"]["S"]}}
    second = repo.inbox_by_status(Status.BARU, window, page_size=2, start_key=through_json(first.cursor))
    assert ids(second.items) == ids(cases[2:4])
    third = repo.inbox_by_status(Status.BARU, window, page_size=2, start_key=through_json(second.cursor))
    assert ids(third.items) == ids(cases[4:]) and third.cursor is None


# ---------------------------------------------------------------- the fake's own support


def test_the_fake_knows_which_agencies_lead_a_case_whatever_its_status():
    repo = InMemoryCaseRepository()
    lead, supporting = an_agency(), an_agency()
    case = reported(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    kept(repo, case, forwarded(case, lead, supporting), followed_up(forwarded(case, lead, supporting)))
    assert repo.has_agency(lead) is True
    assert repo.has_agency(supporting) is False
    assert repo.has_agency(an_agency()) is False


def test_the_fake_refuses_a_cursor_of_another_query_as_dynamodb_does():
    """DynamoDB answers a malformed or foreign ExclusiveStartKey with a ValidationException, which the inbox
    shows as "Penanda halaman tidak sah" (moto does not check, so this is the fake's alone)."""
    from pynamodb.exceptions import QueryError

    repo = InMemoryCaseRepository()
    agency = an_agency()
    led_by(repo, agency, datetime(2026, 11, 2, 2, 0, tzinfo=UTC), 3)
    cursor = repo.inbox_by_agency_status(agency, Status.TERVERIFIKASI, InboxFilter(), page_size=1).cursor
    for bad in ({"case_id": {"S": "x"}}, {**cursor, "received_at": {"N": "1"}}):
        with pytest.raises(QueryError) as refused:
            repo.inbox_by_agency_status(agency, Status.TERVERIFIKASI, InboxFilter(), start_key=bad)
        assert refused.value.cause_response_code == "ValidationException"
    with pytest.raises(QueryError):
        repo.inbox_by_agency_status(an_agency(), Status.TERVERIFIKASI, InboxFilter(), start_key=cursor)
