"""The officer dashboard's figures: working-day resolution times, per-OPD and per-channel tables, ratings, and
the page an officer sees — built from real cases, acted on and synced into the aggregates (moto)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from chalicelib.domain.case import Action, Actor, Channel, Reporter
from chalicelib.domain.errors import NotPermitted, ValidationFailed
from chalicelib.domain.lifecycle import ActionRequest
from chalicelib.services import workflow
from chalicelib.services.dashboard import dashboard, dashboard_page_context, summarise
from chalicelib.services.sync import sync_pending_cases
from chalicelib.store.aggregates import CITY_SCOPE
from chalicelib.web.charts import bar_chart, format_number, format_percent

WIB = timezone(timedelta(hours=7))
_BUILT: set[str] = set()
TEMPLATES = Path(__file__).resolve().parents[2] / "chalicelib" / "web" / "templates"
STUB_BASE = (
    "<!DOCTYPE html><html lang=\"id\"><head><title>{% block title %}{% endblock %}</title></head><body>"
    "<p>{{ officer.display_name }} · {{ city_name }}</p><main>{% block main %}{% endblock %}</main></body></html>"
)


def wib(day: int, month: int, year: int, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, tzinfo=WIB).astimezone(UTC)


def render(template: str, **context) -> str:
    """The page through the same Jinja settings as `web/render.py`, over a stub `petugas/_base.html`."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [jinja2.DictLoader({"petugas/_base.html": STUB_BASE}), jinja2.FileSystemLoader(TEMPLATES)]
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
                self.ctx, Actor.citizen("tel:+6281234567890"), channel=Channel(channel),
                description="Sampah menumpuk di TPS", source_key=str(uuid.uuid4()),
                reporter=Reporter(name="Budi", phone="+6281234567890"),
            )
        if lead:
            case = workflow.forward_case(self.ctx, self.admin, case.case_id, case.version, lead_agency=lead,
                                         supporting_agencies=tuple(supporting))
        return case

    def finish(self, case, officer: Actor, when: datetime):
        self.clock.set(when)
        case = workflow.record_follow_up(self.ctx, officer, case.case_id, case.version, note="Sudah ditangani.")
        # the admin koordinator closes inside the citizen's reply window (an OPD may not), with a note
        return workflow.close_case(self.ctx, self.admin, case.case_id, case.version, note="Sudah diperbaiki.")

    def rate(self, case, score: int):
        latest = self.ctx.cases.get(case.case_id)
        return workflow.decide_and_save(self.ctx, Actor.citizen("tel:+6281234567890"), latest, None,
                                        ActionRequest(Action.RATE, rating=score))


@pytest.fixture
def october_2041(ctx, clock, admin, dpupr_officer, dlhkp_officer):
    """Given in October 2041 (no holiday between the 4th and the 14th):
    A WhatsApp, received Friday 4th, DPUPR, finished Tuesday 8th (2 working days, 4 calendar days), rated 5;
    B phone, received Monday 7th, DPUPR, finished Thursday 10th (3 working days), rated 4;
    C phone, received Monday 7th, DLHKP, finished Monday 14th (5 working days, 7 calendar days);
    D phone, received Tuesday 8th, forwarded to DPUPR, never followed up;
    E phone, received Wednesday 9th, never verified; F phone, received the 9th, archived as spam;
    and it is now Thursday 31 October 2041, 09:00 WIB. (Built once: the moto tables outlive each test.)"""
    if "october_2041" in _BUILT:
        clock.set(wib(31, 10, 2041))
        return
    for day in (4, 7, 8, 9, 10, 11, 14):
        assert ctx.calendar.is_working_day(datetime(2041, 10, day).date()), day
    sync_pending_cases(ctx, limit=1000)  # what earlier tests left pending goes to their own months
    desk = Desk(ctx, clock, admin)
    a = desk.receive(wib(4, 10, 2041), "whatsapp", lead="dpupr")
    b = desk.receive(wib(7, 10, 2041), lead="dpupr")
    c = desk.receive(wib(7, 10, 2041), lead="dlhkp")
    a = desk.finish(a, dpupr_officer, wib(8, 10, 2041))
    desk.receive(wib(8, 10, 2041), lead="dpupr")
    desk.receive(wib(9, 10, 2041))
    f = desk.receive(wib(9, 10, 2041))
    workflow.archive_case(ctx, admin, f.case_id, f.version, note="Pesan iklan.")
    b = desk.finish(b, dpupr_officer, wib(10, 10, 2041))
    desk.finish(c, dlhkp_officer, wib(14, 10, 2041))
    desk.rate(a, 5)
    desk.rate(b, 4)
    clock.set(wib(31, 10, 2041))
    sync_pending_cases(ctx, limit=1000)
    _BUILT.add("october_2041")


