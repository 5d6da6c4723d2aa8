"""The case lifecycle as an explicit transition table: (state, action) -> (target state, roles, agency scope).

`apply_action` is the only way a case changes: it checks the table, validates the action's fields,
moves the SLA clock, bumps the version and appends one timeline event. It never does I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from chalicelib.domain.calendar import WorkingCalendar, end_of_day_wib, to_wib_date
from chalicelib.domain.case import Action, Actor, Case, PausedClock, Role, Status, SupportTask, TimelineEvent
from chalicelib.domain.errors import InvalidTransition, NotPermitted, ValidationFailed
from chalicelib.domain.escalation import EscalationPolicy, next_alarm
from chalicelib.domain.sla import (
    Deadline,
    DeadlineKind,
    SlaPolicy,
    Tier,
    auto_close_deadline,
    cap_at_receipt,
    cap_at_verification,
    contribution_deadline,
    finish_cap,
    follow_up_deadline,
    paused_calendar_days,
    remaining_working_days,
    resume_deadline,
    verify_deadline,
)

MAX_NOTE_LENGTH = 4000
DEFAULT_ESCALATION = EscalationPolicy()
DEFAULT_MAX_HOLD_WORKING_DAYS = 14
# Never on the public page. RESPOND carries the citizen's own words for the OPD: never public; a withdrawal
# is the admin's internal re-verification (the citizen hears of the forwarding that follows it).
INTERNAL_ACTIONS = frozenset({Action.ASSIGN, Action.WARN, Action.ESCALATE, Action.RESPOND, Action.WITHDRAW})


class Scope(StrEnum):
    """Which agency's officers may act (applies to the OPD and supervisor roles only)."""

    ANY = "any"
    LEAD = "lead"  # officers of the lead OPD
    INVOLVED = "involved"  # officers of the lead or a supporting OPD
    SUPPORTING = "supporting"  # officers of a supporting OPD


@dataclass(frozen=True)
class Rule:
    target: Status | None  # None: back to the state the case was held from
    roles: frozenset[Role]
    scope: Scope = Scope.ANY
    note_required: bool = False


def _rule(target: Status | None, *roles: Role, scope: Scope = Scope.ANY, note: bool = False) -> Rule:
    return Rule(target, frozenset(roles), scope, note)


A, OP, S, C, SYS = Role.ADMIN, Role.OPD, Role.SUPERVISOR, Role.CITIZEN, Role.SYSTEM
B, T, D, H = Status.BARU, Status.TERVERIFIKASI, Status.DITINDAKLANJUTI, Status.DITUNDA

