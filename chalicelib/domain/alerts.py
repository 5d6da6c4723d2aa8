"""Officer alerts: what kinds there are, and when one may reach an officer (quiet hours, weekends, holidays).

Pure Python: no AWS, no I/O. An urgent alert goes at once, day or night (unless the officer opted out of
urgent alerts at night); any other alert that falls inside the officer's quiet hours (which may run across
midnight), on a weekend or on a non-working day waits until the morning of the next working day (07:00 WIB).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from chalicelib.domain.calendar import WIB, WorkingCalendar

MORNING = time(7, 0)
DEFAULT_QUIET_HOURS = "21:00-06:00"


class AlertKind(StrEnum):
    NEW = "baru"  # a new complaint on any channel, for the admin koordinator
    FORWARD = "disposisi"  # verified and forwarded to an OPD (lead or supporting)
    ASSIGN = "penugasan"  # assigned to one officer of the lead OPD
    CITIZEN = "pelapor"  # the citizen replied, sent a photo, disputed the follow-up or completed a held case
    RETURN = "dikembalikan"  # an OPD handed the case back to the admin koordinator
    CONTRIBUTION = "kontribusi"  # a supporting OPD recorded its contribution (for the lead OPD)
    MERGE = "digabung"  # merged into another case
    REOPEN = "dibuka_kembali"  # reopened by an officer
    WARN = "peringatan"  # a deadline is coming due
    ESCALATE = "eskalasi"  # a deadline was missed: a rung of the ladder

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def urgent(self) -> bool:
        """Urgent by default (a city may mark more kinds urgent)."""
        return self is AlertKind.NEW

    @property
    def optional(self) -> bool:
        """Whether an officer may switch this kind off (an escalation always reaches its rung)."""
        return self is not AlertKind.ESCALATE


_LABELS = {
    AlertKind.NEW: "Laporan baru masuk",
    AlertKind.FORWARD: "Laporan didisposisikan ke OPD saya",
    AlertKind.ASSIGN: "Laporan ditugaskan kepada saya",
    AlertKind.CITIZEN: "Tanggapan, foto atau sanggahan pelapor",
    AlertKind.RETURN: "Laporan dikembalikan oleh OPD",
    AlertKind.CONTRIBUTION: "Kontribusi OPD pendukung pada laporan OPD saya",
    AlertKind.MERGE: "Laporan digabung",
    AlertKind.REOPEN: "Laporan dibuka kembali",
    AlertKind.WARN: "Batas waktu segera tiba",
    AlertKind.ESCALATE: "Eskalasi batas waktu terlewati",
}


def parse_kinds(values: Iterable[str] | str | None) -> frozenset[AlertKind]:
    """Alert kinds from their values (a comma-separated text or a list); unknown values are ignored."""
    if values is None:
        return frozenset()
    if isinstance(values, str):
        values = values.split(",")
    known = AlertKind._value2member_map_
    return frozenset(AlertKind(v.strip()) for v in values if v.strip() in known)


def parse_clock(value: str) -> time:
    """'HH:MM' (or 'HH.MM', the Indonesian way) as a time; ValueError otherwise."""
    text = value.strip().replace(".", ":")
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and len(hours) <= 2):
        raise ValueError(f"not a time of day: {value!r}")
    return time(int(hours), int(minutes))


def parse_quiet_hours(value: str | None) -> tuple[time, time] | None:
    """'21:00-06:00' as (start, end); None for no quiet hours ('' or equal start and end)."""
    if not value or not value.strip() or value.strip() == "-":
        return None
    start, sep, end = value.partition("-")
    if not sep:
        raise ValueError(f"quiet hours must look like 21:00-06:00, got {value!r}")
    parsed = parse_clock(start), parse_clock(end)
    return None if parsed[0] == parsed[1] else parsed


def format_quiet_hours(start: time, end: time) -> str:
    return f"{start:%H:%M}-{end:%H:%M}"


def in_quiet_hours(moment: time, start: time | None, end: time | None) -> bool:
    """Whether a WIB time of day falls in [start, end), a window that may run across midnight."""
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def is_urgent(kind: AlertKind, urgent_kinds: Iterable[AlertKind] = ()) -> bool:
    return kind.urgent or kind in frozenset(urgent_kinds)


def deliver_at(
    kind: AlertKind,
    now: datetime,
    calendar: WorkingCalendar,
    quiet_start: time | None,
    quiet_end: time | None,
    morning: time = MORNING,
    urgent_at_night: bool = True,
    urgent_kinds: Iterable[AlertKind] = (),
) -> datetime:
    """When an alert of `kind` raised at `now` may be delivered (`now` itself, or a later working morning)."""
    if is_urgent(kind, urgent_kinds) and urgent_at_night:
        return now
    local = now.astimezone(WIB)
    if calendar.is_working_day(local.date()) and not in_quiet_hours(local.time(), quiet_start, quiet_end):
        return now
    return next_working_morning(now, calendar, morning)


def next_working_morning(now: datetime, calendar: WorkingCalendar, morning: time = MORNING) -> datetime:
    """The first `morning` (WIB) of a working day that is later than `now` (in now's timezone)."""
    day: date = now.astimezone(WIB).date()
    while True:
        day = calendar.working_day_after(day, 0)
        at = datetime.combine(day, morning, tzinfo=WIB)
        if at > now:
            return at.astimezone(now.tzinfo)
        day += timedelta(days=1)
