"""The monthly recap per OPD (what an evaluator reads) on the city's figures: its numbers, its CSV and XLSX
downloads, and who may see which. Cases are made with the workflow at frozen moments and synced into the
figures, in August 2048 (this module's own months: 2048-2049, so no other test's cases mix in)."""

from __future__ import annotations

import csv
import io
import re
import uuid
import zipfile
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from chalicelib.domain.case import Action, Actor, Channel, Reporter, Role
from chalicelib.domain.errors import NotPermitted, ValidationFailed
from chalicelib.domain.lifecycle import ActionRequest
from chalicelib.services import workflow
from chalicelib.services.recap import (
    monthly_recap,
    recap_csv,
    recap_download,
    recap_page_context,
    recap_xlsx,
)
from chalicelib.services.sync import sync_pending_cases

pytestmark = pytest.mark.real_figures  # the figures feature itself: on DynamoDB (moto)

WIB = timezone(timedelta(hours=7))
DPUPR = "Dinas Pekerjaan Umum dan Penataan Ruang"
DLHKP = "Dinas Lingkungan Hidup, Kebersihan dan Pertamanan"
DISHUB = "Dinas Perhubungan"
UNASSIGNED = "Belum didisposisikan"
CITIZEN = Actor.citizen("tel:+6281234567890")
DISHUB_OFFICER = Actor("officer:petugas.dishub", Role.OPD, "dishub")
TEMPLATES = Path(__file__).resolve().parents[2] / "chalicelib" / "web" / "templates"
_BUILT: set[str] = set()


def wib(day: int, month: int, year: int = 2048, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, tzinfo=WIB).astimezone(UTC)


class Desk:
    """Cases as the desk handles them, each step at the moment the test names."""

    def __init__(self, ctx, clock, admin) -> None:
        self.ctx, self.clock, self.admin = ctx, clock, admin

    def receive(self, when: datetime, channel: str = "telepon", lead: str | None = None, supporting=()):
        self.clock.set(when)
        if channel in ("telepon", "tatap_muka"):
            case = workflow.create_case_from_entry(
                self.ctx, self.admin, channel=channel, description="Jalan berlubang di Jl. Dhoho",
                idempotency_key=str(uuid.uuid4()), reporter=Reporter(name="Ani"),
            )
        else:
            case = workflow.open_case(
                self.ctx, CITIZEN, channel=Channel(channel), description="Sampah menumpuk di TPS",
                source_key=str(uuid.uuid4()), reporter=Reporter(name="Budi", phone="+6281234567890"),
            )
        if lead:
            case = workflow.forward_case(self.ctx, self.admin, case.case_id, case.version, lead_agency=lead,
                                         supporting_agencies=tuple(supporting))
        return case

    def follow_up(self, case, officer: Actor, when: datetime):
        self.clock.set(when)
        return workflow.record_follow_up(self.ctx, officer, case.case_id, case.version, note="Sudah ditangani.")

    def close(self, case, when: datetime):
        self.clock.set(when)  # the admin koordinator closes inside the citizen's reply window (an OPD may not)
        return workflow.close_case(self.ctx, self.admin, case.case_id, case.version, note="Sudah diperbaiki.")

    def finish(self, case, officer: Actor, when: datetime):
        return self.close(self.follow_up(case, officer, when), when)

    def rate(self, case, score: int):
        latest = self.ctx.cases.get(case.case_id)
        return workflow.decide_and_save(self.ctx, CITIZEN, latest, None, ActionRequest(Action.RATE, rating=score))


