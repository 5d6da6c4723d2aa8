"""Officer login and API tokens.

Passwords are stored as scrypt hashes. An API token is signed and expiring (HMAC-SHA256 with the stage's
secret) and carries the officer's username, role, agency and session version. The version is checked against
the officer's current one, which a container trusts for `session_check_seconds`: deactivating an officer or
changing a password (both move the version on) ends their tokens everywhere within that time, and at once in
the container that made the change. Web sessions (cookies) are in `services/sessions.py`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
import time

from chalicelib.domain.case import OFFICER_ROLES, Actor, Role
from chalicelib.domain.errors import NotAuthenticated
from chalicelib.domain.officer import Officer
from chalicelib.services.context import Context

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_TOKEN_VERSION = "v2"
_session_versions: dict[str, tuple[float, bool, int]] = {}  # username -> (checked at, active, version)


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt_hex), dklen=32, **_SCRYPT)
    return hmac.compare_digest(digest.hex(), digest_hex)


@functools.cache
def _dummy_hash() -> str:
    """Computed on first failed lookup, not at import (scrypt is deliberately slow)."""
    return hash_password("timing-equaliser", salt=b"\0" * 16)


def authenticate(ctx: Context, username: str, password: str) -> Officer:
    """The active officer with these credentials; the same error (and cost) for unknown user and bad password.

    Callers go through `services.sessions.verify_credentials`, which throttles and audits."""
    found = ctx.directory.officer_with_password_hash(username.strip().lower()) if username else None
    if found is None:
        verify_password(password or "", _dummy_hash())  # same cost either way: no user enumeration by timing
        raise NotAuthenticated("Nama pengguna atau kata sandi salah.")
    officer, stored = found
    if not officer.active or not verify_password(password or "", stored):
        raise NotAuthenticated("Nama pengguna atau kata sandi salah.")
    return officer


def issue_token(ctx: Context, officer: Officer) -> str:
    payload = {
        "sub": officer.username,
        "role": officer.role.value,
        "agency": officer.agency_id,
        "name": officer.display_name,
        "sv": officer.session_version,
        "exp": int(time.time()) + ctx.settings.session_ttl_seconds,
    }
    body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{_TOKEN_VERSION}.{body}.{_sign(ctx, body)}"


def actor_from_token(ctx: Context, token: str | None) -> Actor:
    """The officer behind a session token, or NotAuthenticated."""
    claims = read_token(ctx, token)
    if not session_still_valid(ctx, claims["sub"], claims.get("sv")):
        raise NotAuthenticated("Sesi telah berakhir. Silakan masuk kembali.")
    return Actor(actor_id=f"officer:{claims['sub']}", role=Role(claims["role"]), agency_id=claims["agency"])


def session_still_valid(ctx: Context, username: str, version: object) -> bool:
    """True while the officer is active and `version` is their current session version (briefly cached)."""
    checked = _session_versions.get(username)
    if checked is None or time.monotonic() - checked[0] >= ctx.settings.session_check_seconds:
        state = ctx.accounts.session_state(username)
        active, current = state if state else (False, -1)
        checked = (time.monotonic(), active, current)
        _session_versions[username] = checked
    return checked[1] and isinstance(version, int) and version == checked[2]


def forget_session_state(username: str) -> None:
    """Drop this container's cached session version (after deactivating the officer or a new password)."""
    _session_versions.pop(username, None)


def read_token(ctx: Context, token: str | None) -> dict:
    if not token:
        raise NotAuthenticated("Silakan masuk terlebih dahulu.")
    try:
        version, body, signature = token.split(".")
    except ValueError:
        raise NotAuthenticated("Sesi tidak valid. Silakan masuk kembali.") from None
    if version != _TOKEN_VERSION or not hmac.compare_digest(signature, _sign(ctx, body)):
        raise NotAuthenticated("Sesi tidak valid. Silakan masuk kembali.")
    try:
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        role = Role(claims["role"])
    except (ValueError, KeyError, TypeError):
        raise NotAuthenticated("Sesi tidak valid. Silakan masuk kembali.") from None
    if role not in OFFICER_ROLES or not isinstance(claims.get("exp"), int) or claims["exp"] < time.time():
        raise NotAuthenticated("Sesi telah berakhir. Silakan masuk kembali.")
    return claims


def _sign(ctx: Context, body: str) -> str:
    mac = hmac.new(ctx.settings.session_secret.encode(), body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")
