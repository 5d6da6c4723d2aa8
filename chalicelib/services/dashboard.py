"""Dashboard figures (the numbers KemenPAN-RB judges a city by), read from the aggregates.

A view reads one item per month of the period for one scope, however many cases there are; the figures are
computed here from each case's small aggregate entry (see `sync.aggregate_entry`). Entries written by older
code may lack the newer keys (``ch``, ``cat``, ``recv``, ``fu``): every figure tolerates a missing or
malformed value and simply leaves that case out of the figures it cannot feed.

Definitions (the same on the dashboard, the officer pages and the monthly recap):

- *received*: cases received (WIB month of receipt) in the period; *finished*: status SELESAI;
  *in process*: an open status (BARU, TERVERIFIKASI, DITINDAKLANJUTI, DITUNDA); *closed otherwise*:
  BUKAN_WEWENANG, DIARSIPKAN, DIGABUNG.
- *overdue*: open now and past its next deadline.
- *time to resolution*: for finished cases, Asia/Jakarta working days from receipt to closure (the day of
  receipt does not count: received Friday, closed Tuesday = 2), and calendar days.
- *within the cap*: finished no later than the hard cap (``fin``), of the finished cases whose cap is known.
- *followed up*: has a follow-up (or is DITINDAKLANJUTI / SELESAI), of the cases not closed otherwise.
- *rated*: finished cases the citizen rated, of the finished cases.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chalicelib.domain.calendar import MONTH_NAMES, WIB
from chalicelib.domain.case import OPEN_STATUSES, Actor, Channel, Role, Status
from chalicelib.domain.errors import NotPermitted, ValidationFailed
from chalicelib.store.aggregates import CITY_SCOPE, agency_scope

if TYPE_CHECKING:
    from chalicelib.domain.calendar import WorkingCalendar
    from chalicelib.domain.routing import Agency
    from chalicelib.services.context import Context

OPEN_VALUES = frozenset(s.value for s in OPEN_STATUSES)
RESOLVED_VALUES = frozenset({Status.SELESAI.value})
CLOSED_OTHER_VALUES = frozenset({Status.BUKAN_WEWENANG.value, Status.DIARSIPKAN.value, Status.DIGABUNG.value})
FOLLOWED_UP_VALUES = frozenset({Status.DITINDAKLANJUTI.value, Status.SELESAI.value})

# Display order of statuses: the work still to do first, then how cases ended.
STATUS_ORDER = (
    Status.BARU,
    Status.TERVERIFIKASI,
    Status.DITINDAKLANJUTI,
    Status.DITUNDA,
    Status.SELESAI,
    Status.BUKAN_WEWENANG,
    Status.DIARSIPKAN,
    Status.DIGABUNG,
)

CHANNEL_LABELS: dict[str, str] = {c.value: c.label for c in Channel}
OTHER_CHANNEL = "lainnya"
OTHER_CHANNEL_LABEL = "Lainnya / tidak tercatat"
UNASSIGNED_LABEL = "Belum didisposisikan"

PERIOD_CHOICES = (1, 3, 6, 12)  # the officer page's period selector


def channel_label(channel: str | None) -> str:
    return CHANNEL_LABELS.get(channel or "", OTHER_CHANNEL_LABEL)


def channel_key(channel: str | None) -> str:
    """The channel as counted: a known code, or "lainnya" for a missing or unknown one."""
    return channel if channel in CHANNEL_LABELS else OTHER_CHANNEL


def month_label(month: str) -> str:
    """'2026-11' -> 'November 2026'."""
    year, number = month.split("-")
    return f"{MONTH_NAMES[int(number) - 1]} {int(year)}"


def period_label(months: list[str]) -> str:
    """The months of a period (newest first, as `recent_months` gives them) as words."""
    if not months:
        return ""
    newest, oldest = months[0], months[-1]
    if newest == oldest:
        return month_label(newest)
    first, last = month_label(oldest), month_label(newest)
    if oldest[:4] == newest[:4]:
        first = first.rsplit(" ", 1)[0]
        return f"{first}–{last}"
    return f"{first} – {last}"


def recent_months(now: datetime, count: int) -> list[str]:
    local = now.astimezone(WIB)
    year, month = local.year, local.month
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return months


# ------------------------------------------------------------------------------------------- one case


def _moment(value: object) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _number(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # int, float, Decimal or a numeric string
    except (TypeError, ValueError):
        return None
    return number if number == number and number not in (float("inf"), float("-inf")) else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """One aggregate entry, parsed; any fact the entry lacks (or garbles) is None."""

    status: str | None
    lead: str | None
    channel: str | None
    received: datetime | None
    followed_up: datetime | None
    due: datetime | None
    finish_by: datetime | None
    closed: datetime | None
    hours: float | None
    rating: int | None
    paused_days: int = 0
    reopened: int = 0

    @classmethod
    def from_entry(cls, entry: object) -> CaseFacts:
        get = entry.get if isinstance(entry, Mapping) else (lambda _key: None)
        rating = _number(get("rating"))
        return cls(
            status=_text(get("s")),
            lead=_text(get("lead")),
            channel=_text(get("ch")),
            received=_moment(get("recv")),
            followed_up=_moment(get("fu")),
            due=_moment(get("due")),
            finish_by=_moment(get("fin")),
            closed=_moment(get("closed")),
            hours=_number(get("hours")),
            rating=int(rating) if rating is not None and rating in (1, 2, 3, 4, 5) else None,
            paused_days=max(0, int(_number(get("pd")) or 0)),
            reopened=max(0, int(_number(get("ro")) or 0)),
        )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_VALUES

    @property
    def is_finished(self) -> bool:
        return self.status in RESOLVED_VALUES

    def calendar_days(self) -> float | None:
        if self.hours is not None and self.hours >= 0:
            return self.hours / 24
        if self.received is not None and self.closed is not None and self.closed >= self.received:
            return (self.closed - self.received).total_seconds() / 86400
        return None


def parse_entries(entries: Iterable[object]) -> list[CaseFacts]:
    return [CaseFacts.from_entry(entry) for entry in entries]


# ------------------------------------------------------------------------------------------- a group


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 1) if values else None


def _median(values: list[float]) -> float | None:
    return round(float(statistics.median(values)), 1) if values else None


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class Tally:
    """Running figures of a group of cases (the whole scope, one OPD, one channel)."""

    received: int = 0
    by_status: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in Status})
    open: int = 0
    overdue: int = 0
    finished: int = 0
    closed_other: int = 0
    on_time: int = 0
    cap_known: int = 0  # finished cases whose cap and closure are both known
    followed_up: int = 0
    working_days: list[int] = field(default_factory=list)
    calendar_days: list[float] = field(default_factory=list)
    ratings: list[int] = field(default_factory=list)
    rated_finished: int = 0
    channels: Counter = field(default_factory=Counter)
    channels_finished: Counter = field(default_factory=Counter)
    paused_days: int = 0  # calendar days spent on hold (resumed holds)
    reopened: int = 0  # reopen decisions by an admin after a close

    @classmethod
    def of(cls, facts: Iterable[CaseFacts], now: datetime, calendar: WorkingCalendar | None) -> Tally:
        tally = cls()
        for fact in facts:
            tally.add(fact, now, calendar)
        return tally

    def add(self, fact: CaseFacts, now: datetime, calendar: WorkingCalendar | None) -> None:
        self.received += 1
        if fact.status in self.by_status:
            self.by_status[fact.status] += 1
        channel = channel_key(fact.channel)
        self.channels[channel] += 1
        self.paused_days += fact.paused_days
        self.reopened += fact.reopened
        if fact.is_open:
            self.open += 1
            if fact.due is not None and fact.due < now:
                self.overdue += 1
        if fact.status in CLOSED_OTHER_VALUES:
            self.closed_other += 1
        elif fact.followed_up is not None or fact.status in FOLLOWED_UP_VALUES:
            self.followed_up += 1
        if fact.rating is not None:
            self.ratings.append(fact.rating)
        if not fact.is_finished:
            return
        self.finished += 1
        self.channels_finished[channel] += 1
        if fact.rating is not None:
            self.rated_finished += 1
        if fact.closed is not None and fact.finish_by is not None:
            self.cap_known += 1
            if fact.closed <= fact.finish_by:
                self.on_time += 1
        days = fact.calendar_days()
        if days is not None:
            self.calendar_days.append(days)
        if calendar is not None and fact.received is not None and fact.closed is not None:
            self.working_days.append(calendar.working_days_after(fact.received, fact.closed))

    # -- figures ---------------------------------------------------------------------------------------

    @property
    def followed_up_base(self) -> int:
        return self.received - self.closed_other

    @property
    def on_time_percent(self) -> float | None:
        return _percent(self.on_time, self.cap_known)

    @property
    def on_time_rate(self) -> float | None:
        """The share (0..1, unrounded) closed within the cap, for spreadsheets."""
        return self.on_time / self.cap_known if self.cap_known else None

    @property
    def median_working_days(self) -> float | None:
        return _median(self.working_days)

    def resolution(self) -> dict:
        return {
            "count": self.finished,
            "working_days_count": len(self.working_days),
            "working_days_mean": _mean(self.working_days),
            "working_days_median": self.median_working_days,
            "calendar_days_mean": _mean(self.calendar_days),
        }

    def rating(self) -> dict:
        counts = Counter(self.ratings)
        return {
            "average": round(statistics.fmean(self.ratings), 2) if self.ratings else None,
            "count": len(self.ratings),
            "distribution": {str(score): counts.get(score, 0) for score in range(1, 6)},
            "rated": self.rated_finished,
            "rated_percent": _percent(self.rated_finished, self.finished),
        }

    def figures(self) -> dict:
        """Everything about the group, JSON-ready."""
        return {
            # the original keys of GET /api/dashboard
            "total": self.received,
            "by_status": dict(self.by_status),
            "open": self.open,
            "overdue": self.overdue,
            "resolved": self.finished,
            "average_resolution_days": _mean(self.calendar_days),
            "resolved_within_cap_percent": self.on_time_percent,
            "average_rating": round(statistics.fmean(self.ratings), 2) if self.ratings else None,
            # added for the officer pages
            "received": self.received,
            "finished": self.finished,
            "closed_other": self.closed_other,
            "resolution": self.resolution(),
            "within_cap": {"on_time": self.on_time, "counted": self.cap_known, "percent": self.on_time_percent},
            "followed_up": {
                "count": self.followed_up,
                "base": self.followed_up_base,
                "percent": _percent(self.followed_up, self.followed_up_base),
            },
            "rating": self.rating(),
            "on_hold": {"count": self.by_status.get(Status.DITUNDA.value, 0), "days_total": self.paused_days},
            "reopened": self.reopened,
        }

    def agency_row(self, agency_id: str | None, name: str, short_name: str) -> dict:
        return {
            "agency_id": agency_id,
            "name": name,
            "short_name": short_name,
            "received": self.received,
            "finished": self.finished,
            "in_process": self.open,
            "closed_other": self.closed_other,
            "overdue": self.overdue,
            "on_time": self.on_time,
            "on_time_counted": self.cap_known,
            "on_time_percent": self.on_time_percent,
            "on_time_rate": self.on_time_rate,
            "median_working_days": self.median_working_days,
            "by_channel": dict(self.channels),
        }


# ------------------------------------------------------------------------------------------- tables


def agency_names(agency_id: str | None, agencies: Mapping[str, Agency]) -> tuple[str, str]:
    """(name, short name) of an OPD from the directory; its id if the directory no longer knows it."""
    if agency_id is None:
        return UNASSIGNED_LABEL, UNASSIGNED_LABEL
    agency = agencies.get(agency_id)
    if agency is None:
        return agency_id, agency_id
    return agency.name, agency.short_name or agency.name


def agency_table(
    facts: Iterable[CaseFacts],
    now: datetime,
    calendar: WorkingCalendar | None,
    agencies: Mapping[str, Agency],
    *,
    every_active_agency: bool = False,
) -> list[dict]:
    """One row per lead OPD (and one "Belum didisposisikan" row for cases without a lead yet, last).

    The dashboard lists the OPDs that received cases, busiest first; the recap
    (``every_active_agency=True``) lists every active OPD, zeros included, by name.
    """
    groups: dict[str | None, Tally] = {}
    if every_active_agency:
        for agency_id, agency in agencies.items():
            if agency.active:
                groups[agency_id] = Tally()
    for fact in facts:
        groups.setdefault(fact.lead, Tally()).add(fact, now, calendar)
    rows = [tally.agency_row(lead, *agency_names(lead, agencies)) for lead, tally in groups.items()]
    if every_active_agency:
        rows.sort(key=lambda row: (row["agency_id"] is None, row["name"].casefold()))
    else:
        rows.sort(key=lambda row: (row["agency_id"] is None, -row["received"], row["name"].casefold()))
    return rows


def channel_table(tally: Tally) -> list[dict]:
    """Received and finished per channel, busiest first (channels with no case left out)."""
    order = {code: index for index, code in enumerate((*CHANNEL_LABELS, OTHER_CHANNEL))}
    rows = [
        {
            "channel": code,
            "label": channel_label(code),
            "received": count,
            "finished": tally.channels_finished.get(code, 0),
        }
        for code, count in tally.channels.items()
        if count
    ]
    rows.sort(key=lambda row: (-row["received"], order.get(row["channel"], len(order))))
    return rows


# ------------------------------------------------------------------------------------------- use cases


def resolve_agency(actor: Actor, agency_id: str | None, noun: str = "dasbor") -> str | None:
    """The agency whose figures the actor gets (None: the whole city), or NotPermitted.

    Admin and leadership may look at the city or any OPD; OPD officers and supervisors only at their own.
    """
    agency_id = agency_id or None
    if actor.role in (Role.OPD, Role.SUPERVISOR):
        if not actor.agency_id or agency_id not in (None, actor.agency_id):
            raise NotPermitted(f"Anda hanya dapat melihat {noun} OPD Anda sendiri.")
        return actor.agency_id
    if actor.role not in (Role.ADMIN, Role.LEADERSHIP):
        raise NotPermitted(f"{noun.capitalize()} hanya untuk petugas.")
    return agency_id


def dashboard(ctx: Context, actor: Actor, months: int = 3, agency_id: str | None = None) -> dict:
    """City-wide for the admin and leadership; an OPD's own figures for its officers and supervisor."""
    agency_id = resolve_agency(actor, agency_id)
    months = max(1, min(months, 24))
    scope = agency_scope(agency_id) if agency_id else CITY_SCOPE
    now = ctx.now()
    period = recent_months(now, months)
    facts = parse_entries(ctx.aggregates.read(scope, period).values())
    calendar = ctx.calendar
    tally = Tally.of(facts, now, calendar)
    return {
        "scope": scope,
        "months": period,
        **tally.figures(),
        "per_agency": agency_table(facts, now, calendar, ctx.agencies) if scope == CITY_SCOPE else None,
        "per_channel": channel_table(tally),
    }


