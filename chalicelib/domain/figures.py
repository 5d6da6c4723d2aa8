"""What one case adds to the city's figures, and the figures of a sum of cases.

The figures are kept as integer counters per (scope, period): a case adds its `case_counters` to each of
its `figure_keys`, and a change to the case adds the difference. Every figure is a function of the summed
counters, so any set of items (a month, a range of days, several OPDs) adds up exactly, and a read costs
the same at 1,000 or 100,000 cases. Pure: no I/O, the calendar and the SLA policy are passed in.

Cohort figures: a case counts in the day, ISO week and month (WIB) it was *received*, and each figure says
what has become of the cases received in that period. Durations are in working days (the day of the
starting event does not count, like every deadline) and in calendar days, both without the days the case
spent on hold (DITUNDA). Histograms keep one bin per whole day, so the median and the 90th percentile are
exact to the day (nearest rank: the smallest value at least p of the cases reach).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from chalicelib.domain.calendar import WorkingCalendar, to_wib_date
from chalicelib.domain.case import OPEN_STATUSES, Action, Case, Channel, Status, TimelineEvent
from chalicelib.domain.sla import SlaPolicy

CITY = "city"
NONE = "-"  # no lead OPD yet / no category
SCOPE_KINDS = ("agency", "category", "channel")
PERIOD_KINDS = ("day", "week", "month")

# Durations (prefix of their histogram bins): w = working days, k = calendar days.
MEASURES = {
    "v": "verify",  # receipt -> the admin koordinator's first decision (forwarded, not ours, archived, merged)
    "f": "follow_up",  # the forwarding (or new lead, or reopening) it answered -> the lead OPD's first follow-up
    "c": "close",  # receipt -> closed (SELESAI)
    "r": "resolution",  # receipt -> the lead OPD's follow-up the citizen did not dispute (SELESAI cases)
}
UNITS = {"w": "working_days", "k": "days"}
# Bins written when an item is created, so an item's size does not depend on how many cases it holds;
# longer durations get their own exact bins as they come.
PREFILLED_BINS = {"w": 45, "k": 65}
DUE_WINDOW_DAYS = 100  # due-date counters prefilled from the period's first day to this many days after its last

VERIFY_DECISIONS = frozenset({Action.FORWARD, Action.REJECT, Action.ARCHIVE, Action.MERGE})
CLOSED_OTHER = frozenset({Status.BUKAN_WEWENANG, Status.DIARSIPKAN, Status.DIGABUNG})


# ------------------------------------------------------------------------------------------- keys


def scope_key(kind: str, value: str | None) -> str:
    """'agency:dpupr', 'category:-', 'channel:line'; 'city' for the whole city."""
    if kind == CITY:
        return CITY
    if kind not in SCOPE_KINDS:
        raise ValueError(f"unknown scope kind {kind!r}")
    return f"{kind}:{value or NONE}"


def day_key(d: date) -> str:
    return f"D{d.isoformat()}"


def week_key(d: date) -> str:
    year, week, _ = d.isocalendar()
    return f"W{year:04d}-W{week:02d}"


def month_key(d: date) -> str:
    return f"M{d.year:04d}-{d.month:02d}"


def period_keys(d: date) -> tuple[str, str, str]:
    """The day, ISO week and month a case received on WIB date `d` counts in."""
    return day_key(d), week_key(d), month_key(d)


def period_span(period: str) -> tuple[date, date]:
    """First and last day of a period key."""
    kind, body = period[0], period[1:]
    if kind == "D":
        d = date.fromisoformat(body)
        return d, d
    if kind == "W":
        year, week = body.split("-W")
        first = date.fromisocalendar(int(year), int(week), 1)
        return first, first + timedelta(days=6)
    if kind == "M":
        year, month = (int(p) for p in body.split("-"))
        first = date(year, month, 1)
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        return first, nxt - timedelta(days=1)
    raise ValueError(f"not a period key: {period!r}")


def periods_covering(first: date, last: date) -> list[str]:
    """The fewest period keys whose days are exactly first..last (inclusive): whole months, then whole ISO
    weeks inside what is left, then days. A year costs at most 12 months + a few weeks and days."""
    if last < first:
        return []
    keys: list[str] = []
    day = first
    while day <= last:
        month_first, month_last = period_span(month_key(day))
        if day == month_first and month_last <= last:
            keys.append(month_key(day))
            day = month_last + timedelta(days=1)
            continue
        week_first, week_last = period_span(week_key(day))
        next_month_whole = period_span(month_key(month_last + timedelta(days=1)))[1] <= last
        crosses = week_last > month_last
        if day == week_first and week_last <= last and not (crosses and next_month_whole):
            keys.append(week_key(day))
            day = week_last + timedelta(days=1)
            continue
        keys.append(day_key(day))
        day += timedelta(days=1)
    return keys


def periods_in(first: date, last: date, kind: str) -> list[tuple[str, date, date]]:
    """The days, ISO weeks or months overlapping first..last, each as (label key, its first day, its last
    day) clipped to the range; for a series (`by=day|week|month`)."""
    out: list[tuple[str, date, date]] = []
    day = first
    key_of = {"day": day_key, "week": week_key, "month": month_key}[kind]
    while day <= last:
        key = key_of(day)
        span_first, span_last = period_span(key)
        end = min(span_last, last)
        out.append((key, max(span_first, first), end))
        day = end + timedelta(days=1)
    return out


def case_scopes(case: Case) -> tuple[str, ...]:
    return (
        CITY,
        scope_key("agency", case.lead_agency),
        scope_key("category", case.category_id),
        scope_key("channel", case.channel.value),
    )


def figure_keys(case: Case) -> tuple[tuple[str, str], ...]:
    """Every (scope, period) item the case counts in: 4 scopes x 3 periods."""
    periods = period_keys(to_wib_date(case.received_at))
    return tuple((scope, period) for scope in case_scopes(case) for period in periods)


def due_counter(d: date) -> str:
    return f"d{d:%Y%m%d}"


FIXED_COUNTERS = (
    "n", "ver", "fwd", "fu", "ro", "roe", "held", "hd", "sla", "cap", "capk",
    *(f"s_{s.value}" for s in Status),
    *(f"{prefix}_{c.value}" for prefix in ("c", "cf") for c in Channel),
    *(f"rt{r}" for r in range(1, 6)),
    *(f"{m}{u}s" for m in MEASURES for u in UNITS),
)


def empty_item(period: str) -> dict[str, int]:
    """The zero counters an item starts with: every named counter, the bins most cases fall in, the due dates
    its cases can have (a cap counted from a late verification included) — so an item's size hardly depends
    on how many cases it holds."""
    counters: dict[str, int] = dict.fromkeys(FIXED_COUNTERS, 0)
    for measure in MEASURES:
        for unit, bins in PREFILLED_BINS.items():
            counters.update({f"{measure}{unit}{n}": 0 for n in range(bins + 1)})
    first, last = period_span(period)
    for offset in range((last - first).days + DUE_WINDOW_DAYS + 1):
        counters[due_counter(first + timedelta(days=offset))] = 0
    return counters


# ------------------------------------------------------------------------------------------- one case


@dataclass(frozen=True)
class Held:
    start: datetime
    end: datetime


def holds(case: Case) -> list[Held]:
    """Every finished stretch on hold: from a HOLD to the event that took the case out of DITUNDA."""
    found: list[Held] = []
    start: datetime | None = None
    for event in case.timeline:
        if event.to_status is Status.DITUNDA and event.from_status is not Status.DITUNDA:
            start = event.at
        elif start is not None and event.from_status is Status.DITUNDA and event.to_status is not Status.DITUNDA:
            found.append(Held(start, event.at))
            start = None
    return found


def working_days_between(cal: WorkingCalendar, start: datetime, end: datetime, held: Iterable[Held]) -> int:
    """Working days after `start`'s day up to `end`'s day, without the working days on hold in between."""
    total = cal.working_days_after(start, end)
    for h in held:
        if h.start >= start and h.end <= end:
            total -= cal.working_days_after(h.start, h.end)
    return max(0, total)


def days_between(start: datetime, end: datetime, held: Iterable[Held]) -> int:
    """Calendar days (WIB dates) from `start` to `end`, without the days on hold in between."""
    total = (to_wib_date(end) - to_wib_date(start)).days
    for h in held:
        if h.start >= start and h.end <= end:
            total -= (to_wib_date(h.end) - to_wib_date(h.start)).days
    return max(0, total)


@dataclass(frozen=True)
class Moments:
    """The moments of a case the figures measure (None: not reached)."""

    verified: datetime | None
    forwarded: datetime | None  # the first forwarding
    answered_forward: datetime | None  # what the first follow-up answered: the last forwarding, change of lead
    # OPD or reopening into TERVERIFIKASI before it
    followed_up: datetime | None  # the lead OPD's first follow-up
    resolved: datetime | None  # SELESAI cases: the follow-up that opened the last, undisputed DITINDAKLANJUTI
    closed: datetime | None  # SELESAI cases: when


def moments(case: Case) -> Moments:
    verified = forwarded = answered = followed = resolved = closed = None
    last_forward: datetime | None = None
    opened_d: datetime | None = None  # the follow-up that moved the case into its current DITINDAKLANJUTI
    events: tuple[TimelineEvent, ...] = case.timeline
    for event in events:
        if event.action is Action.CREATE and event.to_status is Status.TERVERIFIKASI:
            verified = verified or event.at  # entered and forwarded in one step by an officer
            forwarded = forwarded or event.at
            last_forward = event.at
        if event.action in VERIFY_DECISIONS and event.from_status is Status.BARU and verified is None:
            verified = event.at
        if event.action is Action.FORWARD:
            forwarded = forwarded or event.at
            last_forward = event.at
        if event.action is Action.REDISPOSE and event.agencies[:1] != case.disposition_before(event.seq)[:1]:
            last_forward = event.at  # a new lead OPD's clock starts here (new supporting OPDs move nothing)
        if event.action is Action.REOPEN and event.to_status is Status.TERVERIFIKASI:
            last_forward = event.at  # reopened with its lead OPD: a fresh follow-up deadline from here
        if event.action is Action.FOLLOW_UP:
            if followed is None:
                followed = event.at
                answered = last_forward
            if event.from_status is not Status.DITINDAKLANJUTI:
                opened_d = event.at
        if event.to_status is Status.SELESAI and event.from_status is Status.DITINDAKLANJUTI:
            resolved, closed = opened_d, event.at
    if case.status is not Status.SELESAI:
        resolved = closed = None
    else:
        closed = closed or case.closed_at
    return Moments(verified, forwarded, answered, followed, resolved, closed)


def case_counters(case: Case, cal: WorkingCalendar, policy: SlaPolicy) -> dict[str, int]:
    """What the case adds to every item it counts in (only non-zero counters)."""
    c: dict[str, int] = {"n": 1, f"s_{case.status.value}": 1, f"c_{case.channel.value}": 1}
    held = holds(case)
    m = moments(case)
    received = case.received_at

    def measure(prefix: str, start: datetime | None, end: datetime | None) -> tuple[int, int] | None:
        if start is None or end is None or end < start:
            return None
        w, k = working_days_between(cal, start, end, held), days_between(start, end, held)
        for unit, value in (("w", w), ("k", k)):
            c[f"{prefix}{unit}{value}"] = 1
            c[f"{prefix}{unit}s"] = value  # the sum, for the mean
        return w, k

    verify = measure("v", received, m.verified)
    if m.verified:
        c["ver"] = 1
    if m.forwarded:
        c["fwd"] = 1
    follow = measure("f", m.answered_forward, m.followed_up) if m.followed_up else None
    if m.followed_up:
        c["fu"] = 1
    if case.status is Status.SELESAI:
        c[f"cf_{case.channel.value}"] = 1
        measure("c", received, m.closed)
        measure("r", received, m.resolved)
        if case.finish_by is not None and m.closed is not None:
            c["capk"] = 1
            if m.closed <= case.finish_by.due_at:
                c["cap"] = 1
        verify_ok = verify is None or verify[0] <= policy.verify_days
        follow_ok = follow is not None and follow[0] <= policy.follow_up_days_for(case.tier)
        if verify_ok and follow_ok:
            c["sla"] = 1
    reopens = sum(1 for e in case.timeline if e.action is Action.REOPEN)
    if reopens:
        c["ro"], c["roe"] = 1, reopens
    if any(e.to_status is Status.DITUNDA for e in case.timeline):
        c["held"] = 1
    if case.paused_calendar_days:
        c["hd"] = case.paused_calendar_days
    if case.status is Status.SELESAI and case.rating in (1, 2, 3, 4, 5):
        c[f"rt{case.rating}"] = 1  # rated cases of the finished ones (a reopened case's rating no longer counts)
    if case.status in OPEN_STATUSES:
        due = case.sla_due
        if due is not None:
            c[due_counter(to_wib_date(due.due_at))] = 1
    return c


def difference(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    """after - before, non-zero entries only."""
    delta = {k: v - before.get(k, 0) for k, v in after.items()}
    delta.update({k: -v for k, v in before.items() if k not in after})
    return {k: v for k, v in delta.items() if v}


def item_deltas(
    before_keys: Iterable[tuple[str, str]],
    before: Mapping[str, int],
    after_keys: Iterable[tuple[str, str]],
    after: Mapping[str, int],
) -> dict[tuple[str, str], dict[str, int]]:
    """What each item must add when a case's counters go from `before` (in `before_keys`) to `after`."""
    old, new = set(before_keys), set(after_keys)
    out: dict[tuple[str, str], dict[str, int]] = {}
    for key in sorted(old | new):
        delta = difference(before if key in old else {}, after if key in new else {})
        if delta:
            out[key] = delta
    return out


