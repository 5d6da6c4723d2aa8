"""In-memory channel usage, rate limits, link codes and rating requests, with the DynamoDB repositories' contract.

Items are kept as DynamoDB holds them and conditions compare what PynamoDB sends (see
`tests/support/memory/intake.py`): a TTL attribute is whole seconds, so a link code's `expires_at > now` compares
seconds, and an expired item stays until something deletes it (DynamoDB's TTL is lazy; none of these
repositories checks a TTL in a condition except the link codes). The contract tests are
`tests/unit/store_contract/test_{usage,rate_limits,link_codes,rating_requests}_contract.py`.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from chalicelib.store.models import ChannelUsageRecord, LinkCodeRecord, RateLimitRecord, RatingRequestRecord
from chalicelib.store.rating_requests import KEEP, RatingRequest, _key
from tests.support.memory.items import Raw, hash_item, load, number, serialized, stored, update, wire


class InMemoryUsageRepository:
    """`chalicelib.store.usage.UsageRepository` in memory: one counter item per "<channel>#<month>"."""

    def __init__(self) -> None:
        self.items: dict[str, Raw] = {}
        self._lock = threading.Lock()

    def count(self, channel: str, month: str, kind: str) -> None:
        """Any kind but "push" counts as a reply, as in the real one."""
        key = f"{channel}#{month}"
        with self._lock:
            update(self.items, key, ChannelUsageRecord, hash_item(ChannelUsageRecord, key),
                   add={"pushes" if kind == "push" else "replies": 1})

    def counts(self, channel: str, month: str) -> tuple[int, int]:
        with self._lock:
            raw = self.items.get(f"{channel}#{month}")
            if raw is None:
                return 0, 0
            record = load(ChannelUsageRecord, raw)
        return int(record.pushes or 0), int(record.replies or 0)

    def warn_once(self, channel: str, month: str, at: datetime) -> bool:
        """Creates the month's item when nothing was counted yet (UpdateItem does)."""
        key = f"{channel}#{month}"
        with self._lock:
            if stored(self.items.get(key), ChannelUsageRecord, "floor_warned_at") is not None:
                return False
            update(self.items, key, ChannelUsageRecord, hash_item(ChannelUsageRecord, key),
                   set_={"floor_warned_at": at})
            return True


class InMemoryRateLimiter:
    """`chalicelib.store.limits.RateLimiter` in memory. The window is the caller's key (e.g. its hour); `window`
    only sets the item's TTL, so a counter outlives its window here exactly as in DynamoDB."""

    def __init__(self) -> None:
        self.items: dict[str, Raw] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, limit: int, now: datetime, window: timedelta = timedelta(hours=1)) -> bool:
        """The first hit on a key is always counted (the condition is "no hits yet, or fewer than `limit`")."""
        expires_at = now + window * 2
        wire(RateLimitRecord, "expires_at", expires_at)  # a naive `now` fails here, as PynamoDB's TTL refuses it
        with self._lock:
            hits = stored(self.items.get(key), RateLimitRecord, "hits")
            if hits is not None and not number(hits) < number(limit):
                return False
            update(self.items, key, RateLimitRecord, hash_item(RateLimitRecord, key), set_={"expires_at": expires_at},
                   add={"hits": 1})
            return True

    def spent(self, key: str, limit: int) -> bool:
        with self._lock:
            raw = self.items.get(key)
            if raw is None:
                return False
            record = load(RateLimitRecord, raw)
        return (record.hits or 0) >= limit


class InMemoryLinkCodeRepository:
    """`chalicelib.store.link_codes.LinkCodeRepository` in memory: issued once, redeemed once, before expiry
    (compared in whole seconds, as the TTL attribute stores it)."""

    def __init__(self) -> None:
        self.items: dict[str, Raw] = {}
        self._lock = threading.Lock()

    def issue(self, code: str, username: str, expires_at: datetime) -> bool:
        return self._put_new(code, serialized(LinkCodeRecord(code, username=username, expires_at=expires_at,
                                                             used=False)))

    def issue_group(self, code: str, username: str, agency_id: str, expires_at: datetime) -> bool:
        return self._put_new(code, serialized(LinkCodeRecord(code, username=username, expires_at=expires_at,
                                                             used=False, kind="group", agency_id=agency_id)))

    def redeem_group(self, code: str, now: datetime) -> tuple[str, str] | None:
        record = self._use(code, now, group=True)
        return None if record is None else (record.agency_id, record.username)

    def redeem(self, code: str, now: datetime) -> str | None:
        """An unused, unexpired personal code (a group code is refused, as the real condition does)."""
        record = self._use(code, now, group=False)
        return None if record is None else record.username

    def _put_new(self, code: str, item: Raw) -> bool:
        with self._lock:
            if code in self.items:  # an expired code too, until DynamoDB's TTL deletes it
                return False
            self.items[code] = item
            return True

    def _use(self, code: str, now: datetime, group: bool) -> LinkCodeRecord | None:
        moment = number(wire(LinkCodeRecord, "expires_at", now))  # whole seconds, as the condition sends it
        with self._lock:
            raw = self.items.get(code)
            expires_at = stored(raw, LinkCodeRecord, "expires_at")
            if (
                raw is None
                or stored(raw, LinkCodeRecord, "used") is not False
                or expires_at is None
                or not number(expires_at) > moment
                or (stored(raw, LinkCodeRecord, "kind") == "group") is not group
            ):
                return None
            update(self.items, code, LinkCodeRecord, {}, set_={"used": True})
            return load(LinkCodeRecord, raw)


class InMemoryRatingRequestRepository:
    """`chalicelib.store.rating_requests.RatingRequestRepository` in memory: a request replaces one made at the
    same time or earlier, never a later one; cleared only by the case it names."""

    def __init__(self) -> None:
        self.items: dict[str, Raw] = {}
        self._lock = threading.Lock()

    def record(self, reporter_key: str, channel: str, case_id: str, at: datetime) -> bool:
        key = _key(reporter_key, channel)
        item = serialized(RatingRequestRecord(key, case_id=case_id, requested_at=at, expires_at=at + KEEP))
        moment = wire(RatingRequestRecord, "requested_at", at)
        with self._lock:
            raw = self.items.get(key)
            if raw is not None:
                requested_at = stored(raw, RatingRequestRecord, "requested_at")
                if requested_at is None or not requested_at <= moment:
                    return False
            self.items[key] = item  # a put: the whole item is replaced
            return True

    def pending(self, reporter_key: str, channel: str) -> RatingRequest | None:
        """The request however old it is: DynamoDB's TTL may not have removed it yet, and callers judge age."""
        with self._lock:
            raw = self.items.get(_key(reporter_key, channel))
            if raw is None:
                return None
            r = load(RatingRequestRecord, raw)
        return RatingRequest(reporter_key, channel, r.case_id, r.requested_at)

    def clear(self, reporter_key: str, channel: str, case_id: str) -> bool:
        key = _key(reporter_key, channel)
        with self._lock:
            raw = self.items.get(key)
            if raw is None or stored(raw, RatingRequestRecord, "case_id") != case_id:
                return False
            del self.items[key]
            return True
