"""Officers hear within seconds, exactly once, of what needs them: a new complaint, a forwarded or assigned case,
the citizen's reply, a returned or merged case, deadlines; an OPD's LINE group gets one push; non-urgent
alerts wait out the night, weekends and holidays; an outage ends with one alert naming the highest rung."""

from __future__ import annotations

import uuid
from datetime import time

import pytest

from chalicelib.domain.alerts import AlertKind, deliver_at, in_quiet_hours, parse_quiet_hours
from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.case import Action, Reporter
from chalicelib.services import workflow
from chalicelib.services.notify import notify_now, officer_route, queue_now
from chalicelib.services.outbound import send_due_messages
from tests.unit.alerting import (
    BASE,
    GROUP,
    actor,
    alert,
    counter,
    deliver,
    entry,
    forward,
    line,
    made_cases,
    recipient,
    telegram,
    texts_for,
    wib,
)

# ---------------------------------------------------------------- who hears of what


def test_a_new_chat_complaint_reaches_every_admin_koordinator_within_seconds(alert_ctx, provider):
    # Given a citizen on Telegram
    chat = f"77{uuid.uuid4().int % 10**8}"
    # When their first message opens a case
    outcome = deliver(alert_ctx, telegram(alert_ctx, "Lampu PJU di Jl. Hayam Wuruk mati semua sejak minggu lalu", chat))
    # Then both admin koordinators got the alert already, with number, channel, suggestion, excerpt and link
    case = alert_ctx.cases.get(outcome.case_id)
    for username in ("admin.kominfo", "admin2.kominfo"):
        sent = alert(alert_ctx, case, 1, username)
        assert sent.state == "sent" and sent.recipient == recipient(alert_ctx, username)
        assert case.case_id in sent.body and "Telegram" in sent.body and "Lampu PJU" in sent.body
        assert f"{BASE}/petugas/kasus/{case.case_id}" in sent.body
        assert "saran:" in sent.body and "Batas waktu:" in sent.body and "WIB" in sent.body
        assert len(texts_for(provider, alert_ctx, username, case.case_id)) == 1
    # and no OPD officer did
    assert alert(alert_ctx, case, 1, "petugas.dpupr") is None


def test_an_anonymous_entry_never_shows_the_reporter_and_a_rahasia_one_shows_no_content(alert_ctx):
    # Given an officer records an anonymous complaint and a confidential one
    anonymous = entry(alert_ctx, text="Pungli di loket kelurahan, saya dimintai 150 ribu",
                      reporter=Reporter(name="Siti Aminah", phone="+6281399990001"), anonymous=True)
    secret = entry(alert_ctx, text="Oknum petugas meminta uang pelicin untuk izin usaha",
                   reporter=Reporter(name="Budi Santoso", phone="+6281399990002"), confidential=True,
                   category_id="jalan-jembatan")
    # Then the admin's alert of the anonymous one has its content but not who sent it
    body = alert(alert_ctx, anonymous, 1, "admin.kominfo").body
    assert anonymous.case_id in body and "Pungli di loket" in body
    assert "Siti" not in body and "6281399990001" not in body
    # and the rahasia one only its number, category and link
    body = alert(alert_ctx, secret, 1, "admin.kominfo").body
    assert secret.case_id in body and "Jalan dan Jembatan Rusak" in body and f"/petugas/kasus/{secret.case_id}" in body
    assert "pelicin" not in body and "Budi" not in body and "6281399990002" not in body


def test_the_officer_who_records_a_complaint_is_not_alerted_of_it(alert_ctx):
    case = entry(alert_ctx, by="admin.kominfo")
    assert alert(alert_ctx, case, 1, "admin.kominfo") is None
    assert alert(alert_ctx, case, 1, "admin2.kominfo").state == "sent"


def test_forwarding_alerts_the_lead_and_every_supporting_opd_but_not_the_admin_who_did_it(alert_ctx, provider):
    case = forward(alert_ctx, entry(alert_ctx, by="admin2.kominfo"), supporting=["dlhkp"])
    for username in ("petugas.dpupr", "kabid.dpupr", "petugas.dlhkp"):
        sent = alert(alert_ctx, case, 2, username)
        assert sent.state == "sent" and sent.recipient == recipient(alert_ctx, username)
        assert case.case_id in sent.body and "Jalan dan Jembatan Rusak" in sent.body
        assert len(texts_for(provider, alert_ctx, username, case.case_id, "didisposisikan")) == 1
    assert "OPD utama" in alert(alert_ctx, case, 2, "petugas.dpupr").body
    assert "OPD pendukung" in alert(alert_ctx, case, 2, "petugas.dlhkp").body
    assert alert(alert_ctx, case, 2, "admin.kominfo") is None


