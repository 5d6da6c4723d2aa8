"""The monthly recap per OPD, in the shape an evaluator (KemenPAN-RB, the SP4N-LAPOR! recap) reads it.

One row per lead OPD for one WIB month of receipt (cohort: the cases received that month, as they stand
now): received, finished (SELESAI), in process, closed otherwise, overdue now, the share finished within
the stage deadlines and within the cap, the median and P90 working days to resolution (to the lead OPD's
follow-up the citizen did not dispute, without the days on hold), reopened cases, the average rating and
the count by channel; then the total row. Every figure is `domain/figures.py::figures` of the month items
of the city's figures, whose definitions the README gives; the whole recap is one BatchGetItem of the
month item of the city, of every OPD in the directory and of the cases not yet forwarded, however many
cases the month holds.

The total row is the city's own item, never a sum of the rows: medians and shares do not add, counters
do. A case counts under its lead OPD only, so the old "… sebagai OPD pendukung" row is gone: an OPD's
recap is the cases it leads, and its total row is that same row. Rows: every active OPD (zeros too), an
inactive one only if it led a case that month, and "Belum didisposisikan" (no lead OPD yet) last.

Downloads: `recap_csv` (UTF-8 with a BOM so Excel picks the encoding, comma-separated, CRLF, dot decimals,
percentages 0-100) and `recap_xlsx` (xlsxwriter, imported only there: the recap download is its only user).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from chalicelib.domain.calendar import WIB, format_moment_id, to_wib_date
from chalicelib.domain.case import Actor, Role
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.figures import CITY, figures, month_key, scope_key
from chalicelib.services.dashboard import (
    CHANNEL_LABELS,
    UNASSIGNED_LABEL,
    agency_names,
    agency_options,
    check_agency_exists,
    month_label,
    resolve_agency,
    scope_label,
)
from chalicelib.services.figures import read_counters

if TYPE_CHECKING:
    from chalicelib.services.context import Context

FIRST_MONTH = (2020, 1)
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
TOTAL_LABEL = "Jumlah"
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# (key in a row, header, kind) — kind picks the number format: text, int, pct (a 0..1 share), avg (0.0).
# "{cap}" in a header is the policy's cap in calendar days.
COLUMNS = (
    ("name", "OPD", "text"),
    ("received", "Laporan masuk", "int"),
    ("closed", "Selesai", "int"),
    ("open", "Dalam proses", "int"),
    ("closed_other", "Ditutup lainnya (bukan wewenang, diarsipkan, digabung)", "int"),
    ("overdue", "Melewati batas waktu (saat rekap dibuat)", "int"),
    ("closed_within_deadline", "Selesai tepat waktu (%)", "pct"),
    ("closed_within_cap", "Selesai dalam {cap} hari (%)", "pct"),
    ("median_working_days", "Median waktu penyelesaian (hari kerja)", "int"),
    ("p90_working_days", "P90 waktu penyelesaian (hari kerja)", "int"),
    ("reopened", "Dibuka kembali", "int"),
    ("rating_average", "Rata-rata penilaian (1-5)", "avg"),
)


def current_month(now: datetime) -> str:
    return now.astimezone(WIB).strftime("%Y-%m")


def parse_month(value: object, now: datetime) -> str:
    """A month 'YYYY-MM' from January 2020 up to the current WIB month, or ValidationFailed."""
    text = value.strip() if isinstance(value, str) else ""
    match = _MONTH.fullmatch(text)
    if match is None:
        raise ValidationFailed("Bulan harus ditulis TTTT-BB, misalnya 2026-11.", field="bulan")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValidationFailed("Bulan harus antara 01 dan 12.", field="bulan")
    if (year, month) < FIRST_MONTH:
        raise ValidationFailed("Rekap tersedia mulai Januari 2020.", field="bulan")
    local = now.astimezone(WIB)
    if (year, month) > (local.year, local.month):
        raise ValidationFailed("Rekap untuk bulan yang belum berjalan belum tersedia.", field="bulan")
    return f"{year:04d}-{month:02d}"


def month_choices(now: datetime) -> list[str]:
    """Every month a recap can be asked for, newest first."""
    local = now.astimezone(WIB)
    year, month = local.year, local.month
    months = []
    while (year, month) >= FIRST_MONTH:
        months.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return months


def _share(share: dict) -> float | None:
    """A share as 0..1 from its exact count (not from the rounded percent), None when nothing counts."""
    return share["count"] / share["of"] if share["of"] else None


def recap_row(figs: dict, agency_id: str | None, name: str, short_name: str) -> dict:
    """One row of the recap from the figures of one scope."""
    shares = figs["shares"]
    resolution = figs["time"]["resolution"]["working_days"]
    return {
        "agency_id": agency_id,
        "name": name,
        "short_name": short_name,
        "received": figs["received"],
        "closed": figs["closed"],
        "open": figs["open"],
        "closed_other": figs["closed_other"],
        "overdue": figs["overdue"],
        "closed_within_deadline": _share(shares["closed_within_deadline"]),
        "closed_within_cap": _share(shares["closed_within_cap"]),
        "median_working_days": resolution["median"],
        "p90_working_days": resolution["p90"],
        "reopened": figs["reopened"],
        "rating_average": figs["rating"]["average"],
        "by_channel": {code: counts["received"] for code, counts in figs["by_channel"].items()},
    }


def monthly_recap(ctx: Context, actor: Actor, month: str, agency_id: str | None = None) -> dict:
    """The recap of one month: the city's for admin and leadership (or one OPD's, with ``agency_id``), an
    OPD's own for its officers and supervisor (NotPermitted for another OPD)."""
    now = ctx.now()
    month = parse_month(month, now)
    agency_id = resolve_agency(actor, agency_id, noun="rekap")
    check_agency_exists(ctx, agency_id)
    year, number = (int(part) for part in month.split("-"))
    period = month_key(date(year, number, 1))
    today = to_wib_date(now)
    agencies = ctx.agencies
    policy = ctx.policy

    if agency_id is not None:
        scope = scope_key("agency", agency_id)
        figs = figures(read_counters(ctx, [scope], [period])[scope], today, policy)
        rows = [recap_row(figs, agency_id, *agency_names(agency_id, agencies))]
        total = recap_row(figs, None, TOTAL_LABEL, TOTAL_LABEL)
    else:
        scope = CITY
        listed = sorted(agencies.values(), key=lambda a: (a.name.casefold(), a.agency_id))
        unassigned = scope_key("agency", None)
        scopes = [CITY, *(scope_key("agency", a.agency_id) for a in listed), unassigned]
        counters = read_counters(ctx, scopes, [period])  # one BatchGetItem for up to 98 OPDs
        rows = []
        for agency in listed:
            figs = figures(counters[scope_key("agency", agency.agency_id)], today, policy)
            if agency.active or figs["received"]:
                rows.append(recap_row(figs, agency.agency_id, *agency_names(agency.agency_id, agencies)))
        rows.append(recap_row(figures(counters[unassigned], today, policy), None, UNASSIGNED_LABEL, UNASSIGNED_LABEL))
        total = recap_row(figures(counters[CITY], today, policy), None, TOTAL_LABEL, TOTAL_LABEL)
    return {
        "month": month,
        "month_label": month_label(month),
        "scope": scope,
        "agency_id": agency_id,
        "scope_label": scope_label(ctx, agency_id),
        "city_name": ctx.settings.city_name,
        "city_code": ctx.settings.city_code,
        "generated_at": now.isoformat(),
        "cap_days": policy.finish_cap_days,
        "channels": [{"channel": code, "label": label} for code, label in CHANNEL_LABELS.items()],
        "rows": rows,
        "total": total,
    }


