"""Re-deriving an open case's deadlines after the city's calendar changed (a day off added, a national day
withdrawn). Pure: no I/O.

Deadlines are computed once, at the transition that starts a stage (lifecycle ``_changes_for``). When the
calendar changes, the admin koordinator expects the open cases to follow at once: the same stage, counted
from the same moment, on the new calendar. The moment is read back from the timeline; a stage whose start
cannot be told for sure (a resumed hold, whose remaining days were counted on the old calendar) is left as it
is rather than guessed. Rungs of the escalation ladder already taken stay taken; the hard cap counts calendar
days and never moves.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.case import Action, Case, Status, SupportTask, TimelineEvent
from chalicelib.domain.escalation import EscalationPolicy
from chalicelib.domain.lifecycle import with_alarm
from chalicelib.domain.sla import (
    Deadline,
    SlaPolicy,
    auto_close_deadline,
    contribution_deadline,
    follow_up_deadline,
    verify_deadline,
)

# Events that never set the stage deadline: skipped when looking for the stage's start.
_NEUTRAL = frozenset({
    Action.ASSIGN, Action.CONTRIBUTE, Action.RESPOND, Action.WARN, Action.ESCALATE, Action.MERGED_IN, Action.RATE,
})


def stage_start(case: Case) -> TimelineEvent | None:
    """The event that set the case's current stage deadline, or None when it cannot be told for sure.

    A re-disposition that kept the lead OPD did not touch the deadline, so it is skipped; a resume (its
    deadline came from days left at the pause) and anything unexpected give None.
    """
    for event in reversed(case.timeline):
        if event.action in _NEUTRAL:
            continue
        if event.action is Action.REDISPOSE:
            before = case.disposition_before(event.seq)
            if before and event.agencies and before[0] == event.agencies[0]:
                continue  # same lead OPD: its clock kept running
            return event
        if event.action in (Action.CREATE, Action.FORWARD, Action.RETURN, Action.WITHDRAW, Action.REOPEN,
                            Action.FOLLOW_UP):
            return event
        return None  # RESUME, HOLD or anything else: not ours to guess
    return None


def stage_deadline(case: Case, event: TimelineEvent, calendar: WorkingCalendar, policy: SlaPolicy) -> Deadline | None:
    """What ``event`` set as the stage deadline, counted on ``calendar``; None if it set none we can redo."""
    action, at = event.action, event.at
    if action in (Action.CREATE, Action.RETURN, Action.WITHDRAW) and event.to_status is Status.BARU:
        return verify_deadline(calendar, policy, at)
    if action is Action.REOPEN and event.to_status is Status.BARU:
        return verify_deadline(calendar, policy, at)
    if action in (Action.FORWARD, Action.REDISPOSE, Action.REOPEN) and event.to_status is Status.TERVERIFIKASI:
        return follow_up_deadline(calendar, policy, at, case.tier or policy.default_tier)
    if action is Action.FOLLOW_UP:
        return auto_close_deadline(calendar, policy, at)
    return None


def _paused_since(case: Case, moment: datetime) -> bool:
    """Whether the case was held at or after ``moment`` (then a supporting OPD's due date was shifted by the
    hold and cannot be recounted from the day it was added)."""
    return any(e.action in (Action.HOLD, Action.RESUME) and e.at >= moment for e in case.timeline)


def _support(case: Case, calendar: WorkingCalendar, policy: SlaPolicy) -> tuple[SupportTask, ...]:
    tasks = []
    for task in case.support:
        if task.pending and not _paused_since(case, task.added_at):
            due = contribution_deadline(calendar, policy, task.added_at, case.tier, case.finish_by).due_at
            task = dataclasses.replace(task, due_at=due)
        tasks.append(task)
    return tuple(tasks)


def recompute_deadlines(case: Case, calendar: WorkingCalendar, policy: SlaPolicy,
                        escalation: EscalationPolicy) -> Case:
    """The case with its stage deadline, its supporting OPDs' contribution deadlines and its alarm counted
    again on ``calendar``; the same case (``is``) when nothing moves or the case is closed or on hold.

    The version is not bumped here: the caller does that when it writes (a recount is not an officer's
    action and adds no timeline event).
    """
    if not case.is_open or case.paused is not None or case.status is Status.DITUNDA:
        return case  # a held case keeps its remaining working days as counted at the pause
    deadline = case.deadline
    if deadline is not None:
        event = stage_start(case)
        fresh = stage_deadline(case, event, calendar, policy) if event is not None else None
        if fresh is not None and fresh.kind is deadline.kind:
            deadline = fresh
    support = _support(case, calendar, policy) if case.status in (Status.TERVERIFIKASI,
                                                                   Status.DITINDAKLANJUTI) else case.support
    # the alarm is recounted even when no deadline moved: the rungs after a missed deadline count working days
    moved = with_alarm(dataclasses.replace(case, deadline=deadline, support=support), calendar, escalation)
    unchanged = (moved.deadline, moved.support, moved.alarm_at, moved.alarm_kind) == (
        case.deadline, case.support, case.alarm_at, case.alarm_kind)
    return case if unchanged else moved
