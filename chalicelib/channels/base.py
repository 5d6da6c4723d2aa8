"""What every provider module offers (`Provider`), the plain types they exchange with the services, and the
helpers several providers share.

A provider module is pure but for sending: `verify` checks the provider's signature over the raw bytes, `parse`
turns a payload into normalised `InboundMessage`s, `build_send` describes the request that sends a text,
`classify` says whether a provider's answer means sent, retry later, or give up, and `send` does one attempt
with them. `media_download` and the three `*_route` functions say how to fetch a citizen's file and which
provider and address reach a citizen or an officer. HTTP goes through `channels/http.py` (tests point the base
URLs at a fake provider on loopback); SES through `channels/email.py`. Which module serves which channel name or
event-key prefix is said in one place only: `channels/registry.py`. Provider modules never import one another:
what several share (Meta's signature for WhatsApp and Messenger, coordinate and name cleaning) lives here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from chalicelib.domain.messages import InboundMessage, OutboundMessage
from chalicelib.settings import ChannelSettings

if TYPE_CHECKING:
    from chalicelib.domain.case import Case
    from chalicelib.domain.officer import Officer

MAX_TEXT = 4000  # what we keep of a citizen's text
MAX_ID = 200  # longest provider id we key on


def clean_text(value: Any) -> str | None:
    """Stripped, capped text; None for anything that is not a non-empty string."""
    if not isinstance(value, str):
        return None
    text = value.strip()[:MAX_TEXT].strip()
    return text or None


def clean_id(value: Any) -> str | None:
    """A provider id we can key on: a non-empty printable string (or integer) of at most 200 characters.

    Over-long ids are refused rather than cut: two cut ids could merge two messages into one dedupe key.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > MAX_ID or not value.isprintable():
        return None
    return value


class MalformedPayload(ValueError):
    """The body is not what the provider's contract says (HTTP 400; nothing is stored)."""


@dataclass(frozen=True)
class ParsedDelivery:
    messages: tuple[InboundMessage, ...] = ()
    ignored: int = 0  # events acknowledged and deliberately not processed (statuses, echoes, unknown types)


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


SENT, RETRY, PERMANENT = "sent", "retry", "permanent"


def classify_status(status: int) -> str:
    """The default reading of a provider's HTTP answer: 2xx sent, 408/429/5xx retry, other 4xx permanent."""
    if 200 <= status < 300:
        return SENT
    if status in (408, 425, 429) or status >= 500:
        return RETRY
    return PERMANENT


# --- what every provider module offers ---------------------------------------------------------------------------

Route = tuple[str, str, dict]
"""(channel, recipient, sending options) of one outbound message: the outbox row's `channel`, `recipient` and
`options` (where `options["via"]` names the provider when the channel alone does not, e.g. WhatsApp via Twilio)."""


@dataclass(frozen=True)
class Outcome:
    """One send attempt as the outbox records it."""

    result: str  # SENT | RETRY | PERMANENT
    detail: str = ""
    response: tuple[int, bytes] | None = None  # the provider's (status, body), when it answered
    by_reply: bool = False  # LINE: sent with a reply token (free), not a push (counted against the quota)


class Perform(Protocol):
    """How a provider module reaches the network: `channels.http.perform`, or the media service's retrying one."""

    def __call__(self, request: HttpRequest, **kwargs: Any) -> Any: ...


@runtime_checkable
class Provider(Protocol):
    """What every provider module offers, as module-level names: a module object satisfies this Protocol.

    The services know only this; `chalicelib.channels.registry.CHANNELS` says which module serves a channel name
    or an event-key prefix. A module without webhooks (web, e-mail) or without media still answers every member
    (refusing, or None), so no service needs to ask which kind of provider it holds.
    """

    PREFIX: str  # the event-key prefix of its deliveries ("line:", "tw:", …)

    def verify(
        self,
        raw_body: bytes,
        headers: Mapping[str, str],
        settings: ChannelSettings,
        *,
        url: str | None = None,
        query: Mapping[str, str] | None = None,
    ) -> bool:
        """Whether a webhook delivery carries the provider's valid signature (False when none is configured)."""
        ...

    def parse(self, raw_body: bytes, settings: ChannelSettings, *, now: datetime | None = None) -> ParsedDelivery:
        """The delivery as normalised messages; `MalformedPayload` for a body outside the provider's contract."""
        ...

    def build_send(self, recipient: str, text: str, settings: ChannelSettings, **options: Any) -> Any:
        """The provider request for one outbound text (an `HttpRequest`; SES: the SendEmail arguments)."""
        ...

    def classify(self, status: int, body: bytes) -> str:
        """SENT / RETRY / PERMANENT for the provider's answer to a send."""
        ...

    def send(self, message: OutboundMessage, settings: ChannelSettings) -> Outcome:
        """One attempt at delivering an outbox message (with the provider's own second try, e.g. LINE reply →
        push, WhatsApp text → template), classified by `classify`. No outbox state changes here."""
        ...

    def media_download(self, media_id: str, settings: ChannelSettings, perform: Perform) -> HttpRequest | None:
        """The request that returns a message's media bytes (after any lookup `perform` does); None: no media."""
        ...

    def media_redirect(self, location: str, settings: ChannelSettings) -> HttpRequest | None:
        """The request that follows a redirect of the media download; None: a redirect is not followed."""
        ...

    def reply_route(self, message: InboundMessage) -> Route | None:
        """Where the answer to a message it delivered goes; None: it is not answered on this provider."""
        ...

    def citizen_route(self, case: Case) -> Route | None:
        """How to reach the reporter of a case opened from it; None: the service falls back to SMS or e-mail."""
        ...

    def alert_route(self, officer: Officer, title: str) -> Route | None:
        """How to alert an officer who chose this channel (`title`: a subject, where the channel has one)."""
        ...