@pytest.fixture
def august_2048(ctx, clock, admin, dpupr_officer, dlhkp_officer):
    """Given in August 2048 (Monday the 17th is Independence Day, a holiday):
    A phone, received Friday 14th, Dishub, followed up and finished Tuesday 18th: 1 working day (4 calendar
      days, across the weekend and the holiday), rated 5;
    B phone, received Monday 10th, DPUPR, finished Wednesday 12th: 2 working days, rated 4;
    C web, received Tuesday 11th, DPUPR, followed up and finished Friday 21st: 7 working days, late for the
      5-working-day follow-up;
    H phone, received Monday 10th, DPUPR, followed up and finished Monday 19 October: 48 working days, after
      its 60-day cap;
    D SMS, received Wednesday 12th, DLHKP leads with DPUPR supporting, still waiting (overdue);
    G phone, received Monday 24th, DLHKP, followed up Tuesday 25th, disputed (reopened) Wednesday 26th,
      followed up again and finished Thursday 27th: 3 working days to the undisputed follow-up, rated 2;
    E WhatsApp, received Thursday 13th, never verified (overdue); F e-mail, received the 13th, archived;
    and it is now Monday 2 November 2048, 09:00 WIB. (Built once: the moto tables outlive each test.)"""
    if "august_2048" not in _BUILT:
        calendar = ctx.calendar
        assert not calendar.is_working_day(date(2048, 8, 17))
        for day in (10, 11, 12, 13, 14, 18, 19, 20, 21, 24, 25, 26, 27):
            assert calendar.is_working_day(date(2048, 8, day)), day
        assert calendar.working_days_after(wib(10, 8), wib(19, 10)) == 48  # also 9 October (Tahun Baru Islam)
        sync_pending_cases(ctx, limit=1000)  # what earlier tests left pending goes to their own months
        desk = Desk(ctx, clock, admin)
        b = desk.receive(wib(10, 8), lead="dpupr")
        h = desk.receive(wib(10, 8, hour=10), lead="dpupr")
        c = desk.receive(wib(11, 8), "web", lead="dpupr")
        b = desk.finish(b, dpupr_officer, wib(12, 8))
        desk.receive(wib(12, 8, hour=10), "sms", lead="dlhkp", supporting=("dpupr",))
        desk.receive(wib(13, 8), "whatsapp")
        f = desk.receive(wib(13, 8, hour=10), "email")
        workflow.archive_case(ctx, admin, f.case_id, f.version, note="Pesan iklan.")
        a = desk.receive(wib(14, 8), lead="dishub")
        a = desk.finish(a, DISHUB_OFFICER, wib(18, 8))
        desk.finish(c, dpupr_officer, wib(21, 8))
        g = desk.receive(wib(24, 8), lead="dlhkp")
        g = desk.follow_up(g, dlhkp_officer, wib(25, 8))
        clock.set(wib(26, 8))
        g = workflow.reopen_case(ctx, admin, g.case_id, g.version, note="Pelapor: jalan belum diperbaiki.")
        g = desk.finish(g, dlhkp_officer, wib(27, 8))
        desk.finish(h, dpupr_officer, wib(19, 10))
        desk.rate(a, 5)
        desk.rate(b, 4)
        desk.rate(g, 2)
        sync_pending_cases(ctx, limit=1000)
        _BUILT.add("august_2048")
    clock.set(wib(2, 11))


def row_named(recap: dict, name: str) -> dict:
    return next(row for row in recap["rows"] if row["name"] == name)


def numbers(row: dict) -> tuple:
    return (row["received"], row["closed"], row["open"], row["closed_other"], row["overdue"], row["reopened"])


# ------------------------------------------------------------------------------------------- the numbers


def test_the_city_recap_has_every_opd_the_unforwarded_cases_and_the_citys_total(ctx, august_2048, leadership):
    recap = monthly_recap(ctx, leadership, "2048-08")

    assert recap["month_label"] == "Agustus 2048" and recap["scope"] == "city" and recap["cap_days"] == 60
    names = [row["name"] for row in recap["rows"]]
    assert names[-1] == UNASSIGNED
    assert names[:-1] == sorted(names[:-1], key=str.casefold) and len(names) == 18  # 17 OPDs, zeros too
    dpupr = row_named(recap, DPUPR)  # B, C, H; D only supported, so it counts under DLHKP
    assert numbers(dpupr) == (3, 3, 0, 0, 0, 0)
    assert dpupr["closed_within_deadline"] == pytest.approx(1 / 3)  # B; C and H followed up late
    assert dpupr["closed_within_cap"] == pytest.approx(2 / 3)  # H finished after its cap
    assert (dpupr["median_working_days"], dpupr["p90_working_days"]) == (7, 48)  # 2, 7, 48 (nearest rank)
    assert dpupr["rating_average"] == 4.0
    assert {code: n for code, n in dpupr["by_channel"].items() if n} == {"telepon": 2, "web": 1}
    dlhkp = row_named(recap, DLHKP)  # D waiting, G reopened once then finished
    assert numbers(dlhkp) == (2, 1, 1, 0, 1, 1)
    assert (dlhkp["closed_within_deadline"], dlhkp["closed_within_cap"]) == (1.0, 1.0)
    assert (dlhkp["median_working_days"], dlhkp["p90_working_days"], dlhkp["rating_average"]) == (3, 3, 2.0)
    waiting = row_named(recap, UNASSIGNED)  # E never verified, F archived
    assert numbers(waiting) == (2, 0, 1, 1, 1, 0)
    assert waiting["closed_within_deadline"] is None and waiting["median_working_days"] is None
    idle = row_named(recap, "Dinas Kesehatan")
    assert numbers(idle) == (0, 0, 0, 0, 0, 0) and idle["median_working_days"] is None
    assert idle["closed_within_cap"] is None and idle["rating_average"] is None


