"""What every use case needs: repositories, the clock, the working calendar and the SLA policy.

Built lazily once per process (never at import time) and replaceable in tests. The city directory and
calendar are cached for a few minutes, so a workflow action costs only its own case reads and writes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.escalation import EscalationPolicy
from chalicelib.domain.officer import Officer
from chalicelib.domain.routing import Agency, Category
from chalicelib.domain.sla import SlaPolicy
from chalicelib.settings import ChannelSettings, Settings, get_channel_settings, get_settings
from chalicelib.store.agency_cases import AgencyCaseRepository
from chalicelib.store.aggregates import AggregateRepository
from chalicelib.store.cases import CaseRepository
from chalicelib.store.directory import DirectoryRepository
from chalicelib.store.intake import InboundEventRepository, MessageRepository
from chalicelib.store.line_groups import LineGroupRepository
from chalicelib.store.outbox import OutboxRepository
from chalicelib.store.reply_templates import ReplyTemplateRepository
from chalicelib.store.sessions import (
    AuditRepository,
    LoginThrottleRepository,
    OfficerAccountRepository,
    SessionRepository,
)
from chalicelib.store.usage import UsageRepository

DIRECTORY_TTL_SECONDS = 300.0


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Cached:
    agencies: dict[str, Agency]
    categories: dict[str, Category]
    calendar: WorkingCalendar
    loaded_at: float
    officers: dict[str, list[Officer]] = field(default_factory=dict)


@dataclass
class Context:
    settings: Settings
    cases: CaseRepository
    directory: DirectoryRepository
    aggregates: AggregateRepository
    events: InboundEventRepository
    messages: MessageRepository
    outbox: OutboxRepository
    channels: ChannelSettings
    sessions: SessionRepository = field(default_factory=SessionRepository)
    accounts: OfficerAccountRepository = field(default_factory=OfficerAccountRepository)
    throttle: LoginThrottleRepository = field(default_factory=LoginThrottleRepository)
    audit: AuditRepository = field(default_factory=AuditRepository)
    reply_templates: ReplyTemplateRepository = field(default_factory=ReplyTemplateRepository)
    agency_cases: AgencyCaseRepository = field(default_factory=AgencyCaseRepository)  # supporting OPDs' inboxes
    line_groups: LineGroupRepository = field(default_factory=LineGroupRepository)  # OPDs' LINE groups for alerts
    usage: UsageRepository = field(default_factory=UsageRepository)  # messages sent per channel and month
    clock: Callable[[], datetime] = utc_now
    policy: SlaPolicy = field(default_factory=SlaPolicy)
    escalation: EscalationPolicy = field(default_factory=EscalationPolicy)
    _cache: _Cached | None = None

    def now(self) -> datetime:
        return self.clock()

    def _directory(self) -> _Cached:
        fresh = self._cache and time.monotonic() - self._cache.loaded_at < DIRECTORY_TTL_SECONDS
        if not fresh:
            extra: dict[date, str] = {
                date.fromisoformat(d): "Hari libur daerah" for d in self.settings.extra_non_working_days
            }
            extra.update(self.directory.extra_days())
            self._cache = _Cached(
                agencies={a.agency_id: a for a in self.directory.agencies()},
                categories={c.category_id: c for c in self.directory.categories()},
                calendar=WorkingCalendar.for_indonesia(extra_days=extra,
                                                      withdrawn_days=self.directory.withdrawn_days()),
                loaded_at=time.monotonic(),
            )
        assert self._cache is not None
        return self._cache

    @property
    def agencies(self) -> dict[str, Agency]:
        return self._directory().agencies

    @property
    def categories(self) -> dict[str, Category]:
        return self._directory().categories

    @property
    def calendar(self) -> WorkingCalendar:
        return self._directory().calendar

    def officers_of(self, agency_id: str) -> list[Officer]:
        cache = self._directory().officers
        if agency_id not in cache:
            cache[agency_id] = self.directory.officers_of(agency_id)
        return cache[agency_id]

    def warm(self, *agencies: str) -> None:
        """Load the directory (and these agencies' officers) now, as a running container already has it."""
        self._directory()
        for agency in agencies:
            self.officers_of(agency)

    def forget_directory(self) -> None:
        """Drop the cached directory (after an admin edits agencies, categories or days)."""
        self._cache = None


_context: Context | None = None


def build_context(settings: Settings | None = None, clock: Callable[[], datetime] = utc_now) -> Context:
    settings = settings or get_settings()
    return Context(
        settings=settings,
        cases=CaseRepository(),
        directory=DirectoryRepository(settings.city_code),
        aggregates=AggregateRepository(),
        events=InboundEventRepository(),
        messages=MessageRepository(),
        outbox=OutboxRepository(),
        channels=get_channel_settings(),
        clock=clock,
        policy=SlaPolicy(cap_starts=settings.cap_starts),  # type: ignore[arg-type]  # validated there
    )


def get_context() -> Context:
    global _context
    if _context is None:
        _context = build_context()
    return _context


def set_context(context: Context | None) -> None:
    """Install (or with None, forget) the process-wide context; tests use it to freeze the clock."""
    global _context
    _context = context