TRANSITIONS: Mapping[tuple[Status, Action], Rule] = {
    (B, Action.FORWARD): _rule(T, A),
    (B, Action.HOLD): _rule(H, A, note=True),
    (T, Action.HOLD): _rule(H, A, OP, S, scope=Scope.LEAD, note=True),
    (H, Action.RESUME): _rule(None, A, OP, S, C, SYS, scope=Scope.LEAD),  # SYS: the hold-until day has passed
    (B, Action.REJECT): _rule(Status.BUKAN_WEWENANG, A, note=True),
    (T, Action.REJECT): _rule(Status.BUKAN_WEWENANG, A, note=True),
    (B, Action.ARCHIVE): _rule(Status.DIARSIPKAN, A, note=True),
    (H, Action.ARCHIVE): _rule(Status.DIARSIPKAN, A, note=True),
    (T, Action.RETURN): _rule(B, OP, S, scope=Scope.LEAD, note=True),
    (T, Action.ASSIGN): _rule(T, A, S, scope=Scope.LEAD),
    (D, Action.ASSIGN): _rule(D, A, S, scope=Scope.LEAD),
    # only the lead OPD's follow-up moves the case; a supporting OPD's note is its contribution
    (T, Action.FOLLOW_UP): _rule(D, OP, S, scope=Scope.LEAD, note=True),
    (D, Action.FOLLOW_UP): _rule(D, OP, S, scope=Scope.LEAD, note=True),
    (T, Action.CONTRIBUTE): _rule(T, OP, S, scope=Scope.SUPPORTING, note=True),
    (D, Action.CONTRIBUTE): _rule(D, OP, S, scope=Scope.SUPPORTING, note=True),
    # the admin koordinator controls the disposition: take the case back, or change who works on it
    (T, Action.WITHDRAW): _rule(B, A, note=True),
    (D, Action.WITHDRAW): _rule(B, A, note=True),
    (T, Action.REDISPOSE): _rule(None, A, note=True),  # stays, or TERVERIFIKASI when the lead OPD changes
    (D, Action.REDISPOSE): _rule(None, A, note=True),
    # the note tells the citizen what was done; an OPD only after the citizen's reply window (see apply_action)
    (D, Action.CLOSE): _rule(Status.SELESAI, A, OP, S, scope=Scope.LEAD, note=True),
    (D, Action.AUTO_CLOSE): _rule(Status.SELESAI, SYS),
    (D, Action.REOPEN): _rule(T, C, A),
    (D, Action.CONFIRM): _rule(Status.SELESAI, C),  # the citizen confirms the follow-up solved it
    (D, Action.RESPOND): _rule(D, C),  # the citizen answers without confirming or disputing: nothing moves
    (B, Action.MERGE): _rule(Status.DIGABUNG, A, note=True),
    (T, Action.MERGE): _rule(Status.DIGABUNG, A, note=True),
    (D, Action.MERGE): _rule(Status.DIGABUNG, A, note=True),
    (H, Action.MERGE): _rule(Status.DIGABUNG, A, note=True),
    # the admin undoes a closing decision, with a reason: back to TERVERIFIKASI with a lead OPD, else BARU
    (Status.SELESAI, Action.REOPEN): _rule(None, A, note=True),
    (Status.BUKAN_WEWENANG, Action.REOPEN): _rule(None, A, note=True),
    (Status.DIARSIPKAN, Action.REOPEN): _rule(None, A, note=True),
    (Status.DIGABUNG, Action.REOPEN): _rule(None, A, note=True),
    (Status.SELESAI, Action.RATE): _rule(Status.SELESAI, C),
    (B, Action.WARN): _rule(B, SYS),
    (T, Action.WARN): _rule(T, SYS),
    (B, Action.ESCALATE): _rule(B, SYS),
    (T, Action.ESCALATE): _rule(T, SYS),
    # on a followed-up case only a supporting OPD's contribution deadline can warn or escalate
    (D, Action.WARN): _rule(D, SYS),
    (D, Action.ESCALATE): _rule(D, SYS),
}


@dataclass(frozen=True)
class ActionRequest:
    """What an actor asks for; which fields matter depends on the action."""

    action: Action
    note: str = ""
    lead_agency: str | None = None
    supporting_agencies: tuple[str, ...] = ()
    category_id: str | None = None
    tier: Tier | None = None
    assigned_officer: str | None = None
    merge_into: str | None = None
    rating: int | None = None
    level: int | None = None  # ESCALATE: the rung number this step takes the case to
    rung: str | None = None  # ESCALATE: who is alerted at that rung
    public: bool = True
    hold_until: date | None = None  # HOLD: the last day (WIB) of the hold
    max_hold_working_days: int = DEFAULT_MAX_HOLD_WORKING_DAYS  # HOLD: how far ahead `hold_until` may be
    agency: str | None = None  # WARN/ESCALATE: the supporting OPD whose contribution deadline it is


def rule_for(case: Case, action: Action) -> Rule:
    rule = TRANSITIONS.get((case.status, action))
    if rule is None:
        raise InvalidTransition(
            f"Aksi '{action.label}' tidak dapat dilakukan pada laporan berstatus {case.status.label}.",
            status=case.status.value,
            action=action.value,
        )
    return rule


