"""Undelivered messages, where officers can see them and send them again (nothing is dropped silently).

A failed message's recipient is a person's address (a phone number, a LINE or Telegram id). Only the admin
koordinator sees it, and never that of a citizen message on an *anonim* case: that would reveal the
reporter without the stated reason and audit record the case page asks for. Hidden recipients read
"Pelapor" (a citizen) or "Petugas" (an officer's alert), and are blanked out of the provider's error too.
"""

from __future__ import annotations

from chalicelib.domain.case import Actor, Case, Role
from chalicelib.domain.errors import NotFound, NotPermitted
from chalicelib.domain.messages import OutboundMessage
from chalicelib.services.context import Context
from chalicelib.services.presenters import wib

ALLOWED = frozenset({Role.ADMIN, Role.SUPERVISOR})
CITIZEN_MESSAGES = ("reply:", "update:")  # message ids of what goes to a reporter (replies, case updates)
HIDDEN = "disembunyikan"


def list_failed_messages(ctx: Context, actor: Actor, limit: int = 50) -> list[dict]:
    """The admin sees every failed message; a supervisor those of their agency's cases."""
    if actor.role not in ALLOWED:
        raise NotPermitted("Hanya admin koordinator dan supervisor yang dapat melihat pesan gagal.")
    items = []
    cases: dict[str, Case | None] = {}
    for message in ctx.outbox.failed_messages(limit=min(max(limit, 1), 200)):
        case = _case(ctx, message.case_id, cases)
        if actor.role is Role.SUPERVISOR and (case is None or not case.involves(actor.agency_id)):
            continue
        shown = recipient_visible(actor, message, case)
        items.append({
            "message_id": message.message_id, "channel": message.channel,
            "recipient": message.recipient if shown else recipient_label(message),
            "recipient_hidden": not shown,
            "case_id": message.case_id, "purpose": message.purpose, "attempts": message.attempts,
            "last_error": message.last_error if shown else _without(message.last_error, message.recipient),
            "body": message.body, "created_at": wib(message.created_at),
        })
    return items


def is_citizen_message(message: OutboundMessage) -> bool:
    """A message to a reporter (a reply or a case update, or its fallback), not an officer's alert."""
    return message.message_id.startswith(CITIZEN_MESSAGES)


def recipient_visible(actor: Actor, message: OutboundMessage, case: Case | None) -> bool:
    """Only the admin sees recipients; nobody sees an anonymous reporter's address in this list."""
    if actor.role is not Role.ADMIN:
        return False
    return not (is_citizen_message(message) and (case is None or case.anonymous) and message.case_id)


def recipient_label(message: OutboundMessage) -> str:
    return Role.CITIZEN.label if is_citizen_message(message) else "Petugas"


def _without(text: str | None, secret: str) -> str | None:
    """A provider's error with the recipient's address blanked out (Twilio, for one, quotes the number)."""
    if not text or not secret:
        return text
    for variant in sorted({secret, secret.lstrip("+"), secret.split(":", 1)[-1]}, key=len, reverse=True):
        if len(variant) >= 4:
            text = text.replace(variant, HIDDEN)
    return text


def retry_failed_message(ctx: Context, actor: Actor, message_id: str) -> dict:
    from chalicelib.services.outbound import send_outbound

    if actor.role not in ALLOWED:
        raise NotPermitted("Hanya admin koordinator dan supervisor yang dapat mengirim ulang pesan.")
    if not message_id or len(message_id) > 300:
        raise NotFound("Pesan tidak ditemukan.")
    message = ctx.outbox.get(message_id)
    if message is None or (actor.role is Role.SUPERVISOR and not _of_agency(ctx, message.case_id, actor.agency_id)):
        raise NotFound("Pesan tidak ditemukan.")
    if not ctx.outbox.retry_failed(message_id, ctx.now()):
        raise NotFound("Pesan ini tidak berstatus gagal.")
    state = send_outbound(ctx, message_id)
    return {"message_id": message_id, "state": state or "pending"}


def _of_agency(ctx: Context, case_id: str | None, agency_id: str | None) -> bool:
    case = ctx.cases.get(case_id, consistent=False) if case_id else None
    return case is not None and case.involves(agency_id)


def _case(ctx: Context, case_id: str | None, seen: dict[str, Case | None]) -> Case | None:
    """The message's case, read once per listing."""
    if not case_id:
        return None
    if case_id not in seen:
        seen[case_id] = ctx.cases.get(case_id, consistent=False)
    return seen[case_id]
