"""The public scorecard (/kinerja and /kinerja.json): per-OPD numbers from the figures, this month and the 12
months before, with nothing about a single case in it, cacheable (ETag, 304) and cheap to read (moto)."""

from __future__ import annotations

import json
import math
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib.domain.case import Action, Actor, Reporter
from chalicelib.domain.lifecycle import ActionRequest
from chalicelib.services import workflow
from chalicelib.services.scorecard import forget_cached_scorecard, public_scorecard, scorecard_months
from chalicelib.services.sync import sync_pending_cases

pytestmark = pytest.mark.real_figures  # the figures feature itself: on DynamoDB (moto)

WIB = timezone(timedelta(hours=7))
NAME, PHONE = "Sutini Rahayu", "+6281399887766"
DESCRIPTION = "Saluran air mampet di gang Kenanga belakang pasar"
NOW = datetime(2047, 3, 14, 10, 0, tzinfo=WIB).astimezone(UTC)  # Thursday 14 March 2047, 10:00 WIB
_BUILT: dict[str, list[str]] = {}


def wib(year: int, month: int, day: int, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, tzinfo=WIB).astimezone(UTC)


@pytest.fixture(autouse=True)
def fresh_cache():
    forget_cached_scorecard()
    yield
    forget_cached_scorecard()


class Desk:
    """Cases as the desk handles them, each step at the moment the test names."""

    def __init__(self, ctx, clock, admin) -> None:
        self.ctx, self.clock, self.admin = ctx, clock, admin
        self.ids: list[str] = []

    def receive(self, when: datetime, lead: str | None = None):
        self.clock.set(when)
        case = workflow.create_case_from_entry(
            self.ctx, self.admin, channel="telepon", description=DESCRIPTION,
            idempotency_key=str(uuid.uuid4()), reporter=Reporter(name=NAME, phone=PHONE),
        )
        self.ids.append(case.case_id)
        if lead:
            case = workflow.forward_case(self.ctx, self.admin, case.case_id, case.version, lead_agency=lead)
        return case

    def follow_up(self, case, officer: Actor, when: datetime):
        self.clock.set(when)
        return workflow.record_follow_up(self.ctx, officer, case.case_id, case.version, note="Sudah dibersihkan.")

    def close(self, case):
        return workflow.close_case(self.ctx, self.admin, case.case_id, case.version, note="Saluran sudah lancar.")

    def rate(self, case, score: int):
        latest = self.ctx.cases.get(case.case_id)
        return workflow.decide_and_save(self.ctx, Actor.citizen(f"tel:{PHONE}"), latest, None,
                                        ActionRequest(Action.RATE, rating=score))


@pytest.fixture
def history(ctx, clock, admin, dpupr_officer) -> list[str]:
    """Given (the case numbers are returned):
    February 2046 (outside both periods): G, DPUPR, followed up and closed;
    June 2046 (in the 12 months before March 2047):
      A, received Monday 11th, DPUPR, followed up Wednesday 13th (2 working days), closed, rated 5;
      B, received the 11th, DPUPR, followed up Wednesday 20th (7 working days, late), closed, rated 3;
      C, received Tuesday 12th, DPUPR, followed up the 13th (1 working day), closed, then reopened;
      D, received the 12th, forwarded to DLHKP, never followed up;
    March 2047 (this month): E, received Monday 11th, DPUPR, followed up Tuesday 12th, closed, rated 4;
      F, received the 11th, not yet verified (no OPD);
    and it is now Thursday 14 March 2047, 10:00 WIB. (Built once: the moto tables outlive each test.)"""
    if "history" not in _BUILT:
        for day in ("2046-02-12", "2046-02-13", *(f"2046-06-{d}" for d in range(11, 22)), "2047-03-11",
                    "2047-03-12"):
            d = datetime.fromisoformat(day).date()
            assert ctx.calendar.is_working_day(d) or d.weekday() >= 5, day
        assert ctx.policy.follow_up_days_for(None) == 5 and ctx.policy.verify_days == 3
        sync_pending_cases(ctx, limit=1000)  # what earlier tests left pending goes to their own months
        desk = Desk(ctx, clock, admin)
        g = desk.receive(wib(2046, 2, 12), "dpupr")
        desk.close(desk.follow_up(g, dpupr_officer, wib(2046, 2, 13)))
        a = desk.receive(wib(2046, 6, 11), "dpupr")
        b = desk.receive(wib(2046, 6, 11, 10), "dpupr")
        c = desk.receive(wib(2046, 6, 12), "dpupr")
        desk.receive(wib(2046, 6, 12, 10), "dlhkp")
        a = desk.close(desk.follow_up(a, dpupr_officer, wib(2046, 6, 13)))
        c = desk.close(desk.follow_up(c, dpupr_officer, wib(2046, 6, 13, 10)))
        b = desk.close(desk.follow_up(b, dpupr_officer, wib(2046, 6, 20)))
        clock.set(wib(2046, 6, 21))
        workflow.reopen_case(ctx, admin, c.case_id, c.version, note="Warga melapor saluran mampet lagi.")
        desk.rate(a, 5)
        desk.rate(b, 3)
        e = desk.receive(wib(2047, 3, 11), "dpupr")
        e = desk.close(desk.follow_up(e, dpupr_officer, wib(2047, 3, 12)))
        desk.rate(e, 4)
        desk.receive(wib(2047, 3, 11, 10))
        clock.set(NOW)
        sync_pending_cases(ctx, limit=1000)
        _BUILT["history"] = desk.ids
    clock.set(NOW)
    return _BUILT["history"]