def may_act(case: Case, rule: Rule, actor: Actor) -> bool:
    if actor.role not in rule.roles:
        return False
    if actor.role in (Role.OPD, Role.SUPERVISOR):
        if rule.scope is Scope.LEAD:
            return actor.agency_id is not None and actor.agency_id == case.lead_agency
        if rule.scope is Scope.INVOLVED:
            return case.involves(actor.agency_id)
        if rule.scope is Scope.SUPPORTING:
            return actor.agency_id is not None and actor.agency_id in case.supporting_agencies
    return True


def allowed_actions(case: Case, actor: Actor, now: datetime | None = None) -> list[Action]:
    """The actions this actor may take on this case now (drives the buttons an officer sees). Given `now`,
    a close that the citizen's open reply window still forbids this actor is left out."""
    return [
        action
        for (status, action), rule in TRANSITIONS.items()
        if status is case.status and may_act(case, rule, actor)
        and not (now is not None and action is Action.CLOSE and actor.role is not Role.ADMIN
                 and in_reply_window(case, now))
    ]


def apply_action(
    case: Case,
    request: ActionRequest,
    actor: Actor,
    now: datetime,
    calendar: WorkingCalendar,
    policy: SlaPolicy,
    escalation: EscalationPolicy = DEFAULT_ESCALATION,
) -> Case:
    """Return the case after `request`, or raise a DomainError and change nothing."""
    rule = rule_for(case, request.action)
    if not may_act(case, rule, actor):
        raise NotPermitted(
            f"Peran {actor.role.label} tidak berwenang melakukan '{request.action.label}' pada laporan ini.",
            role=actor.role.value,
            action=request.action.value,
        )
    note = request.note.strip()
    if rule.note_required and not note:
        raise ValidationFailed(f"Aksi '{request.action.label}' wajib disertai keterangan.", field="note")
    if len(note) > MAX_NOTE_LENGTH:
        raise ValidationFailed(f"Keterangan paling panjang {MAX_NOTE_LENGTH} karakter.", field="note")
    if request.action is Action.CLOSE and actor.role is not Role.ADMIN and in_reply_window(case, now):
        raise NotPermitted(
            "Laporan belum dapat diselesaikan: pelapor masih dapat menanggapi tindak lanjut sampai "
            "batas waktunya. Laporan selesai dengan konfirmasi pelapor, otomatis setelah batas waktu, "
            "atau oleh admin koordinator.",
            action=request.action.value,
        )

    changes = _changes_for(case, request, actor, now, calendar, policy)
    target = changes.pop("status", rule.target)
    agencies: tuple[str, ...] = ()
    if request.action in (Action.FORWARD, Action.REDISPOSE):
        agencies = (changes["lead_agency"], *changes["supporting_agencies"])
    agency = None
    if request.action is Action.CONTRIBUTE:
        agency = actor.agency_id
    elif request.action in (Action.WARN, Action.ESCALATE):
        agency = request.agency
    event = TimelineEvent(
        seq=case.version + 1,
        at=now,
        action=request.action,
        actor_id=actor.actor_id,
        actor_role=actor.role,
        actor_agency=actor.agency_id,
        from_status=case.status,
        to_status=target,
        note=note,
        public=request.public and request.action not in INTERNAL_ACTIONS,
        agencies=agencies,
        rung=request.rung if request.action is Action.ESCALATE else None,
        agency=agency,
    )
    if "deadline" in changes and changes["deadline"] != case.deadline:
        # a new deadline starts the ladder again (a hold and its resume say what they keep)
        changes.setdefault("escalation_level", 0)
        changes.setdefault("warned", False)
        changes.setdefault("ladder_shift", 0)
    if request.action is Action.RESUME and case.paused is not None and case.paused.missed_due_at is not None:
        changes["ladder_shift"] = _ladder_shift(case, changes["deadline"], now, calendar, escalation)
    updated = dataclasses.replace(
        case,
        status=target,
        version=case.version + 1,
        timeline=(*case.timeline, event),
        **changes,
    )
    return with_alarm(updated, calendar, escalation)


