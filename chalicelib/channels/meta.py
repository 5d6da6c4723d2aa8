"""Meta platform: the signature and handshake shared by WhatsApp Cloud, Messenger and Instagram, and the
Messenger + Instagram channel itself.

Meta signs every webhook POST with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`
over the bytes exactly as sent (escaped unicode included), and subscribes a callback URL with a GET
handshake that must echo `hub.challenge`. Messenger (`object: "page"`) and Instagram (`object: "instagram"`)
deliver chat events in `entry[].messaging[]`; Instagram also echoes our own replies (`is_echo`).

References: developers.facebook.com/docs/graph-api/webhooks/getting-started (handshake, signature);
messenger-platform/webhooks/webhook-events/messages and message-echoes; instagram-platform/webhooks;
messenger-platform/reference/send-api; messenger-platform/error-codes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from chalicelib.channels.base import (
    PERMANENT,
    RETRY,
    SENT,
    HttpRequest,
    MalformedPayload,
    ParsedDelivery,
    classify_status,
    clean_id,
    clean_text,
)
from chalicelib.domain.messages import InboundMessage
from chalicelib.settings import ChannelSettings

PREFIX = "meta:"
SIGNATURE_HEADER = "x-hub-signature-256"
MAX_NAME = 200
SEND_TEXT_LIMIT = 2000  # Send API: text messages are limited to 2000 characters

# Graph error codes that mean "try again later" on the Send API (Messenger error-codes page: 1/2 temporary,
# 4/17/32/613 rate limits, 1200 temporary send failure).
_MESSENGER_RETRY_CODES = frozenset({1, 2, 4, 17, 32, 613, 1200})
_OUTSIDE_WINDOW = (10, 2018278)  # code 10, subcode 2018278: message sent outside the allowed window
_CDN_SUFFIXES = (".fbcdn.net", ".cdninstagram.com")
_CDN_HOSTS = frozenset({"lookaside.fbsbx.com"})
_CHANNELS = {"page": "messenger", "instagram": "instagram"}
_ATTACHMENT_KINDS = {"image": "image", "video": "video", "audio": "audio", "file": "file", "sticker": "sticker"}


# --- shared Meta helpers (also used by whatsapp.py) ------------------------------------------------------------


def sign(raw_body: bytes, app_secret: str) -> str:
    """The `X-Hub-Signature-256` value Meta sends for these bytes (for the simulator and tests)."""
    return "sha256=" + hmac.new(app_secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()


def verify(
    raw_body: bytes,
    headers: Mapping[str, str],
    settings: ChannelSettings,
    *,
    url: str | None = None,
    query: Mapping[str, str] | None = None,
) -> bool:
    """True only if the body carries a valid app-secret signature; no secret configured means reject."""
    if not settings.meta_app_secret:
        return False
    received = headers.get(SIGNATURE_HEADER)
    if not isinstance(received, str) or not received.isascii():
        return False
    expected = sign(raw_body, settings.meta_app_secret)
    return hmac.compare_digest(expected.encode("ascii"), received.strip().lower().encode("ascii"))


def verify_subscription(params: Mapping[str, str], settings: ChannelSettings) -> str | None:
    """The GET handshake: the challenge to echo as text/plain 200, or None (answer 403)."""
    if not settings.meta_verify_token:
        return None
    mode, token, challenge = params.get("hub.mode"), params.get("hub.verify_token"), params.get("hub.challenge")
    if mode != "subscribe" or not isinstance(token, str) or not isinstance(challenge, str) or not challenge:
        return None
    if not hmac.compare_digest(token.encode("utf-8", "replace"), settings.meta_verify_token.encode("utf-8")):
        return None
    return challenge


def load_object(raw_body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or MalformedPayload (never another exception)."""
    try:
        data = json.loads(raw_body)
    except (ValueError, TypeError, RecursionError) as error:
        raise MalformedPayload("body is not JSON") from error
    if not isinstance(data, dict):
        raise MalformedPayload("body is not a JSON object")
    return data


def entries_of(data: Mapping[str, Any]) -> list[Any]:
    entries = data.get("entry")
    if not isinstance(entries, list):
        raise MalformedPayload("entry is not a list")
    return entries






def clean_name(value: Any) -> str | None:
    text = clean_text(value)
    return text[:MAX_NAME] if text else None


