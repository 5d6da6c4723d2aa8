"""Administering officers: list, create (with a one-time initial password), edit, deactivate / reactivate and
reset a password — by the admin koordinator, or by a supervisor for their own OPD when the city allows it.

Rules kept here: usernames are unique case-insensitively (lower case, one conditional put); the last active
admin can be neither deactivated nor demoted; every change lands on the audit trail (kind "admin") with who,
what and before → after — never a password or its hash, and phone numbers and e-mail addresses only masked.
Nothing personal (name, phone, e-mail) is ever logged.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass

from chalicelib.domain.case import OFFICER_ROLES, Actor, Role
from chalicelib.domain.errors import InvalidTransition, NotFound, NotPermitted, ValidationFailed
from chalicelib.domain.officer import Officer
from chalicelib.domain.phone import normalize_phone
from chalicelib.services.auth import forget_session_state, hash_password
from chalicelib.services.context import Context
from chalicelib.services.officer_account import ALERT_CHANNELS, EMAIL

AUDIT_KIND = "admin"
USERNAME = re.compile(r"[a-z0-9](?:[a-z0-9._-]{1,62}[a-z0-9])")
SUPERVISED_ROLES = frozenset({Role.OPD, Role.SUPERVISOR})  # what a supervisor may manage, within their OPD
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud or copied by hand
PASSWORD_GROUPS, PASSWORD_GROUP_LENGTH = 4, 4  # 16 characters of 31 symbols: about 79 bits
TRUE_WORDS = ("1", "true", "yes", "ya", "on")


class OfficerConflict(InvalidTransition):
    """The username is taken, or the change would leave the city without an active admin (HTTP 409)."""

    code = "conflict"


@dataclass(frozen=True)
class Credentials:
    """An officer and the one-time password to hand over; shown once, never stored in clear."""

    officer: Officer
    initial_password: str


# ---------------------------------------------------------------- the city's setting


def supervisors_manage_officers(ctx: Context) -> bool:
    """Whether supervisors may manage officers of their own OPD (city setting, off by default).

    Read from `ctx.settings.supervisors_manage_officers` once settings.py has it, else from the environment
    variable `ADUAN_SUPERVISORS_MANAGE_OFFICERS` (1 / true / yes / ya)."""
    value = getattr(ctx.settings, "supervisors_manage_officers", None)
    if value is None:
        value = os.environ.get("ADUAN_SUPERVISORS_MANAGE_OFFICERS", "").strip().lower() in TRUE_WORDS
    return bool(value)


# ---------------------------------------------------------------- reading


def officer_view(ctx: Context, officer: Officer) -> dict:
    agency = ctx.agencies.get(officer.agency_id)
    return {
        "username": officer.username,
        "display_name": officer.display_name,
        "role": officer.role.value,
        "role_label": officer.role.label,
        "agency_id": officer.agency_id,
        "agency_name": agency.name if agency else officer.agency_id,
        "phone": officer.phone or "",
        "email": officer.email or "",
        "alert_channel": officer.alert_channel,
        "alert_channel_label": ALERT_CHANNELS.get(officer.alert_channel, officer.alert_channel),
        "line_linked": bool(officer.line_user_id),
        "active": officer.active,
        "must_change_password": officer.must_change_password,
    }


def list_officers(ctx: Context, actor: Actor, *, agency: str = "", role: str = "", active: str = "") -> list[dict]:
    """Officers the actor may manage, filtered by OPD, role and active ("true"/"false"); one Query per OPD."""
    _require_manager(ctx, actor)
    wanted_role = _role(role, "role") if role else None
    wanted_active = parse_flag(active, "active") if active else None
    if actor.role is Role.SUPERVISOR:
        if agency and agency != actor.agency_id:
            raise NotPermitted("Anda hanya dapat mengelola petugas OPD Anda sendiri.")
        agencies = [actor.agency_id]
    elif agency:
        agencies = [agency]
    else:
        agencies = _every_agency(ctx)
    found: list[Officer] = []
    for agency_id in agencies:
        found.extend(ctx.directory.officers_of(agency_id, wanted_role))
    if actor.role is Role.SUPERVISOR:
        found = [o for o in found if o.role in SUPERVISED_ROLES]
    if wanted_active is not None:
        found = [o for o in found if o.active == wanted_active]
    return [officer_view(ctx, o) for o in sorted(found, key=lambda o: (o.agency_id, o.role.value, o.username))]


def get_officer(ctx: Context, actor: Actor, username: str) -> dict:
    return officer_view(ctx, _managed_officer(ctx, actor, username))


# ---------------------------------------------------------------- changing


def create_officer(ctx: Context, actor: Actor, fields: dict[str, str]) -> Credentials:
    """A new officer with a random one-time password they must change at first sign-in."""
    _require_manager(ctx, actor)
    username = _username(fields.get("username", ""))
    officer = Officer(
        username=username,
        display_name=_name(fields.get("display_name", "")),
        role=_role(fields.get("role", ""), "role"),
        agency_id=_agency(ctx, fields.get("agency_id", "")),
        phone=_phone(fields.get("phone", "")),
        email=_email(fields.get("email", "")),
        alert_channel=_alert_channel(fields.get("alert_channel", "") or "sms"),
        must_change_password=True,
    )
    _check_contact(officer)
    _require_may_manage(ctx, actor, officer.role, officer.agency_id)
    password = new_password()
    if not ctx.directory.create_officer(officer, hash_password(password)):
        raise OfficerConflict(f"Nama pengguna '{username}' sudah dipakai.", field="username")
    ctx.forget_directory()
    _audit(ctx, actor, "petugas_dibuat", username,
           f"peran {officer.role.value}; OPD {officer.agency_id}; kanal {officer.alert_channel}")
    return Credentials(officer, password)


def update_officer(ctx: Context, actor: Actor, username: str, fields: dict[str, str]) -> dict:
    """Change name, role, OPD, phone and e-mail (fields absent from `fields` keep their value).

    A change of role or OPD ends the officer's sessions and tokens: a token carries both."""
    before = _managed_officer(ctx, actor, username)
    if not any(name in fields for name in ("display_name", "role", "agency_id", "phone", "email")):
        raise ValidationFailed("Tidak ada perubahan: isi nama, peran, OPD, telepon atau e-mail.",
                               field="display_name")
    after = Officer(
        username=before.username,
        display_name=_name(fields["display_name"]) if "display_name" in fields else before.display_name,
        role=_role(fields["role"], "role") if "role" in fields else before.role,
        agency_id=_agency(ctx, fields["agency_id"]) if "agency_id" in fields else before.agency_id,
        phone=_phone(fields["phone"]) if "phone" in fields else before.phone,
        email=_email(fields["email"]) if "email" in fields else before.email,
        alert_channel=before.alert_channel,
        line_user_id=before.line_user_id,
    )
    _check_contact(after)
    _require_may_manage(ctx, actor, after.role, after.agency_id)
    if before.role is Role.ADMIN and after.role is not Role.ADMIN and before.active:
        _require_another_active_admin(ctx, before.username)
    changes = _changes(before, after)
    if not changes:
        return officer_view(ctx, before)
    moved = (before.role, before.agency_id) != (after.role, after.agency_id)
    if not ctx.directory.update_officer_profile(
        before.username, expected_role=before.role, expected_agency=before.agency_id,
        display_name=after.display_name, role=after.role, agency_id=after.agency_id, phone=after.phone,
        email=after.email, end_sessions=moved,
    ):
        raise OfficerConflict("Data petugas ini baru saja diubah orang lain. Muat ulang lalu coba lagi.")
    if moved:
        forget_session_state(before.username)
    ctx.forget_directory()
    _audit(ctx, actor, "petugas_diubah", before.username, "; ".join(changes) + ("; sesi diakhiri" if moved else ""))
    fresh = ctx.directory.officer(before.username)
    return officer_view(ctx, fresh or after)


