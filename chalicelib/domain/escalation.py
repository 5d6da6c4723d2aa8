"""The escalation ladder: who is alerted when a deadline is missed, one rung per step (docs/architecture.md,
"Service levels and escalation").

A case's next *alarm* is the moment something must happen to it: a "due soon" warning before its
deadline, then one rung up the ladder at the deadline and at the end of each further working day it stays
missed. The alarm time is what the sparse open-deadline index holds, so the escalation job reads only the
cases that need it now. Each rung is taken once per deadline: a new deadline (forwarding, a follow-up, a
resume) starts the ladder again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.case import Case, Status, SupportTask
from chalicelib.domain.sla import DeadlineKind


class Rung(StrEnum):
    OFFICER = "officer"  # the assigned officer, else the lead OPD's officers
    SUPERVISOR = "supervisor"  # Kabid / Kepala of the lead OPD
    ADMIN = "admin"  # admin koordinator
    LEADERSHIP = "leadership"  # Sekda / Wali Kota

    @property
    def label(self) -> str:
        return {
            Rung.OFFICER: "petugas OPD",
            Rung.SUPERVISOR: "supervisor OPD",
            Rung.ADMIN: "admin koordinator",
            Rung.LEADERSHIP: "pimpinan daerah",
        }[self]


DEFAULT_LADDERS: dict[DeadlineKind, tuple[Rung, ...]] = {
    DeadlineKind.VERIFIKASI: (Rung.ADMIN, Rung.LEADERSHIP),
    DeadlineKind.TINDAK_LANJUT: (Rung.OFFICER, Rung.SUPERVISOR, Rung.ADMIN, Rung.LEADERSHIP),
    DeadlineKind.BATAS_AKHIR: (Rung.SUPERVISOR, Rung.ADMIN, Rung.LEADERSHIP),
    # a supporting OPD's contribution: its own officers, then its own supervisor, then the admin koordinator
    DeadlineKind.KONTRIBUSI: (Rung.OFFICER, Rung.SUPERVISOR, Rung.ADMIN),
}


@dataclass(frozen=True)
class EscalationPolicy:
    warn_before: timedelta = timedelta(hours=24)  # zero: no "due soon" warnings
    step_working_days: int = 1  # a missed deadline climbs one rung per this many working days
    ladders: dict[DeadlineKind, tuple[Rung, ...]] = field(default_factory=lambda: dict(DEFAULT_LADDERS))

    def __hash__(self) -> int:
        return hash((self.warn_before, self.step_working_days, tuple(sorted(self.ladders.items()))))


class AlarmKind(StrEnum):
    WARN = "warn"
    ESCALATE = "escalate"
    AUTO_CLOSE = "auto_close"
    RESUME = "resume"  # a hold runs out (or reaches the hard cap): the clock restarts by itself


@dataclass(frozen=True)
class Alarm:
    at: datetime
    kind: AlarmKind
    level: int = 0  # for ESCALATE: the rung number (1-based) this alarm takes the case to
    rung: Rung | None = None
    agency: str | None = None  # a supporting OPD's contribution deadline (None: the case's own deadline)


def next_alarm(case: Case, calendar: WorkingCalendar, policy: EscalationPolicy) -> Alarm | None:
    """When the case next needs the system's attention, and why; None when nothing is pending.

    A held case's alarm is the end of its hold, or the hard cap if that comes first: a hold never hides
    a case from the escalation job. A forwarded case's alarm is the earliest of its own and those of its
    supporting OPDs' pending contributions (each OPD has its own deadline and ladder).
    """
    if case.is_open and case.paused is not None:
        ends = [d for d in (case.paused.until, case.finish_by.due_at if case.finish_by else None) if d]
        return Alarm(min(ends), AlarmKind.RESUME) if ends else None
    alarms = [_case_alarm(case, calendar, policy)]
    if case.status in (Status.TERVERIFIKASI, Status.DITINDAKLANJUTI):
        alarms += [_support_alarm(task, calendar, policy) for task in case.support if task.pending]
    found = [a for a in alarms if a is not None]
    return min(found, key=lambda a: a.at) if found else None


def deadline_alarm(case: Case, agency: str | None, calendar: WorkingCalendar,
                   policy: EscalationPolicy) -> Alarm | None:
    """The next alarm of one deadline: a supporting OPD's contribution (`agency`) or the case's own (None)."""
    if agency is None:
        return _case_alarm(case, calendar, policy)
    task = case.support_task(agency)
    return _support_alarm(task, calendar, policy) if task is not None and task.pending else None


def _support_alarm(task: SupportTask, calendar: WorkingCalendar, policy: EscalationPolicy) -> Alarm | None:
    ladder = policy.ladders.get(DeadlineKind.KONTRIBUSI, ())
    if task.escalation_level == 0 and not task.warned and policy.warn_before > timedelta(0):
        return Alarm(task.due_at - policy.warn_before, AlarmKind.WARN, agency=task.agency_id)
    if task.escalation_level >= len(ladder):
        return None
    at = task.due_at
    if task.escalation_level > 0:
        at = calendar.end_of_working_day_after(task.due_at, task.escalation_level * policy.step_working_days)
    level = task.escalation_level + 1
    return Alarm(at, AlarmKind.ESCALATE, level, ladder[level - 1], agency=task.agency_id)


def _case_alarm(case: Case, calendar: WorkingCalendar, policy: EscalationPolicy) -> Alarm | None:
    deadline = case.next_deadline
    if deadline is None:
        return None
    if deadline.kind is DeadlineKind.TUTUP_OTOMATIS:
        return Alarm(deadline.due_at, AlarmKind.AUTO_CLOSE)
    ladder = policy.ladders.get(deadline.kind, ())
    if case.escalation_level == 0 and not case.warned and policy.warn_before > timedelta(0):
        return Alarm(deadline.due_at - policy.warn_before, AlarmKind.WARN)
    if case.escalation_level >= len(ladder):
        return None  # the top of the ladder was reached for this deadline
    at = deadline.due_at
    if case.escalation_level > 0 or case.ladder_shift > 0:
        steps = case.escalation_level * policy.step_working_days + case.ladder_shift
        at = calendar.end_of_working_day_after(deadline.due_at, steps)
    level = case.escalation_level + 1
    return Alarm(at, AlarmKind.ESCALATE, level, ladder[level - 1])
