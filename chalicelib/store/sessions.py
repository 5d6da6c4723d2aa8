"""Officer web sessions, sign-in throttling and the durable audit trail.

Every write is a single-item write with a deterministic key: a session by the hash of its cookie secret, a
throttle counter by username or hashed client address, an audit entry by time and a random id.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import DeleteError, UpdateError

from chalicelib.store.conditions import is_conditional_failure, put_new
from chalicelib.store.models import AuditRecord, LoginThrottleRecord, OfficerRecord, SessionRecord
from chalicelib.store.tables import bind_models


@dataclass(frozen=True)
class StoredSession:
    session_id: str
    username: str
    session_version: int
    created_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    kind: str
    actor: str
    case_id: str | None
    outcome: str | None
    reason: str | None
    detail: str | None


class SessionRepository:
    def __init__(self) -> None:
        bind_models()

    def create(self, session_id: str, username: str, version: int, now: datetime, expires_at: datetime) -> None:
        put_new(SessionRecord(
            session_id, username=username, session_version=version, created_at=now, last_seen_at=now,
            expires_at=expires_at,
        ))

    def get(self, session_id: str) -> StoredSession | None:
        try:
            r = SessionRecord.get(session_id, consistent_read=True)
        except SessionRecord.DoesNotExist:
            return None
        return StoredSession(r.session_id, r.username, int(r.session_version), r.created_at, r.last_seen_at)

    def touch(self, session_id: str, now: datetime) -> None:
        """Record activity (the idle timeout counts from here); a deleted session stays deleted."""
        try:
            SessionRecord._get_connection().update_item(
                session_id,
                actions=[SessionRecord.last_seen_at.set(now)],
                condition=SessionRecord.session_id.exists(),
            )
        except UpdateError as error:
            if not is_conditional_failure(error):
                raise

    def delete(self, session_id: str) -> None:
        try:
            SessionRecord(session_id).delete()
        except DeleteError as error:
            if not is_conditional_failure(error):
                raise


class OfficerAccountRepository:
    """The officer item's account fields: session version, password, activity, alert preference."""

    def __init__(self) -> None:
        bind_models()

    def session_state(self, username: str) -> tuple[bool, int] | None:
        """(active, session_version) of an officer, read consistently; None if there is no such officer."""
        try:
            r = OfficerRecord.get(username, consistent_read=True,
                                  attributes_to_get=["username", "active", "session_version"])
        except OfficerRecord.DoesNotExist:
            return None
        return bool(r.active), int(r.session_version or 0)

    def must_change_password(self, username: str) -> bool:
        try:
            r = OfficerRecord.get(username, consistent_read=True,
                                  attributes_to_get=["username", "must_change_password"])
        except OfficerRecord.DoesNotExist:
            return False
        return bool(r.must_change_password)

    def set_password(self, username: str, password_hash: str, must_change: bool = False) -> int:
        """Store a new password hash and end every session (the version moves on); the new version."""
        data = OfficerRecord._get_connection().update_item(
            username,
            actions=[
                OfficerRecord.password_hash.set(password_hash),
                OfficerRecord.must_change_password.set(must_change),
                OfficerRecord.session_version.add(1),
            ],
            condition=OfficerRecord.username.exists(),
            return_values="ALL_NEW",
        )
        return int(OfficerRecord.from_raw_data(data["Attributes"]).session_version)

    def end_sessions(self, username: str) -> None:
        """Move the session version on: every web session and API token of the officer ends."""
        OfficerRecord._get_connection().update_item(
            username,
            actions=[OfficerRecord.session_version.add(1)],
            condition=OfficerRecord.username.exists(),
        )

    def upgrade_password_hash(self, username: str, expected: str, new_hash: str) -> bool:
        """Replace the hash only if it is still `expected` (the same password, rehashed at a higher cost):
        sessions stay valid. False if the hash changed meanwhile (never put an old password back)."""
        try:
            OfficerRecord._get_connection().update_item(
                username,
                actions=[OfficerRecord.password_hash.set(new_hash)],
                condition=OfficerRecord.password_hash == expected,
            )
        except UpdateError as error:
            if is_conditional_failure(error):
                return False
            raise
        return True

    def set_active(self, username: str, active: bool) -> bool:
        """Activate or deactivate; deactivation ends every session at once. False if no such officer."""
        try:
            OfficerRecord._get_connection().update_item(
                username,
                actions=[OfficerRecord.active.set(active), OfficerRecord.session_version.add(1)],
                condition=OfficerRecord.username.exists(),
            )
        except UpdateError as error:
            if is_conditional_failure(error):
                return False
            raise
        return True

    def set_alert_channel(self, username: str, channel: str, email: str | None = None) -> None:
        actions = [OfficerRecord.alert_channel.set(channel)]
        if email is not None:
            actions.append(OfficerRecord.email.set(email) if email else OfficerRecord.email.remove())
        OfficerRecord._get_connection().update_item(
            username,
            actions=actions,
            condition=OfficerRecord.username.exists(),
        )


