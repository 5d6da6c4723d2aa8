"""The admin koordinator controls dispositions (issue 9 item 5): takes a forwarded case back, changes the lead OPD,
adds and removes supporting OPDs, each with a note; every supporting OPD has its own contribution deadline and
alerts; a supporting OPD's note is its contribution, never the lead's follow-up; only the lead's follow-up moves
a case to DITINDAKLANJUTI."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from chalicelib.domain.calendar import WIB, WorkingCalendar
from chalicelib.domain.case import Action, Actor, Channel, Role, Status
from chalicelib.domain.errors import NotFound, NotPermitted, ValidationFailed
from chalicelib.domain.escalation import next_alarm
from chalicelib.domain.lifecycle import DEFAULT_ESCALATION, ActionRequest, apply_action, new_case
from chalicelib.domain.sla import SlaPolicy
from chalicelib.services import workflow
from chalicelib.services.escalation import escalate_overdue
from chalicelib.services.notify import notify_now
from chalicelib.services.sync import sync_case
from tests.unit.alerting import actor, alert, entry, forward
from tests.unit.web_session import text_of

ADMIN = "admin.kominfo"
DLHKP_NAME = "Dinas Lingkungan Hidup, Kebersihan dan Pertamanan"


def wib(*args) -> datetime:
    return datetime(*args, tzinfo=WIB)


def act(ctx, case, use_case, by, **fields):
    """What a handler does: the use case on the version the officer saw, then the alerts at once."""
    done = use_case(ctx, actor(by), case.case_id, case.version, **fields)
    notify_now(ctx, done)
    return done


def citizen_update(ctx, case, seq):
    return ctx.outbox.get(f"update:{case.case_id}:{seq}")


# ---------------------------------------------------------------- changing the lead OPD


def test_the_admin_moves_a_case_to_another_lead_opd_whose_clock_starts_today(alert_ctx):
    # Given a complaint forwarded to DPUPR on Tuesday 24 November 2026
    ctx = alert_ctx
    case = forward(ctx, entry(ctx, by=ADMIN, reporter=_reporter()))
    # When the admin koordinator moves it to DLHKP on Thursday 26 November, with a note
    ctx.clock.set(wib(2026, 11, 26, 10, 0))
    moved = act(ctx, case, workflow.redispose_case, ADMIN, lead_agency="dlhkp",
                note="Saluran tersumbat sampah: wewenang DLHKP.")
    # Then the case waits for DLHKP's follow-up, due five working days from today
    assert (moved.status, moved.lead_agency) == (Status.TERVERIFIKASI, "dlhkp")
    assert moved.deadline.due_at == wib(2026, 12, 3, 23, 59, 59)
    last = moved.timeline[-1]
    assert (last.action, last.note, last.agencies) == (Action.REDISPOSE, "Saluran tersumbat sampah: wewenang DLHKP.",
                                                      ("dlhkp",))
    # and DLHKP hears it is now the lead, DPUPR that it no longer handles it, the citizen where it went
    assert "kini sebagai OPD utama" in alert(ctx, moved, last.seq, "petugas.dlhkp").body
    assert "tidak lagi menanganinya" in alert(ctx, moved, last.seq, "petugas.dpupr").body
    assert f"dialihkan ke {DLHKP_NAME}" in citizen_update(ctx, moved, last.seq).body
    # and DPUPR can no longer open it, while DLHKP's follow-up moves it on
    with pytest.raises(NotFound):
        workflow.load_case(ctx, actor("petugas.dpupr"), moved.case_id)
    followed = act(ctx, moved, workflow.record_follow_up, "petugas.dlhkp", note="Saluran sudah dibersihkan.")
    assert followed.status is Status.DITINDAKLANJUTI


def test_a_followed_up_case_moved_to_another_lead_waits_for_that_leads_follow_up(alert_ctx):
    ctx = alert_ctx
    case = forward(ctx, entry(ctx, by=ADMIN))
    case = act(ctx, case, workflow.record_follow_up, "petugas.dpupr", note="Sudah dicek ke lokasi.")
    assert case.status is Status.DITINDAKLANJUTI
    moved = act(ctx, case, workflow.redispose_case, ADMIN, lead_agency="dlhkp", note="Ternyata urusan DLHKP.")
    assert moved.status is Status.TERVERIFIKASI and moved.deadline.kind.value == "tindak_lanjut"


def test_an_unchanged_unknown_or_non_admin_redisposition_is_refused_and_changes_nothing(alert_ctx):
    ctx = alert_ctx
    case = forward(ctx, entry(ctx, by=ADMIN), supporting=("dlhkp",))
    with pytest.raises(ValidationFailed):  # the same lead and supporting OPDs
        workflow.redispose_case(ctx, actor(ADMIN), case.case_id, case.version, lead_agency="dpupr",
                                supporting_agencies=("dlhkp",), note="Tidak ada yang berubah.")
    with pytest.raises(ValidationFailed):
        workflow.redispose_case(ctx, actor(ADMIN), case.case_id, case.version, lead_agency="dinas-fiktif",
                                note="Salah ketik.")
    with pytest.raises(ValidationFailed):  # a note is required
        workflow.redispose_case(ctx, actor(ADMIN), case.case_id, case.version, lead_agency="dlhkp", note=" ")
    with pytest.raises(NotPermitted):
        workflow.redispose_case(ctx, actor("kabid.dpupr"), case.case_id, case.version, lead_agency="dlhkp",
                                note="Kami lempar ke DLHKP.")
    assert ctx.cases.get(case.case_id).version == case.version


# ---------------------------------------------------------------- supporting OPDs added and removed


def test_a_supporting_opd_added_to_a_followed_up_case_gets_its_own_deadline_and_work_list_row(alert_ctx):
    # Given a case DPUPR already followed up (the citizen's reply window runs)
    ctx = alert_ctx
    case = forward(ctx, entry(ctx, by=ADMIN, reporter=_reporter()))
    case = act(ctx, case, workflow.record_follow_up, "petugas.dpupr", note="Lubang ditambal sementara.")
    # When the admin adds DLHKP as a supporting OPD
    added = act(ctx, case, workflow.redispose_case, ADMIN, lead_agency="dpupr", supporting_agencies=("dlhkp",),
                note="Sisa galian perlu diangkut DLHKP.")
    # Then the case stays where it was, and DLHKP has five working days of its own
    assert added.status is Status.DITINDAKLANJUTI and added.deadline == case.deadline
    task = added.support_task("dlhkp")
    assert task.pending and task.due_at == wib(2026, 12, 1, 23, 59, 59)
    seq = added.timeline[-1].seq
    assert "kini sebagai OPD pendukung" in alert(ctx, added, seq, "petugas.dlhkp").body
    assert "1 Desember 2026" in alert(ctx, added, seq, "petugas.dlhkp").body  # its own deadline
    assert alert(ctx, added, seq, "petugas.dpupr") is None  # nothing changed for the lead
    assert citizen_update(ctx, added, seq) is None  # nor for the citizen
    # and after the sync DLHKP finds it on its work list with its own deadline
    sync_case(ctx, added)
    row = ctx.agency_cases.get("dlhkp", added.case_id)
    assert row is not None and row.next_due_at == task.due_at and row.due_kind == "kontribusi"
    # When the admin removes DLHKP again, its row goes and it is told
    removed = act(ctx, added, workflow.redispose_case, ADMIN, lead_agency="dpupr", supporting_agencies=(),
                  note="Sudah diangkut oleh kelurahan.")
    sync_case(ctx, removed)
    assert ctx.agency_cases.get("dlhkp", removed.case_id) is None
    assert removed.support == ()
    assert "tidak lagi menanganinya" in alert(ctx, removed, removed.timeline[-1].seq, "petugas.dlhkp").body


# ---------------------------------------------------------------- taking a case back


def test_the_admin_takes_a_followed_up_case_back_and_forwards_it_again(alert_ctx):
    ctx = alert_ctx
    case = forward(ctx, entry(ctx, by=ADMIN), supporting=("dlhkp",))
    case = act(ctx, case, workflow.record_follow_up, "petugas.dpupr", note="Sudah ditinjau.")
    with pytest.raises(ValidationFailed):
        workflow.withdraw_case(ctx, actor(ADMIN), case.case_id, case.version, note="")
    back = act(ctx, case, workflow.withdraw_case, ADMIN, note="Kategori keliru, perlu diverifikasi ulang.")
    assert (back.status, back.lead_agency, back.supporting_agencies, back.support) == (Status.BARU, None, (), ())
    seq = back.timeline[-1].seq
    assert "ditarik kembali oleh admin koordinator" in alert(ctx, back, seq, "petugas.dpupr").body
    assert "ditarik kembali oleh admin koordinator" in alert(ctx, back, seq, "petugas.dlhkp").body
    assert not back.timeline[-1].public  # an internal step: the citizen hears of the new forwarding instead
    for officer in ("petugas.dpupr", "petugas.dlhkp"):
        with pytest.raises(NotFound):
            workflow.load_case(ctx, actor(officer), back.case_id)
    again = forward(ctx, back, lead="dlhkp")
    assert again.status is Status.TERVERIFIKASI and again.lead_agency == "dlhkp"


# ---------------------------------------------------------------- contributions


def test_a_supporting_opds_note_is_its_contribution_not_the_leads_follow_up(alert_ctx):
    ctx = alert_ctx
    case = forward(ctx, entry(ctx, by=ADMIN, reporter=_reporter()), supporting=("dlhkp",))
    # A supporting OPD cannot record the lead's follow-up
    with pytest.raises(NotPermitted):
        workflow.record_follow_up(ctx, actor("petugas.dlhkp"), case.case_id, case.version, note="Sudah.")
    # Its contribution is recorded, the lead OPD hears of it, and nothing moves
    helped = act(ctx, case, workflow.contribute_to_case, "petugas.dlhkp", note="Sampah galian sudah diangkut.")
    assert helped.status is Status.TERVERIFIKASI and helped.followed_up_at is None
    assert helped.deadline == case.deadline
    assert helped.support_task("dlhkp").contributed_at == ctx.now()
    seq = helped.timeline[-1].seq
    assert "mencatat kontribusi" in alert(ctx, helped, seq, "petugas.dpupr").body
    assert citizen_update(ctx, helped, seq) is None  # no "sudah selesai?" question for a contribution
    # Only the lead's follow-up moves the case to DITINDAKLANJUTI
    followed = act(ctx, helped, workflow.record_follow_up, "petugas.dpupr", note="Jalan sudah diaspal.")
    assert followed.status is Status.DITINDAKLANJUTI
    assert "Balas 1" in citizen_update(ctx, followed, followed.timeline[-1].seq).body
    # A later contribution in DITINDAKLANJUTI is recorded too, and still moves nothing
    more = act(ctx, followed, workflow.contribute_to_case, "petugas.dlhkp", note="Lokasi sudah disapu.")
    assert more.status is Status.DITINDAKLANJUTI and more.deadline == followed.deadline
    assert more.support_task("dlhkp").contributed_at == helped.support_task("dlhkp").contributed_at


def test_a_supporting_opd_is_warned_and_escalated_on_its_own_deadline_and_the_lead_is_not(alert_ctx):
    # Given a case forwarded on Tuesday 24 Nov to DPUPR with DLHKP supporting (DLHKP's part due 1 Dec),
    # and DPUPR followed up at once
    ctx = alert_ctx
    case = forward(ctx, entry(ctx, by=ADMIN), supporting=("dlhkp",))
    case = act(ctx, case, workflow.record_follow_up, "petugas.dpupr", note="Sudah ditangani.")
    assert case.support_task("dlhkp").due_at == wib(2026, 12, 1, 23, 59, 59)
    assert (case.alarm_kind, case.alarm_at) == ("warn", wib(2026, 11, 30, 23, 59, 59))
    # When the escalation job runs after the warning time
    ctx.clock.set(wib(2026, 12, 1, 0, 30))
    escalate_overdue(ctx)
    warned = ctx.cases.get(case.case_id)
    warn = warned.timeline[-1]
    assert (warn.action, warn.agency, warned.status) == (Action.WARN, "dlhkp", Status.DITINDAKLANJUTI)
    assert "kontribusi DLHKP" in alert(ctx, warned, warn.seq, "petugas.dlhkp").body
    assert alert(ctx, warned, warn.seq, "petugas.dpupr") is None
    # and after the deadline it climbs DLHKP's ladder: its officers first, then (a day later) up to the admin
    ctx.clock.set(wib(2026, 12, 2, 0, 30))
    escalate_overdue(ctx)
    first = ctx.cases.get(case.case_id)
    assert (first.timeline[-1].action, first.timeline[-1].rung) == (Action.ESCALATE, "officer")
    assert "kontribusi DLHKP" in alert(ctx, first, first.timeline[-1].seq, "petugas.dlhkp").body
    assert alert(ctx, first, first.timeline[-1].seq, "petugas.dpupr") is None
    assert first.support_task("dlhkp").escalation_level == 1 and first.escalation_level == 0
    ctx.clock.set(wib(2026, 12, 4, 0, 30))
    escalate_overdue(ctx)
    top = ctx.cases.get(case.case_id)
    assert [e.rung for e in top.timeline if e.action is Action.ESCALATE] == ["officer", "supervisor", "admin"]
    assert "kontribusi DLHKP" in alert(ctx, top, top.timeline[-1].seq, ADMIN).body
    # When DLHKP finally contributes, its alarms stop; the case waits only for its auto-close
    done = act(ctx, top, workflow.contribute_to_case, "petugas.dlhkp", note="Sudah diangkut.")
    assert done.alarm_kind == "auto_close" and done.alarm_at == done.deadline.due_at


# ---------------------------------------------------------------- holds and the supporting OPDs' clocks

CAL = WorkingCalendar(holidays_by_year=lambda year: {})
POLICY = SlaPolicy()
ADMIN_ACTOR = Actor("officer:admin", Role.ADMIN, "diskominfo")
DPUPR = Actor("officer:pu", Role.OPD, "dpupr")


def _forwarded_with_support(at: datetime):
    case = new_case(case_id="KDR-2611-SUPPORT", city_code="KDR", channel=Channel.PHONE, description="Jalan rusak",
                    received_at=at, actor=ADMIN_ACTOR, calendar=CAL, policy=POLICY)
    return apply_action(case, ActionRequest(Action.FORWARD, lead_agency="dpupr", supporting_agencies=("dlhkp",)),
                        ADMIN_ACTOR, at, CAL, POLICY)


def test_a_hold_pauses_a_supporting_opds_clock_and_never_makes_a_late_one_on_time():
    monday = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # DLHKP's part due Monday 30 Nov
    case = _forwarded_with_support(monday)
    assert case.support_task("dlhkp").due_at == wib(2026, 11, 30, 23, 59, 59)
    # On time when held on Wednesday (3 working days left), resumed the next Monday: due 3 working days later
    held = apply_action(case, ActionRequest(Action.HOLD, note="Mohon foto.", hold_until=date(2026, 12, 4)), DPUPR,
                        wib(2026, 11, 25, 9), CAL, POLICY)
    assert next_alarm(held, CAL, DEFAULT_ESCALATION).agency is None  # a held case only waits for its resume
    resumed = apply_action(held, ActionRequest(Action.RESUME), DPUPR, wib(2026, 11, 30, 9), CAL, POLICY)
    assert resumed.support_task("dlhkp").due_at == wib(2026, 12, 3, 23, 59, 59)
    # Already late when held: still late, with its rungs, after the resume
    late = apply_action(case, ActionRequest(Action.ESCALATE, level=1, rung="officer", agency="dlhkp"),
                        Actor.system("escalation"), wib(2026, 12, 1, 0, 5), CAL, POLICY)
    held = apply_action(late, ActionRequest(Action.HOLD, note="Mohon foto.", hold_until=date(2026, 12, 4)), DPUPR,
                        wib(2026, 12, 1, 9), CAL, POLICY)
    resumed = apply_action(held, ActionRequest(Action.RESUME), DPUPR, wib(2026, 12, 7, 9), CAL, POLICY)
    task = resumed.support_task("dlhkp")
    assert task.due_at == wib(2026, 11, 30, 23, 59, 59) and task.escalation_level == 1


# ---------------------------------------------------------------- the web view and the JSON API


def test_admin_changes_the_disposition_and_the_supporting_opd_contributes_from_the_pages(alert_ctx, web_as):
    ctx = alert_ctx
    case = forward(ctx, entry(ctx, by=ADMIN))
    admin_web = web_as(ADMIN)
    page = text_of(admin_web.get(f"/petugas/kasus/{case.case_id}"))
    assert 'id="aksi-ubah_disposisi"' in page and 'id="aksi-tarik_kembali"' in page
    done = admin_web.post(f"/petugas/kasus/{case.case_id}/aksi/ubah_disposisi", [
        ("version", str(case.version)), ("lead_agency", "dpupr"), ("supporting_agencies", "dlhkp"),
        ("note", "Butuh bantuan DLHKP untuk angkut material."),
    ])
    assert done.status_code == 303, text_of(done)
    dlhkp_web = web_as("petugas.dlhkp")
    page = text_of(dlhkp_web.get(f"/petugas/kasus/{case.case_id}"))
    assert 'id="aksi-kontribusi"' in page and 'id="aksi-tindak_lanjut"' not in page
    assert "Kontribusi OPD pendukung" in page and "Sisa 5 hari kerja" in page
    saved = dlhkp_web.post(f"/petugas/kasus/{case.case_id}/aksi/kontribusi",
                           {"version": str(case.version + 1), "note": "Material sudah diangkut.", "public": "1"})
    assert saved.status_code == 303, text_of(saved)
    page = text_of(dlhkp_web.get(f"/petugas/kasus/{case.case_id}"))
    assert "Sudah berkontribusi" in page and "Material sudah diangkut." in page
    assert ctx.cases.get(case.case_id).status is Status.TERVERIFIKASI


def test_the_json_api_takes_the_new_actions_and_shows_each_supporting_deadline(alert_ctx, api, login):
    import json

    ctx = alert_ctx
    case = forward(ctx, entry(ctx, by=ADMIN))
    headers = login(ADMIN)
    moved = api.http.post(f"/api/cases/{case.case_id}/actions/ubah_disposisi", headers=headers, body=json.dumps({
        "version": case.version, "lead_agency": "dpupr", "supporting_agencies": ["dlhkp"],
        "note": "DLHKP membantu pembersihan."}))
    assert moved.status_code == 200, moved.body
    body = moved.json_body
    assert body["support"][0]["agency_id"] == "dlhkp" and body["support"][0]["due_at"].startswith("2026-12-01T23:59:59")
    assert body["support"][0]["contributed_at"] is None and body["support"][0]["sla"] == "tepat_waktu"
    dlhkp = login("petugas.dlhkp")
    refused = api.http.post(f"/api/cases/{case.case_id}/actions/tindak_lanjut", headers=dlhkp,
                            body=json.dumps({"version": body["version"], "note": "Sudah."}))
    assert refused.status_code == 403
    helped = api.http.post(f"/api/cases/{case.case_id}/actions/kontribusi", headers=dlhkp,
                           body=json.dumps({"version": body["version"], "note": "Sudah diangkut."}))
    assert helped.status_code == 200, helped.body
    assert helped.json_body["status"] == "TERVERIFIKASI" and helped.json_body["support"][0]["contributed_at"]
    back = api.http.post(f"/api/cases/{case.case_id}/actions/tarik_kembali", headers=headers,
                         body=json.dumps({"version": helped.json_body["version"], "note": "Verifikasi ulang."}))
    assert back.status_code == 200 and back.json_body["status"] == "BARU"


def _reporter():
    from chalicelib.domain.case import Reporter

    return Reporter(name="Sri Wahyuni", phone="+6281355557777")


def test_a_supporting_opds_late_contribution_is_in_its_morning_digest(alert_ctx):
    from chalicelib.services.digest import send_morning_digest

    # Given DLHKP supports a case (its part due Tuesday 1 December) and the lead DPUPR followed up
    ctx = alert_ctx
    case = forward(ctx, entry(ctx, by=ADMIN), supporting=("dlhkp",))
    case = act(ctx, case, workflow.record_follow_up, "petugas.dpupr", note="Sudah ditangani.")
    sync_case(ctx, case)
    # When the morning digest goes out on Thursday 3 December
    ctx.clock.set(wib(2026, 12, 3, 7, 0))
    send_morning_digest(ctx)
    # Then DLHKP's officer finds the late contribution in it, marked as supporting work
    digest = ctx.outbox.get("digest:2026-12-03:petugas.dlhkp")
    assert digest is not None and f"{case.case_id} (pendukung)" in digest.body.split("Terlambat:")[1]
