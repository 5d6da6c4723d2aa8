"""Messages on a case and messages waiting to go out: plain data, shared by channels, services and store."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    provider_id: str | None = None  # the provider's message id (LINE unsend refers to it)
    withdrawn: bool = False


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
    options: dict = field(default_factory=dict)  # e.g. {"reply_token": …, "via": "twilio"}
    state: str = "pending"  # pending | sending | sent | failed
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None


@dataclass(frozen=True)
class InboundMessage:
    """One message a citizen sent on a channel, normalised from the provider's payload.

    `event_key` is the channel-prefixed provider message id ("line:…", "wa:…", "meta:…", "tw:…", "tg:…",
    "sms:…", "mail:…", "web:…"): the dedupe key of the delivery.
    """

    channel: str  # a Channel value: line, whatsapp, messenger, instagram, sms, telegram, email, web
    event_key: str
    sender_id: str  # the provider's id for the sender (LINE userId, WhatsApp wa_id, PSID, chat id, phone, e-mail)
    received_at: datetime  # the provider's timestamp (aware, UTC)
    kind: str = "text"  # text | image | video | audio | file | location | sticker | unsend | other
    #                     LINE groups: join | leave | member_left (never complaints, see services/line_groups)
    text: str | None = None
    sender_name: str | None = None
    phone: str | None = None  # E.164, when the channel gives a phone number
    email: str | None = None
    media_id: str | None = None  # provider media id, or a URL on the provider's own media host
    media_type: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    reply_token: str | None = None  # LINE: single-use, short-lived
    reply_to: str | None = None  # where an answer goes (user, group or chat id; phone number)
    standby: bool = False  # LINE standby mode: another bot answers, we only record
    subject: str | None = None  # e-mail subject, web form title
    anonymous: bool = False  # web form: the citizen asked to stay anonymous
    confidential: bool = False  # web form: *rahasia*
    group_key: str | None = None  # LINE imageSet id: several photos sent together
    provider_message_id: str | None = None  # the provider's own message id when it differs from the event id
    refers_to: str | None = None  # LINE unsend: the message id to withdraw
    source_type: str = "user"  # LINE: "user" (one-to-one chat) | "group" | "room" (multi-person chat)
    group_id: str | None = None  # LINE: the groupId / roomId when source_type is "group" / "room"
    members: tuple[str, ...] = ()  # LINE memberLeft: the userIds that left the group