def test_working_days_skip_the_weekend_and_the_holiday(ctx, august_2048, leadership):
    dishub = row_named(monthly_recap(ctx, leadership, "2048-08"), DISHUB)

    # received Friday, followed up Tuesday after Independence Day Monday: one working day, not four days
    assert (dishub["median_working_days"], dishub["p90_working_days"]) == (1, 1)
    assert dishub["closed_within_deadline"] == 1.0 and dishub["rating_average"] == 5.0


def test_the_total_is_the_citys_own_figures_not_a_sum_of_the_rows(ctx, august_2048, leadership):
    recap = monthly_recap(ctx, leadership, "2048-08")
    total = recap["total"]

    assert total["name"] == "Jumlah" and numbers(total) == (8, 5, 2, 1, 2, 1)
    for key in ("received", "closed", "open", "closed_other", "overdue", "reopened"):
        assert total[key] == sum(row[key] for row in recap["rows"]), key  # counts do add up
    # the median of all five finished cases (1, 2, 3, 7, 48), not a figure of the rows' medians (1, 7, 3)
    assert (total["median_working_days"], total["p90_working_days"]) == (3, 48)
    assert total["closed_within_deadline"] == pytest.approx(3 / 5)
    assert total["closed_within_cap"] == pytest.approx(4 / 5)
    assert total["rating_average"] == pytest.approx(11 / 3, abs=0.005)
    assert {code: n for code, n in total["by_channel"].items() if n} == {
        "telepon": 4, "web": 1, "sms": 1, "whatsapp": 1, "email": 1}


def test_the_recap_is_one_read_however_many_cases(ctx, august_2048, leadership):
    from bench.metering import RequestCounter

    monthly_recap(ctx, leadership, "2048-08")  # the directory is cached after the first call
    with RequestCounter() as counter:
        monthly_recap(ctx, leadership, "2048-08")
    assert dict(counter.calls) == {"BatchGetItem": 1}  # city + 17 OPDs + the unforwarded cases


def test_a_month_without_cases_is_all_zeros_and_blanks(ctx, august_2048, leadership):
    recap = monthly_recap(ctx, leadership, "2048-09")
    assert recap["total"]["received"] == 0 and recap["total"]["median_working_days"] is None
    assert all(numbers(row) == (0, 0, 0, 0, 0, 0) for row in recap["rows"])


# ------------------------------------------------------------------------------------------- who sees what


def test_an_opd_sees_only_the_cases_it_leads_and_its_total_is_its_own_row(ctx, august_2048, dpupr_supervisor,
                                                                            dpupr_officer):
    recap = monthly_recap(ctx, dpupr_supervisor, "2048-08")

    assert recap["scope"] == "agency:dpupr" and recap["scope_label"] == DPUPR
    assert [row["name"] for row in recap["rows"]] == [DPUPR]  # no "… sebagai OPD pendukung" row any more
    own, total = recap["rows"][0], recap["total"]
    assert numbers(own) == (3, 3, 0, 0, 0, 0) and total["name"] == "Jumlah"
    assert {k: v for k, v in total.items() if k not in ("name", "short_name", "agency_id")} == {
        k: v for k, v in own.items() if k not in ("name", "short_name", "agency_id")}
    assert monthly_recap(ctx, dpupr_officer, "2048-08", agency_id="dpupr")["rows"][0]["received"] == 3


def test_an_opd_may_not_read_another_opds_recap_nor_may_a_citizen(ctx, august_2048, dpupr_officer):
    with pytest.raises(NotPermitted):
        monthly_recap(ctx, dpupr_officer, "2048-08", agency_id="dlhkp")
    with pytest.raises(NotPermitted):
        recap_download(ctx, dpupr_officer, "2048-08", "csv", agency="dlhkp")
    with pytest.raises(NotPermitted):
        monthly_recap(ctx, CITIZEN, "2048-08")


