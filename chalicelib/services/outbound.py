"""Sending what the outbox holds, on the channel each message belongs to.

A message is claimed with a conditional update (no double send when runs overlap or one dies), sent through
the provider module the registry names for it (`CHANNELS.for_outbound`), then marked sent, rescheduled with
exponential backoff (429, 5xx, timeouts), or marked failed at once for permanent errors and after the last try
— visible to officers, never dropped. A provider's own second try (a LINE reply whose token expired goes out as
a push, a WhatsApp text outside the 24 h window as a template) happens inside its module's `send`. Locally
(`outbox_mode=capture`) nothing leaves the machine: messages are appended to `.data/outbox-captured.jsonl` and
marked sent.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

from chalicelib import metrics
from chalicelib.channels.base import PERMANENT, RETRY, SENT, Outcome
from chalicelib.channels.registry import CHANNELS
from chalicelib.domain.messages import OutboundMessage
from chalicelib.observability import correlated, logger
from chalicelib.services.context import Context

CLAIM_LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 1800
MARK_SENT_PAUSES = (0.05, 0.25)  # seconds between re-tries of the "sent" mark (a lost mark means a resend)

__all__ = ["Outcome", "deliver", "retry_delay", "send_due_messages", "send_outbound"]


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at 30 min."""
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS))


def send_outbound(ctx: Context, message_id: str) -> str | None:
    """Claim and send one message; returns its new state, or None if another run holds or finished it."""
    now = ctx.now()
    message = ctx.outbox.claim(message_id, now, CLAIM_LEASE)
    if message is None:
        return None
    with correlated(case=message.case_id):  # its lines name the case it is about
        state = _send_claimed(ctx, message_id, message)
    metrics.count_message("sent" if state == "sent" else "retried" if state == "pending" else "failed", message_id)
    return state


def _send_claimed(ctx: Context, message_id: str, message: OutboundMessage) -> str:
    outcome = deliver(ctx, message)
    if outcome.result == SENT:
        _mark_sent(ctx, message_id)
        from chalicelib.services.quota import record_send

        record_send(ctx, message.channel, outcome.by_reply)  # the month's count per channel (LINE: the quota)
        return "sent"
    if outcome.result == RETRY and message.attempts < MAX_ATTEMPTS:
        ctx.outbox.schedule_retry(message_id, ctx.now() + retry_delay(message.attempts), outcome.detail)
        return "pending"
    fallback = message.options.get("fallback")
    if fallback:  # e.g. an officer's LINE alert that cannot be delivered goes out by SMS instead
        ctx.outbox.enqueue(OutboundMessage(
            message_id=f"{message_id}#fallback", channel=fallback["channel"], recipient=fallback["recipient"],
            body=message.body, created_at=ctx.now(), case_id=message.case_id, purpose=message.purpose,
            options=fallback.get("options", {}),
        ))
        ctx.outbox.mark_failed(message_id, f"{outcome.detail or 'gave up'}; sent by {fallback['channel']} instead")
        send_outbound(ctx, f"{message_id}#fallback")
        return "failed"
    ctx.outbox.mark_failed(message_id, outcome.detail or "gave up")
    logger.warning("outbound failed", extra={"message_id": message_id, "channel": message.channel,
                                             "attempts": message.attempts,
                                             # only the status: the provider's body may quote the message
                                             "error": (outcome.detail or "").split(":", 1)[0][:40]})
    return "failed"


def _mark_sent(ctx: Context, message_id: str) -> None:
    """Record a delivery the provider accepted. The update is idempotent, so it is tried again at once when
    DynamoDB throttles or times out: a message left "sending" would be claimed and sent again after its lease."""
    for pause in (*MARK_SENT_PAUSES, None):
        try:
            ctx.outbox.mark_sent(message_id, ctx.now())
            return
        except Exception:
            if pause is None:
                raise
            logger.warning("marking a sent message failed; trying again", extra={"message_id": message_id})
            time.sleep(pause)


def send_due_messages(ctx: Context, limit: int = 100) -> dict[str, int]:
    """Send every due message; one message's failure (a throttled claim, a time-out) is counted as "error"
    and left to a later run (its lease expires), never stopping the others."""
    counts: dict[str, int] = {}
    for message_id in list(ctx.outbox.due_ids(ctx.now(), limit=limit)):
        try:
            state = send_outbound(ctx, message_id) or "skipped"
        except Exception:
            logger.exception("outbound send failed; a later run retries it", extra={"message_id": message_id})
            state = "error"
        counts[state] = counts.get(state, 0) + 1
    return counts


def deliver(ctx: Context, message: OutboundMessage) -> Outcome:
    """One attempt at the provider (no state changes here)."""
    if ctx.settings.outbox_mode == "capture":
        return _capture(ctx, message)
    provider = CHANNELS.for_outbound(message.channel, message.options)
    if provider is None:
        return Outcome(PERMANENT, f"no outbound route for channel {message.channel}")
    return provider.send(message, ctx.channels)


def _capture(ctx: Context, message: OutboundMessage) -> Outcome:
    path = Path(ctx.channels.media_dir).parent / "outbox-captured.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "at": ctx.now().isoformat(),
        "message_id": message.message_id,
        "channel": message.channel,
        "recipient": message.recipient,
        "case_id": message.case_id,
        "purpose": message.purpose,
        "body": message.body,
    }
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    logger.info("outbound captured (local run)", extra={"message_id": message.message_id, "channel": message.channel})
    return Outcome(SENT, by_reply=bool(message.options.get("reply_token")))