def coordinate(value: Any, limit: float) -> float | None:
    """A finite coordinate within ±limit (numbers or numeric strings), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    if not math.isfinite(number) or abs(number) > limit:
        return None
    return number


def from_epoch(value: Any, *, millis: bool, now: datetime | None) -> datetime:
    """Aware UTC time from a provider epoch (seconds or ms, number or digit string); falls back to `now`."""
    if isinstance(value, str) and _is_digits(value.strip(), 16):
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        try:
            return datetime.fromtimestamp(value / 1000 if millis else value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            pass
    return now if now is not None else datetime.now(UTC)


def graph_error(body: bytes) -> tuple[int | None, int | None]:
    """(code, error_subcode) of a Graph API error body, or (None, None)."""
    try:
        data = json.loads(body)
    except (ValueError, TypeError, RecursionError):
        return None, None
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return None, None
    return _as_int(error.get("code")), _as_int(error.get("error_subcode"))


def _as_int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _is_digits(value, 12):
        return int(value)
    return None


def _is_digits(value: str, max_len: int) -> bool:
    return 0 < len(value) <= max_len and value.isascii() and value.isdigit()


def json_body(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace")


def host_matches(url: Any, *, hosts: frozenset[str], suffixes: tuple[str, ...], base: str | None = None) -> bool:
    """Whether `url` is https on one of the provider's own hosts (or on the configured API base's host).

    The API base counts so tests can point a channel at a fake provider on loopback. URLs with credentials
    or a non-default port are refused.
    """
    if not isinstance(url, str) or len(url) > 4096 or not url.isprintable():
        return False
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    if parts.username is not None or parts.password is not None:
        return False
    host = (parts.hostname or "").lower()
    on_provider_host = host in hosts or any(host.endswith(suffix) for suffix in suffixes)
    if parts.scheme == "https" and port in (None, 443) and host and on_provider_host:
        return True
    if base:
        try:
            base_parts = urlsplit(base)
        except ValueError:
            return False
        return bool(host) and (parts.scheme, parts.netloc.lower()) == (base_parts.scheme, base_parts.netloc.lower())
    return False


# --- Messenger + Instagram -----------------------------------------------------------------------------------------


def is_meta_cdn_url(url: Any, settings: ChannelSettings) -> bool:
    """Attachment URLs we accept from a payload: Meta's CDN (fbcdn, cdninstagram, lookaside.fbsbx.com)."""
    return host_matches(url, hosts=_CDN_HOSTS, suffixes=_CDN_SUFFIXES, base=settings.graph_base)


def parse(raw_body: bytes, settings: ChannelSettings, *, now: datetime | None = None) -> ParsedDelivery:
    """Messenger / Instagram messages from `entry[].messaging[]` (and `standby[]`, recorded as standby).

    Echoes of our own replies, deliveries, reads, postbacks, reactions, deleted messages and Instagram
    `changes` (comments, mentions) are acknowledged and counted as ignored.
    """
    data = load_object(raw_body)
    obj = data.get("object")
    channel = _CHANNELS.get(obj) if isinstance(obj, str) else None
    if channel is None:
        entries = data.get("entry")
        return ParsedDelivery(ignored=len(entries) if isinstance(entries, list) and entries else 1)
    messages: list[InboundMessage] = []
    ignored = 0
    for entry in entries_of(data):
        if not isinstance(entry, dict):
            ignored += 1
            continue
        for key, standby in (("messaging", False), ("standby", True)):
            events = entry.get(key)
            if not isinstance(events, list):
                continue
            for event in events:
                message = _messaging_event(event, channel, standby, settings, now)
                if message is None:
                    ignored += 1
                else:
                    messages.append(message)
        changes = entry.get("changes")
        if isinstance(changes, list):
            ignored += len(changes)
    return ParsedDelivery(messages=tuple(messages), ignored=ignored)


