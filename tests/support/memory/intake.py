"""In-memory inbound events, case messages and outbox, with the DynamoDB repositories' contract.

Items are kept as DynamoDB holds them: the attribute values PynamoDB writes (`Model.serialize`), so a read
deserializes exactly as the real repository's does (UTC datetimes, TTL truncated to the second, model defaults
for absent attributes, an index's projection), and a condition compares the serialized values as DynamoDB does
(UTC timestamp strings, numbers). An update of a missing key creates the item, as UpdateItem does; an index lists
an item only while it has both of the index's key attributes. State lives in plain dicts on each fake (with its
`threading.Lock`), so `tests/support/memory/store.py` can copy a fake by copying its dicts.
The contract tests are `tests/unit/store_contract/test_{inbound_events,messages,outbox}_contract.py`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.messages import CaseMessage, OutboundMessage
from chalicelib.store.intake import DEDUPE_RETENTION, PENDING_SHARD, to_case_message, to_message_record
from chalicelib.store.models import InboundEventRecord, MessageRecord, OutboxRecord
from chalicelib.store.outbox import DUE_SHARD, FAILED_SHARD, SENT_RETENTION, _message, to_outbox_record
from tests.support.memory.items import Raw, hash_item, index_rows, limited, load, serialized, stored, update, wire

# ---------------------------------------------------------------- inbound events


class InMemoryInboundEventRepository:
    """`chalicelib.store.intake.InboundEventRepository` in memory (first writer wins; claims with a lease)."""

    def __init__(self) -> None:
        self.items: dict[str, Raw] = {}
        self._lock = threading.Lock()  # one write at a time, as DynamoDB serialises writes to an item

    def record_event(self, event_key: str, channel: str, payload: str, received_at: datetime) -> bool:
        item = serialized(InboundEventRecord(
            event_key,
            channel=channel,
            received_at=received_at,
            payload=payload,
            state="pending",
            pending_shard=PENDING_SHARD,
            attempts=0,
            expires_at=received_at + DEDUPE_RETENTION,
        ))
        with self._lock:
            if event_key in self.items:  # kept past `expires_at` too: DynamoDB's TTL deletes lazily
                return False
            self.items[event_key] = item
            return True

    def get(self, event_key: str) -> InboundEventRecord | None:
        with self._lock:
            raw = self.items.get(event_key)
            return None if raw is None else load(InboundEventRecord, raw)

    def claim(self, event_key: str, now: datetime, lease: timedelta) -> InboundEventRecord | None:
        at = wire(InboundEventRecord, "claimed_until", now)
        with self._lock:
            raw = self.items.get(event_key)
            held = stored(raw, InboundEventRecord, "claimed_until")
            if stored(raw, InboundEventRecord, "state") != "pending" or (held is not None and not held < at):
                return None
            update(self.items, event_key, InboundEventRecord, {}, set_={"claimed_until": now + lease},
                   add={"attempts": 1})
            return load(InboundEventRecord, raw)

    def finish(self, event_key: str, state: str, case_id: str | None = None) -> None:
        values: dict[str, Any] = {"state": state}
        if case_id:
            values["case_id"] = case_id
        with self._lock:
            update(self.items, event_key, InboundEventRecord, hash_item(InboundEventRecord, event_key),
                   set_=values, remove=("pending_shard", "claimed_until"))

    def release(self, event_key: str, error: str) -> None:
        with self._lock:
            update(self.items, event_key, InboundEventRecord, hash_item(InboundEventRecord, event_key),
                   set_={"last_error": error[:500]}, remove=("claimed_until",))

    def pending_keys(self, received_before: datetime, limit: int = 100) -> Iterator[str]:
        for event_key, _received_at in self.pending_events(received_before, limit):
            yield event_key

    def pending_events(self, received_before: datetime, limit: int = 100) -> Iterator[tuple[str, datetime]]:
        bound = wire(InboundEventRecord, "received_at", received_before)
        with self._lock:
            rows = [
                (at, key)
                for at, key in index_rows(self.items, InboundEventRecord, "pending_shard", PENDING_SHARD, "received_at")
                if at <= bound
            ]
        received_at = InboundEventRecord.get_attributes()["received_at"]
        for at, key in limited(rows, limit):
            yield str(key), received_at.deserialize(at)


# ---------------------------------------------------------------- case messages


class InMemoryMessageRepository:
    """`chalicelib.store.intake.MessageRepository` in memory: one item per (case, "<ISO time>#<id>")."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Raw] = {}
        self._lock = threading.Lock()

    def add(self, message: CaseMessage) -> bool:
        record = to_message_record(message)
        item = serialized(record)
        key = (record.case_id, record.message_key)
        with self._lock:
            if key in self.items:
                return False
            self.items[key] = item
            return True

    def for_case(self, case_id: str, limit: int = 200) -> list[CaseMessage]:
        """In the sort key's order: the key's text (its ISO time as given, then the id), not the UTC time."""
        with self._lock:
            records = [load(MessageRecord, self.items[key]) for key in sorted(k for k in self.items if k[0] == case_id)]
        return [to_case_message(r) for r in limited(records, limit)]

    def withdraw(self, case_id: str, provider_id: str) -> bool:
        if not provider_id:
            return False
        found = False
        with self._lock:
            for key in sorted(k for k in self.items if k[0] == case_id):
                if stored(self.items[key], MessageRecord, "provider_id") == provider_id:
                    update(self.items, key, MessageRecord, {}, set_={"withdrawn": True},
                           remove=("text", "media_key", "latitude", "longitude"))
                    found = True
        return found


