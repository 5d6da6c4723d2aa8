"""Twilio Programmable Messaging: SMS and WhatsApp-through-Twilio on one form-encoded webhook.

Twilio signs the exact URL it called plus every form parameter (sorted by name, blanks included) with
HMAC-SHA1 under the account auth token, expects TwiML back within 15 s and does not retry by default:
a request we fail to take is a lost message. Media sit behind basic auth on api.twilio.com, which
answers with a redirect to a short-lived link on Twilio's media CDN.

References: twilio.com/docs/usage/webhooks/webhooks-security (signature, ports, SharedKey rules);
twilio.com/docs/messaging/guides/webhook-request (form fields); twilio.com/docs/messaging/twiml;
twilio.com/docs/messaging/api/message-resource and media-resource; twilio.com/docs/api/errors.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from chalicelib.channels.base import (
    PERMANENT,
    RETRY,
    SENT,
    HttpRequest,
    MalformedPayload,
    Outcome,
    ParsedDelivery,
    Perform,
    Route,
    classify_status,
    clean_id,
    clean_name,
    clean_text,
    coordinate,
    no_alerts,
    send_request,
)
from chalicelib.domain.messages import InboundMessage, OutboundMessage
from chalicelib.settings import ChannelSettings

if TYPE_CHECKING:
    from chalicelib.domain.case import Case

PREFIX = "tw:"
SIGNATURE_HEADER = "x-twilio-signature"
# Present when a Webhooks Rule makes Twilio sign with a SharedKey (and maybe HMAC-SHA256) instead of the
# auth token: we hold no SharedKey, so such a request cannot be verified here.
SIGNATURE_SETTINGS_HEADER = "x-twilio-webhooks-signature-settings"
WHATSAPP = "whatsapp:"
SEND_TEXT_LIMIT = 1600  # Messages resource: Body is at most 1600 characters

OUTSIDE_WINDOW = 63016  # WhatsApp: free-form message outside the 24 h window
_RETRY_CODES = frozenset({20429, 20500, 20503})  # too many requests, internal error, service unavailable
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_DIGITS = re.compile(r"[1-9][0-9]{1,14}")
_SID = re.compile(r"[A-Za-z0-9_-]{1,200}")
_MEDIA_PATH = re.compile(r"/2010-04-01/Accounts/[A-Za-z0-9]+/Messages/[A-Za-z0-9]+/Media/[A-Za-z0-9]+")
_MEDIA_CDN_SUFFIX = ".twiliocdn.com"
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # not allowed in XML 1.0
_MAX_FIELDS = 1000


def sign(url: str, params: Mapping[str, str] | Iterable[tuple[str, str]], auth_token: str) -> str:
    """The `X-Twilio-Signature` Twilio sends for this URL and form (for the simulator and tests).

    Parameters are sorted by name; repeated names contribute each distinct value in sorted order, as
    Twilio's own validator computes it.
    """
    pairs = params.items() if isinstance(params, Mapping) else params
    grouped: dict[str, set[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, set()).add(value)
    data = url + "".join(name + value for name in sorted(grouped) for value in sorted(grouped[name]))
    digest = hmac.new(auth_token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def verify(
    raw_body: bytes,
    headers: Mapping[str, str],
    settings: ChannelSettings,
    *,
    url: str | None = None,
    query: Mapping[str, str] | None = None,
) -> bool:
    """True only for a valid auth-token signature over the public URL (query included) and the whole form.

    `url` is the exact URL Twilio called (default: `settings.twilio_public_url`); the variant with or
    without an explicit default port is accepted too, since Twilio is inconsistent about it.
    """
    token, public_url = settings.twilio_auth_token, url or settings.twilio_public_url
    received = headers.get(SIGNATURE_HEADER)
    if not token or not public_url or not isinstance(received, str) or not received.isascii():
        return False
    if headers.get(SIGNATURE_SETTINGS_HEADER):
        return False
    try:
        params = parse_qsl(raw_body.decode("utf-8"), keep_blank_values=True, max_num_fields=_MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        return False
    received_bytes = received.strip().encode("ascii")
    valid = False
    for candidate in _url_variants(public_url):
        valid |= hmac.compare_digest(sign(candidate, params, token).encode("ascii"), received_bytes)
    return valid


def _url_variants(url: str) -> list[str]:
    """The URL as given, without its port, and with the scheme's default port (Twilio's validator does the same)."""
    variants = [url]
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return variants
    host = parts.netloc.rsplit("@", 1)[-1]
    userinfo = parts.netloc[: len(parts.netloc) - len(host)]
    if port is not None:
        bare = host[: host.rfind(":")]
        variants.append(urlunsplit(parts._replace(netloc=userinfo + bare)))
    elif parts.scheme in ("https", "http") and host:
        default = 443 if parts.scheme == "https" else 80
        variants.append(urlunsplit(parts._replace(netloc=f"{userinfo}{host}:{default}")))
    return variants


def parse(raw_body: bytes, settings: ChannelSettings, *, now: datetime | None = None) -> ParsedDelivery:
    """One inbound SMS or WhatsApp message from Twilio's form (Twilio sends no timestamp: `now` is used).

    Status callbacks (a `MessageStatus` other than "received") and senders on channels we do not serve
    (messenger:, rcs:, …) are counted as ignored.
    """
    try:
        pairs = parse_qsl(raw_body.decode("utf-8"), keep_blank_values=True, max_num_fields=_MAX_FIELDS)
    except (UnicodeDecodeError, ValueError) as error:
        raise MalformedPayload("body is not a UTF-8 form") from error
    form: dict[str, str] = {}
    for name, value in pairs:
        form.setdefault(name, value)
    sid = form.get("MessageSid") or form.get("SmsMessageSid")
    if not sid or not _SID.fullmatch(sid):
        raise MalformedPayload("no MessageSid")
    sender = form.get("From", "").strip()
    if not sender:
        raise MalformedPayload("no From")
    status = (form.get("MessageStatus") or form.get("SmsStatus") or "received").lower()
    if status != "received":
        return ParsedDelivery(ignored=1)
    whatsapp = sender.lower().startswith(WHATSAPP)
    address = sender[len(WHATSAPP) :] if whatsapp else sender
    if ":" in address:
        return ParsedDelivery(ignored=1)
    phone = address if _E164.fullmatch(address) else None
    if whatsapp and phone is not None:
        sender_id: str | None = phone[1:]  # the wa_id (Twilio's WaId), the same sender id as on the Cloud API
    else:
        sender_id = clean_id(address)  # SMS short codes and alphanumeric senders; a WhatsApp id without phone
    if sender_id is None:
        return ParsedDelivery(ignored=1)
    text = clean_text(form.get("Body"))
    content = _location(form) or _media(form, settings) or ({"kind": "text"} if text else None)
    if content is None:
        return ParsedDelivery(ignored=1)
    message = InboundMessage(
        channel="whatsapp" if whatsapp else "sms",
        event_key=PREFIX + sid,
        sender_id=sender_id,
        received_at=now if now is not None else datetime.now(UTC),
        text=text,
        sender_name=clean_name(form.get("ProfileName")) if whatsapp else None,
        phone=phone,
        reply_to=phone or address,
        **content,
    )
    return ParsedDelivery(messages=(message,))


def _location(form: Mapping[str, str]) -> dict[str, Any] | None:
    lat, lon = coordinate(form.get("Latitude"), 90), coordinate(form.get("Longitude"), 180)
    if lat is None or lon is None:
        return None
    address = clean_text(form.get("Address")) or clean_name(form.get("Label"))
    return {"kind": "location", "latitude": lat, "longitude": lon, "address": address}


def _media(form: Mapping[str, str], settings: ChannelSettings) -> dict[str, Any] | None:
    """The first media item, only if its URL is a Media resource on Twilio's own media host."""
    url = form.get("MediaUrl0")
    if not is_media_url(url, settings):
        return None
    media_type = form.get("MediaContentType0", "").strip().lower()[:100] or None
    major = (media_type or "").split("/", 1)[0]
    kind = major if major in ("image", "video", "audio") else "file"
    return {"kind": kind, "media_id": url, "media_type": media_type}


