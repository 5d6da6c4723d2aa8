"""Working-day calendar: what an officer sees when counting days in WIB on the real 2026–2027 calendar.

Expected dates are worked out by hand from the holiday list of the ``holidays`` package
(country ID, categories public + government):
2026 — Nyepi Thu 19 Mar (cuti bersama Wed 18), Idul Fitri Sat 21–Sun 22 Mar (cuti bersama Fri 20, Mon 23,
Tue 24), Wafat Yesus Kristus Fri 3 Apr, Hari Buruh Fri 1 May, Kenaikan Yesus Kristus Thu 14 May (cuti bersama
Fri 15), Idul Adha Wed 27 May (cuti bersama Thu 28), Hari Lahir Pancasila Mon 1 Jun, Kemerdekaan Mon 17 Aug,
Natal Fri 25 Dec (cuti bersama Thu 24).
2027 — Tahun Baru Fri 1 Jan, Nyepi Mon 8 Mar, Idul Fitri Wed 10–Thu 11 Mar
(cuti bersama Tue 9, Fri 12, Mon 15).
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.calendar import WIB, WorkingCalendar

REPO = Path(__file__).resolve().parents[2]
CAL = WorkingCalendar.for_indonesia()  # module-level: hypothesis tests must not use function fixtures


def wib(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=WIB)


def utc(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=UTC)


def end_of(y: int, m: int, d: int) -> datetime:
    """23:59:59 WIB of that date, as the engine returns it (UTC)."""
    return wib(y, m, d, 23, 59, 59).astimezone(UTC)


# -- the national calendar ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 3, 18), "Cuti Bersama Hari Suci Nyepi"),
        (date(2026, 3, 19), "Hari Suci Nyepi"),
        (date(2026, 3, 20), "Cuti Bersama Hari Raya Idul Fitri"),
        (date(2026, 3, 21), "Hari Raya Idul Fitri"),
        (date(2026, 3, 22), "Hari kedua dari Hari Raya Idul Fitri"),
        (date(2026, 3, 23), "Cuti Bersama Hari Raya Idul Fitri"),
        (date(2026, 3, 24), "Cuti Bersama Hari Raya Idul Fitri"),
        (date(2026, 5, 14), "Kenaikan Yesus Kristus"),
        (date(2026, 5, 15), "Cuti Bersama Kenaikan Yesus Kristus"),
        (date(2026, 8, 17), "Hari Kemerdekaan Republik Indonesia"),
        (date(2026, 12, 24), "Cuti Bersama Hari Raya Natal"),
        (date(2026, 12, 25), "Hari Raya Natal"),
        (date(2027, 3, 9), "Cuti Bersama Hari Raya Idul Fitri"),
        (date(2027, 3, 12), "Cuti Bersama Hari Raya Idul Fitri"),
        (date(2027, 3, 15), "Cuti Bersama Hari Raya Idul Fitri"),
    ],
)
def test_given_a_national_holiday_or_cuti_bersama_then_it_is_closed_and_named_in_indonesian(day, name):
    assert not CAL.is_working_day(day)
    assert CAL.non_working_reason(day) == name


def test_given_the_estimated_2027_idul_fitri_then_both_days_are_closed():
    # The package marks 2027 lunar dates as estimates ("perkiraan"); the office is closed either way.
    assert CAL.non_working_reason(date(2027, 3, 10)).startswith("Hari Raya Idul Fitri")
    assert CAL.non_working_reason(date(2027, 3, 11)).startswith("Hari kedua dari Hari Raya Idul Fitri")


def test_given_an_ordinary_weekend_then_the_reason_is_the_day_name():
    assert CAL.non_working_reason(date(2026, 5, 9)) == "Sabtu"
    assert CAL.non_working_reason(date(2026, 5, 10)) == "Minggu"


def test_given_an_ordinary_weekday_then_it_is_a_working_day_with_no_reason():
    assert CAL.is_working_day(date(2026, 5, 12))
    assert CAL.non_working_reason(date(2026, 5, 12)) is None


def test_given_17_august_2026_then_it_is_a_monday_holiday_and_tuesday_is_the_next_working_day():
    assert date(2026, 8, 17).weekday() == 0
    assert CAL.next_working_day(date(2026, 8, 14)) == date(2026, 8, 18)


def test_given_the_2026_lebaran_stretch_then_the_next_working_day_after_monday_16_march_is_wednesday_25():
    # Tue 17 is a working day; Wed 18 – Tue 24 are Nyepi, Lebaran, cuti bersama and a weekend.
    assert CAL.next_working_day(date(2026, 3, 16)) == date(2026, 3, 17)
    assert CAL.next_working_day(date(2026, 3, 17)) == date(2026, 3, 25)


def test_given_next_working_day_then_it_is_strictly_after_even_from_a_working_day():
    assert CAL.next_working_day(date(2026, 5, 11)) == date(2026, 5, 12)


# -- WIB dates -----------------------------------------------------------------------------------------


def test_given_17_30_utc_sunday_then_the_wib_date_is_already_monday():
    assert CAL.local_date(utc(2026, 5, 10, 17, 30)) == date(2026, 5, 11)


def test_given_16_30_utc_sunday_then_the_wib_date_is_still_sunday():
    assert CAL.local_date(utc(2026, 5, 10, 16, 30)) == date(2026, 5, 10)


def test_given_a_naive_datetime_then_the_calendar_refuses_to_guess_its_zone():
    with pytest.raises(ValueError, match="naive"):
        CAL.local_date(datetime(2026, 5, 10, 12, 0))
    with pytest.raises(ValueError, match="naive"):
        CAL.end_of_working_day_after(datetime(2026, 5, 10, 12, 0), 3)


# -- counting working days from a moment -----------------------------------------------------------------


def test_given_receipt_friday_8_may_2026_evening_then_three_working_days_end_wednesday_13_may():
    due = CAL.end_of_working_day_after(wib(2026, 5, 8, 19, 45), 3)
    # Mon 11, Tue 12, Wed 13; Kenaikan (Thu 14) comes after and does not matter.
    assert due == end_of(2026, 5, 13)
    assert due == utc(2026, 5, 13, 16, 59, 59)
    assert due.tzinfo is UTC


def test_given_receipt_wednesday_13_may_2026_before_the_kenaikan_long_weekend_then_due_wednesday_20_may():
    # Thu 14 Kenaikan, Fri 15 cuti bersama, Sat 16, Sun 17 → Mon 18, Tue 19, Wed 20.
    assert CAL.end_of_working_day_after(wib(2026, 5, 13, 10, 0), 3) == end_of(2026, 5, 20)


def test_given_receipt_friday_13_march_2026_before_nyepi_and_lebaran_then_due_wednesday_25_march():
    # Mon 16 (1), Tue 17 (2), Wed 18 – Tue 24 closed, Wed 25 (3).
    assert CAL.end_of_working_day_after(wib(2026, 3, 13, 16, 0), 3) == end_of(2026, 3, 25)
    # and five working days: Thu 26 (4), Fri 27 (5)
    assert CAL.end_of_working_day_after(wib(2026, 3, 13, 16, 0), 5) == end_of(2026, 3, 27)


def test_given_receipt_friday_5_march_2027_before_nyepi_and_lebaran_then_due_thursday_18_march_2027():
    # Mon 8 Nyepi, Tue 9 – Fri 12 Lebaran + cuti, Mon 15 cuti → Tue 16, Wed 17, Thu 18.
    assert CAL.end_of_working_day_after(wib(2027, 3, 5, 9, 0), 3) == end_of(2027, 3, 18)


def test_given_receipt_23_30_wib_sunday_then_sunday_is_the_receipt_day_and_monday_counts():
    received = wib(2026, 5, 10, 23, 30)
    assert received == utc(2026, 5, 10, 16, 30)
    # Mon 11, Tue 12, Wed 13
    assert CAL.end_of_working_day_after(received, 3) == end_of(2026, 5, 13)


def test_given_receipt_00_30_wib_monday_then_monday_is_the_receipt_day_and_does_not_count():
    received = utc(2026, 5, 10, 17, 30)  # Sunday in UTC, already 00:30 Monday 11 May in WIB
    # Tue 12, Wed 13, (Thu 14, Fri 15 closed), Mon 18
    assert CAL.end_of_working_day_after(received, 3) == end_of(2026, 5, 18)


def test_given_receipt_late_on_a_sunday_before_17_august_then_the_holiday_monday_is_skipped():
    received = wib(2026, 8, 16, 23, 30)  # 16:30 UTC Sunday
    assert CAL.end_of_working_day_after(received, 3) == end_of(2026, 8, 20)  # Tue 18, Wed 19, Thu 20


def test_given_receipt_early_or_late_on_the_same_day_then_the_deadline_is_the_same():
    early = CAL.end_of_working_day_after(wib(2026, 6, 2, 0, 0, 1), 5)
    late = CAL.end_of_working_day_after(wib(2026, 6, 2, 23, 59, 59), 5)
    assert early == late == end_of(2026, 6, 9)


def test_given_receipt_on_a_holiday_then_the_holiday_is_the_receipt_day_and_does_not_count():
    # Received on Idul Fitri cuti bersama Mon 23 March 2026: Tue 24 closed → Wed 25 is day 1.
    assert CAL.end_of_working_day_after(wib(2026, 3, 23, 11, 0), 1) == end_of(2026, 3, 25)


def test_given_a_deadline_across_christmas_and_new_year_then_it_lands_in_january_2027():
    # Wed 23 Dec 2026: Thu 24, Fri 25 closed; Mon 28, Tue 29, Wed 30, Thu 31; Fri 1 Jan closed; Mon 4 Jan.
    assert CAL.end_of_working_day_after(wib(2026, 12, 23, 14, 0), 5) == end_of(2027, 1, 4)


def test_given_n_zero_then_the_deadline_is_the_end_of_the_first_working_day_on_or_after_the_date():
    assert CAL.end_of_working_day_after(wib(2026, 5, 12, 9, 0), 0) == end_of(2026, 5, 12)
    assert CAL.end_of_working_day_after(wib(2026, 5, 14, 9, 0), 0) == end_of(2026, 5, 18)


def test_given_a_negative_number_of_days_then_it_is_refused():
    with pytest.raises(ValueError):
        CAL.end_of_working_day_after(wib(2026, 5, 12, 9, 0), -1)


def test_given_two_moments_then_working_days_after_counts_days_after_the_first_up_to_the_second():
    # After Fri 13 Mar 2026 up to Wed 25 Mar: Mon 16, Tue 17, Wed 25.
    assert CAL.working_days_after(wib(2026, 3, 13, 8, 0), wib(2026, 3, 25, 8, 0)) == 3
    assert CAL.working_days_after(wib(2026, 3, 13, 8, 0), wib(2026, 3, 13, 22, 0)) == 0
    assert CAL.working_days_after(wib(2026, 3, 25, 8, 0), wib(2026, 3, 13, 8, 0)) == 0
    # across the year boundary: Mon 28 – Thu 31 Dec, Mon 4 Jan
    assert CAL.working_days_after(wib(2026, 12, 23, 8, 0), wib(2027, 1, 4, 8, 0)) == 5


# -- city extra days ------------------------------------------------------------------------------------


def test_given_kediri_adds_hari_jadi_27_july_then_it_is_closed_with_the_city_label():
    kediri = WorkingCalendar.for_indonesia({date(2026, 7, 27): "Hari Jadi Kota Kediri"})
    assert not kediri.is_working_day(date(2026, 7, 27))
    assert kediri.non_working_reason(date(2026, 7, 27)) == "Hari Jadi Kota Kediri"
    assert CAL.is_working_day(date(2026, 7, 27))  # other cities are unaffected


def test_given_hari_jadi_kota_kediri_then_a_deadline_over_it_shifts_by_one_working_day():
    kediri = WorkingCalendar.for_indonesia({date(2026, 7, 27): "Hari Jadi Kota Kediri"})
    received = wib(2026, 7, 24, 15, 0)  # Friday
    assert CAL.end_of_working_day_after(received, 3) == end_of(2026, 7, 29)  # Mon 27, Tue 28, Wed 29
    assert kediri.end_of_working_day_after(received, 3) == end_of(2026, 7, 30)  # Tue 28, Wed 29, Thu 30


def test_given_extra_days_as_plain_dates_or_iso_strings_then_they_get_a_generic_label():
    cal = WorkingCalendar.for_indonesia([date(2026, 7, 27), "2026-07-28"])
    assert cal.non_working_reason(date(2026, 7, 27)) == "Hari libur tambahan"
    assert cal.non_working_reason(date(2026, 7, 28)) == "Hari libur tambahan"


def test_given_an_extra_day_on_a_national_holiday_then_the_national_name_is_shown():
    cal = WorkingCalendar.for_indonesia({date(2026, 8, 17): "Upacara kota"})
    assert cal.non_working_reason(date(2026, 8, 17)) == "Hari Kemerdekaan Republik Indonesia"


def test_given_a_malformed_extra_day_then_the_city_config_is_rejected():
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        WorkingCalendar(extra_days=["27/07/2026"])
    with pytest.raises(TypeError):
        WorkingCalendar(extra_days=[datetime(2026, 7, 27, tzinfo=WIB)])


# -- cost ------------------------------------------------------------------------------------------------


def test_given_many_deadline_computations_then_each_year_is_loaded_from_the_source_once():
    calls: list[int] = []

    def source(year: int) -> dict[date, str]:
        calls.append(year)
        return {date(year, 1, 1): "Tahun Baru"}

    cal = WorkingCalendar(source)
    start = wib(2026, 1, 5, 9, 0)
    for n in range(1, 300):
        cal.end_of_working_day_after(start, n)
        cal.working_days_after(start, start + timedelta(days=n))
    assert sorted(calls) == [2026, 2027]


def test_given_no_holiday_source_then_only_weekends_and_extra_days_are_closed():
    cal = WorkingCalendar()
    assert cal.is_working_day(date(2026, 8, 17))
    assert not cal.is_working_day(date(2026, 8, 16))


def test_given_the_sla_modules_are_imported_then_the_holidays_package_is_not_loaded_yet():
    code = (
        "import sys\n"
        "import chalicelib.domain.calendar, chalicelib.domain.sla\n"
        "assert 'holidays' not in sys.modules, 'holidays imported at module import time'\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


# -- properties over 2026–2027 ---------------------------------------------------------------------------

ZONES = st.sampled_from([UTC, WIB, timezone(timedelta(hours=9)), timezone(timedelta(hours=-5))])
MOMENTS = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31, 23, 59, 59), timezones=ZONES
)
DAYS = st.integers(min_value=1, max_value=60)


def brute_force_working_days(after: date, up_to: date) -> int:
    return sum(CAL.is_working_day(after + timedelta(days=i)) for i in range(1, (up_to - after).days + 1))


@settings(max_examples=300, deadline=None)
@given(received=MOMENTS, n=DAYS)
def test_property_deadline_is_the_end_of_the_nth_working_day_after_the_receipt_date(received, n):
    due = CAL.end_of_working_day_after(received, n)
    local_due = due.astimezone(WIB)
    receipt_day = CAL.local_date(received)
    assert due.tzinfo is UTC
    assert local_due.time().isoformat() == "23:59:59"
    assert CAL.is_working_day(local_due.date())
    assert local_due.date() > receipt_day
    assert brute_force_working_days(receipt_day, local_due.date()) == n
    assert CAL.working_days_after(received, due) == n


@settings(max_examples=300, deadline=None)
@given(received=MOMENTS, n=DAYS)
def test_property_one_more_working_day_never_gives_an_earlier_deadline(received, n):
    assert CAL.end_of_working_day_after(received, n) < CAL.end_of_working_day_after(received, n + 1)