def summarise(entries, now: datetime, calendar: WorkingCalendar | None = None) -> dict:
    """The figures of raw aggregate entries (working days only when a calendar is given)."""
    return Tally.of(parse_entries(entries), now, calendar).figures()


# ------------------------------------------------------------------------------------------- the page


def _period_choice(months: object) -> int:
    if months is None or months == "":
        return 3
    try:
        chosen = int(str(months).strip())
    except ValueError:
        chosen = 0
    if chosen not in PERIOD_CHOICES:
        raise ValidationFailed("Periode harus 1, 3, 6 atau 12 bulan terakhir.", field="months")
    return chosen


def agency_options(ctx: Context, actor: Actor, selected: str | None) -> list[dict]:
    """The OPD select of the officer pages: only admin and leadership may choose (empty list otherwise)."""
    if actor.role not in (Role.ADMIN, Role.LEADERSHIP):
        return []
    active = sorted((a for a in ctx.agencies.values() if a.active), key=lambda a: a.name.casefold())
    return [
        {"value": "", "label": "Seluruh kota", "selected": selected is None},
        *({"value": a.agency_id, "label": a.name, "selected": a.agency_id == selected} for a in active),
    ]


def scope_label(ctx: Context, agency_id: str | None) -> str:
    return agency_names(agency_id, ctx.agencies)[0] if agency_id else ctx.settings.city_name


