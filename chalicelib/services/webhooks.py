"""The acknowledgement path of every signed webhook: size, signature, parse, one durable write each.

Nothing slow happens here: verify over the raw bytes, parse, `record_delivery` (one conditional put per
message), hand the fresh events to the configured dispatcher, answer. Processing, media and replies follow
in `intake.process_event`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType

from chalicelib.channels.base import MalformedPayload
from chalicelib.domain.errors import NotAuthenticated, TooLarge, ValidationFailed
from chalicelib.services.context import Context, get_context

MAX_WEBHOOK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Receipt:
    messages: int
    new: int
    ignored: int


def receive_webhook(
    channel: ModuleType,
    raw_body: bytes,
    headers: Mapping[str, str],
    *,
    url: str | None = None,
    query: Mapping[str, str] | None = None,
    ctx: Context | None = None,
) -> Receipt:
    """Verify, parse and durably record one provider delivery; raise a DomainError for 401/400/413."""
    if len(raw_body) > MAX_WEBHOOK_BYTES:
        raise TooLarge("Payload too large.")
    ctx = ctx or get_context()
    lowered = {k.lower(): v for k, v in headers.items()}
    if not channel.verify(raw_body, lowered, ctx.channels, url=url, query=query or {}):
        raise NotAuthenticated("Invalid or missing signature.")
    try:
        delivery = channel.parse(raw_body, ctx.channels, now=ctx.now())
    except MalformedPayload as error:
        raise ValidationFailed(f"Malformed payload: {error}"[:200]) from None
    from chalicelib.services.intake import record_delivery

    fresh = record_delivery(ctx, delivery)
    dispatch(ctx, fresh)
    return Receipt(messages=len(delivery.messages), new=len(fresh), ignored=delivery.ignored)


def dispatch(ctx: Context, event_keys: list[str]) -> None:
    """Start processing after the answer: on AWS the table's stream does it; locally a thread."""
    if not event_keys or ctx.settings.inbound_dispatch != "thread":
        return
    from chalicelib.services.intake import process_events

    threading.Thread(target=process_events, args=(ctx, event_keys), name="intake", daemon=True).start()