def in_reply_window(case: Case, now: datetime) -> bool:
    """Whether the citizen's reply window after the follow-up is still open (its auto-close deadline has not
    passed). Only the citizen's confirmation, the auto-close or the admin koordinator ends it early."""
    deadline = case.deadline
    return (
        case.status is Status.DITINDAKLANJUTI
        and deadline is not None
        and deadline.kind is DeadlineKind.TUTUP_OTOMATIS
        and not deadline.is_overdue(now)
    )


def record_merged_in(target: Case, source_id: str, actor: Actor, now: datetime, note: str = "") -> Case | None:
    """The surviving case records that `source_id` was merged into it: one MERGED_IN event keyed by the
    duplicate's number, so a retried merge adds nothing (None: already recorded). Status and clock stay."""
    if any(e.action is Action.MERGED_IN and e.merged_from == source_id for e in target.timeline):
        return None
    event = TimelineEvent(
        seq=target.version + 1,
        at=now,
        action=Action.MERGED_IN,
        actor_id=actor.actor_id,
        actor_role=actor.role,
        actor_agency=actor.agency_id,
        from_status=target.status,
        to_status=target.status,
        note=note.strip()[:MAX_NOTE_LENGTH],
        public=False,
        merged_from=source_id,
    )
    return dataclasses.replace(target, version=target.version + 1, timeline=(*target.timeline, event))


def with_alarm(case: Case, calendar: WorkingCalendar, escalation: EscalationPolicy) -> Case:
    """The case with its next alarm (what the escalation and auto-close jobs look up) recomputed."""
    alarm = next_alarm(case, calendar, escalation)
    return dataclasses.replace(
        case, alarm_at=alarm.at if alarm else None, alarm_kind=alarm.kind.value if alarm else None
    )


