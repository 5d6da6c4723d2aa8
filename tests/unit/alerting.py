"""Helpers for the tests of officer alerts and of the workflow they follow: demo officers by username,
cases entered and forwarded as the handlers do (alerts queued at once), and the outbox items they produced.

Cases made here are listed in `made_cases` and removed by the `alert_ctx` fixture (tests/unit/conftest.py),
so no later test finds them overdue.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime
from urllib.parse import parse_qs

from chalicelib.channels.base import ParsedDelivery
from chalicelib.domain.calendar import WIB
from chalicelib.domain.case import Actor
from chalicelib.domain.messages import InboundMessage
from chalicelib.services import intake, workflow
from chalicelib.services.notify import notify_now, officer_route

BASE = "https://aduan.example.go.id"
PHONES = {"admin.kominfo": "+6281200000001", "petugas.dpupr": "+6281200000002", "kabid.dpupr": "+6281200000003",
          "sekda": "+6281200000004", "petugas.dlhkp": "+6281200000005", "admin2.kominfo": "+6281200000009"}
GROUP = "C" + "d" * 32
counter = itertools.count(1)
made_cases: list[str] = []  # cases these tests made: removed afterwards, so no later test finds them overdue


def wib(*args) -> datetime:
    return datetime(*args, tzinfo=WIB)


def actor(username: str) -> Actor:
    officer = next(o for o in _all_officers() if o.username == username)
    return officer.actor


def _all_officers():
    from chalicelib.services.context import get_context

    ctx = get_context()
    return [o for agency in ("diskominfo", "dpupr", "dlhkp", "setda") for o in ctx.officers_of(agency)]


def entry(ctx, by="petugas.dpupr", text="Jalan berlubang besar di Jl. Semeru dekat SDN Banjaran", **fields):
    case = workflow.create_case_from_entry(ctx, actor(by), channel="telepon", description=text,
                                           idempotency_key=uuid.uuid4().hex, **fields)
    made_cases.append(case.case_id)
    notify_now(ctx, case)  # what the handlers do right after the use case
    return case


def forward(ctx, case, lead="dpupr", supporting=(), by="admin.kominfo"):
    case = workflow.forward_case(ctx, actor(by), case.case_id, case.version, lead_agency=lead,
                                 supporting_agencies=tuple(supporting), category_id="jalan-jembatan")
    notify_now(ctx, case)
    return case


def alert(ctx, case, seq, username):
    return ctx.outbox.get(f"alert:{case.case_id}:{seq}:{username}")


def recipient(ctx, username):
    """Where this officer's personal alerts go (LINE once linked and preferred, else SMS)."""
    return officer_route(ctx, ctx.directory.officer(username))[1]


def texts_for(provider, ctx, username, case_id, needle=""):
    """The texts the fake provider got for this officer about this case (LINE push or SMS)."""
    to = recipient(ctx, username)
    texts = [r.json()["messages"][0]["text"] for r in provider.sent_to("/v2/bot/message/push")
             if r.json()["to"] == to]
    for request in provider.sent_to("/gateway/send"):
        form = parse_qs(request.body.decode())
        if form["destination"] == [to.lstrip("+")]:
            texts.append(form["message"][0])
    return [t for t in texts if case_id in t and needle in t]


def telegram(ctx, text, chat, kind="text", **fields):
    n = next(counter)
    return InboundMessage(channel="telegram", event_key=f"tg:alerts:{chat}:{n}", sender_id=chat, reply_to=chat,
                          received_at=ctx.now(), text=text, kind=kind, **fields)


def line(ctx, text, user, kind="text", **fields):
    n = next(counter)
    return InboundMessage(channel="line", event_key=f"line:alerts:{user[-6:]}:{n}", sender_id=user, reply_to=user,
                          received_at=ctx.now(), text=text, kind=kind, reply_token=f"token-alerts-{n}", **fields)


def deliver(ctx, message):
    [key] = intake.record_delivery(ctx, ParsedDelivery(messages=(message,)))
    outcome = intake.process_event(ctx, key)
    made_cases.append(outcome.case_id)
    return outcome