def set_active(ctx: Context, actor: Actor, username: str, active: bool) -> dict:
    """Deactivate (every web session and API token ends at once) or reactivate an officer.

    Admins go through `services.sessions.set_officer_active` (the same path as the JSON routes
    /api/admin/officers/{username}/deactivate|activate); a supervisor allowed by the city, for an officer of
    their own OPD, through the same store call."""
    target = _managed_officer(ctx, actor, username)
    if target.username == _username_of(actor) and not active:
        raise ValidationFailed("Anda tidak dapat menonaktifkan akun Anda sendiri.", field="username")
    if target.active == active:
        return {"username": target.username, "active": active}
    if not active and target.role is Role.ADMIN:
        _require_another_active_admin(ctx, target.username)
    if actor.role is Role.ADMIN:
        from chalicelib.services.sessions import set_officer_active

        set_officer_active(ctx, actor, target.username, active)
    else:
        if not ctx.accounts.set_active(target.username, active):
            raise NotFound("Petugas tidak ditemukan.")
        forget_session_state(target.username)
        ctx.forget_directory()
    _audit(ctx, actor, "petugas_diaktifkan" if active else "petugas_dinonaktifkan", target.username,
           f"aktif {_yes(target.active)} → {_yes(active)}" + ("" if active else "; sesi diakhiri"))
    return {"username": target.username, "active": active}


