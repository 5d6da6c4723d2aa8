"""Frozen-clock walks over real 2026-2027 days (national holidays, cuti bersama, Kediri's own day), through the
services and the scheduled jobs as they run in production: what the officers and the dashboard would see."""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.calendar import WIB
from chalicelib.domain.case import Action, Status
from chalicelib.services import workflow
from chalicelib.services.escalation import escalate_overdue
from chalicelib.services.notify import notify_now
from tests.unit.alerting import actor, alert, forward, made_cases
from tests.unit.web_session import text_of


def wib(*args) -> datetime:
    return datetime(*args, tzinfo=WIB)


def rungs(case) -> list[str]:
    return [e.rung for e in case.timeline if e.action is Action.ESCALATE]


def run_job_at(ctx, moment: datetime, case_id: str):
    ctx.clock.set(moment)
    escalate_overdue(ctx)
    return ctx.cases.get(case_id)


def test_a_letter_entered_a_week_late_is_already_two_working_days_late_for_verification(alert_ctx, web_as):
    # Given a letter received on Wednesday 16 December 2026, typed in on Wednesday 23 December
    ctx = alert_ctx
    ctx.clock.set(wib(2026, 12, 23, 10, 0))
    case = workflow.create_case_from_entry(
        ctx, actor("admin.kominfo"), channel="surat", description="Surat warga: lampu PJU di Jl. Brawijaya mati",
        idempotency_key="surat-2026-12-16-001", received_at=wib(2026, 12, 16, 10, 0))
    made_cases.append(case.case_id)
    notify_now(ctx, case)
    # Then every deadline counts from the 16th: verification was due Monday 21 December
    assert case.received_at == wib(2026, 12, 16, 10, 0)
    assert case.deadline.due_at == wib(2026, 12, 21, 23, 59, 59)
    assert ctx.calendar.working_days_after(case.deadline.due_at, ctx.now()) == 2
    assert case.timeline[0].actor_id == "officer:admin.kominfo"  # who entered it
    page = text_of(web_as("admin.kominfo").get(f"/petugas/kasus/{case.case_id}"))
    assert "Terlambat 2 hari kerja" in page
    # and the escalation job climbs both rungs it already missed at once (admin, then leadership)
    escalated = run_job_at(ctx, wib(2026, 12, 23, 10, 5), case.case_id)
    assert rungs(escalated) == ["admin", "leadership"]


def test_an_overdue_case_held_over_christmas_and_new_year_resumes_overdue_at_the_same_rung(alert_ctx):
    # Given a case forwarded on Monday 14 December 2026: the first follow-up is due Monday 21 December
    ctx = alert_ctx
    ctx.clock.set(wib(2026, 12, 14, 9, 0))
    case = workflow.create_case_from_entry(ctx, actor("admin.kominfo"), channel="telepon",
                                           description="Jembatan kecil di Kel. Banjaran retak",
                                           idempotency_key="walk-hold-2026-12-14")
    made_cases.append(case.case_id)
    case = forward(ctx, case)
    assert case.deadline.due_at == wib(2026, 12, 21, 23, 59, 59)
    # When nobody follows up, the job warns, then climbs to the officer and the supervisor
    run_job_at(ctx, wib(2026, 12, 21, 0, 30), case.case_id)
    run_job_at(ctx, wib(2026, 12, 22, 0, 30), case.case_id)
    case = run_job_at(ctx, wib(2026, 12, 23, 0, 30), case.case_id)
    assert rungs(case) == ["officer", "supervisor"] and case.escalation_level == 2
    # and the OPD then puts it on hold until Thursday 31 December
    ctx.clock.set(wib(2026, 12, 23, 9, 0))
    held = workflow.hold_case(ctx, actor("petugas.dpupr"), case.case_id, case.version,
                              note="Menunggu foto retakan dari pelapor.", until="2026-12-31")
    assert held.status is Status.DITUNDA and held.is_overdue(ctx.now())  # the dashboard still counts it late
    # Then over the holidays the job looks at it but takes no rung
    for day in (24, 25, 28, 29, 30, 31):
        during = run_job_at(ctx, wib(2026, 12, day, 0, 30), case.case_id)
        assert during.status is Status.DITUNDA and rungs(during) == ["officer", "supervisor"]
        assert during.is_overdue(ctx.now())
    # and on New Year's Day it resumes by itself, with the same missed deadline and rung, and the admin is told
    resumed = run_job_at(ctx, wib(2027, 1, 1, 0, 30), case.case_id)
    assert resumed.status is Status.TERVERIFIKASI
    assert resumed.deadline.due_at == wib(2026, 12, 21, 23, 59, 59) and resumed.escalation_level == 2
    resume_event = resumed.timeline[-1]
    assert resume_event.action is Action.RESUME
    assert "Masa tunda" in alert(ctx, resumed, resume_event.seq, "admin.kominfo").body
    # the next rung comes at the end of the first working day after the resume (Monday 4 January), not at once
    for moment in (wib(2027, 1, 2, 12), wib(2027, 1, 4, 12)):
        assert rungs(run_job_at(ctx, moment, case.case_id)) == ["officer", "supervisor"]
    climbed = run_job_at(ctx, wib(2027, 1, 5, 0, 30), case.case_id)
    assert rungs(climbed) == ["officer", "supervisor", "admin"]
    assert climbed.is_overdue(ctx.now())


def test_the_hold_limit_counts_real_working_days_across_the_holidays(alert_ctx):
    # 14 working days after Wednesday 23 December 2026 skip Christmas, cuti bersama, New Year and 5 January:
    # 28-31 Dec (4), 4 Jan (5), 6-8 Jan (8), 11-15 Jan (13), 18 Jan (14)
    import pytest

    from chalicelib.domain.errors import ValidationFailed

    ctx = alert_ctx
    ctx.clock.set(wib(2026, 12, 23, 9, 0))
    case = workflow.create_case_from_entry(ctx, actor("admin.kominfo"), channel="telepon",
                                           description="Saluran air di Jl. Hasanudin meluap",
                                           idempotency_key="walk-hold-limit-2026-12-23")
    made_cases.append(case.case_id)
    case = forward(ctx, case)
    with pytest.raises(ValidationFailed) as refused:
        workflow.hold_case(ctx, actor("petugas.dpupr"), case.case_id, case.version, note="Menunggu data.",
                           until="2027-01-19")
    assert "14 hari kerja" in refused.value.message
    held = workflow.hold_case(ctx, actor("petugas.dpupr"), case.case_id, case.version, note="Menunggu data.",
                              until="2027-01-18")
    assert held.paused.until == wib(2027, 1, 18, 23, 59, 59)
