"""An officer replies to the citizen on the channel the complaint came from, and the OPD's reply templates.

A reply is an outbox item first, under a deterministic id (case, "reply", the form's idempotency key), so a
double-submitted form sends once; it is sent at once when possible (the outbox job retries otherwise) and
recorded in the case's conversation as an outgoing message by the officer. The reporter's address stays on
the server: an officer may answer an anonymous reporter without ever seeing who they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chalicelib.domain.case import Actor, Case, Role, Status
from chalicelib.domain.errors import NotPermitted, ValidationFailed
from chalicelib.domain.messages import CaseMessage, OutboundMessage
from chalicelib.observability import logger
from chalicelib.services.context import Context
from chalicelib.store.reply_templates import ReplyTemplate, ReplyTemplateRepository

MAX_REPLY_LENGTH = 1000
MAX_TEMPLATE_TITLE = 100
MAX_TEMPLATES = 50
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
REPLY_PURPOSE = "balasan_petugas"
UNREACHABLE = "Pelapor tidak dapat dihubungi lewat kanal mana pun."
TEMPLATE_ROLES = frozenset({Role.ADMIN, Role.OPD, Role.SUPERVISOR})


@dataclass(frozen=True)
class ReplyResult:
    case_id: str
    message_id: str
    channel: str
    state: str  # sent | pending | failed
    duplicate: bool  # the same form was submitted before: nothing new was queued


def may_reply(case: Case, actor: Actor) -> bool:
    """The admin koordinator, and officers or supervisors of the lead OPD, on any case not merged away."""
    if case.status is Status.DIGABUNG:
        return False
    if actor.role is Role.ADMIN:
        return True
    return actor.role in (Role.OPD, Role.SUPERVISOR) and actor.agency_id is not None \
        and actor.agency_id == case.lead_agency


def reply_message_id(case_id: str, key: str) -> str:
    return f"{case_id}:reply:{key}"


def reply_body(case: Case, text: str) -> str:
    return f"Balasan petugas untuk laporan {case.case_id}:\n{text}"


def reply_to_citizen(ctx: Context, actor: Actor, case_id: str, text: str, key: str) -> ReplyResult:
    """Queue (once per `key`) and try to send the officer's reply; record it in the conversation."""
    from chalicelib.services.notify import citizen_route
    from chalicelib.services.outbound import send_outbound
    from chalicelib.services.workflow import load_case

    case = load_case(ctx, actor, case_id)
    if not may_reply(case, actor):
        if case.status is Status.DIGABUNG:
            raise NotPermitted("Laporan ini sudah digabung; balas pelapor lewat laporan tujuan.")
        raise NotPermitted("Hanya admin koordinator dan petugas OPD penanggung jawab yang dapat membalas pelapor.")
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("Tulis isi balasan.", field="text")
    if len(text) > MAX_REPLY_LENGTH:
        raise ValidationFailed(f"Balasan paling panjang {MAX_REPLY_LENGTH} karakter.", field="text")
    if not KEY_PATTERN.match(key or ""):
        raise ValidationFailed("Formulir balasan tidak sah. Muat ulang halaman lalu coba lagi.", field="text")
    route = citizen_route(ctx, case)
    if route is None:
        raise ValidationFailed(UNREACHABLE, field="text")
    channel, recipient, options = route
    message_id = reply_message_id(case.case_id, key)
    outbound = OutboundMessage(
        message_id=message_id, channel=channel, recipient=recipient, body=reply_body(case, text),
        created_at=ctx.now(), case_id=case.case_id, purpose=REPLY_PURPOSE, options=options,
    )
    fresh = ctx.outbox.enqueue(outbound)
    stored = outbound if fresh else (ctx.outbox.get(message_id) or outbound)
    # The conversation entry is keyed on the queued message's own time and id: a replay (or a retry after a
    # crash between the two writes) finds the same key and adds nothing new.
    prefix = reply_body(case, "")
    ctx.messages.add(CaseMessage(
        case_id=case.case_id, message_id=message_id, sent_at=stored.created_at, direction="out",
        channel=stored.channel, kind="text",
        text=stored.body[len(prefix):] if stored.body.startswith(prefix) else stored.body,
        author=actor.actor_id.removeprefix("officer:"),
    ))
    state = send_outbound(ctx, message_id)
    if state is None:  # sent (or being sent) by an earlier submission or the outbox job
        current = ctx.outbox.get(message_id)
        state = current.state if current else "pending"
    logger.info("citizen reply", extra={"case_id": case.case_id, "channel": channel, "state": state,
                                        "duplicate": not fresh})
    return ReplyResult(case_id=case.case_id, message_id=message_id, channel=channel, state=state, duplicate=not fresh)


# ---------------------------------------------------------------- reply templates


def template_agency(actor: Actor) -> str:
    """Whose templates an officer uses and manages: their own OPD's (the admin koordinator's agency for the
    admin)."""
    if actor.role not in TEMPLATE_ROLES or not actor.agency_id:
        raise NotPermitted("Templat balasan hanya untuk admin koordinator dan petugas OPD.")
    return actor.agency_id


def list_reply_templates(ctx: Context, actor: Actor) -> list[ReplyTemplate]:
    return _templates(ctx).list(template_agency(actor), limit=MAX_TEMPLATES)


def find_reply_template(ctx: Context, actor: Actor, template_id: str) -> ReplyTemplate | None:
    if actor.role not in TEMPLATE_ROLES or not actor.agency_id or not re.fullmatch(r"[0-9a-f]{16}", template_id or ""):
        return None
    return _templates(ctx).get(actor.agency_id, template_id)


def add_reply_template(ctx: Context, actor: Actor, title: str, body: str, key: str) -> ReplyTemplate:
    agency = template_agency(actor)
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise ValidationFailed("Beri judul templat.", field="title")
    if len(title) > MAX_TEMPLATE_TITLE:
        raise ValidationFailed(f"Judul templat paling panjang {MAX_TEMPLATE_TITLE} karakter.", field="title")
    if not body:
        raise ValidationFailed("Tulis isi templat.", field="body")
    if len(body) > MAX_REPLY_LENGTH:
        raise ValidationFailed(f"Isi templat paling panjang {MAX_REPLY_LENGTH} karakter.", field="body")
    if not KEY_PATTERN.match(key or ""):
        raise ValidationFailed("Formulir tidak sah. Muat ulang halaman lalu coba lagi.", field="title")
    repo = _templates(ctx)
    if len(repo.list(agency, limit=MAX_TEMPLATES)) >= MAX_TEMPLATES:
        raise ValidationFailed(f"Paling banyak {MAX_TEMPLATES} templat per OPD. Hapus yang tidak dipakai.",
                               field="title")
    template, _ = repo.put(agency, key, title, body, actor.actor_id.removeprefix("officer:"), ctx.now())
    return template


def delete_reply_template(ctx: Context, actor: Actor, template_id: str) -> bool:
    agency = template_agency(actor)
    if not re.fullmatch(r"[0-9a-f]{16}", template_id or ""):
        raise ValidationFailed("Templat tidak dikenal.", field="template_id")
    return _templates(ctx).delete(agency, template_id)


def _templates(ctx: Context) -> ReplyTemplateRepository:
    return ctx.reply_templates
