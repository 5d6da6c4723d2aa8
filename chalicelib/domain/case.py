"""The complaint case (*laporan*) and the vocabulary of SP4N-LAPOR! it lives in.

Pure data: no I/O. A `Case` is immutable; the lifecycle (`lifecycle.py`) returns a new one per action,
with the version bumped and one event appended to its timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from chalicelib.domain.sla import Deadline, DeadlineKind, Tier, earliest


class Status(StrEnum):
    BARU = "BARU"
    TERVERIFIKASI = "TERVERIFIKASI"
    DITINDAKLANJUTI = "DITINDAKLANJUTI"
    SELESAI = "SELESAI"
    DITUNDA = "DITUNDA"
    BUKAN_WEWENANG = "BUKAN_WEWENANG"
    DIARSIPKAN = "DIARSIPKAN"
    DIGABUNG = "DIGABUNG"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


_STATUS_LABELS = {
    Status.BARU: "Belum terverifikasi",
    Status.TERVERIFIKASI: "Terverifikasi, menunggu tindak lanjut",
    Status.DITINDAKLANJUTI: "Sedang ditindaklanjuti",
    Status.SELESAI: "Selesai",
    Status.DITUNDA: "Ditunda (menunggu kelengkapan)",
    Status.BUKAN_WEWENANG: "Bukan wewenang",
    Status.DIARSIPKAN: "Diarsipkan",
    Status.DIGABUNG: "Digabung dengan laporan lain",
}

OPEN_STATUSES = frozenset({Status.BARU, Status.TERVERIFIKASI, Status.DITINDAKLANJUTI, Status.DITUNDA})


class Role(StrEnum):
    ADMIN = "admin"  # admin koordinator (e.g. Diskominfo)
    OPD = "opd"  # pejabat penghubung of an agency
    SUPERVISOR = "supervisor"  # Kabid / Kepala OPD
    LEADERSHIP = "leadership"  # Sekda / Wali Kota: read-only, last escalation step
    CITIZEN = "citizen"  # the reporter, acting through a channel
    SYSTEM = "system"  # scheduled jobs

    @property
    def label(self) -> str:
        return {
            Role.ADMIN: "Admin koordinator",
            Role.OPD: "Petugas OPD",
            Role.SUPERVISOR: "Supervisor OPD",
            Role.LEADERSHIP: "Pimpinan",
            Role.CITIZEN: "Pelapor",
            Role.SYSTEM: "Sistem",
        }[self]


OFFICER_ROLES = frozenset({Role.ADMIN, Role.OPD, Role.SUPERVISOR, Role.LEADERSHIP})


class Channel(StrEnum):
    WEB = "web"
    WHATSAPP = "whatsapp"
    LINE = "line"
    SMS = "sms"
    TELEGRAM = "telegram"
    MESSENGER = "messenger"
    INSTAGRAM = "instagram"
    EMAIL = "email"
    PHONE = "telepon"
    WALK_IN = "tatap_muka"
    LETTER = "surat"
    SOCIAL_MEDIA = "media_sosial"  # a public post an officer logs (the city's social media accounts)

    @property
    def label(self) -> str:
        return _CHANNEL_LABELS[self]


_CHANNEL_LABELS = {
    Channel.WEB: "Formulir web",
    Channel.WHATSAPP: "WhatsApp",
    Channel.LINE: "LINE",
    Channel.SMS: "SMS",
    Channel.TELEGRAM: "Telegram",
    Channel.MESSENGER: "Messenger",
    Channel.INSTAGRAM: "Instagram",
    Channel.EMAIL: "E-mail",
    Channel.PHONE: "Telepon",
    Channel.WALK_IN: "Tatap muka",
    Channel.LETTER: "Surat",
    Channel.SOCIAL_MEDIA: "Media sosial",
}

OFFICER_ENTRY_CHANNELS = frozenset({Channel.PHONE, Channel.WALK_IN, Channel.LETTER, Channel.SOCIAL_MEDIA})


class Action(StrEnum):
    CREATE = "buat"
    FORWARD = "verifikasi_disposisi"
    HOLD = "tunda"
    RESUME = "lanjutkan"
    REJECT = "bukan_wewenang"
    ARCHIVE = "arsipkan"
    RETURN = "kembalikan"
    ASSIGN = "tugaskan"
    FOLLOW_UP = "tindak_lanjut"
    CLOSE = "selesaikan"
    AUTO_CLOSE = "tutup_otomatis"
    REOPEN = "buka_kembali"
    MERGE = "gabungkan"
    MERGED_IN = "gabungan_masuk"  # on the surviving case: a duplicate was merged into it (not a transition)
    RATE = "nilai"
    CONFIRM = "konfirmasi_pelapor"  # the citizen confirms the follow-up solved it (closes the case)
    RESPOND = "tanggapan_pelapor"  # the citizen answers a follow-up without confirming or disputing it
    CONTRIBUTE = "kontribusi"  # a supporting OPD records its contribution (never the lead's follow-up)
    WITHDRAW = "tarik_kembali"  # the admin takes a forwarded case back to verify and forward it again
    REDISPOSE = "ubah_disposisi"  # the admin changes the lead OPD or the supporting OPDs
    WARN = "peringatan"
    ESCALATE = "eskalasi"

    @property
    def label(self) -> str:
        return _ACTION_LABELS[self]


_ACTION_LABELS = {
    Action.CREATE: "Laporan diterima",
    Action.FORWARD: "Diverifikasi dan didisposisikan",
    Action.HOLD: "Ditunda",
    Action.RESUME: "Dilanjutkan",
    Action.REJECT: "Dinyatakan bukan wewenang",
    Action.ARCHIVE: "Diarsipkan",
    Action.RETURN: "Dikembalikan ke admin",
    Action.ASSIGN: "Ditugaskan ke petugas",
    Action.FOLLOW_UP: "Tindak lanjut",
    Action.CLOSE: "Diselesaikan",
    Action.AUTO_CLOSE: "Ditutup otomatis",
    Action.REOPEN: "Dibuka kembali",
    Action.MERGE: "Digabung",
    Action.MERGED_IN: "Laporan lain digabung ke laporan ini",
    Action.RATE: "Dinilai pelapor",
    Action.CONFIRM: "Dikonfirmasi selesai oleh pelapor",
    Action.RESPOND: "Tanggapan pelapor",
    Action.CONTRIBUTE: "Kontribusi OPD pendukung",
    Action.WITHDRAW: "Ditarik kembali oleh admin",
    Action.REDISPOSE: "Disposisi diubah",
    Action.WARN: "Peringatan batas waktu",
    Action.ESCALATE: "Dieskalasi",
}


@dataclass(frozen=True)
class Actor:
    """Who acts: an officer (with role and agency), the citizen, or the system."""

    actor_id: str
    role: Role
    agency_id: str | None = None

    @classmethod
    def system(cls, job: str) -> Actor:
        return cls(actor_id=f"system:{job}", role=Role.SYSTEM)

    @classmethod
    def citizen(cls, reporter_key: str | None) -> Actor:
        return cls(actor_id=f"citizen:{reporter_key or 'anonim'}", role=Role.CITIZEN)


@dataclass(frozen=True)
class Reporter:
    """The citizen's identity. Hidden from OPD officers and the public when the case is *anonim*."""

    name: str | None = None
    phone: str | None = None  # E.164
    email: str | None = None
    channel_user_id: str | None = None  # LINE userId, Telegram chat id, ...

    @property
    def key(self) -> str | None:
        """The key that links the same person's cases: phone first (it crosses channels)."""
        if self.phone:
            return f"tel:{self.phone}"
        if self.email:
            return f"mail:{self.email.lower()}"
        if self.channel_user_id:
            return f"uid:{self.channel_user_id}"
        return None


