"""The city's figures at scale (issue 12): what the city dashboard for one month reads at 1,000 and at 100,000
cases, what the monthly recap download takes at 100,000, and how many figures-table writes one case change
costs.

Two months side by side on one dynalite: July 2026 with 1,000 cases and August 2026 with 100,000 (both 31
days, so their items have the same prefilled due-date counters). Each case is built in memory by the real
lifecycle (`domain/lifecycle.py`: `new_case`, then `apply_action` for every step of a realistic history —
forwarded, redisposed, held and resumed, followed up, disputed, confirmed, auto-closed, rated, rejected,
archived, merged...), its contribution computed by the real `case_counters` and `figure_keys`, summed per
item in memory, and each item written once with `FigureRepository.put_item_counters`. That is the state the
exactly-once path (`services/figures.py`) reaches for the same cases — the brute-force test proves that
separately — without 100,000 cases' worth of DynamoDB round trips. Response bytes are the raw HTTP bodies
(`RequestCounter.bytes_read`, botocore's after-call hook).

The writes per case change are measured on the real path instead: 120 cases (720 transitions) taken through
`services/workflow.py` (create, forward, hold and resume, redispose to another OPD — with another category
for half of them, follow-up, close, rate), each round of transitions synced by `sync_pending_cases`, every
figures-table write attributed to the case whose ledger it belongs to.
"""

from __future__ import annotations

import os
import random
import re
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from chalicelib.domain.calendar import WIB, WorkingCalendar, to_wib_date
from chalicelib.domain.case import Action, Actor, Case, Channel, Role, Status
from chalicelib.domain.escalation import EscalationPolicy
from chalicelib.domain.figures import case_counters, figure_keys
from chalicelib.domain.lifecycle import ActionRequest, apply_action, new_case
from chalicelib.domain.sla import DeadlineKind, SlaPolicy, Tier

SMALL, LARGE = 1_000, 100_000
SMALL_MONTH, LARGE_MONTH = date(2026, 7, 1), date(2026, 8, 1)  # both 31 days
NOW = datetime(2026, 9, 21, 3, 0, tzinfo=UTC)  # 10:00 WIB on a Monday: the day the figures are read
# Every figures write updates a zero-filled item of ~580 counters, which dynalite takes ~5-8 ms for: a case
# taken through its 8 transitions costs 0.6-1 s here, so 120 cases (720 transitions) keep the run under 3 min.
TRANSITION_CASES = 120
# The channels citizens use, roughly as a city of Kediri's size sees them (weights).
CHANNEL_MIX = {
    Channel.WHATSAPP: 34, Channel.LINE: 8, Channel.WEB: 14, Channel.SMS: 6, Channel.TELEGRAM: 4,
    Channel.MESSENGER: 2, Channel.INSTAGRAM: 5, Channel.EMAIL: 3, Channel.PHONE: 9, Channel.WALK_IN: 6,
    Channel.LETTER: 3, Channel.SOCIAL_MEDIA: 6,
}
RATING_MIX = {5: 40, 4: 30, 3: 15, 2: 8, 1: 7}

Key = tuple[str, str]


# ------------------------------------------------------------------------------------------- synthetic cases


@dataclass(frozen=True)
class City:
    """What the generator needs of the city: its rules and its directory (pure values, no I/O)."""

    calendar: WorkingCalendar
    policy: SlaPolicy
    escalation: EscalationPolicy
    agencies: tuple[str, ...]
    categories: tuple[tuple[str, str, str], ...]  # (category id, its lead OPD, its default tier)


ADMIN = Actor("officer:admin.kominfo", Role.ADMIN, "diskominfo")
SYSTEM = Actor.system("bench")


def _pick(rng: random.Random, weights: Mapping) -> object:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _hours(rng: random.Random, median: float, spread: float = 1.0) -> timedelta:
    """A log-normal delay: most are near the median, a few take much longer (as officers do)."""
    return timedelta(hours=min(24 * 80, rng.lognormvariate(0, spread) * median))


class _History:
    """One case moved through the lifecycle step by step; a step later than `now` is not taken (the case
    stays where it is, as a case received recently would)."""

    def __init__(self, case: Case, city: City, now: datetime) -> None:
        self.case, self.city, self.now, self.at = case, city, now, case.received_at
        self.stopped = False

    def act(self, actor: Actor, after: timedelta, action: Action, **fields) -> bool:
        at = self.at + after
        if self.stopped or at > self.now:
            self.stopped = True
            return False
        city = self.city
        self.case = apply_action(self.case, ActionRequest(action, **fields), actor, at, city.calendar, city.policy,
                                 city.escalation)
        self.at = at
        return True

    @property
    def status(self) -> Status:
        return self.case.status


