"""The lifecycle as an officer lives it: who may do what, from which state, and what the clock does."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from chalicelib.domain.calendar import WIB, WorkingCalendar
from chalicelib.domain.case import Action, Actor, Channel, Role, Status
from chalicelib.domain.errors import InvalidTransition, NotPermitted, ValidationFailed
from chalicelib.domain.lifecycle import TRANSITIONS, ActionRequest, allowed_actions, apply_action, new_case
from chalicelib.domain.sla import CapStart, DeadlineKind, SlaPolicy, Tier

CAL = WorkingCalendar(holidays_by_year=lambda year: {})  # weekends only: easy to reason about
POLICY = SlaPolicy()
FROM_RECEIPT = SlaPolicy(cap_starts=CapStart.RECEIVED)
ADMIN = Actor("officer:admin", Role.ADMIN, "diskominfo")
DPUPR = Actor("officer:pu", Role.OPD, "dpupr")
DPUPR_KABID = Actor("officer:kabid", Role.SUPERVISOR, "dpupr")
DLHKP = Actor("officer:dlh", Role.OPD, "dlhkp")
SEKDA = Actor("officer:sekda", Role.LEADERSHIP, "setda")
CITIZEN = Actor.citizen("tel:+6281234567890")
SYSTEM = Actor.system("auto_close")

MONDAY_9 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 09:00 WIB


def at(day: int, hour: int = 9) -> datetime:
    """A November 2026 moment in WIB."""
    return datetime(2026, 11, day, hour, 0, tzinfo=WIB).astimezone(UTC)


def fresh(received=MONDAY_9, policy=POLICY):
    return new_case(
        case_id="KDR-2611-ABCDEF0",
        city_code="KDR",
        channel=Channel.PHONE,
        description="Jalan berlubang di Jl. Dhoho",
        received_at=received,
        actor=ADMIN,
        calendar=CAL,
        policy=policy,
    )


def act(case, action, actor, when, policy=POLICY, **fields):
    return apply_action(case, ActionRequest(action, **fields), actor, when, CAL, policy)


def forwarded(when=MONDAY_9):
    return act(fresh(), Action.FORWARD, ADMIN, when, lead_agency="dpupr", supporting_agencies=("dlhkp",))


def test_a_new_case_waits_for_verification_for_three_working_days():
    case = fresh()
    assert case.status is Status.BARU
    assert case.version == 1
    assert case.deadline.kind is DeadlineKind.VERIFIKASI
    # received Monday 23 Nov -> Tue, Wed, Thu: due Thursday 26 Nov 23:59:59 WIB
    assert case.deadline.due_at.astimezone(WIB) == datetime(2026, 11, 26, 23, 59, 59, tzinfo=WIB)
    assert case.finish_by is None  # the 60-day cap starts when the file is complete: at verification
    assert case.next_deadline == case.deadline
    assert [e.action for e in case.timeline] == [Action.CREATE]


def test_the_hard_cap_counts_60_calendar_days_from_verification_by_default():
    case = act(fresh(), Action.FORWARD, ADMIN, at(25), lead_agency="dpupr")  # verified Wed 25 Nov
    assert case.finish_by.kind is DeadlineKind.BATAS_AKHIR
    assert case.finish_by.due_at == datetime(2027, 1, 24, 23, 59, 59, tzinfo=WIB)  # 25 Nov + 60 days
    # returned and forwarded again: the file was complete at the first verification, the cap stays
    returned = act(case, Action.RETURN, DPUPR, at(26), note="Bukan wewenang kami.")
    assert returned.status is Status.BARU and returned.finish_by == case.finish_by
    again = act(returned, Action.FORWARD, ADMIN, at(27), lead_agency="dlhkp")
    assert again.finish_by == case.finish_by


def test_the_hard_cap_can_count_from_receipt_and_a_stored_cap_is_kept():
    case = fresh(policy=FROM_RECEIPT)
    assert case.finish_by.due_at.astimezone(WIB).date().isoformat() == "2027-01-22"  # 23 Nov + 60 days
    forwarded_ = act(case, Action.FORWARD, ADMIN, at(25), policy=FROM_RECEIPT, lead_agency="dpupr")
    assert forwarded_.finish_by == case.finish_by
    # a case stored with a cap from receipt keeps it when the city switches to counting from verification
    switched = act(case, Action.FORWARD, ADMIN, at(25), lead_agency="dpupr")
    assert switched.finish_by == case.finish_by


def test_a_stage_deadline_is_the_earlier_of_its_own_and_the_cap_and_alerts_follow_it():
    # berkadar pengawasan: 60 working days from Wed 25 Nov is mid-February, the cap (24 Jan) comes first
    case = act(fresh(), Action.FORWARD, ADMIN, at(25), lead_agency="dpupr", tier=Tier.BERKADAR)
    assert case.deadline.kind is DeadlineKind.TINDAK_LANJUT and case.deadline.due_at > case.finish_by.due_at
    assert case.next_deadline == case.finish_by
    assert (case.alarm_kind, case.alarm_at) == ("warn", datetime(2027, 1, 23, 23, 59, 59, tzinfo=WIB))
    warned = act(case, Action.WARN, SYSTEM, case.alarm_at)
    assert (warned.alarm_kind, warned.alarm_at) == ("escalate", case.finish_by.due_at)
    # normatif: 5 working days, well before the cap: the stage's own deadline applies
    short = act(fresh(), Action.FORWARD, ADMIN, at(25), lead_agency="dpupr", tier=Tier.NORMATIF)
    assert short.next_deadline == short.deadline and short.deadline.due_at < short.finish_by.due_at
    assert short.alarm_at == datetime(2026, 12, 1, 23, 59, 59, tzinfo=WIB)  # due Wed 2 Dec, warned a day before


def test_admin_forwards_to_a_lead_opd_and_the_follow_up_clock_starts():
    case = forwarded()
    assert case.status is Status.TERVERIFIKASI
    assert case.lead_agency == "dpupr" and case.supporting_agencies == ("dlhkp",)
    assert case.tier is Tier.NORMATIF
    assert case.deadline.kind is DeadlineKind.TINDAK_LANJUT
    assert case.deadline.due_at.astimezone(WIB).date().isoformat() == "2026-11-30"  # 5 working days
    assert case.version == 2
    event = case.timeline[-1]
    assert (event.action, event.from_status, event.to_status, event.seq) == (
        Action.FORWARD, Status.BARU, Status.TERVERIFIKASI, 2,
    )
    assert event.agencies == ("dpupr", "dlhkp")


def test_a_ringan_tier_gets_one_working_day():
    case = act(fresh(), Action.FORWARD, ADMIN, MONDAY_9, lead_agency="dishub", tier=Tier.RINGAN)
    assert case.deadline.due_at.astimezone(WIB).date().isoformat() == "2026-11-24"


def test_forward_without_a_lead_opd_is_refused_and_changes_nothing():
    case = fresh()
    with pytest.raises(ValidationFailed):
        act(case, Action.FORWARD, ADMIN, MONDAY_9)
    assert case.status is Status.BARU and case.version == 1


@pytest.mark.parametrize("actor", [DPUPR, DPUPR_KABID, SEKDA, CITIZEN])
def test_only_the_admin_koordinator_verifies(actor):
    with pytest.raises(NotPermitted):
        act(fresh(), Action.FORWARD, actor, MONDAY_9, lead_agency="dpupr")


def test_an_action_from_the_wrong_state_is_an_invalid_transition():
    with pytest.raises(InvalidTransition) as raised:
        act(fresh(), Action.CLOSE, ADMIN, MONDAY_9)
    assert raised.value.code == "invalid_transition"


def test_the_lead_opd_follows_up_and_the_auto_close_clock_starts():
    case = act(forwarded(), Action.FOLLOW_UP, DPUPR, at(24), note="Sudah ditambal hari ini.")
    assert case.status is Status.DITINDAKLANJUTI
    assert case.followed_up_at == at(24)
    assert case.deadline.kind is DeadlineKind.TUTUP_OTOMATIS
    assert case.deadline.due_at.astimezone(WIB).date().isoformat() == "2026-12-08"  # 10 working days


def test_a_supporting_opd_contributes_but_neither_follows_up_nor_closes():
    with pytest.raises(NotPermitted):
        act(forwarded(), Action.FOLLOW_UP, DLHKP, at(24), note="Sampah bekas galian sudah diangkut.")
    helped = act(forwarded(), Action.CONTRIBUTE, DLHKP, at(24), note="Sampah bekas galian sudah diangkut.")
    assert helped.status is Status.TERVERIFIKASI and helped.followed_up_at is None
    case = act(helped, Action.FOLLOW_UP, DPUPR, at(24), note="Galian ditutup sementara.")
    assert case.status is Status.DITINDAKLANJUTI
    after_window = datetime(2026, 12, 9, 8, 0, tzinfo=WIB)  # the reply window ended 8 Dec 23:59:59 WIB
    with pytest.raises(NotPermitted):
        act(case, Action.CLOSE, DLHKP, after_window, note="Selesai.")
    closed = act(case, Action.CLOSE, DPUPR, after_window, note="Galian sudah ditutup dan diaspal.")
    assert closed.status is Status.SELESAI and closed.closed_at == after_window
    assert closed.next_deadline is None


def test_an_uninvolved_opd_cannot_touch_the_case():
    outsider = Actor("officer:x", Role.OPD, "dinkes")
    with pytest.raises(NotPermitted):
        act(forwarded(), Action.FOLLOW_UP, outsider, at(24), note="x")


def test_follow_up_needs_content():
    with pytest.raises(ValidationFailed):
        act(forwarded(), Action.FOLLOW_UP, DPUPR, at(24), note="   ")


def test_hold_pauses_the_clock_and_resume_gives_back_the_remaining_days():
    case = forwarded()  # due Monday 30 Nov
    held = act(case, Action.HOLD, DPUPR, at(25), note="Mohon kirim foto lokasi.", hold_until=date(2026, 12, 4))
    assert held.status is Status.DITUNDA
    assert held.next_deadline is None
    assert held.paused.remaining_working_days == 3  # Thu 26, Fri 27, Mon 30
    resumed = act(held, Action.RESUME, CITIZEN, datetime(2026, 12, 2, 10, tzinfo=WIB))
    assert resumed.status is Status.TERVERIFIKASI
    assert resumed.deadline.kind is DeadlineKind.TINDAK_LANJUT
    assert resumed.deadline.due_at.astimezone(WIB).date().isoformat() == "2026-12-07"  # Thu 3, Fri 4, Mon 7
    assert resumed.paused_calendar_days == 7
    assert resumed.finish_by == case.finish_by  # the hard cap is not pushed back by a hold


def test_a_citizen_reply_reopens_a_followed_up_case():
    case = act(forwarded(), Action.FOLLOW_UP, DPUPR, at(24), note="Sudah ditambal.")
    reopened = act(case, Action.REOPEN, CITIZEN, at(25), note="Belum, lubangnya masih ada.")
    assert reopened.status is Status.TERVERIFIKASI
    assert reopened.deadline.kind is DeadlineKind.TINDAK_LANJUT


def test_auto_close_only_after_the_silence_window():
    case = act(forwarded(), Action.FOLLOW_UP, DPUPR, at(24), note="Sudah ditambal.")
    with pytest.raises(InvalidTransition):
        act(case, Action.AUTO_CLOSE, SYSTEM, at(30))
    closed = act(case, Action.AUTO_CLOSE, SYSTEM, datetime(2026, 12, 9, 0, 5, tzinfo=WIB))
    assert closed.status is Status.SELESAI


def test_an_opd_returns_a_case_that_is_not_its_authority():
    returned = act(forwarded(), Action.RETURN, DPUPR, at(24), note="Jalan provinsi, bukan kewenangan kota.")
    assert returned.status is Status.BARU
    assert returned.lead_agency is None and returned.supporting_agencies == ()
    assert returned.deadline.kind is DeadlineKind.VERIFIKASI


def test_reject_archive_and_merge_close_the_case_with_a_reason():
    rejected = act(fresh(), Action.REJECT, ADMIN, at(24), note="Kewenangan BPJS pusat.")
    assert rejected.status is Status.BUKAN_WEWENANG and rejected.closed_at == at(24)
    archived = act(fresh(), Action.ARCHIVE, ADMIN, at(24), note="Spam.")
    assert archived.status is Status.DIARSIPKAN
    merged = act(fresh(), Action.MERGE, ADMIN, at(24), merge_into="KDR-2611-0000000", note="Laporan ganda.")
    assert merged.status is Status.DIGABUNG and merged.merged_into == "KDR-2611-0000000"
    with pytest.raises(ValidationFailed):
        act(fresh(), Action.MERGE, ADMIN, at(24), merge_into="KDR-2611-ABCDEF0", note="Laporan ganda.")


def test_rating_only_once_after_closure_and_only_one_to_five():
    case = act(act(forwarded(), Action.FOLLOW_UP, DPUPR, at(24), note="ok"), Action.CLOSE, ADMIN, at(25), note="ok")
    with pytest.raises(ValidationFailed):
        act(case, Action.RATE, CITIZEN, at(26), rating=6)
    rated = act(case, Action.RATE, CITIZEN, at(26), rating=5)
    assert rated.rating == 5
    with pytest.raises(InvalidTransition):
        act(rated, Action.RATE, CITIZEN, at(27), rating=1)


def test_allowed_actions_drive_what_each_officer_sees():
    case = forwarded()
    assert set(allowed_actions(case, DPUPR)) == {Action.HOLD, Action.RETURN, Action.FOLLOW_UP}
    assert set(allowed_actions(case, DLHKP)) == {Action.CONTRIBUTE}
    assert set(allowed_actions(case, ADMIN)) == {
        Action.HOLD, Action.REJECT, Action.ASSIGN, Action.MERGE, Action.WITHDRAW, Action.REDISPOSE}
    assert set(allowed_actions(case, SEKDA)) == set()
    assert Action.FORWARD in allowed_actions(fresh(), ADMIN)


def test_every_rule_targets_a_state_or_the_held_state():
    for (status, action), rule in TRANSITIONS.items():
        assert rule.roles, (status, action)
        # None: decided by the case (back to where it was held from; a reopen goes to TERVERIFIKASI or BARU)
        assert rule.target is not None or (status is Status.DITUNDA and action is Action.RESUME) or (
            action is Action.REOPEN and not status.is_open
        ) or action is Action.REDISPOSE  # TERVERIFIKASI when the lead OPD changes, else the state stays


# ---------------------------------------------------------------- issue 9: holds, closing, reopening, merging

CLOSED = (Status.SELESAI, Status.BUKAN_WEWENANG, Status.DIARSIPKAN, Status.DIGABUNG)
R = Role


@pytest.mark.parametrize(
    ("status", "action", "roles", "note"),
    [
        (Status.BARU, Action.HOLD, {R.ADMIN}, True),
        (Status.TERVERIFIKASI, Action.HOLD, {R.ADMIN, R.OPD, R.SUPERVISOR}, True),
        (Status.DITUNDA, Action.RESUME, {R.ADMIN, R.OPD, R.SUPERVISOR, R.CITIZEN, R.SYSTEM}, False),
        (Status.DITINDAKLANJUTI, Action.CLOSE, {R.ADMIN, R.OPD, R.SUPERVISOR}, True),
        (Status.BARU, Action.MERGE, {R.ADMIN}, True),
        (Status.TERVERIFIKASI, Action.MERGE, {R.ADMIN}, True),
        (Status.DITINDAKLANJUTI, Action.MERGE, {R.ADMIN}, True),
        (Status.DITUNDA, Action.MERGE, {R.ADMIN}, True),
        *[(status, Action.REOPEN, {R.ADMIN}, True) for status in CLOSED],
        (Status.TERVERIFIKASI, Action.FOLLOW_UP, {R.OPD, R.SUPERVISOR}, True),
        (Status.DITINDAKLANJUTI, Action.FOLLOW_UP, {R.OPD, R.SUPERVISOR}, True),
        (Status.TERVERIFIKASI, Action.CONTRIBUTE, {R.OPD, R.SUPERVISOR}, True),
        (Status.DITINDAKLANJUTI, Action.CONTRIBUTE, {R.OPD, R.SUPERVISOR}, True),
        (Status.TERVERIFIKASI, Action.WITHDRAW, {R.ADMIN}, True),
        (Status.DITINDAKLANJUTI, Action.WITHDRAW, {R.ADMIN}, True),
        (Status.TERVERIFIKASI, Action.REDISPOSE, {R.ADMIN}, True),
        (Status.DITINDAKLANJUTI, Action.REDISPOSE, {R.ADMIN}, True),
        (Status.DITINDAKLANJUTI, Action.WARN, {R.SYSTEM}, False),
        (Status.DITINDAKLANJUTI, Action.ESCALATE, {R.SYSTEM}, False),
    ],
)
def test_the_table_holds_the_new_rules(status, action, roles, note):
    rule = TRANSITIONS[(status, action)]
    assert set(rule.roles) == roles
    assert rule.note_required is note


def test_nothing_but_an_admin_reopen_or_the_citizens_rating_acts_on_a_closed_case():
    for (status, action), rule in TRANSITIONS.items():
        if not status.is_open:
            assert (action, rule.roles) in (
                (Action.REOPEN, frozenset({Role.ADMIN})),
                (Action.RATE, frozenset({Role.CITIZEN})),
            ), (status, action)


def test_a_hold_needs_a_reason_and_an_end_date_not_past_nor_beyond_the_limit():
    case = forwarded()  # Monday 23 Nov 2026, weekends only: 14 working days ahead ends Friday 11 Dec
    with pytest.raises(ValidationFailed) as missing:
        act(case, Action.HOLD, DPUPR, at(24), note="Mohon foto.")
    assert missing.value.details["field"] == "until"
    with pytest.raises(ValidationFailed):
        act(case, Action.HOLD, DPUPR, at(24), note="  ", hold_until=date(2026, 11, 30))
    with pytest.raises(ValidationFailed) as past:
        act(case, Action.HOLD, DPUPR, at(24), note="Mohon foto.", hold_until=date(2026, 11, 23))
    assert past.value.details["field"] == "until"
    with pytest.raises(ValidationFailed) as too_far:
        act(case, Action.HOLD, DPUPR, at(24), note="Mohon foto.", hold_until=date(2026, 12, 15))
    assert "14 hari kerja" in str(too_far.value)
    shorter = ActionRequest(Action.HOLD, note="Mohon foto.", hold_until=date(2026, 12, 4), max_hold_working_days=5)
    with pytest.raises(ValidationFailed):
        apply_action(case, shorter, DPUPR, at(24), CAL, POLICY)
    today = act(case, Action.HOLD, DPUPR, at(24), note="Mohon foto.", hold_until=date(2026, 11, 24))
    assert today.paused.until == datetime(2026, 11, 24, 23, 59, 59, tzinfo=WIB)
    limit = act(case, Action.HOLD, DPUPR, at(24), note="Mohon foto.", hold_until=date(2026, 12, 14))  # a Monday
    assert limit.paused.until.astimezone(WIB).date() == date(2026, 12, 14)  # 14 working days after Tue 24 Nov


def test_a_held_case_wakes_at_the_end_of_its_hold_or_at_the_hard_cap_whichever_comes_first():
    held = act(forwarded(), Action.HOLD, DPUPR, at(24), note="Mohon foto.", hold_until=date(2026, 12, 4))
    assert held.next_deadline is None
    assert (held.alarm_kind, held.alarm_at) == ("resume", datetime(2026, 12, 4, 23, 59, 59, tzinfo=WIB))
    late = fresh(received=datetime(2026, 10, 1, 9, 0, tzinfo=WIB), policy=FROM_RECEIPT)  # cap: 30 Nov 2026
    late = act(late, Action.FORWARD, ADMIN, at(24), policy=FROM_RECEIPT, lead_agency="dpupr")
    late_held = act(late, Action.HOLD, DPUPR, at(25), policy=FROM_RECEIPT, note="Mohon foto.",
                    hold_until=date(2026, 12, 4))
    assert late_held.alarm_kind == "resume" and late_held.alarm_at == late.finish_by.due_at
    woken = act(late_held, Action.RESUME, SYSTEM, late.finish_by.due_at, policy=FROM_RECEIPT)
    assert woken.status is Status.TERVERIFIKASI and woken.finish_by == late.finish_by


def test_an_overdue_case_held_and_resumed_keeps_its_missed_deadline_and_rung():
    case = act(fresh(), Action.FORWARD, ADMIN, MONDAY_9, lead_agency="dpupr")  # follow-up due Mon 30 Nov
    missed = case.deadline
    escalated = act(case, Action.ESCALATE, SYSTEM, datetime(2026, 12, 1, 0, 5, tzinfo=WIB), level=1, rung="officer")
    escalated = act(escalated, Action.ESCALATE, SYSTEM, datetime(2026, 12, 2, 0, 5, tzinfo=WIB), level=2,
                    rung="supervisor")
    held = act(escalated, Action.HOLD, DPUPR, datetime(2026, 12, 2, 9, 0, tzinfo=WIB), note="Mohon foto.",
               hold_until=date(2026, 12, 9))
    assert held.paused.missed_due_at == missed.due_at
    assert held.escalation_level == 2
    assert held.is_overdue(datetime(2026, 12, 5, 9, 0, tzinfo=WIB))  # on hold, still overdue
    assert held.sla_due == missed
    resumed = act(held, Action.RESUME, SYSTEM, datetime(2026, 12, 10, 0, 5, tzinfo=WIB))
    assert resumed.deadline == missed  # not pushed past what it already missed
    assert resumed.escalation_level == 2 and resumed.is_overdue(datetime(2026, 12, 10, 0, 5, tzinfo=WIB))
    # the next rung (admin) comes at the end of the resume day, not in a burst for the days on hold
    assert (resumed.alarm_kind, resumed.alarm_at) == ("escalate", datetime(2026, 12, 10, 23, 59, 59, tzinfo=WIB))


def test_an_on_time_case_held_and_resumed_gets_its_remaining_days_and_the_same_cap():
    case = forwarded()
    held = act(case, Action.HOLD, DPUPR, at(25), note="Mohon foto.", hold_until=date(2026, 12, 1))
    assert held.paused.missed_due_at is None and held.sla_due == case.finish_by  # only the cap still runs
    assert not held.is_overdue(at(30))
    resumed = act(held, Action.RESUME, SYSTEM, datetime(2026, 12, 2, 0, 5, tzinfo=WIB))
    assert resumed.deadline.due_at.astimezone(WIB).date() == date(2026, 12, 7)  # 3 working days left
    assert resumed.escalation_level == 0 and resumed.finish_by == case.finish_by
    assert resumed.paused_calendar_days == 7


def test_the_opd_cannot_close_inside_the_citizens_reply_window_but_the_admin_can_with_a_note():
    followed = act(forwarded(), Action.FOLLOW_UP, DPUPR, at(24), note="Sudah ditambal.")  # window ends 8 Dec
    for officer in (DPUPR, DPUPR_KABID):
        with pytest.raises(NotPermitted) as refused:
            act(followed, Action.CLOSE, officer, at(30), note="Sudah ditambal.")
        assert "pelapor" in str(refused.value)
        assert Action.CLOSE not in allowed_actions(followed, officer, at(30))
        assert Action.CLOSE in allowed_actions(followed, officer, datetime(2026, 12, 9, 8, 0, tzinfo=WIB))
    assert Action.CLOSE in allowed_actions(followed, ADMIN, at(30))
    with pytest.raises(ValidationFailed):
        act(followed, Action.CLOSE, ADMIN, at(30), note=" ")
    closed = act(followed, Action.CLOSE, ADMIN, at(30), note="Dicek di lokasi: sudah rata.")
    assert closed.status is Status.SELESAI and closed.timeline[-1].note == "Dicek di lokasi: sudah rata."


def _closed_as(status):
    if status is Status.SELESAI:
        followed = act(forwarded(), Action.FOLLOW_UP, DPUPR, at(24), note="Sudah ditambal.")
        return act(followed, Action.CLOSE, ADMIN, at(25), note="Selesai.")
    if status is Status.BUKAN_WEWENANG:
        return act(forwarded(), Action.REJECT, ADMIN, at(24), note="Jalan nasional.")
    if status is Status.DIARSIPKAN:
        return act(fresh(), Action.ARCHIVE, ADMIN, at(24), note="Spam.")
    return act(fresh(), Action.MERGE, ADMIN, at(24), note="Ganda.", merge_into="KDR-2611-0000000")


@pytest.mark.parametrize("status", CLOSED)
def test_the_admin_reopens_any_closed_decision_with_a_reason_and_fresh_deadlines(status):
    closed = _closed_as(status)
    assert closed.status is status
    for actor in (DPUPR, DPUPR_KABID, CITIZEN, SEKDA, SYSTEM):
        with pytest.raises(NotPermitted):
            act(closed, Action.REOPEN, actor, at(30), note="Keliru.")
    with pytest.raises(ValidationFailed):
        act(closed, Action.REOPEN, ADMIN, at(30), note="")
    reopened = act(closed, Action.REOPEN, ADMIN, at(30), note="Keputusan sebelumnya keliru.")
    expected = Status.TERVERIFIKASI if closed.lead_agency else Status.BARU
    assert reopened.status is expected and reopened.is_open
    assert reopened.closed_at is None and reopened.merged_into is None
    kind = DeadlineKind.TINDAK_LANJUT if closed.lead_agency else DeadlineKind.VERIFIKASI
    assert reopened.deadline.kind is kind and reopened.deadline.due_at > at(30)
    if closed.lead_agency:  # verified again today: the cap restarts today
        assert reopened.finish_by.due_at > at(30)
    else:  # back to BARU: the cap starts at the next verification
        assert reopened.finish_by is None
    assert reopened.escalation_level == 0
    assert reopened.reopen_count == 1 and closed.reopen_count == 0
    assert reopened.timeline[-1].note == "Keputusan sebelumnya keliru."


def test_a_followed_up_duplicate_can_be_merged_and_the_target_records_it_once():
    from chalicelib.domain.lifecycle import record_merged_in

    followed = act(forwarded(), Action.FOLLOW_UP, DPUPR, at(24), note="Sudah ditambal.")
    with pytest.raises(ValidationFailed):
        act(followed, Action.MERGE, ADMIN, at(25), merge_into="KDR-2611-0000000")
    with pytest.raises(NotPermitted):
        act(followed, Action.MERGE, DPUPR, at(25), merge_into="KDR-2611-0000000", note="Ganda.")
    merged = act(followed, Action.MERGE, ADMIN, at(25), merge_into="KDR-2611-0000000", note="Ganda.")
    assert merged.status is Status.DIGABUNG and merged.next_deadline is None
    target = forwarded()
    recorded = record_merged_in(target, merged.case_id, ADMIN, at(25), "Ganda.")
    assert recorded.version == target.version + 1 and recorded.status is target.status
    assert recorded.deadline == target.deadline
    event = recorded.timeline[-1]
    assert (event.action, event.merged_from, event.seq, event.public) == (
        Action.MERGED_IN, merged.case_id, recorded.version, False)
    assert record_merged_in(recorded, merged.case_id, ADMIN, at(26)) is None  # a retry adds nothing