def row_of(card: dict, agency_id: str) -> dict:
    return next(row for row in card["rows"] if row["agency_id"] == agency_id)


def test_each_opd_shows_this_month_and_the_twelve_months_before(ctx, history):
    card = public_scorecard(ctx)

    assert card["city"] == "Kota Kediri"
    assert card["periods"] == {
        "this_month": {"from": "2047-03-01", "to": "2047-03-14", "label": "Maret 2047"},
        "last_12_months": {"from": "2046-03-01", "to": "2047-02-28", "label": "Maret 2046 – Februari 2047"},
    }
    dpupr = row_of(card, "dpupr")
    assert dpupr["name"] == "Dinas Pekerjaan Umum dan Penataan Ruang" and dpupr["short_name"] == "DPUPR"
    assert dpupr["last_12_months"] == {  # A, B, C (G of February 2046 is older)
        "complaints": 3, "closed": 2, "closed_on_time": 1, "on_time_percent": 50.0,
        "followed_up": 3, "follow_up_median_working_days": 2, "follow_up_p90_working_days": 7,
        "reopened": 1, "reopen_rate_percent": 33.3, "rating_average": 4.0, "rating_count": 2,
    }
    assert dpupr["this_month"] == {
        "complaints": 1, "closed": 1, "closed_on_time": 1, "on_time_percent": 100.0,
        "followed_up": 1, "follow_up_median_working_days": 1, "follow_up_p90_working_days": 1,
        "reopened": 0, "reopen_rate_percent": 0.0, "rating_average": 4.0, "rating_count": 1,
    }
    dlhkp = row_of(card, "dlhkp")
    assert dlhkp["last_12_months"]["complaints"] == 1
    assert dlhkp["last_12_months"]["on_time_percent"] is None  # nothing finished: no share to show
    assert dlhkp["last_12_months"]["follow_up_median_working_days"] is None
    assert dlhkp["last_12_months"]["reopen_rate_percent"] == 0.0


def test_the_city_row_counts_every_case_including_those_without_an_opd(ctx, history):
    city = public_scorecard(ctx)["city_row"]

    assert city["name"] == "Seluruh kota" and city["agency_id"] is None
    assert city["this_month"]["complaints"] == 2  # E and F (F has no OPD yet)
    assert city["this_month"]["on_time_percent"] == 100.0
    assert city["last_12_months"]["complaints"] == 4
    assert city["last_12_months"]["reopen_rate_percent"] == 25.0
    assert city["last_12_months"]["follow_up_p90_working_days"] == 7
    assert (city["last_12_months"]["rating_average"], city["last_12_months"]["rating_count"]) == (4.0, 2)


def test_an_opd_without_complaints_stays_on_the_scorecard_with_zeros_and_no_values(ctx, api, history):
    card = public_scorecard(ctx)
    active = {a.agency_id for a in ctx.agencies.values() if a.active}
    assert {row["agency_id"] for row in card["rows"]} == active
    dinkes = row_of(card, "dinkes")
    for period in ("this_month", "last_12_months"):
        assert dinkes[period] == {
            "complaints": 0, "closed": 0, "closed_on_time": 0, "on_time_percent": None,
            "followed_up": 0, "follow_up_median_working_days": None, "follow_up_p90_working_days": None,
            "reopened": 0, "reopen_rate_percent": None, "rating_average": None, "rating_count": 0,
        }

    html = api.http.get("/kinerja").body.decode()
    for period in ("bulan-ini", "dua-belas-bulan"):
        assert row_values(html, period, "Dinas Kesehatan") == ["0"] + ["–"] * 5


def row_html(html: str, period: str, name: str) -> str:
    """One OPD's row of a period's table (`bulan-ini`, `dua-belas-bulan`)."""
    table = html[html.index(f'id="{period}"'):]
    table = table[: table.index("</table>")]
    start = table.index(f'<th scope="row">{name}</th>')
    return table[start : table.index("</tr>", start)]


def row_values(html: str, period: str, name: str) -> list[str]:
    """The first line of every value cell of the row."""
    cells = re.findall(r'<td class="angka" data-label="[^"]+">([^<]*)', row_html(html, period, name))
    return [value.strip() for value in cells]


