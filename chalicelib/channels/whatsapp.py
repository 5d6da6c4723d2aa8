"""WhatsApp Cloud API: inbound `messages` webhooks, text and template replies, media by Graph id.

Signature and subscription handshake are Meta's (`verify_hub`, `verify_hub_subscription` in base.py). A
delivery may batch several entries, changes and messages, and status-only deliveries (`statuses[]`) are
normal. Since 2026 a citizen who adopted a WhatsApp username may arrive with a business-scoped user id (BSUID,
`from_user_id`, e.g. "ID.1502…") and no phone number; replies to such a citizen address the BSUID with `recipient`.

References: developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages
(and its text, media, location, interactive pages); …/whatsapp/business-scoped-user-ids;
…/whatsapp/cloud-api/reference/messages and /media; …/whatsapp/support/error-codes.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.channels.base import (
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

__all__ = [
    "build_send",
    "classify",
    "is_business_scoped_id",
    "media_download_request",
    "media_request",
    "needs_template",
    "parse",
    "sign",
    "verify",
    "verify_subscription",
]

CHANNEL = "whatsapp"
PREFIX = "wa:"
OBJECT = "whatsapp_business_account"
SEND_TEXT_LIMIT = 4096  # text.body maximum
TEMPLATE_PARAMETER_LIMIT = 1024  # a template body (parameters included) is at most 1024 characters

RE_ENGAGEMENT = 131047  # more than 24 h since the citizen's last message: only a template may go out
# Rate limits (4 app, 80007 WABA, 130429 throughput, 131056 pair rate) and temporary failures
# (1/2 Graph, 131000 unknown, 131016 service unavailable, 133004 server unavailable) are worth retrying.
_RETRY_CODES = frozenset({1, 2, 4, 80007, 130429, 131000, 131016, 131056, 133004})
_MEDIA_KINDS = {"image": "image", "video": "video", "audio": "audio", "document": "file", "sticker": "sticker"}
_MEDIA_HOSTS = frozenset({"lookaside.fbsbx.com"})
_MEDIA_SUFFIXES = (".fbcdn.net", ".whatsapp.net")
_PHONE = re.compile(r"\+?[1-9][0-9]{5,14}")
_GRAPH_ID = re.compile(r"[A-Za-z0-9_-]{1,200}")
_WHITESPACE = re.compile(r"\s+")


def parse(raw_body: bytes, settings: ChannelSettings, *, now: datetime | None = None) -> ParsedDelivery:
    """Every message of every change of every entry; statuses, errors, reactions and other fields are ignored."""
    data = load_object(raw_body)
    if data.get("object") != OBJECT:
        entries = data.get("entry")
        return ParsedDelivery(ignored=len(entries) if isinstance(entries, list) and entries else 1)
    messages: list[InboundMessage] = []
    ignored = 0
    for entry in entries_of(data):
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            ignored += 1
            continue
        for change in changes:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict) or change.get("field") != "messages":
                ignored += 1
                continue
            found, skipped = _messages_of(value, now)
            messages.extend(found)
            ignored += skipped
    return ParsedDelivery(messages=tuple(messages), ignored=ignored)


def _messages_of(value: dict[str, Any], now: datetime | None) -> tuple[list[InboundMessage], int]:
    raw_contacts = value.get("contacts")
    contacts = [c for c in raw_contacts if isinstance(c, dict)] if isinstance(raw_contacts, list) else []
    found: list[InboundMessage] = []
    skipped = 0
    raw_messages = value.get("messages")
    if isinstance(raw_messages, list):
        for raw in raw_messages:
            message = _message(raw, contacts, now)
            if message is None:
                skipped += 1
            else:
                found.append(message)
    for key in ("statuses", "errors"):
        others = value.get(key)
        if isinstance(others, list):
            skipped += len(others)
    if not found and not skipped:
        skipped = 1  # an empty change is still an acknowledged event
    return found, skipped


def _message(raw: Any, contacts: list[dict[str, Any]], now: datetime | None) -> InboundMessage | None:
    if not isinstance(raw, dict):
        return None
    wamid = clean_id(raw.get("id"))
    if wamid is None:
        return None
    sender = raw.get("from")
    digits = sender.lstrip("+") if isinstance(sender, str) and _PHONE.fullmatch(sender) else None
    contact = _contact_for(contacts, digits, clean_id(raw.get("from_user_id")))
    user_id = clean_id(raw.get("from_user_id")) or (clean_id(contact.get("user_id")) if contact else None)
    sender_id = digits or user_id
    if sender_id is None:
        return None
    content = _content(raw)
    if content is None:
        return None
    profile = contact.get("profile") if contact else None
    return InboundMessage(
        channel=CHANNEL,
        event_key=PREFIX + wamid,
        sender_id=sender_id,
        received_at=from_epoch(raw.get("timestamp"), millis=False, now=now),
        sender_name=clean_name(profile.get("name")) if isinstance(profile, dict) else None,
        phone=f"+{digits}" if digits else None,
        reply_to=sender_id,
        **content,
    )


def _contact_for(contacts: list[dict[str, Any]], digits: str | None, user_id: str | None) -> dict[str, Any] | None:
    """The sender's `contacts[]` entry: matched by wa_id or BSUID; a lone contact is the sender."""
    for contact in contacts:
        if (digits and contact.get("wa_id") == digits) or (user_id and contact.get("user_id") == user_id):
            return contact
    return contacts[0] if len(contacts) == 1 else None