def test_an_opd_with_a_line_group_gets_one_push_and_only_officers_who_asked_get_it_personally(alert_ctx, provider):
    # Given DPUPR bound its LINE group, and the Kabid asked for personal alerts even so
    alert_ctx.line_groups.bind("dpupr", GROUP, "kabid.dpupr", alert_ctx.now())
    kabid = alert_ctx.directory.officer("kabid.dpupr")
    alert_ctx.directory.set_alert_preferences("kabid.dpupr", kinds=None, quiet_hours=None,
                                              urgent_at_night=True, personal_with_group=True)
    alert_ctx.forget_directory()
    assert kabid.personal_with_group is False
    # When a case is forwarded to DPUPR
    case = forward(alert_ctx, entry(alert_ctx, by="admin2.kominfo"))
    # Then the group gets one push, the Kabid a personal SMS, the officer nothing personal
    group = alert_ctx.outbox.get(f"alert:{case.case_id}:2:grup.dpupr")
    assert group.channel == "line" and group.recipient == GROUP and group.state == "sent"
    pushes = [r for r in provider.sent_to("/v2/bot/message/push") if r.json()["to"] == GROUP]
    assert len(pushes) == 1 and case.case_id in pushes[0].json()["messages"][0]["text"]
    assert alert(alert_ctx, case, 2, "kabid.dpupr").state == "sent"
    assert alert(alert_ctx, case, 2, "petugas.dpupr") is None


def test_assignment_alerts_the_assigned_officer_and_not_the_supervisor_who_assigned(alert_ctx):
    case = forward(alert_ctx, entry(alert_ctx, by="admin2.kominfo"))
    case = workflow.assign_case(alert_ctx, actor("kabid.dpupr"), case.case_id, case.version, officer="petugas.dpupr")
    notify_now(alert_ctx, case)
    sent = alert(alert_ctx, case, 3, "petugas.dpupr")
    assert sent.state == "sent" and "ditugaskan kepada Anda" in sent.body
    assert alert(alert_ctx, case, 3, "kabid.dpupr") is None


def test_the_citizens_reply_photo_and_dispute_reach_the_lead_opd(alert_ctx, provider):
    from tests.support.fake_provider import JPEG

    # Given a LINE complaint forwarded to DPUPR
    user = "U" + uuid.uuid4().hex
    opened = deliver(alert_ctx, line(alert_ctx, "Jalan berlubang di Jl. Dhoho depan toko", user))
    case = forward(alert_ctx, alert_ctx.cases.get(opened.case_id), by="admin2.kominfo")
    # When the citizen adds a photo and a text within the window
    alert_ctx.clock.advance(minutes=5)
    provider.media["/v2/bot/message/"] = JPEG
    photo = line(alert_ctx, None, user, kind="image", media_id=f"photo-{next(counter)}")
    assert deliver(alert_ctx, photo).kind == "attached"
    text = line(alert_ctx, "Lubangnya makin lebar, tadi ada motor jatuh", user)
    assert deliver(alert_ctx, text).kind == "attached"
    # Then DPUPR's officers hear of each, with the citizen's words
    for message, needle in ((photo, "foto baru"), (text, "motor jatuh")):
        for username in ("petugas.dpupr", "kabid.dpupr"):
            sent = alert_ctx.outbox.get(f"alert:{case.case_id}:msg:{message.event_key}:{username}")
            assert sent.state == "sent" and needle in sent.body
    # When the case is assigned, followed up, and the citizen disputes it
    case = workflow.assign_case(alert_ctx, actor("kabid.dpupr"), case.case_id, case.version, officer="petugas.dpupr")
    case = workflow.record_follow_up(alert_ctx, actor("petugas.dpupr"), case.case_id, case.version,
                                     note="Sudah ditambal.")
    alert_ctx.clock.advance(minutes=1)
    assert deliver(alert_ctx, line(alert_ctx, "Belum, lubangnya masih ada", user)).kind == "reopened"
    # Then only the assigned officer is alerted of the dispute
    reopened = alert_ctx.cases.get(case.case_id)
    seq = reopened.timeline[-1].seq
    assert reopened.timeline[-1].action is Action.REOPEN
    sent = alert(alert_ctx, reopened, seq, "petugas.dpupr")
    assert sent.state == "sent" and "masih ada" in sent.body and "menyanggah" in sent.body
    assert alert(alert_ctx, reopened, seq, "kabid.dpupr") is None