# ------------------------------------------------------------------------------------------- tables


def recap_columns(recap: dict) -> list[tuple[str, str, str]]:
    """(key, header, kind) of every column, the channel counts last (key ``channel:<code>``)."""
    return [
        *((key, header.format(cap=recap["cap_days"]), kind) for key, header, kind in COLUMNS),
        *((f"channel:{c['channel']}", f"Kanal {c['label']}", "int") for c in recap["channels"]),
    ]


def _cell(row: dict, key: str) -> object:
    if key.startswith("channel:"):
        return row["by_channel"].get(key.removeprefix("channel:"), 0)
    return row.get(key)


def recap_table(recap: dict) -> tuple[list[tuple[str, str, str]], list[list[object]]]:
    """The columns and the raw cells of every row, the total row last (None: no figure)."""
    columns = recap_columns(recap)
    body = [[_cell(row, key) for key, _header, _kind in columns] for row in (*recap["rows"], recap["total"])]
    return columns, body


def _safe_text(text: object) -> str:
    """No spreadsheet formula out of a name ('=…', '+…', '-…', '@…' start one in Excel)."""
    text = "" if text is None else str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_value(value: object, kind: str) -> str:
    if value is None:
        return ""
    if kind == "pct":
        return f"{100 * float(value):.1f}"
    if kind == "avg":
        return f"{float(value):.1f}"
    if kind == "int":
        return str(int(value))
    return _safe_text(value)