def test_leadership_may_read_one_opd_and_an_unknown_opd_is_refused(ctx, august_2048, leadership, admin):
    recap = monthly_recap(ctx, admin, "2048-08", agency_id="dlhkp")
    assert [row["name"] for row in recap["rows"]] == [DLHKP] and recap["total"]["received"] == 2
    with pytest.raises(ValidationFailed) as refused:
        monthly_recap(ctx, leadership, "2048-08", agency_id="tidak-ada")
    assert refused.value.details == {"field": "agency"}


@pytest.mark.parametrize(
    "month",
    ["2048-13", "2048-00", "48-08", "2048-8", "2048/08", "agustus", "", None, 204808, "2019-12", "2048-12",
     "2049-01", "２０４８-０８", "2048-08; DROP"],
)
def test_a_bad_month_is_refused_with_an_indonesian_message(ctx, august_2048, leadership, month):
    with pytest.raises(ValidationFailed) as refused:
        monthly_recap(ctx, leadership, month)
    assert refused.value.details == {"field": "bulan"}
    assert refused.value.message.startswith(("Bulan", "Rekap"))


@pytest.mark.parametrize("fmt", ["pdf", "", None, "xls", "csv;", "json"])
def test_a_download_in_another_format_is_refused(ctx, august_2048, leadership, fmt):
    with pytest.raises(ValidationFailed) as refused:
        recap_download(ctx, leadership, "2048-08", fmt)
    assert refused.value.details == {"field": "format"}


# ------------------------------------------------------------------------------------------- the files


CHANNEL_HEADERS = [
    "Kanal Formulir web", "Kanal WhatsApp", "Kanal LINE", "Kanal SMS", "Kanal Telegram", "Kanal Messenger",
    "Kanal Instagram", "Kanal E-mail", "Kanal Telepon", "Kanal Tatap muka", "Kanal Surat", "Kanal Media sosial",
]  # fmt: skip


def test_the_csv_opens_in_excel_with_indonesian_headers_and_dot_decimals(ctx, august_2048, leadership):
    data = recap_csv(monthly_recap(ctx, leadership, "2048-08"))

    assert data.startswith(b"\xef\xbb\xbf")  # the BOM tells Excel it is UTF-8
    text = data.decode("utf-8-sig")
    assert text.count("\r\n") == 1 + 18 + 1 and "\n" not in text.replace("\r\n", "")  # CRLF only
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == [
        "OPD", "Laporan masuk", "Selesai", "Dalam proses",
        "Ditutup lainnya (bukan wewenang, diarsipkan, digabung)", "Melewati batas waktu (saat rekap dibuat)",
        "Selesai tepat waktu (%)", "Selesai dalam 60 hari (%)", "Median waktu penyelesaian (hari kerja)",
        "P90 waktu penyelesaian (hari kerja)", "Dibuka kembali", "Rata-rata penilaian (1-5)", *CHANNEL_HEADERS,
    ]  # fmt: skip
    #        received, closed, open, other, overdue, on time %, cap %, median, P90, reopened, rating | channels
    assert f"\r\n{DPUPR},3,3,0,0,0,33.3,66.7,7,48,0,4.0,1,0,0,0,0,0,0,0,2,0,0,0\r\n" in text
    assert f'\r\n"{DLHKP}",2,1,1,0,1,100.0,100.0,3,3,1,2.0,0,0,0,1,0,0,0,0,1,0,0,0\r\n' in text  # comma: quoted
    assert f"\r\n{DISHUB},1,1,0,0,0,100.0,100.0,1,1,0,5.0,0,0,0,0,0,0,0,0,1,0,0,0\r\n" in text
    assert "\r\nDinas Kesehatan,0,0,0,0,0,,,,,0,,0,0,0,0,0,0,0,0,0,0,0,0\r\n" in text  # no figure: empty, not 0
    assert f"\r\n{UNASSIGNED},2,0,1,1,1,,,,,0,,0,1,0,0,0,0,0,1,0,0,0,0\r\n" in text
    assert text.endswith("\r\nJumlah,8,5,2,1,2,60.0,80.0,3,48,1,3.7,1,1,0,1,0,0,0,1,4,0,0,0\r\n")