def reset_password(ctx: Context, actor: Actor, username: str) -> Credentials:
    """A new one-time password: the officer must change it at sign-in; every session and token ends now."""
    target = _managed_officer(ctx, actor, username)
    if target.username == _username_of(actor):
        raise ValidationFailed("Ganti kata sandi Anda sendiri di halaman Akun.", field="username")
    password = new_password()
    ctx.accounts.set_password(target.username, hash_password(password), must_change=True)
    forget_session_state(target.username)
    ctx.forget_directory()
    _audit(ctx, actor, "sandi_disetel_ulang", target.username, "wajib ganti sandi: ya; sesi diakhiri")
    fresh = ctx.directory.officer(target.username)
    return Credentials(fresh or target, password)


def new_password() -> str:
    """A random one-time password in groups, e.g. 'k7mq-2xht-9rcw-pa4e'."""
    return "-".join(
        "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_GROUP_LENGTH))
        for _ in range(PASSWORD_GROUPS)
    )


# ---------------------------------------------------------------- who may manage whom


def may_manage_officers(ctx: Context, actor: Actor) -> bool:
    return actor.role is Role.ADMIN or (actor.role is Role.SUPERVISOR and supervisors_manage_officers(ctx))


def _require_manager(ctx: Context, actor: Actor) -> None:
    if not may_manage_officers(ctx, actor):
        raise NotPermitted("Pengelolaan petugas hanya untuk admin koordinator.")


def _require_may_manage(ctx: Context, actor: Actor, role: Role, agency_id: str) -> None:
    """Admins manage everyone; a supervisor (if the city allows) only OPD officers and supervisors of their OPD."""
    _require_manager(ctx, actor)
    if actor.role is Role.ADMIN:
        return
    if role not in SUPERVISED_ROLES or agency_id != actor.agency_id:
        raise NotPermitted("Anda hanya dapat mengelola petugas OPD dan supervisor di OPD Anda sendiri.")


def _managed_officer(ctx: Context, actor: Actor, username: str) -> Officer:
    _require_manager(ctx, actor)
    name = (username or "").strip().lower()
    officer = ctx.directory.officer(name) if name and len(name) <= 100 else None
    if officer is None:
        raise NotFound("Petugas tidak ditemukan.")
    _require_may_manage(ctx, actor, officer.role, officer.agency_id)
    return officer


def _require_another_active_admin(ctx: Context, username: str) -> None:
    """Refuse (409) unless an active admin other than `username` remains. Admins are indexed by OPD and role,
    so this is one Query per OPD (the admin agency first, stopping at the first other admin), never a Scan."""
    for agency_id in _every_agency(ctx):
        if any(o.active and o.username != username for o in ctx.directory.officers_of(agency_id, Role.ADMIN)):
            return
    raise OfficerConflict("Ini admin koordinator aktif terakhir: tambahkan atau aktifkan admin lain dahulu.",
                          field="role")


def _every_agency(ctx: Context) -> list[str]:
    """The admin agency first, then leadership's and every OPD of the directory (retired ones too)."""
    found = [ctx.settings.admin_agency, ctx.settings.leadership_agency, *sorted(ctx.agencies)]
    return list(dict.fromkeys(found))


# ---------------------------------------------------------------- validation


