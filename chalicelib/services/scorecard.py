"""The public scorecard (`/kinerja`, `/kinerja.json`): how each OPD handles complaints, for anyone to read.

Per active OPD of the directory, and for the whole city: this month so far, and the 12 whole months before
it. Every number comes from the figures items (`domain/figures.py`: cohort by WIB month of receipt, the
case counted on its current lead OPD), never from the cases: one batched read of (OPDs + 1) x 13 month
items, whatever the number of cases. Nothing about a single case is in it: no reporter, no text, no
number, only sums.

The JSON shape (English keys, numbers as numbers, null for "no value") is documented on `public_scorecard`
and is the contract of `/kinerja.json`; the page shows the same values in Indonesian number format.

A computed scorecard is kept in-process for `CACHE_SECONDS`, so a burst of readers (a news article, the
open-data portal's harvester) costs one read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from chalicelib.domain.calendar import WIB, format_date_id, to_wib_date
from chalicelib.domain.figures import CITY, add_counters, figures, month_key, period_span, scope_key
from chalicelib.services.context import Context
from chalicelib.services.dashboard import month_label

CACHE_SECONDS = 300
MONTHS_BACK = 12
CITY_ROW_NAME = "Seluruh kota"


@dataclass
class _Cached:
    key: tuple[str, str, str]
    at: datetime
    value: dict


_cache: _Cached | None = None


def forget_cached_scorecard() -> None:
    """Drop the in-process copy (tests; an operator who wants fresh numbers simply waits 5 minutes)."""
    global _cache
    _cache = None


def public_scorecard(ctx: Context) -> dict:
    """The scorecard, JSON-ready; the same dict (do not modify it) for up to `CACHE_SECONDS` in a process.

    Shape::

        {"generated_at": "2026-11-30T12:05:00+07:00",            # WIB, when these numbers were read
         "city": "Kota Kediri",
         "periods": {"this_month":     {"from": "2026-11-01", "to": "2026-11-30", "label": "November 2026"},
                     "last_12_months": {"from": "2025-11-01", "to": "2026-10-31",
                                        "label": "November 2025 – Oktober 2026"}},
         "definitions": {<metric>: <one Indonesian sentence>, ...},
         "rows": [{"agency_id", "name", "short_name", "this_month": {<metrics>}, "last_12_months": {...}}, ...],
         "city_row": {"agency_id": null, "name": "Seluruh kota", "short_name": "Seluruh kota", ...}}

    Metrics of a period (counts are integers, never null; the rest null when there is nothing to measure):
    complaints, closed (SELESAI now), closed_on_time, on_time_percent (closed_on_time of closed),
    followed_up, follow_up_median_working_days, follow_up_p90_working_days (of followed_up), reopened,
    reopen_rate_percent (reopened of complaints), rating_average (1-5), rating_count.
    """
    global _cache
    now = ctx.now()
    key = (ctx.settings.city_code, ctx.settings.city_name, month_key(to_wib_date(now)))
    cached = _cache
    if cached is not None and cached.key == key and timedelta(0) <= now - cached.at < timedelta(seconds=CACHE_SECONDS):
        return cached.value
    value = compute_scorecard(ctx, now)
    _cache = _Cached(key, now, value)
    return value


def compute_scorecard(ctx: Context, now: datetime) -> dict:
    """The scorecard as of `now`, read afresh: one BatchGetItem per 100 items, (OPDs + 1) x 13 items."""
    today = to_wib_date(now)
    this_month, last_months = scorecard_months(today)
    agencies = sorted((a for a in ctx.agencies.values() if a.active), key=lambda a: (a.name.casefold(), a.agency_id))
    scopes = [CITY, *(scope_key("agency", a.agency_id) for a in agencies)]
    periods = [this_month, *last_months]
    items = ctx.figures.read_items([(scope, period) for scope in scopes for period in periods])

    def metrics(scope: str, months: list[str]) -> dict:
        counters = add_counters(items.get((scope, month), {}) for month in months)
        return period_metrics(figures(counters, today, ctx.policy))

    def row(scope: str, agency_id: str | None, name: str, short_name: str) -> dict:
        return {
            "agency_id": agency_id,
            "name": name,
            "short_name": short_name,
            "this_month": metrics(scope, [this_month]),
            "last_12_months": metrics(scope, last_months),
        }

    first_last, last_last = period_span(last_months[0])[0], period_span(last_months[-1])[1]
    return {
        "generated_at": now.astimezone(WIB).isoformat(timespec="seconds"),
        "city": ctx.settings.city_name,
        "periods": {
            "this_month": {"from": period_span(this_month)[0].isoformat(), "to": today.isoformat(),
                           "label": _month_label(this_month)},
            "last_12_months": {"from": first_last.isoformat(), "to": last_last.isoformat(),
                               "label": f"{_month_label(last_months[0])} – {_month_label(last_months[-1])}"},
        },
        "definitions": definitions(ctx),
        "rows": [row(scope_key("agency", a.agency_id), a.agency_id, a.name, a.short_name or a.name)
                 for a in agencies],
        "city_row": row(CITY, None, CITY_ROW_NAME, CITY_ROW_NAME),
    }


def scorecard_months(today: date) -> tuple[str, list[str]]:
    """The current month's key and the keys of the 12 whole months before it, oldest first."""
    keys: list[str] = []
    first = today.replace(day=1)
    for _ in range(MONTHS_BACK):
        first = (first - timedelta(days=1)).replace(day=1)
        keys.append(month_key(first))
    return month_key(today), keys[::-1]