def _changes_for(
    case: Case,
    request: ActionRequest,
    actor: Actor,
    now: datetime,
    calendar: WorkingCalendar,
    policy: SlaPolicy,
) -> dict:
    action = request.action
    if action is Action.FORWARD:
        if not request.lead_agency:
            raise ValidationFailed("Pilih OPD penanggung jawab (OPD utama).", field="lead_agency")
        tier = request.tier or case.tier or policy.default_tier
        supporting = _supporting(request.supporting_agencies, request.lead_agency)
        # the hard cap starts now unless it counts from receipt (or an earlier verification) already
        cap = cap_at_verification(policy, now, case.finish_by)
        return {
            "lead_agency": request.lead_agency,
            "supporting_agencies": supporting,
            "support": _support_tasks((), supporting, now, calendar, policy, tier, cap),
            "category_id": request.category_id or case.category_id,
            "tier": tier,
            "assigned_officer": None,
            "verified_at": now,
            "deadline": follow_up_deadline(calendar, policy, now, tier),
            "finish_by": cap,
        }
    if action is Action.REDISPOSE:
        return _redisposition(case, request, now, calendar, policy)
    if action is Action.CONTRIBUTE:
        return {"support": _contributed(case, actor.agency_id or "", now)}
    if action is Action.HOLD:
        until = _hold_until(request, now, calendar)
        kind = case.deadline.kind if case.deadline else DeadlineKind.VERIFIKASI
        remaining = remaining_working_days(calendar, case.deadline, now) if case.deadline else 0
        missed = case.deadline.due_at if case.deadline and case.deadline.is_overdue(now) else None
        paused = PausedClock(
            held_from=case.status, paused_at=now, kind=kind, remaining_working_days=remaining,
            until=until, missed_due_at=missed,
        )
        # the ladder is kept as it stands: a hold never resets it
        return {"paused": paused, "deadline": None, "escalation_level": case.escalation_level, "warned": case.warned,
                "ladder_shift": case.ladder_shift}
    if action is Action.RESUME:
        paused = case.paused
        if paused is None:  # a DITUNDA case always has its clock; guard against corrupt records
            raise InvalidTransition("Laporan ini tidak memiliki jam SLA yang ditunda.")
        total_paused = case.paused_calendar_days + paused_calendar_days(paused.paused_at, now)
        if paused.missed_due_at is not None:
            # overdue when held: the same missed deadline, the same rung (a hold never makes it on time)
            return {
                "status": paused.held_from,
                "paused": None,
                "paused_calendar_days": total_paused,
                "deadline": Deadline(paused.kind, paused.missed_due_at),
                "escalation_level": case.escalation_level,
                "warned": True,  # a "due soon" warning would come too late
                "support": _resumed_support(case, paused, now, calendar),
            }
        # the hard cap (finish_by) is not pushed back by the hold: a held case stays watched for it
        return {
            "status": paused.held_from,
            "paused": None,
            "paused_calendar_days": total_paused,
            "deadline": resume_deadline(calendar, paused.kind, paused.remaining_working_days, now),
            "escalation_level": case.escalation_level,
            "support": _resumed_support(case, paused, now, calendar),
        }
    if action in (Action.REJECT, Action.ARCHIVE, Action.CLOSE, Action.AUTO_CLOSE, Action.CONFIRM):
        if action is Action.AUTO_CLOSE and (
            case.deadline is None
            or case.deadline.kind is not DeadlineKind.TUTUP_OTOMATIS
            or not case.deadline.is_overdue(now)
        ):
            raise InvalidTransition("Laporan belum waktunya ditutup otomatis.")
        return {"closed_at": now, "deadline": None, "paused": None}
    if action in (Action.RETURN, Action.WITHDRAW):
        # back to the admin koordinator's queue: nobody works on it until it is forwarded again
        return {
            "lead_agency": None,
            "supporting_agencies": (),
            "support": (),
            "assigned_officer": None,
            "deadline": verify_deadline(calendar, policy, now),
        }
    if action is Action.ASSIGN:
        if not request.assigned_officer:
            raise ValidationFailed("Pilih petugas yang ditugaskan.", field="assigned_officer")
        return {"assigned_officer": request.assigned_officer}
    if action is Action.RESPOND:
        return {}  # the auto-close deadline keeps running: a reply is not a dispute, nor a new follow-up
    if action is Action.FOLLOW_UP:
        return {"followed_up_at": now, "deadline": auto_close_deadline(calendar, policy, now)}
    if action is Action.REOPEN:
        if not case.is_open:  # the admin undoes a closing decision: fresh deadlines, from today
            # with a lead OPD the file is complete again today, so the cap restarts today; without one it
            # restarts as for a new case (from today, or at the next verification)
            if case.lead_agency:
                status, deadline = T, follow_up_deadline(calendar, policy, now, case.tier or policy.default_tier)
                cap = finish_cap(policy, now)
            else:
                status, deadline = B, verify_deadline(calendar, policy, now)
                cap = cap_at_receipt(policy, now)
            # a supporting OPD that had not contributed yet gets a fresh deadline too
            pending = tuple(t.agency_id for t in case.support if t.pending)
            kept = tuple(t for t in case.support if not t.pending)
            fresh = _support_tasks((), pending, now, calendar, policy, case.tier, cap)
            return {
                "status": status,
                "closed_at": None,
                "merged_into": None,
                "paused": None,
                "deadline": deadline,
                "finish_by": cap,
                "support": (*kept, *fresh) if status is T else (),
            }
        return {"deadline": follow_up_deadline(calendar, policy, now, case.tier or policy.default_tier)}
    if action is Action.MERGE:
        target = (request.merge_into or "").strip()
        if not target:
            raise ValidationFailed("Sebutkan nomor laporan tujuan penggabungan.", field="merge_into")
        if target == case.case_id:
            raise ValidationFailed("Laporan tidak dapat digabung dengan dirinya sendiri.", field="merge_into")
        return {"merged_into": target, "closed_at": now, "deadline": None, "paused": None}
    if action in (Action.WARN, Action.ESCALATE) and request.agency is not None:
        return {"support": _support_alarm_step(case, request)}
    if action is Action.WARN:
        if case.warned or case.deadline is None or case.deadline.kind is DeadlineKind.TUTUP_OTOMATIS:
            raise InvalidTransition("Peringatan untuk batas waktu ini sudah dikirim.")
        return {"warned": True}
    if action is Action.ESCALATE:
        if case.deadline is None or case.deadline.kind is DeadlineKind.TUTUP_OTOMATIS \
                or request.level != case.escalation_level + 1:
            raise InvalidTransition("Langkah eskalasi ini sudah dilakukan.")
        return {"escalation_level": request.level, "warned": True}
    if action is Action.RATE:
        if case.rating is not None:
            raise InvalidTransition("Laporan ini sudah dinilai.")
        if request.rating not in (1, 2, 3, 4, 5):
            raise ValidationFailed("Nilai harus angka 1 sampai 5.", field="rating")
        return {"rating": request.rating}
    raise InvalidTransition(f"Aksi '{action.label}' tidak dikenal.")  # pragma: no cover - table guards this