# ------------------------------------------------------------------------------------------- the figures


def add_counters(items: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """The sum of several items' counters."""
    total: dict[str, int] = {}
    for item in items:
        for key, value in item.items():
            total[key] = total.get(key, 0) + value
    return total


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def histogram(counters: Mapping[str, int], prefix: str) -> dict[int, int]:
    """{value: cases} of one measure and unit, e.g. prefix 'rw' (resolution, working days)."""
    bins: dict[int, int] = {}
    for key, count in counters.items():
        if key.startswith(prefix) and key[len(prefix):].isdigit() and count:
            bins[int(key[len(prefix):])] = count
    return bins


def percentile(bins: Mapping[int, int], p: float) -> int | None:
    """Nearest rank: the smallest value v with at least ceil(p * N) cases at or below v."""
    total = sum(bins.values())
    if total <= 0:
        return None
    rank = max(1, math.ceil(p * total - 1e-9))
    seen = 0
    for value in sorted(bins):
        seen += bins[value]
        if seen >= rank:
            return value
    return max(bins)


def within(bins: Mapping[int, int], limit: int) -> int:
    return sum(count for value, count in bins.items() if value <= limit)


def duration(counters: Mapping[str, int], measure: str, unit: str) -> dict:
    prefix = f"{measure}{unit}"
    bins = histogram(counters, prefix)
    count = sum(bins.values())
    return {
        "count": count,
        "mean": round(counters.get(f"{prefix}s", 0) / count, 1) if count else None,
        "median": percentile(bins, 0.5),
        "p90": percentile(bins, 0.9),
    }


def overdue_now(counters: Mapping[str, int], today: date) -> int:
    """Open cases whose deadline day (WIB) is before today."""
    cutoff = due_counter(today)
    return sum(v for k, v in counters.items() if len(k) == 9 and k[0] == "d" and k[1:].isdigit() and k < cutoff)


def figures(counters: Mapping[str, int], today: date, policy: SlaPolicy) -> dict:
    """Every figure of a sum of items, JSON-ready (see the README's definitions)."""
    get = counters.get
    by_status = {s.value: get(f"s_{s.value}", 0) for s in Status}
    received = get("n", 0)
    finished = by_status[Status.SELESAI.value]
    closed_other = sum(by_status[s.value] for s in CLOSED_OTHER)
    open_now = sum(by_status[s.value] for s in OPEN_STATUSES)
    verify_bins, follow_bins = histogram(counters, "vw"), histogram(counters, "fw")
    ratings = {str(r): get(f"rt{r}", 0) for r in range(1, 6)}
    rated = sum(ratings.values())
    rating_sum = sum(int(r) * n for r, n in ratings.items())
    follow_days = policy.follow_up_days_for(None)
    return {
        "received": received,
        "verified": get("ver", 0),
        "forwarded": get("fwd", 0),
        "followed_up": get("fu", 0),
        "closed": finished,
        "closed_other": closed_other,
        "reopened": get("ro", 0),
        "reopen_events": get("roe", 0),
        "on_hold": by_status[Status.DITUNDA.value],
        "ever_on_hold": get("held", 0),
        "days_on_hold": get("hd", 0),
        "open": open_now,
        "overdue": overdue_now(counters, today),
        "by_status": by_status,
        "by_channel": {
            ch.value: {"received": get(f"c_{ch.value}", 0), "closed": get(f"cf_{ch.value}", 0)} for ch in Channel
        },
        "shares": {
            "verified_within": {
                "days": policy.verify_days,
                "count": within(verify_bins, policy.verify_days),
                "of": sum(verify_bins.values()),
                "percent": _percent(within(verify_bins, policy.verify_days), sum(verify_bins.values())),
            },
            "followed_up_within": {
                "days": follow_days,
                "count": within(follow_bins, follow_days),
                "of": sum(follow_bins.values()),
                "percent": _percent(within(follow_bins, follow_days), sum(follow_bins.values())),
            },
            "closed_within_deadline": {
                "count": get("sla", 0), "of": finished, "percent": _percent(get("sla", 0), finished),
            },
            "closed_within_cap": {
                "count": get("cap", 0), "of": get("capk", 0), "percent": _percent(get("cap", 0), get("capk", 0)),
            },
            "reopen_rate": {"count": get("ro", 0), "of": received, "percent": _percent(get("ro", 0), received)},
        },
        "time": {
            name: {UNITS[unit]: duration(counters, measure, unit) for unit in UNITS}
            for measure, name in MEASURES.items()
        },
        "rating": {
            "average": round(rating_sum / rated, 2) if rated else None,
            "count": rated,
            "distribution": ratings,
            "rated_percent": _percent(rated, finished),
        },
    }
