"""The officer's own account page (alert preference, LINE link) and the admin's audit trail view."""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.calendar import WIB
from chalicelib.domain.case import Actor, Role
from chalicelib.domain.errors import NotPermitted, ValidationFailed
from chalicelib.domain.officer import Officer
from chalicelib.services.context import Context

ALERT_CHANNELS = {"line": "LINE", "sms": "SMS"}
AUDIT_KINDS = {
    "identity": "Pembukaan identitas pelapor anonim",
    "signin": "Percobaan masuk",
    "account": "Perubahan akun petugas",
}


def account_view(ctx: Context, officer: Officer) -> dict:
    agency = ctx.agencies.get(officer.agency_id)
    return {
        "username": officer.username,
        "display_name": officer.display_name,
        "role_label": officer.role.label,
        "agency_name": agency.name if agency else officer.agency_id,
        "alert_channel": officer.alert_channel,
        "alert_channels": ALERT_CHANNELS,
        "line_linked": bool(officer.line_user_id),
        "has_phone": bool(officer.phone),
        "must_change_password": officer.must_change_password,
    }


def set_alert_channel(ctx: Context, officer: Officer, channel: str) -> None:
    """Alerts go on LINE (once linked) or by SMS; LINE falls back to SMS when it cannot deliver."""
    if channel not in ALERT_CHANNELS:
        raise ValidationFailed("Pilih LINE atau SMS.", field="alert_channel")
    if channel == "line" and not officer.line_user_id:
        raise ValidationFailed("Hubungkan akun LINE Anda terlebih dahulu.", field="alert_channel")
    ctx.accounts.set_alert_channel(officer.username, channel)
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
