"""The monthly recap per OPD, in the shape an evaluator (KemenPAN-RB, the SP4N-LAPOR! recap) reads it.

One row per lead OPD for one WIB month of receipt: received, finished (SELESAI), in process, closed
otherwise, overdue now, the share finished within the cap, the median working days to finish, and the
count by channel; then a total row. The figures follow the definitions of `services/dashboard.py` and
come from the same aggregates (one read of one item).

Downloads: `recap_csv` (UTF-8 with a BOM so Excel picks the encoding, comma-separated, dot decimals) and
`recap_xlsx` (xlsxwriter, imported only there: the recap download is its only user).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from chalicelib.domain.calendar import WIB, format_moment_id
from chalicelib.domain.case import Actor, Role
from chalicelib.domain.errors import ValidationFailed
from chalicelib.services.dashboard import (
    CHANNEL_LABELS,
    OTHER_CHANNEL,
    OTHER_CHANNEL_LABEL,
    Tally,
    agency_names,
    agency_options,
    agency_table,
    check_agency_exists,
    month_label,
    parse_entries,
    resolve_agency,
    scope_label,
)
from chalicelib.store.aggregates import CITY_SCOPE, agency_scope

if TYPE_CHECKING:
    from chalicelib.services.context import Context

FIRST_MONTH = (2020, 1)
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
TOTAL_LABEL = "Jumlah"
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# (key in a row, header, kind) — kind picks the number format: text, int, pct (a 0..1 share), days
COLUMNS = (
    ("name", "OPD", "text"),
    ("received", "Laporan masuk", "int"),
    ("finished", "Selesai", "int"),
    ("in_process", "Dalam proses", "int"),
    ("closed_other", "Ditutup lainnya (bukan wewenang, diarsipkan, digabung)", "int"),
    ("overdue", "Melewati batas waktu (saat rekap dibuat)", "int"),
    ("on_time_rate", "Selesai tepat waktu (%)", "pct"),
    ("median_working_days", "Median waktu penyelesaian (hari kerja)", "days"),
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


def monthly_recap(ctx: Context, actor: Actor, month: str, agency_id: str | None = None) -> dict:
    """The recap of one month: the city's for admin and leadership (or one OPD's, with ``agency_id``), an
    OPD's own for its officers and supervisor (NotPermitted for another OPD).

    For one OPD the rows are the cases it leads and, if any, the cases it supports as a second row; the
    total row covers every case of the scope.
    """
    now = ctx.now()
    month = parse_month(month, now)
    agency_id = resolve_agency(actor, agency_id, noun="rekap")
    check_agency_exists(ctx, agency_id)
    scope = agency_scope(agency_id) if agency_id else CITY_SCOPE
    facts = parse_entries(ctx.aggregates.read(scope, [month]).values())
    calendar, agencies = ctx.calendar, ctx.agencies
    if agency_id is None:
        rows = agency_table(facts, now, calendar, agencies, every_active_agency=True)
    else:
        name, short_name = agency_names(agency_id, agencies)
        led = [f for f in facts if f.lead == agency_id]
        supported = [f for f in facts if f.lead != agency_id]
        rows = [Tally.of(led, now, calendar).agency_row(agency_id, name, short_name)]
        if supported:
            label = f"{short_name} sebagai OPD pendukung"
            rows.append(Tally.of(supported, now, calendar).agency_row(None, label, label))
    total = Tally.of(facts, now, calendar).agency_row(None, TOTAL_LABEL, TOTAL_LABEL)
    channels = [{"channel": code, "label": label} for code, label in CHANNEL_LABELS.items()]
    if total["by_channel"].get(OTHER_CHANNEL):
        channels.append({"channel": OTHER_CHANNEL, "label": OTHER_CHANNEL_LABEL})
    return {
        "month": month,
        "month_label": month_label(month),
        "scope": scope,
        "agency_id": agency_id,
        "scope_label": scope_label(ctx, agency_id),
        "city_name": ctx.settings.city_name,
        "city_code": ctx.settings.city_code,
        "generated_at": now.isoformat(),
        "channels": channels,
        "rows": rows,
        "total": total,
    }


# ------------------------------------------------------------------------------------------- tables


def recap_columns(recap: dict) -> list[tuple[str, str, str]]:
    """(key, header, kind) of every column, the channel counts last (key ``channel:<code>``)."""
    return [
        *COLUMNS,
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
    if kind == "days":
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
    of the OPD column), number formats per column, the total row in bold."""
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
    number_formats = {"int": "0", "pct": "0.0%", "days": "0.0"}
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
        "Menurut bulan laporan diterima; waktu penyelesaian dalam hari kerja (hari diterima tidak dihitung); "
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
    fmt = (fmt or "").strip().lower()
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
        if kind == "days":
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
