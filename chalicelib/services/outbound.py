"""Sending what the outbox holds, on the channel each message belongs to.

A message is claimed with a conditional update (no double send when runs overlap or one dies), sent
through its channel module, then marked sent, rescheduled with exponential backoff (429, 5xx, timeouts),
or marked failed at once for permanent errors and after the last try — visible to officers, never dropped.
A LINE reply whose token expired falls back to a push. Locally (`outbox_mode=capture`) nothing leaves the
machine: messages are appended to `.data/outbox-captured.jsonl` and marked sent.
"""

from __future__ import annotations

import importlib
import json
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from chalicelib.channels.base import PERMANENT, RETRY, SENT
from chalicelib.domain.messages import OutboundMessage
from chalicelib.observability import logger
from chalicelib.services.context import Context

CLAIM_LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 1800
MARK_SENT_PAUSES = (0.05, 0.25)  # seconds between re-tries of the "sent" mark (a lost mark means a resend)

MODULES = {
    "line": "chalicelib.channels.line",
    "telegram": "chalicelib.channels.telegram",
    "whatsapp": "chalicelib.channels.whatsapp",
    "messenger": "chalicelib.channels.meta",
    "instagram": "chalicelib.channels.meta",
    "sms": "chalicelib.channels.sms_gateway",
}


@dataclass(frozen=True)
class Outcome:
    result: str  # SENT | RETRY | PERMANENT
    detail: str = ""
    response: tuple[int, bytes] | None = None  # the provider's (status, body), when it answered
    by_reply: bool = False  # LINE: sent with a reply token (free), not a push (counted against the quota)


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at 30 min."""
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS))


def send_outbound(ctx: Context, message_id: str) -> str | None:
    """Claim and send one message; returns its new state, or None if another run holds or finished it."""
    now = ctx.now()
    message = ctx.outbox.claim(message_id, now, CLAIM_LEASE)
    if message is None:
        return None
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
    if message.channel == "email":
        return _send_email(ctx, message)
    module, options = _route(message)
    if module is None:
        return Outcome(PERMANENT, f"no outbound route for channel {message.channel}")
    outcome = _attempt(ctx, module, message, options)
    if outcome.result == PERMANENT and options.get("reply_token"):
        # LINE reply tokens are single-use and short-lived: push instead.
        options = {k: v for k, v in options.items() if k != "reply_token"}
        outcome = _attempt(ctx, module, message, options)
    needs_template = getattr(module, "needs_template", None)
    if (
        outcome.result == PERMANENT
        and message.channel == "whatsapp"
        and needs_template
        and outcome.response is not None
        and needs_template(*outcome.response)
        and message.options.get("via") != "twilio"
    ):
        # Outside WhatsApp's 24 h customer-service window only an approved template may be sent.
        outcome = _attempt(ctx, module, message, {"template": ctx.channels.whatsapp_template})
    return outcome


def _route(message: OutboundMessage) -> tuple[object | None, dict]:
    via = message.options.get("via")
    if via == "twilio":
        return importlib.import_module("chalicelib.channels.twilio"), {"whatsapp": message.channel == "whatsapp"}
    path = MODULES.get(message.channel)
    if path is None:
        return None, {}
    options: dict = {}
    if message.channel == "line":
        options = {"retry_key": message.message_id}
        if message.options.get("reply_token"):
            options["reply_token"] = message.options["reply_token"]
    if message.channel == "whatsapp" and message.options.get("template"):
        options = {"template": message.options["template"]}
    return importlib.import_module(path), options


def _attempt(ctx: Context, module, message: OutboundMessage, options: dict) -> Outcome:
    from chalicelib.channels.http import TooLargeResponse, TransportError, perform

    request = module.build_send(message.recipient, message.body, ctx.channels, **options)
    try:
        response = perform(request)
    except TransportError as error:
        return Outcome(RETRY, str(error)[:300])
    except TooLargeResponse as error:
        return Outcome(PERMANENT, str(error))
    result = module.classify(response.status, response.body)
    detail = "" if result == SENT else f"HTTP {response.status}: {response.body[:200]!r}"
    return Outcome(result, detail, (response.status, response.body), by_reply=bool(options.get("reply_token")))


def _send_email(ctx: Context, message: OutboundMessage) -> Outcome:
    from chalicelib.channels.email import classify_ses_error, ses_send_arguments
    from chalicelib.store.aws import ses_client

    if not ctx.channels.mail_from:
        return Outcome(PERMANENT, "mail_from is not configured")
    subject = message.options.get("subject") or f"Laporan {message.case_id or ''}".strip()
    try:
        arguments = ses_send_arguments(message.recipient, subject, message.body, ctx.channels.mail_from)
    except ValueError as error:  # not one plain address: no retry will fix it
        return Outcome(PERMANENT, str(error))
    try:
        ses_client().send_email(**arguments)
    except Exception as error:  # botocore raises many kinds; the channel module decides which are worth a retry
        code = ses_error_code(error)
        return Outcome(classify_ses_error(code), code)
    return Outcome(SENT)


def ses_error_code(error: Exception) -> str:
    """SES's error code (a ClientError's `Error.Code`), else the exception's class name: network failures
    (time-outs, refused connections) carry no response at all."""
    response = getattr(error, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return str(code or type(error).__name__)


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