def check_agency_exists(ctx: Context, agency_id: str | None) -> None:
    if agency_id and agency_id not in ctx.agencies:
        raise ValidationFailed("OPD tidak dikenal.", field="agency")


def dashboard_page_context(ctx: Context, actor: Actor, months: object = 3, agency: str | None = None) -> dict:
    """What ``petugas/dasbor.html`` needs (besides base, city_name, officer, csrf_token, menu).

    ``months`` and ``agency`` come straight from the query string (``?months=3&agency=dpupr``): a period
    other than 1, 3, 6 or 12 or an unknown OPD is a ValidationFailed; another OPD's figures for an OPD
    officer a NotPermitted.
    """
    from chalicelib.web import charts
    from chalicelib.web.charts import format_days, format_number, format_percent

    period = _period_choice(months)
    agency_id = resolve_agency(actor, (agency or "").strip() or None)
    check_agency_exists(ctx, agency_id)
    figures = dashboard(ctx, actor, period, agency_id)
    resolution, rating = figures["resolution"], figures["rating"]
    within_cap, followed = figures["within_cap"], figures["followed_up"]

    status_rows = [
        {
            "status": s.value,
            "label": s.label,
            "count": figures["by_status"][s.value],
            "count_text": format_number(figures["by_status"][s.value]),
        }
        for s in STATUS_ORDER
    ]
    rating_rows = [
        {
            "score": score,
            "label": f"{score} bintang",
            "count": figures["rating"]["distribution"][str(score)],
            "count_text": format_number(figures["rating"]["distribution"][str(score)]),
        }
        for score in range(5, 0, -1)
    ]
    agency_rows = [
        {
            "agency_id": row["agency_id"],
            "name": row["name"],
            "received": format_number(row["received"]),
            "finished": format_number(row["finished"]),
            "in_process": format_number(row["in_process"]),
            "overdue": format_number(row["overdue"]),
            "overdue_warn": row["overdue"] > 0,
            "on_time": format_percent(row["on_time_percent"]),
            "median_working_days": format_number(row["median_working_days"], 1),
        }
        for row in figures["per_agency"] or []
    ]
    channel_rows = [
        {"label": row["label"], "received": format_number(row["received"]), "finished": format_number(row["finished"])}
        for row in figures["per_channel"]
    ]
    cards = [
        {"label": "Laporan masuk", "value": format_number(figures["received"]), "note": "", "warn": False},
        {"label": "Dalam proses", "value": format_number(figures["open"]), "note": "", "warn": False},
        {
            "label": "Melewati batas waktu",
            "value": format_number(figures["overdue"]),
            "note": "laporan dalam proses saat ini",
            "warn": figures["overdue"] > 0,
        },
        {"label": "Selesai", "value": format_number(figures["finished"]), "note": "", "warn": False},
        {
            "label": "Selesai tepat waktu",
            "value": format_percent(within_cap["percent"]),
            "note": f"{format_number(within_cap['on_time'])} dari {format_number(within_cap['counted'])} "
            "laporan selesai, sebelum batas akhir",
            "warn": False,
        },
        {
            "label": "Median waktu penyelesaian",
            "value": format_days(resolution["working_days_median"]),
            "note": f"rata-rata {format_days(resolution['working_days_mean'])}",
            "warn": False,
        },
        {
            "label": "Ditindaklanjuti",
            "value": format_percent(followed["percent"]),
            "note": f"{format_number(followed['count'])} dari {format_number(followed['base'])} laporan",
            "warn": False,
        },
        {
            "label": "Kepuasan pelapor",
            "value": f"{format_number(rating['average'], 1)} / 5" if rating["average"] is not None else "–",
            "note": f"{format_number(rating['count'])} penilaian",
            "warn": False,
        },
    ]
    chart_rows_agencies = [
        (row["short_name"], row["received"]) for row in figures["per_agency"] or [] if row["received"]
    ]
    return {
        "page_title": "Dasbor",
        "figures": figures,
        "months": period,
        "period_label": period_label(figures["months"]),
        "scope_label": scope_label(ctx, agency_id),
        "agency_id": agency_id or "",
        "month_options": [
            {"value": n, "label": "Bulan ini" if n == 1 else f"{n} bulan terakhir", "selected": n == period}
            for n in PERIOD_CHOICES
        ],
        "agency_options": agency_options(ctx, actor, agency_id),
        "cards": cards,
        "status_rows": status_rows,
        "resolution": {
            "count": format_number(resolution["count"]),
            "working_days_mean": format_days(resolution["working_days_mean"]),
            "working_days_median": format_days(resolution["working_days_median"]),
            "calendar_days_mean": format_days(resolution["calendar_days_mean"], "hari kalender"),
            "within_cap": format_percent(within_cap["percent"]),
            "followed_up": format_percent(followed["percent"]),
        },
        "rating": {
            "average": format_number(rating["average"], 1),
            "count": format_number(rating["count"]),
            "rated_percent": format_percent(rating["rated_percent"]),
            "rows": rating_rows,
        },
        "show_agency_table": figures["per_agency"] is not None,
        "agency_rows": agency_rows,
        "channel_rows": channel_rows,
        "charts": {
            "status": charts.bar_chart(
                [(row["label"], row["count"]) for row in status_rows if row["count"]],
                title="Jumlah laporan menurut status",
            ),
            "agencies": charts.bar_chart(chart_rows_agencies, title="Laporan masuk per OPD penanggung jawab"),
            "channels": charts.bar_chart(
                [(row["label"], row["received"]) for row in figures["per_channel"]],
                title="Laporan masuk menurut kanal",
            ),
            "ratings": charts.bar_chart(
                [(row["label"], row["count"]) for row in rating_rows] if rating["count"] else [],
                title="Sebaran penilaian pelapor",
            ),
        },
    }
