"""Service-level deadlines for complaints, as pure functions over a WorkingCalendar (docs/architecture.md,
"Service levels and escalation").

Every deadline ends at 23:59:59 WIB of the N-th working day after the day of the triggering event
(receipt, forwarding, follow-up); the day of the event never counts. ``DITUNDA`` pauses the clock: the
working days left at the pause are carried over to the resume day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from chalicelib.domain.calendar import WorkingCalendar, end_of_day_wib, to_wib_date

# Sanity bound for city config: a typo such as 500 instead of 5 should fail loudly, not set a deadline
# years away.
MAX_DAYS = 366


class Tier(StrEnum):
    """Priority tier set by the admin koordinator; decides the OPD's follow-up window."""

    RINGAN = "ringan"
    NORMATIF = "normatif"
    TIDAK_BERKADAR = "tidak_berkadar_pengawasan"
    BERKADAR = "berkadar_pengawasan"

    @property
    def label(self) -> str:
        return _TIER_LABELS[self]


_TIER_LABELS = {
    Tier.RINGAN: "Ringan",
    Tier.NORMATIF: "Normatif",
    Tier.TIDAK_BERKADAR: "Tidak berkadar pengawasan",
    Tier.BERKADAR: "Berkadar pengawasan",
}


class DeadlineKind(StrEnum):
    VERIFIKASI = "verifikasi"  # admin koordinator verifies and forwards
    TINDAK_LANJUT = "tindak_lanjut"  # OPD posts its first follow-up
    TUTUP_OTOMATIS = "tutup_otomatis"  # silence after a follow-up closes the case
    BATAS_AKHIR = "batas_akhir"  # hard cap to finish (Perpres 76/2013)
    KONTRIBUSI = "kontribusi"  # a supporting OPD posts its contribution

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    DeadlineKind.VERIFIKASI: "Verifikasi dan penerusan",
    DeadlineKind.TINDAK_LANJUT: "Tindak lanjut pertama",
    DeadlineKind.TUTUP_OTOMATIS: "Tutup otomatis",
    DeadlineKind.BATAS_AKHIR: "Batas akhir penyelesaian",
    DeadlineKind.KONTRIBUSI: "Kontribusi OPD pendukung",
}


class SlaStatus(StrEnum):
    """What a dashboard shows next to a deadline. A StrEnum, so it compares equal to the plain strings."""

    TEPAT_WAKTU = "tepat_waktu"
    SEGERA = "segera"
    TERLAMBAT = "terlambat"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    SlaStatus.TEPAT_WAKTU: "Tepat waktu",
    SlaStatus.SEGERA: "Segera jatuh tempo",
    SlaStatus.TERLAMBAT: "Terlambat",
}

class CapStart(StrEnum):
    """The day the hard cap (``finish_cap_days`` calendar days) counts from.

    Perpres 76/2013 counts the 60 days from the day the complaint file is complete; in Aduan that is the day
    the admin koordinator verifies and forwards it (``verified``, the default). ``received`` counts from the
    day of receipt instead (stricter: the verification days come out of the 60).
    """

    VERIFIED = "verified"
    RECEIVED = "received"


DEFAULT_FOLLOW_UP_DAYS: Mapping[Tier, int] = MappingProxyType(
    {Tier.RINGAN: 1, Tier.NORMATIF: 5, Tier.TIDAK_BERKADAR: 14, Tier.BERKADAR: 60}
)