def _book(data: bytes) -> tuple[str, str, dict[str, str], dict[str, str]]:
    """sheet1.xml, styles.xml, each cell's value (shared strings resolved) and style index by reference."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        shared = re.findall(r"<t[^>]*>([^<]*)</t>", book.read("xl/sharedStrings.xml").decode())
        styles = book.read("xl/styles.xml").decode()
    cells, style = {}, {}
    for ref, attrs, value in re.findall(r'<c r="([A-Z]+[0-9]+)"([^>]*?)/?>(?:<v>([^<]*)</v>)?', sheet):
        cells[ref] = shared[int(value)] if 't="s"' in attrs else value
        found = re.search(r's="([0-9]+)"', attrs)
        style[ref] = found.group(1) if found else "0"
    return sheet, styles, cells, style


def _number_format(styles: str, style_index: str) -> str:
    """The format code of a cell's style (xlsxwriter writes custom codes into <numFmts>)."""
    xfs = re.findall(r"<xf [^>]*>", styles.split("<cellXfs", 1)[1])
    fmt_id = re.search(r'numFmtId="([0-9]+)"', xfs[int(style_index)]).group(1)
    custom = dict(re.findall(r'<numFmt numFmtId="([0-9]+)" formatCode="([^"]*)"', styles))
    return custom.get(fmt_id, {"0": "General", "1": "0"}.get(fmt_id, fmt_id))


def test_the_xlsx_has_a_frozen_bold_header_real_numbers_and_formats(ctx, august_2048, leadership):
    data = recap_xlsx(monthly_recap(ctx, leadership, "2048-08"))

    sheet, styles, cells, style = _book(data)
    pane = re.search(r"<pane [^>]*/>", sheet).group(0)  # title, note, blank, header: frozen below row 4, right of A
    assert 'xSplit="1"' in pane and 'ySplit="4"' in pane and 'state="frozen"' in pane
    assert 'orientation="landscape"' in sheet and "<b/>" in styles
    assert cells["A1"] == "Rekap pengaduan Kota Kediri — Agustus 2048"
    assert (cells["A4"], cells["G4"], cells["H4"], cells["I4"], cells["J4"], cells["L4"], cells["X4"]) == (
        "OPD", "Selesai tepat waktu (%)", "Selesai dalam 60 hari (%)", "Median waktu penyelesaian (hari kerja)",
        "P90 waktu penyelesaian (hari kerja)", "Rata-rata penilaian (1-5)", "Kanal Media sosial")
    row = next(ref[1:] for ref, value in cells.items() if ref.startswith("A") and value == DPUPR)
    assert [cells[f"{col}{row}"] for col in "BCDEFIJK"] == ["3", "3", "0", "0", "0", "7", "48", "0"]
    assert float(cells[f"G{row}"]) == pytest.approx(1 / 3) and float(cells[f"H{row}"]) == pytest.approx(2 / 3)
    assert cells[f"L{row}"] == "4" and cells[f"M{row}"] == "1" and cells[f"U{row}"] == "2"  # web, telepon
    assert _number_format(styles, style[f"B{row}"]) == "0"
    assert _number_format(styles, style[f"G{row}"]) == "0.0%"  # 0.333… shown as 33.3%
    assert _number_format(styles, style[f"L{row}"]) == "0.0"
    last = max(int(ref[1:]) for ref in cells if ref.startswith("A"))
    assert cells[f"A{last}"] == "Jumlah" and cells[f"B{last}"] == "8" and cells[f"I{last}"] == "3"
    assert float(cells[f"G{last}"]) == pytest.approx(0.6)
    total_font = re.findall(r"<xf [^>]*>", styles.split("<cellXfs", 1)[1])[int(style[f"A{last}"])]
    header_font = re.findall(r"<xf [^>]*>", styles.split("<cellXfs", 1)[1])[int(style["A4"])]
    fonts = re.findall(r"<font>.*?</font>|<font/>", styles.split("<fonts", 1)[1].split("</fonts>", 1)[0], re.S)
    assert "<b/>" in fonts[int(re.search(r'fontId="([0-9]+)"', total_font).group(1))]  # the total row is bold
    assert "<b/>" in fonts[int(re.search(r'fontId="([0-9]+)"', header_font).group(1))]
    idle = next(ref[1:] for ref, value in cells.items() if ref.startswith("A") and value == "Dinas Kesehatan")
    assert cells.get(f"G{idle}", "") == "" and cells.get(f"I{idle}", "") == ""  # no figure: blank, not 0