@dataclass(frozen=True)
class TimelineEvent:
    seq: int  # equals the case version the event produced
    at: datetime
    action: Action
    actor_id: str
    actor_role: Role
    actor_agency: str | None
    from_status: Status | None
    to_status: Status
    note: str = ""
    public: bool = True  # shown on the public tracking page (unless the case is rahasia)
    agencies: tuple[str, ...] = ()  # on FORWARD/RETURN: the agencies involved after the event
    rung: str | None = None  # on ESCALATE: the ladder rung alerted (officer, supervisor, admin, leadership)
    merged_from: str | None = None  # on MERGED_IN: the duplicate's number (one event per duplicate)
    agency: str | None = None  # on a supporting OPD's WARN/ESCALATE/CONTRIBUTE: that OPD


@dataclass(frozen=True)
class SupportTask:
    """A supporting OPD's part of a case: its own contribution deadline and its own rungs of the ladder.

    Its contribution never counts as the lead OPD's follow-up; it only closes this task.
    """

    agency_id: str
    due_at: datetime  # end of the last working day for the contribution (never past the hard cap)
    added_at: datetime
    contributed_at: datetime | None = None
    warned: bool = False
    escalation_level: int = 0

    @property
    def pending(self) -> bool:
        return self.contributed_at is None

    @property
    def deadline(self) -> Deadline:
        return Deadline(DeadlineKind.KONTRIBUSI, self.due_at)


