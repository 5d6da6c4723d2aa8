"""Meta platform: Messenger + Instagram (the signature and handshake they share with WhatsApp Cloud live in
base.py, as `sign_hub`, `verify_hub` and `verify_hub_subscription`).

Meta signs every webhook POST with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`
over the bytes exactly as sent (escaped unicode included), and subscribes a callback URL with a GET
handshake that must echo `hub.challenge`. Messenger (`object: "page"`) and Instagram (`object: "instagram"`)
deliver chat events in `entry[].messaging[]`; Instagram also echoes our own replies (`is_echo`).

References: developers.facebook.com/docs/graph-api/webhooks/getting-started (handshake, signature);
messenger-platform/webhooks/webhook-events/messages and message-echoes; instagram-platform/webhooks;
messenger-platform/reference/send-api; messenger-platform/error-codes.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.channels.base import (
    HUB_SIGNATURE_HEADER,
    PERMANENT,
    RETRY,
    SENT,
    HttpRequest,
    Outcome,
    ParsedDelivery,
    Perform,
    Route,
    classify_status,
    clean_id,
    clean_name,
    clean_text,
    coordinate,
    entries_of,
    from_epoch,
    graph_error,
    host_matches,
    json_body,
    load_object,
    no_alerts,
    no_redirect,
    send_request,
)
from chalicelib.channels.base import sign_hub as sign
from chalicelib.channels.base import verify_hub as verify
from chalicelib.channels.base import verify_hub_subscription as verify_subscription
from chalicelib.domain.messages import InboundMessage, OutboundMessage
from chalicelib.settings import ChannelSettings

if TYPE_CHECKING:
    from chalicelib.domain.case import Case

__all__ = ["build_send", "classify", "media_request", "outside_window", "parse", "sign", "verify",
           "verify_subscription"]

PREFIX = "meta:"
SIGNATURE_HEADER = HUB_SIGNATURE_HEADER
SEND_TEXT_LIMIT = 2000  # Send API: text messages are limited to 2000 characters

# Graph error codes that mean "try again later" on the Send API (Messenger error-codes page: 1/2 temporary,
# 4/17/32/613 rate limits, 1200 temporary send failure).
_MESSENGER_RETRY_CODES = frozenset({1, 2, 4, 17, 32, 613, 1200})
_OUTSIDE_WINDOW = (10, 2018278)  # code 10, subcode 2018278: message sent outside the allowed window
_CDN_SUFFIXES = (".fbcdn.net", ".cdninstagram.com")
_CDN_HOSTS = frozenset({"lookaside.fbsbx.com"})
_CHANNELS = {"page": "messenger", "instagram": "instagram"}
_ATTACHMENT_KINDS = {"image": "image", "video": "video", "audio": "audio", "file": "file", "sticker": "sticker"}


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


def media_download(media_id: str, settings: ChannelSettings, perform: Perform) -> HttpRequest | None:
    """Attachments are pre-signed CDN links: the download is the one request."""
    return media_request(media_id, settings)


media_redirect = no_redirect
alert_route = no_alerts


def send(message: OutboundMessage, settings: ChannelSettings) -> Outcome:
    """A Send API text to the PSID / IGSID."""
    return send_request(build_send(message.recipient, message.body, settings), classify)


def reply_route(message: InboundMessage) -> Route | None:
    """Answers go back to the sender's PSID / IGSID on the channel it wrote on."""
    recipient = message.reply_to or message.sender_id
    return (message.channel, recipient, {}) if recipient else None


def citizen_route(case: Case) -> Route | None:
    """The reporter's PSID / IGSID, kept in the reporter's channel user id ("messenger:…", "instagram:…")."""
    channel, uid = case.channel.value, case.reporter.channel_user_id or ""
    return (channel, uid.split(":", 1)[1], {}) if uid.startswith(f"{channel}:") else None
