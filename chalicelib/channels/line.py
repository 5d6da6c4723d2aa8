"""LINE Messaging API: webhook signature, webhook events, reply/push requests, media content.

Wire contract: https://developers.line.biz/en/reference/messaging-api/ (webhook event objects, reply and
push message, get content) and https://github.com/line/line-openapi `webhook.yml` (the schema the official
SDKs are generated from). Pure: stdlib only, no network, and no line-bot-sdk (importing it costs seconds of
the 2 s LINE gives a webhook to answer).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import urllib.parse
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.channels.base import (
    PERMANENT,
    SENT,
    HttpRequest,
    MalformedPayload,
    Outcome,
    ParsedDelivery,
    Perform,
    Route,
    classify_status,
    clean_id,
    clean_text,
    no_redirect,
    send_request,
)
from chalicelib.domain.messages import InboundMessage, OutboundMessage
from chalicelib.settings import ChannelSettings

if TYPE_CHECKING:
    from chalicelib.domain.case import Case
    from chalicelib.domain.officer import Officer

CHANNEL = "line"
PREFIX = "line:"
SIGNATURE_HEADER = "x-line-signature"

SEND_TEXT_LIMIT = 5000  # LINE text message object: max 5000 characters (counted here in UTF-16 units)
SEND_MAX_MESSAGES = 5  # reply and push take 1..5 message objects
_MEDIA_KINDS = {"image", "video", "audio", "file"}
_RETRY_KEY_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "aduan:line:x-line-retry-key")


# -- signature ---------------------------------------------------------------------------------------


def sign(raw_body: bytes, secret: str) -> str:
    """The `x-line-signature` LINE would send: base64(HMAC-SHA256(channel secret, raw body))."""
    digest = hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify(
    raw_body: bytes,
    headers: Mapping[str, str],
    settings: ChannelSettings,
    *,
    url: str | None = None,
    query: Mapping[str, str] | None = None,
) -> bool:
    """True only if the signature over the exact raw bytes matches; no channel secret configured → False."""
    secret = settings.line_channel_secret
    given = headers.get(SIGNATURE_HEADER) if headers else None
    if not secret or not isinstance(given, str) or not given:
        return False
    expected = sign(raw_body, secret)
    return hmac.compare_digest(expected.encode("ascii"), given.strip().encode("utf-8", "replace"))


# -- inbound -----------------------------------------------------------------------------------------


def parse(raw_body: bytes, settings: ChannelSettings, *, now: datetime | None = None) -> ParsedDelivery:
    """Normalise a webhook body into messages; events we do not take are ignored.

    Taken: `message` and `unsend` (from a one-to-one chat, a group or a room), and the group events `join`
    (the account was invited into a group or room), `leave` (it was removed) and `memberLeft` (members
    left; `left.members[].userId`). Every message carries `source_type` ("user" | "group" | "room") and, in
    a group or room, `group_id` (the groupId / roomId): what is said there is never a complaint.

    The console's verify request (`"events": []`) gives an empty delivery. A single broken event never
    fails the whole body (LINE does not redeliver by default, so a 400 would lose the good events too): it
    is counted as ignored. A one-to-one event without a user id is ignored (we could neither link nor
    answer it); in a group or room the user id is optional (LINE includes it only when the member's client
    reports it), so the group itself stands in as the sender.
    """
    try:
        payload = json.loads(raw_body)
    except (ValueError, RecursionError) as exc:
        raise MalformedPayload("LINE webhook body is not JSON") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise MalformedPayload("LINE webhook body has no events array")
    fallback = now or datetime.now(UTC)
    messages: list[InboundMessage] = []
    ignored = 0
    for event in payload["events"]:
        message = _event(event, fallback) if isinstance(event, dict) else None
        if message is None:
            ignored += 1
        else:
            messages.append(message)
    return ParsedDelivery(messages=tuple(messages), ignored=ignored)


_GROUP_EVENTS = {"join": "join", "leave": "leave", "memberLeft": "member_left"}


def _event(event: dict[str, Any], fallback: datetime) -> InboundMessage | None:
    event_id = clean_id(event.get("webhookEventId"))
    kind = _text_field(event, "type")
    if event_id is None or kind not in ("message", "unsend", *_GROUP_EVENTS):
        return None
    source = event.get("source")
    if not isinstance(source, dict):
        return None
    source_type = _text_field(source, "type")
    user = clean_id(source.get("userId"))
    group = {"group": clean_id(source.get("groupId")), "room": clean_id(source.get("roomId"))}.get(source_type or "")
    if source_type == "user":
        sender, reply_to = user, user
    elif source_type in ("group", "room") and group is not None:
        sender, reply_to = user or group, group
    else:
        return None
    if sender is None or reply_to is None:
        return None
    if kind in _GROUP_EVENTS and source_type == "user":
        return None  # join/leave/memberLeft only ever come from a group or room
    common: dict[str, Any] = {
        "channel": CHANNEL,
        "event_key": PREFIX + event_id,
        "sender_id": sender,
        "received_at": _timestamp(event.get("timestamp"), fallback),
        "reply_to": reply_to,
        "standby": event.get("mode") == "standby",
        "source_type": source_type,
        "group_id": group,
    }
    if kind in _GROUP_EVENTS:
        return _group_event(event, _GROUP_EVENTS[kind], common)
    if kind == "unsend":
        detail = event.get("unsend")
        refers_to = clean_id(detail.get("messageId")) if isinstance(detail, dict) else None
        if refers_to is None:
            return None
        return InboundMessage(kind="unsend", refers_to=refers_to, **common)
    message = event.get("message")
    message_id = clean_id(message.get("id")) if isinstance(message, dict) else None
    if message_id is None:
        return None
    content = _content(message)
    if content is None:
        return None
    return InboundMessage(
        reply_token=clean_id(event.get("replyToken")),
        provider_message_id=message_id,  # what a later unsend event names in `refers_to`
        **common,
        **content,
    )


def _group_event(event: dict[str, Any], kind: str, common: dict[str, Any]) -> InboundMessage | None:
    """`join` (has a reply token), `leave` (none) or `memberLeft` (none; `left.members[]` of user sources)."""
    if kind != "member_left":
        token = clean_id(event.get("replyToken")) if kind == "join" else None
        return InboundMessage(kind=kind, reply_token=token, **common)
    left = event.get("left")
    members = left.get("members") if isinstance(left, dict) else None
    if not isinstance(members, list):
        return None
    ids = tuple(dict.fromkeys(
        uid for uid in (clean_id(m.get("userId")) for m in members if isinstance(m, dict)) if uid
    ))
    return InboundMessage(kind=kind, members=ids, **common)


def _content(message: dict[str, Any]) -> dict[str, Any] | None:
    """The fields of one message object; None for message types we do not take (unknown future types)."""
    kind = _text_field(message, "type")
    message_id = clean_id(message.get("id"))
    if kind == "text":
        return {"kind": "text", "text": clean_text(message.get("text"))}
    if kind in _MEDIA_KINDS:
        fields: dict[str, Any] = {"kind": kind, "media_id": message_id}
        provider = message.get("contentProvider")
        if isinstance(provider, dict) and provider.get("type") == "external":
            # The content lives on a third party's host, not on LINE's data API: never fetch it.
            fields["media_id"] = None
        image_set = message.get("imageSet")
        if kind == "image" and isinstance(image_set, dict):
            fields["group_key"] = clean_id(image_set.get("id"))
        return fields
    if kind == "location":
        return {
            "kind": "location",
            "latitude": _coordinate(message.get("latitude"), 90),
            "longitude": _coordinate(message.get("longitude"), 180),
            "address": clean_text(message.get("address")),
            "text": clean_text(message.get("title")),  # the place name the citizen picked
        }
    if kind == "sticker":
        return {"kind": "sticker", "text": clean_text(message.get("text"))}  # text: message stickers only
    return None


def _text_field(obj: dict[str, Any], key: str) -> str | None:
    """A discriminator such as `type`, only if it is a string (a list there must not crash a lookup)."""
    value = obj.get(key)
    return value if isinstance(value, str) else None


def _timestamp(value: Any, fallback: datetime) -> datetime:
    """Epoch milliseconds → aware UTC; absent or absurd → the caller's `now`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return fallback
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return fallback


