"""Shared steps of the privacy tests: a citizen's whole life with the desk, with data unique to each test (the
tables outlive every test), and the dashboard numbers to compare before and after an erasure."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

from chalicelib.channels.base import ParsedDelivery
from chalicelib.domain.case import Actor, Role
from chalicelib.domain.messages import CaseMessage, InboundMessage
from chalicelib.services import intake, workflow
from chalicelib.store.media import MediaStore

ADMIN = Actor("officer:admin.kominfo", Role.ADMIN, "diskominfo")
DPUPR = Actor("officer:petugas.dpupr", Role.OPD, "dpupr")
JPEG = b"\xff\xd8\xff\xe0" + b"privacy-test-photo" * 8


def unique_phone() -> str:
    """A valid Indonesian mobile number no other test uses."""
    return f"+62812{random.randint(10_000_000, 99_999_999)}"


def far_month(clock, year: int, month: int, day: int = 5) -> None:
    """Park the clock on a weekday 09:00 WIB in a month no other test touches."""
    moment = datetime(year, month, day, 2, 0, tzinfo=UTC)
    while moment.weekday() >= 5:
        moment = moment.replace(day=moment.day + 1)
    clock.set(moment)


def whatsapp(ctx, phone: str, text: str | None, name: str = "Rina Wulandari", **fields) -> InboundMessage:
    wa_id = phone.lstrip("+")
    return InboundMessage(channel="whatsapp", event_key=f"wa:wamid.HBgN{wa_id}{uuid.uuid4().hex[:12].upper()}",
                          sender_id=wa_id, reply_to=wa_id, phone=phone, sender_name=name,
                          received_at=ctx.now(), text=text, **fields)


def deliver(ctx, *messages):
    """What a webhook does, then what the worker does."""
    fresh = intake.record_delivery(ctx, ParsedDelivery(messages=tuple(messages)))
    return [intake.process_event(ctx, key) for key in fresh]


def add_photo(ctx, case_id: str, reporter_key: str) -> str:
    """A photo the citizen sent, stored as intake stores it."""
    event_key = f"wa:wamid.PHOTO{uuid.uuid4().hex[:16].upper()}"
    key = MediaStore(ctx.channels).put(f"media/{case_id}/{event_key.replace(':', '-')}.jpg", JPEG, "image/jpeg")
    ctx.messages.add(CaseMessage(case_id=case_id, message_id=event_key, sent_at=ctx.now(), direction="in",
                                 channel="whatsapp", kind="image", media_key=key, media_type="image/jpeg",
                                 author=reporter_key, provider_id=event_key.split(":", 1)[1]))
    return key


def citizen_story(ctx, clock, phone: str, *, name: str = "Rina Wulandari", text: str | None = None,
                  close: bool = True, rate: bool = True):
    """A WhatsApp complaint with a photo, forwarded, answered by an officer, followed up, closed and rated."""
    from chalicelib.services.citizen_reply import reply_to_citizen
    from chalicelib.services.sync import sync_pending_cases

    text = text or f"Lampu jalan mati di depan rumah saya, hubungi {phone} ({name})"
    [opened] = deliver(ctx, whatsapp(ctx, phone, text, name))
    case_id = opened.case_id
    photo = add_photo(ctx, case_id, f"tel:{phone}")
    case = ctx.cases.get(case_id)
    case = workflow.forward_case(ctx, ADMIN, case_id, case.version, lead_agency="dpupr")
    reply_to_citizen(ctx, ADMIN, case_id, f"Terima kasih Bu {name}, kami teruskan ke DPUPR.", uuid.uuid4().hex)
    sync_pending_cases(ctx)
    if close:
        clock.advance(days=1)
        case = workflow.record_follow_up(ctx, DPUPR, case_id, case.version,
                                         note=f"Lampu sudah diganti, sudah dikabari Bu {name}.")
        case = workflow.close_case(ctx, ADMIN, case_id, case.version, note="Selesai diperbaiki.")
        sync_pending_cases(ctx)
        if rate:
            clock.advance(hours=1)
            deliver(ctx, whatsapp(ctx, phone, "5", name))
        sync_pending_cases(ctx)
    return ctx.cases.get(case_id), photo
