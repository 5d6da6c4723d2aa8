"""The sign-in throttle's contract, run against DynamoDB (moto) and the in-memory fake the service tests use:
failures counted per key, a lock from `free_tries` on that doubles up to a cap, the latest lock over keys."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.support.memory.accounts import InMemoryLoginThrottleRepository

WIB = timezone(timedelta(hours=7))
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
BASE = timedelta(seconds=30)
CAP = timedelta(minutes=3)


@pytest.fixture(params=["dynamodb", "memory"])
def repo(request, aws):
    if request.param == "memory":
        return InMemoryLoginThrottleRepository()
    from chalicelib.store.sessions import LoginThrottleRepository

    return LoginThrottleRepository()


def new_key() -> str:
    return f"user:kontrak-{uuid.uuid4().hex}"


def test_keys_that_never_failed_are_not_locked(repo):
    assert repo.locked_until([]) is None
    assert repo.locked_until([new_key(), new_key()]) is None


def test_failures_count_up_and_lock_from_free_tries_on_doubling_up_to_the_cap(repo):
    key = new_key()
    assert repo.record_failure(key, NOW, 3, BASE, CAP) == 1
    assert repo.record_failure(key, NOW, 3, BASE, CAP) == 2
    assert repo.locked_until([key]) is None  # free tries: no wait yet
    waits = []
    for failures in range(3, 8):
        assert repo.record_failure(key, NOW, 3, BASE, CAP) == failures
        waits.append(repo.locked_until([key]) - NOW)
    assert waits == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2), CAP, CAP]


def test_the_lock_counts_from_the_latest_failure_even_an_earlier_one(repo):
    """Each failure sets the lock from its own time: no max with the lock already there."""
    key = new_key()
    repo.record_failure(key, NOW, 1, BASE, CAP)
    assert repo.locked_until([key]) == NOW + BASE
    earlier = NOW - timedelta(hours=1)
    repo.record_failure(key, earlier, 1, BASE, CAP)
    assert repo.locked_until([key]) == earlier + 2 * BASE


def test_zero_free_tries_lock_from_the_first_failure_at_twice_the_base(repo):
    key = new_key()
    assert repo.record_failure(key, NOW, 0, BASE, CAP) == 1
    assert repo.locked_until([key]) == NOW + 2 * BASE


def test_a_lock_is_read_back_in_utc(repo):
    key = new_key()
    repo.record_failure(key, datetime(2026, 11, 30, 9, 0, 0, 500, tzinfo=WIB), 1, BASE, CAP)
    locked = repo.locked_until([key])
    assert locked == NOW + BASE + timedelta(microseconds=500) and locked.tzinfo == UTC


def test_locked_until_is_the_latest_lock_among_the_keys(repo):
    user, address, unknown = new_key(), f"addr:{uuid.uuid4().hex}", new_key()
    repo.record_failure(user, NOW, 1, BASE, CAP)  # NOW + 30 s
    repo.record_failure(address, NOW - timedelta(minutes=1), 1, timedelta(minutes=5), CAP)  # NOW + 2 min
    repo.record_failure(unknown, NOW, 5, BASE, CAP)  # counted, not locked
    assert repo.locked_until([user, address, unknown]) == NOW + timedelta(minutes=2)
    assert repo.locked_until([user, user, unknown]) == NOW + BASE  # a key named twice is read once
    assert repo.locked_until([unknown]) is None


def test_a_past_lock_is_still_reported(repo):
    """The store does not compare with the clock: the caller decides whether the lock still holds."""
    key = new_key()
    long_ago = NOW - timedelta(days=2)
    repo.record_failure(key, long_ago, 1, BASE, CAP)
    assert repo.locked_until([key]) == long_ago + BASE


def test_locked_until_reads_more_keys_than_one_batch_holds(repo):
    locked = new_key()
    repo.record_failure(locked, NOW, 1, BASE, CAP)
    keys = [new_key() for _ in range(130)] + [locked]  # BatchGetItem takes 100 keys a request
    assert repo.locked_until(keys) == NOW + BASE


def test_clear_forgets_failures_and_lock_so_counting_starts_again(repo):
    key, other = new_key(), new_key()
    for _ in range(3):
        repo.record_failure(key, NOW, 1, BASE, CAP)
    repo.record_failure(other, NOW, 1, BASE, CAP)
    repo.clear(key)
    assert repo.locked_until([key]) is None
    assert repo.locked_until([key, other]) == NOW + BASE  # only the cleared key is forgotten
    assert repo.record_failure(key, NOW, 1, BASE, CAP) == 1
    repo.clear(new_key())  # clearing a key that never failed is harmless


def test_a_naive_time_is_refused_before_the_failure_counts(repo):
    key = new_key()
    with pytest.raises(ValueError):
        repo.record_failure(key, datetime(2026, 11, 30, 2, 0), 0, BASE, CAP)
    assert repo.locked_until([key]) is None
    assert repo.record_failure(key, NOW, 5, BASE, CAP) == 1


def test_a_name_attacked_for_a_whole_day_stays_locked_at_the_cap(repo):
    """Past forty-odd doublings a timedelta would overflow: every further failure must still count and lock."""
    key = new_key()
    for _ in range(60):
        failures = repo.record_failure(key, NOW, 3, BASE, CAP)
    assert failures == 60
    assert repo.locked_until([key]) == NOW + CAP
