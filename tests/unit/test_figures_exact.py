"""The city's figures are exact: after a randomised history of cases (every way a case moves, the clock
running over weekends and holidays) whose stream records arrive twice, late, out of order, to two workers at
once, or to a worker that crashes or stalls past its lease, every figure of every scope and period equals the
same figure recomputed by brute force from the cases themselves.

The brute force (`expected_figures`) is written from the definitions in the README, not from
`chalicelib/domain/figures.py`: it walks each case's timeline, counts working days day by day on the city
calendar, and takes nearest-rank percentiles from a sorted list.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.case import Action, Case, Channel, Status
from chalicelib.domain.figures import (
    day_key,
    figures,
    month_key,
    period_keys,
    period_span,
    periods_covering,
    week_key,
)
from chalicelib.domain.lifecycle import ActionRequest
from chalicelib.domain.sla import SlaPolicy
from chalicelib.services import workflow
from chalicelib.services.figures import read_counters
from chalicelib.services.sync import sync_case
from chalicelib.store.models import FigureRecord
from tests.support.memory.figures import InMemoryFigureRepository
from tests.unit.figures_history import (
    ADMIN,
    CITIZEN,
    PAST_TAKEOVER,
    Fault,
    FaultyFigures,
    History,
    InjectedCrash,
    at_wib,
    fresh_month,
    new_case,
    opd,
    scopes_of,
    wib_date,
)

pytestmark = pytest.mark.real_figures  # the exactness of the DynamoDB repository itself (moto)

OPEN = (Status.BARU, Status.TERVERIFIKASI, Status.DITINDAKLANJUTI, Status.DITUNDA)
CLOSED_OTHER = (Status.BUKAN_WEWENANG, Status.DIARSIPKAN, Status.DIGABUNG)
VERIFY_DECISIONS = (Action.FORWARD, Action.REJECT, Action.ARCHIVE, Action.MERGE)

# ------------------------------------------------------------------------------------------- brute force


def working_days(cal: WorkingCalendar, start: datetime, end: datetime) -> int:
    """Working days after start's WIB date up to end's, counted one day at a time."""
    if end <= start:
        return 0
    day, last, count = wib_date(start) + timedelta(days=1), wib_date(end), 0
    while day <= last:
        count += cal.is_working_day(day)
        day += timedelta(days=1)
    return count


def hold_stretches(case: Case) -> list[tuple[datetime, datetime]]:
    """Finished stretches on hold: from the event into DITUNDA to the event out of it."""
    stretches, start = [], None
    for e in case.timeline:
        if e.to_status is Status.DITUNDA and e.from_status is not Status.DITUNDA:
            start = e.at
        elif e.from_status is Status.DITUNDA and e.to_status is not Status.DITUNDA and start is not None:
            stretches.append((start, e.at))
            start = None
    return stretches


def duration(cal: WorkingCalendar, case: Case, start: datetime | None, end: datetime | None) -> tuple[int, int] | None:
    """(working days, calendar days) from start to end without the finished holds wholly inside."""
    if start is None or end is None or end < start:
        return None
    inside = [(a, b) for a, b in hold_stretches(case) if a >= start and b <= end]
    work = working_days(cal, start, end) - sum(working_days(cal, a, b) for a, b in inside)
    days = (wib_date(end) - wib_date(start)).days - sum((wib_date(b) - wib_date(a)).days for a, b in inside)
    return max(0, work), max(0, days)


@dataclass(frozen=True)
class Facts:
    case: Case
    verified: bool
    forwarded: bool
    followed_up: bool
    verify: tuple[int, int] | None
    follow_up: tuple[int, int] | None
    close: tuple[int, int] | None
    resolution: tuple[int, int] | None
    closed_at: datetime | None


def facts(case: Case, cal: WorkingCalendar) -> Facts:
    events = case.timeline
    verified_at = next((e.at for e in events if (e.action is Action.CREATE and e.to_status is Status.TERVERIFIKASI)
                        or (e.action in VERIFY_DECISIONS and e.from_status is Status.BARU)), None)
    forwarded = any(e.action is Action.FORWARD or (e.action is Action.CREATE and e.to_status is Status.TERVERIFIKASI)
                    for e in events)
    first_fu = next((i for i, e in enumerate(events) if e.action is Action.FOLLOW_UP), None)
    follow_up = None
    if first_fu is not None:
        answered = [e.at for e in events[:first_fu]
                    if e.action is Action.FORWARD
                    or (e.action in (Action.CREATE, Action.REOPEN) and e.to_status is Status.TERVERIFIKASI)
                    or (e.action is Action.REDISPOSE and e.agencies[:1] != case.disposition_before(e.seq)[:1])]
        follow_up = duration(cal, case, answered[-1] if answered else None, events[first_fu].at)
    close = resolution = closed_at = None
    if case.status is Status.SELESAI:
        closing = max(i for i, e in enumerate(events) if e.to_status is Status.SELESAI
                      and e.from_status is not Status.SELESAI)
        closed_at = events[closing].at
        opener = max(i for i, e in enumerate(events[:closing]) if e.to_status is Status.DITINDAKLANJUTI
                     and e.from_status is not Status.DITINDAKLANJUTI)
        assert events[opener].action is Action.FOLLOW_UP and events[opener].from_status is Status.TERVERIFIKASI
        assert all(e.to_status is Status.DITINDAKLANJUTI for e in events[opener:closing])  # one unbroken stretch
        close = duration(cal, case, case.received_at, closed_at)
        resolution = duration(cal, case, case.received_at, events[opener].at)
    return Facts(
        case=case,
        verified=verified_at is not None,
        forwarded=forwarded,
        followed_up=first_fu is not None,
        verify=duration(cal, case, case.received_at, verified_at),
        follow_up=follow_up,
        close=close,
        resolution=resolution,
        closed_at=closed_at,
    )


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def stats(values: list[int]) -> dict:
    """count, mean (1 decimal), and nearest-rank median and P90 of a list."""
    if not values:
        return {"count": 0, "mean": None, "median": None, "p90": None}
    ordered, n = sorted(values), len(values)
    return {
        "count": n,
        "mean": round(statistics.fmean(ordered), 1),
        "median": ordered[-(-n // 2) - 1],  # the ceil(N/2)-th smallest
        "p90": ordered[-(-9 * n // 10) - 1],  # the ceil(9N/10)-th smallest
    }


def share(values: Iterable[bool], days: int | None = None) -> dict:
    flags = list(values)
    out = {"days": days} if days is not None else {}
    out.update(count=sum(flags), of=len(flags), percent=percent(sum(flags), len(flags)))
    return out


def expected_figures(cases: list[Case], calendar: WorkingCalendar, policy: SlaPolicy, today: date) -> dict:
    """Every figure of `cases`, from the cases alone."""
    all_facts = [facts(c, calendar) for c in cases]
    done = [f for f in all_facts if f.case.status is Status.SELESAI]
    reopens = [sum(e.action is Action.REOPEN for e in c.timeline) for c in cases]
    rated = [f.case.rating for f in done if f.case.rating in (1, 2, 3, 4, 5)]
    follow_days = policy.follow_up_days_for(None)

    def overdue(c: Case) -> bool:
        due = c.sla_due
        return c.status in OPEN and due is not None and wib_date(due.due_at) < today

    def in_deadline(f: Facts) -> bool:
        return (f.verify is None or f.verify[0] <= policy.verify_days) and (
            f.follow_up is not None and f.follow_up[0] <= policy.follow_up_days_for(f.case.tier))

    def times(pick) -> dict:
        measured = [pick(f) for f in all_facts if pick(f) is not None]
        return {"working_days": stats([m[0] for m in measured]), "days": stats([m[1] for m in measured])}

    capped = [f for f in done if f.case.finish_by is not None]
    return {
        "received": len(cases),
        "verified": sum(f.verified for f in all_facts),
        "forwarded": sum(f.forwarded for f in all_facts),
        "followed_up": sum(f.followed_up for f in all_facts),
        "closed": len(done),
        "closed_other": sum(c.status in CLOSED_OTHER for c in cases),
        "reopened": sum(n > 0 for n in reopens),
        "reopen_events": sum(reopens),
        "on_hold": sum(c.status is Status.DITUNDA for c in cases),
        "ever_on_hold": sum(any(e.to_status is Status.DITUNDA for e in c.timeline) for c in cases),
        "days_on_hold": sum(c.paused_calendar_days for c in cases),
        "open": sum(c.status in OPEN for c in cases),
        "overdue": sum(overdue(c) for c in cases),
        "by_status": {s.value: sum(c.status is s for c in cases) for s in Status},
        "by_channel": {ch.value: {"received": sum(c.channel is ch for c in cases),
                                  "closed": sum(f.case.channel is ch for f in done)} for ch in Channel},
        "shares": {
            "verified_within": share((f.verify[0] <= policy.verify_days for f in all_facts if f.verify),
                                     policy.verify_days),
            "followed_up_within": share((f.follow_up[0] <= follow_days for f in all_facts if f.follow_up),
                                        follow_days),
            "closed_within_deadline": share(in_deadline(f) for f in done),
            "closed_within_cap": share(f.closed_at <= f.case.finish_by.due_at for f in capped),
            "reopen_rate": share(n > 0 for n in reopens),
        },
        "time": {
            "verify": times(lambda f: f.verify),
            "follow_up": times(lambda f: f.follow_up),
            "close": times(lambda f: f.close),
            "resolution": times(lambda f: f.resolution),
        },
        "rating": {
            "average": round(sum(rated) / len(rated), 2) if rated else None,
            "count": len(rated),
            "distribution": {str(r): rated.count(r) for r in range(1, 6)},
            "rated_percent": percent(len(rated), len(done)),
        },
    }


# ------------------------------------------------------------------------------------------- reading back


def nonzero(counters: Mapping[str, int]) -> dict[str, int]:
    return {k: v for k, v in counters.items() if v}


def summed(items: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for item in items:
        for k, v in item.items():
            total[k] = total.get(k, 0) + v
    return nonzero(total)


def raw_items(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    """Items as stored (ledger fields and the `tk` token set included), 100 keys a request."""
    connection, table = FigureRecord._get_connection(), FigureRecord.Meta.table_name
    wanted, found = list(dict.fromkeys(keys)), {}
    for start in range(0, len(wanted), 100):
        chunk = [{"scope": s, "period": p} for s, p in wanted[start:start + 100]]
        while chunk:
            result = connection.batch_get_item(chunk, consistent_read=True)
            for raw in result.get("Responses", {}).get(table, []):
                found[(raw["scope"]["S"], raw["period"]["S"])] = raw
            unprocessed = result.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
            chunk = [{"scope": k["scope"]["S"], "period": k["period"]["S"]} for k in unprocessed]
    return found


def assert_settled(repo, cases: Iterable[Case], keys: Iterable[tuple[str, str]]) -> None:
    """No ledger holds a change in progress, each holds its case's version, and no item keeps a token (read as
    stored: on DynamoDB the raw items, in memory the twin's own tables)."""
    cases, keys = list(cases), list(keys)
    if isinstance(repo, InMemoryFigureRepository):
        for case in cases:
            ledger = repo.ledger(case.case_id)
            assert ledger.change is None and ledger.owner is None, (case.case_id, ledger)
            assert ledger.applied.version == case.version, case.case_id
        left = repo.tokens_left()
        assert not [key for key in keys if left.get(key)], left
        return
    found = raw_items([*((f"case#{c.case_id}", "ledger") for c in cases), *keys])
    for case in cases:
        ledger = found[(f"case#{case.case_id}", "ledger")]
        assert not {"token", "pending", "phase", "owner", "claimed_at"} & set(ledger), (case.case_id, ledger)
        assert int(ledger["applied_version"]["N"]) == case.version, case.case_id
    for key in keys:
        assert not found.get(key, {}).get("tk", {}).get("SS"), (key, found[key]["tk"])


