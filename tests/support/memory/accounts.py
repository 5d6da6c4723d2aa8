"""In-memory web sessions, sign-in throttle and audit trail, with the DynamoDB repositories' contract.

`chalicelib/store/sessions.py` is the reference; `tests/unit/store_contract/test_sessions_contract.py`,
`test_login_throttle_contract.py` and `test_audit_contract.py` run the same expectations against both.
Times go through PynamoDB's own attribute mapping, so they come back exactly as DynamoDB returns them
(UTC, aware; a naive time taken as UTC), and a TTL time that the model refuses is refused here too, before
anything is written. Nothing here expires: DynamoDB deletes TTL items lazily and the real reads do not check
`expires_at`, so neither does the fake. Empty key strings, which DynamoDB rejects, raise the PynamoDB error of
the operation (moto accepts some of them, real DynamoDB none).
"""

from __future__ import annotations

import secrets
import threading
from datetime import datetime, timedelta

from pynamodb.exceptions import DeleteError, GetError, PutError, QueryError, UpdateError

from chalicelib.store.sessions import AuditEntry, StoredSession, lock_delay
from tests.support.memory.items import require_key, stored_time, ttl_epoch


class InMemorySessionRepository:
    """Officers' web sessions by id (the cookie secret's hash)."""

    def __init__(self) -> None:
        self.items: dict[str, dict] = {}
        self._lock = threading.Lock()  # one item write at a time, as DynamoDB serialises writes to an item

    def create(self, session_id: str, username: str, version: int, now: datetime, expires_at: datetime) -> None:
        """Write a new session; an id already taken keeps its first session (put_new refused, silently)."""
        item = {
            "username": username, "session_version": version, "created_at": stored_time(now),
            "last_seen_at": stored_time(now), "expires_at": ttl_epoch(expires_at),
        }
        require_key(session_id, PutError, "session_id")
        with self._lock:
            self.items.setdefault(session_id, item)

    def get(self, session_id: str) -> StoredSession | None:
        require_key(session_id, GetError, "session_id")
        with self._lock:
            item = self.items.get(session_id)
            if item is None:
                return None
            return StoredSession(session_id, item["username"], int(item["session_version"]), item["created_at"],
                                 item["last_seen_at"])

    def touch(self, session_id: str, now: datetime) -> None:
        """Move `last_seen_at` only; a missing (deleted) session stays missing."""
        seen = stored_time(now)
        require_key(session_id, UpdateError, "session_id")
        with self._lock:
            if session_id in self.items:
                self.items[session_id]["last_seen_at"] = seen

    def delete(self, session_id: str) -> None:
        """Unconditional, as the real delete: deleting a missing session is harmless."""
        require_key(session_id, DeleteError, "session_id")
        with self._lock:
            self.items.pop(session_id, None)


class InMemoryLoginThrottleRepository:
    """Failed sign-ins per key (`user:<name>` or `addr:<hash>`) and until when further tries wait."""

    def __init__(self) -> None:
        self.items: dict[str, dict] = {}
        self._lock = threading.Lock()

    def locked_until(self, keys: list[str]) -> datetime | None:
        """The latest `locked_until` among `keys`, past or not (the caller compares it with now), or None."""
        wanted = set(keys)  # PynamoDB's batch_get drops duplicate keys
        for key in wanted:
            require_key(key, GetError, "key")
        with self._lock:
            locks = [self.items[key].get("locked_until") for key in wanted if key in self.items]
        return max((lock for lock in locks if lock), default=None)

    def record_failure(self, key: str, now: datetime, free_tries: int, base_delay: timedelta,
                       max_delay: timedelta) -> int:
        """Count one failure; from `free_tries` on, lock from `now` for a delay doubling per failure (capped).

        The same formula as the real one, in the same order: the count is stored before the delay is computed,
        so a delay too large for timedelta raises OverflowError after counting, as it does on DynamoDB.
        """
        expires = ttl_epoch(now + timedelta(days=1))  # a naive `now` is refused before the count moves
        last_failure = stored_time(now)
        require_key(key, UpdateError, "key")
        with self._lock:
            item = self.items.setdefault(key, {})
            item["failures"] = int(item.get("failures") or 0) + 1
            item["last_failure_at"] = last_failure
            item["expires_at"] = expires
            failures = item["failures"]
            if failures >= free_tries:
                delay = lock_delay(failures - free_tries, base_delay, max_delay)
                item["locked_until"] = stored_time(now + delay)
        return failures

    def clear(self, key: str) -> None:
        """Forget the key's failures and lock (unconditional: clearing an unknown key is harmless)."""
        require_key(key, DeleteError, "key")
        with self._lock:
            self.items.pop(key, None)


class InMemoryAuditRepository:
    """The audit trail: one stream per kind and month (of `at` as given), ordered by `<at.isoformat()>#<id>`."""

    def __init__(self) -> None:
        self.streams: dict[str, dict[str, dict]] = {}
        self._lock = threading.Lock()

    def record(self, kind: str, actor: str, at: datetime, *, case_id: str | None = None,
               outcome: str | None = None, reason: str | None = None, detail: str | None = None) -> None:
        """Append one entry; reason and detail cut to 500 characters, an empty one stored as None."""
        stream, at_id = f"{kind}#{at:%Y-%m}", f"{at.isoformat()}#{secrets.token_hex(6)}"
        entry = {
            "kind": kind, "actor": actor, "case_id": case_id, "outcome": outcome,
            "reason": (reason or None) and reason[:500], "detail": (detail or None) and detail[:500],
        }
        with self._lock:
            self.streams.setdefault(stream, {}).setdefault(at_id, entry)  # put_new: a taken key is kept

    def list(self, kind: str, month: str, limit: int = 100) -> list[AuditEntry]:
        """A month of one kind, newest first by the sort key's string order (that of `at.isoformat()`).

        `limit` as PynamoDB applies it: 0 reads nothing, None everything; a negative one is sent to DynamoDB
        as the query's Limit, which DynamoDB refuses.
        """
        if limit == 0:
            return []
        if limit is not None and limit < 0:
            raise QueryError("Limit must be at least 1")
        with self._lock:
            rows = sorted(self.streams.get(f"{kind}#{month}", {}).items(), reverse=True)[:limit]
            return [
                AuditEntry(
                    at=datetime.fromisoformat(at_id.split("#", 1)[0]), kind=e["kind"], actor=e["actor"],
                    case_id=e["case_id"], outcome=e["outcome"], reason=e["reason"], detail=e["detail"],
                )
                for at_id, e in rows
            ]