def send_request(request: HttpRequest, classify: Callable[[int, bytes], str], *, by_reply: bool = False) -> Outcome:
    """Perform one provider HTTP request and read the answer with the module's classifier: a network failure is
    RETRY, an oversized answer PERMANENT, and a detail is kept for anything not sent."""
    from chalicelib.channels import http

    try:
        response = http.perform(request)
    except http.TransportError as error:
        return Outcome(RETRY, str(error)[:300])
    except http.TooLargeResponse as error:
        return Outcome(PERMANENT, str(error))
    result = classify(response.status, response.body)
    detail = "" if result == SENT else f"HTTP {response.status}: {response.body[:200]!r}"
    return Outcome(result, detail, (response.status, response.body), by_reply=by_reply)


def no_media(media_id: str, settings: ChannelSettings, perform: Perform) -> HttpRequest | None:
    """`media_download` of a provider that carries no media we fetch."""
    return None


def no_redirect(location: str, settings: ChannelSettings) -> HttpRequest | None:
    """`media_redirect` of a provider whose media downloads never redirect."""
    return None


def no_alerts(officer: Officer, title: str) -> Route | None:
    """`alert_route` of a provider officers cannot choose for alerts."""
    return None


def not_a_webhook(
    raw_body: bytes,
    headers: Mapping[str, str],
    settings: ChannelSettings,
    *,
    url: str | None = None,
    query: Mapping[str, str] | None = None,
) -> bool:
    """`verify` of a provider that delivers no webhooks: nothing posted to us is ever accepted as its delivery."""
    return False


def sniff_content_type(data: bytes) -> str | None:
    """The media type the bytes really are (JPEG, PNG, WebP, PDF), whatever a sender declared (e-mail
    attachments, the web form's photo)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


# --- helpers shared by several providers (Meta's signature is WhatsApp's and Messenger's) ------------------------

MAX_NAME = 200
HUB_SIGNATURE_HEADER = "x-hub-signature-256"


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


def json_body(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace")


def graph_error(body: bytes) -> tuple[int | None, int | None]:
    """(code, error_subcode) of a Meta Graph API error body, or (None, None)."""
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


def sign_hub(raw_body: bytes, app_secret: str) -> str:
    """The `X-Hub-Signature-256` value Meta sends for these bytes (for the simulator and tests)."""
    return "sha256=" + hmac.new(app_secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()


def verify_hub(
    raw_body: bytes,
    headers: Mapping[str, str],
    settings: ChannelSettings,
    *,
    url: str | None = None,
    query: Mapping[str, str] | None = None,
) -> bool:
    """Meta's signature (WhatsApp Cloud, Messenger, Instagram): True only if the body carries a valid app-secret
    signature; no secret configured means reject."""
    if not settings.meta_app_secret:
        return False
    received = headers.get(HUB_SIGNATURE_HEADER)
    if not isinstance(received, str) or not received.isascii():
        return False
    expected = sign_hub(raw_body, settings.meta_app_secret)
    return hmac.compare_digest(expected.encode("ascii"), received.strip().lower().encode("ascii"))


def verify_hub_subscription(params: Mapping[str, str], settings: ChannelSettings) -> str | None:
    """Meta's GET handshake: the challenge to echo as text/plain 200, or None (answer 403)."""
    if not settings.meta_verify_token:
        return None
    mode, token, challenge = params.get("hub.mode"), params.get("hub.verify_token"), params.get("hub.challenge")
    if mode != "subscribe" or not isinstance(token, str) or not isinstance(challenge, str) or not challenge:
        return None
    if not hmac.compare_digest(token.encode("utf-8", "replace"), settings.meta_verify_token.encode("utf-8")):
        return None
    return challenge
