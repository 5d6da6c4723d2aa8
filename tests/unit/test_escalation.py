"""Overdue cases climb the ladder by themselves, each step once, on the real Indonesian calendar; officers
are alerted on LINE or SMS; citizens hear about each status change; silent cases close on their own."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timedelta

import pytest

from chalicelib.domain.calendar import WIB
from chalicelib.domain.case import Action, Reporter, Role, Status
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.officer import Officer
from chalicelib.services import workflow
from chalicelib.services.escalation import auto_close_silent, escalate_overdue
from chalicelib.services.outbound import send_due_messages
from chalicelib.services.sync import sync_pending_cases


def wib(*args) -> datetime:
    return datetime(*args, tzinfo=WIB)


@pytest.fixture
def esc_ctx(intake_ctx):
    """Alerts really sent to the fake provider; the DPUPR supervisor linked a LINE account."""
    intake_ctx.directory.put_officer(
        Officer("kabid.dpupr", "Kabid Bina Marga DPUPR", Role.SUPERVISOR, "dpupr", phone="+6281200000003",
                line_user_id="U" + "k" * 32, alert_channel="line"),
        "unused-hash",
    )
    intake_ctx.forget_directory()
    yield intake_ctx
    from chalicelib.services.auth import hash_password
    from demo.kediri import OFFICERS

    demo = next(o for o in OFFICERS if o.username == "kabid.dpupr")
    intake_ctx.directory.put_officer(
        Officer(demo.username, demo.display_name, Role.SUPERVISOR, demo.agency_id, phone=demo.phone,
                alert_channel=demo.alert_channel), hash_password(demo.password))


def forwarded_case(ctx, admin, text="Jalan amblas di Jl. Semeru"):
    case = workflow.create_case_from_entry(ctx, admin, channel="telepon", description=text,
                                           idempotency_key=uuid.uuid4().hex,
                                           reporter=Reporter(name="Pak Darmo", phone="+6281234567001"))
    return workflow.forward_case(ctx, admin, case.case_id, 1, lead_agency="dpupr")


def steps(ctx, case_id):
    return [(e.action, e.rung) for e in ctx.cases.get(case_id).timeline if e.action in (Action.WARN, Action.ESCALATE)]


def test_a_missed_follow_up_climbs_every_rung_once_across_christmas(esc_ctx, admin, provider):
    ctx = esc_ctx
    ctx.clock.set(wib(2026, 12, 18, 10, 0))  # Friday; 24-25 Dec are cuti bersama and Natal
    case = forwarded_case(ctx, admin)
    assert case.deadline.due_at == wib(2026, 12, 29, 23, 59, 59)  # 21, 22, 23, 28, 29 December
    expected = [
        (wib(2026, 12, 28, 23, 59, 59), (Action.WARN, None)),
        (wib(2026, 12, 29, 23, 59, 59), (Action.ESCALATE, "officer")),
        (wib(2026, 12, 30, 23, 59, 59), (Action.ESCALATE, "supervisor")),
        (wib(2026, 12, 31, 23, 59, 59), (Action.ESCALATE, "admin")),
        (wib(2027, 1, 4, 23, 59, 59), (Action.ESCALATE, "leadership")),  # 1 Jan holiday, then a weekend
    ]
    done = []
    for moment, step in expected:
        ctx.clock.set(moment)
        ctx.clock.advance(minutes=-2)
        escalate_overdue(ctx)
        assert steps(ctx, case.case_id) == done, f"nothing may happen before {moment}"
        ctx.clock.set(moment)
        ctx.clock.advance(minutes=3)
        escalate_overdue(ctx)
        escalate_overdue(ctx)  # an overlapping or repeated run takes no step twice
        done.append(step)
        assert steps(ctx, case.case_id) == done
    ctx.clock.advance(days=30)
    escalate_overdue(ctx)
    assert steps(ctx, case.case_id) == done  # the top of the ladder is reached once
    stored = ctx.cases.get(case.case_id)
    assert stored.status is Status.TERVERIFIKASI and stored.alarm_at is None


def test_alerts_go_to_each_rung_on_its_preferred_channel(esc_ctx, admin, provider):
    ctx = esc_ctx
    ctx.clock.set(wib(2026, 12, 18, 10, 0))
    case = forwarded_case(ctx, admin, "Saluran tersumbat di Jl. Kawi")
    provider.reset()
    ctx.clock.set(wib(2026, 12, 30, 7, 5))  # past the deadline (and the quiet hours): the officer rung
    escalate_overdue(ctx)
    officer_sms = [r for r in provider.sent_to("/gateway/send") if b"dieskalasi" in r.body]
    assert len(officer_sms) == 1 and b"6281200000002" in officer_sms[0].body  # petugas.dpupr prefers SMS
    ctx.clock.set(wib(2026, 12, 31, 7, 5))  # the supervisor rung: LINE push with a retry key
    escalate_overdue(ctx)
    [push] = [r for r in provider.sent_to("/v2/bot/message/push") if case.case_id.encode() in r.body]
    assert push.json()["to"] == "U" + "k" * 32
    assert push.headers["x-line-retry-key"]


def test_a_line_alert_that_cannot_be_delivered_falls_back_to_sms(esc_ctx, admin, provider):
    ctx = esc_ctx
    ctx.clock.set(wib(2026, 12, 18, 10, 0))
    case = forwarded_case(ctx, admin, "Trotoar ambles di Jl. Dhoho")
    ctx.clock.set(wib(2026, 12, 30, 7, 5))  # after the quiet hours: escalations are not urgent by default
    escalate_overdue(ctx)
    provider.reset()
    provider.script("/v2/bot/message/push", (400, {"message": "The user hasn't added the LINE Official Account"}))
    ctx.clock.set(wib(2026, 12, 31, 7, 5))
    escalate_overdue(ctx)
    fallback = [r for r in provider.sent_to("/gateway/send") if case.case_id.encode() in r.body]
    assert len(fallback) == 1 and b"6281200000003" in fallback[0].body
    [alert_seq] = [e.seq for e in ctx.cases.get(case.case_id).timeline if e.rung == "supervisor"]
    line_alert = ctx.outbox.get(f"alert:{case.case_id}:{alert_seq}:kabid.dpupr")
    assert line_alert.state == "failed" and "sms instead" in line_alert.last_error


def test_an_outage_of_several_minutes_ends_with_every_alert_delivered_once(esc_ctx, admin, provider):
    ctx = esc_ctx
    ctx.clock.set(wib(2026, 12, 18, 10, 0))
    cases = [forwarded_case(ctx, admin, f"Jalan rusak nomor {n} di Jl. Brawijaya") for n in range(3)]
    provider.reset()
    provider.fail_first("/gateway/send", 6)
    ctx.clock.set(wib(2026, 12, 30, 7, 5))  # after the quiet hours: escalations are not urgent by default
    escalate_overdue(ctx)
    for _ in range(12):  # the provider recovers; the outbox job keeps retrying with backoff
        ctx.clock.advance(minutes=2)
        send_due_messages(ctx, limit=1000)
    retried = 0
    for case in cases:
        [alert] = _alerts(ctx, case.case_id)
        requests = [r for r in provider.sent_to("/gateway/send")
                    if case.case_id.encode() in r.body and b"dieskalasi" in r.body]
        assert alert.state == "sent"
        assert len(requests) == alert.attempts  # every attempt but the last was refused: delivered exactly once
        retried += alert.attempts > 1
    assert retried >= 1  # the outage really hit these alerts


def _alerts(ctx, case_id):
    seqs = [e.seq for e in ctx.cases.get(case_id).timeline if e.action is Action.ESCALATE]
    return [m for m in (ctx.outbox.get(f"alert:{case_id}:{s}:petugas.dpupr") for s in seqs) if m]


def test_the_citizen_hears_of_each_step_and_is_asked_for_a_rating(esc_ctx, admin, dpupr_officer, provider):
    ctx = esc_ctx
    case = forwarded_case(ctx, admin, "Lampu jalan mati di Jl. Pattimura")
    case = workflow.record_follow_up(ctx, dpupr_officer, case.case_id, case.version, note="Lampu sudah diganti.")
    workflow.close_case(ctx, admin, case.case_id, case.version, note="Lampu baru menyala.")
    sync_pending_cases(ctx, limit=10_000)
    bodies = [ctx.outbox.get(f"update:{case.case_id}:{seq}") for seq in (2, 3, 4)]
    assert all(b is not None and b.recipient == "+6281234567001" for b in bodies)
    assert "Dinas Pekerjaan Umum" in bodies[0].body
    assert "Lampu sudah diganti." in bodies[1].body
    assert "angka 1" in bodies[2].body
    sync_pending_cases(ctx, limit=10_000)  # a second run queues nothing new
    assert ctx.outbox.get(f"update:{case.case_id}:5") is None


def test_a_silent_followed_up_case_closes_by_itself_and_the_citizen_is_told(esc_ctx, admin, dpupr_officer):
    ctx = esc_ctx
    ctx.clock.set(wib(2026, 12, 1, 10, 0))  # Tuesday
    case = forwarded_case(ctx, admin, "Drainase meluap di Jl. Kawi")
    workflow.record_follow_up(ctx, dpupr_officer, case.case_id, case.version, note="Drainase dikeruk.")
    ctx.clock.set(wib(2026, 12, 15, 23, 0))  # 10 working days after 1 Dec end on 15 Dec
    auto_close_silent(ctx)  # (other tests' older cases may close: the shared tables outlive each test)
    assert ctx.cases.get(case.case_id).status is Status.DITINDAKLANJUTI
    ctx.clock.set(wib(2026, 12, 16, 0, 30))
    report = auto_close_silent(ctx)
    assert report.closed >= 1
    closed = ctx.cases.get(case.case_id)
    assert closed.status is Status.SELESAI and closed.timeline[-1].action is Action.AUTO_CLOSE
    told = ctx.outbox.get(f"update:{case.case_id}:{closed.version}")
    assert told is not None and "selesai" in told.body
    auto_close_silent(ctx)
    assert ctx.cases.get(case.case_id).version == closed.version  # closed once, never again


def test_a_held_case_is_not_escalated_while_held_and_resumes_by_itself_at_the_end_of_its_hold(esc_ctx, admin):
    ctx = esc_ctx
    ctx.clock.set(wib(2026, 12, 18, 10, 0))  # Friday; follow-up due Tuesday 29 December
    case = forwarded_case(ctx, admin, "Pohon rawan tumbang di Jl. Diponegoro")
    ctx.clock.set(wib(2026, 12, 21, 9, 0))
    case = workflow.hold_case(ctx, admin, case.case_id, case.version, note="Mohon foto pohonnya.", until="2027-01-06")
    assert case.alarm_at == wib(2027, 1, 6, 23, 59, 59) and case.alarm_kind == "resume"
    ctx.clock.set(wib(2027, 1, 6, 23, 0))
    escalate_overdue(ctx)
    assert steps(ctx, case.case_id) == [] and ctx.cases.get(case.case_id).status is Status.DITUNDA
    ctx.clock.set(wib(2027, 1, 7, 0, 5))
    report = escalate_overdue(ctx)
    resumed = ctx.cases.get(case.case_id)
    assert report.resumed == 1 and resumed.status is Status.TERVERIFIKASI
    assert resumed.timeline[-1].action is Action.RESUME and resumed.timeline[-1].actor_role is Role.SYSTEM
    # 21 Dec held with 22, 23, 28, 29 Dec left (24-25 Dec cuti bersama/Natal): 8, 11, 12, 13 Jan
    assert resumed.deadline.due_at == wib(2027, 1, 13, 23, 59, 59)
    alerts = _admin_alerts(ctx, case.case_id)
    assert [a.purpose for a in alerts] == ["alert:hold_ended"] and "Masa tunda" in alerts[0].body
    assert escalate_overdue(ctx).resumed == 0  # a rerun: nothing new
    assert _admin_alerts(ctx, case.case_id) == alerts


def _admin_alerts(ctx, case_id):
    case = ctx.cases.get(case_id)
    found = [ctx.outbox.get(f"alert:{case_id}:{e.seq}:admin.kominfo") for e in case.timeline]
    return [m for m in found if m is not None and m.purpose == "alert:hold_ended"]


def test_an_overdue_case_held_and_resumed_stays_overdue_at_the_same_rung(esc_ctx, admin):
    from chalicelib.domain.calendar import to_wib_date
    from chalicelib.domain.figures import case_counters, due_counter

    ctx = esc_ctx
    ctx.clock.set(wib(2026, 12, 18, 10, 0))
    case = forwarded_case(ctx, admin, "Lampu penerangan jalan mati di Jl. Mauni")
    missed = case.deadline
    for moment in (wib(2026, 12, 29, 23, 59, 59), wib(2026, 12, 30, 23, 59, 59)):  # officer, then supervisor
        ctx.clock.set(moment)
        ctx.clock.advance(minutes=3)
        escalate_overdue(ctx)
    assert steps(ctx, case.case_id)[-2:] == [(Action.ESCALATE, "officer"), (Action.ESCALATE, "supervisor")]
    ctx.clock.set(wib(2026, 12, 31, 9, 0))
    held = ctx.cases.get(case.case_id)
    with pytest.raises(ValidationFailed):  # beyond 14 working days (1 and 5 Jan are holidays): refused
        workflow.hold_case(ctx, admin, case.case_id, held.version, note="Menunggu foto.", until="2027-01-25")
    held = workflow.hold_case(ctx, admin, case.case_id, held.version, note="Menunggu foto.", until="2027-01-08")
    assert held.escalation_level == 2 and held.is_overdue(ctx.now())
    # the figures still count it overdue: by the deadline it missed
    assert case_counters(held, ctx.calendar, ctx.policy)[due_counter(to_wib_date(missed.due_at))] == 1
    for moment in (wib(2026, 12, 31, 23, 59, 59), wib(2027, 1, 4, 23, 59, 59), wib(2027, 1, 8, 23, 0)):
        ctx.clock.set(moment)
        ctx.clock.advance(minutes=3)
        escalate_overdue(ctx)
        assert ctx.cases.get(case.case_id).status is Status.DITUNDA  # no rung while held
    before = steps(ctx, case.case_id)
    ctx.clock.set(wib(2027, 1, 9, 0, 5))  # Saturday, just after the hold ran out
    assert escalate_overdue(ctx).resumed == 1
    resumed = ctx.cases.get(case.case_id)
    assert resumed.status is Status.TERVERIFIKASI
    assert resumed.deadline == missed and resumed.is_overdue(ctx.now())  # the same missed deadline
    assert resumed.escalation_level == 2 and steps(ctx, case.case_id) == before  # the same rung
    assert resumed.alarm_at == wib(2027, 1, 11, 23, 59, 59)  # the next rung: end of the next working day
    ctx.clock.set(wib(2027, 1, 12, 0, 5))
    escalate_overdue(ctx)
    assert steps(ctx, case.case_id)[-1] == (Action.ESCALATE, "admin")


def test_escalation_policy_can_skip_warnings(esc_ctx, admin):
    from chalicelib.domain.escalation import EscalationPolicy

    ctx = dataclasses.replace(esc_ctx, escalation=EscalationPolicy(warn_before=timedelta(0)))
    ctx.clock.set(wib(2026, 12, 18, 10, 0))
    case = forwarded_case(ctx, admin, "Marka jalan pudar di Jl. Hayam Wuruk")
    ctx.clock.set(wib(2026, 12, 28, 23, 59, 59))
    escalate_overdue(ctx)
    assert steps(ctx, case.case_id) == []


def test_the_morning_digest_lists_each_officers_due_and_overdue_cases_once(esc_ctx, admin, monkeypatch):
    from chalicelib.services import digest as digest_module
    from chalicelib.services.digest import send_morning_digest

    # the shared tables hold other tests' late DPUPR cases: list them all, so ours is never cut off
    monkeypatch.setattr(digest_module, "LISTED", 10_000)
    ctx = esc_ctx
    ctx.clock.set(wib(2026, 12, 18, 10, 0))
    late = forwarded_case(ctx, admin, "Jalan berlubang di Jl. Joyoboyo")  # due Tue 29 Dec
    ctx.clock.set(wib(2026, 12, 23, 10, 0))
    today = forwarded_case(ctx, admin, "Jalan retak di Jl. Sudanco")  # due 4 Jan 2027 (24-25 Dec, 1 Jan off)
    ctx.clock.set(wib(2027, 1, 4, 7, 0))  # Monday 07:00 WIB
    send_morning_digest(ctx)
    digest = ctx.outbox.get("digest:2027-01-04:petugas.dpupr")
    assert digest is not None and digest.recipient == "+6281200000002"
    overdue_line = next(line for line in digest.body.splitlines() if line.startswith("Terlambat"))
    today_line = next(line for line in digest.body.splitlines() if line.startswith("Hari ini"))
    assert late.case_id in overdue_line and today.case_id in today_line
    assert ctx.outbox.get("digest:2027-01-04:kabid.dpupr") is not None
    assert send_morning_digest(ctx)["queued"] == 0  # a re-run the same morning queues nothing


def test_one_outbox_send_costs_at_most_three_requests_plus_the_provider_call(esc_ctx, provider):
    from bench.metering import RequestCounter
    from chalicelib.domain.messages import OutboundMessage
    from chalicelib.services.outbound import send_outbound

    ctx = esc_ctx
    message = OutboundMessage(message_id=f"alert:budget:{uuid.uuid4().hex}", channel="telegram",
                              recipient="5550777", body="Pengingat", created_at=ctx.now())
    ctx.outbox.enqueue(message)
    provider.reset()
    with RequestCounter() as counter:
        assert send_outbound(ctx, message.message_id) == "sent"
    assert counter.total <= 3, counter.calls
    assert len(provider.sent_to("/sendMessage")) == 1


# ---------------------------------------------------------------- one effective deadline per stage


def _forwarded_domain_case(tier):
    """A case received Monday 23 Nov 2026 and verified Wednesday 25 Nov (cap: 60 calendar days later)."""
    from chalicelib.domain.calendar import WorkingCalendar
    from chalicelib.domain.case import Actor, Channel
    from chalicelib.domain.lifecycle import ActionRequest, apply_action, new_case
    from chalicelib.domain.sla import SlaPolicy

    cal, policy = WorkingCalendar(holidays_by_year=lambda year: {}), SlaPolicy()
    admin = Actor("officer:admin", Role.ADMIN, "diskominfo")
    case = new_case(case_id="KDR-2611-CAP0001", city_code="KDR", channel=Channel.PHONE, description="Banjir",
                    received_at=wib(2026, 11, 23, 9, 0), actor=admin, calendar=cal, policy=policy)
    request = ActionRequest(Action.FORWARD, lead_agency="dpupr", tier=tier)
    return apply_action(case, request, admin, wib(2026, 11, 25, 9, 0), cal, policy), cal


@pytest.mark.parametrize("tier", ["berkadar_pengawasan", "normatif"])
def test_warning_and_first_rung_come_at_the_effective_deadline_never_before_it(tier):
    from chalicelib.domain.escalation import AlarmKind, EscalationPolicy, Rung, next_alarm
    from chalicelib.domain.sla import DeadlineKind, Tier

    case, cal = _forwarded_domain_case(Tier(tier))
    policy = EscalationPolicy()
    cap, own = case.finish_by, case.deadline
    assert cap.due_at == wib(2027, 1, 24, 23, 59, 59)
    if tier == "berkadar_pengawasan":  # 60 working days run to mid-February: the cap comes first
        assert own.due_at > cap.due_at
        effective, first_rung = cap, Rung.SUPERVISOR
    else:  # 5 working days: the stage's own deadline comes first
        assert own.due_at == wib(2026, 12, 2, 23, 59, 59) and own.due_at < cap.due_at
        effective, first_rung = own, Rung.OFFICER
    assert case.next_deadline == effective
    warn = next_alarm(case, cal, policy)
    assert (warn.kind, warn.at) == (AlarmKind.WARN, effective.due_at - policy.warn_before)
    rung = next_alarm(dataclasses.replace(case, warned=True), cal, policy)
    assert (rung.kind, rung.at, rung.level, rung.rung) == (AlarmKind.ESCALATE, effective.due_at, 1, first_rung)
    assert rung.at <= own.due_at and rung.at <= cap.due_at  # no alert waits for the later of the two
    assert effective.kind is (DeadlineKind.BATAS_AKHIR if tier == "berkadar_pengawasan" else DeadlineKind.TINDAK_LANJUT)


def test_the_job_escalates_a_berkadar_case_at_its_cap_not_before(esc_ctx, admin):
    ctx = esc_ctx
    ctx.clock.set(wib(2026, 11, 25, 9, 0))
    entered = workflow.create_case_from_entry(ctx, admin, channel="telepon", description="Dugaan pungli",
                                              idempotency_key=uuid.uuid4().hex,
                                              reporter=Reporter(name="Bu Sri", phone="+6281234567002"))
    assert entered.finish_by is None  # the cap starts at verification
    case = workflow.forward_case(ctx, admin, entered.case_id, 1, lead_agency="dpupr", tier="berkadar_pengawasan")
    cap = case.finish_by
    assert cap.due_at == wib(2027, 1, 24, 23, 59, 59) and case.deadline.due_at > cap.due_at
    ctx.clock.set(cap.due_at - timedelta(hours=24, minutes=2))
    escalate_overdue(ctx)
    assert steps(ctx, case.case_id) == []
    ctx.clock.set(cap.due_at - timedelta(hours=23))
    escalate_overdue(ctx)
    assert steps(ctx, case.case_id) == [(Action.WARN, None)]
    ctx.clock.set(cap.due_at - timedelta(minutes=2))
    escalate_overdue(ctx)
    assert steps(ctx, case.case_id) == [(Action.WARN, None)]
    ctx.clock.set(cap.due_at + timedelta(minutes=3))
    escalate_overdue(ctx)
    assert steps(ctx, case.case_id) == [(Action.WARN, None), (Action.ESCALATE, "supervisor")]
