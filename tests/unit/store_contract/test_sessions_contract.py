"""The web-session repository's contract, run against DynamoDB (moto) and the in-memory fake the service
tests use: creation once per id, touch and delete that never bring a session back, times read back in UTC."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pynamodb.exceptions import GetError, PutError

from tests.support.memory.accounts import InMemorySessionRepository

WIB = timezone(timedelta(hours=7))
NOW = datetime(2026, 11, 30, 9, 0, 0, 250000, tzinfo=WIB)
LATER = NOW + timedelta(minutes=20)
EXPIRES = NOW + timedelta(hours=12)


@pytest.fixture(params=["dynamodb", "memory"])
def repo(request, aws):
    if request.param == "memory":
        return InMemorySessionRepository()
    from chalicelib.store.sessions import SessionRepository

    return SessionRepository()


def new_id() -> str:
    return f"kontrak-{uuid.uuid4().hex}"


def test_a_created_session_reads_back_with_its_owner_version_and_times_in_utc(repo):
    session_id = new_id()
    assert repo.create(session_id, "petugas.kontrak", 3, NOW, EXPIRES) is None
    stored = repo.get(session_id)
    assert (stored.session_id, stored.username, stored.session_version) == (session_id, "petugas.kontrak", 3)
    assert isinstance(stored.session_version, int)
    assert stored.created_at == NOW and stored.last_seen_at == NOW
    assert stored.created_at.tzinfo == UTC and stored.created_at.hour == 2  # the same instant, in UTC


def test_an_unknown_session_reads_as_none(repo):
    assert repo.get(new_id()) is None


def test_creating_a_taken_session_id_keeps_the_first_session(repo):
    session_id = new_id()
    repo.create(session_id, "first", 1, NOW, EXPIRES)
    assert repo.create(session_id, "second", 7, LATER, EXPIRES) is None  # refused without an error
    stored = repo.get(session_id)
    assert (stored.username, stored.session_version, stored.created_at) == ("first", 1, NOW)


def test_touch_moves_last_seen_only(repo):
    session_id = new_id()
    repo.create(session_id, "petugas.kontrak", 1, NOW, EXPIRES)
    repo.touch(session_id, LATER)
    stored = repo.get(session_id)
    assert stored.created_at == NOW and stored.last_seen_at == LATER
    assert (stored.username, stored.session_version) == ("petugas.kontrak", 1)


def test_a_naive_touch_time_is_taken_as_utc(repo):
    session_id = new_id()
    repo.create(session_id, "petugas.kontrak", 1, NOW, EXPIRES)
    repo.touch(session_id, datetime(2026, 11, 30, 5, 0))
    assert repo.get(session_id).last_seen_at == datetime(2026, 11, 30, 5, 0, tzinfo=UTC)


def test_touching_a_missing_session_does_not_create_it(repo):
    session_id = new_id()
    repo.touch(session_id, LATER)
    assert repo.get(session_id) is None


def test_a_deleted_session_stays_deleted_even_when_touched(repo):
    session_id = new_id()
    repo.create(session_id, "petugas.kontrak", 1, NOW, EXPIRES)
    repo.delete(session_id)
    assert repo.get(session_id) is None
    repo.touch(session_id, LATER)  # a request still in flight when the officer signed out
    assert repo.get(session_id) is None
    repo.delete(session_id)  # deleting twice is harmless


def test_a_deleted_session_id_can_be_created_again(repo):
    session_id = new_id()
    repo.create(session_id, "first", 1, NOW, EXPIRES)
    repo.delete(session_id)
    repo.create(session_id, "second", 2, LATER, EXPIRES)
    assert repo.get(session_id).username == "second"


def test_a_session_past_its_ttl_is_still_read_until_dynamodb_removes_it(repo):
    """TTL deletion is lazy (up to days): the service, not the store, refuses an expired session."""
    session_id = new_id()
    repo.create(session_id, "petugas.kontrak", 1, NOW, NOW - timedelta(days=3))
    assert repo.get(session_id).username == "petugas.kontrak"


def test_a_naive_expiry_is_refused_before_anything_is_written(repo):
    session_id = new_id()
    with pytest.raises(ValueError):
        repo.create(session_id, "petugas.kontrak", 1, NOW, datetime(2026, 12, 1, 0, 0))
    assert repo.get(session_id) is None


def test_an_empty_session_id_is_refused(repo):
    with pytest.raises(PutError):
        repo.create("", "petugas.kontrak", 1, NOW, EXPIRES)
    with pytest.raises(GetError):
        repo.get("")


def test_sessions_are_separate_per_id(repo):
    first, second = new_id(), new_id()
    repo.create(first, "a", 1, NOW, EXPIRES)
    repo.create(second, "b", 2, NOW, EXPIRES)
    repo.touch(first, LATER)
    repo.delete(second)
    assert repo.get(first).last_seen_at == LATER and repo.get(second) is None
