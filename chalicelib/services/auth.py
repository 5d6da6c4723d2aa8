"""Officer login and API tokens.

Passwords are stored as scrypt hashes that carry their own cost (`scrypt$ln=17,r=8,p=1$salt$digest`, OWASP's
figures); the first format (`scrypt$salt$digest`, N=2^14) still verifies, and a sign-in replaces any hash
weaker than today's (`services.sessions.verify_credentials`). An API token is signed and expiring
(HMAC-SHA256 with the stage's secret) and carries the officer's username, role, agency and session version.
The version is checked against the officer's current one, which a container trusts for
`session_check_seconds`: deactivating an officer or changing a password (both move the version on) ends
their tokens everywhere within that time, and at once in the container that made the change. Web sessions
(cookies) are in `services/sessions.py`.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import hmac
import json
import secrets
import time

from chalicelib.domain.case import OFFICER_ROLES, Actor, Role
from chalicelib.domain.errors import NotAuthenticated, NotPermitted
from chalicelib.domain.officer import Officer
from chalicelib.services.context import Context
from chalicelib.settings import get_settings

SCRYPT_R = 8  # OWASP Password Storage Cheat Sheet: scrypt N=2^17 (ln=17), r=8, p=1
SCRYPT_P = 1
_LEGACY = (14, 8, 1)  # the first format, `scrypt$salt$digest`, had these parameters fixed in the code
_MAX_LN, _MAX_R, _MAX_P = 20, 32, 16  # a stored hash asking for more is refused, not computed (memory)
_TOKEN_VERSION = "v2"
_session_versions: dict[str, tuple[float, bool, int]] = {}  # username -> (checked at, active, version)


def hash_password(password: str, salt: bytes | None = None, *, ln: int | None = None) -> str:
    """`scrypt$ln=17,r=8,p=1$<salt>$<digest>`: the cost travels with the hash, so it can rise later.

    `ln` (log2 of N) defaults to the stage's `scrypt_ln` (17; lower only in the test stage)."""
    ln = _current_ln() if ln is None else ln
    salt = salt or secrets.token_bytes(16)
    digest = _scrypt(password, salt, ln, SCRYPT_R, SCRYPT_P)
    return f"scrypt$ln={ln},r={SCRYPT_R},p={SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches `stored` (either format); never raises on a damaged hash."""
    parsed = _parse(stored)
    if parsed is None:
        return False
    (ln, r, p), salt, digest = parsed
    try:
        computed = _scrypt(password or "", salt, ln, r, p)
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(computed, digest)


def needs_rehash(stored: str, ln: int | None = None) -> bool:
    """True when `stored` is in the old format or costs less than today's parameters (checked after a match)."""
    parsed = _parse(stored)
    if parsed is None or stored.count("$") != 3:
        return True
    stored_ln, r, p = parsed[0]
    return stored_ln < (_current_ln() if ln is None else ln) or r < SCRYPT_R or p < SCRYPT_P


def _parse(stored: str) -> tuple[tuple[int, int, int], bytes, bytes] | None:
    """((ln, r, p), salt, digest) of a stored hash, or None when it is not one we can check."""
    parts = (stored or "").split("$")
    try:
        if len(parts) == 3 and parts[0] == "scrypt":
            return _LEGACY, bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
        if len(parts) != 4 or parts[0] != "scrypt":
            return None
        params = dict(item.split("=", 1) for item in parts[1].split(","))
        ln, r, p = int(params["ln"]), int(params["r"]), int(params["p"])
        salt, digest = bytes.fromhex(parts[2]), bytes.fromhex(parts[3])
    except (ValueError, KeyError):
        return None
    if not (1 <= ln <= _MAX_LN and 1 <= r <= _MAX_R and 1 <= p <= _MAX_P) or not salt or len(digest) != 32:
        return None
    return (ln, r, p), salt, digest


def _scrypt(password: str, salt: bytes, ln: int, r: int, p: int) -> bytes:
    """scrypt with room for its memory: 128·r·N bytes (128 MiB at N=2^17, r=8), above OpenSSL's 32 MiB default."""
    n = 2**ln
    maxmem = 128 * r * (n + p + 2) + 2**20
    # "surrogatepass": a lone surrogate (never a valid stored password) is a wrong password, not a crash
    return hashlib.scrypt(password.encode("utf-8", "surrogatepass"), salt=salt, n=n, r=r, p=p, dklen=32,
                          maxmem=maxmem)


def _current_ln() -> int:
    return get_settings().scrypt_ln


@functools.lru_cache(maxsize=4)
def _dummy_hash(ln: int) -> str:
    """Computed on first failed lookup, not at import (scrypt is deliberately slow)."""
    return hash_password("timing-equaliser", salt=b"\0" * 16, ln=ln)