@dataclass(frozen=True)
class PausedClock:
    """What a DITUNDA case needs to restart its SLA clock where it stopped."""

    held_from: Status
    paused_at: datetime
    kind: DeadlineKind
    remaining_working_days: int
    until: datetime | None = None  # the hold ends by itself here (end of the hold-until day, WIB)
    missed_due_at: datetime | None = None  # the deadline the case had already missed when held: kept on resume


@dataclass(frozen=True)
class Case:
    case_id: str
    city_code: str
    channel: Channel
    status: Status
    description: str
    received_at: datetime
    reporter: Reporter = field(default_factory=Reporter)
    title: str = ""
    location: str = ""
    anonymous: bool = False
    confidential: bool = False  # *rahasia*: content never public
    category_id: str | None = None
    tier: Tier | None = None
    lead_agency: str | None = None
    supporting_agencies: tuple[str, ...] = ()
    support: tuple[SupportTask, ...] = ()  # one per supporting OPD (cases forwarded before tasks have none)
    assigned_officer: str | None = None
    verified_at: datetime | None = None
    followed_up_at: datetime | None = None
    closed_at: datetime | None = None
    deadline: Deadline | None = None  # the current stage's deadline; None when closed or paused
    finish_by: Deadline | None = None  # hard cap (Perpres 76/2013); None until verified if it counts from then
    paused: PausedClock | None = None
    paused_calendar_days: int = 0
    merged_into: str | None = None
    rating: int | None = None
    source_key: str | None = None  # idempotency key the case was created from
    created_by: str | None = None
    version: int = 1
    timeline: tuple[TimelineEvent, ...] = ()
    escalation_level: int = 0  # rungs of the ladder taken for the current deadline
    ladder_shift: int = 0  # working days the ladder of a missed deadline was pushed back by holds
    warned: bool = False  # "due soon" warning sent for the current deadline
    alarm_at: datetime | None = None  # when the system must next look at this case (escalation index key)
    alarm_kind: str | None = None  # warn | escalate | auto_close
    notified_seq: int = 0  # timeline events up to this seq have had their messages queued

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    @property
    def next_deadline(self) -> Deadline | None:
        """The deadline the escalation job watches: the earliest of the stage deadline and the hard cap.

        A DITINDAKLANJUTI case waits for the citizen, so only its auto-close deadline counts there.
        """
        if not self.is_open or self.paused is not None:
            return None
        if self.status is Status.DITINDAKLANJUTI:
            return self.deadline
        return earliest(self.deadline, self.finish_by)

    @property
    def sla_due(self) -> Deadline | None:
        """The deadline the dashboard judges the case by: its next deadline, or, while on hold, the deadline
        it had already missed when held, or the hard cap, which a hold does not move (a hold never makes an
        overdue case on time)."""
        if self.is_open and self.paused is not None:
            missed = self.paused.missed_due_at
            return earliest(Deadline(self.paused.kind, missed) if missed else None, self.finish_by)
        return self.next_deadline

    def is_overdue(self, now: datetime) -> bool:
        due = self.sla_due
        return due is not None and due.is_overdue(now)

    @property
    def reopen_count(self) -> int:
        """How often an officer reopened the case after a close (a wrong decision is never permanent)."""
        return sum(1 for e in self.timeline if e.action is Action.REOPEN and e.from_status is not None
                   and not e.from_status.is_open)

    def disposition_before(self, seq: int) -> tuple[str, ...]:
        """(lead, *supporting) as they stood just before the event `seq`: from the last forwarding or
        re-disposition, () if the case had been taken back or returned since (or never forwarded)."""
        for event in reversed(self.timeline):
            if event.seq >= seq:
                continue
            if event.action in (Action.FORWARD, Action.REDISPOSE):
                return event.agencies
            if event.action in (Action.WITHDRAW, Action.RETURN):
                return ()
        return ()

    def support_task(self, agency_id: str | None) -> SupportTask | None:
        return next((t for t in self.support if t.agency_id == agency_id), None)

    def involves(self, agency_id: str | None) -> bool:
        return agency_id is not None and (
            agency_id == self.lead_agency or agency_id in self.supporting_agencies
        )