def is_media_url(url: Any, settings: ChannelSettings) -> bool:
    """https (http only on loopback, for the local fake) on `twilio_media_host`, path of a Media resource."""
    if not isinstance(url, str) or len(url) > 2048 or not url.isprintable() or not settings.twilio_media_host:
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    if parts.username is not None or parts.query or parts.fragment:
        return False
    host = parts.netloc.lower()
    if host != settings.twilio_media_host.lower() or not _MEDIA_PATH.fullmatch(parts.path):
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and (parts.hostname or "") in _LOOPBACK)


def twiml(text: str | None) -> bytes:
    """The TwiML answer: an empty `<Response/>`, or one `<Message>` with the text XML-escaped."""
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    if text is None or not text.strip():
        return f"{head}<Response/>".encode()
    body = _XML_INVALID.sub("", text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"{head}<Response><Message>{body}</Message></Response>".encode()


def _basic_auth(settings: ChannelSettings) -> str:
    pair = f"{settings.twilio_account_sid}:{settings.twilio_auth_token}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def build_send(to: str, text: str, settings: ChannelSettings, *, whatsapp: bool = False) -> HttpRequest:
    """Messages.json create: form To/From/Body (cut to Twilio's limit), basic auth with the account SID and token."""
    sender = settings.twilio_sms_from
    if whatsapp:
        sender = _whatsapp_address(settings.twilio_whatsapp_from)
        to = _whatsapp_address(to)
    account = quote(settings.twilio_account_sid, safe="")
    return HttpRequest(
        method="POST",
        url=f"{settings.twilio_api_base.rstrip('/')}/2010-04-01/Accounts/{account}/Messages.json",
        headers={"Authorization": _basic_auth(settings), "Content-Type": "application/x-www-form-urlencoded"},
        body=urlencode({"To": to, "From": sender, "Body": text[:SEND_TEXT_LIMIT]}, errors="replace").encode("ascii"),
    )


def _whatsapp_address(number: str) -> str:
    """The Twilio WhatsApp address for "+62…", "62…" (a wa_id) or an address that already has the prefix."""
    number = number.strip()
    if number.lower().startswith(WHATSAPP):
        number = number[len(WHATSAPP) :]
    if _DIGITS.fullmatch(number):
        number = "+" + number
    return WHATSAPP + number


def _error_code(body: bytes) -> int | None:
    try:
        data = json.loads(body)
    except (ValueError, TypeError, RecursionError):
        return None
    code = data.get("code") if isinstance(data, dict) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def needs_template(status: int, body: bytes) -> bool:
    """WhatsApp refused a free-form message outside the 24 h window (Twilio error 63016)."""
    return not 200 <= status < 300 and _error_code(body) == OUTSIDE_WINDOW


def classify(status: int, body: bytes) -> str:
    """SENT (201 Created) / RETRY (429, 5xx, Twilio's throttling codes) / PERMANENT (other 4xx, 63016)."""
    if 200 <= status < 300:
        return SENT
    code = _error_code(body)
    if code == OUTSIDE_WINDOW:
        return PERMANENT
    if code in _RETRY_CODES:
        return RETRY
    return classify_status(status)


def media_request(media_id: str, settings: ChannelSettings) -> HttpRequest | None:
    """GET of a Media resource URL with basic auth, only on `twilio_media_host`; else None.

    Twilio answers with a redirect to its media CDN: follow it with `media_redirect_request`.
    """
    if not is_media_url(media_id, settings) or not settings.twilio_account_sid or not settings.twilio_auth_token:
        return None
    return HttpRequest(method="GET", url=media_id, headers={"Authorization": _basic_auth(settings)})


def media_redirect_request(location: str, settings: ChannelSettings) -> HttpRequest | None:
    """GET of the `Location` a media fetch redirected to: https on Twilio's CDN (or the media host itself).

    The target is a pre-signed link, so the credentials are never forwarded to it.
    """
    if not isinstance(location, str) or len(location) > 4096 or not location.isprintable():
        return None
    try:
        parts = urlsplit(location)
        port = parts.port
    except ValueError:
        return None
    if parts.username is not None:
        return None
    host = (parts.hostname or "").lower()
    on_cdn = parts.scheme == "https" and port in (None, 443) and host.endswith(_MEDIA_CDN_SUFFIX)
    on_media_host = parts.netloc.lower() == settings.twilio_media_host.lower() and (
        parts.scheme == "https" or host in _LOOPBACK
    )
    if not (on_cdn or on_media_host):
        return None
    return HttpRequest(method="GET", url=location)


def media_download(media_id: str, settings: ChannelSettings, perform: Perform) -> HttpRequest | None:
    """The Media resource itself (it answers with a redirect: see `media_redirect`)."""
    return media_request(media_id, settings)


def media_redirect(location: str, settings: ChannelSettings) -> HttpRequest | None:
    """Twilio answers its media URL with a redirect to its CDN: followed only to a host it vouches for."""
    return media_redirect_request(location, settings)


alert_route = no_alerts


def send(message: OutboundMessage, settings: ChannelSettings) -> Outcome:
    """One Messages.json create, as SMS or (channel "whatsapp") as WhatsApp; no template fallback here."""
    request = build_send(message.recipient, message.body, settings, whatsapp=message.channel == "whatsapp")
    return send_request(request, classify)


def reply_route(message: InboundMessage) -> Route | None:
    """Answers go back through Twilio, on the channel (SMS or WhatsApp) the citizen used."""
    if message.channel not in ("whatsapp", "sms"):
        return None
    return message.channel, message.phone or message.reply_to or message.sender_id, {"via": "twilio"}


def citizen_route(case: Case) -> Route | None:
    """A case opened through Twilio is answered through Twilio: WhatsApp for a WhatsApp reporter, else SMS."""
    phone, uid = case.reporter.phone, case.reporter.channel_user_id or ""
    if case.channel.value == "whatsapp" and (phone or uid.startswith("whatsapp:")):
        return "whatsapp", phone, {"via": "twilio"}
    if phone:
        return "sms", phone, {"via": "twilio"}
    return None