def authenticate(ctx: Context, username: str, password: str) -> Officer:
    """The active officer with these credentials; the same error (and cost) for unknown user and bad password.

    Callers go through `services.sessions.verify_credentials`, which throttles, audits and rehashes."""
    return check_credentials(ctx, username, password)[0]


def check_credentials(ctx: Context, username: str, password: str) -> tuple[Officer, str]:
    """`authenticate`, also giving the stored hash (so a weaker one can be replaced after the match)."""
    found = ctx.directory.officer_with_password_hash(username.strip().lower()) if username else None
    if found is None:
        verify_password(password or "", _dummy_hash(ctx.settings.scrypt_ln))  # same cost: no enumeration by timing
        raise NotAuthenticated("Nama pengguna atau kata sandi salah.")
    officer, stored = found
    matches = verify_password(password or "", stored)  # computed for inactive officers too (same timing)
    if not officer.active or not matches:
        raise NotAuthenticated("Nama pengguna atau kata sandi salah.")
    return officer, stored


def issue_token(ctx: Context, officer: Officer, signed_in_at: int | None = None) -> str:
    """A short-lived signed token (`ADUAN_SESSION_TTL_SECONDS`, 1 h by default), renewable with `renew_token`
    until the sign-in is `ADUAN_WEB_ABSOLUTE_SECONDS` old (12 h), like a web session."""
    now = int(time.time())
    payload = {
        "sub": officer.username,
        "role": officer.role.value,
        "agency": officer.agency_id,
        "name": officer.display_name,
        "sv": officer.session_version,
        "mc": officer.must_change_password,  # a new password moves `sv` on, so this never outlives the change
        "at": signed_in_at or now,  # when the officer signed in (kept by every renewal)
        "exp": now + ctx.settings.session_ttl_seconds,
    }
    body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{_TOKEN_VERSION}.{body}.{_sign(ctx, body)}"


def renew_token(ctx: Context, token: str | None) -> str:
    """A fresh token for a valid one (same officer, same sign-in), refused once the sign-in is older than the
    absolute limit or the session version moved on (deactivation, new password, sign-out)."""
    claims = read_token(ctx, token)
    if not session_still_valid(ctx, claims["sub"], claims.get("sv")):
        raise NotAuthenticated("Sesi telah berakhir. Silakan masuk kembali.")
    signed_in_at = claims.get("at")
    if not isinstance(signed_in_at, int) or time.time() - signed_in_at > ctx.settings.web_absolute_seconds:
        raise NotAuthenticated("Sesi telah berakhir. Silakan masuk kembali.")
    officer = ctx.directory.officer(claims["sub"])
    if officer is None or not officer.active:
        raise NotAuthenticated("Sesi telah berakhir. Silakan masuk kembali.")
    return issue_token(ctx, dataclasses.replace(officer, session_version=claims["sv"]), signed_in_at)


def sign_out_everywhere(ctx: Context, token: str | None) -> None:
    """End every API token and web session of the token's officer (tokens are not stored, so signing one out
    means moving the officer's session version on)."""
    claims = read_token(ctx, token)
    if not session_still_valid(ctx, claims["sub"], claims.get("sv")):
        return  # already ended
    ctx.accounts.end_sessions(claims["sub"])
    forget_session_state(claims["sub"])
    ctx.audit.record("account", claims["sub"], ctx.now(), outcome="keluar_semua_sesi", detail="api")


def actor_from_token(ctx: Context, token: str | None, *, password_change_only: bool = False) -> Actor:
    """The officer behind a session token, or NotAuthenticated. A token from a one-time password serves only
    the routes that replace it (`password_change_only`); anything else is refused until it is changed."""
    claims = read_token(ctx, token)
    if not session_still_valid(ctx, claims["sub"], claims.get("sv")):
        raise NotAuthenticated("Sesi telah berakhir. Silakan masuk kembali.")
    if claims.get("mc") and not password_change_only:
        raise NotPermitted("Ganti dulu kata sandi sementara Anda (POST /api/me/password atau halaman Akun).",
                           reason="password_change_required")
    return Actor(actor_id=f"officer:{claims['sub']}", role=Role(claims["role"]), agency_id=claims["agency"])


def session_still_valid(ctx: Context, username: str, version: object) -> bool:
    """True while the officer is active and `version` is their current session version (briefly cached)."""
    checked = _session_versions.get(username)
    newer = isinstance(version, int) and checked is not None and version > checked[2]  # versions only move on
    if checked is None or newer or time.monotonic() - checked[0] >= ctx.settings.session_check_seconds:
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
