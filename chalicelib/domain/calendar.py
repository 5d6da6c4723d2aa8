"""Indonesian working-day calendar in WIB, the clock every SLA deadline is counted on.

Non-working days are Saturday, Sunday, national holidays and *cuti bersama* (from a holiday source,
normally the ``holidays`` package) and days the city adds itself (regional holidays, late-announced leave).

Pure Python: no AWS, no I/O. The ``holidays`` package is imported only when a year is first needed,
because importing it costs ~130 ms of Lambda cold start.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

# A fixed offset rather than zoneinfo("Asia/Jakarta"): Lambda images may lack tzdata, and Indonesia has
# had no DST since 1964, so UTC+7 is exact for every date we handle.
WIB = timezone(timedelta(hours=7), "WIB")

END_OF_DAY = time(23, 59, 59)
WEEKEND_NAMES = {5: "Sabtu", 6: "Minggu"}
MONTH_NAMES = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
               "November", "Desember")
DEFAULT_EXTRA_DAY_LABEL = "Hari libur tambahan"
DEFAULT_WITHDRAWN_LABEL = "Dibatalkan pemerintah"
CUTI_BERSAMA_PREFIX = "Cuti Bersama"

HolidaySource = Callable[[int], Mapping[date, str]]


def format_date_id(day: date) -> str:
    """'9 Agustus 2026': the one date format of every text Aduan writes (messages, alerts, pages)."""
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def format_moment_id(moment: datetime) -> str:
    """'9 Agustus 2026 pukul 23.59 WIB' for an aware moment."""
    local = moment.astimezone(WIB)
    return f"{format_date_id(local.date())} pukul {local:%H.%M} WIB"


def to_wib_date(moment: datetime) -> date:
    """The calendar date in WIB of an aware datetime; naive datetimes are refused (their zone is a guess)."""
    if not isinstance(moment, datetime):
        raise TypeError(f"expected a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: give a timezone (UTC or WIB) so the local WIB date is unambiguous")
    return moment.astimezone(WIB).date()


def end_of_day_wib(d: date) -> datetime:
    """23:59:59 WIB of ``d``, expressed in UTC (the form stored and compared everywhere)."""
    return datetime.combine(d, END_OF_DAY, tzinfo=WIB).astimezone(UTC)


def _indonesian_holidays(year: int) -> Mapping[date, str]:
    import holidays  # deferred: ~130 ms import, only paid when a deadline is actually computed

    return holidays.country_holidays("ID", years=year, categories=("public", "government"), language="id")


@dataclass(frozen=True, slots=True)
class _Year:
    """One year's closed days (holiday/extra, with reason) and the sorted ordinals of its working days."""

    closed: Mapping[date, str]
    working: tuple[int, ...]