def recap_csv(recap: dict) -> bytes:
    """The recap as CSV: UTF-8 with a BOM, a header row in Indonesian, CRLF line ends, empty = no figure."""
    import csv
    import io

    columns, body = recap_table(recap)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header for _key, header, _kind in columns])
    for cells in body:
        writer.writerow([_csv_value(value, kind) for value, (_key, _header, kind) in zip(cells, columns, strict=True)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def recap_xlsx(recap: dict) -> bytes:
    """The recap as an Excel workbook: a title, a bold header row with the panes frozen below it (and right
    of the OPD column), number formats per column, the total row in bold, landscape on one page wide."""
    import io

    import xlsxwriter  # only the recap download needs it

    columns, body = recap_table(recap)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    workbook.set_properties(
        {"title": f"Rekap pengaduan {recap['month_label']}", "author": recap["city_name"], "company": "Aduan"}
    )
    sheet = workbook.add_worksheet(f"Rekap {recap['month']}")
    title_format = workbook.add_format({"bold": True, "font_size": 13})
    header_format = workbook.add_format(
        {"bold": True, "text_wrap": True, "valign": "top", "bottom": 1, "bg_color": "#DDE6F0"}
    )
    number_formats = {"int": "0", "pct": "0.0%", "avg": "0.0"}
    body_formats = {kind: workbook.add_format({"num_format": fmt}) for kind, fmt in number_formats.items()}
    body_formats["text"] = workbook.add_format({"text_wrap": True, "valign": "top"})
    total_formats = {
        kind: workbook.add_format({"num_format": fmt, "bold": True, "top": 1}) for kind, fmt in number_formats.items()
    }
    total_formats["text"] = workbook.add_format({"bold": True, "top": 1})

    sheet.write_string(0, 0, f"Rekap pengaduan {recap['scope_label']} — {recap['month_label']}", title_format)
    as_of = datetime.fromisoformat(recap["generated_at"]).astimezone(WIB)
    sheet.write_string(
        1,
        0,
        "Menurut bulan laporan diterima, per OPD penanggung jawab; waktu penyelesaian dalam hari kerja sampai "
        "tindak lanjut yang tidak disanggah pelapor (hari diterima dan hari ditunda tidak dihitung); "
        f"data per {format_moment_id(as_of)}.",
    )
    header_row = 3
    sheet.set_row(header_row, 48)
    for col, (_key, header, _kind) in enumerate(columns):
        sheet.write_string(header_row, col, header, header_format)
    last = len(body) - 1
    for index, cells in enumerate(body):
        row = header_row + 1 + index
        formats = total_formats if index == last else body_formats
        for col, (value, (_key, _header, kind)) in enumerate(zip(cells, columns, strict=True)):
            if kind == "text":
                sheet.write_string(row, col, _safe_text(value), formats["text"])
            elif value is None:
                sheet.write_blank(row, col, None, formats[kind])
            else:
                sheet.write_number(row, col, float(value) if kind != "int" else int(value), formats[kind])
    name_width = max([len(TOTAL_LABEL), *(len(str(cells[0])) for cells in body)]) + 2
    sheet.set_column(0, 0, min(max(name_width, 24), 60))
    sheet.set_column(1, len(COLUMNS) - 1, 14)
    sheet.set_column(len(COLUMNS), len(columns) - 1, 11)
    sheet.freeze_panes(header_row + 1, 1)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(header_row)
    workbook.close()
    return buffer.getvalue()


def download_name(recap: dict, fmt: str) -> str:
    """E.g. 'rekap-pengaduan-kdr-2026-11.xlsx', or '…-kdr-dpupr-2026-11.csv' for one OPD (ASCII only)."""
    parts = ["rekap-pengaduan", recap["city_code"], recap["agency_id"] or "", recap["month"]]
    name = "-".join(p for p in parts if p).lower()
    return re.sub(r"[^a-z0-9_.-]", "-", name) + f".{fmt}"


def recap_download(
    ctx: Context, actor: Actor, month: str, fmt: str, agency: str | None = None
) -> tuple[bytes, str, str]:
    """``?bulan=…&format=csv|xlsx``: (body, content type, file name) for the handler to send as an
    attachment. An unknown format is a ValidationFailed."""
    fmt = (fmt or "").strip().lower() if isinstance(fmt, str) else ""
    if fmt not in FORMATS:
        raise ValidationFailed("Format unduhan harus csv atau xlsx.", field="format")
    recap = monthly_recap(ctx, actor, month, (agency or "").strip() or None)
    body = recap_csv(recap) if fmt == "csv" else recap_xlsx(recap)
    return body, FORMATS[fmt], download_name(recap, fmt)


# ------------------------------------------------------------------------------------------- the page


def recap_page_context(ctx: Context, actor: Actor, month: str | None = None, agency: str | None = None) -> dict:
    """What ``petugas/rekap.html`` needs (besides base, city_name, officer, csrf_token, menu).

    ``month`` is ``?bulan=`` (absent or empty: the current month), ``agency`` is ``?agency=`` (admin and
    leadership only; empty: the whole city).
    """
    from chalicelib.web.charts import format_number, format_percent

    now = ctx.now()
    chosen = month.strip() if isinstance(month, str) and month.strip() else current_month(now)
    agency_id = (agency or "").strip() or None
    recap = monthly_recap(ctx, actor, chosen, agency_id)
    columns, body = recap_table(recap)
    kinds = [kind for _key, _header, kind in columns]

    def shown(value: object, kind: str) -> str:
        if kind == "pct":
            return format_percent(None if value is None else 100 * float(value))
        if kind == "avg":
            return format_number(value, 1)
        return format_number(value)

    def row_view(cells: list[object]) -> dict:
        return {"name": str(cells[0]), "cells": [shown(v, k) for v, k in zip(cells[1:], kinds[1:], strict=True)]}

    query = {"bulan": recap["month"]}
    if recap["agency_id"] and actor.role in (Role.ADMIN, Role.LEADERSHIP):
        query["agency"] = recap["agency_id"]
    return {
        "page_title": "Rekap bulanan",
        "recap": recap,
        "month": recap["month"],
        "month_label": recap["month_label"],
        "scope_label": recap["scope_label"],
        "agency_id": recap["agency_id"] or "",
        "month_options": [
            {"value": m, "label": month_label(m), "selected": m == recap["month"]} for m in month_choices(now)
        ],
        "agency_options": agency_options(ctx, actor, recap["agency_id"]),
        "headers": [header for _key, header, _kind in columns[1 : len(COLUMNS)]],
        "channel_headers": [c["label"] for c in recap["channels"]],
        "rows": [row_view(cells) for cells in body[:-1]],
        "total": row_view(body[-1]),
        "has_cases": recap["total"]["received"] > 0,
        "downloads": [
            {"format": "csv", "label": "Unduh CSV", "query": urlencode({**query, "format": "csv"})},
            {"format": "xlsx", "label": "Unduh Excel (XLSX)", "query": urlencode({**query, "format": "xlsx"})},
        ],
    }
