"""The dashboard: the figures KemenPAN-RB judges a city by, for any range of days, scope and breakdown.

Figures come from the counters of `domain/figures.py` (cases counted in the WIB day, ISO week and month they
were received): a view reads the fewest period items covering its days (`periods_covering`) for each scope
it shows, one BatchGetItem per 100 items, however many cases there are. Definitions: README, "Angka kinerja".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from chalicelib.domain.calendar import MONTH_NAMES, WIB, format_date_id
from chalicelib.domain.case import Actor, Channel, Role, Status
from chalicelib.domain.errors import NotPermitted, ValidationFailed
from chalicelib.domain.figures import CITY, NONE, figures, periods_covering, periods_in, scope_key

if TYPE_CHECKING:
    from chalicelib.domain.routing import Agency
    from chalicelib.services.context import Context

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
UNASSIGNED_LABEL = "Belum didisposisikan"
NO_CATEGORY_LABEL = "Tanpa kategori"
PERIOD_CHOICES = (1, 3, 6, 12)  # the officer page's period selector (months, the current one included)
BY_CHOICES = ("agency", "category", "channel", "day", "week", "month")
FILTERS = ("agency", "category", "channel")
MAX_RANGE_DAYS = 3 * 366  # a longer range is a request for the yearly figures, one year at a time
MAX_SERIES = {"day": 93, "week": 106, "month": 37}
FIRST_DAY = date(2000, 1, 1)  # before any case Aduan can hold (tests walk 2012)


def channel_label(channel: str | None) -> str:
    return CHANNEL_LABELS.get(channel or "", channel or "–")


def month_label(month: str) -> str:
    """'2026-11' -> 'November 2026'."""
    year, number = month.split("-")
    return f"{MONTH_NAMES[int(number) - 1]} {int(year)}"


def range_label(first: date, last: date) -> str:
    """'November 2026' for a whole month, else '1 Oktober – 30 November 2026' (from `format_date_id`)."""
    if first.day == 1 and (last + timedelta(days=1)).day == 1 and (first.year, first.month) == (last.year, last.month):
        return month_label(f"{first.year:04d}-{first.month:02d}")
    return f"{format_date_id(first)} – {format_date_id(last)}"


def today_wib(now: datetime) -> date:
    return now.astimezone(WIB).date()


def months_back(today: date, months: int) -> date:
    """The first day of the month `months - 1` months before today's (1: this month)."""
    year, month = today.year, today.month - (months - 1)
    while month <= 0:
        year, month = year - 1, month + 12
    return date(year, month, 1)


# ------------------------------------------------------------------------------------------- access


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


def agency_names(agency_id: str | None, agencies: Mapping[str, Agency]) -> tuple[str, str]:
    """(name, short name) of an OPD from the directory; its id if the directory no longer knows it."""
    if agency_id is None or agency_id == NONE:
        return UNASSIGNED_LABEL, UNASSIGNED_LABEL
    agency = agencies.get(agency_id)
    if agency is None:
        return agency_id, agency_id
    return agency.name, agency.short_name or agency.name


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


# ------------------------------------------------------------------------------------------- the query


