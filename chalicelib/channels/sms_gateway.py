"""A local SMS gateway (modelled on NusaSMS's push inbox): shared-token auth, inbound SMS, send request.

Gateways sign nothing: the vendor calls our URL with a long secret token in the `x-gateway-token` header.
A token in the query string (`?token=`) sits in every access log and proxy on the way, so it is refused
unless the stage opts in (`ADUAN_SMS_GATEWAY_QUERY_TOKEN=true`) for a gateway that can only be given a URL
(a vendor's push-inbox setting is often a single URL field, while Android forwarding apps commonly let you
add a header). Inbound is a form post (`id`, `originator`, `msg`, `receive_date` in WIB); some gateways post
the same fields as JSON. Outbound follows NusaSMS's REST API (https://apidoc.nusasms.com/): an `APIKey`
header, and success is a 2xx whose JSON says `"error": false`. Pure: stdlib only.
"""

from __future__ import annotations

import hmac
import json
import urllib.parse
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from chalicelib.channels.base import (
    PERMANENT,
    SENT,
    HttpRequest,
    MalformedPayload,
    Outcome,
    ParsedDelivery,
    Route,
    classify_status,
    clean_id,
    clean_text,
    no_alerts,
    no_media,
    no_redirect,
    send_request,
)
from chalicelib.domain.messages import InboundMessage, OutboundMessage
from chalicelib.settings import ChannelSettings, opted_in

if TYPE_CHECKING:
    from chalicelib.domain.case import Case

CHANNEL = "sms"
PREFIX = "sms:"
SIGNATURE_HEADER = "x-gateway-token"
QUERY_TOKEN = "token"

MAX_FIELDS = 50
WIB = timezone(timedelta(hours=7))
_SEPARATORS = str.maketrans("", "", " -().\t")


def sign(raw_body: bytes, token: str) -> str:
    """The header value a gateway (or our simulator) sends: the shared token itself."""
    return token


def verify(
    raw_body: bytes,
    headers: Mapping[str, str],
    settings: ChannelSettings,
    *,
    url: str | None = None,
    query: Mapping[str, str] | None = None,
) -> bool:
    """The token from the header (from the query only when the stage opted in), compared in constant time;
    none configured → False."""
    expected = settings.sms_gateway_token
    given = headers.get(SIGNATURE_HEADER) if headers else None
    if not given and query and opted_in(settings.sms_gateway_query_token):
        given = query.get(QUERY_TOKEN)
    if not expected or not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8", "replace"))


# -- inbound -----------------------------------------------------------------------------------------


def parse(raw_body: bytes, settings: ChannelSettings, *, now: datetime | None = None) -> ParsedDelivery:
    """One SMS per request. Missing `id` or `originator` is malformed; an originator that is no phone
    number (an operator's alphanumeric sender, a short code) is acknowledged and ignored: nobody to answer.
    """
    fields = _fields(raw_body)
    message_id = clean_id(fields.get("id"))
    originator = fields.get("originator")
    if message_id is None or originator is None or originator == "":
        raise MalformedPayload("SMS gateway post lacks id or originator")
    phone = normalize_msisdn(originator)
    if phone is None:
        return ParsedDelivery(ignored=1)
    message = InboundMessage(
        channel=CHANNEL,
        event_key=PREFIX + message_id,
        sender_id=phone,
        phone=phone,
        reply_to=phone,
        received_at=_received_at(fields.get("receive_date"), now or datetime.now(UTC)),
        kind="text",
        text=clean_text(fields.get("msg")),
    )
    return ParsedDelivery(messages=(message,))


