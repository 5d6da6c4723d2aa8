"""The monthly recap per OPD (what an evaluator reads), its CSV and XLSX downloads, and who may see which."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import datetime

import pytest

from chalicelib.domain.case import Actor
from chalicelib.domain.errors import NotPermitted, ValidationFailed
from chalicelib.services import workflow
from chalicelib.services.recap import (
    monthly_recap,
    recap_csv,
    recap_download,
    recap_page_context,
    recap_xlsx,
)
from chalicelib.services.sync import sync_pending_cases
from tests.unit.test_dashboard_figures import Desk, render, wib

DPUPR = "Dinas Pekerjaan Umum dan Penataan Ruang"
DLHKP = "Dinas Lingkungan Hidup, Kebersihan dan Pertamanan"
_BUILT: set[str] = set()


@pytest.fixture
def february_2042(ctx, clock, admin, dpupr_officer):
    """Given in February 2042 (no holiday from the 7th to the 13th):
    A web form, received Friday 7th, DPUPR, finished Tuesday 11th (2 working days);
    B phone, received Monday 10th, DPUPR, finished Thursday 13th (3 working days);
    C phone, received Monday 10th, DPUPR, finished Monday 14 April, after its 60-day cap;
    D SMS, received Tuesday 11th, DLHKP leads with DPUPR supporting, still waiting;
    E WhatsApp, received Wednesday 12th, never verified;
    and it is now Monday 14 April 2042, 09:00 WIB. (Built once: the moto tables outlive each test.)"""
    if "february_2042" not in _BUILT:
        for day in (7, 10, 11, 12, 13):
            assert ctx.calendar.is_working_day(datetime(2042, 2, day).date()), day
        sync_pending_cases(ctx, limit=1000)
        desk = Desk(ctx, clock, admin)
        a = desk.receive(wib(7, 2, 2042), "web", lead="dpupr")
        b = desk.receive(wib(10, 2, 2042), lead="dpupr")
        c = desk.receive(wib(10, 2, 2042), lead="dpupr")
        desk.finish(a, dpupr_officer, wib(11, 2, 2042))
        desk.receive(wib(11, 2, 2042), "sms", lead="dlhkp", supporting=("dpupr",))
        desk.receive(wib(12, 2, 2042), "whatsapp")
        desk.finish(b, dpupr_officer, wib(13, 2, 2042))
        desk.finish(c, dpupr_officer, wib(14, 4, 2042))
        sync_pending_cases(ctx, limit=1000)
        _BUILT.add("february_2042")
    clock.set(wib(14, 4, 2042))


def row_named(recap: dict, name: str) -> dict:
    return next(row for row in recap["rows"] if row["name"] == name)


def test_the_city_recap_has_every_opd_and_a_total(ctx, february_2042, leadership):
    recap = monthly_recap(ctx, leadership, "2042-02")

    assert recap["month_label"] == "Februari 2042" and recap["scope"] == "city"
    names = [row["name"] for row in recap["rows"]]
    assert names[-1] == "Belum didisposisikan"
    assert names[:-1] == sorted(names[:-1], key=str.casefold) and len(names) == 18  # 17 OPDs, zeros too
    dpupr = row_named(recap, DPUPR)
    assert (dpupr["received"], dpupr["finished"], dpupr["in_process"], dpupr["overdue"]) == (3, 3, 0, 0)
    assert dpupr["on_time"] == 2 and dpupr["on_time_counted"] == 3  # C finished after the cap
    assert dpupr["median_working_days"] == 3.0  # 2, 3 and C's many
    assert dpupr["by_channel"] == {"web": 1, "telepon": 2}
    dlhkp = row_named(recap, DLHKP)
    assert (dlhkp["received"], dlhkp["in_process"], dlhkp["overdue"], dlhkp["on_time_rate"]) == (1, 1, 1, None)
    idle = row_named(recap, "Dinas Kesehatan")
    assert (idle["received"], idle["median_working_days"]) == (0, None)
    total = recap["total"]
    assert (total["name"], total["received"], total["finished"], total["in_process"], total["overdue"]) == (
        "Jumlah", 5, 3, 2, 2)
    assert total["by_channel"] == {"web": 1, "telepon": 2, "sms": 1, "whatsapp": 1}


def test_an_opd_sees_only_its_own_recap_with_the_cases_it_supports_apart(ctx, february_2042, dpupr_supervisor,
                                                                          dpupr_officer):
    recap = monthly_recap(ctx, dpupr_supervisor, "2042-02")

    assert recap["scope"] == "agency:dpupr" and recap["scope_label"] == DPUPR
    assert [row["name"] for row in recap["rows"]] == [DPUPR, "DPUPR sebagai OPD pendukung"]
    assert recap["rows"][0]["received"] == 3 and recap["rows"][1]["received"] == 1
    assert recap["total"]["received"] == 4

    with pytest.raises(NotPermitted):
        monthly_recap(ctx, dpupr_officer, "2042-02", agency_id="dlhkp")
    with pytest.raises(NotPermitted):
        monthly_recap(ctx, Actor.citizen("tel:+6281234567890"), "2042-02")


@pytest.mark.parametrize(
    "month",
    ["2042-13", "2042-00", "42-02", "2042-2", "2042/02", "februari", "", None, 202202, "2019-12", "2042-05",
     "２０４２-０２", "2042-02; DROP"],
)
def test_a_bad_month_is_refused_with_an_indonesian_message(ctx, february_2042, leadership, month):
    with pytest.raises(ValidationFailed) as refused:
        monthly_recap(ctx, leadership, month)
    assert refused.value.details == {"field": "bulan"}
    assert refused.value.message.startswith(("Bulan", "Rekap"))


def test_the_csv_opens_in_excel_with_indonesian_headers(ctx, february_2042, leadership):
    data = recap_csv(monthly_recap(ctx, leadership, "2042-02"))

    assert data.startswith(b"\xef\xbb\xbf")  # the BOM tells Excel it is UTF-8
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert lines[0][:8] == [
        "OPD", "Laporan masuk", "Selesai", "Dalam proses",
        "Ditutup lainnya (bukan wewenang, diarsipkan, digabung)", "Melewati batas waktu (saat rekap dibuat)",
        "Selesai tepat waktu (%)", "Median waktu penyelesaian (hari kerja)",
    ]  # fmt: skip
    assert lines[0][8:] == [
        "Kanal Formulir web", "Kanal WhatsApp", "Kanal LINE", "Kanal SMS", "Kanal Telegram", "Kanal Messenger",
        "Kanal Instagram", "Kanal E-mail", "Kanal Telepon", "Kanal Tatap muka", "Kanal Surat",
        "Kanal Media sosial",
    ]  # fmt: skip
    text = data.decode("utf-8-sig")
    assert f"\r\n{DPUPR},3,3,0,0,0,66.7,3.0,1,0,0,0,0,0,0,0,2,0,0,0\r\n" in text
    assert f'\r\n"{DLHKP}",1,0,1,0,1,,,0,0,0,1,0,0,0,0,0,0,0,0\r\n' in text  # the comma in the name is quoted
    assert "\r\nDinas Kesehatan,0,0,0,0,0,,,0," in text  # no finished case: no percentage, not 0
    assert text.endswith("\r\nJumlah,5,3,2,0,2,66.7,3.0,1,1,0,1,0,0,0,0,2,0,0,0\r\n")
    assert len(lines) == 1 + 18 + 1


def _sheet(data: bytes) -> tuple[str, dict[str, str]]:
    """sheet1.xml, and each cell's shown value (shared strings resolved) by reference ("B5")."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        shared = re.findall(r"<t[^>]*>([^<]*)</t>", book.read("xl/sharedStrings.xml").decode())
        styles = book.read("xl/styles.xml").decode()
    cells = {}
    for ref, attrs, value in re.findall(r'<c r="([A-Z]+[0-9]+)"([^>]*)>(?:<v>([^<]*)</v>)?', sheet):
        cells[ref] = shared[int(value)] if 't="s"' in attrs else value
    return sheet + styles, cells


