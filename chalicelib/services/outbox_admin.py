"""Undelivered messages, where officers can see them and send them again (nothing is dropped silently)."""

from __future__ import annotations

from chalicelib.domain.case import Actor, Role
from chalicelib.domain.errors import NotFound, NotPermitted
from chalicelib.services.context import Context
from chalicelib.services.views import wib

ALLOWED = frozenset({Role.ADMIN, Role.SUPERVISOR})


def list_failed_messages(ctx: Context, actor: Actor, limit: int = 50) -> list[dict]:
    """The admin sees every failed message; a supervisor those of their agency's cases."""
    if actor.role not in ALLOWED:
        raise NotPermitted("Hanya admin koordinator dan supervisor yang dapat melihat pesan gagal.")
    items = []
    for message in ctx.outbox.failed_messages(limit=min(max(limit, 1), 200)):
        if actor.role is Role.SUPERVISOR and not _of_agency(ctx, message.case_id, actor.agency_id):
            continue
        items.append({
            "message_id": message.message_id, "channel": message.channel, "recipient": message.recipient,
            "case_id": message.case_id, "purpose": message.purpose, "attempts": message.attempts,
            "last_error": message.last_error, "body": message.body, "created_at": wib(message.created_at),
        })
    return items


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