def test_a_name_that_looks_like_a_formula_stays_text(ctx, august_2048, leadership):
    recap = monthly_recap(ctx, leadership, "2048-08")
    recap["rows"][0] = {**recap["rows"][0], "name": '=HYPERLINK("http://x","klik")'}

    assert "\r\n'=HYPERLINK(" in recap_csv(recap).decode("utf-8-sig").replace('"', "")
    sheet, _styles, cells, _style = _book(recap_xlsx(recap))
    assert cells["A5"].startswith("'=HYPERLINK(") and "<f>" not in sheet


def test_the_download_names_the_file_and_sends_the_right_type(ctx, august_2048, dpupr_officer, leadership):
    body, content_type, name = recap_download(ctx, dpupr_officer, "2048-08", "xlsx")
    assert body[:2] == b"PK" and content_type == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert name == "rekap-pengaduan-kdr-dpupr-2048-08.xlsx"
    body, content_type, name = recap_download(ctx, leadership, " 2048-08 ", " CSV ")
    assert content_type == "text/csv; charset=utf-8" and name == "rekap-pengaduan-kdr-2048-08.csv"
    assert body.decode("utf-8-sig").endswith("\r\nJumlah,8,5,2,1,2,60.0,80.0,3,48,1,3.7,1,1,0,1,0,0,0,1,4,0,0,0\r\n")


# ------------------------------------------------------------------------------------------- the page


def render(template: str, **context) -> str:
    """The page through the same Jinja settings as `web/render.py`, over a stub `petugas/_base.html`."""
    import jinja2

    stub = ("<!DOCTYPE html><html lang=\"id\"><head><title>{% block title %}{% endblock %}</title></head><body>"
            "<main>{% block main %}{% endblock %}</main></body></html>")
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [jinja2.DictLoader({"petugas/_base.html": stub}), jinja2.FileSystemLoader(TEMPLATES)]
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    officer = {"display_name": "Sekda", "role_label": "Pimpinan", "agency_name": "Sekretariat Daerah"}
    return env.get_template(template).render(
        base="/api", city_name="Kota Kediri", officer=officer, csrf_token="t", menu=[], **context
    )


def test_the_recap_page_shows_the_table_and_the_download_links(ctx, august_2048, leadership):
    page = recap_page_context(ctx, leadership, "2048-08")
    html = render("petugas/rekap.html", **page)

    assert "Rekap pengaduan Kota Kediri, Agustus 2048</caption>" in html
    assert '<option value="2048-08" selected>Agustus 2048</option>' in html
    assert '<option value="2048-11">November 2048</option>' in html and "2048-12" not in html
    assert 'href="/api/petugas/rekap?bulan=2048-08&amp;format=csv"' in html
    assert 'href="/api/petugas/rekap?bulan=2048-08&amp;format=xlsx"' in html
    assert '<th scope="colgroup" colspan="12">Menurut kanal</th>' in html
    assert "Selesai dalam 60 hari" in html and "P90 waktu penyelesaian (hari kerja)" in html
    dpupr = next(row for row in page["rows"] if row["name"] == DPUPR)
    assert dpupr["cells"][:11] == ["3", "3", "0", "0", "0", "33,3%", "66,7%", "7", "48", "0", "4"]
    idle = next(row for row in page["rows"] if row["name"] == "Dinas Kesehatan")
    assert idle["cells"][5:11] == ["–", "–", "–", "–", "0", "–"]
    assert page["total"]["name"] == "Jumlah" and page["total"]["cells"][:11] == [
        "8", "5", "2", "1", "2", "60%", "80%", "3", "48", "1", "3,7"]
    assert '<th scope="row">Jumlah</th>' in html and page["has_cases"] is True
    assert "style=" not in html and "<script" not in html


def test_the_recap_page_defaults_to_this_month_and_refuses_a_bad_one(ctx, august_2048, dpupr_officer):
    page = recap_page_context(ctx, dpupr_officer, None)
    assert page["month"] == "2048-11" and page["agency_options"] == [] and page["has_cases"] is False
    assert [row["name"] for row in page["rows"]] == [DPUPR]
    with pytest.raises(ValidationFailed):
        recap_page_context(ctx, dpupr_officer, "2048-99")
