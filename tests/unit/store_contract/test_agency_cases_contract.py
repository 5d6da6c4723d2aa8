"""The supporting-OPD rows' contract, run against DynamoDB (moto) and the in-memory fake the service tests use:
a row is written only from a case version no older than the one there, removed likewise, and the
supporting OPD's inbox pages, filters and costs the same on both.

The moto tables live for the whole session, so every test uses agency ids of its own (each agency's rows
and inbox partitions are then only the test's). Ties on `received_at` are kept out (DynamoDB leaves their
order undefined).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.case import Action, Actor, Case, Channel, Reporter, Role, Status
from chalicelib.domain.lifecycle import ActionRequest, apply_action, new_case
from chalicelib.domain.sla import SlaPolicy
from chalicelib.store.agency_cases import to_agency_record
from chalicelib.store.cases import CaseSummary, InboxFilter, InboxPage, to_summary
from tests.support.memory.cases import InMemoryAgencyCaseRepository

CAL = WorkingCalendar(holidays_by_year=lambda year: {})
POLICY = SlaPolicy()
ADMIN = Actor("officer:admin.kontrak", Role.ADMIN, "diskominfo")
START = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday 09:00 WIB


@pytest.fixture(params=["dynamodb", "memory"])
def repo(request, aws):
    """The repository under contract. On moto, every row a test writes is deleted afterwards (later tests'
    inboxes and the directory's "has cases" check read the same table)."""
    if request.param == "memory":
        yield InMemoryAgencyCaseRepository()
        return
    from chalicelib.store.agency_cases import AgencyCaseRepository
    from chalicelib.store.models import AgencyCaseRecord

    written: set[tuple[str, str]] = set()

    class Tracked(AgencyCaseRepository):
        def put(self, agency_id: str, case: Case) -> bool:
            written.add((agency_id, case.case_id))
            return super().put(agency_id, case)

    yield Tracked()
    for agency_id, case_id in written:
        if agency_id and case_id:
            AgencyCaseRecord._get_connection().delete_item(agency_id, range_key=case_id)


# ---------------------------------------------------------------- building valid cases


def an_agency() -> str:
    return f"opd-kontrak-{uuid.uuid4().hex[:8]}"


def reported(received_at: datetime, *, category: str = "jalan-rusak", channel: Channel = Channel.PHONE) -> Case:
    return new_case(case_id=f"KTR-{uuid.uuid4().hex[:12].upper()}", city_code="KDR", channel=channel,
                    description="Saluran air tersumbat, jalan tergenang setiap hujan.", received_at=received_at,
                    actor=ADMIN, calendar=CAL, policy=POLICY, reporter=Reporter(phone="+6281200000000"),
                    category_id=category)


def act(case: Case, action: Action, actor: Actor = ADMIN, **fields) -> Case:
    return apply_action(case, ActionRequest(action, **fields), actor, case.timeline[-1].at + timedelta(hours=1),
                        CAL, POLICY)


def forwarded(case: Case, lead: str, *supporting: str) -> Case:
    return act(case, Action.FORWARD, lead_agency=lead, supporting_agencies=supporting)


def redisposed(case: Case, lead: str, *supporting: str) -> Case:
    return act(case, Action.REDISPOSE, note="Pembagian tugas diubah.", lead_agency=lead,
               supporting_agencies=supporting)


def contributed(case: Case, agency: str) -> Case:
    return act(case, Action.CONTRIBUTE, Actor("officer:petugas.pendukung", Role.OPD, agency),
               note="Data saluran sudah kami kirim.")


def supported_by(repo, agency: str, count: int, **fields) -> list[Case]:
    """`count` cases `agency` supports (rows written), received a day apart: newest first, as its inbox."""
    cases = []
    for i in range(count):
        case = forwarded(reported(START + timedelta(days=i, minutes=i), **fields), an_agency(), agency)
        assert repo.put(agency, case) is True
        cases.append(case)
    return cases[::-1]


def row_of(repo, agency: str, case: Case) -> dict | None:
    row = repo.get(agency, case.case_id)
    return row.serialize() if row is not None else None


def expected_row(agency: str, case: Case) -> dict:
    return to_agency_record(agency, case).serialize()


def summary(agency: str, case: Case) -> CaseSummary:
    return to_summary(to_agency_record(agency, case))


def ids(items) -> list[str]:
    return [item.case_id for item in items]


def cost(page: InboxPage) -> tuple[int, int, bool]:
    return page.evaluated, page.requests, page.capped


def through_json(cursor: dict | None) -> dict | None:
    return json.loads(json.dumps(cursor)) if cursor is not None else None


# ---------------------------------------------------------------- put, get


def test_a_supporting_opds_row_carries_the_summary_and_its_own_contribution_deadline(repo):
    agency = an_agency()
    case = forwarded(reported(START, category="saluran", channel=Channel.WHATSAPP), an_agency(), agency)
    assert repo.put(agency, case) is True
    row = repo.get(agency, case.case_id)
    assert row.serialize() == expected_row(agency, case)
    assert (row.agency_status, row.version) == (f"{agency}#TERVERIFIKASI", case.version)
    assert row.next_due_at == case.support_task(agency).due_at and row.due_kind == "kontribusi"
    assert repo.get(agency, f"KTR-MISSING-{uuid.uuid4().hex[:8]}") is None
    assert repo.get(an_agency(), case.case_id) is None


def test_rewriting_a_row_from_the_same_version_succeeds_and_changes_nothing(repo):
    agency = an_agency()
    case = forwarded(reported(START), an_agency(), agency)
    assert repo.put(agency, case) is True
    assert repo.put(agency, case) is True
    assert row_of(repo, agency, case) == expected_row(agency, case)


def test_a_row_moves_on_with_a_newer_version_and_never_back_to_an_older_one(repo):
    agency = an_agency()
    older = forwarded(reported(START), an_agency(), agency)
    newer = contributed(older, agency)
    assert repo.put(agency, older) is True
    assert repo.put(agency, newer) is True
    assert row_of(repo, agency, newer) == expected_row(agency, newer)
    assert repo.get(agency, newer.case_id).next_due_at is None  # contributed: no deadline of its own left
    assert repo.put(agency, older) is False  # a delayed sync of the older version
    assert row_of(repo, agency, newer) == expected_row(agency, newer)


def test_changing_a_row_read_changes_nothing_stored(repo):
    agency = an_agency()
    case = forwarded(reported(START), an_agency(), agency)
    repo.put(agency, case)
    row = repo.get(agency, case.case_id)
    row.status = "SELESAI"
    row.version = 99
    assert row_of(repo, agency, case) == expected_row(agency, case)


# ---------------------------------------------------------------- remove


def test_a_row_is_removed_by_its_own_or_a_newer_version_only(repo):
    agency = an_agency()
    case = contributed(forwarded(reported(START), an_agency(), agency), agency)
    repo.put(agency, case)
    assert repo.remove(agency, case.case_id, case.version - 1) is False  # written from a newer version
    assert row_of(repo, agency, case) == expected_row(agency, case)
    assert repo.remove(agency, case.case_id, case.version) is True
    assert repo.get(agency, case.case_id) is None
    assert repo.remove(agency, case.case_id, case.version) is False  # nothing left to remove


def test_removing_a_row_that_never_was_is_false(repo):
    assert repo.remove(an_agency(), f"KTR-MISSING-{uuid.uuid4().hex[:8]}", 5) is False


def test_a_newer_version_removes_a_row(repo):
    agency = an_agency()
    case = forwarded(reported(START), an_agency(), agency)
    repo.put(agency, case)
    assert repo.remove(agency, case.case_id, case.version + 3) is True


# ---------------------------------------------------------------- sync


def test_sync_writes_a_row_per_supporting_opd_and_none_for_the_lead(repo):
    lead, first, second = an_agency(), an_agency(), an_agency()
    case = forwarded(reported(START), lead, first, second)
    repo.sync_supporting_rows(case)
    assert row_of(repo, first, case) == expected_row(first, case)
    assert row_of(repo, second, case) == expected_row(second, case)
    assert repo.get(lead, case.case_id) is None
    repo.sync_supporting_rows(case)  # again: nothing changes
    assert row_of(repo, first, case) == expected_row(first, case)


def test_sync_follows_a_redisposition_removing_the_rows_of_opds_no_longer_supporting(repo):
    lead, first, second, third = an_agency(), an_agency(), an_agency(), an_agency()
    case = forwarded(reported(START), lead, first, second)
    repo.sync_supporting_rows(case)
    later = redisposed(case, lead, first, third)
    repo.sync_supporting_rows(later)
    assert row_of(repo, first, later) == expected_row(first, later)
    assert row_of(repo, third, later) == expected_row(third, later)
    assert repo.get(second, case.case_id) is None
    promoted = redisposed(later, first, third)  # the supporting OPD becomes the lead
    repo.sync_supporting_rows(promoted)
    assert repo.get(first, case.case_id) is None
    assert row_of(repo, third, promoted) == expected_row(third, promoted)


def test_a_delayed_sync_of_an_older_version_changes_no_row(repo):
    lead, first, second = an_agency(), an_agency(), an_agency()
    case = forwarded(reported(START), lead, first)
    later = redisposed(case, lead, second)  # `first` no longer supports it
    newest = redisposed(later, lead, first, second)  # and now does again
    repo.sync_supporting_rows(newest)
    repo.sync_supporting_rows(later)  # late: would remove `first`'s row, and rewrite `second`'s
    assert row_of(repo, first, newest) == expected_row(first, newest)
    assert row_of(repo, second, newest) == expected_row(second, newest)


# ---------------------------------------------------------------- the supporting OPD's inbox


def test_the_inbox_lists_the_rows_of_one_status_newest_first_by_pages(repo):
    agency = an_agency()
    cases = supported_by(repo, agency, 7)
    followed = act(cases[0], Action.FOLLOW_UP, Actor("officer:lead", Role.OPD, cases[0].lead_agency), note="Beres.")
    repo.put(agency, followed)  # its row moves to DITINDAKLANJUTI
    rest = cases[1:]
    first = repo.inbox(agency, Status.TERVERIFIKASI, InboxFilter(), page_size=4)
    assert first.items == [summary(agency, c) for c in rest[:4]] and cost(first) == (5, 1, False)
    assert first.cursor == {"agency_id": {"S": agency}, "case_id": {"S": rest[3].case_id},
                            "agency_status": {"S": f"{agency}#TERVERIFIKASI"},
                            "received_at": to_agency_record(agency, rest[3]).serialize()["received_at"]}
    second = repo.inbox(agency, Status.TERVERIFIKASI, InboxFilter(), page_size=4,
                        start_key=through_json(first.cursor))
    assert ids(second.items) == ids(rest[4:]) and second.cursor is None and cost(second) == (2, 1, False)
    assert repo.inbox(agency, Status.DITINDAKLANJUTI, InboxFilter()).items == [summary(agency, followed)]
    assert repo.inbox(an_agency(), Status.TERVERIFIKASI, InboxFilter()).items == []


def test_the_inbox_pages_through_every_row_once(repo):
    agency = an_agency()
    cases = supported_by(repo, agency, 8)
    seen, cursor, pages = [], None, 0
    while True:
        page = repo.inbox(agency, Status.TERVERIFIKASI, InboxFilter(), page_size=3, start_key=through_json(cursor))
        pages += 1
        seen.extend(page.items)
        cursor = page.cursor
        if cursor is None:
            break
    assert ids(seen) == ids(cases) and pages == 3


def test_a_filtered_inbox_doubles_its_reads_until_the_page_is_full(repo):
    agency = an_agency()
    cases = []
    for i in range(10):
        category = "saluran" if i in (0, 1, 8) else "sampah"  # newest first: the 2nd, 9th and 10th
        cases.append(forwarded(reported(START + timedelta(days=i), category=category), an_agency(), agency))
        repo.put(agency, cases[-1])
    cases.reverse()
    spec = InboxFilter(category_id="saluran")
    first = repo.inbox(agency, Status.TERVERIFIKASI, spec, page_size=2)
    assert ids(first.items) == [cases[1].case_id, cases[8].case_id] and cost(first) == (9, 2, False)
    rest = repo.inbox(agency, Status.TERVERIFIKASI, spec, page_size=2, start_key=through_json(first.cursor))
    assert ids(rest.items) == [cases[9].case_id] and rest.cursor is None and cost(rest) == (1, 1, False)


def test_a_filtered_inbox_stops_at_the_read_cap_and_goes_on_from_there(repo):
    agency = an_agency()
    cases = []
    for i in range(11):
        channel = Channel.SMS if i == 1 else Channel.PHONE  # the 10th newest
        cases.append(forwarded(reported(START + timedelta(days=i), channel=channel), an_agency(), agency))
        repo.put(agency, cases[-1])
    cases.reverse()
    spec = InboxFilter(channel="sms")
    first = repo.inbox(agency, Status.TERVERIFIKASI, spec, page_size=2, read_cap=5)
    assert (first.items, cost(first)) == ([], (5, 2, True))
    assert first.cursor["case_id"] == {"S": cases[4].case_id}
    second = repo.inbox(agency, Status.TERVERIFIKASI, spec, page_size=2, read_cap=5,
                        start_key=through_json(first.cursor))
    assert ids(second.items) == [cases[9].case_id] and cost(second) == (5, 2, True)
    last = repo.inbox(agency, Status.TERVERIFIKASI, spec, page_size=2, read_cap=5,
                      start_key=through_json(second.cursor))
    assert (last.items, last.cursor, cost(last)) == ([], None, (1, 1, False))


def test_the_inbox_filters_by_the_supporting_opds_own_deadline(repo):
    agency = an_agency()
    cases = supported_by(repo, agency, 5)
    done = contributed(cases[2], agency)  # no deadline of its own any more
    repo.put(agency, done)
    cases[2] = done
    dues = sorted({c.support_task(agency).due_at for c in cases if c.support_task(agency).pending})
    assert len(dues) == 4

    def due(c: Case) -> datetime | None:
        return c.support_task(agency).due_at if c.support_task(agency).pending else None

    overdue = repo.inbox(agency, Status.TERVERIFIKASI, InboxFilter(due_before=dues[2]))
    assert ids(overdue.items) == ids(c for c in cases if due(c) is not None and due(c) < dues[2])
    soon = repo.inbox(agency, Status.TERVERIFIKASI, InboxFilter(due_from=dues[1], due_until=dues[2]))
    assert ids(soon.items) == ids(c for c in cases if due(c) is not None and dues[1] <= due(c) <= dues[2])
    assert len(soon.items) == 2 and cost(soon) == (5, 1, False)


def test_the_inbox_reads_only_the_receipt_dates_asked_and_filters_within_them(repo):
    agency = an_agency()
    cases = []
    for i in range(6):
        channel = Channel.LINE if i % 2 else Channel.EMAIL
        cases.append(forwarded(reported(START + timedelta(days=i), channel=channel), an_agency(), agency))
        repo.put(agency, cases[-1])
    cases.reverse()
    window = InboxFilter(received_from=cases[4].received_at, received_to=cases[1].received_at)
    page = repo.inbox(agency, Status.TERVERIFIKASI, window, page_size=3)
    assert ids(page.items) == ids(cases[1:4]) and cost(page) == (4, 1, False)
    rest = repo.inbox(agency, Status.TERVERIFIKASI, window, page_size=3, start_key=through_json(page.cursor))
    assert ids(rest.items) == ids(cases[4:5]) and rest.cursor is None
    line = InboxFilter(received_from=cases[4].received_at, received_to=cases[1].received_at, channel="line")
    filtered = repo.inbox(agency, Status.TERVERIFIKASI, line)
    assert ids(filtered.items) == ids(c for c in cases[1:5] if c.channel is Channel.LINE)
    assert cost(filtered) == (4, 1, False)


# ---------------------------------------------------------------- the fake's own support


def test_the_fake_knows_which_agencies_have_rows():
    repo = InMemoryAgencyCaseRepository()
    lead, supporting = an_agency(), an_agency()
    case = forwarded(reported(START), lead, supporting)
    repo.sync_supporting_rows(case)
    assert repo.has_agency(supporting) is True
    assert repo.has_agency(lead) is False
    repo.sync_supporting_rows(redisposed(case, lead))
    assert repo.has_agency(supporting) is False
