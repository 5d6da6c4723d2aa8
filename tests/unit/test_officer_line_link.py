"""An officer links LINE for alerts by sending a one-time code to the city's LINE account."""

from __future__ import annotations

from chalicelib.channels.base import ParsedDelivery
from chalicelib.domain.messages import InboundMessage
from chalicelib.services import intake


def line_text(ctx, text, user):
    return InboundMessage(channel="line", event_key=f"line:LINK{abs(hash((text, user, ctx.now())))}",
                          sender_id=user, reply_to=user, received_at=ctx.now(), text=text, reply_token="rt")


def deliver(ctx, message):
    [key] = intake.record_delivery(ctx, ParsedDelivery(messages=(message,)))
    return intake.process_event(ctx, key)


def test_the_code_links_the_officers_line_account_once(api, intake_ctx, login, provider):
    headers = login("petugas.dlhkp")
    issued = api.http.post("/api/me/line-link", headers=headers)
    assert issued.status_code == 201
    code = issued.json_body["code"]
    assert code.startswith("ADUAN-") and code in issued.json_body["instruction"]
    user = "U" + "9" * 32
    outcome = deliver(intake_ctx, line_text(intake_ctx, code.lower(), user))
    assert outcome.kind == "linked" and outcome.case_id is None
    officer = next(o for o in intake_ctx.officers_of("dlhkp") if o.username == "petugas.dlhkp")
    assert officer.line_user_id == user
    assert "terhubung" in provider.sent_to("/v2/bot/message/reply")[-1].json()["messages"][0]["text"]
    again = deliver(intake_ctx, line_text(intake_ctx, code, "U" + "8" * 32))  # a code works once
    assert again.kind == "ignored"
    assert next(o for o in intake_ctx.officers_of("dlhkp") if o.username == "petugas.dlhkp").line_user_id == user


def test_an_expired_code_links_nothing_and_opens_no_case(api, intake_ctx, login):
    code = api.http.post("/api/me/line-link", headers=login("petugas.dpupr")).json_body["code"]
    intake_ctx.clock.advance(minutes=16)
    outcome = deliver(intake_ctx, line_text(intake_ctx, code, "U" + "7" * 32))
    assert outcome.kind == "ignored" and outcome.case_id is None
