"""Inbound provider events (the dedupe records) and the messages of a case's conversation.

`record_event` is the webhook's one durable write: a conditional put keyed on the channel-prefixed provider
message id, so the same delivery arriving N times (even concurrently) is stored once. The event stays on a
sparse `pending` index until processed; a worker claims it with a conditional update and a lease, so an
in-line worker and the sweeper never process it at the same time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from pynamodb.exceptions import UpdateError

from chalicelib.domain.messages import CaseMessage
from chalicelib.store.conditions import is_conditional_failure, put_new
from chalicelib.store.models import InboundEventRecord, MessageRecord
from chalicelib.store.tables import bind_models

PENDING_SHARD = "PENDING"
DEDUPE_RETENTION = timedelta(days=8)  # longer than the longest provider retry horizon (Meta: 7 days)


class InboundEventRepository:
    def __init__(self) -> None:
        bind_models()

    def record_event(self, event_key: str, channel: str, payload: str, received_at: datetime) -> bool:
        """Store a delivery once. True if it is new, False if this event was already recorded."""
        record = InboundEventRecord(
            event_key,
            channel=channel,
            received_at=received_at,
            payload=payload,
            state="pending",
            pending_shard=PENDING_SHARD,
            attempts=0,
            expires_at=received_at + DEDUPE_RETENTION,
        )
        return put_new(record)

    def get(self, event_key: str) -> InboundEventRecord | None:
        try:
            return InboundEventRecord.get(event_key, consistent_read=True)
        except InboundEventRecord.DoesNotExist:
            return None

    def claim(self, event_key: str, now: datetime, lease: timedelta) -> InboundEventRecord | None:
        """Take a pending event for processing until `now + lease`; None if done or held by another worker."""
        claimable = (InboundEventRecord.state == "pending") & (
            InboundEventRecord.claimed_until.does_not_exist() | (InboundEventRecord.claimed_until < now)
        )
        try:
            data = InboundEventRecord._get_connection().update_item(
                event_key,
                actions=[
                    InboundEventRecord.claimed_until.set(now + lease),
                    InboundEventRecord.attempts.add(1),
                ],
                condition=claimable,
                return_values="ALL_NEW",
            )
        except UpdateError as error:
            if is_conditional_failure(error):
                return None
            raise
        return InboundEventRecord.from_raw_data(data["Attributes"])

    def finish(self, event_key: str, state: str, case_id: str | None = None) -> None:
        """Mark processed ("done") or deliberately skipped ("ignored"); leaves the pending index."""
        actions = [
            InboundEventRecord.state.set(state),
            InboundEventRecord.pending_shard.remove(),
            InboundEventRecord.claimed_until.remove(),
        ]
        if case_id:
            actions.append(InboundEventRecord.case_id.set(case_id))
        InboundEventRecord._get_connection().update_item(event_key, actions=actions)

    def release(self, event_key: str, error: str) -> None:
        """Give a failed attempt back to the sweeper, with the reason (no personal data) for operators."""
        InboundEventRecord._get_connection().update_item(
            event_key,
            actions=[InboundEventRecord.claimed_until.remove(), InboundEventRecord.last_error.set(error[:500])],
        )

    def pending_keys(self, received_before: datetime, limit: int = 100) -> Iterator[str]:
        """Events still pending that arrived before `received_before` (eventually consistent index)."""
        for event_key, _received_at in self.pending_events(received_before, limit):
            yield event_key

    def pending_events(self, received_before: datetime, limit: int = 100) -> Iterator[tuple[str, datetime]]:
        """(event key, received at) of the events `pending_keys` yields, oldest first: the index's sort key is
        projected, so the age of the oldest unprocessed event costs no extra read."""
        for record in InboundEventRecord.pending.query(
            PENDING_SHARD, InboundEventRecord.received_at <= received_before, limit=limit
        ):
            yield record.event_key, record.received_at


class MessageRepository:
    def __init__(self) -> None:
        bind_models()

    def add(self, message: CaseMessage) -> bool:
        """Attach a message to its case once (deterministic key: time + provider id)."""
        return put_new(to_message_record(message))

    def for_case(self, case_id: str, limit: int = 200) -> list[CaseMessage]:
        return [to_case_message(r) for r in MessageRecord.query(case_id, limit=limit)]

    def withdraw(self, case_id: str, provider_id: str) -> bool:
        """Blank the stored content of a message the citizen withdrew (LINE unsend); keep that it existed."""
        if not provider_id:
            return False
        found = False
        for record in MessageRecord.query(case_id, filter_condition=MessageRecord.provider_id == provider_id):
            record.update(actions=[
                MessageRecord.text.remove(),
                MessageRecord.media_key.remove(),
                MessageRecord.latitude.remove(),
                MessageRecord.longitude.remove(),
                MessageRecord.withdrawn.set(True),
            ])
            found = True
        return found


def to_message_record(message: CaseMessage) -> MessageRecord:
    """The stored form of a case message: keyed by its case and "<sent at>#<message id>" (a deterministic key)."""
    return MessageRecord(
        message.case_id,
        f"{message.sent_at.isoformat()}#{message.message_id}",
        direction=message.direction,
        channel=message.channel,
        kind=message.kind,
        text=message.text,
        media_key=message.media_key,
        media_type=message.media_type,
        latitude=message.latitude,
        longitude=message.longitude,
        sent_at=message.sent_at,
        author=message.author,
        provider_id=message.provider_id,
    )


def to_case_message(r: MessageRecord) -> CaseMessage:
    return CaseMessage(
        case_id=r.case_id,
        message_id=r.message_key.split("#", 1)[1],
        sent_at=r.sent_at,
        direction=r.direction,
        channel=r.channel,
        kind=r.kind,
        text=r.text,
        media_key=r.media_key,
        media_type=r.media_type,
        latitude=r.latitude,
        longitude=r.longitude,
        author=r.author,
        provider_id=r.provider_id,
        withdrawn=bool(r.withdrawn),
    )