def _username(raw: str) -> str:
    name = (raw or "").strip().lower()
    if not name:
        raise ValidationFailed("Isi nama pengguna.", field="username")
    if not USERNAME.fullmatch(name):
        raise ValidationFailed("Nama pengguna 3–64 karakter: huruf, angka, titik, garis bawah atau tanda hubung, "
                               "diawali dan diakhiri huruf atau angka.", field="username")
    return name


def _name(raw: str) -> str:
    name = " ".join((raw or "").split())
    if not name:
        raise ValidationFailed("Isi nama petugas.", field="display_name")
    if len(name) > 200:
        raise ValidationFailed("Nama petugas paling panjang 200 karakter.", field="display_name")
    return name


def _role(raw: str, field: str) -> Role:
    try:
        role = Role((raw or "").strip().lower())
    except ValueError:
        role = None
    if role not in OFFICER_ROLES:
        raise ValidationFailed("Peran harus admin, opd, supervisor atau leadership.", field=field)
    return role  # type: ignore[return-value]


def _agency(ctx: Context, raw: str) -> str:
    agency_id = (raw or "").strip()
    if not agency_id:
        raise ValidationFailed("Pilih OPD petugas.", field="agency_id")
    agency = ctx.agencies.get(agency_id)
    if agency is None or not agency.active:
        raise ValidationFailed("OPD tidak dikenal atau sudah tidak aktif.", field="agency_id")
    return agency_id


def _phone(raw: str) -> str | None:
    text = (raw or "").strip()
    if not text:
        return None
    if len(text) > 40:
        raise ValidationFailed("Nomor telepon tidak valid.", field="phone")
    return normalize_phone(text)


def _email(raw: str) -> str | None:
    address = (raw or "").strip()
    if not address:
        return None
    if len(address) > 200 or not EMAIL.fullmatch(address):
        raise ValidationFailed("Alamat e-mail tidak sah.", field="email")
    return address


def _alert_channel(raw: str) -> str:
    channel = raw.strip().lower()
    if channel not in ALERT_CHANNELS:
        raise ValidationFailed("Kanal peringatan harus line, sms atau email.", field="alert_channel")
    return channel


def _check_contact(officer: Officer) -> None:
    """Alerts must have somewhere to go: SMS needs a phone, e-mail an address (LINE falls back to SMS)."""
    if officer.alert_channel == "email" and not officer.email:
        raise ValidationFailed("Isi alamat e-mail: peringatan petugas ini dikirim lewat e-mail.", field="email")
    if officer.alert_channel == "sms" and not officer.phone:
        raise ValidationFailed("Isi nomor telepon: peringatan petugas ini dikirim lewat SMS.", field="phone")


def parse_flag(raw: str, field: str) -> bool:
    text = (raw or "").strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in ("0", "false", "no", "tidak", "off"):
        return False
    raise ValidationFailed(f"'{field}' harus true atau false.", field=field)


# ---------------------------------------------------------------- audit


def _changes(before: Officer, after: Officer) -> list[str]:
    """What changed, before → after; phone and e-mail masked (the audit trail is no second copy of them)."""
    changes = []
    if before.display_name != after.display_name:
        changes.append(f"nama {before.display_name} → {after.display_name}")
    if before.role != after.role:
        changes.append(f"peran {before.role.value} → {after.role.value}")
    if before.agency_id != after.agency_id:
        changes.append(f"OPD {before.agency_id} → {after.agency_id}")
    if before.phone != after.phone:
        changes.append(f"telepon {_masked_phone(before.phone)} → {_masked_phone(after.phone)}")
    if before.email != after.email:
        changes.append(f"e-mail {_masked_email(before.email)} → {_masked_email(after.email)}")
    return changes


def _masked_phone(phone: str | None) -> str:
    return f"…{phone[-3:]}" if phone else "-"


def _masked_email(email: str | None) -> str:
    if not email:
        return "-"
    local, _, domain = email.partition("@")
    return f"{local[:1]}…@{domain}"


def _audit(ctx: Context, actor: Actor, outcome: str, username: str, detail: str) -> None:
    ctx.audit.record(AUDIT_KIND, _username_of(actor), ctx.now(), outcome=outcome,
                     detail=f"petugas:{username}; {detail}")


def _username_of(actor: Actor) -> str:
    return actor.actor_id.removeprefix("officer:")


def _yes(value: bool) -> str:
    return "ya" if value else "tidak"
