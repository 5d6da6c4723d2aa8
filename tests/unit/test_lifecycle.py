"""The lifecycle as an officer lives it: who may do what, from which state, and what the clock does."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain.calendar import WIB, WorkingCalendar
from chalicelib.domain.case import Action, Actor, Channel, Role, Status
from chalicelib.domain.errors import InvalidTransition, NotPermitted, ValidationFailed
from chalicelib.domain.lifecycle import TRANSITIONS, ActionRequest, allowed_actions, apply_action, new_case
from chalicelib.domain.sla import DeadlineKind, SlaPolicy, Tier

CAL = WorkingCalendar(holidays_by_year=lambda year: {})  # weekends only: easy to reason about
POLICY = SlaPolicy()
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


def fresh(received=MONDAY_9):
    return new_case(
        case_id="KDR-2611-ABCDEF0",
        city_code="KDR",
        channel=Channel.PHONE,
        description="Jalan berlubang di Jl. Dhoho",
        received_at=received,
        actor=ADMIN,
        calendar=CAL,
        policy=POLICY,
    )


def act(case, action, actor, when, **fields):
    return apply_action(case, ActionRequest(action, **fields), actor, when, CAL, POLICY)


def forwarded(when=MONDAY_9):
    return act(fresh(), Action.FORWARD, ADMIN, when, lead_agency="dpupr", supporting_agencies=("dlhkp",))


def test_a_new_case_waits_for_verification_for_three_working_days():
    case = fresh()
    assert case.status is Status.BARU
    assert case.version == 1
    assert case.deadline.kind is DeadlineKind.VERIFIKASI
    # received Monday 23 Nov -> Tue, Wed, Thu: due Thursday 26 Nov 23:59:59 WIB
    assert case.deadline.due_at.astimezone(WIB) == datetime(2026, 11, 26, 23, 59, 59, tzinfo=WIB)
    assert case.finish_by.due_at.astimezone(WIB).date().isoformat() == "2027-01-22"
    assert [e.action for e in case.timeline] == [Action.CREATE]


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


def test_a_supporting_opd_may_follow_up_but_not_close():
    case = act(forwarded(), Action.FOLLOW_UP, DLHKP, at(24), note="Sampah bekas galian sudah diangkut.")
    assert case.status is Status.DITINDAKLANJUTI
    with pytest.raises(NotPermitted):
        act(case, Action.CLOSE, DLHKP, at(25))
    closed = act(case, Action.CLOSE, DPUPR, at(25))
    assert closed.status is Status.SELESAI and closed.closed_at == at(25)
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
    held = act(case, Action.HOLD, DPUPR, at(25), note="Mohon kirim foto lokasi.")
    assert held.status is Status.DITUNDA
    assert held.next_deadline is None
    assert held.paused.remaining_working_days == 3  # Thu 26, Fri 27, Mon 30
    resumed = act(held, Action.RESUME, CITIZEN, datetime(2026, 12, 2, 10, tzinfo=WIB))
    assert resumed.status is Status.TERVERIFIKASI
    assert resumed.deadline.kind is DeadlineKind.TINDAK_LANJUT
    assert resumed.deadline.due_at.astimezone(WIB).date().isoformat() == "2026-12-07"  # Thu 3, Fri 4, Mon 7
    assert resumed.paused_calendar_days == 7
    assert resumed.finish_by.due_at > case.finish_by.due_at


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
    merged = act(fresh(), Action.MERGE, ADMIN, at(24), merge_into="KDR-2611-0000000")
    assert merged.status is Status.DIGABUNG and merged.merged_into == "KDR-2611-0000000"
    with pytest.raises(ValidationFailed):
        act(fresh(), Action.MERGE, ADMIN, at(24), merge_into="KDR-2611-ABCDEF0")


def test_rating_only_once_after_closure_and_only_one_to_five():
    case = act(act(forwarded(), Action.FOLLOW_UP, DPUPR, at(24), note="ok"), Action.CLOSE, DPUPR, at(25))
    with pytest.raises(ValidationFailed):
        act(case, Action.RATE, CITIZEN, at(26), rating=6)
    rated = act(case, Action.RATE, CITIZEN, at(26), rating=5)
    assert rated.rating == 5
    with pytest.raises(InvalidTransition):
        act(rated, Action.RATE, CITIZEN, at(27), rating=1)


def test_allowed_actions_drive_what_each_officer_sees():
    case = forwarded()
    assert set(allowed_actions(case, DPUPR)) == {Action.HOLD, Action.RETURN, Action.FOLLOW_UP}
    assert set(allowed_actions(case, DLHKP)) == {Action.FOLLOW_UP}
    assert set(allowed_actions(case, SEKDA)) == set()
    assert Action.FORWARD in allowed_actions(fresh(), ADMIN)


def test_every_rule_targets_a_state_or_the_held_state():
    for (status, action), rule in TRANSITIONS.items():
        assert rule.roles, (status, action)
        assert rule.target is not None or (status is Status.DITUNDA and action is Action.RESUME)
