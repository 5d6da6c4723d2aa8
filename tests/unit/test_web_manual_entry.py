"""Manual entry: complaints taken by phone, face to face or by letter, with the date they arrived."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from chalicelib.domain.calendar import WIB
from tests.unit.web_session import Browser
from tests.unit.web_session import text_of as text


@pytest.fixture
def desk(api, demo_logins):
    """The admin koordinator, signed in to the web view."""
    browser = Browser(api)
    passwords = {d.username: d.password for d in demo_logins}
    browser.sign_in("admin.kominfo", passwords["admin.kominfo"])
    browser.passwords = passwords
    return browser


def _entry(desk, **fields):
    page = desk.get("/petugas/kasus/baru")
    key = re.search(r'name="idempotency_key" value="([^"]+)"', text(page)).group(1)
    form = {"idempotency_key": fields.pop("idempotency_key", key), "channel": "telepon",
            "description": "Lampu jalan mati di Jl. Dhoho", "tanggal": "2026-11-23", **fields}
    return desk.post("/petugas/kasus/baru", form), form


def test_a_letter_that_arrived_last_friday_counts_from_friday(desk, ctx):
    # Given a letter that reached the office on Friday 20 November 2026, entered on Monday the 23rd
    response, _ = _entry(desk, channel="surat", tanggal="2026-11-20", description="Surat warga RT 03: got mampet")
    assert response.status_code == 303
    number = response.headers["Location"].split("/petugas/kasus/")[1].split("?")[0]
    case = ctx.cases.get(number)
    # Then the case is a letter received that Friday at the start of office hours (WIB)
    assert case.channel.value == "surat"
    assert case.received_at == datetime(2026, 11, 20, 8, 0, tzinfo=WIB).astimezone(UTC)
    # And its verification deadline is the 3rd working day after Friday: Wednesday 25 November, 23:59:59 WIB
    assert case.deadline.due_at.astimezone(WIB).strftime("%Y-%m-%d %H:%M:%S") == "2026-11-25 23:59:59"


def test_sending_the_same_form_twice_records_one_case(desk):
    first, form = _entry(desk, description="Pohon tumbang di Jl. Brawijaya")
    again = desk.post("/petugas/kasus/baru", form)
    assert first.headers["Location"] == again.headers["Location"]


def test_a_date_in_the_future_is_explained_on_the_form(desk):
    response, _ = _entry(desk, tanggal="2026-12-01")
    assert response.status_code == 400
    page = text(response)
    assert "tidak boleh di masa depan" in page
    assert "Lampu jalan mati di Jl. Dhoho" in page  # what was typed is kept


def test_an_unreadable_phone_number_is_explained_on_the_form(desk):
    response, _ = _entry(desk, phone="bukan nomor")
    assert response.status_code == 400 and "Nomor telepon tidak valid" in text(response)


def test_the_reporter_and_flags_are_kept(desk, ctx):
    response, _ = _entry(desk, name="Bu Sri", phone="0812-3456-7890", anonymous="1", confidential="1",
                         category_id="jalan-jembatan")
    case = ctx.cases.get(response.headers["Location"].split("/petugas/kasus/")[1].split("?")[0])
    assert case.reporter.phone == "+6281234567890" and case.reporter.name == "Bu Sri"
    assert case.anonymous and case.confidential and case.category_id == "jalan-jembatan"


def test_leadership_cannot_record_complaints(api, desk):
    sekda = Browser(api)
    sekda.sign_in("sekda", desk.passwords["sekda"])
    assert sekda.get("/petugas/kasus/baru").status_code == 403


def test_the_json_api_takes_letters_and_their_date(api, login):
    import json

    response = api.http.post("/api/cases", headers={**login("admin.kominfo"), "Idempotency-Key": "surat-0042"},
                             body=json.dumps({"channel": "surat", "description": "Surat keberatan retribusi pasar",
                                              "received_at": "2026-11-19"}))
    assert response.status_code == 201, response.body
    assert response.json_body["channel"] == "surat"
    assert response.json_body["received_at"].startswith("2026-11-19T08:00")


def test_a_letter_entered_a_week_late_is_already_two_working_days_late(desk, ctx, clock):
    # Given a letter received on Wednesday 16 December 2026, entered on Wednesday the 23rd
    clock.set(datetime(2026, 12, 23, 3, 0, tzinfo=UTC))  # 10:00 WIB
    desk.sign_in("admin.kominfo", desk.passwords["admin.kominfo"])  # a month on: a new session
    response, _ = _entry(desk, channel="surat", tanggal="2026-12-16", jam="09:15",
                         description="Surat RW 05: penerangan jalan mati sejak sebulan", idempotency_key="surat-1216")
    case = ctx.cases.get(response.headers["Location"].split("/petugas/kasus/")[1].split("?")[0])
    # Then its verification deadline passed on Monday 21 December, two working days ago
    assert case.received_at == datetime(2026, 12, 16, 9, 15, tzinfo=WIB).astimezone(UTC)
    assert case.deadline.due_at.astimezone(WIB).strftime("%Y-%m-%d %H:%M:%S") == "2026-12-21 23:59:59"
    late = ctx.calendar.count_working_days(date(2026, 12, 21), date(2026, 12, 23))
    assert late == 2
    # And the officer who entered it is on record
    assert case.created_by == "officer:admin.kominfo" and case.timeline[0].actor_id == "officer:admin.kominfo"


def test_more_than_thirty_days_back_is_refused(desk):
    response, _ = _entry(desk, tanggal="2026-10-20")
    assert response.status_code == 400 and "paling lama 30 hari" in text(response)


def test_a_social_media_post_can_be_logged(desk, ctx):
    response, _ = _entry(desk, channel="media_sosial", description="Komentar IG @pemkotkediri: got mampet Jl. Kawi")
    case = ctx.cases.get(response.headers["Location"].split("/petugas/kasus/")[1].split("?")[0])
    assert case.channel.value == "media_sosial"


def test_the_reporter_gets_the_tracking_number_by_sms(media_ctx, admin):
    import json
    from pathlib import Path

    from chalicelib.domain.case import Reporter
    from chalicelib.services.notify import notify_now
    from chalicelib.services.workflow import create_case_from_entry

    # Given a complaint taken by phone from a citizen who gave a number
    case = create_case_from_entry(media_ctx, admin, channel="telepon", idempotency_key="sms-nomor-1",
                                  description="Pohon tumbang di Jl. Brawijaya",
                                  reporter=Reporter(phone="+6281234500001"))
    notify_now(media_ctx, case)
    # Then the tracking number goes to that number by SMS (captured locally)
    captured = Path(media_ctx.channels.media_dir).parent / "outbox-captured.jsonl"
    sent = [json.loads(line) for line in captured.read_text().splitlines()]
    [sms] = [m for m in sent if m["recipient"] == "+6281234500001"]
    assert sms["channel"] == "sms" and case.case_id in sms["body"] and "23 November 2026" in sms["body"]