def test_the_xlsx_has_a_frozen_bold_header_and_real_numbers(ctx, february_2042, leadership):
    data = recap_xlsx(monthly_recap(ctx, leadership, "2042-02"))

    xml, cells = _sheet(data)
    assert re.search(r'<pane [^>]*ySplit="4"[^>]*state="frozen"', xml)  # title, note, blank, header
    assert 'formatCode="0.0%"' in xml and 'formatCode="0.0"' in xml and "<b/>" in xml
    assert cells["A1"] == "Rekap pengaduan Kota Kediri — Februari 2042"
    assert cells["A4"] == "OPD" and cells["G4"] == "Selesai tepat waktu (%)" and cells["S4"] == "Kanal Surat"
    row = next(ref[1:] for ref, value in cells.items() if ref.startswith("A") and value == DPUPR)
    assert [cells[f"{col}{row}"] for col in "BCDEF"] == ["3", "3", "0", "0", "0"]
    assert float(cells[f"G{row}"]) == pytest.approx(2 / 3)  # shown 66.7% by its format
    assert cells[f"H{row}"] == "3" and cells[f"I{row}"] == "1" and cells[f"Q{row}"] == "2"
    last = max(int(ref[1:]) for ref in cells if ref.startswith("A"))
    assert cells[f"A{last}"] == "Jumlah" and cells[f"B{last}"] == "5" and cells[f"F{last}"] == "2"
    idle = next(ref[1:] for ref, value in cells.items() if ref.startswith("A") and value == "Dinas Kesehatan")
    assert cells.get(f"G{idle}", "") == ""  # no finished case: blank, not 0%


