"""Telegram Bot API: webhook secret token, Update objects, sendMessage, and the two-step file download.

Wire contract: https://core.telegram.org/bots/api (setWebhook `secret_token`, Update, Message, PhotoSize,
Document, Location, Venue, Contact, sendMessage, getFile, File, ResponseParameters). Pure: stdlib only.
Every request built here carries the bot token in its URL path, as Telegram requires: never log a URL.
"""

from __future__ import annotations

import hmac
import json
import math
import urllib.parse
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
    no_alerts,
    no_redirect,
    send_request,
)
from chalicelib.domain.messages import InboundMessage, OutboundMessage
from chalicelib.settings import ChannelSettings

if TYPE_CHECKING:
    from chalicelib.domain.case import Case

CHANNEL = "telegram"
PREFIX = "tg:"
SIGNATURE_HEADER = "x-telegram-bot-api-secret-token"

MAX_NAME = 200
SEND_TEXT_LIMIT = 4096  # sendMessage: 1-4096 characters (counted here in UTF-16 units, like Telegram's entities)

# Media fields of a Message, in the order we look at them: (field, our kind).
_MEDIA_FIELDS = (
    ("document", "file"),
    ("video", "video"),
    ("video_note", "video"),
    ("voice", "audio"),
    ("audio", "audio"),
)


# -- authenticity ------------------------------------------------------------------------------------


def sign(raw_body: bytes, secret: str) -> str:
    """The header value Telegram sends: the `secret_token` given to setWebhook, whatever the body."""
    return secret


def verify(
    raw_body: bytes,
    headers: Mapping[str, str],
    settings: ChannelSettings,
    *,
    url: str | None = None,
    query: Mapping[str, str] | None = None,
) -> bool:
    """Constant-time comparison of `X-Telegram-Bot-Api-Secret-Token`; no secret configured → False."""
    secret = settings.telegram_secret_token
    given = headers.get(SIGNATURE_HEADER) if headers else None
    if not secret or not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(secret.encode("utf-8"), given.encode("utf-8", "replace"))


# -- inbound -----------------------------------------------------------------------------------------


def parse(raw_body: bytes, settings: ChannelSettings, *, now: datetime | None = None) -> ParsedDelivery:
    """One Update → at most one message. Only `message` is taken; edits, channel posts, callbacks etc. are
    ignored, and so are messages from bots, without a sender or chat, or with nothing we can store.

    A shared contact gives a phone number only when it is the sender's own (`contact.user_id == from.id`),
    kept as "+" and digits; the message kind is then "other". `/start` is an ordinary text message.
    """
    try:
        update = json.loads(raw_body)
    except (ValueError, RecursionError) as exc:
        raise MalformedPayload("Telegram update is not JSON") from exc
    if not isinstance(update, dict):
        raise MalformedPayload("Telegram update is not an object")
    update_id = update.get("update_id")
    if isinstance(update_id, bool) or not isinstance(update_id, int) or clean_id(update_id) is None:
        raise MalformedPayload("Telegram update has no update_id")
    message = update.get("message")
    parsed = _message(message, PREFIX + str(update_id), now or datetime.now(UTC)) if isinstance(message, dict) else None
    if parsed is None:
        return ParsedDelivery(ignored=1)
    return ParsedDelivery(messages=(parsed,))


def _message(message: dict[str, Any], event_key: str, fallback: datetime) -> InboundMessage | None:
    sender = message.get("from")
    chat = message.get("chat")
    if not isinstance(sender, dict) or not isinstance(chat, dict) or sender.get("is_bot") is True:
        return None
    sender_id = clean_id(sender.get("id"))
    chat_id = clean_id(chat.get("id"))
    if sender_id is None or chat_id is None:
        return None
    content = _content(message, sender.get("id"))
    if content is None:
        return None
    return InboundMessage(
        channel=CHANNEL,
        event_key=event_key,
        sender_id=sender_id,
        reply_to=chat_id,
        sender_name=_name(sender),
        received_at=_timestamp(message.get("date"), fallback),
        **content,
    )


