"""Officers link their LINE account for alerts by sending a one-time code to the city's LINE account."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from chalicelib.domain.case import OFFICER_ROLES, Actor
from chalicelib.domain.errors import NotPermitted
from chalicelib.domain.messages import InboundMessage
from chalicelib.services.context import Context
from chalicelib.store.link_codes import LinkCodeRepository

CODE_PATTERN = re.compile(r"^\s*(ADUAN-\d{6})\s*$", re.I)
CODE_LIFETIME = timedelta(minutes=15)


def issue_line_link_code(ctx: Context, actor: Actor) -> dict:
    if actor.role not in OFFICER_ROLES:
        raise NotPermitted("Hanya petugas yang dapat menghubungkan akun LINE.")
    username = actor.actor_id.removeprefix("officer:")
    expires = ctx.now() + CODE_LIFETIME
    repo = LinkCodeRepository()
    while True:
        code = f"ADUAN-{secrets.randbelow(10**6):06d}"
        if repo.issue(code, username, expires):
            break
    return {
        "code": code,
        "expires_at": expires.isoformat(),
        "instruction": f"Kirim kode {code} ke akun LINE resmi {ctx.settings.city_name} dalam 15 menit.",
    }


def is_link_code(message: InboundMessage) -> bool:
    return message.channel == "line" and message.kind == "text" and bool(CODE_PATTERN.match(message.text or ""))


def link_line_account(ctx: Context, message: InboundMessage) -> str | None:
    """Redeem the code in `message`; the officer's username when linked, None for an invalid code."""
    code = CODE_PATTERN.match(message.text or "").group(1).upper()
    username = LinkCodeRepository().redeem(code, ctx.now())
    if username is None or not message.sender_id:
        return None
    ctx.directory.set_line_user(username, message.sender_id)
    ctx.forget_directory()
    return username