# ---------------------------------------------------------------- outbox


class InMemoryOutboxRepository:
    """`chalicelib.store.outbox.OutboxRepository` in memory: the due and failed indexes are sparse, as there."""

    def __init__(self) -> None:
        self.items: dict[str, Raw] = {}
        self._lock = threading.Lock()

    def enqueue(self, message: OutboundMessage) -> bool:
        item = serialized(to_outbox_record(message))
        with self._lock:
            if message.message_id in self.items:  # a sent one too, until DynamoDB's TTL gets to it
                return False
            self.items[message.message_id] = item
            return True

    def due_ids(self, now: datetime, limit: int = 100) -> Iterator[str]:
        """Pending and being-sent messages alike (a claim keeps the item on the due index), oldest due first."""
        bound = wire(OutboxRecord, "next_attempt_at", now)
        with self._lock:
            rows = [row for row in index_rows(self.items, OutboxRecord, "due_shard", DUE_SHARD, "next_attempt_at")
                    if row[0] <= bound]
        for _at, key in limited(rows, limit):
            yield str(key)

    def claim(self, message_id: str, now: datetime, lease: timedelta) -> OutboundMessage | None:
        at = wire(OutboxRecord, "claimed_until", now)
        with self._lock:
            raw = self.items.get(message_id)
            state = stored(raw, OutboxRecord, "state")
            held = stored(raw, OutboxRecord, "claimed_until")
            due = stored(raw, OutboxRecord, "next_attempt_at")
            claimable = state == "pending" or (state == "sending" and held is not None and held < at)
            if not claimable or due is None or not due <= at:
                return None
            update(self.items, message_id, OutboxRecord, {}, set_={"state": "sending", "claimed_until": now + lease},
                   add={"attempts": 1})
            return _message(load(OutboxRecord, raw))

    def mark_sent(self, message_id: str, now: datetime) -> None:
        """Kept (as DynamoDB keeps it until its TTL passes, and somewhat after): `get` still finds it."""
        with self._lock:
            update(self.items, message_id, OutboxRecord, hash_item(OutboxRecord, message_id),
                   set_={"state": "sent", "sent_at": now, "expires_at": now + SENT_RETENTION},
                   remove=("due_shard", "claimed_until"))

    def schedule_retry(self, message_id: str, next_attempt_at: datetime, error: str) -> None:
        with self._lock:
            update(self.items, message_id, OutboxRecord, hash_item(OutboxRecord, message_id),
                   set_={"state": "pending", "next_attempt_at": next_attempt_at, "last_error": error[:500]},
                   remove=("claimed_until",))

    def mark_failed(self, message_id: str, error: str) -> None:
        with self._lock:
            update(self.items, message_id, OutboxRecord, hash_item(OutboxRecord, message_id),
                   set_={"state": "failed", "last_error": error[:500], "failed_shard": FAILED_SHARD},
                   remove=("due_shard", "claimed_until"))

    def failed_messages(self, limit: int = 50) -> list[OutboundMessage]:
        """Newest first, read from the index's projection as the real one is: fields the index does not project
        come back as the model's defaults (`state` "pending", no options, no next attempt or sent time)."""
        projection = OutboxRecord.failed.Meta.projection
        kept = {"message_id", "failed_shard", "created_at", *projection.non_key_attributes}
        with self._lock:
            rows = index_rows(self.items, OutboxRecord, "failed_shard", FAILED_SHARD, "created_at")
            projected = [{name: value for name, value in self.items[key].items() if name in kept}
                         for _at, key in limited(rows[::-1], limit)]
        return [_message(load(OutboxRecord, raw)) for raw in projected]

    def retry_failed(self, message_id: str, now: datetime) -> bool:
        with self._lock:
            if stored(self.items.get(message_id), OutboxRecord, "state") != "failed":
                return False
            update(self.items, message_id, OutboxRecord, {},
                   set_={"state": "pending", "attempts": 0, "next_attempt_at": now, "due_shard": DUE_SHARD},
                   remove=("failed_shard",))
            return True

    def get(self, message_id: str) -> OutboundMessage | None:
        with self._lock:
            raw = self.items.get(message_id)
            return None if raw is None else _message(load(OutboxRecord, raw))
