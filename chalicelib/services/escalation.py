"""Scheduled jobs that keep cases from being forgotten: warnings and escalation, and the auto-close.

Both read their candidates from the sparse alarm index (one partition per job), which holds only cases
whose alarm time has come, so a run costs what is due, not what is open. The index is eventually
consistent: each candidate is re-read and changed through the domain with a write conditioned on its
version, so two overlapping runs take each step once (the loser sees a conflict and moves on). A case whose
read or write fails (throttling, a time-out) is counted, logged and left to the next run: it never stops the
others, and a step that was written before the error is found done on the re-read.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import metrics
from chalicelib.domain.case import Action, Actor, Case
from chalicelib.domain.errors import InvalidTransition, VersionConflict
from chalicelib.domain.escalation import AlarmKind, deadline_alarm, next_alarm
from chalicelib.domain.lifecycle import ActionRequest
from chalicelib.observability import logger
from chalicelib.services.context import Context
from chalicelib.services.notify import agency_short_name
from chalicelib.store.cases import AUTO_CLOSE_SHARD, ESCALATION_SHARD

MAX_STEPS_PER_RUN = 4  # a case found long overdue (after an outage) climbs its missed rungs in one run


@dataclass
class JobReport:
    candidates: int = 0
    warned: int = 0
    escalated: int = 0
    resumed: int = 0  # holds that ran out
    closed: int = 0
    changed_meanwhile: int = 0
    failed: int = 0  # cases left to the next run after an error


def escalate_overdue(ctx: Context, limit: int = 500) -> JobReport:
    """Warn of deadlines coming due and climb the ladder one rung per missed step, each step once."""
    from chalicelib.services.outbound import send_due_messages
    from chalicelib.services.sync import sync_case
    from chalicelib.services.workflow import decide_and_save

    report = JobReport()
    now = ctx.now()
    actor = Actor.system("escalation")
    for case_id in list(ctx.cases.alarms_due(ESCALATION_SHARD, now, limit=limit)):
        report.candidates += 1
        try:
            case = ctx.cases.get(case_id)
            stepped = False
            for _ in range(MAX_STEPS_PER_RUN):
                request = _step_for(ctx, case, now) if case is not None else None
                if request is None:
                    break
                try:
                    case = decide_and_save(ctx, actor, case, case.version, request)
                except (VersionConflict, InvalidTransition):
                    report.changed_meanwhile += 1  # an officer acted, or another run took this step
                    break
                stepped = True
                if request.action is Action.WARN:
                    report.warned += 1
                elif request.action is Action.RESUME:
                    report.resumed += 1
                else:
                    report.escalated += 1
                    metrics.count_escalation(request.rung or "unknown")
        except Exception:
            report.failed += 1
            logger.exception("escalation of one case failed; the next run retries it", extra={"case_id": case_id})
            continue
        if stepped:
            _sync_now(ctx, case, sync_case)  # queue the alerts now rather than at the next sync run
    if report.warned or report.escalated or report.resumed or report.failed:
        logger.info("escalation run", extra=report.__dict__)
    if report.warned or report.escalated or report.resumed:
        _send_now(ctx, send_due_messages)  # officers hear of it now, not at the outbox job's next minute
    return report


def _sync_now(ctx: Context, case: Case, sync_case) -> None:
    """Best effort: the case is flagged for the sync job, which queues the alerts if this fails."""
    try:
        sync_case(ctx, case)
    except Exception:
        logger.exception("immediate sync failed; the sync job will retry", extra={"case_id": case.case_id})


def _send_now(ctx: Context, send_due_messages) -> None:
    """Best effort: the outbox job sends whatever this leaves due."""
    try:
        send_due_messages(ctx)
    except Exception:
        logger.exception("immediate send failed; the outbox job will retry")


def _step_for(ctx: Context, case: Case, now) -> ActionRequest | None:
    alarm = next_alarm(case, ctx.calendar, ctx.escalation)
    if alarm is None or alarm.at > now or alarm.kind is AlarmKind.AUTO_CLOSE:
        return None
    if alarm.kind is AlarmKind.RESUME:
        paused = case.paused
        cap_first = paused is not None and (paused.until is None or alarm.at < paused.until)
        why = "batas akhir penyelesaian tiba" if cap_first else "masa tunda berakhir"
        return ActionRequest(Action.RESUME, note=f"Dilanjutkan otomatis: {why}.")
    task = case.support_task(alarm.agency) if alarm.agency else None
    deadline = task.deadline if task is not None else case.next_deadline
    whose = f" ({agency_short_name(ctx, alarm.agency)})" if alarm.agency else ""
    if alarm.kind is AlarmKind.WARN and deadline is not None and deadline.due_at > now:
        return ActionRequest(Action.WARN, note=f"Batas waktu {deadline.kind.label}{whose} segera tiba.",
                             agency=alarm.agency)
    if alarm.kind is AlarmKind.WARN:  # the deadline already passed: warning would be late; escalate instead
        alarm = deadline_alarm(_as_warned(case, alarm.agency), alarm.agency, ctx.calendar, ctx.escalation)
        if alarm is None or alarm.kind is not AlarmKind.ESCALATE or alarm.at > now:
            return None
        task = case.support_task(alarm.agency) if alarm.agency else None
        deadline = task.deadline if task is not None else case.next_deadline
        whose = f" ({agency_short_name(ctx, alarm.agency)})" if alarm.agency else ""
    return ActionRequest(
        Action.ESCALATE,
        level=alarm.level,
        rung=alarm.rung.value,
        note=f"Batas waktu {deadline.kind.label}{whose} terlewati: dieskalasi ke {alarm.rung.label}.",
        agency=alarm.agency,
    )


def _as_warned(case: Case, agency: str | None) -> Case:
    """The case as if the warning had gone (to find the rung that is due instead of a late warning)."""
    from dataclasses import replace

    if agency is None:
        return replace(case, warned=True)
    return replace(case, support=tuple(replace(t, warned=True) if t.agency_id == agency else t
                                       for t in case.support))


def auto_close_silent(ctx: Context, limit: int = 500) -> JobReport:
    """Close followed-up cases whose citizen stayed silent for the auto-close window (the citizen is told)."""
    from chalicelib.services.sync import sync_case
    from chalicelib.services.workflow import decide_and_save

    report = JobReport()
    actor = Actor.system("auto_close")
    note = "Ditutup otomatis: tidak ada tanggapan pelapor dalam batas waktu setelah tindak lanjut."
    for case_id in list(ctx.cases.alarms_due(AUTO_CLOSE_SHARD, ctx.now(), limit=limit)):
        report.candidates += 1
        try:
            case = ctx.cases.get(case_id)
            if case is None:
                continue
            closed = decide_and_save(ctx, actor, case, case.version, ActionRequest(Action.AUTO_CLOSE, note=note))
        except (VersionConflict, InvalidTransition):
            report.changed_meanwhile += 1
            continue
        except Exception:
            report.failed += 1
            logger.exception("auto-close of one case failed; the next run retries it", extra={"case_id": case_id})
            continue
        report.closed += 1
        _sync_now(ctx, closed, sync_case)
    if report.closed:
        from chalicelib.services.outbound import send_due_messages

        _send_now(ctx, send_due_messages)
    return report
