"""Complaints that reach the desk by phone, face to face or by letter, typed in by an officer.

The form posts its own idempotency key (made when the page is drawn), so a double click or a resent form
creates one case. The date (and hour) of receipt is the officer's to give: a letter opened on Monday that
arrived on Friday is late from Friday's clock, not Monday's.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, date, datetime, time

from chalicelib.domain.calendar import WIB
from chalicelib.domain.case import OFFICER_ENTRY_CHANNELS, Actor, Case, Channel, Reporter
from chalicelib.domain.errors import ValidationFailed
from chalicelib.services.context import Context
from chalicelib.services.workflow import create_case_from_entry

OFFICE_OPENS = time(8, 0)  # a past day's receipt with no hour given counts from the start of office hours
LIMITS = {"title": 200, "description": 4000, "location": 500, "name": 200, "phone": 40, "email": 200}


def entry_form_context(ctx: Context, values: Mapping[str, str], errors: Mapping[str, str]) -> dict:
    today = ctx.now().astimezone(WIB).date()
    return {
        "values": {"channel": "telepon", "tanggal": today.isoformat(), **dict(values)},
        "errors": dict(errors),
        "channels": [(c.value, c.label) for c in Channel if c in OFFICER_ENTRY_CHANNELS],
        "categories": sorted(((c.category_id, c.name) for c in ctx.categories.values() if c.active),
                             key=lambda item: item[1]),
        "today": today.isoformat(),
        "idempotency_key": values.get("idempotency_key") or secrets.token_urlsafe(16),
    }


def record_entry(ctx: Context, actor: Actor, form: Mapping[str, str]) -> Case:
    """Validate the entry form and open the case (a replay of the same form returns the same case)."""
    for name, limit in LIMITS.items():
        if len(form.get(name, "")) > limit:
            raise ValidationFailed(f"Isian paling panjang {limit} karakter.", field=name)
    if not form.get("description", "").strip():
        raise ValidationFailed("Isi laporan wajib diisi.", field="description")
    phone = form.get("phone", "").strip()
    normalized = None
    if phone:
        from chalicelib.domain.phone import normalize_phone

        normalized = normalize_phone(phone)  # ValidationFailed on the 'phone' field when not a number
    email = form.get("email", "").strip()
    if email and ("@" not in email or " " in email):
        raise ValidationFailed("Alamat e-mail tidak sah.", field="email")
    return create_case_from_entry(
        ctx,
        actor,
        channel=form.get("channel", ""),
        description=form.get("description", ""),
        idempotency_key=form.get("idempotency_key", "")[:100],
        reporter=Reporter(name=form.get("name", "").strip() or None, phone=normalized, email=email or None),
        title=form.get("title", ""),
        location=form.get("location", ""),
        anonymous=form.get("anonymous") == "1",
        confidential=form.get("confidential") == "1",
        category_id=form.get("category_id") or None,
        received_at=received_moment(ctx, form.get("tanggal", ""), form.get("jam", "")),
    )


def received_moment(ctx: Context, day_text: str, hour_text: str) -> datetime | None:
    """The moment of receipt from the form's date and optional hour (WIB); None means 'now'."""
    if not day_text:
        return None
    try:
        day = date.fromisoformat(day_text)
        hour = time.fromisoformat(hour_text) if hour_text else None
    except ValueError:
        raise ValidationFailed("Tanggal atau jam diterima tidak sah.", field="tanggal") from None
    now = ctx.now()
    if hour is None:
        if day == now.astimezone(WIB).date():
            return None
        hour = OFFICE_OPENS
    return datetime.combine(day, hour, tzinfo=WIB).astimezone(UTC)
