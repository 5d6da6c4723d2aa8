"""The outbox: every outbound message is an item before it is sent.

A sender claims a due message with one conditional update (state pending, lease expired), so overlapping
runs never send it twice; then marks it sent, schedules a retry, or marks it failed for officers to see.
One send is at most three requests: claim, provider call, mark.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

from pynamodb.exceptions import UpdateError

from chalicelib.domain.messages import OutboundMessage
from chalicelib.store.conditions import is_conditional_failure, put_new
from chalicelib.store.models import OutboxRecord
from chalicelib.store.tables import bind_models

DUE_SHARD = "DUE"
FAILED_SHARD = "FAILED"
SENT_RETENTION = timedelta(days=90)  # a sent message is kept this long (the record of what the city said), then dropped


class OutboxRepository:
    def __init__(self) -> None:
        bind_models()

    def enqueue(self, message: OutboundMessage) -> bool:
        """Store a message to send; False if a message with this id was already enqueued."""
        return put_new(to_outbox_record(message))

    def due_ids(self, now: datetime, limit: int = 100) -> Iterator[str]:
        for record in OutboxRecord.due.query(DUE_SHARD, OutboxRecord.next_attempt_at <= now, limit=limit):
            yield record.message_id

    def claim(self, message_id: str, now: datetime, lease: timedelta) -> OutboundMessage | None:
        """Take a due message for sending until `now + lease`; None if sent, failed or held by another run."""
        claimable = (OutboxRecord.state == "pending") | (
            (OutboxRecord.state == "sending") & (OutboxRecord.claimed_until < now)
        )
        try:
            data = OutboxRecord._get_connection().update_item(
                message_id,
                actions=[
                    OutboxRecord.state.set("sending"),
                    OutboxRecord.claimed_until.set(now + lease),
                    OutboxRecord.attempts.add(1),
                ],
                condition=claimable & (OutboxRecord.next_attempt_at <= now),
                return_values="ALL_NEW",
            )
        except UpdateError as error:
            if is_conditional_failure(error):
                return None
            raise
        return _message(OutboxRecord.from_raw_data(data["Attributes"]))

    def mark_sent(self, message_id: str, now: datetime) -> None:
        """Sent: out of the due index, and kept SENT_RETENTION for the record, then dropped by DynamoDB's TTL
        (no citizen's message text lingers; its id can never be derived again by then)."""
        OutboxRecord._get_connection().update_item(
            message_id,
            actions=[
                OutboxRecord.state.set("sent"),
                OutboxRecord.sent_at.set(now),
                OutboxRecord.expires_at.set(now + SENT_RETENTION),
                OutboxRecord.due_shard.remove(),
                OutboxRecord.claimed_until.remove(),
            ],
        )

    def schedule_retry(self, message_id: str, next_attempt_at: datetime, error: str) -> None:
        OutboxRecord._get_connection().update_item(
            message_id,
            actions=[
                OutboxRecord.state.set("pending"),
                OutboxRecord.next_attempt_at.set(next_attempt_at),
                OutboxRecord.last_error.set(error[:500]),
                OutboxRecord.claimed_until.remove(),
            ],
        )

    def mark_failed(self, message_id: str, error: str) -> None:
        OutboxRecord._get_connection().update_item(
            message_id,
            actions=[
                OutboxRecord.state.set("failed"),
                OutboxRecord.last_error.set(error[:500]),
                OutboxRecord.due_shard.remove(),
                OutboxRecord.claimed_until.remove(),
                OutboxRecord.failed_shard.set(FAILED_SHARD),
            ],
        )

    def failed_messages(self, limit: int = 50) -> list[OutboundMessage]:
        """Undelivered messages, newest first (from the sparse index: no Scan)."""
        return [
            _message(r) for r in OutboxRecord.failed.query(FAILED_SHARD, scan_index_forward=False, limit=limit)
        ]

    def retry_failed(self, message_id: str, now: datetime) -> bool:
        """Put a failed message back in the queue with fresh attempts; False if it is not (or no longer) failed."""
        try:
            OutboxRecord._get_connection().update_item(
                message_id,
                actions=[
                    OutboxRecord.state.set("pending"),
                    OutboxRecord.attempts.set(0),
                    OutboxRecord.next_attempt_at.set(now),
                    OutboxRecord.due_shard.set(DUE_SHARD),
                    OutboxRecord.failed_shard.remove(),
                ],
                condition=OutboxRecord.state == "failed",
            )
        except UpdateError as error:
            if is_conditional_failure(error):
                return False
            raise
        return True

    def get(self, message_id: str) -> OutboundMessage | None:
        try:
            return _message(OutboxRecord.get(message_id, consistent_read=True))
        except OutboxRecord.DoesNotExist:
            return None


def _message(record: OutboxRecord) -> OutboundMessage:
    return OutboundMessage(
        message_id=record.message_id,
        channel=record.channel,
        recipient=record.recipient,
        body=record.body,
        created_at=record.created_at,
        case_id=record.case_id,
        purpose=record.purpose,
        options=json.loads(record.options) if record.options else {},
        state=record.state,
        attempts=int(record.attempts or 0),
        last_error=record.last_error,
        next_attempt_at=record.next_attempt_at,
        sent_at=record.sent_at,
    )


def to_outbox_record(message: OutboundMessage) -> OutboxRecord:
    """A message as enqueued: pending, no attempts yet, due at once unless it says when."""
    return OutboxRecord(
        message.message_id,
        channel=message.channel,
        recipient=message.recipient,
        body=message.body,
        case_id=message.case_id,
        purpose=message.purpose,
        options=json.dumps(message.options, separators=(",", ":")) if message.options else None,
        state="pending",
        attempts=0,
        created_at=message.created_at,
        next_attempt_at=message.next_attempt_at or message.created_at,
        due_shard=DUE_SHARD,
    )
