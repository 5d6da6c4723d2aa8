"""Step 1 of intake, the webhook's acknowledgement path: record each delivered message once.

Kept apart from `services/intake.py` (the conversation: routing, replies, the workflow) so a cold webhook
imports only what it needs to store the delivery and answer the provider.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

from chalicelib import metrics
from chalicelib.channels.base import ParsedDelivery
from chalicelib.domain.messages import InboundMessage
from chalicelib.services.context import Context


def record_delivery(ctx: Context, delivery: ParsedDelivery) -> list[str]:
    """Persist each message once; return the keys that are new (only those need processing)."""
    fresh = []
    for message in delivery.messages:
        payload = json.dumps(message_payload(message), ensure_ascii=False, separators=(",", ":"))
        if ctx.events.record_event(message.event_key, message.channel, payload, ctx.now()):
            fresh.append(message.event_key)
        else:
            metrics.count_duplicate(message.channel)  # a redelivery: already recorded, dropped
    return fresh


def message_payload(message: InboundMessage) -> dict:
    """The message as the stored event's JSON (empty fields left out)."""
    data = dataclasses.asdict(message)
    data["received_at"] = message.received_at.astimezone(UTC).isoformat()
    return {k: v for k, v in data.items() if v not in (None, False, "")}


def message_from_payload(data: dict) -> InboundMessage:
    data = dict(data)
    data["received_at"] = datetime.fromisoformat(data["received_at"])
    if "members" in data:
        data["members"] = tuple(data["members"])  # JSON has lists; the message stays hashable
    return InboundMessage(**data)