def _fields(raw_body: bytes) -> dict[str, Any]:
    """Form fields (first occurrence wins), or the fields of a JSON object when the body starts with `{`."""
    if raw_body.lstrip()[:1] == b"{":
        try:
            payload = json.loads(raw_body)
        except (ValueError, RecursionError) as exc:
            raise MalformedPayload("SMS gateway JSON body is not valid JSON") from exc
        if not isinstance(payload, dict):
            raise MalformedPayload("SMS gateway JSON body is not an object")
        return {
            key: value for key, value in payload.items() if isinstance(value, str | int) and not isinstance(value, bool)
        }
    text = raw_body.decode("utf-8", "replace")  # a stray byte must not cost a citizen's complaint
    try:
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError as exc:
        raise MalformedPayload("SMS gateway form has too many fields") from exc
    fields: dict[str, Any] = {}
    for key, value in pairs:
        fields.setdefault(key, value)
    return fields


def normalize_msisdn(value: Any) -> str | None:
    """'0812-3456-7890', '62812…', '+62 812…', '812…' → '+62812…'; other countries' '+…'/'00…' kept.

    Only digit shape is checked here (8–15 digits, E.164's maximum); `domain.phone` does the full check
    when the number is used to find the same citizen on another channel.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    if isinstance(value, int):  # a JSON gateway may send the number as a number (leading 0 lost)
        if not 0 <= value < 10**16:
            return None
        text = str(value)
    else:
        text = value.strip().translate(_SEPARATORS)
    if text.startswith("+"):
        digits = text[1:]
    elif text.startswith("00"):
        digits = text[2:]
    elif text.startswith("0"):
        digits = "62" + text[1:]
    elif text.startswith("8"):
        digits = "62" + text
    else:
        digits = text
    if not digits.isascii() or not digits.isdigit() or not 8 <= len(digits) <= 15 or digits.startswith("0"):
        return None
    return "+" + digits


def _received_at(value: Any, fallback: datetime) -> datetime:
    """'YYYY-MM-DD HH:MM:SS' in WIB (UTC+7) → aware UTC; absent or unreadable → the caller's `now`."""
    if not isinstance(value, str):
        return fallback
    try:
        local = datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return fallback
    return local.replace(tzinfo=WIB).astimezone(UTC)






# -- outbound ----------------------------------------------------------------------------------------


def build_send(phone: str, text: str, settings: ChannelSettings, **options: Any) -> HttpRequest:
    """POST the gateway's send URL: form `destination` (international digits, no '+') and `message`."""
    destination = phone.strip().lstrip("+")
    body = urllib.parse.urlencode({"destination": destination, "message": text}).encode("ascii")
    return HttpRequest(
        method="POST",
        url=settings.sms_gateway_send_url,
        headers={
            "APIKey": settings.sms_gateway_api_key,
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        },
        body=body,
    )


def classify(status: int, body: bytes = b"") -> str:
    """The default status rules, except that a 2xx whose JSON has a true or non-empty `error` is permanent
    (NusaSMS reports refused numbers and an empty balance that way; resending cannot fix either).

    A 2xx body that is not JSON counts as sent: resending could deliver the SMS twice.
    """
    verdict = classify_status(status)
    if verdict != SENT:
        return verdict
    try:
        answer = json.loads(body)
    except (ValueError, RecursionError):
        return SENT
    if isinstance(answer, dict) and _is_error(answer.get("error")):
        return PERMANENT
    return SENT


def _is_error(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "null", "none")
    return isinstance(value, int | float | dict | list) and bool(value)


def media_request(media_id: str, settings: ChannelSettings) -> HttpRequest | None:
    """SMS carries no media."""
    return None


media_download = no_media  # SMS carries no media
media_redirect = no_redirect


# -- routing and sending -----------------------------------------------------------------------------


def send(message: OutboundMessage, settings: ChannelSettings) -> Outcome:
    """One POST to the gateway's send URL."""
    return send_request(build_send(message.recipient, message.body, settings), classify)


def reply_route(message: InboundMessage) -> Route | None:
    """Answers go back through the gateway to the sender's number."""
    return CHANNEL, message.phone or message.reply_to or message.sender_id, {"via": "gateway"}


def citizen_route(case: Case) -> Route | None:
    """A reporter's phone number is reached by whichever SMS provider is configured (the caller's fallback)."""
    return None


alert_route = no_alerts  # officers who chose SMS get the caller's SMS route