def test_a_returned_merged_or_reopened_case_reaches_the_admin_koordinator(alert_ctx):
    # RETURN by the OPD: both admins
    case = forward(alert_ctx, entry(alert_ctx, by="admin2.kominfo"))
    case = workflow.return_case(alert_ctx, actor("petugas.dpupr"), case.case_id, case.version,
                                note="Bukan jalan kota, jalan provinsi.")
    notify_now(alert_ctx, case)
    for username in ("admin.kominfo", "admin2.kominfo"):
        body = alert(alert_ctx, case, 3, username).body
        assert "dikembalikan" in body and "jalan provinsi" in body
    # MERGE by one admin: the other admin only
    target = entry(alert_ctx, text="Jalan Semeru berlubang lagi")
    duplicate = entry(alert_ctx, text="Jalan Semeru rusak parah")
    merged = workflow.merge_case(alert_ctx, actor("admin.kominfo"), duplicate.case_id, 1, into=target.case_id,
                                  note="Lokasi dan masalah sama.")
    notify_now(alert_ctx, merged)
    assert target.case_id in alert(alert_ctx, merged, 2, "admin2.kominfo").body
    assert alert(alert_ctx, merged, 2, "admin.kominfo") is None
    # REOPEN by an admin: the other admin
    case = forward(alert_ctx, entry(alert_ctx, by="admin2.kominfo"))
    case = workflow.record_follow_up(alert_ctx, actor("petugas.dpupr"), case.case_id, case.version, note="Selesai.")
    case = workflow.reopen_case(alert_ctx, actor("admin2.kominfo"), case.case_id, case.version, note="Belum tuntas.")
    notify_now(alert_ctx, case)
    assert "dibuka kembali" in alert(alert_ctx, case, case.version, "admin.kominfo").body
    assert alert(alert_ctx, case, case.version, "admin2.kominfo") is None


def test_an_officer_who_switched_a_kind_off_does_not_get_it(alert_ctx):
    alert_ctx.directory.set_alert_preferences("kabid.dpupr", kinds=("penugasan",), quiet_hours=None,
                                              urgent_at_night=True, personal_with_group=False)
    alert_ctx.forget_directory()
    case = forward(alert_ctx, entry(alert_ctx, by="admin2.kominfo"))
    assert alert(alert_ctx, case, 2, "kabid.dpupr") is None
    assert alert(alert_ctx, case, 2, "petugas.dpupr").state == "sent"


# ---------------------------------------------------------------- when


CALENDAR = WorkingCalendar.for_indonesia()
NIGHT = (time(21, 0), time(6, 0))


@pytest.mark.parametrize(("now", "expected"), [
    (wib(2026, 11, 23, 22, 30), wib(2026, 11, 24, 7, 0)),  # Monday night → Tuesday morning
    (wib(2026, 11, 24, 5, 59), wib(2026, 11, 24, 7, 0)),  # before dawn → the same working morning
    (wib(2026, 11, 24, 6, 0), wib(2026, 11, 24, 6, 0)),  # quiet hours are over: now
    (wib(2026, 11, 24, 20, 59), wib(2026, 11, 24, 20, 59)),
    (wib(2026, 11, 28, 10, 0), wib(2026, 11, 30, 7, 0)),  # Saturday → Monday
    (wib(2026, 12, 25, 10, 0), wib(2026, 12, 28, 7, 0)),  # Christmas (Friday) → Monday 28 December
    (wib(2026, 12, 23, 22, 0), wib(2026, 12, 28, 7, 0)),  # the night before cuti bersama and Christmas
])
def test_a_non_urgent_alert_waits_for_the_next_working_morning(now, expected):
    assert deliver_at(AlertKind.FORWARD, now, CALENDAR, *NIGHT) == expected