def test_a_case_received_friday_and_finished_tuesday_took_two_working_days(ctx, clock, admin, dpupr_officer,
                                                                           leadership):
    # Given a month of its own (February 2041 has no holiday between the 8th and the 12th)
    sync_pending_cases(ctx, limit=1000)
    desk = Desk(ctx, clock, admin)
    case = desk.receive(wib(8, 2, 2041, hour=16), lead="dpupr")  # Friday afternoon
    desk.finish(case, dpupr_officer, wib(12, 2, 2041, hour=8))  # Tuesday morning
    sync_pending_cases(ctx, limit=1000)
    # When leadership opens the dashboard for this month
    view = dashboard(ctx, leadership, months=1)
    # Then the weekend does not count, nor does the day of receipt
    assert view["resolution"]["working_days_median"] == 2.0
    assert view["resolution"]["working_days_mean"] == 2.0
    assert view["resolution"]["calendar_days_mean"] == 3.7  # 88 hours


def test_leadership_sees_the_city_figures_for_the_month(ctx, october_2041, leadership):
    view = dashboard(ctx, leadership, months=1)

    assert view["months"] == ["2041-10"]
    assert (view["received"], view["finished"], view["open"], view["overdue"], view["closed_other"]) == (6, 3, 2, 2, 1)
    assert view["by_status"]["SELESAI"] == 3 and view["by_status"]["DIARSIPKAN"] == 1
    assert view["resolution"] == {
        "count": 3,
        "working_days_count": 3,
        "working_days_mean": 3.3,  # (2 + 3 + 5) / 3
        "working_days_median": 3.0,
        "calendar_days_mean": 4.7,  # (4 + 3 + 7) / 3
    }
    assert view["within_cap"] == {"on_time": 3, "counted": 3, "percent": 100.0}
    assert view["followed_up"] == {"count": 3, "base": 5, "percent": 60.0}  # the spam does not count
    assert view["rating"] == {
        "average": 4.5,
        "count": 2,
        "distribution": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1},
        "rated": 2,
        "rated_percent": 66.7,
    }
    # the original API keys still answer
    assert view["total"] == 6 and view["resolved"] == 3
    assert view["average_resolution_days"] == 4.7
    assert view["resolved_within_cap_percent"] == 100.0 and view["average_rating"] == 4.5


def test_the_city_dashboard_has_a_row_per_lead_opd_and_per_channel(ctx, october_2041, admin):
    view = dashboard(ctx, admin, months=1)

    rows = {row["name"]: row for row in view["per_agency"]}
    assert [row["name"] for row in view["per_agency"]] == [
        "Dinas Pekerjaan Umum dan Penataan Ruang",
        "Dinas Lingkungan Hidup, Kebersihan dan Pertamanan",
        "Belum didisposisikan",  # cases without a lead OPD come last
    ]
    dpupr = rows["Dinas Pekerjaan Umum dan Penataan Ruang"]
    assert (dpupr["received"], dpupr["finished"], dpupr["in_process"], dpupr["overdue"]) == (3, 2, 1, 1)
    assert dpupr["on_time_percent"] == 100.0 and dpupr["median_working_days"] == 2.5
    dlhkp = rows["Dinas Lingkungan Hidup, Kebersihan dan Pertamanan"]
    assert (dlhkp["received"], dlhkp["finished"], dlhkp["median_working_days"]) == (1, 1, 5.0)
    waiting = rows["Belum didisposisikan"]
    assert (waiting["received"], waiting["in_process"], waiting["closed_other"], waiting["overdue"]) == (2, 1, 1, 1)

    assert view["per_channel"] == [
        {"channel": "telepon", "label": "Telepon", "received": 5, "finished": 2},
        {"channel": "whatsapp", "label": "WhatsApp", "received": 1, "finished": 1},
    ]


def test_an_opd_officer_sees_only_its_own_figures_without_the_opd_table(ctx, october_2041, dpupr_officer):
    view = dashboard(ctx, dpupr_officer, months=1)
    assert view["scope"] == "agency:dpupr"
    assert view["per_agency"] is None
    assert (view["received"], view["finished"], view["overdue"]) == (3, 2, 1)
    assert view["resolution"]["working_days_median"] == 2.5

    with pytest.raises(NotPermitted):
        dashboard_page_context(ctx, dpupr_officer, "1", "dlhkp")
    page = dashboard_page_context(ctx, dpupr_officer, "1", "")
    assert page["agency_options"] == [] and page["show_agency_table"] is False
    assert page["scope_label"] == "Dinas Pekerjaan Umum dan Penataan Ruang"