def _ladder_shift(
    case: Case, deadline: Deadline, now: datetime, calendar: WorkingCalendar, escalation: EscalationPolicy
) -> int:
    """Working days the ladder of a missed deadline moves back after a hold, so that the next rung comes
    at the end of the first working day on or after the resume day (as the rung it stood at before the hold
    was kept): no rung is skipped or taken in a burst for the days on hold."""
    taken = case.escalation_level * escalation.step_working_days
    next_rung = calendar.end_of_working_day_after(now, 0)
    return max(case.ladder_shift, calendar.working_days_after(deadline.due_at, next_rung) - taken)


def _hold_until(request: ActionRequest, now: datetime, calendar: WorkingCalendar) -> datetime:
    """The end (23:59:59 WIB) of the hold-until day: required, not in the past, at most the limit ahead."""
    until = request.hold_until
    if until is None:
        raise ValidationFailed("Tanggal akhir penundaan wajib diisi.", field="until")
    if until < to_wib_date(now):
        raise ValidationFailed("Tanggal akhir penundaan tidak boleh di masa lalu.", field="until")
    end = end_of_day_wib(until)
    limit = request.max_hold_working_days
    if calendar.working_days_after(now, end) > limit:
        raise ValidationFailed(
            f"Penundaan paling lama {limit} hari kerja (sampai {calendar.working_day_after(to_wib_date(now), limit)}).",
            field="until",
        )
    return end


def _redisposition(case: Case, request: ActionRequest, now: datetime, calendar: WorkingCalendar,
                   policy: SlaPolicy) -> dict:
    """The admin changes who works on a forwarded case. A new lead OPD starts its follow-up clock today (the
    case is TERVERIFIKASI again until that OPD follows up); a supporting OPD that stays keeps its deadline and
    contribution, an added one gets its own deadline from today, a removed one is released."""
    lead = (request.lead_agency or "").strip()
    if not lead:
        raise ValidationFailed("Pilih OPD penanggung jawab (OPD utama).", field="lead_agency")
    supporting = _supporting(request.supporting_agencies, lead)
    if lead == case.lead_agency and set(supporting) == set(case.supporting_agencies):
        raise ValidationFailed("Disposisi tidak berubah: pilih OPD utama atau OPD pendukung yang lain.",
                               field="lead_agency")
    tier = case.tier or policy.default_tier
    changes: dict = {
        "status": case.status,
        "lead_agency": lead,
        "supporting_agencies": supporting,
        "support": _support_tasks(case.support, supporting, now, calendar, policy, tier, case.finish_by),
    }
    if request.category_id:
        changes["category_id"] = request.category_id
    if lead != case.lead_agency:
        changes.update({
            "status": T,
            "assigned_officer": None,
            "deadline": follow_up_deadline(calendar, policy, now, tier),
        })
    return changes


def _support_tasks(current: tuple[SupportTask, ...], agencies: tuple[str, ...], now: datetime,
                   calendar: WorkingCalendar, policy: SlaPolicy, tier: Tier | None, cap) -> tuple[SupportTask, ...]:
    """One task per supporting OPD: an existing task is kept as it is, a new one gets its deadline from now."""
    kept = {t.agency_id: t for t in current}
    tasks = []
    for agency in agencies:
        task = kept.get(agency)
        if task is None:
            due = contribution_deadline(calendar, policy, now, tier, cap).due_at
            task = SupportTask(agency_id=agency, due_at=due, added_at=now)
        tasks.append(task)
    return tuple(tasks)