def _content(raw: dict[str, Any]) -> dict[str, Any] | None:
    """Kind and content fields of one message, or None for types we do not take (reaction, system, …)."""
    kind = raw.get("type")
    if not isinstance(kind, str):
        return None
    body = raw.get(kind)
    if not isinstance(body, dict):
        return None
    if kind == "text":
        text = clean_text(body.get("body"))
        return {"kind": "text", "text": text} if text else None
    if kind in _MEDIA_KINDS:
        caption = clean_text(body.get("caption"))
        media_id = body.get("id")
        if isinstance(media_id, str) and _GRAPH_ID.fullmatch(media_id):
            media_type = body.get("mime_type")
            media_type = media_type[:100] if isinstance(media_type, str) and media_type.isprintable() else None
            return {"kind": _MEDIA_KINDS[kind], "text": caption, "media_id": media_id, "media_type": media_type}
        return {"kind": "text", "text": caption} if caption else None
    if kind == "location":
        lat, lon = coordinate(body.get("latitude"), 90), coordinate(body.get("longitude"), 180)
        if lat is None or lon is None:
            return None
        place = [part for part in (clean_name(body.get("name")), clean_text(body.get("address"))) if part]
        return {"kind": "location", "latitude": lat, "longitude": lon, "address": ", ".join(place) or None}
    if kind == "interactive":
        reply = body.get(body.get("type")) if body.get("type") in ("button_reply", "list_reply") else None
        text = clean_text(reply.get("title")) if isinstance(reply, dict) else None
        return {"kind": "text", "text": text} if text else None
    if kind == "button":  # quick-reply button of a template
        text = clean_text(body.get("text"))
        return {"kind": "text", "text": text} if text else None
    return None


def is_business_scoped_id(recipient: str) -> bool:
    """A BSUID ("ID.1502…", "US.ENT.…") rather than a phone number: it is addressed with `recipient`."""
    return not _PHONE.fullmatch(recipient)


def build_send(
    recipient: str,
    text: str,
    settings: ChannelSettings,
    *,
    template: str | None = None,
    language: str = "id",
) -> HttpRequest:
    """A text reply (inside the 24 h window), or an approved template whose one body parameter is `text`.

    Text longer than the API accepts is cut rather than refused. Template parameters may not contain
    newlines, tabs or runs of more than four spaces (Meta rejects the message), so whitespace is collapsed.
    """
    address = {"recipient": recipient} if is_business_scoped_id(recipient) else {"to": recipient}
    payload: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual", **address}
    if template:
        parameter = _WHITESPACE.sub(" ", text).strip()[:TEMPLATE_PARAMETER_LIMIT]
        payload["type"] = "template"
        payload["template"] = {
            "name": template,
            "language": {"code": language},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": parameter}]}],
        }
    else:
        payload["type"] = "text"
        payload["text"] = {"preview_url": False, "body": text[:SEND_TEXT_LIMIT]}
    return HttpRequest(
        method="POST",
        url=f"{settings.graph_base.rstrip('/')}/{settings.whatsapp_phone_number_id}/messages",
        headers={"Authorization": f"Bearer {settings.whatsapp_access_token}", "Content-Type": "application/json"},
        body=json_body(payload),
    )