def lock_delay(steps: int, base_delay: timedelta, max_delay: timedelta) -> timedelta:
    """`base_delay` doubled `steps` times, at most `max_delay`. Computed in float seconds: a timedelta doubled
    forty-odd times overflows, and a raised OverflowError would end the throttling of a much-attacked name."""
    seconds = base_delay.total_seconds() * 2.0 ** min(max(steps, 0), 1000)
    return max_delay if seconds >= max_delay.total_seconds() else timedelta(seconds=seconds)


class LoginThrottleRepository:
    def __init__(self) -> None:
        bind_models()

    def locked_until(self, keys: list[str]) -> datetime | None:
        """The latest lock among `keys` (one batched read), or None."""
        latest = None
        for r in LoginThrottleRecord.batch_get(keys):
            if r.locked_until and (latest is None or r.locked_until > latest):
                latest = r.locked_until
        return latest

    def record_failure(self, key: str, now: datetime, free_tries: int, base_delay: timedelta,
                       max_delay: timedelta) -> int:
        """Count one failure; after `free_tries`, lock for a delay that doubles with each further failure."""
        data = LoginThrottleRecord._get_connection().update_item(
            key,
            actions=[
                LoginThrottleRecord.failures.add(1),
                LoginThrottleRecord.last_failure_at.set(now),
                LoginThrottleRecord.expires_at.set(now + timedelta(days=1)),
            ],
            return_values="ALL_NEW",
        )
        failures = int(LoginThrottleRecord.from_raw_data(data["Attributes"]).failures)
        if failures >= free_tries:
            delay = lock_delay(failures - free_tries, base_delay, max_delay)
            LoginThrottleRecord._get_connection().update_item(
                key, actions=[LoginThrottleRecord.locked_until.set(now + delay)]
            )
        return failures

    def clear(self, key: str) -> None:
        LoginThrottleRecord(key).delete()


class AuditRepository:
    def __init__(self) -> None:
        bind_models()

    def record(self, kind: str, actor: str, at: datetime, *, case_id: str | None = None,
               outcome: str | None = None, reason: str | None = None, detail: str | None = None) -> None:
        put_new(AuditRecord(
            f"{kind}#{at:%Y-%m}", f"{at.isoformat()}#{secrets.token_hex(6)}",
            kind=kind, actor=actor, case_id=case_id, outcome=outcome,
            reason=(reason or None) and reason[:500], detail=(detail or None) and detail[:500],
        ))

    def list(self, kind: str, month: str, limit: int = 100) -> list[AuditEntry]:
        """A month of one kind of audit entries, newest first (one Query)."""
        return [
            AuditEntry(
                at=datetime.fromisoformat(r.at_id.split("#", 1)[0]), kind=r.kind, actor=r.actor,
                case_id=r.case_id, outcome=r.outcome, reason=r.reason, detail=r.detail,
            )
            for r in AuditRecord.query(f"{kind}#{month}", scan_index_forward=False, limit=limit)
        ]