def _date(value: object, field: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationFailed("Tanggal harus ditulis TTTT-BB-HH, misalnya 2026-11-30.", field=field) from None


def _range(today: date, first: object, last: object, months: int | None) -> tuple[date, date]:
    start, end = _date(first, "from"), _date(last, "to")
    if months is not None and start is None:
        if not 1 <= months <= 36:
            raise ValidationFailed("Periode harus 1 sampai 36 bulan.", field="months")
        start = months_back(end or today, months)
    end = end or today
    start = start or date(end.year, end.month, 1)
    if start > end:
        raise ValidationFailed("Tanggal awal harus sebelum tanggal akhir.", field="from")
    if start < FIRST_DAY:
        raise ValidationFailed("Angka tersedia mulai 1 Januari 2000.", field="from")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise ValidationFailed("Rentang tanggal paling lama tiga tahun.", field="to")
    if end > date(9000, 1, 1):
        raise ValidationFailed("Tanggal akhir tidak masuk akal.", field="to")
    return start, end


def _scope(ctx: Context, actor: Actor, agency: str | None, category: str | None, channel: str | None) -> tuple:
    """(kind, id) of the scope asked for; OPD officers always get their own OPD."""
    agency_id = resolve_agency(actor, (agency or "").strip() or None)
    check_agency_exists(ctx, agency_id)
    category = (category or "").strip() or None
    channel = (channel or "").strip() or None
    if category is not None and category != NONE and category not in ctx.categories:
        raise ValidationFailed("Kategori tidak dikenal.", field="category")
    if channel is not None and channel not in CHANNEL_LABELS:
        raise ValidationFailed("Kanal tidak dikenal.", field="channel")
    chosen = [(kind, value) for kind, value in (("agency", agency_id), ("category", category), ("channel", channel))
              if value is not None]
    if len(chosen) > 1:
        if actor.role in (Role.OPD, Role.SUPERVISOR):
            raise ValidationFailed("Angka OPD tidak dapat disaring lagi menurut kategori atau kanal; rinciannya "
                                   "menurut kanal ada di 'by_channel'.", field="category" if category else "channel")
        raise ValidationFailed("Saring menurut satu hal saja: OPD, kategori atau kanal.", field=chosen[1][0])
    return chosen[0] if chosen else (CITY, None)


def _label(ctx: Context, kind: str, value: str | None) -> str:
    if kind == CITY:
        return ctx.settings.city_name
    if kind == "agency":
        return agency_names(value, ctx.agencies)[0]
    if kind == "category":
        category = ctx.categories.get(value or "")
        return category.name if category else NO_CATEGORY_LABEL if value in (None, NONE) else str(value)
    return channel_label(value)


def _breakdown(ctx: Context, by: str) -> list[tuple[str, str]]:
    """(id, label) of every row of a breakdown by OPD, category or channel (active ones, plus "none")."""
    if by == "agency":
        rows = [(a.agency_id, a.name) for a in ctx.agencies.values() if a.active]
        return [*sorted(rows, key=lambda r: r[1].casefold()), (NONE, UNASSIGNED_LABEL)]
    if by == "category":
        rows = [(c.category_id, c.name) for c in ctx.categories.values() if c.active]
        return [*sorted(rows, key=lambda r: r[1].casefold()), (NONE, NO_CATEGORY_LABEL)]
    return list(CHANNEL_LABELS.items())


def dashboard(
    ctx: Context,
    actor: Actor,
    *,
    first: object = None,
    last: object = None,
    agency: str | None = None,
    category: str | None = None,
    channel: str | None = None,
    by: str | None = None,
    months: int | None = None,
) -> dict:
    """The figures of one scope (the city, an OPD, a category or a channel) for the cases received from
    `first` to `last` (WIB dates; default: this month so far, or the last `months` months), with rows
    `by` OPD, category, channel, day, ISO week or month.

    One filter at a time (the counters are kept per single dimension); OPD officers and supervisors get
    their own OPD only. A breakdown by another dimension than the filter's is refused, except that every
    answer carries `by_channel` (received and closed per channel).
    """
    now = ctx.now()
    today = today_wib(now)
    start, end = _range(today, first, last, months)
    kind, value = _scope(ctx, actor, agency, category, channel)
    by = (by or "").strip() or None
    if by is not None and by not in BY_CHOICES:
        raise ValidationFailed("'by' harus salah satu dari: " + ", ".join(BY_CHOICES) + ".", field="by")
    if by in FILTERS and kind not in (CITY, by):
        raise ValidationFailed("Rincian menurut hal lain dari saringan tidak tersedia.", field="by")
    scope = scope_key(kind, value) if kind != CITY else CITY
    periods = periods_covering(start, end)

    wanted: dict[str, tuple[str, list[str]]] = {}  # row key -> (scope, periods)
    row_specs: list[tuple[str, str, str, list[str]]] = []  # (key, label, scope, periods)
    if by in FILTERS:
        rows = _breakdown(ctx, by) if kind == CITY else [(value or NONE, _label(ctx, kind, value))]
        row_specs = [(key, label, scope_key(by, key), periods) for key, label in rows]
    elif by is not None:
        series = periods_in(start, end, by)
        if len(series) > MAX_SERIES[by]:
            raise ValidationFailed(f"Rentang terlalu panjang untuk rincian per {by}: paling banyak "
                                   f"{MAX_SERIES[by]} baris.", field="by")
        row_specs = [(key[1:], range_label(a, b), scope, periods_covering(a, b)) for key, a, b in series]
    for key, _label_text, row_scope, row_periods in row_specs:
        wanted[key] = (row_scope, row_periods)

    keys = {(scope, p) for p in periods}
    for row_scope, row_periods in wanted.values():
        keys.update((row_scope, p) for p in row_periods)
    items = ctx.figures.read_items(sorted(keys))

    def total(of_scope: str, of_periods: list[str]) -> dict[str, int]:
        summed: dict[str, int] = {}
        for period in of_periods:
            for name, count in items.get((of_scope, period), {}).items():
                summed[name] = summed.get(name, 0) + count
        return summed

    main = figures(total(scope, periods), today, ctx.policy)
    rows = None
    if row_specs:
        rows = [
            {"key": key, "label": label, **figures(total(row_scope, row_periods), today, ctx.policy)}
            for key, label, row_scope, row_periods in row_specs
        ]
        if by in ("agency", "category", "channel") and kind == CITY:
            rows.sort(key=lambda r: (r["key"] == NONE, -r["received"], r["label"].casefold()))
            rows = [r for r in rows if r["key"] != NONE or r["received"]]
    close_days = main["time"]["close"]["days"]
    return {
        "scope": {"kind": kind, "id": value, "label": _label(ctx, kind, value)},
        "from": start.isoformat(),
        "to": end.isoformat(),
        "today": today.isoformat(),
        "generated_at": now.isoformat(),
        "period_label": range_label(start, end),
        "policy": {
            "verify_days": ctx.policy.verify_days,
            "follow_up_days": ctx.policy.follow_up_days_for(None),
            "finish_cap_days": ctx.policy.finish_cap_days,
        },
        **main,
        # the first version's keys, kept for API clients
        "total": main["received"],
        "resolved": main["closed"],
        "average_resolution_days": close_days["mean"],
        "resolved_within_cap_percent": main["shares"]["closed_within_cap"]["percent"],
        "average_rating": main["rating"]["average"],
        "by": by,
        "rows": rows,
    }


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


def _duration_rows(view: dict) -> list[dict]:
    from chalicelib.web.charts import format_number

    names = {
        "resolution": ("Waktu penyelesaian", "diterima → tindak lanjut yang tidak disanggah pelapor"),
        "verify": ("Verifikasi", "diterima → diverifikasi admin"),
        "follow_up": ("Tindak lanjut pertama", "didisposisikan → tindak lanjut pertama OPD"),
        "close": ("Sampai ditutup", "diterima → selesai (termasuk menunggu konfirmasi pelapor)"),
    }
    out = []
    for key, (label, note) in names.items():
        work, days = view["time"][key]["working_days"], view["time"][key]["days"]
        out.append({
            "label": label,
            "note": note,
            "count": format_number(work["count"]),
            "median": format_number(work["median"]),
            "p90": format_number(work["p90"]),
            "mean": format_number(work["mean"], 1),
            "days_median": format_number(days["median"]),
            "days_mean": format_number(days["mean"], 1),
        })
    return out


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
    view = dashboard(ctx, actor, months=period, agency=agency_id, by="agency" if agency_id is None else None)
    shares, rating = view["shares"], view["rating"]
    resolution = view["time"]["resolution"]["working_days"]

    def share_note(share: dict, what: str) -> str:
        return f"{format_number(share['count'])} dari {format_number(share['of'])} {what}"

    status_rows = [
        {"status": s.value, "label": s.label, "count": view["by_status"][s.value],
         "count_text": format_number(view["by_status"][s.value])}
        for s in STATUS_ORDER
    ]
    rating_rows = [
        {"score": score, "label": f"{score} bintang", "count": rating["distribution"][str(score)],
         "count_text": format_number(rating["distribution"][str(score)])}
        for score in range(5, 0, -1)
    ]
    agency_rows = [
        {
            "agency_id": row["key"],
            "name": row["label"],
            "received": format_number(row["received"]),
            "finished": format_number(row["closed"]),
            "in_process": format_number(row["open"]),
            "overdue": format_number(row["overdue"]),
            "overdue_warn": row["overdue"] > 0,
            "on_time": format_percent(row["shares"]["closed_within_deadline"]["percent"]),
            "median_working_days": format_number(row["time"]["resolution"]["working_days"]["median"]),
            "p90_working_days": format_number(row["time"]["resolution"]["working_days"]["p90"]),
        }
        for row in view["rows"] or []
        if row["received"]  # the page lists the OPDs with cases in the period; the API lists every one
    ]
    channel_rows = [
        {"label": channel_label(code), "received": format_number(c["received"]), "finished": format_number(c["closed"]),
         "count": c["received"]}
        for code, c in sorted(view["by_channel"].items(), key=lambda kv: -kv[1]["received"])
        if c["received"]
    ]
    cards = [
        {"label": "Laporan masuk", "value": format_number(view["received"]), "note": "", "warn": False},
        {"label": "Dalam proses", "value": format_number(view["open"]),
         "note": f"{format_number(view['on_hold'])} ditunda", "warn": False},
        {"label": "Melewati batas waktu", "value": format_number(view["overdue"]),
         "note": "laporan dalam proses saat ini", "warn": view["overdue"] > 0},
        {"label": "Selesai", "value": format_number(view["closed"]),
         "note": f"{format_number(view['reopened'])} pernah dibuka kembali", "warn": False},
        {"label": "Median waktu penyelesaian", "value": format_days(resolution["median"]),
         "note": f"P90 {format_days(resolution['p90'])}; rata-rata {format_days(resolution['mean'])}",
         "warn": False},
        {"label": f"Diverifikasi ≤ {view['policy']['verify_days']} hari kerja",
         "value": format_percent(shares["verified_within"]["percent"]),
         "note": share_note(shares["verified_within"], "laporan terverifikasi"), "warn": False},
        {"label": f"Tindak lanjut pertama ≤ {view['policy']['follow_up_days']} hari kerja",
         "value": format_percent(shares["followed_up_within"]["percent"]),
         "note": share_note(shares["followed_up_within"], "laporan ditindaklanjuti"), "warn": False},
        {"label": "Selesai tepat waktu", "value": format_percent(shares["closed_within_deadline"]["percent"]),
         "note": share_note(shares["closed_within_deadline"], "laporan selesai, setiap tahap sebelum batasnya"),
         "warn": False},
        {"label": f"Selesai dalam {view['policy']['finish_cap_days']} hari",
         "value": format_percent(shares["closed_within_cap"]["percent"]),
         "note": share_note(shares["closed_within_cap"], "laporan selesai, sebelum batas akhir"), "warn": False},
        {"label": "Kepuasan pelapor",
         "value": f"{format_number(rating['average'], 1)} / 5" if rating["average"] is not None else "–",
         "note": f"{format_number(rating['count'])} penilaian", "warn": False},
    ]
    return {
        "page_title": "Dasbor",
        "figures": view,
        "months": period,
        "period_label": view["period_label"],
        "scope_label": scope_label(ctx, agency_id),
        "agency_id": agency_id or "",
        "month_options": [
            {"value": n, "label": "Bulan ini" if n == 1 else f"{n} bulan terakhir", "selected": n == period}
            for n in PERIOD_CHOICES
        ],
        "agency_options": agency_options(ctx, actor, agency_id),
        "cards": cards,
        "status_rows": status_rows,
        "duration_rows": _duration_rows(view),
        "rating": {
            "average": format_number(rating["average"], 1),
            "count": format_number(rating["count"]),
            "rated_percent": format_percent(rating["rated_percent"]),
            "rows": rating_rows,
        },
        "show_agency_table": agency_id is None,
        "agency_rows": agency_rows,
        "channel_rows": channel_rows,
        "charts": {
            "status": charts.bar_chart(
                [(row["label"], row["count"]) for row in status_rows if row["count"]],
                title="Jumlah laporan menurut status",
            ),
            "agencies": charts.bar_chart(
                [(agency_names(row["key"], ctx.agencies)[1], row["received"]) for row in view["rows"] or []
                 if row["received"]],
                title="Laporan masuk per OPD penanggung jawab",
            ),
            "channels": charts.bar_chart(
                [(row["label"], row["count"]) for row in channel_rows], title="Laporan masuk menurut kanal"
            ),
            "ratings": charts.bar_chart(
                [(row["label"], row["count"]) for row in rating_rows] if rating["count"] else [],
                title="Sebaran penilaian pelapor",
            ),
        },
    }