def needs_template(status: int, body: bytes) -> bool:
    """The free-form reply was refused because the 24 h window is closed: resend it as a template."""
    return not 200 <= status < 300 and graph_error(body)[0] == RE_ENGAGEMENT


def classify(status: int, body: bytes) -> str:
    """SENT / RETRY / PERMANENT for a Cloud API answer; Graph error codes refine the HTTP status."""
    if 200 <= status < 300:
        return SENT
    code = graph_error(body)[0]
    if code == RE_ENGAGEMENT:
        return PERMANENT
    if code in _RETRY_CODES:
        return RETRY
    return classify_status(status)


def media_request(media_id: str, settings: ChannelSettings) -> HttpRequest | None:
    """GET {graph_base}/{media_id}: JSON with a download `url` valid for about five minutes.

    The id comes from a payload, so it must be a bare Graph id (no path, query or dots) before it goes
    into a URL that carries our token.
    """
    if not isinstance(media_id, str) or not _GRAPH_ID.fullmatch(media_id) or not settings.whatsapp_access_token:
        return None
    return HttpRequest(
        method="GET",
        url=f"{settings.graph_base.rstrip('/')}/{media_id}",
        headers={"Authorization": f"Bearer {settings.whatsapp_access_token}"},
    )


def media_download_request(url: str, settings: ChannelSettings) -> HttpRequest | None:
    """GET of the media `url` returned by `media_request`, only on Meta's media hosts (token required there)."""
    if not settings.whatsapp_access_token:
        return None
    if not host_matches(url, hosts=_MEDIA_HOSTS, suffixes=_MEDIA_SUFFIXES, base=settings.graph_base):
        return None
    return HttpRequest(method="GET", url=url, headers={"Authorization": f"Bearer {settings.whatsapp_access_token}"})


def media_download(media_id: str, settings: ChannelSettings, perform: Perform) -> HttpRequest | None:
    """Look the Graph media id up (its answer names a short-lived download `url`), then GET that url."""
    lookup = media_request(media_id, settings)
    if lookup is None:
        return None
    found = perform(lookup)
    answer = json.loads(found.body or b"{}") if found.status == 200 else {}
    url = answer.get("url") if isinstance(answer, dict) else None
    return media_download_request(url, settings) if isinstance(url, str) else None


media_redirect = no_redirect
alert_route = no_alerts


def send(message: OutboundMessage, settings: ChannelSettings) -> Outcome:
    """A text (or the template the message asks for); refused because the 24 h window is closed, it goes out
    again as the approved template, the only message WhatsApp allows then."""
    options = {"template": message.options["template"]} if message.options.get("template") else {}
    outcome = send_request(build_send(message.recipient, message.body, settings, **options), classify)
    if outcome.result == PERMANENT and outcome.response is not None and needs_template(*outcome.response):
        template = {"template": settings.whatsapp_template}
        outcome = send_request(build_send(message.recipient, message.body, settings, **template), classify)
    return outcome


def reply_route(message: InboundMessage) -> Route | None:
    """Answers go to the sender's wa_id (or BSUID)."""
    recipient = message.reply_to or message.sender_id
    return (CHANNEL, recipient, {}) if recipient else None


def citizen_route(case: Case) -> Route | None:
    """The reporter's WhatsApp id ("whatsapp:…"), else their phone number as a wa_id."""
    uid = case.reporter.channel_user_id or ""
    if uid.startswith(f"{CHANNEL}:"):
        return CHANNEL, uid.split(":", 1)[1], {}
    if case.reporter.phone:
        return CHANNEL, case.reporter.phone.lstrip("+"), {}
    return None