def _coordinate(value: Any, limit: int) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value) if isinstance(value, int | float | str) else None
    except (ValueError, OverflowError):
        return None
    if number is None or not math.isfinite(number) or abs(number) > limit:
        return None
    return number


# -- outbound ----------------------------------------------------------------------------------------


def build_send(
    recipient: str,
    text: str,
    settings: ChannelSettings,
    *,
    reply_token: str | None = None,
    retry_key: str | None = None,
) -> HttpRequest:
    """A reply (free, needs the event's single-use token) or else a push with an idempotent retry key.

    Text over 5000 characters goes out as up to 5 text messages (LINE's per-request maximum); anything
    beyond 25 000 characters is cut. The retry key is sent on push only: LINE answers 400 to it on reply.
    """
    messages = [{"type": "text", "text": part} for part in split_text(text)]
    headers = {
        "Authorization": f"Bearer {settings.line_access_token}",
        "Content-Type": "application/json",
    }
    base = settings.line_api_base.rstrip("/")
    if reply_token:
        url = f"{base}/v2/bot/message/reply"
        payload: dict[str, Any] = {"replyToken": reply_token, "messages": messages}
    else:
        url = f"{base}/v2/bot/message/push"
        payload = {"to": recipient, "messages": messages}
        if retry_key:
            headers["X-Line-Retry-Key"] = retry_uuid(retry_key)
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return HttpRequest(method="POST", url=url, headers=headers, body=body)