def _content(message: dict[str, Any], sender_id: Any) -> dict[str, Any] | None:
    text = clean_text(message.get("text")) or clean_text(message.get("caption"))
    photo = message.get("photo")
    if isinstance(photo, list):
        sizes = [size for size in photo if isinstance(size, dict) and clean_id(size.get("file_id"))]
        if sizes:  # PhotoSize array, smallest first: the last is the largest
            return {
                "kind": "image",
                "media_id": clean_id(sizes[-1]["file_id"]),
                "media_type": "image/jpeg",
                "text": text,
            }
    for field, kind in _MEDIA_FIELDS:
        media = message.get(field)
        if isinstance(media, dict) and clean_id(media.get("file_id")):
            return {
                "kind": kind,
                "media_id": clean_id(media.get("file_id")),
                "media_type": _mime(media.get("mime_type")),
                "text": text,
            }
    if isinstance(message.get("sticker"), dict):
        return {"kind": "sticker", "text": text}
    location = message.get("location")
    if isinstance(location, dict):
        venue = message.get("venue") if isinstance(message.get("venue"), dict) else {}
        return {
            "kind": "location",
            "latitude": _coordinate(location.get("latitude"), 90),
            "longitude": _coordinate(location.get("longitude"), 180),
            "address": clean_text(venue.get("address")),
            "text": clean_text(venue.get("title")) or text,
        }
    contact = message.get("contact")
    if isinstance(contact, dict):
        owner = clean_id(contact.get("user_id"))
        own = owner is not None and owner == clean_id(sender_id)  # a citizen sharing their OWN number
        return {"kind": "other", "phone": _phone(contact.get("phone_number")) if own else None}
    if text is not None:
        return {"kind": "text", "text": text}
    return None


def _name(user: dict[str, Any]) -> str | None:
    parts = [user.get("first_name"), user.get("last_name")]
    name = " ".join(part.strip() for part in parts if isinstance(part, str) and part.strip())
    if not name and isinstance(user.get("username"), str):
        name = user["username"].strip()
    return name[:MAX_NAME] or None


def _phone(value: Any) -> str | None:
    """Telegram gives the number with or without "+": keep "+" and the digits (E.164 checks come later)."""
    if not isinstance(value, str):
        return None
    digits = "".join(char for char in value if char in "0123456789")
    return "+" + digits if 6 <= len(digits) <= 15 else None


