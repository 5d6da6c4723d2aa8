"""The acknowledgement path of every signed webhook: size, signature, parse, one durable write each.

Nothing slow happens here: verify over the raw bytes, parse, drop messages older than the dedupe window,
`record_delivery` (one conditional put per message), hand the fresh events to the configured dispatcher,
answer. Processing, media and replies follow in `intake.process_event`.

Locally (`inbound_dispatch == "thread"`) a small fixed pool of worker threads takes fresh events from a bounded
queue, the way the table's stream does on AWS: an ack never waits behind processing (a thread per delivery let
300 concurrent processings starve the acks for up to 30 s), and when the queue is full the event simply stays
pending for the sweeper (`intake.sweep_pending_events`), which is how a lost stream record is recovered too.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib import metrics
from chalicelib.channels.base import MalformedPayload, ParsedDelivery, Provider
from chalicelib.channels.registry import CHANNELS
from chalicelib.domain.errors import NotAuthenticated, NotFound, TooLarge, ValidationFailed
from chalicelib.observability import logger
from chalicelib.services.context import Context, get_context
from chalicelib.store.intake import DEDUPE_RETENTION

MAX_WEBHOOK_BYTES = 1024 * 1024
# An event key is forgotten DEDUPE_RETENTION after we stored it; a delivery the provider dated earlier than this
# may be a redelivery of one we no longer remember, so it is refused. The margin covers a provider clock that
# runs ahead of ours (its timestamp later than our storing time).
CLOCK_SKEW_MARGIN = timedelta(hours=1)
MAX_DELIVERY_AGE = DEDUPE_RETENTION - CLOCK_SKEW_MARGIN
LOCAL_WORKERS = 2  # processing is bound by the one local DynamoDB (dynalite): more threads only add contention
LOCAL_QUEUE_SIZE = 500  # events waiting for a local worker; beyond this the sweeper takes them


@dataclass(frozen=True)
class Receipt:
    messages: int
    new: int
    ignored: int


def receive_webhook(
    channel: str | Provider,
    raw_body: bytes,
    headers: Mapping[str, str],
    *,
    url: str | None = None,
    query: Mapping[str, str] | None = None,
    ctx: Context | None = None,
) -> Receipt:
    """Verify, parse and durably record one provider delivery; raise a DomainError for 401/400/413 (404 for a
    provider name the registry does not know). `channel` is a provider's registered name, or its module."""
    provider = CHANNELS.named(channel) if isinstance(channel, str) else channel
    if provider is None:
        raise NotFound("Unknown channel.")
    if len(raw_body) > MAX_WEBHOOK_BYTES:
        raise TooLarge("Payload too large.")
    ctx = ctx or get_context()
    lowered = {k.lower(): v for k, v in headers.items()}
    if not provider.verify(raw_body, lowered, ctx.channels, url=url, query=query or {}):
        metrics.count_signature_failure(channel if isinstance(channel, str) else provider.PREFIX.rstrip(":"))
        raise NotAuthenticated("Invalid or missing signature.")
    try:
        delivery = provider.parse(raw_body, ctx.channels, now=ctx.now())
    except MalformedPayload as error:
        raise ValidationFailed(f"Malformed payload: {error}"[:200]) from None
    delivery = drop_stale(delivery, ctx.now())
    from chalicelib.services.delivery import record_delivery

    fresh = record_delivery(ctx, delivery)
    dispatch(ctx, fresh)
    return Receipt(messages=len(delivery.messages), new=len(fresh), ignored=delivery.ignored)


def drop_stale(delivery: ParsedDelivery, now: datetime) -> ParsedDelivery:
    """Messages the provider dated before the dedupe window are counted as ignored, not stored (issue 10 item 8).

    Their event keys may have been forgotten already, so storing them could process a complaint a second time;
    the provider still gets its 200 and stops retrying. `received_at` is the provider's own timestamp (LINE,
    Meta and WhatsApp `timestamp`, Telegram `date`, the SMS gateway's `receive_date`; Twilio sends none, so
    its messages are dated now and never refused)."""
    oldest_allowed = now - MAX_DELIVERY_AGE
    kept = tuple(m for m in delivery.messages if m.received_at >= oldest_allowed)
    dropped = len(delivery.messages) - len(kept)
    if not dropped:
        return delivery
    oldest = min(m.received_at for m in delivery.messages)
    logger.warning(
        "stale deliveries refused",  # channel and counts only: no ids, senders or text
        extra={"channel": delivery.messages[0].channel, "refused": dropped,
               "oldest_age_hours": round((now - oldest).total_seconds() / 3600, 1)},
    )
    return dataclasses.replace(delivery, messages=kept, ignored=delivery.ignored + dropped)


def dispatch(ctx: Context, event_keys: list[str]) -> None:
    """Start processing after the answer: on AWS the table's stream does it; locally the worker pool."""
    if not event_keys or ctx.settings.inbound_dispatch != "thread":
        return
    _local_dispatcher().submit(ctx, event_keys)


class LocalDispatcher:
    """A fixed pool of daemon threads over a bounded queue: the local stand-in for the table's stream.

    `submit` never blocks: an event that does not fit stays pending in the table and the sweeper processes it.
    A worker survives any failure of one event (already logged and released by `process_event`)."""

    def __init__(self, workers: int = LOCAL_WORKERS, size: int = LOCAL_QUEUE_SIZE) -> None:
        self.workers = workers
        self.queue: queue.Queue[tuple[Context, str]] = queue.Queue(maxsize=size)
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def submit(self, ctx: Context, event_keys: list[str]) -> int:
        """Queue the events for the workers; return how many were left to the sweeper (queue full)."""
        self._start()
        overflow = 0
        for key in event_keys:
            try:
                self.queue.put_nowait((ctx, key))
            except queue.Full:
                overflow += 1
        if overflow:
            logger.warning("local intake queue full: events left to the sweeper",
                           extra={"overflow": overflow, "queued": self.queue.qsize()})
        return overflow

    def wait_idle(self, timeout: float) -> bool:
        """True once every queued event has been handled (tests), False after `timeout` seconds."""
        with self.queue.all_tasks_done:
            return self.queue.all_tasks_done.wait_for(lambda: self.queue.unfinished_tasks == 0, timeout)

    def _start(self) -> None:
        """Start the workers on first use (never at import), and replace any that died."""
        if len(self._threads) == self.workers and all(t.is_alive() for t in self._threads):
            return
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            while len(self._threads) < self.workers:
                thread = threading.Thread(target=self._work, name=f"intake-{len(self._threads)}", daemon=True)
                thread.start()
                self._threads.append(thread)

    def _work(self) -> None:
        from chalicelib.services import intake

        while True:
            ctx, key = self.queue.get()
            try:
                intake.process_event(ctx, key)
            except Exception as error:  # the event stays pending (released, or never claimed): the sweeper retries
                logger.warning("local intake worker: event left to the sweeper", extra={"error": type(error).__name__})
            finally:
                self.queue.task_done()


_dispatcher: LocalDispatcher | None = None
_dispatcher_lock = threading.Lock()


def _local_dispatcher() -> LocalDispatcher:
    """The process's one dispatcher, created on the first local delivery."""
    global _dispatcher
    if _dispatcher is None:
        with _dispatcher_lock:
            if _dispatcher is None:
                _dispatcher = LocalDispatcher()
    return _dispatcher
