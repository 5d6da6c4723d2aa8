"""Every repository behind `Context` in memory, wired as the DynamoDB tables are shared.

The officer items are one table for the directory and the accounts, and the directory asks the cases and the
supporting-OPD rows whether an agency has cases: the fakes share state the same way. A `MemoryStore` starts
empty or from a seeded directory (the demo city, loaded once per test session and copied per test), so every
unit test gets its own store and no test sees another's cases.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from tests.support.memory.accounts import (
    InMemoryAuditRepository,
    InMemoryLoginThrottleRepository,
    InMemorySessionRepository,
)
from tests.support.memory.cases import InMemoryAgencyCaseRepository, InMemoryCaseRepository
from tests.support.memory.directory import InMemoryDirectoryRepository, InMemoryOfficerAccountRepository
from tests.support.memory.figures import InMemoryFigureRepository
from tests.support.memory.intake import (
    InMemoryInboundEventRepository,
    InMemoryMessageRepository,
    InMemoryOutboxRepository,
)
from tests.support.memory.officer_tools import InMemoryLineGroupRepository, InMemoryReplyTemplateRepository
from tests.support.memory.small import (
    InMemoryLinkCodeRepository,
    InMemoryRateLimiter,
    InMemoryRatingRequestRepository,
    InMemoryUsageRepository,
)

_LOCK = type(threading.Lock())
_RLOCK = type(threading.RLock())


class MemoryStore:
    """One in-memory store: a fake per `Context` repository field, under the field's name."""

    def __init__(self, city_code: str, directory: InMemoryDirectoryRepository | None = None) -> None:
        self.cases = InMemoryCaseRepository()
        self.agency_cases = InMemoryAgencyCaseRepository()
        self.directory = directory if directory is not None else InMemoryDirectoryRepository(city_code)
        self.directory.has_cases = self._agency_has_cases
        self.accounts = InMemoryOfficerAccountRepository(self.directory)
        self.figures = InMemoryFigureRepository()
        self.events = InMemoryInboundEventRepository()
        self.messages = InMemoryMessageRepository()
        self.outbox = InMemoryOutboxRepository()
        self.sessions = InMemorySessionRepository()
        self.throttle = InMemoryLoginThrottleRepository()
        self.audit = InMemoryAuditRepository()
        self.reply_templates = InMemoryReplyTemplateRepository()
        self.line_groups = InMemoryLineGroupRepository()
        self.usage = InMemoryUsageRepository()
        self.limits = InMemoryRateLimiter()
        self.link_codes = InMemoryLinkCodeRepository()
        self.rating_requests = InMemoryRatingRequestRepository()

    def _agency_has_cases(self, agency_id: str) -> bool:
        return self.cases.has_agency(agency_id) or self.agency_cases.has_agency(agency_id)

    def install(self, ctx: Any) -> Any:
        """Give `ctx` these repositories (each attribute is named after the context field it replaces)."""
        for name, repository in vars(self).items():
            setattr(ctx, name, repository)
        return ctx

    def with_same_directory(self) -> MemoryStore:
        """A new empty store whose directory starts as a copy of this one's (agencies, officers, calendar)."""
        return MemoryStore(self.directory.city_code, directory=_clone(self.directory))


def _clone(fake: Any) -> Any:
    """A copy of a fake's state: containers copied deeply, locks made anew, callables left to be rewired."""
    twin = copy.copy(fake)
    for name, value in vars(fake).items():
        if isinstance(value, _LOCK):
            setattr(twin, name, threading.Lock())
        elif isinstance(value, _RLOCK):
            setattr(twin, name, threading.RLock())
        elif isinstance(value, (dict, list, set)):
            setattr(twin, name, copy.deepcopy(value))
    return twin