def assert_figures_exact(ctx, cases: list[Case], scopes: set[str], month: date, some_range: tuple[date, date]) -> None:
    """Every scope the cases ever counted in, by month, ISO week, day and an arbitrary range of days, equals
    the brute force over the cases received then (nothing else counts in this module's months)."""
    cal, policy = ctx.calendar, ctx.policy
    today = wib_date(ctx.now())
    first, last = period_span(month_key(month))
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    weeks = sorted({week_key(d) for d in days})
    received = {c.case_id: wib_date(c.received_at) for c in cases}
    assert all(first <= d <= last for d in received.values()), "a case was received outside its month"
    items = ctx.figures.read_items([(s, p) for s in scopes for p in [month_key(month), *weeks, *map(day_key, days)]])

    def expect(scope: str, on: Iterable[date]) -> dict:
        """The brute force over the cases of `scope` received on the days `on`."""
        wanted = set(on)
        return expected_figures([c for c in cases if scope in scopes_of(c) and received[c.case_id] in wanted],
                                cal, policy, today)

    by_month = read_counters(ctx, sorted(scopes), [month_key(month)])
    a, b = some_range
    by_range = read_counters(ctx, sorted(scopes), periods_covering(a, b))
    for scope in sorted(scopes):
        assert figures(by_month[scope], today, policy) == expect(scope, days), (scope, "month")
        assert figures(by_range[scope], today, policy) == expect(scope, (d for d in days if a <= d <= b)), (
            scope, a, b)
        whole = nonzero(items.get((scope, month_key(month)), {}))
        assert summed(items.get((scope, day_key(d)), {}) for d in days) == whole, (scope, "days add up to the month")
        assert summed(items.get((scope, w), {}) for w in weeks) == whole, (scope, "weeks add up to the month")
        for w in weeks:
            counters = items.get((scope, w), {})
            in_week = [d for d in days if week_key(d) == w]
            assert figures(counters, today, policy) == expect(scope, in_week), (scope, w)
        for d in sorted(set(received.values())):
            counters = items.get((scope, day_key(d)), {})
            assert figures(counters, today, policy) == expect(scope, [d]), (scope, d)
    touched = [(s, p) for s in scopes for p in [month_key(month), *weeks, *map(day_key, received.values())]]
    assert_settled(ctx.figures, cases, [k for k in touched if k in items])