def test_an_urgent_alert_goes_at_once_unless_the_officer_opted_out_at_night():
    night = wib(2026, 11, 24, 23, 0)
    assert deliver_at(AlertKind.NEW, night, CALENDAR, *NIGHT) == night
    assert deliver_at(AlertKind.NEW, night, CALENDAR, *NIGHT, urgent_at_night=False) == wib(2026, 11, 25, 7, 0)
    assert deliver_at(AlertKind.ESCALATE, night, CALENDAR, *NIGHT, urgent_kinds={AlertKind.ESCALATE}) == night
    assert deliver_at(AlertKind.ESCALATE, night, CALENDAR, *NIGHT) == wib(2026, 11, 25, 7, 0)


def test_quiet_hours_may_run_across_midnight_or_not_at_all():
    assert in_quiet_hours(time(23, 30), *NIGHT) and in_quiet_hours(time(0, 0), *NIGHT)
    assert not in_quiet_hours(time(12, 0), *NIGHT)
    assert in_quiet_hours(time(13, 0), time(12, 0), time(14, 0)) and not in_quiet_hours(time(14, 0), time(12, 0),
                                                                                       time(14, 0))
    assert parse_quiet_hours("21.00-06.00") == NIGHT and parse_quiet_hours("") is None
    assert deliver_at(AlertKind.FORWARD, wib(2026, 11, 24, 23, 0), CALENDAR, None, None) == wib(2026, 11, 24, 23, 0)


def test_an_urgent_complaint_at_night_goes_at_once_and_a_forward_waits_for_the_morning(alert_ctx, provider):
    # Given it is 23:00 on a working day
    alert_ctx.clock.set(wib(2026, 11, 24, 23, 0))
    # When a complaint is recorded, then forwarded
    case = entry(alert_ctx)
    assert alert(alert_ctx, case, 1, "admin.kominfo").state == "sent"  # urgent: at once
    case = forward(alert_ctx, case, by="admin2.kominfo")
    held = alert(alert_ctx, case, 2, "petugas.dpupr")
    # Then the OPD's alert waits in the outbox until 07:00 WIB
    assert held.state == "pending" and held.next_attempt_at == wib(2026, 11, 25, 7, 0)
    alert_ctx.clock.set(wib(2026, 11, 25, 6, 59))
    send_due_messages(alert_ctx, limit=1000)
    assert alert(alert_ctx, case, 2, "petugas.dpupr").state == "pending"
    alert_ctx.clock.set(wib(2026, 11, 25, 7, 0, 30))
    send_due_messages(alert_ctx, limit=1000)
    assert alert(alert_ctx, case, 2, "petugas.dpupr").state == "sent"
    assert len(texts_for(provider, alert_ctx, "petugas.dpupr", case.case_id, "didisposisikan")) == 1


def test_an_officers_own_quiet_hours_and_night_choice_are_followed(alert_ctx):
    alert_ctx.clock.set(wib(2026, 11, 24, 19, 0))
    alert_ctx.directory.set_alert_preferences("admin.kominfo", kinds=None, quiet_hours="18:00-08:00",
                                              urgent_at_night=False, personal_with_group=False)
    alert_ctx.forget_directory()
    case = entry(alert_ctx)
    assert alert(alert_ctx, case, 1, "admin.kominfo").next_attempt_at == wib(2026, 11, 25, 7, 0)
    assert alert(alert_ctx, case, 1, "admin2.kominfo").state == "sent"


def test_a_city_may_make_more_kinds_urgent(alert_ctx):
    import dataclasses

    ctx = dataclasses.replace(alert_ctx, settings=dataclasses.replace(alert_ctx.settings,
                                                                      urgent_alerts=("disposisi",)))
    ctx.clock.set(wib(2026, 11, 28, 23, 0))  # Saturday night
    case = forward(ctx, entry(ctx), by="admin2.kominfo")
    assert alert(ctx, case, 2, "petugas.dpupr").state == "sent"


