"""Short-lived signed links to a case's photos and files, and the checks behind serving them.

Citizens' media is never public: an officer's page (or API answer) carries links that name the case, the
media key, the officer and an expiry, signed with a key derived from the session secret. A link is good for
ten minutes and for one audience: a `web` link only with the same officer's signed-in session (and the
officer must still see the case), an `api` link on its own while the officer is still active with the same
session version (so an `<img>` in an API client works without an Authorization header).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import timedelta

from chalicelib.domain.case import Actor, Role
from chalicelib.domain.errors import NotFound, NotPermitted
from chalicelib.services.context import Context

LINK_LIFETIME = timedelta(minutes=10)
SCOPES = ("web", "api")
SERVED_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif", "application/pdf", "video/mp4"})
MAX_TOKEN_LENGTH = 2000
INVALID = "Tautan berkas tidak sah."


@dataclass(frozen=True)
class MediaClaim:
    case_id: str
    media_key: str
    username: str
    role: str
    agency_id: str | None
    session_version: int
    scope: str
    expires: int  # seconds since the epoch

    @property
    def actor(self) -> Actor:
        return Actor(actor_id=f"officer:{self.username}", role=Role(self.role), agency_id=self.agency_id)


@dataclass(frozen=True)
class MediaFile:
    body: bytes
    content_type: str
    headers: dict


def sign_media_token(ctx: Context, case_id: str, media_key: str, actor: Actor, session_version: int,
                     scope: str = "web") -> str:
    """A token for one media file of one case, for this officer, valid for LINK_LIFETIME from now."""
    if scope not in SCOPES:
        raise ValueError(f"unknown media link scope {scope!r}")
    payload = {
        "c": case_id,
        "m": media_key,
        "u": actor.actor_id.removeprefix("officer:"),
        "r": actor.role.value,
        "a": actor.agency_id,
        "sv": int(session_version),
        "s": scope,
        "exp": int((ctx.now() + LINK_LIFETIME).timestamp()),
    }
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{body}.{_mac(ctx, body)}"


def read_media_token(ctx: Context, token: str, scope: str) -> MediaClaim:
    """The claim of a genuine, unexpired token of this scope; NotFound if forged or altered, NotPermitted
    once expired."""
    body, _, mac = (token or "").partition(".")
    if not body or not mac or len(token) > MAX_TOKEN_LENGTH or not hmac.compare_digest(mac, _mac(ctx, body)):
        raise NotFound(INVALID)
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        claim = MediaClaim(
            case_id=str(data["c"]), media_key=str(data["m"]), username=str(data["u"]), role=str(data["r"]),
            agency_id=data.get("a"), session_version=int(data["sv"]), scope=str(data["s"]), expires=int(data["exp"]),
        )
        Role(claim.role)
    except (ValueError, KeyError, TypeError):
        raise NotFound(INVALID) from None
    if claim.scope != scope:
        raise NotFound(INVALID)
    if ctx.now().timestamp() > claim.expires:
        raise NotPermitted("Tautan berkas sudah kedaluwarsa. Muat ulang halaman kasus.")
    return claim


def media_for_web(ctx: Context, token: str, actor: Actor) -> MediaFile:
    """A `web` link, opened in the signed-in session of the officer it was made for, on a case they still see."""
    from chalicelib.services.workflow import load_case

    claim = read_media_token(ctx, token, "web")
    if claim.username != actor.actor_id.removeprefix("officer:"):
        raise NotFound(INVALID)
    load_case(ctx, actor, claim.case_id)
    return _read(ctx, claim)


def media_for_api(ctx: Context, token: str) -> MediaFile:
    """An `api` link: enough on its own while the officer is active with the same session version and still
    sees the case."""
    from chalicelib.services.auth import session_still_valid
    from chalicelib.services.workflow import load_case

    claim = read_media_token(ctx, token, "api")
    if not session_still_valid(ctx, claim.username, claim.session_version):
        raise NotPermitted("Sesi petugas untuk tautan ini sudah berakhir.")
    load_case(ctx, claim.actor, claim.case_id)
    return _read(ctx, claim)


def _read(ctx: Context, claim: MediaClaim) -> MediaFile:
    from chalicelib.store.media import MediaStore, detect_type

    data = MediaStore(ctx.channels).get(claim.media_key)
    if data is None:
        raise NotFound("Berkas tidak ditemukan.")
    kind = detect_type(data)
    served = kind in SERVED_TYPES
    content_type = kind if served and kind else "application/octet-stream"
    name = claim.media_key.rsplit("/", 1)[-1].replace('"', "")[:100] or "berkas"
    return MediaFile(
        body=data,
        content_type=content_type,
        headers={
            "Content-Type": content_type,
            "Cache-Control": "private, max-age=600",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "inline" if served else f'attachment; filename="{name}"',
            "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'",  # a file never runs code
        },
    )


def _mac(ctx: Context, body: str) -> str:
    key = hashlib.sha256(b"media-link:" + ctx.settings.session_secret.encode()).digest()
    return _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
