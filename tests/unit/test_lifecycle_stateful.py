"""Hypothesis drives random action sequences by random actors through the lifecycle, on the real
Indonesian calendar of 2026-2027, and checks the invariants after every step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from chalicelib.domain.calendar import WIB, WorkingCalendar
from chalicelib.domain.case import Action, Actor, Channel, Role, Status
from chalicelib.domain.errors import DomainError
from chalicelib.domain.lifecycle import DEFAULT_ESCALATION, ActionRequest, allowed_actions, apply_action, new_case
from chalicelib.domain.sla import SlaPolicy, Tier

CAL = WorkingCalendar.for_indonesia(extra_days={datetime(2026, 7, 27).date(): "Hari Jadi Kota Kediri"})
POLICY = SlaPolicy()
ACTORS = [
    Actor("officer:admin", Role.ADMIN, "diskominfo"),
    Actor("officer:pu", Role.OPD, "dpupr"),
    Actor("officer:kabid", Role.SUPERVISOR, "dpupr"),
    Actor("officer:dlh", Role.OPD, "dlhkp"),
    Actor("officer:dinkes", Role.OPD, "dinkes"),
    Actor("officer:sekda", Role.LEADERSHIP, "setda"),
    Actor.citizen("tel:+6281234567890"),
    Actor.system("auto_close"),
]
# Actions that move a case forward: the authorised rule prefers them, so sequences reach SELESAI and ratings.
PROGRESS = [Action.FORWARD, Action.FOLLOW_UP, Action.HOLD, Action.RESUME, Action.CLOSE, Action.REOPEN,
            Action.AUTO_CLOSE, Action.RATE, Action.RETURN, Action.ASSIGN, Action.ESCALATE, Action.CONTRIBUTE,
            Action.WITHDRAW, Action.REDISPOSE, Action.WARN]
SUPPORTING = [(), ("dlhkp",), ("dinkes",), ("dlhkp", "dinkes"), ("dpupr",)]
ACTIONS = [a for a in Action if a is not Action.CREATE]
START = datetime(2026, 1, 1, tzinfo=UTC)


class CaseLifecycle(RuleBasedStateMachine):
    @initialize(offset_hours=st.integers(0, 24 * 700))
    def receive(self, offset_hours):
        self.now = START + timedelta(hours=offset_hours, minutes=offset_hours % 60)
        self.case = new_case(
            case_id="KDR-2601-ABCDEF0",
            city_code="KDR",
            channel=Channel.PHONE,
            description="Jalan berlubang",
            received_at=self.now,
            actor=ACTORS[0],
            calendar=CAL,
            policy=POLICY,
        )
        self.versions = [1]
        self.paused_remaining = None

    @rule(hours=st.integers(1, 24 * 20))
    def time_passes(self, hours):
        self.now += timedelta(hours=hours)

    @rule(
        action=st.sampled_from(ACTIONS),
        actor=st.sampled_from(ACTORS),
        lead=st.sampled_from(["dpupr", "dlhkp", None]),
        tier=st.sampled_from([None, *Tier]),
        note=st.sampled_from(["", "Mohon dilengkapi foto.", "Sudah ditangani."]),
        rating=st.integers(0, 6),
        hold_days=st.one_of(st.none(), st.integers(-3, 25)),
        supporting=st.sampled_from(SUPPORTING),
        agency=st.sampled_from([None, "dlhkp", "dinkes"]),
    )
    def someone_acts(self, action, actor, lead, tier, note, rating, hold_days, supporting, agency):
        self._attempt(action, actor, lead, tier, note, rating, hold_days, supporting, agency)

    @rule(data=st.data(), tier=st.sampled_from([None, *Tier]), rating=st.integers(1, 5),
          hold_days=st.integers(0, 14), lead=st.sampled_from(["dpupr", "dlhkp"]),
          supporting=st.sampled_from(SUPPORTING))
    def an_authorised_officer_or_citizen_acts(self, data, tier, rating, hold_days, lead, supporting):
        choices = [(a, actor) for actor in ACTORS for a in allowed_actions(self.case, actor)]
        progress = [c for c in choices if c[0] in PROGRESS] or choices
        if not progress:
            return
        action, actor = data.draw(st.sampled_from(progress))
        self._attempt(action, actor, lead, tier, "Keterangan petugas.", rating, hold_days, supporting)

    @rule()
    def the_escalation_job_takes_the_next_step(self):
        """What the escalation job does: the case's next alarm, if it is a warning or a rung."""
        from chalicelib.domain.escalation import AlarmKind, next_alarm

        alarm = next_alarm(self.case, CAL, DEFAULT_ESCALATION)
        if alarm is None or alarm.kind not in (AlarmKind.WARN, AlarmKind.ESCALATE):
            return
        self.now = max(self.now, alarm.at + timedelta(minutes=1))
        action = Action.WARN if alarm.kind is AlarmKind.WARN else Action.ESCALATE
        request = ActionRequest(action, level=alarm.level, rung=alarm.rung.value if alarm.rung else None,
                                agency=alarm.agency)
        after = apply_action(self.case, request, ACTORS[-1], self.now, CAL, POLICY)  # never refused
        assert after.status is self.case.status
        if alarm.agency is not None:
            task = after.support_task(alarm.agency)
            assert task.warned and (action is Action.WARN or task.escalation_level == alarm.level)
            assert after.deadline == self.case.deadline and after.escalation_level == self.case.escalation_level
        event(f"alarm {alarm.kind.value}{' support' if alarm.agency else ''}")
        self.case = after
        self.versions.append(after.version)

    def _attempt(self, action, actor, lead, tier, note, rating, hold_days=None, supporting=None, agency=None):
        before = self.case
        if supporting is None:
            supporting = ("dlhkp",) if lead == "dpupr" else ()
        today = CAL.local_date(self.now)
        until = None if hold_days is None else today + timedelta(days=hold_days)
        request = ActionRequest(
            action,
            note=note,
            lead_agency=lead,
            supporting_agencies=supporting,
            tier=tier,
            assigned_officer="petugas.dpupr",
            merge_into="KDR-2601-0000000",
            rating=rating,
            hold_until=until,
            level=(before.support_task(agency).escalation_level if before.support_task(agency) else
                   before.escalation_level) + 1,
            rung="officer",
            agency=agency,
        )
        try:
            after = apply_action(before, request, actor, self.now, CAL, POLICY)
        except DomainError:
            assert self.case is before  # a refused action changes nothing
            return
        if not before.is_open:
            # nothing acts on a closed case but the admin's reopen (and the citizen's one rating)
            assert (action, actor.role) in ((Action.REOPEN, Role.ADMIN), (Action.RATE, Role.CITIZEN))
            if action is Action.REOPEN:
                assert after.status in (Status.BARU, Status.TERVERIFIKASI)
                assert after.status is (Status.TERVERIFIKASI if before.lead_agency else Status.BARU)
                assert after.reopen_count == before.reopen_count + 1
                event(f"reopened from {before.status.value}")
        if after.status is Status.DITINDAKLANJUTI and before.status is not Status.DITINDAKLANJUTI:
            # exactly one way into DITINDAKLANJUTI: the lead OPD's follow-up
            assert action is Action.FOLLOW_UP and actor.agency_id == before.lead_agency
            assert after.followed_up_at == self.now
            event("lead follow-up")
        if action is Action.CONTRIBUTE:
            # a supporting OPD's contribution is its own: the case's state and clock do not move
            assert actor.agency_id in before.supporting_agencies and actor.agency_id != before.lead_agency
            assert (after.status, after.deadline, after.followed_up_at) == (
                before.status, before.deadline, before.followed_up_at)
            assert not after.support_task(actor.agency_id).pending
            event("supporting contribution")
        if action in (Action.WITHDRAW, Action.REDISPOSE):
            assert actor.role is Role.ADMIN and after.timeline[-1].note
            if action is Action.WITHDRAW:
                assert after.status is Status.BARU and after.lead_agency is None and not after.support
            elif after.lead_agency != before.lead_agency:
                assert after.status is Status.TERVERIFIKASI and after.deadline.due_at > self.now
            else:
                assert after.status is before.status and after.deadline == before.deadline
            event(f"{action.value}")
        if action is Action.HOLD:
            assert until is not None and today <= until
            assert CAL.count_working_days(today, until) <= 14
            assert after.escalation_level == before.escalation_level  # a hold never resets the ladder
        if before.is_overdue(self.now) and action in (Action.HOLD, Action.RESUME):
            assert after.is_overdue(self.now)  # holding never makes an overdue case on time
            assert after.escalation_level == before.escalation_level
            event(f"{action.value} while overdue")
        if action is Action.RESUME and before.paused.missed_due_at is not None:
            assert after.deadline.due_at == before.paused.missed_due_at
        elif action is Action.RESUME:
            # the paused clock did not run: the deadline is the remaining days counted from the resume day
            remaining = before.paused.remaining_working_days
            expected = CAL.end_of_working_day_after(self.now, remaining) if remaining else None
            if expected is not None:
                assert after.deadline.due_at == expected
            assert after.deadline.due_at >= self.now
        if after.status is Status.DITUNDA and before.status is not Status.DITUNDA:
            self.paused_remaining = after.paused.remaining_working_days
        self.case = after
        self.versions.append(after.version)
        event(f"reached {after.status.value}")

    @invariant()
    def version_only_grows_one_step_per_action(self):
        assert self.versions == list(range(1, len(self.versions) + 1))
        assert len(self.case.timeline) == self.case.version
        assert [e.seq for e in self.case.timeline] == self.versions

    @invariant()
    def a_closed_case_has_a_close_time_and_no_running_clock(self):
        if self.case.is_open:
            assert self.case.closed_at is None
        else:
            assert self.case.closed_at is not None
            assert self.case.next_deadline is None

    @invariant()
    def a_deadline_never_lands_on_a_weekend_or_holiday(self):
        for deadline in (self.case.deadline, self.case.finish_by, self.case.next_deadline):
            if deadline is None or deadline.kind.value == "batas_akhir":
                continue  # the hard cap counts calendar days (Perpres 76/2013)
            local = deadline.due_at.astimezone(WIB)
            assert CAL.is_working_day(local.date()), local
            assert (local.hour, local.minute, local.second) == (23, 59, 59)

    @invariant()
    def a_paused_clock_does_not_run(self):
        if self.case.status is Status.DITUNDA:
            assert self.case.next_deadline is None
            assert self.case.paused is not None
            assert self.case.paused.remaining_working_days == self.paused_remaining
        else:
            assert self.case.paused is None

    @invariant()
    def a_case_held_while_overdue_stays_overdue(self):
        paused = self.case.paused
        if paused is not None and paused.missed_due_at is not None:
            assert self.case.is_overdue(self.now)
            assert self.case.sla_due.due_at <= paused.missed_due_at  # the missed deadline, or an earlier cap
        if paused is not None:
            assert self.case.alarm_kind == "resume" and self.case.alarm_at is not None

    @invariant()
    def a_forwarded_case_has_a_lead_opd(self):
        if self.case.status in (Status.TERVERIFIKASI, Status.DITINDAKLANJUTI):
            assert self.case.lead_agency is not None

    @invariant()
    def every_supporting_opd_has_its_own_task_and_the_lead_none(self):
        case = self.case
        assert [t.agency_id for t in case.support] == list(case.supporting_agencies)
        assert case.lead_agency not in case.supporting_agencies
        for task in case.support:
            local = task.due_at.astimezone(WIB)
            capped = case.finish_by is not None and task.due_at == case.finish_by.due_at
            assert capped or (CAL.is_working_day(local.date()) and local.time().isoformat() == "23:59:59")

    @invariant()
    def a_contributed_task_never_raises_an_alarm(self):
        from chalicelib.domain.escalation import next_alarm

        alarm = next_alarm(self.case, CAL, DEFAULT_ESCALATION)
        if alarm is not None and alarm.agency is not None:
            assert self.case.support_task(alarm.agency).pending
            assert self.case.status in (Status.TERVERIFIKASI, Status.DITINDAKLANJUTI)


CaseLifecycle.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
TestCaseLifecycle = CaseLifecycle.TestCase