# ------------------------------------------------------------------------------------------- the property


@pytest.fixture
def small_items(monkeypatch):
    """Items prefilled with a few zero counters instead of ~600: moto re-sizes the whole item for every
    attribute it writes, so creating a full item costs ~60 ms, seconds per example (every example opens a new
    month's items). The zeros change no sum (the example-based tests below run with the real prefill), and
    more durations land in bins created on the fly."""
    import chalicelib.domain.figures as domain

    monkeypatch.setattr(domain, "PREFILLED_BINS", {"w": 3, "k": 3})
    monkeypatch.setattr(domain, "DUE_WINDOW_DAYS", 5)


# Not shrunk: an example takes seconds and a shrink hundreds of them; a failure prints its whole story instead.
# A longer hunt: FIGURES_EXAMPLES=200 pytest --timeout=0 ... (each example uses a month of 2050-2099: 300 at most).
# The histories run on the in-memory twin of the repository (`tests/support/memory/figures.py`, held to DynamoDB's
# contract by tests/unit/store_contract/test_figures_contract.py): ten times as many examples in the same time. A
# few run on DynamoDB (moto) itself, and the named faults below all do.
EXAMPLES = int(os.environ.get("FIGURES_EXAMPLES", "12"))
_HISTORY = dict(deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])