def _messaging_event(
    event: Any, channel: str, standby: bool, settings: ChannelSettings, now: datetime | None
) -> InboundMessage | None:
    if not isinstance(event, dict):
        return None
    message = event.get("message")
    if not isinstance(message, dict) or message.get("is_echo") or message.get("is_deleted"):
        return None
    if message.get("is_unsupported"):
        return None
    sender = event.get("sender")
    sender_id = clean_id(sender.get("id")) if isinstance(sender, dict) else None
    mid = clean_id(message.get("mid"))
    if sender_id is None or mid is None:
        return None
    text = clean_text(message.get("text"))
    fields: dict[str, Any] = {}
    attachments = message.get("attachments")
    if isinstance(attachments, list):
        fields = _attachment_fields([a for a in attachments if isinstance(a, dict)], settings)
    kind = fields.pop("kind", None) or ("text" if text else None)
    if kind is None:
        return None  # nothing we can use (fallback links, templates, shares without text)
    return InboundMessage(
        channel=channel,
        event_key=PREFIX + mid,
        sender_id=sender_id,
        received_at=from_epoch(event.get("timestamp"), millis=True, now=now),
        kind=kind,
        text=text,
        reply_to=sender_id,
        standby=standby,
        **fields,
    )


def _attachment_fields(attachments: list[dict[str, Any]], settings: ChannelSettings) -> dict[str, Any]:
    """Kind, media URL (Meta CDN only) or location of the first usable attachment.

    During Meta's sticker transition a sticker arrives as both a `sticker` and an `image` attachment: the
    sticker wins so it is not filed as a photo.
    """
    location = next((a for a in attachments if a.get("type") == "location"), None)
    if location is not None:
        payload = location.get("payload")
        coords = payload.get("coordinates") if isinstance(payload, dict) else None
        if isinstance(coords, dict):
            lat, lon = coordinate(coords.get("lat"), 90), coordinate(coords.get("long"), 180)
            if lat is not None and lon is not None:
                title = clean_name(payload.get("title")) if isinstance(payload, dict) else None
                return {"kind": "location", "latitude": lat, "longitude": lon, "address": title}
    for attachment in sorted(attachments, key=lambda a: a.get("type") != "sticker"):
        kind_of = attachment.get("type")
        kind = _ATTACHMENT_KINDS.get(kind_of) if isinstance(kind_of, str) else None
        if kind is None:
            continue
        payload = attachment.get("payload")
        url = payload.get("url") if isinstance(payload, dict) else None
        if is_meta_cdn_url(url, settings):
            return {"kind": kind, "media_id": url}
        if kind == "sticker":
            return {"kind": "sticker"}
        return {}  # media from an unexpected host: drop it, keep any text
    return {}


def build_send(
    recipient: str,
    text: str,
    settings: ChannelSettings,
    *,
    messaging_type: str = "RESPONSE",
    tag: str | None = None,
) -> HttpRequest:
    """Send API request for a text reply (cut to 2000 characters) to a PSID / IGSID; the Page token covers Instagram.

    `/me/messages` with the Page token is the Page's own `/{page-id}/messages`. Outside the 24 h window a
    reply needs a message tag (e.g. HUMAN_AGENT, which Meta must approve): pass `tag=`.
    """
    payload: dict[str, Any] = {"recipient": {"id": recipient}, "messaging_type": messaging_type}
    if tag:
        payload["messaging_type"] = "MESSAGE_TAG"
        payload["tag"] = tag
    payload["message"] = {"text": text[:SEND_TEXT_LIMIT]}
    return HttpRequest(
        method="POST",
        url=f"{settings.graph_base.rstrip('/')}/me/messages",
        headers={"Authorization": f"Bearer {settings.meta_page_token}", "Content-Type": "application/json"},
        body=json_body(payload),
    )


def outside_window(status: int, body: bytes) -> bool:
    """Meta refused the reply because the person's 24 h window is closed (code 10, subcode 2018278)."""
    return not 200 <= status < 300 and graph_error(body) == _OUTSIDE_WINDOW


def classify(status: int, body: bytes) -> str:
    """SENT / RETRY / PERMANENT for a Send API answer: rate limits and temporary failures retry."""
    if 200 <= status < 300:
        return SENT
    code, subcode = graph_error(body)
    if (code, subcode) == _OUTSIDE_WINDOW:
        return PERMANENT
    if code in _MESSENGER_RETRY_CODES:
        return RETRY
    return classify_status(status)


def media_request(media_id: str, settings: ChannelSettings) -> HttpRequest | None:
    """GET of an attachment URL, only on Meta's CDN. CDN links are pre-signed: no token is sent with them."""
    if not is_meta_cdn_url(media_id, settings):
        return None
    return HttpRequest(method="GET", url=media_id)