def test_a_case_overdue_four_rungs_after_an_outage_sends_one_alert_per_recipient(alert_ctx, provider):
    from chalicelib.services.escalation import escalate_overdue

    # Given a case forwarded before Christmas whose officer rung was due 29 December
    alert_ctx.clock.set(wib(2026, 12, 18, 10, 0))
    case = forward(alert_ctx, entry(alert_ctx, by="admin2.kominfo"))
    provider.reset()
    # When the escalation job first runs again on 6 January (all four rungs missed; 5 January is Isra Mikraj)
    alert_ctx.clock.set(wib(2027, 1, 6, 8, 0))
    escalate_overdue(alert_ctx)
    send_due_messages(alert_ctx, limit=10_000)  # the outbox job (what earlier tests left due is sent too)
    escalations = [e for e in alert_ctx.cases.get(case.case_id).timeline if e.action is Action.ESCALATE]
    assert [e.rung for e in escalations] == ["officer", "supervisor", "admin", "leadership"]
    top = escalations[-1].seq
    # Then each officer of the four rungs gets ONE alert naming the top rung and listing the missed ones
    for username in ("petugas.dpupr", "kabid.dpupr", "admin.kominfo", "admin2.kominfo", "sekda"):
        sent = alert(alert_ctx, case, top, username)
        assert sent.state == "sent", (username, sent)
        assert "pimpinan daerah" in sent.body and "petugas OPD" in sent.body and "supervisor OPD" in sent.body
        assert len(texts_for(provider, alert_ctx, username, case.case_id, "dieskalasi")) == 1
        assert all(alert(alert_ctx, case, e.seq, username) is None for e in escalations[:-1])


# ---------------------------------------------------------------- exactly once


def test_notifying_twice_sends_once(alert_ctx, provider):
    case = entry(alert_ctx)
    notify_now(alert_ctx, case)
    notify_now(alert_ctx, alert_ctx.cases.get(case.case_id))
    assert len(texts_for(provider, alert_ctx, "admin.kominfo", case.case_id)) == 1


def test_a_crash_between_queueing_and_sending_is_finished_by_the_outbox_job_once(alert_ctx, provider):
    case = workflow.create_case_from_entry(alert_ctx, actor("petugas.dpupr"), channel="tatap_muka",
                                           description="Trotoar ambles di Jl. Dhoho",
                                           idempotency_key=uuid.uuid4().hex)
    made_cases.append(case.case_id)
    # When the process dies after queueing, before sending
    assert queue_now(alert_ctx, case)
    assert alert(alert_ctx, case, 1, "admin.kominfo").state == "pending"
    # Then the outbox job sends it, and a late retry of the action's notify sends nothing more
    send_due_messages(alert_ctx, limit=1000)
    notify_now(alert_ctx, case)
    from chalicelib.services.sync import sync_case

    sync_case(alert_ctx, alert_ctx.cases.get(case.case_id))
    assert len(texts_for(provider, alert_ctx, "admin.kominfo", case.case_id)) == 1
    assert alert(alert_ctx, case, 1, "admin.kominfo").state == "sent"


def test_a_provider_error_is_retried_once_and_delivered_once(alert_ctx, provider):
    alert_ctx.directory.set_alert_preferences("admin2.kominfo", kinds=("disposisi",), quiet_hours=None,
                                              urgent_at_night=True, personal_with_group=False)
    alert_ctx.forget_directory()
    route = officer_route(alert_ctx, alert_ctx.directory.officer("admin.kominfo"))
    provider.script("/v2/bot/message/push" if route[0] == "line" else "/gateway/send", (500, {"error": "internal"}))
    case = entry(alert_ctx)  # one alert: admin.kominfo
    first = alert(alert_ctx, case, 1, "admin.kominfo")
    assert first.state == "pending" and first.attempts == 1
    alert_ctx.clock.advance(minutes=1)
    send_due_messages(alert_ctx, limit=1000)
    send_due_messages(alert_ctx, limit=1000)
    done = alert(alert_ctx, case, 1, "admin.kominfo")
    assert done.state == "sent" and done.attempts == 2
    assert len(texts_for(provider, alert_ctx, "admin.kominfo", case.case_id)) == 2  # the refused try, then the delivery


# ---------------------------------------------------------------- the digest and the account page


def test_the_morning_digest_rests_on_weekends_and_holidays(alert_ctx):
    from chalicelib.services.digest import send_morning_digest

    alert_ctx.clock.set(wib(2026, 12, 18, 10, 0))
    forward(alert_ctx, entry(alert_ctx, by="admin2.kominfo"))
    for day in (wib(2027, 1, 2, 7, 0), wib(2026, 12, 25, 7, 0)):  # a Saturday, Christmas
        alert_ctx.clock.set(day)
        assert send_morning_digest(alert_ctx) == {"officers": 0, "queued": 0}


