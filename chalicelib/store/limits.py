"""Fixed-window rate limits: one counter item per key and window, incremented with a conditional update."""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import UpdateError

from chalicelib.store.conditions import is_conditional_failure
from chalicelib.store.models import RateLimitRecord
from chalicelib.store.tables import bind_models


class RateLimiter:
    def __init__(self) -> None:
        bind_models()

    def allow(self, key: str, limit: int, now: datetime, window: timedelta = timedelta(hours=1)) -> bool:
        """Count one hit on `key`; False once `limit` hits were counted in this window (one request)."""
        try:
            RateLimitRecord._get_connection().update_item(
                key,
                actions=[RateLimitRecord.hits.add(1), RateLimitRecord.expires_at.set(now + window * 2)],
                condition=RateLimitRecord.hits.does_not_exist() | (RateLimitRecord.hits < limit),
            )
        except UpdateError as error:
            if is_conditional_failure(error):
                return False
            raise
        return True

    def spent(self, key: str, limit: int) -> bool:
        """True if `limit` hits were already counted on `key` (a consistent read; counts nothing)."""
        try:
            record = RateLimitRecord.get(key, consistent_read=True)
        except RateLimitRecord.DoesNotExist:
            return False
        return (record.hits or 0) >= limit