def retry_uuid(retry_key: str) -> str:
    """`X-Line-Retry-Key` must be a UUID: keep one that is, else derive a stable uuid5 from the key."""
    try:
        return str(uuid.UUID(retry_key))
    except ValueError:
        return str(uuid.uuid5(_RETRY_KEY_NAMESPACE, retry_key))


def split_text(text: str, limit: int = SEND_TEXT_LIMIT, max_parts: int = SEND_MAX_MESSAGES) -> list[str]:
    """Cut text into at most `max_parts` pieces of at most `limit` UTF-16 units, preferring line/word breaks.

    UTF-16 units, because that is how LINE counts (an emoji outside the BMP counts twice); a surrogate
    pair is never split.
    """
    parts: list[str] = []
    rest = text
    while rest and len(parts) < max_parts:
        cut = _utf16_prefix_length(rest, limit)
        if cut < len(rest):
            window = rest[:cut]
            brk = max(window.rfind("\n"), window.rfind(" "))
            if brk > cut // 2:
                cut = brk + 1
        parts.append(rest[:cut])
        rest = rest[cut:]
    return parts or [text]


def _utf16_prefix_length(text: str, limit: int) -> int:
    """How many code points of `text` fit in `limit` UTF-16 code units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def classify(status: int, body: bytes = b"") -> str:
    """LINE's answer: 409 on a push with a retry key means "already accepted" (sent).

    A 400 on reply (expired or used reply token) is permanent: the caller falls back to push. A 429 that
    says the monthly message limit is reached is permanent too: retrying for weeks helps nobody, the caller
    can fall back to SMS; other 429s (rate limits) are retried.
    """
    if status == 409:
        return SENT
    if status == 429 and b"monthly limit" in body.lower():
        return PERMANENT
    return classify_status(status)


def media_request(message_id: str, settings: ChannelSettings) -> HttpRequest | None:
    """GET the content of an image/video/audio/file message from LINE's data API host, with our token."""
    clean = clean_id(message_id)
    if clean is None:
        return None
    base = settings.line_data_base.rstrip("/")
    return HttpRequest(
        method="GET",
        url=f"{base}/v2/bot/message/{urllib.parse.quote(clean, safe='')}/content",
        headers={"Authorization": f"Bearer {settings.line_access_token}"},
    )


def media_download(message_id: str, settings: ChannelSettings, perform: Perform) -> HttpRequest | None:
    """The content is served directly by the data API: one request."""
    return media_request(message_id, settings)


media_redirect = no_redirect


def quota_request(settings: ChannelSettings) -> HttpRequest:
    """GET this month's push quota: `{"type": "limited", "value": N}` or `{"type": "none"}`."""
    return HttpRequest(
        method="GET",
        url=f"{settings.line_api_base.rstrip('/')}/v2/bot/message/quota",
        headers={"Authorization": f"Bearer {settings.line_access_token}"},
    )


def quota_consumption_request(settings: ChannelSettings) -> HttpRequest:
    """GET how many messages counted against the quota this month: `{"totalUsage": N}`."""
    return HttpRequest(
        method="GET",
        url=f"{settings.line_api_base.rstrip('/')}/v2/bot/message/quota/consumption",
        headers={"Authorization": f"Bearer {settings.line_access_token}"},
    )


# -- routing and sending -----------------------------------------------------------------------------


def send(message: OutboundMessage, settings: ChannelSettings) -> Outcome:
    """A reply when the message carries the event's reply token (free), else a push under a retry key (the
    outbox id, so a resend after a lost answer is one message). LINE reply tokens are single-use and
    short-lived: a refused reply goes out again as a push."""
    options: dict[str, Any] = {"retry_key": message.message_id}
    if message.options.get("reply_token"):
        options["reply_token"] = message.options["reply_token"]
    outcome = _send(message, settings, options)
    if outcome.result == PERMANENT and options.get("reply_token"):
        outcome = _send(message, settings, {k: v for k, v in options.items() if k != "reply_token"})
    return outcome


def _send(message: OutboundMessage, settings: ChannelSettings, options: dict[str, Any]) -> Outcome:
    request = build_send(message.recipient, message.body, settings, **options)
    return send_request(request, classify, by_reply=bool(options.get("reply_token")))


def reply_route(message: InboundMessage) -> Route | None:
    """Answers go to the chat (user, group or room), with the reply token when there is one; a chat in standby
    mode belongs to another bot: record only."""
    recipient = message.reply_to or message.sender_id
    if message.standby or not recipient:
        return None
    return CHANNEL, recipient, {"reply_token": message.reply_token} if message.reply_token else {}


def citizen_route(case: Case) -> Route | None:
    """The reporter's LINE user id ("line:…")."""
    uid = case.reporter.channel_user_id or ""
    return (CHANNEL, uid.split(":", 1)[1], {}) if uid.startswith(f"{CHANNEL}:") else None


def alert_route(officer: Officer, title: str) -> Route | None:
    """An officer who linked a LINE account is alerted there by push."""
    return (CHANNEL, officer.line_user_id, {}) if officer.line_user_id else None
