"""Officers link their LINE account for alerts by sending a one-time code to the city's LINE account.

A code is six digits, so guessing must be slow: after WRONG_CODES wrong codes from one LINE user, that user
waits (BASE_WAIT, doubling with each further wrong code, at most MAX_WAIT) before any code is read again,
and is told so politely. The count lives in the sign-in throttle table under a keyed hash of the LINE user
id (`services.sessions.throttle_key`); a linked account clears it.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from chalicelib.domain.case import OFFICER_ROLES, Actor
from chalicelib.domain.errors import NotPermitted
from chalicelib.domain.messages import InboundMessage, OutboundMessage
from chalicelib.observability import logger
from chalicelib.services.context import Context

CODE_PATTERN = re.compile(r"^\s*(ADUAN-\d{6})\s*$", re.I)
CODE_LIFETIME = timedelta(minutes=15)
WRONG_CODES = 5  # wrong codes from one LINE user before they must wait
BASE_WAIT = timedelta(minutes=1)  # the first wait; it doubles with each further wrong code
MAX_WAIT = timedelta(hours=1)


def issue_line_link_code(ctx: Context, actor: Actor) -> dict:
    if actor.role not in OFFICER_ROLES:
        raise NotPermitted("Hanya petugas yang dapat menghubungkan akun LINE.")
    username = actor.actor_id.removeprefix("officer:")
    expires = ctx.now() + CODE_LIFETIME
    repo = ctx.link_codes
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
    """Redeem the code in `message`; the officer's username when linked, None for an invalid code.

    A sender who must wait gets the wait as the answer to this event (`reply:<event>`; the invalid-code
    answer the caller then queues under the same id is a no-op), and the code is not even looked at."""
    from chalicelib.services.sessions import throttle_key, wait_minutes

    code = CODE_PATTERN.match(message.text or "").group(1).upper()
    if not message.sender_id:
        return None
    key = throttle_key(ctx, "line-link", message.sender_id)
    wait = wait_minutes(ctx, [key])
    if wait:
        logger.warning("LINE link code refused: too many wrong codes from this sender")
        _reply_wait(ctx, message, wait)
        return None
    username = ctx.link_codes.redeem(code, ctx.now())
    if username is None:
        ctx.throttle.record_failure(key, ctx.now(), WRONG_CODES, BASE_WAIT, MAX_WAIT)
        return None
    ctx.throttle.clear(key)
    ctx.directory.set_line_user(username, message.sender_id)
    ctx.forget_directory()
    return username


def wrong_codes_text(minutes: int, what: str = "kode") -> str:
    """The answer while a LINE user must wait (personal link code, or `what="kode grup"` in a group)."""
    return (f"Mohon maaf, terlalu banyak {what} yang salah dikirim dari akun LINE Anda. Silakan coba lagi "
            f"dalam {minutes} menit dengan kode terbaru dari menu Akun aplikasi Aduan.")


def _reply_wait(ctx: Context, message: InboundMessage, minutes: int) -> None:
    from chalicelib.services import replies

    target = replies.route_for(message)
    if target is None:
        return
    channel, recipient, options = target
    ctx.outbox.enqueue(OutboundMessage(
        message_id=f"reply:{message.event_key}", channel=channel, recipient=recipient,
        body=wrong_codes_text(minutes), created_at=ctx.now(), purpose="line_link_wait", options=options,
    ))