def test_the_download_names_the_file_and_refuses_other_formats(ctx, february_2042, dpupr_officer):
    body, content_type, name = recap_download(ctx, dpupr_officer, "2042-02", "xlsx")
    assert body[:2] == b"PK" and content_type.startswith("application/vnd.openxmlformats")
    assert name == "rekap-pengaduan-kdr-dpupr-2042-02.xlsx"
    body, content_type, name = recap_download(ctx, dpupr_officer, "2042-02", "CSV")
    assert content_type == "text/csv; charset=utf-8" and name.endswith(".csv")
    with pytest.raises(ValidationFailed):
        recap_download(ctx, dpupr_officer, "2042-02", "pdf")


def test_the_recap_page_shows_the_table_and_the_download_links(ctx, february_2042, leadership):
    page = recap_page_context(ctx, leadership, "2042-02")
    html = render("petugas/rekap.html", **page)

    assert "<caption" in html and "Rekap pengaduan Kota Kediri, Februari 2042</caption>" in html
    assert '<option value="2042-02" selected>Februari 2042</option>' in html
    assert '<option value="2042-04">April 2042</option>' in html and "2042-05" not in html
    assert 'href="/api/petugas/rekap?bulan=2042-02&amp;format=csv"' in html
    assert 'href="/api/petugas/rekap?bulan=2042-02&amp;format=xlsx"' in html
    assert '<th scope="colgroup" colspan="12">Menurut kanal</th>' in html
    dpupr = next(row for row in page["rows"] if row["name"] == DPUPR)
    assert dpupr["cells"][:7] == ["3", "3", "0", "0", "0", "66,7%", "3"]
    assert page["total"]["name"] == "Jumlah" and page["total"]["cells"][0] == "5"
    assert '<th scope="row">Jumlah</th>' in html
    assert "style=" not in html and "<script" not in html


def test_the_recap_page_defaults_to_this_month_and_refuses_a_bad_one(ctx, february_2042, dpupr_officer):
    page = recap_page_context(ctx, dpupr_officer, None)
    assert page["month"] == "2042-04" and page["agency_options"] == []
    with pytest.raises(ValidationFailed):
        recap_page_context(ctx, dpupr_officer, "2042-99")


def test_an_archived_case_counts_as_closed_otherwise(ctx, clock, admin, leadership):
    sync_pending_cases(ctx, limit=1000)
    desk = Desk(ctx, clock, admin)
    case = desk.receive(wib(6, 10, 2042), "email")
    workflow.archive_case(ctx, admin, case.case_id, case.version, note="Iklan.")
    sync_pending_cases(ctx, limit=1000)
    recap = monthly_recap(ctx, leadership, "2042-10")
    assert row_named(recap, "Belum didisposisikan")["closed_other"] == 1
    assert recap["total"]["by_channel"] == {"email": 1}