def test_an_officer_sets_alert_kinds_quiet_hours_and_group_choice_on_the_account_page(alert_ctx, web_as):
    browser = web_as("petugas.dlhkp")
    page = browser.get("/petugas/akun").body.decode()
    assert "Jam tenang" in page and 'value="21:00"' in page
    bad = browser.post("/petugas/akun/peringatan", {"quiet_start": "22:00", "quiet_end": ""})
    assert bad.status_code == 400
    saved = browser.post("/petugas/akun/peringatan", [("kinds", "disposisi"), ("kinds", "pelapor"),
                                                      ("quiet_start", "22:00"), ("quiet_end", "05:30"),
                                                      ("personal_with_group", "1")])
    assert saved.status_code == 303
    officer = alert_ctx.directory.officer("petugas.dlhkp")
    assert officer.alert_kinds == ("disposisi", "pelapor") and officer.quiet_hours == "22:00-05:30"
    assert officer.urgent_at_night is False and officer.personal_with_group is True
    # and may do without quiet hours at all
    assert browser.post("/petugas/akun/peringatan", {"quiet_start": "", "quiet_end": "",
                                                     "urgent_at_night": "1"}).status_code == 303
    officer = alert_ctx.directory.officer("petugas.dlhkp")
    assert officer.quiet_hours == "" and officer.alert_kinds == () and officer.urgent_at_night is True


# ---------------------------------------------------------------- wired after every officer action


def test_the_json_api_alerts_right_after_an_entry_and_an_action(alert_ctx, api, login):
    import json

    # When an OPD officer records a phone complaint through the API
    created = api.http.post("/api/cases", headers={**login("petugas.dpupr"), "Idempotency-Key": uuid.uuid4().hex},
                            body=json.dumps({"channel": "telepon", "description": "Got mampet di Jl. Kawi"}))
    assert created.status_code == 201
    case_id = created.json_body["case_id"]
    made_cases.append(case_id)
    # Then the admin koordinators already have it
    assert alert_ctx.outbox.get(f"alert:{case_id}:1:admin.kominfo").state == "sent"
    # When the admin forwards it through the API
    done = api.http.post(f"/api/cases/{case_id}/actions/verifikasi_disposisi", headers=login("admin.kominfo"),
                         body=json.dumps({"version": 1, "lead_agency": "dpupr"}))
    assert done.status_code == 200
    # Then DPUPR's officers have theirs, the one who recorded it included
    assert alert_ctx.outbox.get(f"alert:{case_id}:2:petugas.dpupr").state == "sent"
    assert alert_ctx.outbox.get(f"alert:{case_id}:2:admin.kominfo") is None


def test_the_web_view_alerts_right_after_an_entry_and_an_action(alert_ctx, web_as):
    import re

    # When the DLHKP officer records a walk-in complaint on the web
    desk = web_as("petugas.dlhkp")
    page = desk.get("/petugas/kasus/baru").body.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    recorded = desk.post("/petugas/kasus/baru", {"idempotency_key": key, "channel": "tatap_muka",
                                                 "description": "Sampah menumpuk di TPS Jl. Mayor Bismo",
                                                 "tanggal": "2026-11-24"})
    assert recorded.status_code == 303
    case_id = re.search(r"/petugas/kasus/([A-Z0-9-]+)", recorded.headers["Location"]).group(1)
    made_cases.append(case_id)
    assert alert_ctx.outbox.get(f"alert:{case_id}:1:admin.kominfo").state == "sent"
    # When the admin forwards it to DLHKP from the case page
    admin = web_as("admin.kominfo")
    admin.get(f"/petugas/kasus/{case_id}")
    done = admin.post(f"/petugas/kasus/{case_id}/aksi/verifikasi_disposisi",
                      [("version", "1"), ("lead_agency", "dlhkp"), ("category_id", ""), ("tier", ""), ("note", "")])
    assert done.status_code == 303
    assert alert_ctx.outbox.get(f"alert:{case_id}:2:petugas.dlhkp").state == "sent"
