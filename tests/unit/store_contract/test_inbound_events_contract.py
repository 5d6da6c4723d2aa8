"""The inbound events' contract, run against DynamoDB (moto) and the in-memory fake the service tests use:
a delivery is stored once, claimed by one worker at a time, and listed as pending until it is finished."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib.services.repositories import InboundEvents
from tests.support.memory.intake import InMemoryInboundEventRepository

NOW = datetime(2026, 11, 30, 2, 0, 0, 250000, tzinfo=UTC)
LEASE = timedelta(minutes=5)
# The pending index is one partition shared by every test on moto: the listing tests use moments in 1971,
# older than anything else written there, and every test deletes its events afterwards.
ERA = datetime(1971, 3, 1, tzinfo=UTC)


@pytest.fixture(params=["dynamodb", "memory"])
def events(request, aws) -> InboundEvents:
    if request.param == "memory":
        return InMemoryInboundEventRepository()
    from chalicelib.store.intake import InboundEventRepository

    return InboundEventRepository()


@pytest.fixture
def new_key(events) -> Iterator[Callable[[], str]]:
    """A fresh event key; on DynamoDB the event is deleted after the test (no other test sees it pending)."""
    made: list[str] = []

    def make() -> str:
        made.append(f"kontrak:{uuid.uuid4().hex}")
        return made[-1]

    yield make
    if not isinstance(events, InMemoryInboundEventRepository):
        from chalicelib.store.models import InboundEventRecord

        for key in made:
            InboundEventRecord._get_connection().delete_item(key)


def test_a_delivery_is_recorded_once_and_the_first_payload_stands(events, new_key):
    key = new_key()
    assert events.record_event(key, "line", '{"n": 1}', NOW) is True
    assert events.record_event(key, "whatsapp", '{"n": 2}', NOW + timedelta(seconds=3)) is False
    record = events.get(key)
    assert (record.event_key, record.channel, record.payload, record.received_at) == (key, "line", '{"n": 1}', NOW)
    assert (record.state, record.attempts, record.case_id, record.claimed_until, record.last_error) == (
        "pending", 0, None, None, None)
    assert record.pending_shard == "PENDING"
    assert record.expires_at == datetime(2026, 12, 8, 2, 0, tzinfo=UTC)  # 8 days on, in whole seconds (a TTL)


def test_an_unknown_event_reads_as_none(events, new_key):
    assert events.get(new_key()) is None


def test_times_read_back_as_the_same_instant_in_utc(events, new_key):
    key = new_key()
    wib = NOW.astimezone(timezone(timedelta(hours=7)))
    events.record_event(key, "line", "{}", wib)
    received_at = events.get(key).received_at
    assert received_at == NOW and received_at.utcoffset() == timedelta(0)


def test_a_read_is_a_copy_that_changing_does_not_store(events, new_key):
    key = new_key()
    events.record_event(key, "line", "{}", NOW)
    record = events.get(key)
    record.payload, record.state = "changed", "done"
    claimed = events.claim(key, NOW, LEASE)
    claimed.attempts = 99
    assert (events.get(key).payload, events.get(key).state, events.get(key).attempts) == ("{}", "pending", 1)


def test_an_expired_dedupe_record_still_refuses_the_same_delivery(events, new_key):
    """DynamoDB deletes an item past its TTL lazily (up to days later): until then the key stays taken."""
    key = new_key()
    long_ago = NOW - timedelta(days=30)
    assert events.record_event(key, "line", "{}", long_ago) is True
    assert events.record_event(key, "line", "{}", NOW) is False
    assert events.get(key).received_at == long_ago


def test_a_claim_holds_the_event_for_its_lease_and_counts_the_attempt(events, new_key):
    key = new_key()
    events.record_event(key, "line", "{}", NOW)
    claimed = events.claim(key, NOW, LEASE)
    assert (claimed.event_key, claimed.payload, claimed.attempts, claimed.claimed_until) == (key, "{}", 1, NOW + LEASE)
    assert events.claim(key, NOW + timedelta(minutes=1), LEASE) is None  # another worker holds it
    assert events.claim(key, NOW + LEASE, LEASE) is None  # the lease runs to its very end
    later = NOW + LEASE + timedelta(microseconds=1)
    retaken = events.claim(key, later, LEASE)  # a worker that died: its lease lapsed
    assert (retaken.attempts, retaken.claimed_until) == (2, later + LEASE)
    assert events.get(key).attempts == 2


def test_an_unknown_event_cannot_be_claimed_and_stays_unknown(events, new_key):
    key = new_key()
    assert events.claim(key, NOW, LEASE) is None
    assert events.get(key) is None


def test_a_finished_event_keeps_its_outcome_and_is_never_claimed_again(events, new_key):
    key = new_key()
    events.record_event(key, "line", "{}", NOW)
    events.claim(key, NOW, LEASE)
    events.finish(key, "done", "KDR-1")
    record = events.get(key)
    assert (record.state, record.case_id, record.claimed_until, record.pending_shard) == ("done", "KDR-1", None, None)
    assert events.claim(key, NOW + timedelta(hours=1), LEASE) is None
    events.finish(key, "ignored")  # without a case id: the one recorded stays
    assert (events.get(key).state, events.get(key).case_id, events.get(key).attempts) == ("ignored", "KDR-1", 1)


def test_an_unclaimed_event_can_be_finished_directly(events, new_key):
    key = new_key()
    events.record_event(key, "line", "not json", NOW)
    events.finish(key, "unreadable")
    assert (events.get(key).state, events.get(key).case_id) == ("unreadable", None)
    assert events.claim(key, NOW, LEASE) is None


def test_a_released_event_is_claimable_at_once_and_keeps_the_reason(events, new_key):
    key = new_key()
    events.record_event(key, "line", "{}", NOW)
    events.claim(key, NOW, LEASE)
    events.release(key, "E" * 600)
    record = events.get(key)
    assert (record.state, record.claimed_until, record.last_error) == ("pending", None, "E" * 500)
    assert events.claim(key, NOW + timedelta(seconds=1), LEASE).attempts == 2
    events.finish(key, "done", "KDR-2")
    assert events.get(key).last_error == "E" * 500  # the last failure stays for operators


def test_finishing_an_unknown_event_creates_a_bare_record(events, new_key):
    """finish and release are unconditional updates: on a key never recorded DynamoDB creates the item."""
    key = new_key()
    events.finish(key, "done", "KDR-3")
    record = events.get(key)
    assert (record.state, record.case_id, record.channel, record.payload, record.received_at) == (
        "done", "KDR-3", None, None, None)
    assert record.attempts == 0  # absent, read as the model's default
    assert events.record_event(key, "line", "{}", NOW) is False  # the key is taken now


def test_releasing_an_unknown_event_creates_a_record_that_reads_pending_but_is_never_claimed(events, new_key):
    """`state` is absent from that item: the model's default reads "pending", the claim's condition sees none."""
    key = new_key()
    events.release(key, "TimeoutError")
    record = events.get(key)
    assert (record.state, record.last_error, record.pending_shard) == ("pending", "TimeoutError", None)
    assert events.claim(key, NOW, LEASE) is None


def test_pending_events_are_the_unfinished_ones_received_by_the_bound_oldest_first(events, new_key):
    at = [ERA + timedelta(minutes=m) for m in range(6)]
    keys = [new_key() for _ in at]
    for index in (3, 1, 5, 2, 4):  # recorded out of order
        events.record_event(keys[index], "line", "{}", at[index])
    events.claim(keys[2], at[5], LEASE)  # a claimed event is still pending
    events.finish(keys[4], "done")
    assert list(events.pending_events(at[3])) == [(keys[1], at[1]), (keys[2], at[2]), (keys[3], at[3])]
    assert list(events.pending_keys(at[3])) == [keys[1], keys[2], keys[3]]  # the bound is inclusive
    assert list(events.pending_events(at[5])) == [(keys[1], at[1]), (keys[2], at[2]), (keys[3], at[3]),
                                                   (keys[5], at[5])]
    assert list(events.pending_events(at[1] - timedelta(microseconds=1))) == []


def test_pending_listings_stop_at_their_limit(events, new_key):
    at = [ERA + timedelta(hours=1, seconds=s) for s in range(3)]
    keys = [new_key() for _ in at]
    for key, moment in zip(keys, at, strict=True):
        events.record_event(key, "line", "{}", moment)
    assert list(events.pending_events(at[2], limit=2)) == [(keys[0], at[0]), (keys[1], at[1])]
    assert list(events.pending_keys(at[2], limit=1)) == [keys[0]]
    assert list(events.pending_keys(at[2], limit=0)) == []
    received_at = next(events.pending_events(at[2]))[1]
    assert received_at.utcoffset() == timedelta(0)


def test_concurrent_deliveries_and_claims_each_have_one_winner(events, new_key):
    key = new_key()
    with ThreadPoolExecutor(max_workers=8) as pool:
        recorded = list(pool.map(lambda n: events.record_event(key, "line", f'{{"n": {n}}}', NOW), range(8)))
        claims = list(pool.map(lambda _: events.claim(key, NOW, LEASE), range(8)))
    assert recorded.count(True) == 1
    assert sum(claim is not None for claim in claims) == 1
    assert events.get(key).attempts == 1
