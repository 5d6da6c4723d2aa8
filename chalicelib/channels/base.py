"""What every channel module offers, and the plain types they exchange with the services.

A channel module is pure: `verify` checks the provider's signature over the raw bytes, `parse` turns a
payload into normalised `InboundMessage`s, `build_send` describes the HTTP request that sends a reply, and
`classify` says whether a provider's answer means sent, retry later, or give up. The one place that does
network I/O is `channels/http.py`; tests point the base URLs at a fake provider on loopback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.messages import InboundMessage

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