def test_the_page_shows_the_numbers_in_indonesian_with_every_column_explained(api, history):
    response = api.http.get("/kinerja")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    html = response.body.decode()
    assert "<h1>Kinerja penanganan pengaduan</h1>" in html and "<title>Kinerja penanganan pengaduan" in html
    dpupr = "".join(row_html(html, period, "Dinas Pekerjaan Umum dan Penataan Ruang")
                    for period in ("bulan-ini", "dua-belas-bulan"))
    assert "50%" in dpupr and "1 dari 2" in dpupr and "33,3%" in dpupr and "1 dari 3" in dpupr
    assert "2 penilaian" in dpupr and "3 ditindaklanjuti" in dpupr
    assert row_values(html, "bulan-ini", "Seluruh kota")[0] == "2"
    assert row_values(html, "dua-belas-bulan", "Seluruh kota")[0] == "4"
    explained = html[html.index('id="penjelasan"'):]
    for term in ("Pengaduan diterima", "Selesai tepat waktu", "Median hari kerja", "P90 hari kerja",
                 "Dibuka kembali", "Rata-rata penilaian"):
        assert f"<dt>{term}" in explained, term
    assert "3 hari kerja" in explained and "Maret 2046 – Februari 2047" in html
    assert "<script" not in html and " style=" not in html


def test_no_reporter_text_or_case_number_is_in_the_page_or_the_json(api, history):
    html = api.http.get("/kinerja").body.decode()
    data = api.http.get("/kinerja.json").body.decode()

    for body in (html, data):
        for secret in (NAME, "Sutini", PHONE, "81399887766", "Saluran air", "Kenanga", "Sudah dibersihkan",
                       "Warga melapor", *history):
            assert secret not in body, secret
        assert not re.search(r"KDR-\d{4}-", body)


def test_the_json_twin_has_english_keys_numbers_and_nulls(api, history):
    response = api.http.get("/kinerja.json")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    data = json.loads(response.body)
    assert set(data) == {"generated_at", "city", "periods", "definitions", "rows", "city_row"}
    assert data["generated_at"] == "2047-03-14T10:00:00+07:00"
    dpupr = row_of(data, "dpupr")
    assert dpupr["last_12_months"]["on_time_percent"] == 50.0
    assert row_of(data, "dinkes")["this_month"]["rating_average"] is None
    assert set(data["definitions"]) >= {"complaints", "on_time_percent", "follow_up_median_working_days",
                                        "follow_up_p90_working_days", "reopen_rate_percent", "rating_average"}


@pytest.mark.parametrize("path", ["/kinerja", "/kinerja.json"])
def test_both_answers_are_cacheable_and_a_held_copy_gets_304(api, history, path):
    first = api.http.get(path)
    etag = first.headers["ETag"]

    assert first.headers["Cache-Control"] == "public, max-age=300"
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)  # strong
    assert api.http.get(path).headers["ETag"] == etag  # the same body within the 5 minutes
    for held in (etag, f"W/{etag}", f'"something-else", {etag}', "*"):
        again = api.http.get(path, headers={"If-None-Match": held})
        assert again.status_code == 304, held
        assert again.body in (b"", "") and again.headers["ETag"] == etag
        assert again.headers["Cache-Control"] == "public, max-age=300"
    stale = api.http.get(path, headers={"If-None-Match": '"0000"'})
    assert stale.status_code == 200 and stale.headers["ETag"] == etag


def test_a_burst_of_readers_costs_one_read_of_a_fixed_number_of_items(ctx, history):
    from bench.metering import RequestCounter

    ctx.warm()  # the directory, as a running container already has it
    items = (len([a for a in ctx.agencies.values() if a.active]) + 1) * 13
    with RequestCounter() as first:
        public_scorecard(ctx)
    assert dict(first.calls) == {"BatchGetItem": math.ceil(items / 100)}  # however many cases there are
    with RequestCounter() as burst:
        for _ in range(5):
            public_scorecard(ctx)
    assert burst.total == 0


def test_new_figures_show_once_the_five_minutes_are_over(ctx, clock, admin, history):
    # Given the scorecard of May 2047 was read at 10:00
    clock.set(wib(2047, 5, 6, 10))
    assert public_scorecard(ctx)["city_row"]["this_month"]["complaints"] == 0
    # When a complaint arrives and is synced at 10:01
    clock.advance(minutes=1)
    workflow.create_case_from_entry(ctx, admin, channel="telepon", description=DESCRIPTION,
                                    idempotency_key=str(uuid.uuid4()), reporter=Reporter(name=NAME))
    sync_pending_cases(ctx, limit=1000)
    # Then readers see the numbers of 10:00 until 10:05, and the new complaint after
    clock.advance(minutes=3)
    assert public_scorecard(ctx)["city_row"]["this_month"]["complaints"] == 0
    clock.advance(minutes=2)
    card = public_scorecard(ctx)
    assert card["city_row"]["this_month"]["complaints"] == 1
    assert card["generated_at"] == "2047-05-06T10:06:00+07:00"


def test_the_twelve_months_are_the_whole_months_before_this_one():
    this, before = scorecard_months(datetime(2047, 1, 31).date())
    assert this == "M2047-01"
    assert before == [f"M2046-{m:02d}" for m in range(1, 13)]
