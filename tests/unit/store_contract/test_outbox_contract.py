"""The outbox's contract, run against DynamoDB (moto) and the in-memory fake the service tests use: a message
is enqueued once, claimed by one sender at a time once due, and ends sent, retried, or failed for officers."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.messages import OutboundMessage
from chalicelib.services.repositories import Outbox
from tests.support.memory.intake import InMemoryOutboxRepository

NOW = datetime(2026, 11, 30, 2, 0, 0, 250000, tzinfo=UTC)
LEASE = timedelta(minutes=2)
# Both indexes are one partition shared by every test on moto. The due listings use moments in 1972, older than
# anything else due; the failed listings use 2199, newer than anything else failed. Every test deletes its
# messages afterwards.
DUE_ERA = datetime(1972, 5, 1, tzinfo=UTC)
FAILED_ERA = datetime(2199, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["dynamodb", "memory"])
def outbox(request, aws) -> Outbox:
    if request.param == "memory":
        return InMemoryOutboxRepository()
    from chalicelib.store.outbox import OutboxRepository

    return OutboxRepository()


@pytest.fixture
def new_message(outbox) -> Iterator[Callable[..., OutboundMessage]]:
    """A message with a fresh id (not yet enqueued); on DynamoDB it is deleted after the test."""
    made: list[str] = []

    def make(created_at: datetime = NOW, **fields) -> OutboundMessage:
        made.append(f"KONTRAK-{uuid.uuid4().hex[:12]}#3#ack")
        fields = {"channel": "line", "recipient": "U-kontrak", "body": "Laporan diterima", "case_id": "KONTRAK-1",
                  "purpose": "ack", "options": {"reply_token": "rt-1"}, **fields}
        return OutboundMessage(made[-1], created_at=created_at, **fields)

    yield make
    if not isinstance(outbox, InMemoryOutboxRepository):
        from chalicelib.store.models import OutboxRecord

        for message_id in made:
            OutboxRecord._get_connection().delete_item(message_id)


def test_a_message_is_enqueued_once_and_the_first_one_stands(outbox, new_message):
    message = new_message()
    assert outbox.enqueue(message) is True
    assert outbox.enqueue(OutboundMessage(message.message_id, "sms", "+62811", "other", NOW)) is False
    assert outbox.get(message.message_id) == OutboundMessage(
        message.message_id, "line", "U-kontrak", "Laporan diterima", NOW, case_id="KONTRAK-1", purpose="ack",
        options={"reply_token": "rt-1"}, state="pending", attempts=0, last_error=None, next_attempt_at=NOW,
        sent_at=None)


def test_a_message_keeps_its_own_first_attempt_time_and_empty_options(outbox, new_message):
    message = new_message(next_attempt_at=NOW + timedelta(hours=3), options={}, case_id=None, purpose=None)
    outbox.enqueue(message)
    stored = outbox.get(message.message_id)
    assert (stored.next_attempt_at, stored.options, stored.case_id, stored.purpose) == (
        NOW + timedelta(hours=3), {}, None, None)


def test_an_unknown_message_reads_as_none(outbox, new_message):
    assert outbox.get(new_message().message_id) is None


def test_a_read_is_a_copy_that_changing_does_not_store(outbox, new_message):
    message = new_message()
    outbox.enqueue(message)
    outbox.get(message.message_id).options["reply_token"] = "changed"
    outbox.claim(message.message_id, NOW, LEASE).options["via"] = "changed"
    assert outbox.get(message.message_id).options == {"reply_token": "rt-1"}


def test_a_claim_holds_a_due_message_for_its_lease_and_counts_the_attempt(outbox, new_message):
    message = new_message()
    outbox.enqueue(message)
    claimed = outbox.claim(message.message_id, NOW, LEASE)
    assert (claimed.state, claimed.attempts, claimed.body, claimed.options) == (
        "sending", 1, "Laporan diterima", {"reply_token": "rt-1"})
    assert outbox.claim(message.message_id, NOW + timedelta(minutes=1), LEASE) is None  # another run sends it
    assert outbox.claim(message.message_id, NOW + LEASE, LEASE) is None  # the lease runs to its very end
    retaken = outbox.claim(message.message_id, NOW + LEASE + timedelta(microseconds=1), LEASE)  # a run that died
    assert (retaken.state, retaken.attempts) == ("sending", 2)


def test_a_message_is_not_claimed_before_its_next_attempt_time(outbox, new_message):
    message = new_message(next_attempt_at=NOW + timedelta(minutes=10))
    outbox.enqueue(message)
    assert outbox.claim(message.message_id, NOW, LEASE) is None
    assert outbox.get(message.message_id).attempts == 0
    assert outbox.claim(message.message_id, NOW + timedelta(minutes=10), LEASE).attempts == 1  # due at that moment


def test_an_unknown_message_cannot_be_claimed_and_stays_unknown(outbox, new_message):
    message_id = new_message().message_id
    assert outbox.claim(message_id, NOW, LEASE) is None
    assert outbox.get(message_id) is None


def test_a_sent_message_is_kept_for_the_record_but_never_claimed_or_enqueued_again(outbox, new_message):
    message = new_message()
    outbox.enqueue(message)
    outbox.claim(message.message_id, NOW, LEASE)
    sent_at = NOW + timedelta(seconds=2)
    outbox.mark_sent(message.message_id, sent_at)
    stored = outbox.get(message.message_id)
    assert (stored.state, stored.sent_at, stored.attempts) == ("sent", sent_at, 1)
    assert outbox.claim(message.message_id, NOW + timedelta(days=1), LEASE) is None
    assert outbox.enqueue(message) is False
    assert outbox.retry_failed(message.message_id, NOW) is False


def test_a_retry_waits_for_its_time_and_keeps_the_attempts_and_reason(outbox, new_message):
    message = new_message()
    outbox.enqueue(message)
    outbox.claim(message.message_id, NOW, LEASE)
    retry_at = NOW + timedelta(minutes=5)
    outbox.schedule_retry(message.message_id, retry_at, "x" * 700)
    stored = outbox.get(message.message_id)
    assert (stored.state, stored.attempts, stored.next_attempt_at, stored.last_error) == (
        "pending", 1, retry_at, "x" * 500)
    assert outbox.claim(message.message_id, retry_at - timedelta(microseconds=1), LEASE) is None
    assert outbox.claim(message.message_id, retry_at, LEASE).attempts == 2


def test_a_failed_message_is_not_sent_until_an_officer_retries_it_once(outbox, new_message):
    message = new_message()
    outbox.enqueue(message)
    outbox.claim(message.message_id, NOW, LEASE)
    outbox.mark_failed(message.message_id, "400 invalid recipient")
    failed = outbox.get(message.message_id)
    assert (failed.state, failed.attempts, failed.last_error) == ("failed", 1, "400 invalid recipient")
    assert outbox.claim(message.message_id, NOW + timedelta(days=1), LEASE) is None
    later = NOW + timedelta(hours=1)
    assert outbox.retry_failed(message.message_id, later) is True
    retried = outbox.get(message.message_id)
    assert (retried.state, retried.attempts, retried.next_attempt_at, retried.last_error) == (
        "pending", 0, later, "400 invalid recipient")
    assert outbox.retry_failed(message.message_id, later) is False  # no longer failed
    assert outbox.claim(message.message_id, later, LEASE).attempts == 1


def test_only_a_failed_message_can_be_retried(outbox, new_message):
    pending, sending = new_message(), new_message()
    outbox.enqueue(pending)
    outbox.enqueue(sending)
    outbox.claim(sending.message_id, NOW, LEASE)
    assert outbox.retry_failed(pending.message_id, NOW) is False
    assert outbox.retry_failed(sending.message_id, NOW) is False
    assert outbox.get(sending.message_id).state == "sending"
    unknown = new_message().message_id
    assert outbox.retry_failed(unknown, NOW) is False
    assert outbox.get(unknown) is None


def test_marking_an_unknown_message_creates_a_bare_record(outbox, new_message):
    """mark_sent, schedule_retry and mark_failed are unconditional updates: DynamoDB creates a missing item."""
    sent, retried, failed = (new_message().message_id for _ in range(3))
    outbox.mark_sent(sent, NOW)
    assert outbox.get(sent) == OutboundMessage(sent, None, None, None, None, state="sent", sent_at=NOW)
    assert outbox.enqueue(OutboundMessage(sent, "line", "U", "b", NOW)) is False  # the id is taken now
    outbox.schedule_retry(retried, NOW, "later")
    assert outbox.get(retried) == OutboundMessage(retried, None, None, None, None, state="pending",
                                                  last_error="later", next_attempt_at=NOW)
    assert outbox.claim(retried, NOW, LEASE).state == "sending"  # pending and due: claimable, empty as it is
    outbox.mark_failed(failed, "gone")
    assert outbox.get(failed).state == "failed"
    assert failed not in [m.message_id for m in outbox.failed_messages(limit=200)]  # no created_at: not indexed


def test_due_ids_are_the_unsent_messages_due_by_now_oldest_first(outbox, new_message):
    at = [DUE_ERA + timedelta(minutes=m) for m in range(6)]
    messages = [new_message(created_at=moment) for moment in at]
    for index in (3, 1, 5, 2, 4, 0):  # enqueued out of order
        outbox.enqueue(messages[index])
    ids = [m.message_id for m in messages]
    outbox.claim(ids[2], at[2], LEASE)  # being sent: still on the due index
    outbox.claim(ids[0], at[0], LEASE)
    outbox.mark_sent(ids[0], at[0])
    outbox.mark_failed(ids[4], "gave up")
    assert list(outbox.due_ids(at[3])) == [ids[1], ids[2], ids[3]]  # the bound is inclusive
    assert list(outbox.due_ids(at[5])) == [ids[1], ids[2], ids[3], ids[5]]
    assert list(outbox.due_ids(at[1] - timedelta(microseconds=1))) == []
    outbox.schedule_retry(ids[1], at[4], "busy")  # moves behind the others
    assert list(outbox.due_ids(at[5])) == [ids[2], ids[3], ids[1], ids[5]]
    outbox.retry_failed(ids[4], at[3] + timedelta(seconds=1))  # back on the index at its new time
    assert list(outbox.due_ids(at[5])) == [ids[2], ids[3], ids[4], ids[1], ids[5]]


def test_due_ids_stop_at_their_limit(outbox, new_message):
    at = [DUE_ERA + timedelta(hours=1, seconds=s) for s in range(3)]
    messages = [new_message(created_at=moment) for moment in at]
    for message in messages:
        outbox.enqueue(message)
    assert list(outbox.due_ids(at[2], limit=2)) == [messages[0].message_id, messages[1].message_id]
    assert list(outbox.due_ids(at[2], limit=0)) == []


def test_failed_messages_list_newest_created_first_until_retried(outbox, new_message):
    at = [FAILED_ERA + timedelta(minutes=m) for m in range(4)]
    messages = [new_message(created_at=moment) for moment in at]
    for index in (2, 0, 3, 1):
        outbox.enqueue(messages[index])
        outbox.mark_failed(messages[index].message_id, f"error {index}")
    ids = [m.message_id for m in messages]
    outbox.retry_failed(ids[1], NOW)
    listed = [m.message_id for m in outbox.failed_messages(limit=200) if m.message_id in ids]
    assert listed == [ids[3], ids[2], ids[0]]
    assert [m.message_id for m in outbox.failed_messages(limit=2)] == [ids[3], ids[2]]  # the newest in the table
    assert outbox.failed_messages(limit=0) == []


def test_failed_messages_carry_only_what_the_index_projects(outbox, new_message):
    """Read from the sparse index's projection: state, options and times other than creation are not there, so
    they read as the model's defaults — `state` "pending" though the message failed. `get` has them all."""
    message = new_message(created_at=FAILED_ERA + timedelta(days=1), options={"via": "twilio"})
    outbox.enqueue(message)
    outbox.claim(message.message_id, FAILED_ERA + timedelta(days=1), LEASE)
    outbox.mark_failed(message.message_id, "gave up")
    listed = next(m for m in outbox.failed_messages(limit=200) if m.message_id == message.message_id)
    assert listed == OutboundMessage(
        message.message_id, "line", "U-kontrak", "Laporan diterima", message.created_at, case_id="KONTRAK-1",
        purpose="ack", options={}, state="pending", attempts=1, last_error="gave up", next_attempt_at=None,
        sent_at=None)
    assert outbox.get(message.message_id).state == "failed"


def test_concurrent_enqueues_and_claims_each_have_one_winner(outbox, new_message):
    message = new_message()
    with ThreadPoolExecutor(max_workers=8) as pool:
        enqueued = list(pool.map(lambda _: outbox.enqueue(message), range(8)))
        claims = list(pool.map(lambda _: outbox.claim(message.message_id, NOW, LEASE), range(8)))
    assert enqueued.count(True) == 1
    assert sum(claim is not None for claim in claims) == 1
    assert outbox.get(message.message_id).attempts == 1