def _lead_actor(case: Case) -> Actor:
    return Actor(f"officer:petugas.{case.lead_agency}", Role.OPD, case.lead_agency)


def synthetic_case(case_id: str, received: datetime, rng: random.Random, city: City, now: datetime) -> Case:
    """A case received at `received` with a realistic history up to `now`, every step by `apply_action`."""
    citizen = Actor.citizen(f"tel:+62812{rng.randrange(10**7):07d}")
    case = new_case(
        case_id=case_id, city_code="KDR", channel=_pick(rng, CHANNEL_MIX), description="Laporan uji beban.",
        received_at=received, actor=SYSTEM, calendar=city.calendar, policy=city.policy,
        escalation=city.escalation,
    )
    h = _History(case, city, now)
    verify = _hours(rng, 18)
    fate = rng.random()
    if fate < 0.05:
        h.act(ADMIN, verify, Action.REJECT, note="Kewenangan instansi vertikal.")
        return h.case
    if fate < 0.10:
        h.act(ADMIN, verify, Action.ARCHIVE, note="Tidak jelas.")
        return h.case
    if fate < 0.12:
        h.act(ADMIN, verify, Action.MERGE, note="Laporan ganda.", merge_into=f"{case_id}-asal")
        return h.case
    if fate < 0.14:  # the admin koordinator waits for the citizen's details first
        until = to_wib_date(h.at + verify) + timedelta(days=rng.randint(2, 9))
        h.act(ADMIN, verify, Action.HOLD, note="Mohon lokasi lengkap.", hold_until=until)
        h.act(ADMIN, _hours(rng, 60, 0.6), Action.RESUME)
        verify = _hours(rng, 4)
    category, lead, tier = rng.choice(city.categories)
    if rng.random() < 0.15:
        lead = rng.choice(city.agencies)
    supporting = (rng.choice(city.agencies),) if rng.random() < 0.1 else ()
    h.act(ADMIN, verify, Action.FORWARD, lead_agency=lead, supporting_agencies=supporting, category_id=category,
          tier=Tier(tier))
    turn = rng.random()
    if h.status is Status.TERVERIFIKASI and turn < 0.03:  # not ours: back to the admin, forwarded again
        h.act(_lead_actor(h.case), _hours(rng, 20), Action.RETURN, note="Bukan kewenangan kami.")
        h.act(ADMIN, _hours(rng, 6), Action.FORWARD, lead_agency=rng.choice(city.agencies), category_id=category,
              tier=Tier(tier))
    elif h.status is Status.TERVERIFIKASI and turn < 0.07:
        others = [a for a in city.agencies if a != h.case.lead_agency]
        h.act(ADMIN, _hours(rng, 24), Action.REDISPOSE, note="Dialihkan.", lead_agency=rng.choice(others))
    if h.status is Status.TERVERIFIKASI and rng.random() < 0.05:  # the lead OPD needs the citizen first
        wait = _hours(rng, 10)
        until = to_wib_date(h.at + wait) + timedelta(days=rng.randint(3, 12))
        h.act(_lead_actor(h.case), wait, Action.HOLD, note="Menunggu foto.", hold_until=until)
        h.act(_lead_actor(h.case), _hours(rng, 96, 0.5), Action.RESUME)
    if h.status is not Status.TERVERIFIKASI:
        return h.case
    h.act(_lead_actor(h.case), _hours(rng, 50, 1.1), Action.FOLLOW_UP, note="Sudah ditangani.")
    if h.status is Status.DITINDAKLANJUTI and rng.random() < 0.07:  # the citizen disputes it
        h.act(citizen, _hours(rng, 30), Action.REOPEN, note="Belum beres.")
        h.act(_lead_actor(h.case), _hours(rng, 60), Action.FOLLOW_UP, note="Sudah diperbaiki lagi.")
    _close(h, rng, citizen)
    if h.status is Status.SELESAI and rng.random() < 0.01:  # the admin koordinator undoes the close
        h.act(ADMIN, _hours(rng, 48), Action.REOPEN, note="Ternyata belum tuntas.")
        h.act(_lead_actor(h.case), _hours(rng, 48), Action.FOLLOW_UP, note="Tuntas.")
        h.act(ADMIN, _hours(rng, 24), Action.CLOSE, note="Dicek di lapangan.")
    if h.status is Status.SELESAI and h.case.rating is None and rng.random() < 0.45:
        h.act(citizen, _hours(rng, 8), Action.RATE, rating=_pick(rng, RATING_MIX))
    return h.case