def _mime(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip().lower()
    return value if 0 < len(value) <= 100 and value.count("/") == 1 and " " not in value else None


def _timestamp(value: Any, fallback: datetime) -> datetime:
    """Unix time in seconds → aware UTC; absent or absurd → the caller's `now`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return fallback
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return fallback


def _coordinate(value: Any, limit: int) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) and abs(number) <= limit else None






# -- outbound ----------------------------------------------------------------------------------------


def _bot_url(settings: ChannelSettings, method: str) -> str:
    return f"{settings.telegram_api_base.rstrip('/')}/bot{settings.telegram_bot_token}/{method}"


def build_send(chat_id: str, text: str, settings: ChannelSettings, **options: Any) -> HttpRequest:
    """sendMessage with the first 4096 characters only: our replies are short, and a cut answer beats a
    400 that would leave the citizen with nothing (the tracking number comes first in every template).
    """
    payload = {"chat_id": chat_id, "text": text[: _utf16_prefix_length(text, SEND_TEXT_LIMIT)]}
    return HttpRequest(
        method="POST",
        url=_bot_url(settings, "sendMessage"),
        headers={"Content-Type": "application/json"},
        body=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
    )


def _utf16_prefix_length(text: str, limit: int) -> int:
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def _answer(body: bytes) -> dict[str, Any] | None:
    try:
        answer = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return answer if isinstance(answer, dict) else None


def classify(status: int, body: bytes = b"") -> str:
    """2xx is sent unless the body says `"ok": false`; 429 and 5xx are retried; 400/403 (chat not found,
    bot blocked by the user) and other 4xx are permanent.

    A 2xx whose body is unreadable counts as sent: Telegram accepted the request, and resending it could
    show the citizen the same message twice.
    """
    if 200 <= status < 300:
        answer = _answer(body)
        return PERMANENT if answer is not None and answer.get("ok") is False else SENT
    return classify_status(status)


def retry_after(body: bytes) -> int | None:
    """Seconds Telegram asks us to wait (`parameters.retry_after` of a 429 answer), if it says."""
    answer = _answer(body)
    parameters = answer.get("parameters") if answer else None
    value = parameters.get("retry_after") if isinstance(parameters, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 86_400:
        return None
    return value


# -- media -------------------------------------------------------------------------------------------


def get_file_request(file_id: str, settings: ChannelSettings) -> HttpRequest | None:
    """Step 1 of a download: getFile turns a file_id into a `file_path` (link valid for at least an hour)."""
    clean = clean_id(file_id)
    if clean is None:
        return None
    return HttpRequest(
        method="POST",
        url=_bot_url(settings, "getFile"),
        headers={"Content-Type": "application/json"},
        body=json.dumps({"file_id": clean}).encode("utf-8"),
    )


def file_path_from(body: bytes) -> str | None:
    """The `result.file_path` of a getFile answer, if it is a safe relative path."""
    answer = _answer(body)
    result = answer.get("result") if answer and answer.get("ok") is True else None
    path = result.get("file_path") if isinstance(result, dict) else None
    return path if _safe_path(path) else None


def file_download_request(file_path: str, settings: ChannelSettings) -> HttpRequest | None:
    """Step 2: GET /file/bot<token>/<file_path> on Telegram's own host; an unsafe path gives None."""
    if not _safe_path(file_path):
        return None
    base = settings.telegram_api_base.rstrip("/")
    quoted = urllib.parse.quote(file_path, safe="/")
    return HttpRequest(method="GET", url=f"{base}/file/bot{settings.telegram_bot_token}/{quoted}")


def _safe_path(path: Any) -> bool:
    if not isinstance(path, str) or not 0 < len(path) <= 500 or path.startswith("/"):
        return False
    if any(char in path for char in "?#\\:%") or any(ord(char) < 0x21 for char in path):
        return False
    return ".." not in path.split("/")


def media_request(file_id: str, settings: ChannelSettings) -> HttpRequest | None:
    """The first of the two requests a Telegram download takes (see `get_file_request`)."""
    return get_file_request(file_id, settings)


def media_download(file_id: str, settings: ChannelSettings, perform: Perform) -> HttpRequest | None:
    """getFile first (it names the file's path), then the download of that path."""
    lookup = get_file_request(file_id, settings)
    if lookup is None:
        return None
    found = perform(lookup)
    path = file_path_from(found.body) if found.status == 200 else None
    return file_download_request(path, settings) if path else None


media_redirect = no_redirect


# -- routing and sending -----------------------------------------------------------------------------


def send(message: OutboundMessage, settings: ChannelSettings) -> Outcome:
    """One sendMessage to the chat."""
    return send_request(build_send(message.recipient, message.body, settings), classify)


def reply_route(message: InboundMessage) -> Route | None:
    """Answers go to the chat the message came from."""
    recipient = message.reply_to or message.sender_id
    return (CHANNEL, recipient, {}) if recipient else None


def citizen_route(case: Case) -> Route | None:
    """The reporter's chat id ("telegram:…")."""
    uid = case.reporter.channel_user_id or ""
    return (CHANNEL, uid.split(":", 1)[1], {}) if uid.startswith(f"{CHANNEL}:") else None


alert_route = no_alerts
