"""Messages on a case and messages waiting to go out: plain data, shared by channels, services and store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CaseMessage:
    """One message in a case's conversation (a citizen's text, photo or location, or an officer's reply)."""

    case_id: str
    message_id: str  # provider message id (or our own for outbound)
    sent_at: datetime
    direction: str  # "in" | "out"
    channel: str
    kind: str = "text"  # text | image | location | sticker | file
    text: str | None = None
    media_key: str | None = None
    media_type: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    author: str | None = None


@dataclass(frozen=True)
class OutboundMessage:
    """A message to send. Its id is deterministic (case, timeline step, purpose), so enqueuing twice is one."""

    message_id: str
    channel: str
    recipient: str
    body: str
    created_at: datetime
    case_id: str | None = None
    purpose: str | None = None
    state: str = "pending"  # pending | sending | sent | failed
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