@dataclass(frozen=True)
class SlaPolicy:
    """A city's SLA settings. Working days except ``finish_cap_days``, which are calendar days.

    ``follow_up_days`` may name only some tiers; the others keep their defaults. Values are validated on
    construction, so an invalid policy cannot exist.
    """

    verify_days: int = 3
    follow_up_days: Mapping[Tier, int] = field(default_factory=lambda: DEFAULT_FOLLOW_UP_DAYS)
    default_tier: Tier = Tier.NORMATIF
    auto_close_days: int = 10
    finish_cap_days: int = 60
    cap_starts: CapStart = CapStart.VERIFIED

    def __post_init__(self) -> None:
        object.__setattr__(self, "cap_starts", _cap_start(self.cap_starts))
        for name in ("verify_days", "auto_close_days", "finish_cap_days"):
            object.__setattr__(self, name, _positive_days(name, getattr(self, name)))
        object.__setattr__(self, "default_tier", _tier("default_tier", self.default_tier))
        if not isinstance(self.follow_up_days, Mapping):
            raise ValueError("SLA setting 'follow_up_days' must map tier names to working days")
        merged = dict(DEFAULT_FOLLOW_UP_DAYS)
        for key, days in self.follow_up_days.items():
            tier = _tier("follow_up_days", key)
            merged[tier] = _positive_days(f"follow_up_days.{tier.value}", days)
        object.__setattr__(self, "follow_up_days", MappingProxyType({t: merged[t] for t in Tier}))

    def __hash__(self) -> int:  # the mapping field is unhashable; hash its contents instead
        return hash(
            (
                self.verify_days,
                tuple(self.follow_up_days.items()),
                self.default_tier,
                self.auto_close_days,
                self.finish_cap_days,
                self.cap_starts,
            )
        )

    def follow_up_days_for(self, tier: Tier | None) -> int:
        """Working days the OPD has for its first follow-up; an unset tier uses ``default_tier``."""
        return self.follow_up_days[self.default_tier if tier is None else Tier(tier)]

    @classmethod
    def from_mapping(cls, d: Mapping[str, object]) -> SlaPolicy:
        """Build from city config (JSON or DynamoDB item). Unknown keys are ignored so config can carry
        other settings; missing keys keep defaults; bad values raise ValueError naming the setting."""
        if not isinstance(d, Mapping):
            raise ValueError("SLA config must be a mapping of setting name to value")
        known = ("verify_days", "follow_up_days", "default_tier", "auto_close_days", "finish_cap_days", "cap_starts")
        return cls(**{k: d[k] for k in known if k in d})  # type: ignore[arg-type]

    def to_mapping(self) -> dict[str, object]:
        """JSON-ready form; ``from_mapping(p.to_mapping()) == p``."""
        return {
            "verify_days": self.verify_days,
            "follow_up_days": {tier.value: days for tier, days in self.follow_up_days.items()},
            "default_tier": self.default_tier.value,
            "auto_close_days": self.auto_close_days,
            "finish_cap_days": self.finish_cap_days,
            "cap_starts": self.cap_starts.value,
        }


def _positive_days(name: str, value: object) -> int:
    # bool is an int subclass (True would mean 1 day); DynamoDB hands numbers back as Decimal.
    if isinstance(value, bool):
        ok = False
    elif isinstance(value, int):
        ok = True
    elif isinstance(value, Decimal):
        ok = value.is_finite() and value == value.to_integral_value()
    else:
        ok = False
    if not ok or not 1 <= int(value) <= MAX_DAYS:  # type: ignore[call-overload]
        raise ValueError(
            f"SLA setting {name!r} must be a whole number of days from 1 to {MAX_DAYS}, got {value!r}"
        )
    return int(value)  # type: ignore[call-overload]


def _cap_start(value: object) -> CapStart:
    if isinstance(value, CapStart):
        return value
    if isinstance(value, str):
        key = value.strip().lower()
        for start in CapStart:
            if key == start.value:
                return start
    allowed = ", ".join(s.value for s in CapStart)
    raise ValueError(f"SLA setting 'cap_starts': unknown starting point {value!r} (expected one of: {allowed})")


def _tier(name: str, value: object) -> Tier:
    if isinstance(value, Tier):
        return value
    if isinstance(value, str):
        key = value.strip().lower()
        for tier in Tier:
            if key in (tier.value, tier.name.lower()):
                return tier
    allowed = ", ".join(t.value for t in Tier)
    raise ValueError(f"SLA setting {name!r}: unknown tier {value!r} (expected one of: {allowed})")


@dataclass(frozen=True)
class Deadline:
    """When a step is due. ``due_at`` is stored in UTC so deadlines compare and sort without surprises."""

    kind: DeadlineKind
    due_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", DeadlineKind(self.kind))
        to_wib_date(self.due_at)  # rejects naive datetimes
        object.__setattr__(self, "due_at", self.due_at.astimezone(UTC))

    def is_overdue(self, now: datetime) -> bool:
        """Overdue only once the deadline has passed; at 23:59:59 WIB itself the case is still on time."""
        to_wib_date(now)
        return now > self.due_at


def verify_deadline(cal: WorkingCalendar, policy: SlaPolicy, received_at: datetime) -> Deadline:
    """Admin koordinator must verify and forward within ``verify_days`` working days of receipt."""
    return Deadline(DeadlineKind.VERIFIKASI, cal.end_of_working_day_after(received_at, policy.verify_days))


def follow_up_deadline(
    cal: WorkingCalendar, policy: SlaPolicy, forwarded_at: datetime, tier: Tier | None
) -> Deadline:
    """The OPD's first follow-up is due within the tier's working days of forwarding."""
    days = policy.follow_up_days_for(tier)
    return Deadline(DeadlineKind.TINDAK_LANJUT, cal.end_of_working_day_after(forwarded_at, days))


