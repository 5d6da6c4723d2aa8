"""The rating requests' contract, run against DynamoDB (moto) and the in-memory fake the service tests use: the
latest request per person and channel stands, and only the case it names clears it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib.services.repositories import RatingRequests
from chalicelib.store.rating_requests import RatingRequest
from tests.support.memory.small import InMemoryRatingRequestRepository

NOW = datetime(2026, 11, 30, 2, 0, 0, 250000, tzinfo=UTC)


@pytest.fixture(params=["dynamodb", "memory"])
def requests(request, aws) -> RatingRequests:
    if request.param == "memory":
        return InMemoryRatingRequestRepository()
    from chalicelib.store.rating_requests import RatingRequestRepository

    return RatingRequestRepository()


def new_reporter() -> str:
    return f"kontrak-{uuid.uuid4().hex}"


def test_nobody_asked_reads_as_none(requests):
    assert requests.pending(new_reporter(), "line") is None


def test_a_request_reads_back_with_its_case_and_moment_in_utc(requests):
    reporter = new_reporter()
    assert requests.record(reporter, "line", "KDR-1", NOW.astimezone(timezone(timedelta(hours=7)))) is True
    pending = requests.pending(reporter, "line")
    assert pending == RatingRequest(reporter, "line", "KDR-1", NOW)
    assert pending.requested_at.utcoffset() == timedelta(0)


def test_a_later_request_replaces_and_an_earlier_one_is_refused(requests):
    reporter = new_reporter()
    requests.record(reporter, "line", "KDR-1", NOW)
    assert requests.record(reporter, "line", "KDR-2", NOW + timedelta(minutes=1)) is True
    assert requests.record(reporter, "line", "KDR-1", NOW) is False  # re-derived late: the later one stands
    assert requests.pending(reporter, "line") == RatingRequest(reporter, "line", "KDR-2", NOW + timedelta(minutes=1))


def test_a_request_at_the_same_moment_replaces(requests):
    reporter = new_reporter()
    requests.record(reporter, "line", "KDR-1", NOW)
    assert requests.record(reporter, "line", "KDR-1", NOW) is True  # the same request re-derived
    assert requests.record(reporter, "line", "KDR-2", NOW) is True
    assert requests.pending(reporter, "line").case_id == "KDR-2"


def test_each_person_and_channel_has_its_own_request(requests):
    reporter, other = new_reporter(), new_reporter()
    requests.record(reporter, "line", "KDR-1", NOW)
    requests.record(reporter, "sms", "KDR-2", NOW - timedelta(days=1))
    requests.record(other, "line", "KDR-3", NOW - timedelta(days=2))
    assert requests.pending(reporter, "line").case_id == "KDR-1"
    assert requests.pending(reporter, "sms").case_id == "KDR-2"
    assert requests.pending(other, "line").case_id == "KDR-3"
    assert requests.pending(other, "sms") is None


def test_only_the_case_that_asked_clears_the_request_once(requests):
    reporter = new_reporter()
    requests.record(reporter, "line", "KDR-2", NOW)
    assert requests.clear(reporter, "line", "KDR-1") is False  # another case asked since
    assert requests.pending(reporter, "line").case_id == "KDR-2"
    assert requests.clear(reporter, "sms", "KDR-2") is False
    assert requests.clear(reporter, "line", "KDR-2") is True
    assert requests.pending(reporter, "line") is None
    assert requests.clear(reporter, "line", "KDR-2") is False


def test_after_a_clear_any_request_is_taken_even_an_earlier_one(requests):
    reporter = new_reporter()
    requests.record(reporter, "line", "KDR-2", NOW)
    requests.clear(reporter, "line", "KDR-2")
    assert requests.record(reporter, "line", "KDR-1", NOW - timedelta(days=1)) is True
    assert requests.pending(reporter, "line").case_id == "KDR-1"


def test_an_old_request_still_reads_until_dynamodb_drops_it(requests):
    """The item's TTL is 30 days on, and DynamoDB deletes lazily: the reader judges a request's age itself."""
    reporter = new_reporter()
    long_ago = NOW - timedelta(days=90)
    requests.record(reporter, "line", "KDR-1", long_ago)
    assert requests.pending(reporter, "line") == RatingRequest(reporter, "line", "KDR-1", long_ago)