def _contributed(case: Case, agency: str, now: datetime) -> tuple[SupportTask, ...]:
    """The supporting OPD's first contribution closes its task (a later note is recorded, nothing moves)."""
    if case.support_task(agency) is None:  # forwarded before supporting OPDs had their own deadlines
        return (*case.support, SupportTask(agency_id=agency, due_at=now, added_at=now, contributed_at=now))
    return tuple(
        dataclasses.replace(t, contributed_at=now) if t.agency_id == agency and t.pending else t
        for t in case.support
    )


def _support_alarm_step(case: Case, request: ActionRequest) -> tuple[SupportTask, ...]:
    """A warning or a rung of the ladder for one supporting OPD's contribution deadline, each taken once."""
    task = case.support_task(request.agency)
    if task is None or not task.pending:
        raise InvalidTransition("OPD pendukung ini tidak memiliki batas waktu kontribusi yang berjalan.")
    if request.action is Action.WARN:
        if task.warned:
            raise InvalidTransition("Peringatan untuk batas waktu ini sudah dikirim.")
        changed = dataclasses.replace(task, warned=True)
    else:
        if request.level != task.escalation_level + 1:
            raise InvalidTransition("Langkah eskalasi ini sudah dilakukan.")
        changed = dataclasses.replace(task, escalation_level=request.level, warned=True)
    return tuple(changed if t.agency_id == task.agency_id else t for t in case.support)


def _resumed_support(case: Case, paused: PausedClock, now: datetime,
                     calendar: WorkingCalendar) -> tuple[SupportTask, ...]:
    """A hold pauses the supporting OPDs' clocks too: a pending task gets back the working days it had left
    when held; one already overdue then stays overdue with its rungs (a hold never makes it on time)."""
    tasks = []
    for task in case.support:
        if task.pending and task.due_at >= paused.paused_at:
            left = remaining_working_days(calendar, task.deadline, paused.paused_at)
            due = resume_deadline(calendar, DeadlineKind.KONTRIBUSI, left, now).due_at
            if case.finish_by is not None:
                due = min(due, case.finish_by.due_at)
            task = dataclasses.replace(task, due_at=due)
        tasks.append(task)
    return tuple(tasks)


def _supporting(agencies: Iterable[str], lead: str) -> tuple[str, ...]:
    seen: list[str] = []
    for agency in agencies:
        if agency and agency != lead and agency not in seen:
            seen.append(agency)
    return tuple(seen)


def new_case(
    *,
    case_id: str,
    city_code: str,
    channel,
    description: str,
    received_at: datetime,
    actor: Actor,
    calendar: WorkingCalendar,
    policy: SlaPolicy,
    escalation: EscalationPolicy = DEFAULT_ESCALATION,
    **fields,
) -> Case:
    """A fresh BARU case with its verification deadline and first timeline event; its hard cap too when the
    cap counts from receipt (``policy.cap_starts``), else the cap starts when the case is verified."""
    description = description.strip()
    if not description:
        raise ValidationFailed("Isi laporan wajib diisi.", field="description")
    if len(description) > MAX_NOTE_LENGTH:
        raise ValidationFailed(f"Isi laporan paling panjang {MAX_NOTE_LENGTH} karakter.", field="description")
    event = TimelineEvent(
        seq=1,
        at=received_at,
        action=Action.CREATE,
        actor_id=actor.actor_id,
        actor_role=actor.role,
        actor_agency=actor.agency_id,
        from_status=None,
        to_status=Status.BARU,
    )
    case = Case(
        case_id=case_id,
        city_code=city_code,
        channel=channel,
        status=Status.BARU,
        description=description,
        received_at=received_at,
        deadline=verify_deadline(calendar, policy, received_at),
        finish_by=cap_at_receipt(policy, received_at),
        created_by=actor.actor_id,
        version=1,
        timeline=(event,),
        **fields,
    )
    return with_alarm(case, calendar, escalation)