def contribution_deadline(
    cal: WorkingCalendar, policy: SlaPolicy, added_at: datetime, tier: Tier | None, cap: Deadline | None
) -> Deadline:
    """A supporting OPD has the tier's working days from the day it was added for its contribution, never
    past the case's hard cap."""
    days = policy.follow_up_days_for(tier)
    due = cal.end_of_working_day_after(added_at, days)
    if cap is not None and cap.due_at < due:
        due = cap.due_at
    return Deadline(DeadlineKind.KONTRIBUSI, due)


def auto_close_deadline(cal: WorkingCalendar, policy: SlaPolicy, followed_up_at: datetime) -> Deadline:
    """Without a citizen reply, a followed-up case closes itself after ``auto_close_days`` working days."""
    return Deadline(
        DeadlineKind.TUTUP_OTOMATIS, cal.end_of_working_day_after(followed_up_at, policy.auto_close_days)
    )


def finish_cap(policy: SlaPolicy, received_at: datetime, paused_calendar_days: int = 0) -> Deadline:
    """Hard cap in calendar days (Perpres 76/2013): 23:59:59 WIB of the start date + cap + days on hold.

    The start is whatever moment the caller passes: the day of receipt or of verification, as
    ``policy.cap_starts`` says (see ``cap_at_receipt`` / ``cap_at_verification``). Calendar days, not
    working days, so no calendar is needed; ``paused_calendar_days`` are added back when given.
    """
    if isinstance(paused_calendar_days, bool) or not isinstance(paused_calendar_days, int):
        raise ValueError(f"paused_calendar_days must be a whole number, got {paused_calendar_days!r}")
    if paused_calendar_days < 0:
        raise ValueError(f"paused_calendar_days must be >= 0, got {paused_calendar_days}")
    day = to_wib_date(received_at) + timedelta(days=policy.finish_cap_days + paused_calendar_days)
    return Deadline(DeadlineKind.BATAS_AKHIR, end_of_day_wib(day))


def cap_at_receipt(policy: SlaPolicy, received_at: datetime) -> Deadline | None:
    """The cap a new case gets when it is received: counted from receipt, or none yet when the cap counts
    from verification (the file is not complete until the admin koordinator verifies it)."""
    return finish_cap(policy, received_at) if policy.cap_starts is CapStart.RECEIVED else None


def cap_at_verification(policy: SlaPolicy, verified_at: datetime, current: Deadline | None) -> Deadline | None:
    """The cap after the admin koordinator verifies and forwards a case: a cap the case already has is kept
    (a stored one, one counted from receipt, or one from an earlier verification before the file was returned),
    else the cap starts on the verification day."""
    if current is not None:
        return current
    return finish_cap(policy, verified_at)


def earliest(*deadlines: Deadline | None) -> Deadline | None:
    """The deadline that falls first (``None``s skipped; ties go to the first given), or ``None``."""
    found: Deadline | None = None
    for deadline in deadlines:
        if deadline is not None and (found is None or deadline.due_at < found.due_at):
            found = deadline
    return found


def remaining_working_days(cal: WorkingCalendar, deadline: Deadline, paused_at: datetime) -> int:
    """Working days still left when the case is put on hold, not counting the pause day itself.

    0 when the deadline is that same day or already passed; see ``resume_deadline`` for what 0 means.
    """
    return cal.working_days_after(paused_at, deadline.due_at)


def resume_deadline(
    cal: WorkingCalendar, kind: DeadlineKind, remaining: int, resumed_at: datetime
) -> Deadline:
    """The deadline after a hold: ``remaining`` working days after the resume day.

    With ``remaining == 0`` (paused on its last day, or already overdue) it ends at the end of the first
    working day on or after the resume day: the officer gets that day back and a resumed case never
    starts with a deadline in the past. Escalations already sent are not repeated by the caller.
    """
    if isinstance(remaining, bool) or not isinstance(remaining, int) or remaining < 0:
        raise ValueError(f"remaining must be a whole number of working days >= 0, got {remaining!r}")
    return Deadline(DeadlineKind(kind), cal.end_of_working_day_after(resumed_at, remaining))


def paused_calendar_days(paused_at: datetime, resumed_at: datetime) -> int:
    """Calendar days on hold, counted on WIB dates (same-day pause and resume = 0); never negative."""
    return max(0, (to_wib_date(resumed_at) - to_wib_date(paused_at)).days)


def sla_status(deadline: Deadline, now: datetime, warn_within: timedelta = timedelta(hours=24)) -> SlaStatus:
    """``terlambat`` once past due, ``segera`` when due within ``warn_within``, else ``tepat_waktu``."""
    if deadline.is_overdue(now):
        return SlaStatus.TERLAMBAT
    if deadline.due_at - now <= warn_within:
        return SlaStatus.SEGERA
    return SlaStatus.TEPAT_WAKTU
