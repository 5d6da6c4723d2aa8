"""SLA deadlines as an officer sees them on the real 2026 Indonesian calendar (dates worked out by hand;
the holiday list is in test_calendar.py's docstring)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.calendar import WIB, WorkingCalendar
from chalicelib.domain.sla import (
    CapStart,
    Deadline,
    DeadlineKind,
    SlaPolicy,
    SlaStatus,
    Tier,
    auto_close_deadline,
    cap_at_receipt,
    cap_at_verification,
    earliest,
    finish_cap,
    follow_up_deadline,
    paused_calendar_days,
    remaining_working_days,
    resume_deadline,
    sla_status,
    verify_deadline,
)

CAL = WorkingCalendar.for_indonesia()
POLICY = SlaPolicy()


def wib(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=WIB)


def end_of(y: int, m: int, d: int) -> datetime:
    return wib(y, m, d, 23, 59, 59).astimezone(UTC)


# -- policy ----------------------------------------------------------------------------------------------


def test_given_no_city_config_then_the_design_defaults_apply():
    assert POLICY.verify_days == 3
    assert POLICY.auto_close_days == 10
    assert POLICY.finish_cap_days == 60
    assert POLICY.default_tier is Tier.NORMATIF
    assert dict(POLICY.follow_up_days) == {
        Tier.RINGAN: 1,
        Tier.NORMATIF: 5,
        Tier.TIDAK_BERKADAR: 14,
        Tier.BERKADAR: 60,
    }
    assert POLICY.follow_up_days_for(None) == 5
    assert POLICY.follow_up_days_for(Tier.BERKADAR) == 60


def test_given_tiers_and_kinds_then_officers_see_indonesian_labels():
    assert Tier.TIDAK_BERKADAR == "tidak_berkadar_pengawasan"
    assert Tier.TIDAK_BERKADAR.label == "Tidak berkadar pengawasan"
    assert Tier.BERKADAR.label == "Berkadar pengawasan"
    assert Tier.RINGAN.label == "Ringan"
    assert Tier.NORMATIF.label == "Normatif"
    assert all(kind.label for kind in DeadlineKind)
    assert DeadlineKind.VERIFIKASI == "verifikasi"


def test_given_a_city_config_then_known_keys_override_and_unknown_keys_are_ignored():
    policy = SlaPolicy.from_mapping(
        {
            "verify_days": 2,
            "follow_up_days": {"ringan": 2, "berkadar_pengawasan": Decimal("30")},  # DynamoDB numbers
            "default_tier": "ringan",
            "finish_cap_days": 45,
            "channels": ["whatsapp"],  # someone else's setting
        }
    )
    assert policy.verify_days == 2
    assert policy.follow_up_days_for(Tier.RINGAN) == 2
    assert policy.follow_up_days_for(Tier.BERKADAR) == 30
    assert policy.follow_up_days_for(Tier.NORMATIF) == 5  # not configured → default
    assert policy.follow_up_days_for(None) == 2  # default tier is now ringan
    assert policy.auto_close_days == 10
    assert policy.finish_cap_days == 45


def test_given_a_policy_then_it_round_trips_through_its_json_form():
    policy = SlaPolicy.from_mapping({"verify_days": 4, "follow_up_days": {"normatif": 7}})
    data = policy.to_mapping()
    assert data["follow_up_days"] == {
        "ringan": 1,
        "normatif": 7,
        "tidak_berkadar_pengawasan": 14,
        "berkadar_pengawasan": 60,
    }
    assert SlaPolicy.from_mapping(data) == policy
    assert hash(SlaPolicy.from_mapping(data)) == hash(policy)
    assert SlaPolicy.from_mapping({}) == SlaPolicy()


def test_the_cap_counts_from_verification_unless_the_city_chooses_receipt():
    assert POLICY.cap_starts is CapStart.VERIFIED  # Perpres 76/2013: from the day the file is complete
    received = SlaPolicy.from_mapping({"cap_starts": "received"})
    assert received.cap_starts is CapStart.RECEIVED and received.to_mapping()["cap_starts"] == "received"
    assert SlaPolicy.from_mapping(received.to_mapping()) == received and hash(received) != hash(POLICY)
    monday = wib(2026, 11, 23, 9, 0)
    assert cap_at_receipt(POLICY, monday) is None
    assert cap_at_receipt(received, monday) == finish_cap(received, monday)
    verified = wib(2026, 11, 25, 9, 0)
    assert cap_at_verification(POLICY, verified, None).due_at == end_of(2027, 1, 24)
    stored = finish_cap(received, monday)
    assert cap_at_verification(POLICY, verified, stored) == stored  # a stored cap is never recomputed


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"verify_days": 0}, "verify_days"),
        ({"verify_days": -3}, "verify_days"),
        ({"verify_days": "3"}, "verify_days"),
        ({"verify_days": 2.5}, "verify_days"),
        ({"verify_days": True}, "verify_days"),
        ({"auto_close_days": Decimal("1.5")}, "auto_close_days"),
        ({"finish_cap_days": 100000}, "finish_cap_days"),
        ({"follow_up_days": {"ringan": 0}}, "follow_up_days.ringan"),
        ({"follow_up_days": {"darurat": 1}}, "unknown tier 'darurat'"),
        ({"follow_up_days": [1, 5]}, "follow_up_days"),
        ({"default_tier": "sedang"}, "default_tier"),
        ({"cap_starts": "forwarded"}, "cap_starts"),
        ({"cap_starts": 1}, "cap_starts"),
    ],
)
def test_given_a_bad_city_config_then_it_is_rejected_naming_the_setting(config, message):
    with pytest.raises(ValueError, match=message):
        SlaPolicy.from_mapping(config)


# -- stage deadlines -------------------------------------------------------------------------------------


def test_given_receipt_friday_8_may_2026_evening_then_verification_is_due_wednesday_13_may():
    deadline = verify_deadline(CAL, POLICY, wib(2026, 5, 8, 19, 30))
    assert deadline == Deadline(DeadlineKind.VERIFIKASI, end_of(2026, 5, 13))
    assert deadline.due_at.astimezone(WIB).isoformat() == "2026-05-13T23:59:59+07:00"


def test_given_receipt_the_day_before_kenaikan_then_verification_is_due_a_week_later():
    # Wed 13 May 2026: Thu 14, Fri 15, weekend closed → Mon 18, Tue 19, Wed 20.
    assert verify_deadline(CAL, POLICY, wib(2026, 5, 13, 16, 0)).due_at == end_of(2026, 5, 20)


def test_given_receipt_friday_13_march_2026_before_nyepi_and_lebaran_then_verification_is_due_25_march():
    assert verify_deadline(CAL, POLICY, wib(2026, 3, 13, 20, 0)).due_at == end_of(2026, 3, 25)


def test_given_receipt_sunday_23_30_wib_versus_monday_00_30_wib_then_an_hour_moves_the_deadline_by_days():
    sunday_night = datetime(2026, 5, 10, 16, 30, tzinfo=UTC)  # 23:30 WIB Sunday
    monday_early = datetime(2026, 5, 10, 17, 30, tzinfo=UTC)  # 00:30 WIB Monday
    assert verify_deadline(CAL, POLICY, sunday_night).due_at == end_of(2026, 5, 13)  # Mon 11, Tue 12, Wed 13
    assert verify_deadline(CAL, POLICY, monday_early).due_at == end_of(2026, 5, 18)  # Tue, Wed, Mon 18


def test_given_hari_jadi_kota_kediri_then_the_kediri_verification_deadline_is_one_day_later():
    kediri = WorkingCalendar.for_indonesia({date(2026, 7, 27): "Hari Jadi Kota Kediri"})
    received = wib(2026, 7, 24, 10, 0)  # Friday
    assert verify_deadline(CAL, POLICY, received).due_at == end_of(2026, 7, 29)
    assert verify_deadline(kediri, POLICY, received).due_at == end_of(2026, 7, 30)


@pytest.mark.parametrize(
    ("forwarded", "tier", "due"),
    [
        # ringan, 1 wd: Thu 24 and Fri 25 Dec closed, weekend → Mon 28 Dec
        (wib(2026, 12, 23, 9, 0), Tier.RINGAN, end_of(2026, 12, 28)),
        # normatif (also the default), 5 wd: Mon 28 – Thu 31 Dec, Fri 1 Jan closed → Mon 4 Jan 2027
        (wib(2026, 12, 23, 9, 0), Tier.NORMATIF, end_of(2027, 1, 4)),
        (wib(2026, 12, 23, 9, 0), None, end_of(2027, 1, 4)),
        # tidak berkadar, 14 wd from Mon 16 Mar: Tue 17, Wed 25 – Thu 2 Apr, Fri 3 Apr closed, Mon 6 – Mon 13
        (wib(2026, 3, 16, 10, 0), Tier.TIDAK_BERKADAR, end_of(2026, 4, 13)),
    ],
)
def test_given_a_forwarded_case_then_the_opd_follow_up_is_due_by_tier(forwarded, tier, due):
    deadline = follow_up_deadline(CAL, POLICY, forwarded, tier)
    assert deadline.kind is DeadlineKind.TINDAK_LANJUT
    assert deadline.due_at == due


def test_given_a_follow_up_before_idul_adha_then_auto_close_is_after_ten_working_days():
    # Fri 22 May 2026: Mon 25, Tue 26, (Wed 27, Thu 28 Idul Adha), Fri 29, (Mon 1 Jun Pancasila),
    # Tue 2, Wed 3, Thu 4, Fri 5, Mon 8, Tue 9, Wed 10.
    deadline = auto_close_deadline(CAL, POLICY, wib(2026, 5, 22, 14, 0))
    assert deadline == Deadline(DeadlineKind.TUTUP_OTOMATIS, end_of(2026, 6, 10))


def test_given_receipt_13_march_then_the_hard_cap_is_60_calendar_days_later_holidays_included():
    assert finish_cap(POLICY, wib(2026, 3, 13, 10, 0)) == Deadline(
        DeadlineKind.BATAS_AKHIR, end_of(2026, 5, 12)
    )


def test_given_days_on_hold_then_the_hard_cap_moves_by_those_calendar_days():
    assert finish_cap(POLICY, wib(2026, 3, 13, 10, 0), paused_calendar_days=5).due_at == end_of(2026, 5, 17)
    with pytest.raises(ValueError):
        finish_cap(POLICY, wib(2026, 3, 13, 10, 0), paused_calendar_days=-1)


def test_given_receipt_late_sunday_in_wib_then_the_hard_cap_counts_from_that_wib_date():
    received = datetime(2026, 5, 10, 16, 30, tzinfo=UTC)  # 23:30 WIB Sunday 10 May
    assert finish_cap(POLICY, received).due_at == end_of(2026, 7, 9)


# -- choosing and judging deadlines ----------------------------------------------------------------------


def test_given_several_deadlines_then_earliest_picks_the_first_to_fall_and_skips_none():
    stage = Deadline(DeadlineKind.TINDAK_LANJUT, end_of(2026, 5, 20))
    cap = Deadline(DeadlineKind.BATAS_AKHIR, end_of(2026, 5, 12))
    assert earliest(stage, None, cap) is cap
    assert earliest(None, None) is None
    assert earliest() is None


def test_given_two_deadlines_at_the_same_moment_then_earliest_keeps_the_first_given():
    stage = Deadline(DeadlineKind.TINDAK_LANJUT, end_of(2026, 5, 12))
    cap = Deadline(DeadlineKind.BATAS_AKHIR, end_of(2026, 5, 12))
    assert earliest(stage, cap) is stage
    assert earliest(cap, stage) is cap


def test_given_a_deadline_in_wib_then_it_is_stored_in_utc_and_naive_times_are_refused():
    deadline = Deadline(DeadlineKind.VERIFIKASI, wib(2026, 5, 13, 23, 59, 59))
    assert deadline.due_at.tzinfo is UTC
    assert deadline == Deadline(DeadlineKind.VERIFIKASI, end_of(2026, 5, 13))
    with pytest.raises(ValueError):
        Deadline(DeadlineKind.VERIFIKASI, datetime(2026, 5, 13, 23, 59, 59))


def test_given_a_deadline_then_it_is_overdue_only_after_23_59_59_wib():
    deadline = verify_deadline(CAL, POLICY, wib(2026, 5, 8, 19, 30))  # due 13 May 23:59:59 WIB
    assert not deadline.is_overdue(wib(2026, 5, 13, 23, 59, 59))
    assert deadline.is_overdue(wib(2026, 5, 14, 0, 0, 0))


@pytest.mark.parametrize(
    ("now", "status"),
    [
        (wib(2026, 5, 12, 12, 0), "tepat_waktu"),
        (wib(2026, 5, 13, 0, 0), "segera"),  # exactly 23:59:59 left — within 24 h
        (wib(2026, 5, 13, 8, 0), "segera"),
        (wib(2026, 5, 13, 23, 59, 59), "segera"),
        (wib(2026, 5, 14, 0, 0, 1), "terlambat"),
    ],
)
def test_given_a_deadline_on_13_may_then_the_dashboard_status_follows_the_clock(now, status):
    deadline = verify_deadline(CAL, POLICY, wib(2026, 5, 8, 19, 30))
    assert sla_status(deadline, now) == status


def test_given_a_wider_warning_window_then_the_case_turns_segera_earlier():
    deadline = verify_deadline(CAL, POLICY, wib(2026, 5, 8, 19, 30))
    assert sla_status(deadline, wib(2026, 5, 12, 12, 0), warn_within=timedelta(days=2)) is SlaStatus.SEGERA


# -- DITUNDA: pause and resume ---------------------------------------------------------------------------


def test_given_a_case_put_on_hold_then_resumed_after_lebaran_then_the_deadline_moves_by_the_paused_days():
    # Received Mon 9 Mar 2026 → verify by Thu 12 Mar (Tue 10, Wed 11, Thu 12).
    deadline = verify_deadline(CAL, POLICY, wib(2026, 3, 9, 10, 0))
    assert deadline.due_at == end_of(2026, 3, 12)
    # Put on hold Tue 10 Mar at 14:00: Wed 11 and Thu 12 are still left.
    remaining = remaining_working_days(CAL, deadline, wib(2026, 3, 10, 14, 0))
    assert remaining == 2
    # Citizen answers Wed 25 Mar, the first working day after Lebaran → Thu 26, Fri 27.
    resumed = resume_deadline(CAL, DeadlineKind.VERIFIKASI, remaining, wib(2026, 3, 25, 9, 0))
    assert resumed == Deadline(DeadlineKind.VERIFIKASI, end_of(2026, 3, 27))
    # i.e. the old deadline plus the 6 working days on hold (Wed 11 – Tue 17, Wed 25)
    assert CAL.working_days_after(deadline.due_at, resumed.due_at) == 6
    assert CAL.working_days_after(wib(2026, 3, 10, 14, 0), wib(2026, 3, 25, 9, 0)) == 6


def test_given_a_case_paused_on_its_last_day_then_on_resume_it_gets_that_day_back():
    deadline = verify_deadline(CAL, POLICY, wib(2026, 3, 9, 10, 0))  # due Thu 12 Mar
    remaining = remaining_working_days(CAL, deadline, wib(2026, 3, 12, 15, 0))
    assert remaining == 0
    assert resume_deadline(CAL, DeadlineKind.VERIFIKASI, 0, wib(2026, 3, 13, 8, 0)).due_at == end_of(
        2026, 3, 13
    )


def test_given_remaining_zero_and_resume_on_a_holiday_then_the_deadline_is_the_next_working_day():
    resumed = resume_deadline(CAL, DeadlineKind.TINDAK_LANJUT, 0, wib(2026, 3, 21, 10, 0))  # Idul Fitri
    assert resumed == Deadline(DeadlineKind.TINDAK_LANJUT, end_of(2026, 3, 25))


def test_given_a_case_already_overdue_when_paused_then_nothing_is_left_and_resume_is_never_in_the_past():
    deadline = verify_deadline(CAL, POLICY, wib(2026, 3, 9, 10, 0))  # due Thu 12 Mar
    paused = wib(2026, 3, 16, 9, 0)
    assert remaining_working_days(CAL, deadline, paused) == 0
    resumed_at = wib(2026, 3, 17, 9, 0)
    resumed = resume_deadline(CAL, DeadlineKind.VERIFIKASI, 0, resumed_at)
    assert resumed.due_at == end_of(2026, 3, 17)
    assert not resumed.is_overdue(resumed_at)


def test_given_pause_and_resume_on_the_same_day_then_the_deadline_is_unchanged():
    deadline = verify_deadline(CAL, POLICY, wib(2026, 5, 8, 19, 30))  # due Wed 13 May
    remaining = remaining_working_days(CAL, deadline, wib(2026, 5, 11, 9, 0))
    assert remaining == 2
    assert resume_deadline(CAL, DeadlineKind.VERIFIKASI, remaining, wib(2026, 5, 11, 16, 0)) == deadline


def test_given_a_negative_remaining_then_resume_refuses_it():
    with pytest.raises(ValueError):
        resume_deadline(CAL, DeadlineKind.VERIFIKASI, -1, wib(2026, 3, 13, 8, 0))


def test_given_hold_dates_in_wib_then_paused_calendar_days_counts_wib_dates():
    assert paused_calendar_days(wib(2026, 3, 10, 14, 0), wib(2026, 3, 25, 9, 0)) == 15
    assert paused_calendar_days(wib(2026, 3, 10, 8, 0), wib(2026, 3, 10, 22, 0)) == 0
    # 23:30 WIB → 00:30 WIB next day is one calendar day even though only an hour passed
    assert paused_calendar_days(wib(2026, 3, 10, 23, 30), datetime(2026, 3, 10, 17, 30, tzinfo=UTC)) == 1
    assert paused_calendar_days(wib(2026, 3, 25, 9, 0), wib(2026, 3, 10, 14, 0)) == 0


MOMENTS = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31, 23, 59, 59), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(
    received=MOMENTS,
    pause_after=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)),
    hold=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)),
)
def test_property_a_hold_moves_the_deadline_by_exactly_the_working_days_on_hold(received, pause_after, hold):
    deadline = follow_up_deadline(CAL, POLICY, received, Tier.NORMATIF)
    paused_at = received + pause_after
    resumed_at = paused_at + hold
    remaining = remaining_working_days(CAL, deadline, paused_at)
    resumed = resume_deadline(CAL, deadline.kind, remaining, resumed_at)
    assert resumed.kind is DeadlineKind.TINDAK_LANJUT
    assert not resumed.is_overdue(resumed_at)  # a resumed case never starts late
    if remaining > 0:
        assert CAL.working_days_after(deadline.due_at, resumed.due_at) == CAL.working_days_after(
            paused_at, resumed_at
        )


@pytest.mark.parametrize(("value", "expected"), [(None, CapStart.VERIFIED), ("received", CapStart.RECEIVED),
                                                 (" Verified ", CapStart.VERIFIED)])
def test_the_cap_start_is_a_stage_setting_carried_on_the_context_policy(monkeypatch, value, expected):
    from chalicelib.services.context import build_context
    from chalicelib.settings import get_settings, reset_settings

    monkeypatch.setenv("ADUAN_STAGE", "test")  # the stage is never guessed; this test may run before `aws`
    if value is None:
        monkeypatch.delenv("ADUAN_CAP_STARTS", raising=False)
    else:
        monkeypatch.setenv("ADUAN_CAP_STARTS", value)
    reset_settings()
    try:
        assert build_context(get_settings()).policy.cap_starts is expected
    finally:
        monkeypatch.undo()
        reset_settings()