def test_entries_written_by_older_code_or_garbled_do_not_break_the_figures(ctx, clock, leadership):
    # Given November 2041's aggregate holds entries without the newer keys, and some nonsense
    clock.set(wib(20, 11, 2041))
    old = {"s": "SELESAI", "lead": "dpupr", "due": None, "fin": wib(30, 12, 2041).isoformat(),
           "closed": wib(6, 11, 2041).isoformat(), "hours": 48.0, "rating": 3}
    ctx.aggregates.put_case(CITY_SCOPE, "2041-11", "KDR-OLD-0001", old)
    ctx.aggregates.put_case(CITY_SCOPE, "2041-11", "KDR-OLD-0002", {"s": "BARU", "due": "kemarin", "recv": 7})
    ctx.aggregates.put_case(CITY_SCOPE, "2041-11", "KDR-OLD-0003", {"rating": 9, "hours": "lama", "ch": "fax"})
    ctx.aggregates.put_case(CITY_SCOPE, "2041-11", "KDR-OLD-0004", {})

    # When leadership opens the dashboard and its page
    view = dashboard(ctx, leadership, months=1)
    page = dashboard_page_context(ctx, leadership, 1, None)

    # Then what can be known is shown and the rest is left out, not guessed
    assert view["received"] == 4 and view["finished"] == 1 and view["open"] == 1 and view["overdue"] == 0
    assert view["resolution"]["calendar_days_mean"] == 2.0
    assert view["resolution"]["working_days_median"] is None  # no receipt time in an old entry
    assert view["within_cap"]["percent"] == 100.0 and view["rating"]["average"] == 3.0
    assert {row["label"]: row["received"] for row in view["per_channel"]} == {"Lainnya / tidak tercatat": 4}
    html = render("petugas/dasbor.html", **page)
    assert "Median" in html and "–" in html
    assert summarise([None, {"s": None}], datetime.now(UTC))["received"] == 2


def test_the_dashboard_page_shows_the_figures_an_officer_reads(ctx, october_2041, leadership):
    page = dashboard_page_context(ctx, leadership, "1", None)
    html = render("petugas/dasbor.html", **page)

    cards = {card["label"]: card["value"] for card in page["cards"]}
    assert cards["Laporan masuk"] == "6"
    assert cards["Melewati batas waktu"] == "2"
    assert cards["Median waktu penyelesaian"] == "3 hari kerja"
    assert cards["Selesai tepat waktu"] == "100%"
    assert cards["Ditindaklanjuti"] == "60%"
    assert cards["Kepuasan pelapor"] == "4,5 / 5"
    assert page["resolution"]["working_days_mean"] == "3,3 hari kerja"
    assert page["period_label"] == "Oktober 2041" and page["scope_label"] == "Kota Kediri"

    assert "<caption>Jumlah laporan menurut status</caption>" in html
    assert '<th scope="row">Dinas Pekerjaan Umum dan Penataan Ruang</th>' in html
    assert '<td class="angka">2,5</td>' in html  # DPUPR's median working days
    assert '<th scope="row">WhatsApp</th>' in html
    assert html.count('role="img"') == 4  # status, OPD, channel and rating charts
    assert '<option value="1" selected>Bulan ini</option>' in html
    assert '<option value="" selected>Seluruh kota</option>' in html
    assert 'action="/api/petugas/dasbor"' in html
    assert "style=" not in html and "<script" not in html


def test_an_unknown_period_or_opd_is_refused_with_a_message(ctx, leadership):
    for months in ("2", "abc", 24):
        with pytest.raises(ValidationFailed) as refused:
            dashboard_page_context(ctx, leadership, months, None)
        assert "Periode" in refused.value.message
    with pytest.raises(ValidationFailed):
        dashboard_page_context(ctx, leadership, "3", "dinas-tidak-ada")


def test_a_bar_chart_is_small_labelled_and_escapes_what_it_shows():
    rows = [(f"Dinas nomor {i} dengan nama yang sangat panjang sekali", i * 7) for i in range(17)]
    rows.append(('<script>alert("x")</script>', None))
    chart = bar_chart(rows, title='Laporan "masuk" <per OPD>')

    assert chart.startswith("<svg") and 'role="img"' in chart
    assert "<title>Laporan &#34;masuk&#34; &lt;per OPD&gt;</title>" in chart
    assert 'aria-label="Laporan &#34;masuk&#34; &lt;per OPD&gt;. Dinas nomor 0' in chart
    assert "<script>" not in chart and "&lt;script&gt;" in chart
    assert "style" not in chart
    assert "…" in chart  # long labels shortened on the bar, whole in the title
    assert len(chart.encode()) < 9000
    assert bar_chart([], title="Kosong") == ""


def test_numbers_are_written_the_indonesian_way():
    assert format_number(1234) == "1.234"
    assert format_number(2.5, 1) == "2,5"
    assert format_number(3.0, 1) == "3"
    assert format_number(None) == "–"
    assert format_percent(66.66) == "66,7%"
