"""The officer's own account page (alert channel and preferences, LINE link) and the admin's audit trail view."""

from __future__ import annotations

import re
from datetime import datetime

from chalicelib.domain.alerts import AlertKind, format_quiet_hours, parse_clock, parse_kinds, parse_quiet_hours
from chalicelib.domain.calendar import WIB
from chalicelib.domain.case import Actor, Role
from chalicelib.domain.errors import NotPermitted, ValidationFailed
from chalicelib.domain.officer import Officer
from chalicelib.services.context import Context

ALERT_CHANNELS = {"line": "LINE", "sms": "SMS", "email": "E-mail"}
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
AUDIT_KINDS = {
    "identity": "Pembukaan identitas pelapor anonim",
    "signin": "Percobaan masuk",
    "account": "Perubahan akun petugas",
    "privacy": "Data pribadi (ekspor, penghapusan, retensi)",
    "admin": "Administrasi (petugas, OPD, kategori, kalender, berkas kota)",
}


def account_view(ctx: Context, officer: Officer) -> dict:
    agency = ctx.agencies.get(officer.agency_id)
    return {
        "username": officer.username,
        "display_name": officer.display_name,
        "role_label": officer.role.label,
        "agency_name": agency.name if agency else officer.agency_id,
        "alert_channel": officer.alert_channel,
        "email": officer.email or "",
        "alert_channels": ALERT_CHANNELS,
        "line_linked": bool(officer.line_user_id),
        "has_phone": bool(officer.phone),
        "must_change_password": officer.must_change_password,
        **alert_preferences_view(ctx, officer),
    }


def alert_preferences_view(ctx: Context, officer: Officer) -> dict:
    """The officer's alert preferences as the account form shows them (the city's defaults where unset)."""
    city = ctx.settings.quiet_hours
    quiet = officer.quiet_hours if officer.quiet_hours is not None else city
    try:
        window = parse_quiet_hours(quiet)
    except ValueError:
        window = None
    return {
        "alert_kinds": [(k.value, k.label, k.optional) for k in AlertKind],
        "chosen_kinds": set(officer.alert_kinds) if officer.alert_kinds is not None else {k.value for k in AlertKind},
        "quiet_start": window[0].strftime("%H:%M") if window else "",
        "quiet_end": window[1].strftime("%H:%M") if window else "",
        "city_quiet_hours": city,
        "urgent_at_night": officer.urgent_at_night,
        "personal_with_group": officer.personal_with_group,
    }


def set_alert_preferences(ctx: Context, officer: Officer, *, kinds: list[str], quiet_start: str, quiet_end: str,
                          urgent_at_night: bool, personal_with_group: bool) -> None:
    """Which alerts the officer takes, their quiet hours (WIB; empty both: none) and the night and group choices."""
    chosen = tuple(sorted(k.value for k in parse_kinds(kinds) if k.optional))
    every = tuple(sorted(k.value for k in AlertKind if k.optional))
    if bool(quiet_start.strip()) != bool(quiet_end.strip()):
        raise ValidationFailed("Isi jam mulai dan jam selesai, atau kosongkan keduanya.", field="quiet_hours")
    quiet = ""
    if quiet_start.strip():
        try:
            quiet = format_quiet_hours(parse_clock(quiet_start), parse_clock(quiet_end))
        except ValueError:
            raise ValidationFailed("Jam tenang harus berbentuk JJ:MM, misalnya 21:00.", field="quiet_hours") from None
    ctx.directory.set_alert_preferences(
        officer.username,
        kinds=None if chosen == every else chosen,
        quiet_hours=None if quiet == ctx.settings.quiet_hours else quiet,
        urgent_at_night=urgent_at_night,
        personal_with_group=personal_with_group,
    )
    ctx.forget_directory()


def set_alert_channel(ctx: Context, officer: Officer, channel: str, email: str = "") -> None:
    """Alerts go on LINE (once linked), by e-mail (to the address given) or by SMS; LINE and e-mail fall back
    to SMS when they cannot deliver."""
    if channel not in ALERT_CHANNELS:
        raise ValidationFailed("Pilih LINE, SMS atau e-mail.", field="alert_channel")
    if channel == "line" and not officer.line_user_id:
        raise ValidationFailed("Hubungkan akun LINE Anda terlebih dahulu.", field="alert_channel")
    address = email.strip()
    if address and (len(address) > 200 or not EMAIL.fullmatch(address)):
        raise ValidationFailed("Alamat e-mail tidak sah.", field="alert_channel")
    if channel == "email" and not (address or officer.email):
        raise ValidationFailed("Isi alamat e-mail untuk peringatan lewat e-mail.", field="alert_channel")
    ctx.accounts.set_alert_channel(officer.username, channel, address if address else None)
    ctx.forget_directory()


def audit_view(ctx: Context, actor: Actor, kind: str, month: str) -> dict:
    """A month of one kind of audit entries, newest first (admin koordinator only)."""
    if actor.role is not Role.ADMIN:
        raise NotPermitted("Jejak audit hanya untuk admin koordinator.")
    if kind not in AUDIT_KINDS:
        kind = "identity"
    now_month = ctx.now().astimezone(WIB).strftime("%Y-%m")
    if not month:
        month = now_month
    try:
        datetime.strptime(month, "%Y-%m")
    except ValueError:
        raise ValidationFailed("Bulan harus berbentuk TTTT-BB, misalnya 2026-11.", field="bulan") from None
    entries = ctx.audit.list(kind, month, limit=200)
    return {"kind": kind, "kinds": AUDIT_KINDS, "month": month, "entries": entries}