def _close(h: _History, rng: random.Random, citizen: Actor) -> None:
    if h.status is not Status.DITINDAKLANJUTI:
        return
    deadline = h.case.deadline
    how = rng.random()
    if how < 0.35 or deadline is None or deadline.kind is not DeadlineKind.TUTUP_OTOMATIS:
        wait = min(_hours(rng, 20), max(timedelta(0), deadline.due_at - h.at - timedelta(minutes=1))) \
            if deadline else _hours(rng, 20)
        h.act(citizen, wait, Action.CONFIRM, note="Terima kasih.")
    elif how < 0.80:  # nobody answered: the job closes it once the reply window is over
        h.act(SYSTEM, deadline.due_at - h.at + timedelta(minutes=rng.randint(1, 90)), Action.AUTO_CLOSE)
    else:
        h.act(ADMIN, _hours(rng, 30), Action.CLOSE, note="Sudah dicek.")


def _month_last(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def month_cases(prefix: str, first: date, count: int, city: City, now: datetime, seed: int,
                start: int = 0, stop: int | None = None) -> Iterator[Case]:
    """Cases `start`..`stop` of the `count` received in the month of `first`, spread over every day of it
    (06:00-22:00 WIB); the same arguments give the same cases."""
    rng = random.Random(f"{seed}:{start}")
    days = (_month_last(first) - first).days + 1
    for n in range(start, count if stop is None else min(stop, count)):
        day = first + timedelta(days=n % days)
        local = datetime(day.year, day.month, day.day, tzinfo=WIB) + timedelta(minutes=rng.randrange(6 * 60, 22 * 60))
        yield synthetic_case(f"{prefix}-{n:06d}", local.astimezone(UTC), rng, city, now)


def add_contributions(totals: dict[Key, dict[str, int]], cases: Iterable[Case], city: City) -> Counter[str]:
    """Add each case's counters to each of its items (what the exactly-once path adds, summed); returns the
    cases per status."""
    statuses: Counter[str] = Counter()
    for case in cases:
        statuses[case.status.value] += 1
        counters = case_counters(case, city.calendar, city.policy)
        for key in figure_keys(case):
            item = totals.setdefault(key, {})
            for name, value in counters.items():
                item[name] = item.get(name, 0) + value
    return statuses


def merge_totals(into: dict[Key, dict[str, int]], more: Mapping[Key, Mapping[str, int]]) -> None:
    for key, counters in more.items():
        item = into.setdefault(key, {})
        for name, value in counters.items():
            item[name] = item.get(name, 0) + value


_CITY: City | None = None  # set before the worker processes fork (the calendar is not worth pickling)
CHUNK = 10_000


def _chunk_totals(job: tuple[str, date, int, datetime, int, int]) -> tuple[dict, Counter[str]]:
    prefix, first, count, now, seed, start = job
    assert _CITY is not None
    totals: dict[Key, dict[str, int]] = {}
    statuses = add_contributions(totals, month_cases(prefix, first, count, _CITY, now, seed, start, start + CHUNK),
                                 _CITY)
    return totals, statuses


def month_totals(months: Sequence[tuple[str, date, int, int]], city: City, now: datetime,
                 processes: int | None = None) -> tuple[dict[Key, dict[str, int]], Counter[str]]:
    """The summed items of every month's synthetic cases ((prefix, first day, cases, seed) each), built in
    chunks over the machine's cores (forked workers; a month adjacent to another shares a week item, so
    everything is summed before anything is written)."""
    import multiprocessing

    global _CITY
    jobs = [(prefix, first, count, now, seed, start)
            for prefix, first, count, seed in months for start in range(0, count, CHUNK)]
    _CITY = city
    try:
        workers = min(len(jobs), processes or os.cpu_count() or 1)
        if workers <= 1:
            results = [_chunk_totals(job) for job in jobs]
        else:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                results = pool.map(_chunk_totals, jobs, chunksize=1)
    finally:
        _CITY = None
    totals: dict[Key, dict[str, int]] = {}
    statuses: Counter[str] = Counter()
    for part, counts in results:
        merge_totals(totals, part)
        statuses += counts
    return totals, statuses


# ------------------------------------------------------------------------------------------- measuring


def _dashboard_cost(ctx, actor: Actor, first: date, counter) -> tuple[int, int, int]:
    """(response bytes, requests, cases counted) of the city dashboard for one month, by OPD."""
    from chalicelib.services.dashboard import dashboard

    counter.reset()
    view = dashboard(ctx, actor, first=first, last=_month_last(first), by="agency")
    return counter.bytes_read, counter.total, view["received"]


def _attribute_size(name: str, value: int) -> int:
    """Bytes an attribute takes in a GetItem/BatchGetItem JSON body: "name":{"N":"value"}, plus its comma."""
    return len(name) + len(str(value)) + 13


def item_growth(small: Mapping[str, int], large: Mapping[str, int]) -> dict[str, object]:
    """Where an item's bytes grow from `small` to `large` (both as put: zero counters included): attributes
    only the larger has, and longer numbers."""
    added = sorted(set(large) - set(small))
    added_bytes = sum(_attribute_size(k, large[k]) for k in added)
    digits = sum(len(str(large[k])) - len(str(small[k])) for k in set(small) & set(large))
    return {"added": added, "added_bytes": added_bytes, "digit_bytes": digits,
            "small_bytes": sum(_attribute_size(k, v) for k, v in small.items()),
            "large_bytes": sum(_attribute_size(k, v) for k, v in large.items())}


class _WriteLedger:
    """Attributes every figures-table request to the case whose ledger was touched last (a sync handles one
    case at a time: it reads the case's ledger before any of its item writes)."""

    WRITES = ("UpdateItem", "PutItem", "DeleteItem", "BatchWriteItem")

    def __init__(self, table: str) -> None:
        self.table = table
        self.current: str | None = None
        self.writes: Counter[str] = Counter()
        self.creates: Counter[str] = Counter()  # zero-filled items put by the change (a first case in them)
        self.misses: Counter[str] = Counter()  # conditional writes refused (the item was missing)
        self.items: defaultdict[str, set] = defaultdict(set)

    def on_params(self, params, model, **kwargs) -> None:
        if not isinstance(params, dict) or params.get("TableName") != self.table:
            return
        key = params.get("Key") or params.get("Item") or {}
        scope = (key.get("scope") or {}).get("S", "")
        if scope.startswith("case#"):
            self.current = scope.removeprefix("case#")
        if model.name in self.WRITES and self.current is not None:
            self.writes[self.current] += 1
            if not scope.startswith("case#"):
                self.items[self.current].add((scope, (key.get("period") or {}).get("S", "")))
                if model.name == "PutItem":
                    self.creates[self.current] += 1

    def on_result(self, http_response, model, **kwargs) -> None:
        if model.name in self.WRITES and self.current is not None and http_response.status_code >= 400:
            self.misses[self.current] += 1

    def reset(self) -> None:
        self.current = None
        self.writes.clear()
        self.creates.clear()
        self.misses.clear()
        self.items.clear()


def _transition_writes(ctx, clock: list[datetime], cases: int) -> dict[str, list[tuple[int, int, int, int]]]:
    """Take `cases` cases through the workflow, one transition per case per round, each round synced by
    `sync_pending_cases`; per transition: (figures-table writes, items written, items created, refused)."""
    import uuid

    from chalicelib.domain.case import Reporter
    from chalicelib.services import workflow as w
    from chalicelib.services.sync import sync_pending_cases
    from chalicelib.store.models import FigureRecord

    admin = ADMIN
    agencies = sorted(a for a, agency in ctx.agencies.items() if agency.active)
    categories = sorted(ctx.categories)
    rng = random.Random(12)
    ledger = _WriteLedger(FigureRecord.Meta.table_name)
    client = FigureRecord._get_connection().connection.client
    client.meta.events.register("before-parameter-build.dynamodb", ledger.on_params)
    client.meta.events.register("after-call.dynamodb", ledger.on_result)
    measured: dict[str, list[tuple[int, int, int, int]]] = defaultdict(list)

    def lead(case: Case) -> Actor:
        return Actor(f"officer:petugas.{case.lead_agency}", Role.OPD, case.lead_agency)

    def citizen_rates(case: Case) -> Case:
        return w.decide_and_save(ctx, Actor.citizen("tel:+6281299990000"), case, case.version,
                                 ActionRequest(Action.RATE, rating=rng.randint(1, 5)))

    def other_lead(case: Case) -> str:
        return rng.choice([a for a in agencies if a != case.lead_agency])

    def redispose(case: Case, with_category: bool) -> Case:
        category = rng.choice([c for c in categories if c != case.category_id]) if with_category else None
        return w.redispose_case(ctx, admin, case.case_id, case.version, lead_agency=other_lead(case),
                                category_id=category, note="Dialihkan ke OPD lain.")

    def hold(case: Case) -> Case:
        until = (to_wib_date(clock[0]) + timedelta(days=5)).isoformat()
        return w.hold_case(ctx, admin, case.case_id, case.version, note="Mohon foto.", until=until)

    # (name, step of the i-th case: the case after it, or None when this case skips it)
    steps = [
        ("forward", lambda i, c: w.forward_case(ctx, admin, c.case_id, c.version, lead_agency=rng.choice(agencies),
                                                category_id=rng.choice(categories))),
        ("hold", lambda i, c: hold(c) if i % 3 == 0 else None),
        ("resume", lambda i, c: w.resume_case(ctx, admin, c.case_id, c.version) if i % 3 == 0 else None),
        ("redispose", lambda i, c: redispose(c, with_category=i % 2 == 0) if i % 3 == 1 else None),
        ("follow_up", lambda i, c: w.record_follow_up(ctx, lead(c), c.case_id, c.version, note="Sudah ditangani.")),
        ("close", lambda i, c: w.close_case(ctx, admin, c.case_id, c.version, note="Sudah dicek.")),
        ("rate", lambda i, c: citizen_rates(c)),
    ]
    try:
        opened: list[Case] = []
        for n in range(cases):
            opened.append(w.create_case_from_entry(
                ctx, admin, channel=rng.choice(["telepon", "tatap_muka", "surat", "media_sosial"]),
                description=f"Laporan nomor {n}: lampu jalan mati.", idempotency_key=str(uuid.uuid4()),
                reporter=Reporter(name="Warga"),
            ))
        _sync_round(ctx, ledger, "create", {c.case_id for c in opened}, measured, sync_pending_cases, cases)
        for name, step in steps:
            clock[0] += timedelta(hours=rng.randint(3, 30))
            changed = set()
            for i, case in enumerate(opened):
                after = step(i, case)
                if after is not None:
                    opened[i] = after
                    changed.add(after.case_id)
            _sync_round(ctx, ledger, name, changed, measured, sync_pending_cases, cases)
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb", ledger.on_params)
        client.meta.events.unregister("after-call.dynamodb", ledger.on_result)
    return measured


def _sync_round(ctx, ledger: _WriteLedger, name: str, changed: set[str], measured: dict, sync, limit: int) -> None:
    ledger.reset()
    report = sync(ctx, limit=limit + 10)
    if report.synced != len(changed) or report.failed:
        raise RuntimeError(f"{name}: synced {report.synced} of {len(changed)} changed cases ({report})")
    for case_id in changed:
        measured[name].append((ledger.writes[case_id], len(ledger.items[case_id]), ledger.creates[case_id],
                               ledger.misses[case_id]))


def measure_figures(small: int = SMALL, large: int = LARGE, transition_cases: int = TRANSITION_CASES) -> dict:
    from bench.stack import bench_tables

    with bench_tables():
        from bench.metering import RequestCounter
        from chalicelib.services.context import build_context
        from chalicelib.services.recap import recap_download
        from chalicelib.settings import reset_settings
        from demo.loader import load_demo_data

        os.environ["ADUAN_INBOUND_DISPATCH"] = "none"  # no local sync thread: every sync here is counted
        reset_settings()
        clock = [NOW]
        ctx = build_context(clock=lambda: clock[0])
        load_demo_data(ctx, with_sample_cases=False)
        ctx.warm()
        city = City(
            calendar=ctx.calendar, policy=ctx.policy, escalation=ctx.escalation,
            agencies=tuple(sorted(a for a, agency in ctx.agencies.items() if agency.active)),
            categories=tuple((c.category_id, c.agency_id, c.default_tier) for c in
                             sorted(ctx.categories.values(), key=lambda c: c.category_id) if c.active),
        )
        started = time.perf_counter()
        totals, statuses = month_totals([("KDR-JUL", SMALL_MONTH, small, 1), ("KDR-AGU", LARGE_MONTH, large, 2)],
                                        city, NOW)
        build_seconds = time.perf_counter() - started
        started = time.perf_counter()
        for key, counters in totals.items():  # each item once: the state the exactly-once path reaches
            ctx.figures.put_item_counters(key, counters)
        write_seconds = time.perf_counter() - started

        leadership = Actor("officer:sekda", Role.LEADERSHIP, "setda")
        with RequestCounter() as counter:
            _dashboard_cost(ctx, leadership, SMALL_MONTH, counter)  # warm: connections, directory
            small_bytes, small_requests, small_seen = _dashboard_cost(ctx, leadership, SMALL_MONTH, counter)
            large_bytes, large_requests, large_seen = _dashboard_cost(ctx, leadership, LARGE_MONTH, counter)
        growth = _growth(ctx, totals)

        month = f"{LARGE_MONTH:%Y-%m}"
        started = time.perf_counter()
        body, _type, _name = recap_download(ctx, leadership, month, "xlsx")
        recap_first = time.perf_counter() - started
        recap_runs = []
        for _ in range(3):
            started = time.perf_counter()
            recap_download(ctx, leadership, month, "xlsx")
            recap_runs.append(time.perf_counter() - started)

        clock[0] = NOW + timedelta(days=1)  # the transitions: cases received in September, apart from both months
        started = time.perf_counter()
        writes = _transition_writes(ctx, clock, transition_cases)
        transition_seconds = time.perf_counter() - started

    every = [w for runs in writes.values() for w, _items, _created, _refused in runs]
    steady = [w - 2 * created for runs in writes.values() for w, _items, created, _refused in runs]
    return {
        "figures_cases_small": small,
        "figures_cases_large": large,
        "figures_statuses": dict(sorted(statuses.items())),
        "figures_items_written": len(totals),
        "figures_build_seconds": round(build_seconds, 1),
        "figures_write_seconds": round(write_seconds, 1),
        "dashboard_cases_counted_1k": small_seen,
        "dashboard_cases_counted_100k": large_seen,
        "dashboard_bytes_1k": small_bytes,
        "dashboard_bytes_100k": large_bytes,
        "dashboard_requests_1k": small_requests,
        "dashboard_requests": large_requests,
        "dashboard_read_ratio": round(large_bytes / small_bytes, 3),
        "dashboard_growth": growth,
        "recap_seconds": round(statistics.median(recap_runs), 3),
        "recap_seconds_first": round(recap_first, 3),
        "recap_xlsx_bytes": len(body),
        "transition_cases": transition_cases,
        "transition_seconds": round(transition_seconds, 1),
        "per_transition": {
            name: {
                "count": len(runs),
                "max": max(w for w, *_ in runs),
                "mean": round(statistics.mean(w for w, *_ in runs), 2),
                "items_max": max(i for _w, i, *_ in runs),
                "created_max": max(c for _w, _i, c, _r in runs),
                "steady_max": max(w - 2 * c for w, _i, c, _r in runs),
            }
            for name, runs in writes.items()
        },
        "aggregate_writes_per_transition": max(every),
        "aggregate_writes_per_transition_mean": round(statistics.mean(every), 2),
        "aggregate_writes_per_transition_steady_max": max(steady),
    }


def _growth(ctx, totals: Mapping[Key, Mapping[str, int]]) -> dict[str, object]:
    """Where the dashboard items of the 100,000-case month are bigger than the 1,000-case month's: the
    attributes only they hold (not prefilled by `empty_item`) and the extra digits of their numbers."""
    from chalicelib.domain.figures import CITY, empty_item, month_key, scope_key

    scopes = [CITY, *(scope_key("agency", a) for a, agency in ctx.agencies.items() if agency.active),
              scope_key("agency", None)]
    added: Counter[str] = Counter()
    added_bytes = digit_bytes = small_bytes = large_bytes = 0
    for scope in scopes:
        items = []
        for month in (SMALL_MONTH, LARGE_MONTH):
            period = month_key(month)
            full = empty_item(period)
            for name, value in totals.get((scope, period), {}).items():
                full[name] = full.get(name, 0) + value
            items.append(full)
        # the due-date counters are named by date: compare the months day for day
        small_item = {_undated(k, SMALL_MONTH): v for k, v in items[0].items()}
        large_item = {_undated(k, LARGE_MONTH): v for k, v in items[1].items()}
        grown = item_growth(small_item, large_item)
        added.update(grown["added"])
        added_bytes += grown["added_bytes"]
        digit_bytes += grown["digit_bytes"]
        small_bytes += grown["small_bytes"]
        large_bytes += grown["large_bytes"]
    kinds: Counter[str] = Counter()
    for name, items in added.items():
        kinds[_kind(name)] += items
    return {"items": len(scopes), "added_attributes": dict(added.most_common()), "added_kinds": dict(kinds),
            "added_bytes": added_bytes,
            "digit_bytes": digit_bytes, "small_bytes": small_bytes, "large_bytes": large_bytes}


def _undated(name: str, first: date) -> str:
    """A due-date counter ('d' and its date, `due_counter`) as its offset from the month's first day ('d+12'),
    so two months compare day for day; other counters unchanged."""
    match = _DUE.fullmatch(name)
    if match is None:
        return name
    digits = match.group(1)
    year, rest = (int(digits[:4]), digits[4:]) if len(digits) == 8 else (2000 + int(digits[:2]), digits[2:])
    return f"d{(date(year, int(rest[:2]), int(rest[2:])) - first).days:+d}"


_DUE = re.compile(r"d([0-9]{8}|[0-9]{6})")
_KINDS = (
    (re.compile(r"d[+-][0-9]+"), "due dates past the prefilled window"),
    (re.compile(r"[vfcr][wk][0-9]+"), "histogram bins past the prefilled ones"),
    (re.compile(r"s_.*"), "statuses"),
    (re.compile(r"cf?_.*"), "channels"),
    (re.compile(r"rt[1-5]"), "ratings"),
)


def _kind(name: str) -> str:
    """What an attribute that only the bigger items hold counts (a due date as `_undated` names it)."""
    return next((label for pattern, label in _KINDS if pattern.fullmatch(name)), "other counters")


def print_figures(result: Mapping[str, object], out=print) -> None:
    """The lines `make bench` prints for this module."""
    for name in ("figures_cases_small", "figures_cases_large", "figures_items_written", "figures_build_seconds",
                 "figures_write_seconds", "dashboard_cases_counted_1k", "dashboard_cases_counted_100k"):
        out(f"{name}: {result[name]}")
    out(f"  statuses (both months): {result['figures_statuses']}")
    growth = result["dashboard_growth"]
    out(f"  the {growth['items']} items grow by {growth['added_bytes'] + growth['digit_bytes']} bytes from 1k to "
        f"100k: {growth['digit_bytes']} of longer numbers, {growth['added_bytes']} of counters no 1k item has "
        f"(attributes x items: {', '.join(f'{k} {v}' for k, v in growth['added_kinds'].items())})")
    out(f"  counters only the 100k items hold: {' '.join(growth['added_attributes'])}")
    for name in ("dashboard_bytes_1k", "dashboard_bytes_100k", "dashboard_requests_1k", "dashboard_requests",
                 "dashboard_read_ratio"):
        out(f"{name}: {result[name]}")
    out(f"recap_seconds: {result['recap_seconds']} (median of 3; the first call, xlsxwriter's import "
        f"included: {result['recap_seconds_first']} s)")
    out(f"transition_cases: {result['transition_cases']} ({result['transition_seconds']} s, workflow + sync)")
    for name, row in result["per_transition"].items():
        out(f"  {name:<10} n {row['count']:<4} writes max {row['max']:<3} mean {row['mean']:<6} "
            f"items max {row['items_max']:<3} items created max {row['created_max']}")
    out("  bound: each item whose counters move is written twice (the delta with the change's token, then the "
        "token's removal), plus 3 ledger writes (start, commit, finish): 4 scopes x 3 periods = 12 items -> 27; "
        "a change of lead OPD or category (every forwarding, which replaces 'agency:-' and 'category:-', and a "
        "redisposition) moves the old and the new items: at most 18 (channel and receipt never change) -> 39; "
        "each item a change creates costs 2 more (the conditional update that finds no item, then the "
        "zero-filled put): 51 for the first case of a day in every one of its scopes")
    out(f"aggregate_writes_per_transition_steady_max: {result['aggregate_writes_per_transition_steady_max']} "
        "(without the item creations)")
    out(f"aggregate_writes_per_transition_mean: {result['aggregate_writes_per_transition_mean']}")
    out(f"aggregate_writes_per_transition: {result['aggregate_writes_per_transition']}")


if __name__ == "__main__":
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    print_figures(measure_figures())