@settings(max_examples=EXAMPLES, **_HISTORY)
@given(data=st.data())
def test_every_figure_equals_the_brute_force_after_a_faulty_history(ctx, clock, small_items, data):
    ctx = dataclasses.replace(ctx, figures=InMemoryFigureRepository())
    faulty_history_is_exact(ctx, clock, data)


@settings(max_examples=max(1, EXAMPLES // 6), **_HISTORY)
@given(data=st.data())
def test_every_figure_equals_the_brute_force_after_a_faulty_history_on_dynamodb(ctx, clock, small_items, data):
    faulty_history_is_exact(ctx, clock, data)


def faulty_history_is_exact(ctx, clock, data) -> None:
    # Given a few cases received in a month nothing else uses, moved about while their syncs meet faults
    month = fresh_month()
    clock.set(at_wib(month + timedelta(days=data.draw(st.integers(0, 12), label="start day")),
                     data.draw(st.integers(0, 23), label="start hour")))
    history = History(ctx, clock, month, data.draw)
    max_cases = data.draw(st.integers(3, 6), label="cases")
    for _ in range(data.draw(st.integers(8, 30), label="steps")):
        history.time_passes()
        history.deliver(history.step(max_cases))

    # When the scheduled sync job has run until nothing is pending
    history.quiesce()

    # Then every figure of every scope, month, week, day and range equals the brute force over the cases
    last = period_span(month_key(month))[1]
    a = month + timedelta(days=data.draw(st.integers(0, (last - month).days), label="range from"))
    b = a + timedelta(days=data.draw(st.integers(0, (last - a).days), label="range length"))
    assert_figures_exact(ctx, list(history.cases.values()), history.scopes, month, (a, b))


# ------------------------------------------------------------------------------------------- the named faults


@pytest.fixture
def month(ctx, clock) -> date:
    """A month of its own, starting on its first Monday at 09:00 WIB."""
    first = fresh_month()
    monday = first + timedelta(days=(7 - first.weekday()) % 7)
    clock.set(at_wib(monday))
    return first


def city_month(ctx, month: date) -> dict:
    counters = read_counters(ctx, ["city"], [month_key(month)])["city"]
    return figures(counters, wib_date(ctx.now()), ctx.policy)


def forwarded_case(ctx, clock) -> Case:
    case = new_case(ctx, Channel.WHATSAPP)
    clock.advance(hours=2)
    case = workflow.forward_case(ctx, ADMIN, case.case_id, case.version, lead_agency="dpupr")
    assert sync_case(ctx, case)
    return case


def faulty(ctx, fault: Fault, second_worker=lambda fault: None):
    """A worker whose figures writes meet `fault` (and its proxy, to count them)."""
    proxy = FaultyFigures(ctx.figures, fault, second_worker)
    return dataclasses.replace(ctx, figures=proxy), proxy


def test_a_sync_killed_after_its_third_add_is_finished_by_a_later_run(ctx, clock, month):
    # Given a forwarded case whose follow-up is being synced by a worker killed after its 3rd item write
    case = forwarded_case(ctx, clock)
    clock.advance(days=1)
    case = workflow.record_follow_up(ctx, opd("dpupr"), case.case_id, case.version, note="Sudah ditambal.")
    worker, _ = faulty(ctx, Fault("crash_after", at=4))  # write 1 starts the change, 2-4 are adds
    with pytest.raises(InjectedCrash):
        sync_case(worker, case)
    keys = [(scope, period) for scope in scopes_of(case) for period in period_keys(wib_date(case.received_at))]
    holding = [k for k, item in raw_items(keys).items() if item.get("tk", {}).get("SS")]
    assert len(holding) == 3  # half done: three items have the change (and its token), nine do not

    # When a rerun comes soon after, then after the dead worker's lease is surely over
    rerun_too_soon = sync_case(ctx, case)
    clock.advance(seconds=PAST_TAKEOVER.total_seconds())
    rerun_later = sync_case(ctx, case)

    # Then the first leaves the change to its owner, the second finishes it: the follow-up counts once
    assert (rerun_too_soon, rerun_later) == (False, True)
    assert city_month(ctx, month)["followed_up"] == 1
    assert city_month(ctx, month)["by_status"]["DITINDAKLANJUTI"] == 1
    assert_figures_exact(ctx, [case], scopes_of(case) | {"agency:-"}, month, (month, month))


def test_two_workers_on_one_change_count_it_once(ctx, clock, month):
    # Given a case just closed, whose stream record reaches two workers at once
    case = forwarded_case(ctx, clock)
    case = workflow.record_follow_up(ctx, opd("dpupr"), case.case_id, case.version, note="Sudah ditambal.")
    assert sync_case(ctx, case)
    case = workflow.close_case(ctx, ADMIN, case.case_id, case.version, note="Sudah diperbaiki.")
    second: list[bool] = []

    # When the second worker syncs the case between the first's 1st and 2nd add (its 3rd write)
    worker, _ = faulty(ctx, Fault("concurrent", at=3), lambda f: second.append(sync_case(ctx, case)))
    first = sync_case(worker, case)

    # Then the second backs off (the first owns the change) and the first finishes: closed once
    assert (first, second) == (True, [False])
    assert city_month(ctx, month)["closed"] == 1 and city_month(ctx, month)["received"] == 1

    # When the citizen rates it, and the second worker syncs the rating before the first has started
    case = workflow.decide_and_save(ctx, CITIZEN, case, case.version, ActionRequest(Action.RATE, rating=5))
    worker, _ = faulty(ctx, Fault("concurrent", at=1), lambda f: second.append(sync_case(ctx, case)))
    late = sync_case(worker, case)

    # Then the second does the whole change and the first, finding it done, writes no figures: rated once
    assert (second, late) == ([False, True], True)
    assert city_month(ctx, month)["rating"]["count"] == 1
    assert_figures_exact(ctx, [case], scopes_of(case) | {"agency:-"}, month, (month, month))


def test_a_stale_record_after_a_newer_sync_changes_nothing(ctx, clock, month):
    # Given a case synced at its newest version (on hold), and its older records still in the stream
    old = new_case(ctx, Channel.LINE)
    assert sync_case(ctx, old)
    forwarded = workflow.forward_case(ctx, ADMIN, old.case_id, old.version, lead_agency="dlhkp")
    clock.advance(days=1)
    held = workflow.hold_case(ctx, opd("dlhkp"), forwarded.case_id, forwarded.version, note="Mohon foto.",
                              until=wib_date(ctx.now()) + timedelta(days=3))
    assert sync_case(ctx, held)
    before = ctx.figures.read_items([("city", month_key(month))])

    # When the older records arrive late, out of order, twice
    after_each = []
    for stale in (forwarded, old, held, forwarded):
        sync_case(ctx, stale)
        after_each.append(ctx.figures.read_items([("city", month_key(month))]))

    # Then the figures hold exactly the newest version all along
    assert after_each == [before] * 4
    assert city_month(ctx, month)["on_hold"] == 1 and city_month(ctx, month)["forwarded"] == 1
    assert_figures_exact(ctx, [held], scopes_of(held) | scopes_of(old), month, (month, month))


def test_a_worker_paused_past_its_lease_stops_while_another_takes_over(ctx, clock, month):
    # Given a case moved to another lead OPD (items leave dpupr and join dishub), synced by worker A
    case = forwarded_case(ctx, clock)
    case = workflow.redispose_case(ctx, ADMIN, case.case_id, case.version, lead_agency="dishub",
                                   category_id="lalu-lintas", note="Rambu, urusan Dishub.")
    taken_over: list[bool] = []

    # When A stalls after its 2nd add until past TAKEOVER_AFTER, and worker B syncs the case meanwhile
    def stall(fault: Fault) -> None:
        clock.advance(seconds=PAST_TAKEOVER.total_seconds())
        taken_over.append(sync_case(ctx, case))

    worker, proxy = faulty(ctx, Fault("pause", at=3), stall)
    outcome = sync_case(worker, case)

    # Then B took the change over and finished it; A wrote nothing more (its lease was over) and gave up
    assert taken_over == [True] and outcome is False
    assert proxy.writes == 3
    figures_now = read_counters(ctx, ["agency:dpupr", "agency:dishub"], [month_key(month)])
    assert figures_now["agency:dpupr"].get("n", 0) == 0 and figures_now["agency:dishub"]["n"] == 1
    assert_figures_exact(ctx, [case], scopes_of(case) | {"agency:dpupr", "agency:-", "category:-"}, month,
                         (month, month))


def test_the_brute_force_reads_the_definitions(ctx, clock, month):
    """The yardstick itself, on one case worked by hand: the numbers a reader can check on a calendar."""
    # Given a case received on a Monday, forwarded on Wednesday, followed up the next Monday, disputed,
    # followed up again on Tuesday and confirmed, then rated 4
    case = new_case(ctx, Channel.WEB)
    clock.advance(days=2)
    case = workflow.forward_case(ctx, ADMIN, case.case_id, case.version, lead_agency="dpupr", tier="normatif")
    clock.advance(days=5)
    case = workflow.record_follow_up(ctx, opd("dpupr"), case.case_id, case.version, note="Sudah ditambal.")
    case = workflow.decide_and_save(ctx, CITIZEN, case, case.version,
                                    ActionRequest(Action.REOPEN, note="Belum, masih berlubang."))
    clock.advance(days=1)
    case = workflow.record_follow_up(ctx, opd("dpupr"), case.case_id, case.version, note="Ditambal ulang.")
    case = workflow.decide_and_save(ctx, CITIZEN, case, case.version, ActionRequest(Action.CONFIRM))
    case = workflow.decide_and_save(ctx, CITIZEN, case, case.version, ActionRequest(Action.RATE, rating=4))

    # When it is brute-forced
    cal = ctx.calendar
    tue_wed = [wib_date(case.received_at) + timedelta(days=n) for n in (1, 2)]
    got = expected_figures([case], cal, ctx.policy, wib_date(ctx.now()))

    # Then verify is 2 working days (Tue, Wed), follow-up and resolution count from the answered forwarding
    # and from receipt to the undisputed follow-up, and the rating is the citizen's
    assert got["time"]["verify"]["days"]["median"] == 2
    assert got["time"]["verify"]["working_days"]["median"] == sum(cal.is_working_day(d) for d in tue_wed)
    assert got["time"]["resolution"]["days"]["median"] == 8 and got["time"]["close"]["days"]["median"] == 8
    assert got["time"]["follow_up"]["days"]["median"] == 5
    assert got["reopened"] == 1 and got["reopen_events"] == 1 and got["closed"] == 1
    assert got["rating"] == {"average": 4.0, "count": 1, "distribution": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0},
                             "rated_percent": 100.0}
    # and the stored figures agree once the case is synced
    assert sync_case(ctx, case)
    assert city_month(ctx, month) == got

