"""The fixed-window rate limits' contract, run against DynamoDB (moto) and the in-memory fake the service tests
use: a key counts hits up to its limit and refuses (without counting) after; the window is part of the key."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.services.repositories import RateLimits
from tests.support.memory.small import InMemoryRateLimiter

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


@pytest.fixture(params=["dynamodb", "memory"])
def limits(request, aws) -> RateLimits:
    if request.param == "memory":
        return InMemoryRateLimiter()
    from chalicelib.store.limits import RateLimiter

    return RateLimiter()


def new_key() -> str:
    return f"kontrak:{uuid.uuid4().hex}:{NOW:%Y%m%d%H}"


def test_hits_are_allowed_up_to_the_limit_then_refused(limits):
    key = new_key()
    assert [limits.allow(key, 3, NOW) for _ in range(5)] == [True, True, True, False, False]


def test_a_key_is_spent_once_its_limit_was_counted_and_refusals_count_nothing(limits):
    key = new_key()
    assert limits.spent(key, 2) is False
    limits.allow(key, 2, NOW)
    assert limits.spent(key, 2) is False
    limits.allow(key, 2, NOW)
    assert limits.spent(key, 2) is True
    limits.allow(key, 2, NOW)  # refused: not counted
    assert (limits.spent(key, 3), limits.spent(key, 1)) == (False, True)
    assert limits.allow(key, 3, NOW) is True  # a higher limit on the same key allows what is left


def test_spent_counts_nothing(limits):
    key = new_key()
    for _ in range(3):
        assert limits.spent(key, 1) is False
    assert limits.allow(key, 1, NOW) is True


def test_an_unknown_key_is_never_spent_even_at_a_limit_of_zero(limits):
    assert limits.spent(new_key(), 0) is False


def test_a_limit_of_zero_still_lets_the_first_hit_through(limits):
    """The condition is "no hits yet, or fewer than the limit": a fresh key always takes its first hit."""
    key = new_key()
    assert limits.allow(key, 0, NOW) is True
    assert limits.allow(key, 0, NOW) is False
    assert limits.spent(key, 0) is True


def test_keys_count_apart(limits):
    key, other = new_key(), new_key()
    assert limits.allow(key, 1, NOW) is True
    assert limits.allow(other, 1, NOW) is True
    assert limits.allow(key, 1, NOW) is False


def test_time_does_not_reset_a_counter_the_window_lives_in_the_key(limits):
    """`window` only sets when DynamoDB may drop the item (TTL, lazily): a later call on the same key is still
    refused; callers put the window (e.g. the hour) in the key."""
    key = new_key()
    limits.allow(key, 1, NOW, window=timedelta(minutes=1))
    assert limits.allow(key, 1, NOW + timedelta(days=2), window=timedelta(minutes=1)) is False
    assert limits.spent(key, 1) is True


def test_a_moment_without_a_timezone_is_refused(limits):
    with pytest.raises(ValueError):
        limits.allow(new_key(), 5, datetime(2026, 11, 30, 2, 0))
