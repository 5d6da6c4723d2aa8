"""The durable pieces later channels and jobs stand on: dedupe records, case messages, the outbox."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.messages import CaseMessage, OutboundMessage
from chalicelib.store.intake import InboundEventRepository, MessageRepository
from chalicelib.store.outbox import OutboxRepository

pytestmark = pytest.mark.real_store  # the store's own tests: on DynamoDB (moto)

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def events(aws):
    return InboundEventRepository()


@pytest.fixture
def outbox(aws):
    return OutboxRepository()


# moto is not atomic across threads, so here the repeats are sequential; tests/integration runs the
# concurrent versions against dynalite, which (like DynamoDB) applies each conditional write atomically.


def test_the_same_delivery_ten_times_is_recorded_once(events):
    key = f"line:{uuid.uuid4().hex}"
    results = [events.record_event(key, "line", '{"events":[]}', NOW) for _ in range(10)]
    assert results.count(True) == 1
    assert events.get(key).state == "pending"


def test_a_pending_event_is_claimed_by_one_worker_and_reaches_the_sweeper_if_released(events):
    key = f"wa:{uuid.uuid4().hex}"
    events.record_event(key, "whatsapp", "{}", NOW - timedelta(minutes=10))
    first = events.claim(key, NOW, timedelta(minutes=2))
    assert first is not None and first.attempts == 1
    assert events.claim(key, NOW + timedelta(seconds=30), timedelta(minutes=2)) is None  # lease held
    events.release(key, "media download timed out")
    assert key in list(events.pending_keys(NOW, limit=1000))
    again = events.claim(key, NOW + timedelta(minutes=1), timedelta(minutes=2))
    assert again.attempts == 2 and again.last_error == "media download timed out"
    events.finish(key, "done", case_id="KDR-2611-ABCDEF0")
    assert key not in list(events.pending_keys(NOW + timedelta(days=1), limit=1000))
    assert events.claim(key, NOW + timedelta(hours=1), timedelta(minutes=2)) is None
    assert events.get(key).case_id == "KDR-2611-ABCDEF0"


def test_a_message_attaches_to_its_case_once(aws):
    messages = MessageRepository()
    case_id = f"KDR-2611-{uuid.uuid4().hex[:7].upper()}"
    photo = CaseMessage(case_id, "m1", NOW, "in", "line", kind="image", media_key="media/m1.jpg",
                        media_type="image/jpeg")
    assert messages.add(photo) is True
    assert messages.add(photo) is False
    messages.add(CaseMessage(case_id, "m2", NOW + timedelta(seconds=5), "in", "line", kind="location",
                             latitude=-7.8166, longitude=112.0119))
    assert [m.kind for m in messages.for_case(case_id)] == ["image", "location"]


def message(**fields) -> OutboundMessage:
    return OutboundMessage(message_id=f"{uuid.uuid4().hex}#1#status", channel="sms", recipient="+6281234567890",
                           body="Laporan Anda sedang ditindaklanjuti.", created_at=NOW, **fields)


def test_enqueue_is_idempotent_and_a_claim_is_exclusive(outbox):
    msg = message()
    assert outbox.enqueue(msg) is True
    assert outbox.enqueue(msg) is False
    assert msg.message_id in list(outbox.due_ids(NOW, limit=1000))
    claims = [outbox.claim(msg.message_id, NOW, timedelta(minutes=1)) for _ in range(4)]
    assert sum(c is not None for c in claims) == 1
    outbox.mark_sent(msg.message_id, NOW)
    assert outbox.get(msg.message_id).state == "sent"
    assert msg.message_id not in list(outbox.due_ids(NOW + timedelta(hours=1), limit=1000))
    assert outbox.claim(msg.message_id, NOW + timedelta(hours=1), timedelta(minutes=1)) is None


def test_a_retry_waits_for_its_time_and_a_failure_stays_visible(outbox):
    msg = message()
    outbox.enqueue(msg)
    outbox.claim(msg.message_id, NOW, timedelta(minutes=1))
    outbox.schedule_retry(msg.message_id, NOW + timedelta(minutes=5), "HTTP 503 from provider")
    assert outbox.claim(msg.message_id, NOW + timedelta(minutes=1), timedelta(minutes=1)) is None
    retried = outbox.claim(msg.message_id, NOW + timedelta(minutes=6), timedelta(minutes=1))
    assert retried.attempts == 2 and retried.last_error == "HTTP 503 from provider"
    outbox.mark_failed(msg.message_id, "HTTP 400: invalid recipient")
    failed = outbox.get(msg.message_id)
    assert failed.state == "failed" and failed.last_error == "HTTP 400: invalid recipient"


def test_a_sender_that_died_mid_send_is_reclaimed_after_its_lease(outbox):
    msg = message()
    outbox.enqueue(msg)
    assert outbox.claim(msg.message_id, NOW, timedelta(minutes=1)) is not None  # ...and the process dies
    assert outbox.claim(msg.message_id, NOW + timedelta(seconds=30), timedelta(minutes=1)) is None
    assert outbox.claim(msg.message_id, NOW + timedelta(minutes=2), timedelta(minutes=1)) is not None


def test_a_sent_message_expires_after_ninety_days_and_a_pending_one_never(ctx):
    from datetime import timedelta

    from chalicelib.domain.messages import OutboundMessage
    from chalicelib.store.models import OutboxRecord

    now = ctx.now()
    for suffix in ("sent", "pending"):
        ctx.outbox.enqueue(OutboundMessage(message_id=f"ttl-test:{suffix}:{now.timestamp()}", channel="sms",
                                           recipient="+6281234000000", body="Laporan Anda", created_at=now))
    ctx.outbox.mark_sent(f"ttl-test:sent:{now.timestamp()}", now)
    assert OutboxRecord.get(f"ttl-test:sent:{now.timestamp()}").expires_at == now + timedelta(days=90)
    assert OutboxRecord.get(f"ttl-test:pending:{now.timestamp()}").expires_at is None