class WorkingCalendar:
    """Working days for one city.

    ``holidays_by_year`` returns the national holidays (date → Indonesian name) of one year; it is called at
    most once per year per instance. ``None`` means weekends and ``extra_days`` only (handy in tests).
    ``extra_days`` are the city's own days off: a mapping date → label, or plain dates (labelled
    "Hari libur tambahan"); ISO ``YYYY-MM-DD`` strings are accepted since they usually come from config.

    ``withdrawn_days`` are national days (holiday or *cuti bersama*) the government cancelled after the
    list was published (as some cuti bersama were in 2020–2021): they are working days again unless they
    fall on a weekend. They only lift the national source; a city extra day on the same date still closes it.

    Counting is done on a per-year sorted list of working days, so a deadline of N working days costs a
    bisect, not N look-ups.
    """

    def __init__(
        self,
        holidays_by_year: HolidaySource | None = None,
        extra_days: Iterable[date] | Mapping[date, str] = (),
        withdrawn_days: Iterable[date] | Mapping[date, str] = (),
    ) -> None:
        self._source = holidays_by_year
        self._extra = _normalise_extra_days(extra_days)
        self._withdrawn = _normalise_extra_days(withdrawn_days, DEFAULT_WITHDRAWN_LABEL)
        self._years: dict[int, _Year] = {}
        self._national: dict[int, dict[date, str]] = {}

    @classmethod
    def for_indonesia(
        cls,
        extra_days: Iterable[date] | Mapping[date, str] = (),
        withdrawn_days: Iterable[date] | Mapping[date, str] = (),
    ) -> WorkingCalendar:
        """National holidays and *cuti bersama* (``holidays`` country ID, categories public+government, in
        Indonesian) minus the withdrawn ones, plus the city's extra days. Building it is free; the package
        loads on first use."""
        return cls(_indonesian_holidays, extra_days, withdrawn_days)

    # -- what the calendar is made of (the admin's calendar page) --------------------------------------

    @property
    def extra_days(self) -> Mapping[date, str]:
        """The city's own days off (date → label)."""
        return dict(self._extra)

    @property
    def withdrawn_days(self) -> Mapping[date, str]:
        """National days cancelled by the government (date → reason): working days again."""
        return dict(self._withdrawn)

    def national_days(self, year: int) -> Mapping[date, str]:
        """The national holidays and *cuti bersama* of ``year`` as published (withdrawn ones included), so an
        admin sees what was cancelled and can restore it."""
        cached = self._national.get(year)
        if cached is None:
            cached = {}
            if self._source is not None:
                for d, name in self._source(year).items():
                    d = _as_date(d)
                    if d.year == year:  # a source may hand back neighbouring years; each year owns its days
                        cached[d] = str(name)
            self._national[year] = cached
        return dict(cached)

    # -- day level -------------------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        return self.non_working_reason(d) is None

    def non_working_reason(self, d: date) -> str | None:
        """Why ``d`` is not a working day, as an officer would read it, or ``None`` if it is one.

        A national holiday's name wins over a city label, which wins over the weekday name, so a holiday
        falling on a Sunday (e.g. Idul Fitri) shows the holiday.
        """
        d = _as_date(d)
        reason = self._year(d.year).closed.get(d)
        if reason is not None:
            return reason
        return WEEKEND_NAMES.get(d.weekday())

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        return self.working_day_after(d, 1)

    def working_day_after(self, d: date, n: int) -> date:
        """The ``n``-th working day strictly after ``d`` (``n >= 1``); ``n == 0`` gives ``d`` itself if it is
        a working day, else the next one."""
        d = _as_date(d)
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be a whole number of working days >= 0, got {n!r}")
        if n == 0:
            return d if self.is_working_day(d) else self.working_day_after(d, 1)
        year = d.year
        working = self._year(year).working
        index = bisect_right(working, d.toordinal())
        while index + n > len(working):
            n -= len(working) - index
            year += 1
            if year > date.max.year:
                raise OverflowError("deadline falls beyond the year 9999")
            working = self._year(year).working
            index = 0
        return date.fromordinal(working[index + n - 1])

    def count_working_days(self, after: date, up_to: date) -> int:
        """Number of working days ``d`` with ``after < d <= up_to`` (0 if ``up_to <= after``)."""
        after, up_to = _as_date(after), _as_date(up_to)
        if up_to <= after:
            return 0
        lo, hi = after.toordinal(), up_to.toordinal()
        total = 0
        for year in range(after.year, up_to.year + 1):
            working = self._year(year).working
            total += bisect_right(working, hi) - bisect_right(working, lo)
        return total

    # -- moment level (WIB) ----------------------------------------------------------------------------

    def local_date(self, moment: datetime) -> date:
        """The WIB date of an aware datetime (e.g. 17:30 UTC Sunday is already Monday in WIB)."""
        return to_wib_date(moment)

    def end_of_working_day_after(self, moment: datetime, n: int) -> datetime:
        """23:59:59 WIB (returned in UTC) of the ``n``-th working day after the WIB date of ``moment``.

        The day of receipt never counts, whatever its hour and whether or not it is a working day: a
        complaint at 07:00 Monday and one at 23:30 Monday are due on the same day.
        ``n == 0`` means "by the end of the first working day on or after that date" (used when a paused
        case had no working day left).
        """
        return end_of_day_wib(self.working_day_after(to_wib_date(moment), n))

    def working_days_after(self, start: datetime, end: datetime) -> int:
        """Working days ``d`` with WIB date(start) < d <= WIB date(end); 0 if ``end <= start``."""
        if end <= start:
            return 0
        return self.count_working_days(to_wib_date(start), to_wib_date(end))

    # -- internals -------------------------------------------------------------------------------------

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is not None:
            return cached
        closed = {d: name for d, name in self.national_days(year).items() if d not in self._withdrawn}
        for d, label in self._extra.items():
            if d.year == year:
                closed.setdefault(d, label)
        first = date(year, 1, 1).toordinal()
        last = date(year, 12, 31).toordinal()
        working = tuple(
            o
            for o in range(first, last + 1)
            if (day := date.fromordinal(o)).weekday() not in WEEKEND_NAMES and day not in closed
        )
        built = _Year(closed=closed, working=working)
        self._years[year] = built
        return built


def _as_date(d: object) -> date:
    # datetime is a date subclass; accepting one would silently use its (possibly UTC) date, not WIB.
    if isinstance(d, datetime):
        raise TypeError("expected a date, got a datetime: convert it with local_date() first")
    if not isinstance(d, date):
        raise TypeError(f"expected a date, got {type(d).__name__}")
    return d


def is_cuti_bersama(name: str) -> bool:
    """Whether a national day's name is a *cuti bersama* (collective leave) rather than a holiday proper."""
    return name.strip().lower().startswith(CUTI_BERSAMA_PREFIX.lower())


def _normalise_extra_days(
    extra: Iterable[date | str] | Mapping[date | str, str], default_label: str = DEFAULT_EXTRA_DAY_LABEL
) -> dict[date, str]:
    items: Iterable[tuple[date | str, str]] = (
        extra.items() if isinstance(extra, Mapping) else ((d, default_label) for d in extra)
    )
    result: dict[date, str] = {}
    for raw, label in items:
        if isinstance(raw, str):
            try:
                raw = date.fromisoformat(raw)
            except ValueError:
                raise ValueError(f"extra day {raw!r} is not a date in YYYY-MM-DD form") from None
        d = _as_date(raw)
        result[d] = str(label).strip() or default_label
    return result