def period_metrics(fig: Mapping) -> dict:
    """The scorecard's few numbers out of `domain.figures.figures`."""
    on_time = fig["shares"]["closed_within_deadline"]
    reopen = fig["shares"]["reopen_rate"]
    follow = fig["time"]["follow_up"]["working_days"]
    return {
        "complaints": fig["received"],
        "closed": fig["closed"],
        "closed_on_time": on_time["count"],
        "on_time_percent": on_time["percent"],
        "followed_up": follow["count"],
        "follow_up_median_working_days": follow["median"],
        "follow_up_p90_working_days": follow["p90"],
        "reopened": reopen["count"],
        "reopen_rate_percent": reopen["percent"],
        "rating_average": fig["rating"]["average"],
        "rating_count": fig["rating"]["count"],
    }


def definitions(ctx: Context) -> dict[str, str]:
    """One sentence per metric, in Bahasa Indonesia (shown under the table and shipped in the JSON)."""
    policy = ctx.policy
    return {
        "periods": "Setiap pengaduan dihitung pada bulan diterimanya (WIB) dan pada OPD penanggung jawabnya saat "
                   "ini; angka bulan berjalan masih berubah karena banyak pengaduannya belum selesai.",
        "complaints": "Jumlah pengaduan yang diterima dalam periode itu.",
        "closed": "Jumlah pengaduan yang kini berstatus selesai.",
        "on_time_percent": f"Bagian pengaduan selesai yang diverifikasi paling lama {policy.verify_days} hari kerja "
                           "dan ditindaklanjuti OPD dalam batas waktu tingkat urgensinya (umumnya "
                           f"{policy.follow_up_days_for(None)} hari kerja).",
        "follow_up_median_working_days": "Separuh pengaduan ditindaklanjuti OPD dalam jumlah hari kerja ini atau "
                                         "kurang, dihitung sejak diteruskan ke OPD dan tanpa masa penundaan.",
        "follow_up_p90_working_days": "Sembilan dari sepuluh pengaduan ditindaklanjuti OPD dalam jumlah hari kerja "
                                      "ini atau kurang.",
        "reopen_rate_percent": "Bagian pengaduan yang dibuka kembali, karena pelapor menyanggah tindak lanjut atau "
                               "laporan yang sudah ditutup dibuka ulang.",
        "rating_average": "Rata-rata penilaian pelapor (1 sampai 5) atas pengaduan yang selesai, dengan jumlah "
                          "penilaiannya.",
    }


def _month_label(key: str) -> str:
    """'M2026-11' (a figures month key) -> 'November 2026', as the dashboard and the recap name months."""
    return month_label(key.removeprefix("M"))


# ------------------------------------------------------------------------------------------- the page


def scorecard_page(card: Mapping) -> dict:
    """What `kinerja.html` shows: the same scorecard with every number as Indonesian text ('–' for none)."""
    from chalicelib.web.charts import format_number, format_percent

    def of(part: int, whole: int) -> str:
        return f"{format_number(part)} dari {format_number(whole)}" if whole else ""

    def shown(m: Mapping) -> dict:
        return {
            "complaints": format_number(m["complaints"]),
            "on_time": format_percent(m["on_time_percent"]),
            "on_time_of": of(m["closed_on_time"], m["closed"]),
            "median": format_number(m["follow_up_median_working_days"]),
            "p90": format_number(m["follow_up_p90_working_days"]),
            "followed_up": f"{format_number(m['followed_up'])} ditindaklanjuti" if m["followed_up"] else "",
            "reopen": format_percent(m["reopen_rate_percent"]),
            "reopen_of": of(m["reopened"], m["complaints"]),
            "rating": format_number(m["rating_average"], 1),
            "rating_count": f"{format_number(m['rating_count'])} penilaian" if m["rating_count"] else "",
        }

    def row(r: Mapping, anchor: str) -> dict:
        return {"anchor": anchor, "name": r["name"], "short_name": r["short_name"],
                "this_month": shown(r["this_month"]), "last_12_months": shown(r["last_12_months"])}

    periods = card["periods"]
    this_from, this_to = (date.fromisoformat(periods["this_month"][k]) for k in ("from", "to"))
    return {
        "generated_at": _moment_text(card["generated_at"]),
        "this_month": {"label": periods["this_month"]["label"],
                       "span": _span_text(this_from, this_to)},
        "last_12_months": {"label": periods["last_12_months"]["label"]},
        "definitions": card["definitions"],
        "city_row": row(card["city_row"], "kota"),
        "rows": [row(r, f"opd-{index}") for index, r in enumerate(card["rows"], start=1)],
    }


def _span_text(first: date, last: date) -> str:
    return format_date_id(last) if first == last else f"{first.day}–{format_date_id(last)}"


def _moment_text(iso: str) -> str:
    moment = datetime.fromisoformat(iso).astimezone(WIB)
    return f"{format_date_id(moment.date())} pukul {moment:%H.%M} WIB"
