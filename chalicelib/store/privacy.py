"""DynamoDB access for UU PDP duties: reading everything held about a person, and blanking it.

Every read is a GetItem, BatchGetItem or a Query on a key or an index (never a Scan); every write is a
single-item write with a deterministic key that is harmless to repeat, so an erasure or a retention run that
stops halfway is finished by running it again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import UpdateError

from chalicelib.store.conditions import is_conditional_failure, put_new
from chalicelib.store.models import (
    AuditRecord,
    CaseRecord,
    InboundEventRecord,
    MessageRecord,
    OutboxRecord,
    RatingRequestRecord,
)
from chalicelib.store.tables import bind_models

REDACTED_STATE = "redacted"  # an outbox message whose recipient and body were erased (never sent again)
CHECKPOINT_STREAM = "checkpoint#retention"  # the retention job's resume points, one item per status
BATCH_GET_MAX = 100


@dataclass(frozen=True)
class Candidate:
    """A closed case seen on the status index: enough to tell whether it was already anonymised."""

    case_id: str
    received_at: datetime
    summary: str


@dataclass(frozen=True)
class CandidatePage:
    items: list[Candidate]
    cursor: dict | None  # where the next page starts; None at the end of the partition
    read: int


class PrivacyRepository:
    """Raw records (every stored field, for an export) and the blanking writes of an erasure."""

    def __init__(self) -> None:
        bind_models()

    # ------------------------------------------------------------ reads for an export
    def case_items(self, case_ids: Iterable[str]) -> list[dict]:
        """The stored case items, every attribute (consistent reads)."""
        ids = list(dict.fromkeys(case_ids))
        found: list[dict] = []
        for start in range(0, len(ids), BATCH_GET_MAX):
            found.extend(r.to_simple_dict() for r in CaseRecord.batch_get(ids[start:start + BATCH_GET_MAX],
                                                                          consistent_read=True))
        return sorted(found, key=lambda item: item.get("received_at", ""))

    def message_items(self, case_id: str) -> list[MessageRecord]:
        """Every message of a case, in arrival order (one Query on the table key, all pages)."""
        return list(MessageRecord.query(case_id, consistent_read=True))

    def outbox_items(self, message_ids: Iterable[str]) -> list[OutboxRecord]:
        """The outbox messages among these deterministic ids (ids that were never used are simply absent)."""
        ids = list(dict.fromkeys(message_ids))
        found: list[OutboxRecord] = []
        for start in range(0, len(ids), BATCH_GET_MAX):
            found.extend(OutboxRecord.batch_get(ids[start:start + BATCH_GET_MAX], consistent_read=True))
        return sorted(found, key=lambda r: r.created_at)

    def event_items(self, event_keys: Iterable[str]) -> list[InboundEventRecord]:
        """The inbound delivery records (raw provider payloads) among these keys; they expire by TTL anyway."""
        keys = list(dict.fromkeys(event_keys))
        found: list[InboundEventRecord] = []
        for start in range(0, len(keys), BATCH_GET_MAX):
            found.extend(InboundEventRecord.batch_get(keys[start:start + BATCH_GET_MAX], consistent_read=True))
        return found

    # ------------------------------------------------------------ erasure writes
    def redact_outbox(self, message_id: str, recipient: str, body: str) -> bool:
        """Replace a message's recipient and body; a message not yet sent is withdrawn from the queue for good.
        False if the item does not exist."""
        try:
            OutboxRecord._get_connection().update_item(
                message_id,
                actions=[
                    OutboxRecord.recipient.set(recipient),
                    OutboxRecord.body.set(body),
                    OutboxRecord.options.remove(),
                    OutboxRecord.last_error.remove(),
                    OutboxRecord.due_shard.remove(),
                    OutboxRecord.failed_shard.remove(),
                    OutboxRecord.claimed_until.remove(),
                    OutboxRecord.state.set(REDACTED_STATE),
                ],
                condition=OutboxRecord.message_id.exists(),
            )
        except UpdateError as error:
            if is_conditional_failure(error):
                return False
            raise
        return True

    def redact_event(self, event_key: str, payload: str) -> bool:
        """Blank a processed delivery's raw payload (kept: that it arrived, for dedupe until its TTL).
        A delivery still pending is left alone: the sweeper must be able to process it."""
        try:
            InboundEventRecord._get_connection().update_item(
                event_key,
                actions=[InboundEventRecord.payload.set(payload), InboundEventRecord.last_error.remove()],
                condition=InboundEventRecord.event_key.exists() & (InboundEventRecord.state != "pending"),
            )
        except UpdateError as error:
            if is_conditional_failure(error):
                return False
            raise
        return True

    def replace_message(self, old: MessageRecord, new_key: str, **fields: object) -> None:
        """Put an anonymised copy of a message under a new key, then delete the original (its key embeds the
        provider's message id). Re-running after a crash between the two finds the copy and deletes the old."""
        copy = MessageRecord(
            old.case_id, new_key, direction=old.direction, channel=old.channel, kind=old.kind,
            sent_at=old.sent_at, withdrawn=bool(old.withdrawn), **fields,
        )
        put_new(copy)
        MessageRecord._get_connection().delete_item(old.case_id, old.message_key)

    def set_message_text(self, case_id: str, message_key: str, text: str | None) -> None:
        """Rewrite the text of one message (an officer's reply with the person's details blanked)."""
        actions = [MessageRecord.text.set(text)] if text else [MessageRecord.text.remove()]
        MessageRecord._get_connection().update_item(case_id, message_key, actions=actions)

    def delete_rating_requests(self, reporter_key: str, channels: Iterable[str]) -> None:
        """Forget which case this person was asked to rate, on each channel (deterministic keys)."""
        for channel in dict.fromkeys(channels):
            RatingRequestRecord._get_connection().delete_item(f"{reporter_key}#{channel}")

    # ------------------------------------------------------------ retention candidates
    def closed_candidates(self, status: str, received_before: datetime, cursor: dict | None,
                          limit: int) -> CandidatePage:
        """Cases of one closed status received before `received_before`, oldest first, one page of the status
        index (a Query; the projection carries the summary, so anonymised cases are recognised without
        reading the case)."""
        result = CaseRecord.by_status.query(
            status, CaseRecord.received_at < received_before, scan_index_forward=True, limit=limit,
            last_evaluated_key=cursor,
        )
        items = [Candidate(r.case_id, r.received_at, r.summary or "") for r in result]
        return CandidatePage(items=items, cursor=result.last_evaluated_key, read=len(items))

    def checkpoint(self, status: str) -> dict | None:
        """Where the retention job stopped in this status's partition (None: start from the oldest)."""
        try:
            record = AuditRecord.get(CHECKPOINT_STREAM, status, consistent_read=True)
        except AuditRecord.DoesNotExist:
            return None
        return json.loads(record.detail) if record.detail else None

    def save_checkpoint(self, status: str, cursor: dict | None, at: datetime) -> None:
        """Remember where to resume (an overwrite of one deterministic item; None restarts the pass)."""
        AuditRecord(
            CHECKPOINT_STREAM, status, kind="checkpoint", actor="system:retention", outcome=at.isoformat(),
            detail=json.dumps(cursor, separators=(",", ":")) if cursor else None,
        ).save()
