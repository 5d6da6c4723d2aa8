"""Officer web sessions: sign-in with throttling, the session behind a cookie, sign-out, password change,
and ending every session of an officer at once (deactivation, new password).

The cookie carries a random secret and its HMAC; the store keys the session by the secret's SHA-256, so a
leaked table never yields a usable cookie. A session is refused when it was deleted (signed out), idle longer
than `web_idle_seconds`, older than `web_absolute_seconds`, or when the officer is inactive or their session
version moved on. CSRF tokens are derived from the session (synchronizer token, nothing extra stored).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from chalicelib.domain.case import OFFICER_ROLES, Actor, Role
from chalicelib.domain.errors import NotAuthenticated, NotFound, NotPermitted, TooManyAttempts, ValidationFailed
from chalicelib.domain.officer import Officer
from chalicelib.observability import logger
from chalicelib.services.auth import (
    check_credentials,
    forget_session_state,
    hash_password,
    needs_rehash,
    verify_password,
)
from chalicelib.services.context import Context

FREE_TRIES = 5  # failures on one username before sign-in has to wait
FREE_TRIES_PER_ADDRESS = 20  # failures from one client address (an office shares one) before it waits
BASE_DELAY = timedelta(seconds=30)  # the first wait; it doubles with every further failure
MAX_DELAY = timedelta(minutes=30)
TOUCH_EVERY = timedelta(seconds=60)  # record activity at most once a minute per session
MIN_PASSWORD_LENGTH = 10
WRONG_CREDENTIALS = "Nama pengguna atau kata sandi salah."


@dataclass(frozen=True)
class WebSession:
    session_id: str
    officer: Officer

    @property
    def actor(self) -> Actor:
        return self.officer.actor


def sign_in(ctx: Context, username: str, password: str, client: str) -> tuple[str, Officer]:
    """A new session cookie value for valid credentials (checked as `verify_credentials` does)."""
    officer = verify_credentials(ctx, username, password, client)
    return _new_session(ctx, officer), officer


def verify_credentials(ctx: Context, username: str, password: str, client: str, via: str = "web") -> Officer:
    """The officer behind a username and password, for the web sign-in and the API login alike.

    Throttled per username and per client address: after FREE_TRIES (per address: FREE_TRIES_PER_ADDRESS)
    failures each further try must wait, twice as long each time. A success clears the username's count only:
    one valid account must not reset an address that is guessing at others. Unknown users and wrong passwords
    get the same answer (and the same cost). Every attempt lands on the audit trail (without the password,
    and with the address hashed). A successful sign-in replaces a password hash weaker than today's.
    """
    name = (username or "").strip().lower()[:100]
    if not name:  # not a guess at anyone's password: no throttle key of its own (all blanks would share one)
        raise ValidationFailed("Isi nama pengguna.", field="username")
    now = ctx.now()
    keys = [f"user:{name}", client_key(ctx, client)]
    locked = ctx.throttle.locked_until(keys)
    if locked and locked > now:
        wait = max(1, int((locked - now).total_seconds() + 59) // 60)
        ctx.audit.record("signin", name or "-", now, outcome="ditahan", detail=f"{via} {keys[1]}")
        raise TooManyAttempts(f"Terlalu banyak percobaan masuk. Coba lagi dalam {wait} menit.", retry_after=wait * 60)
    try:
        officer, stored = check_credentials(ctx, name, password or "")
    except NotAuthenticated:
        ctx.throttle.record_failure(keys[0], now, FREE_TRIES, BASE_DELAY, MAX_DELAY)
        ctx.throttle.record_failure(keys[1], now, FREE_TRIES_PER_ADDRESS, BASE_DELAY, MAX_DELAY)
        ctx.audit.record("signin", name or "-", now, outcome="gagal", detail=f"{via} {keys[1]}")
        logger.info("sign-in refused")
        raise NotAuthenticated(WRONG_CREDENTIALS) from None
    if officer.role not in OFFICER_ROLES:
        raise NotAuthenticated(WRONG_CREDENTIALS)
    ctx.throttle.clear(keys[0])
    ctx.audit.record("signin", officer.username, now, outcome="berhasil", detail=f"{via} {keys[1]}")
    return _upgrade_password_hash(ctx, officer, stored, password or "")


def _upgrade_password_hash(ctx: Context, officer: Officer, stored: str, password: str) -> Officer:
    """Replace a hash weaker than today's (old format or lower cost) while the password is at hand.

    One conditional write on the hash just verified: the password does not change, so no session ends; a hash
    changed meanwhile (a password change) is left alone, and a failed write only postpones the upgrade to the
    next sign-in.
    """
    ln = ctx.settings.scrypt_ln
    if not needs_rehash(stored, ln):
        return officer
    try:
        upgraded = ctx.accounts.upgrade_password_hash(officer.username, stored, hash_password(password, ln=ln))
    except Exception:
        logger.exception("password hash upgrade failed; it is retried at the next sign-in")
        return officer
    if upgraded:
        ctx.audit.record("account", officer.username, ctx.now(), outcome="hash_sandi_diperbarui",
                         detail=f"scrypt ln={ln}")
    return officer


def session_for_cookie(ctx: Context, cookie: str | None) -> WebSession:
    """The live session behind a cookie value, or NotAuthenticated."""
    session_id = _session_id(ctx, cookie)
    if session_id is None:
        raise NotAuthenticated("Silakan masuk terlebih dahulu.")
    stored = ctx.sessions.get(session_id)
    now = ctx.now()
    if stored is None:
        raise NotAuthenticated("Sesi Anda telah berakhir. Silakan masuk kembali.")
    idle = now - stored.last_seen_at > timedelta(seconds=ctx.settings.web_idle_seconds)
    old = now - stored.created_at > timedelta(seconds=ctx.settings.web_absolute_seconds)
    officer = None if idle or old else ctx.directory.officer(stored.username)
    if officer is None or not officer.active or officer.session_version != stored.session_version:
        ctx.sessions.delete(session_id)
        raise NotAuthenticated("Sesi Anda telah berakhir. Silakan masuk kembali.")
    if now - stored.last_seen_at >= TOUCH_EVERY:
        ctx.sessions.touch(session_id, now)
    return WebSession(session_id=session_id, officer=officer)


def sign_out(ctx: Context, cookie: str | None) -> None:
    """End the session on the server: the cookie is worthless afterwards, even if replayed."""
    session_id = _session_id(ctx, cookie)
    if session_id is not None:
        ctx.sessions.delete(session_id)


def csrf_token(ctx: Context, session_id: str) -> str:
    """The token every form of this session carries (synchronizer token derived from the session)."""
    key = hashlib.sha256(b"csrf:" + ctx.settings.session_secret.encode()).digest()
    return hmac.new(key, session_id.encode(), hashlib.sha256).hexdigest()[:40]


def csrf_valid(ctx: Context, session_id: str, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(str(token), csrf_token(ctx, session_id))


def change_password(ctx: Context, session: WebSession, current: str, new: str, repeat: str) -> str:
    """Set a new password; every session of the officer ends, and this browser gets a fresh one."""
    officer = session.officer
    found = ctx.directory.officer_with_password_hash(officer.username)
    if found is None or not verify_password(current or "", found[1]):
        raise ValidationFailed("Kata sandi saat ini salah.", field="current")
    check_new_password(officer.username, new, repeat)
    ctx.accounts.set_password(officer.username, hash_password(new))
    forget_session_state(officer.username)
    ctx.audit.record("account", officer.username, ctx.now(), outcome="kata_sandi_diganti")
    fresh = ctx.directory.officer(officer.username)
    assert fresh is not None
    return _new_session(ctx, fresh)


def change_password_by_api(ctx: Context, actor: Actor, current: str, new: str) -> Officer:
    """The API's password change: every session and token ends; the officer signs in again with the new one
    (the caller issues the fresh token)."""
    username = actor.actor_id.removeprefix("officer:")
    found = ctx.directory.officer_with_password_hash(username)
    if found is None or not verify_password(current or "", found[1]):
        raise ValidationFailed("Kata sandi saat ini salah.", field="current")
    check_new_password(username, new, new)
    ctx.accounts.set_password(username, hash_password(new))
    forget_session_state(username)
    ctx.audit.record("account", username, ctx.now(), outcome="kata_sandi_diganti", detail="api")
    fresh = ctx.directory.officer(username)
    assert fresh is not None
    return fresh


def check_new_password(username: str, new: str, repeat: str) -> None:
    if new != repeat:
        raise ValidationFailed("Ulangan kata sandi baru tidak sama.", field="repeat")
    if len(new or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"Kata sandi baru paling sedikit {MIN_PASSWORD_LENGTH} karakter.", field="new")
    if len(new) > 200:
        raise ValidationFailed("Kata sandi baru paling panjang 200 karakter.", field="new")
    if username.lower() in new.lower():
        raise ValidationFailed("Kata sandi tidak boleh memuat nama pengguna.", field="new")


def set_officer_active(ctx: Context, actor: Actor, username: str, active: bool) -> dict:
    """The admin koordinator deactivates (or reactivates) an officer; deactivation ends every session at once."""
    if actor.role is not Role.ADMIN:
        raise NotPermitted("Hanya admin koordinator yang dapat menonaktifkan petugas.")
    name = (username or "").strip().lower()
    if name == actor.actor_id.removeprefix("officer:") and not active:
        raise ValidationFailed("Anda tidak dapat menonaktifkan akun Anda sendiri.", field="username")
    if not ctx.accounts.set_active(name, active):
        raise NotFound("Petugas tidak ditemukan.")
    forget_session_state(name)
    ctx.forget_directory()
    ctx.audit.record("account", actor.actor_id.removeprefix("officer:"), ctx.now(),
                     outcome="diaktifkan" if active else "dinonaktifkan", detail=f"petugas:{name}")
    return {"username": name, "active": active}


def _new_session(ctx: Context, officer: Officer) -> str:
    secret = secrets.token_urlsafe(32)
    now = ctx.now()
    expires = now + timedelta(seconds=ctx.settings.web_absolute_seconds)
    ctx.sessions.create(_digest(secret), officer.username, officer.session_version, now, expires)
    return f"{secret}.{_mac(ctx, secret)}"


def _session_id(ctx: Context, cookie: str | None) -> str | None:
    secret, _, mac = (cookie or "").partition(".")
    if not secret or len(secret) > 100 or not hmac.compare_digest(mac, _mac(ctx, secret)):
        return None
    return _digest(secret)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _mac(ctx: Context, secret: str) -> str:
    key = hashlib.sha256(b"web-session:" + ctx.settings.session_secret.encode()).digest()
    return base64.urlsafe_b64encode(hmac.new(key, secret.encode(), hashlib.sha256).digest()[:24]).decode()


def client_key(ctx: Context, client: str) -> str:
    """The throttle key of a client address."""
    return f"addr:{hashed_identity(ctx, client)}"


def throttle_key(ctx: Context, kind: str, identity: str) -> str:
    """A throttle key for another kind of sender (e.g. a LINE user), keyed-hashed like client addresses."""
    return f"{kind}:{hashed_identity(ctx, identity)}"


def wait_minutes(ctx: Context, keys: list[str]) -> int:
    """Whole minutes (at least 1) until the latest lock among `keys` ends; 0 when none is locked."""
    locked = ctx.throttle.locked_until(keys)
    now = ctx.now()
    if not locked or locked <= now:
        return 0
    return max(1, int((locked - now).total_seconds() + 59) // 60)


def hashed_identity(ctx: Context, client: str) -> str:
    """An identity (client address, LINE user), keyed-hashed: enough to throttle and audit, not stored as is."""
    key = hashlib.sha256(b"addr:" + ctx.settings.session_secret.encode()).digest()
    return hmac.new(key, (client or "unknown").encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]


