"""What every use case needs: repositories, the clock, the working calendar and the SLA policy.

Each repository is typed to its protocol (`services/repositories.py`): DynamoDB in production, in-memory fakes
with the same contract in the services' unit tests.

Built lazily once per process (never at import time) and replaceable in tests. The city directory and
calendar are cached for a few minutes, so a workflow action costs only its own case reads and writes.

The city's stored service levels (SLA, hold limit, quiet hours: set by the city file) win over the stage's
environment: ``ctx.policy`` and ``ctx.settings`` give the effective values, read once per cache lifetime.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.sla import SlaPolicy
from chalicelib.settings import ChannelSettings, Settings, get_channel_settings, get_settings

if TYPE_CHECKING:  # types only: a webhook's cold start imports neither the case model nor the directory's
    from chalicelib.domain.escalation import EscalationPolicy
    from chalicelib.domain.officer import Officer
    from chalicelib.domain.routing import Agency, Category
    from chalicelib.services.repositories import (
        AgencyCases,
        AuditLog,
        Cases,
        ChannelUsage,
        Directory,
        Figures,
        InboundEvents,
        LineGroups,
        LinkCodes,
        LoginThrottle,
        Messages,
        OfficerAccounts,
        Outbox,
        RateLimits,
        RatingRequests,
        ReplyTemplates,
        Sessions,
    )
    from chalicelib.store.directory import StoredCitySettings

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


@dataclass(frozen=True)
class _Levels:
    """The city's validated stored service levels (None: keep the stage's value), for one cache lifetime."""

    city_code: str
    loaded_at: float
    policy: SlaPolicy | None = None
    hold_limit_days: int | None = None
    quiet_hours: str | None = None


class _Effective:
    """A Context field whose value is what the caller gave, overlaid with the city's stored service levels.

    A descriptor (not a property) keeps the dataclass constructor and ``dataclasses.replace`` as they were,
    so every existing reader of ``ctx.settings`` / ``ctx.policy`` sees the stored values unchanged."""

    def __init__(self, default: Any = None) -> None:
        self.default = default

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.slot = f"_given_{name}"

    def __get__(self, obj: Context | None, owner: type | None = None) -> Any:
        if obj is None:
            if self.default is None:
                raise AttributeError(self.name)  # tells dataclasses the field has no default
            return self.default
        return obj._effective(self.name, obj.__dict__[self.slot])

    def __set__(self, obj: Context, value: Any) -> None:
        obj.__dict__[self.slot] = value
        obj.__dict__.pop("_effective_settings", None)


_UNBUILT = object()


class _Lazy:
    """A Context field built on first use (each repository, the escalation policy): a webhook's first request
    imports and builds only what it touches (the store modules are most of a cold start's imports). Given a
    value (tests, `replace`), that value is used. A descriptor keeps the dataclass constructor and
    ``dataclasses.replace`` as they were."""

    def __init__(self, build: Callable[[Context], Any]) -> None:
        self.build = build

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_repository_{name}"

    def __get__(self, obj: Context | None, owner: type | None = None) -> Any:
        if obj is None:
            return _UNBUILT  # the dataclass default: build on first use
        value = obj.__dict__.get(self.slot, _UNBUILT)
        if value is _UNBUILT:
            value = obj.__dict__[self.slot] = self.build(obj)
        return value

    def __set__(self, obj: Context, value: Any) -> None:
        if value is _UNBUILT:
            obj.__dict__.pop(self.slot, None)
        else:
            obj.__dict__[self.slot] = value


def _cases(ctx: Context) -> Cases:
    from chalicelib.store.cases import CaseRepository

    return CaseRepository()


def _directory(ctx: Context) -> Directory:
    from chalicelib.store.directory import DirectoryRepository

    return DirectoryRepository(ctx.settings.city_code)


def _figures(ctx: Context) -> Figures:
    from chalicelib.store.figures import FigureRepository

    return FigureRepository()


def _events(ctx: Context) -> InboundEvents:
    from chalicelib.store.intake import InboundEventRepository

    return InboundEventRepository()


def _messages(ctx: Context) -> Messages:
    from chalicelib.store.intake import MessageRepository

    return MessageRepository()


def _outbox(ctx: Context) -> Outbox:
    from chalicelib.store.outbox import OutboxRepository

    return OutboxRepository()


def _sessions(ctx: Context) -> Sessions:
    from chalicelib.store.sessions import SessionRepository

    return SessionRepository()


def _accounts(ctx: Context) -> OfficerAccounts:
    from chalicelib.store.sessions import OfficerAccountRepository

    return OfficerAccountRepository()


def _throttle(ctx: Context) -> LoginThrottle:
    from chalicelib.store.sessions import LoginThrottleRepository

    return LoginThrottleRepository()


def _audit(ctx: Context) -> AuditLog:
    from chalicelib.store.sessions import AuditRepository

    return AuditRepository()


def _reply_templates(ctx: Context) -> ReplyTemplates:
    from chalicelib.store.reply_templates import ReplyTemplateRepository

    return ReplyTemplateRepository()


def _agency_cases(ctx: Context) -> AgencyCases:
    from chalicelib.store.agency_cases import AgencyCaseRepository

    return AgencyCaseRepository()


def _line_groups(ctx: Context) -> LineGroups:
    from chalicelib.store.line_groups import LineGroupRepository

    return LineGroupRepository()


def _usage(ctx: Context) -> ChannelUsage:
    from chalicelib.store.usage import UsageRepository

    return UsageRepository()


def _limits(ctx: Context) -> RateLimits:
    from chalicelib.store.limits import RateLimiter

    return RateLimiter()


def _link_codes(ctx: Context) -> LinkCodes:
    from chalicelib.store.link_codes import LinkCodeRepository

    return LinkCodeRepository()


def _rating_requests(ctx: Context) -> RatingRequests:
    from chalicelib.store.rating_requests import RatingRequestRepository

    return RatingRequestRepository()


def _escalation_policy(ctx: Context) -> EscalationPolicy:
    from chalicelib.domain.escalation import EscalationPolicy

    return EscalationPolicy()


class _LiveSettings(Settings):
    """The stage's settings, whose service-level fields read the city's stored values when first asked for.

    Only those three fields touch the store (once per cache lifetime): reading the table prefix or a channel's
    mode costs no request. A copy made with ``dataclasses.replace`` keeps the values as they were then."""

    STORED = frozenset({"quiet_hours", "max_hold_working_days", "cap_starts"})

    @classmethod
    def over(cls, given: Settings, ctx: Context) -> _LiveSettings:
        raw = {f.name: object.__getattribute__(given, f.name) for f in dataclasses.fields(Settings)}
        live = cls(**raw)
        object.__setattr__(live, "_context", ctx)
        return live

    def __getattribute__(self, name: str) -> Any:
        if name in _LiveSettings.STORED:
            ctx = object.__getattribute__(self, "__dict__").get("_context")
            if ctx is not None:
                return ctx.stored_value(name, object.__getattribute__(self, name))
        return object.__getattribute__(self, name)


@dataclass
class Context:
    settings: Settings = _Effective()  # type: ignore[assignment]  # the stage's, overlaid with the stored values
    channels: ChannelSettings
    cases: Cases = _Lazy(_cases)  # type: ignore[assignment]
    directory: Directory = _Lazy(_directory)  # type: ignore[assignment]
    figures: Figures = _Lazy(_figures)  # type: ignore[assignment]
    events: InboundEvents = _Lazy(_events)  # type: ignore[assignment]
    messages: Messages = _Lazy(_messages)  # type: ignore[assignment]
    outbox: Outbox = _Lazy(_outbox)  # type: ignore[assignment]
    sessions: Sessions = _Lazy(_sessions)  # type: ignore[assignment]
    accounts: OfficerAccounts = _Lazy(_accounts)  # type: ignore[assignment]
    throttle: LoginThrottle = _Lazy(_throttle)  # type: ignore[assignment]
    audit: AuditLog = _Lazy(_audit)  # type: ignore[assignment]
    reply_templates: ReplyTemplates = _Lazy(_reply_templates)  # type: ignore[assignment]
    agency_cases: AgencyCases = _Lazy(_agency_cases)  # type: ignore[assignment]  # supporting OPDs
    line_groups: LineGroups = _Lazy(_line_groups)  # type: ignore[assignment]  # OPDs' LINE groups
    usage: ChannelUsage = _Lazy(_usage)  # type: ignore[assignment]  # messages sent per channel and month
    limits: RateLimits = _Lazy(_limits)  # type: ignore[assignment]  # fixed-window rate limits
    link_codes: LinkCodes = _Lazy(_link_codes)  # type: ignore[assignment]  # LINE link codes
    rating_requests: RatingRequests = _Lazy(_rating_requests)  # type: ignore[assignment]
    clock: Callable[[], datetime] = utc_now
    policy: SlaPolicy = _Effective(SlaPolicy())  # type: ignore[assignment]  # the stage's unless the city stored one
    escalation: EscalationPolicy = _Lazy(_escalation_policy)  # type: ignore[assignment]
    _cache: _Cached | None = None
    _levels: _Levels | None = None

    def now(self) -> datetime:
        return self.clock()

    def _directory(self) -> _Cached:
        fresh = self._cache and time.monotonic() - self._cache.loaded_at < DIRECTORY_TTL_SECONDS
        if not fresh:
            self._service_levels()  # loaded with the directory: a warm container reads neither per request
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
        """Drop the cached directory (after an admin edits agencies, categories, days or service levels)."""
        self._cache = None
        self._levels = None

    # ------------------------------------------------------------ the city's stored service levels
    def _effective(self, name: str, given: Any) -> Any:
        if name == "policy":
            levels = self._service_levels()
            return levels.policy if levels.policy is not None else given
        memo = self.__dict__.get("_effective_settings")
        if memo is not None and memo[0] is given:
            return memo[1]
        live = _LiveSettings.over(given, self)
        self.__dict__["_effective_settings"] = (given, live)
        return live

    def stored_value(self, name: str, given: Any) -> Any:
        """The stored value of one of `_LiveSettings.STORED` (read then, once per cache lifetime), else ``given``."""
        levels = self._service_levels()
        if name == "cap_starts":
            return levels.policy.cap_starts.value if levels.policy is not None else given
        value = levels.hold_limit_days if name == "max_hold_working_days" else levels.quiet_hours
        return given if value is None else value

    def _service_levels(self) -> _Levels:
        """The stored service levels, read at most once per directory-cache lifetime (one GetItem)."""
        city = self.directory.city_code
        levels = self._levels
        if levels is None or levels.city_code != city or time.monotonic() - levels.loaded_at >= DIRECTORY_TTL_SECONDS:
            levels = _validated_levels(city, self.directory)
            self._levels = levels
        return levels

    def stored_service_levels(self) -> StoredCitySettings | None:
        """What the city stored, read now (the city file compares it with the file)."""
        return self.directory.city_settings()


def _validated_levels(city: str, directory: Directory) -> _Levels:
    """Validate each stored value on its own: a bad one is logged (names only) and the stage's value kept."""
    from pynamodb.exceptions import PynamoDBException

    from chalicelib.domain.alerts import format_quiet_hours, parse_quiet_hours
    from chalicelib.domain.sla import MAX_DAYS
    from chalicelib.observability import logger

    now = time.monotonic()
    try:
        stored = directory.city_settings()
    except PynamoDBException as error:  # unreachable or table not yet deployed: the stage's values, retried soon
        logger.warning("city service levels unreadable; using the stage's", extra={"city": city,
                                                                                  "error": type(error).__name__})
        return _Levels(city, now - DIRECTORY_TTL_SECONDS + 30.0)
    if stored is None:
        return _Levels(city, now)
    policy: SlaPolicy | None = None
    hold: int | None = None
    quiet: str | None = None
    if stored.sla is not None:
        try:
            policy = SlaPolicy.from_mapping(stored.sla)
        except (ValueError, TypeError) as error:
            logger.warning("stored SLA of the city is invalid; using the defaults",
                           extra={"city": city, "reason": str(error)[:200]})
    if stored.hold_limit_days is not None:
        value = stored.hold_limit_days
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_DAYS:
            hold = value
        else:
            logger.warning("stored hold limit of the city is invalid; using the stage's", extra={"city": city})
    if stored.quiet_hours is not None:
        try:
            window = parse_quiet_hours(stored.quiet_hours)
            quiet = format_quiet_hours(*window) if window else ""
        except (ValueError, TypeError):
            logger.warning("stored quiet hours of the city are invalid; using the stage's", extra={"city": city})
    return _Levels(city, now, policy, hold, quiet)


_context: Context | None = None


def build_context(settings: Settings | None = None, clock: Callable[[], datetime] = utc_now) -> Context:
    settings = settings or get_settings()
    return Context(
        settings=settings,
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
