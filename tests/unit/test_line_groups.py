"""The city's LINE account inside an OPD's LINE group: binding it for alerts, never taking complaints there.

Every delivery goes through the real webhook route with a correctly signed body in LINE's documented
shape; processing runs as it would after the answer (`intake.process_event`).
"""

from __future__ import annotations

import json
import time
import uuid

import pytest

from chalicelib.domain.case import Reporter
from chalicelib.services import intake, workflow
from tests.unit.test_webhooks import line_headers
from tests.unit.web_session import sign_in, text_of

DESTINATION = "U0123456789abcdef0123456789abcdef"


def group_id() -> str:
    return "C" + uuid.uuid4().hex


def member() -> str:
    return "U" + uuid.uuid4().hex


def event_id() -> str:
    return "01" + uuid.uuid4().hex[:24].upper()


def group_event(kind: str, group: str, eid: str | None = None, **fields) -> dict:
    event = {
        "type": kind, "mode": "active", "timestamp": int(time.time() * 1000),
        "source": {"type": "group", "groupId": group},
        "webhookEventId": eid or event_id(), "deliveryContext": {"isRedelivery": False},
    }
    event.update(fields)
    return event


def group_text(group: str, text: str, user: str | None = None, eid: str | None = None) -> dict:
    event = group_event("message", group, eid, replyToken=uuid.uuid4().hex,
                        message={"id": str(time.time_ns())[:18], "type": "text", "quoteToken": "q", "text": text})
    event["source"]["userId"] = user or member()
    return event


def post(api, *events: dict):
    body = json.dumps({"destination": DESTINATION, "events": list(events)}).encode()
    response = api.http.post("/webhooks/line", headers=line_headers(body), body=body)
    assert response.status_code == 200, response.body
    return response.json_body


def deliver(api, ctx, event: dict):
    """Post one event through the webhook and process it; the outcome (None if it was a redelivery)."""
    receipt = post(api, event)
    key = f"line:{event['webhookEventId']}"
    return intake.process_event(ctx, key) if receipt["new"] else None


def replies_in(provider, group: str | None = None) -> list[str]:
    del group  # a reply names the token, not the chat
    return [r.json()["messages"][0]["text"] for r in provider.sent_to("/v2/bot/message/reply")]


@pytest.fixture
def groups_ctx(intake_ctx):
    """The wired context; afterwards the OPDs' group bindings are as they were (other tests route alerts)."""
    from chalicelib.services.auth import forget_session_state
    from demo.kediri import OFFICERS

    for demo in OFFICERS:  # earlier tests may have rewritten a demo officer behind this process's cache
        forget_session_state(demo.username)
    before = {agency_id: intake_ctx.line_groups.group_of(agency_id) for agency_id in ("dpupr", "dlhkp")}
    yield intake_ctx
    for agency_id, group in before.items():
        now = intake_ctx.line_groups.group_of(agency_id)
        if group and now != group:
            intake_ctx.line_groups.bind(agency_id, group, "test", intake_ctx.now())
        elif not group and now:
            intake_ctx.line_groups.unbind(agency_id, now)


def group_code(api, login, username: str, agency: str):
    return api.http.post(f"/api/agencies/{agency}/line-group-code", headers=login(username))


# ---------------------------------------------------------------- binding


def test_a_valid_code_binds_the_group_and_the_account_confirms_in_the_group(api, groups_ctx, login, provider):
    # Given the DPUPR supervisor asked for a group code
    issued = group_code(api, login, "kabid.dpupr", "dpupr")
    assert issued.status_code == 201
    code = issued.json_body["code"]
    assert code.startswith("GRUP-") and code in issued.json_body["instruction"]
    assert issued.json_body["agency_id"] == "dpupr"
    group = group_id()
    # When an officer posts it in the LINE group
    outcome = deliver(api, groups_ctx, group_text(group, f"  {code.lower()} "))
    # Then the group is bound to DPUPR and the account says so in the group, by reply token
    assert outcome.kind == "group_bound" and outcome.case_id is None
    assert groups_ctx.line_groups.group_of("dpupr") == group
    assert groups_ctx.line_groups.agencies_of(group) == ["dpupr"]
    [reply] = replies_in(provider)
    assert reply == "Grup ini sekarang menerima notifikasi laporan untuk Dinas Pekerjaan Umum dan Penataan Ruang."
    assert not provider.sent_to("/v2/bot/message/push")


def test_the_admin_may_ask_a_code_for_any_opd(api, groups_ctx, login, provider):
    issued = group_code(api, login, "admin.kominfo", "dlhkp")
    assert issued.status_code == 201 and issued.json_body["agency_id"] == "dlhkp"
    group = group_id()
    assert deliver(api, groups_ctx, group_text(group, issued.json_body["code"])).kind == "group_bound"
    assert groups_ctx.line_groups.group_of("dlhkp") == group


def test_a_supervisor_of_another_opd_or_an_opd_officer_gets_no_code_for_dpupr(api, groups_ctx, login):
    from chalicelib.domain.case import Actor, Role
    from chalicelib.domain.errors import NotPermitted
    from chalicelib.services.line_groups import issue_group_code

    with pytest.raises(NotPermitted):
        issue_group_code(groups_ctx, Actor("officer:kabid.dlhkp.uji", Role.SUPERVISOR, "dlhkp"), "dpupr")
    assert group_code(api, login, "petugas.dpupr", "dpupr").status_code == 403
    assert group_code(api, login, "sekda", "dpupr").status_code == 403
    assert group_code(api, login, "admin.kominfo", "tidak-ada").status_code == 404


def test_the_dpupr_supervisor_is_refused_a_code_for_another_opd(api, groups_ctx, login):
    refused = group_code(api, login, "kabid.dpupr", "dlhkp")
    assert refused.status_code == 403
    assert refused.json_body["error"]["code"] == "forbidden"


def test_an_expired_code_binds_nothing(api, groups_ctx, login, provider):
    code = group_code(api, login, "kabid.dpupr", "dpupr").json_body["code"]
    groups_ctx.clock.advance(minutes=16)
    group = group_id()
    outcome = deliver(api, groups_ctx, group_text(group, code))
    assert outcome.kind == "ignored" and groups_ctx.line_groups.agencies_of(group) == []
    assert "tidak valid" in replies_in(provider)[-1]


def test_a_code_works_once(api, groups_ctx, login, provider):
    code = group_code(api, login, "kabid.dpupr", "dpupr").json_body["code"]
    first, second = group_id(), group_id()
    assert deliver(api, groups_ctx, group_text(first, code)).kind == "group_bound"
    assert deliver(api, groups_ctx, group_text(second, code)).kind == "ignored"
    assert groups_ctx.line_groups.group_of("dpupr") == first
    assert groups_ctx.line_groups.agencies_of(second) == []


def test_after_ten_wrong_codes_in_an_hour_a_group_is_ignored_even_with_a_right_code(api, groups_ctx, login,
                                                                                    provider):
    group = group_id()
    for n in range(10):
        assert deliver(api, groups_ctx, group_text(group, f"GRUP-{n:06d}")).kind == "ignored"
    assert len(replies_in(provider)) == 10  # each wrong code is answered while under the limit
    code = group_code(api, login, "kabid.dpupr", "dpupr").json_body["code"]
    assert deliver(api, groups_ctx, group_text(group, code)).kind == "ignored"
    assert len(replies_in(provider)) == 10  # the eleventh try is not even answered
    assert groups_ctx.line_groups.agencies_of(group) == []
    # the hour after, the same (still valid) code binds
    groups_ctx.clock.advance(minutes=61)
    code = group_code(api, login, "kabid.dpupr", "dpupr").json_body["code"]
    assert deliver(api, groups_ctx, group_text(group, code)).kind == "group_bound"


def test_a_personal_link_code_or_a_group_code_in_a_chat_does_not_cross_over(api, groups_ctx, login, provider):
    personal = api.http.post("/api/me/line-link", headers=login("petugas.dpupr")).json_body["code"]
    group = group_id()
    assert deliver(api, groups_ctx, group_text(group, personal)).kind == "ignored"
    assert replies_in(provider) == []  # ADUAN- codes are not read inside a group


# ---------------------------------------------------------------- not a complaint desk


def test_group_chatter_opens_nothing_and_answers_nothing(api, groups_ctx, provider):
    # Given a message in an officers' LINE group
    user, group = member(), group_id()
    event = group_text(group, "Pak, rapat koordinasi jam 9 besok ya", user=user)
    # When it is delivered and processed
    outcome = deliver(api, groups_ctx, event)
    # Then no case is opened and nothing is answered or queued
    assert outcome.kind == "ignored" and outcome.case_id is None
    assert groups_ctx.cases.list_by_reporter(f"line:{user}", limit=5) == []
    assert groups_ctx.outbox.get(f"reply:line:{event['webhookEventId']}") is None
    assert provider.requests == []


def test_a_photo_or_an_unsend_in_a_group_is_ignored(api, groups_ctx, provider):
    group, user = group_id(), member()
    photo = group_event("message", group, replyToken="r", message={"id": "9001", "type": "image",
                                                                     "contentProvider": {"type": "line"}})
    photo["source"]["userId"] = user
    unsend = group_event("unsend", group, unsend={"messageId": "9001"})
    unsend["source"]["userId"] = user
    assert deliver(api, groups_ctx, photo).kind == "ignored"
    assert deliver(api, groups_ctx, unsend).kind == "ignored"
    assert provider.requests == []


def test_status_in_a_group_answers_with_status_and_opd(api, groups_ctx, admin, provider):
    case = _forwarded_case(groups_ctx, admin, confidential=False)
    outcome = deliver(api, groups_ctx, group_text(group_id(), f"STATUS {case.case_id}"))
    assert outcome.kind == "status" and outcome.case_id == case.case_id
    [reply] = replies_in(provider)
    assert case.case_id in reply and "Dinas Pekerjaan Umum" in reply
    assert "Jalan amblas" not in reply


def test_status_of_a_rahasia_case_in_a_group_gives_only_its_status(api, groups_ctx, admin, provider):
    case = _forwarded_case(groups_ctx, admin, confidential=True)
    outcome = deliver(api, groups_ctx, group_text(group_id(), f"status {case.case_id}"))
    assert outcome.kind == "status"
    [reply] = replies_in(provider)
    assert reply == f"Laporan {case.case_id}: {case.status.label}."
    assert "Dinas" not in reply and "Jalan amblas" not in reply and "Darmo" not in reply


# ---------------------------------------------------------------- join, leave, memberLeft


def test_join_answers_with_how_to_bind_the_group(api, groups_ctx, provider):
    outcome = deliver(api, groups_ctx, group_event("join", group_id(), replyToken=uuid.uuid4().hex))
    assert outcome.kind == "group_joined"
    [reply] = replies_in(provider)
    assert "GRUP-" in reply and "menu Akun" in reply


def test_leave_unbinds_and_alerts_the_admin_once_even_when_redelivered(api, groups_ctx, login, provider):
    from chalicelib.services.notify import officer_route

    group = group_id()
    code = group_code(api, login, "kabid.dpupr", "dpupr").json_body["code"]
    assert deliver(api, groups_ctx, group_text(group, code)).kind == "group_bound"
    provider.reset()
    # When the account is removed from the group (and LINE redelivers the event)
    leave = group_event("leave", group)
    assert deliver(api, groups_ctx, leave).kind == "group_left"
    redelivered = {**leave, "deliveryContext": {"isRedelivery": True}}
    assert deliver(api, groups_ctx, redelivered) is None
    # and even if the processing itself ran again
    again = intake.handle_message(groups_ctx, intake._from_json(json.loads(
        groups_ctx.events.get(f"line:{leave['webhookEventId']}").payload)))
    assert again.kind == "ignored"
    # Then DPUPR is no longer bound to the group
    assert groups_ctx.line_groups.group_of("dpupr") is None
    assert groups_ctx.line_groups.agencies_of(group) == []
    # And the admin koordinator heard of it exactly once, on their own alert route, right away
    admin = next(o for o in groups_ctx.officers_of("diskominfo") if o.username == "admin.kominfo")
    channel, recipient, _ = officer_route(groups_ctx, admin)
    alert = groups_ctx.outbox.get(f"group-left:{group}:line:{leave['webhookEventId']}:admin.kominfo")
    assert alert is not None and alert.state == "sent" and "Dinas Pekerjaan Umum" in alert.body
    assert (alert.channel, alert.recipient) == (channel, recipient)
    sent = [r for r in provider.requests if r.method == "POST"]
    assert len(sent) == 1 and "dikeluarkan" in sent[0].body.decode("utf-8", "replace").replace("+", " ")
    assert not provider.sent_to("/v2/bot/message/reply")


def test_leave_alerts_a_demo_admin_with_line_by_push(api, groups_ctx, login, provider):
    from demo.kediri import OFFICERS

    admin = next(o for o in OFFICERS if o.username == "admin.kominfo")
    groups_ctx.directory.set_line_user("admin.kominfo", admin.line_user_id)
    groups_ctx.accounts.set_alert_channel("admin.kominfo", "line")
    groups_ctx.forget_directory()
    try:
        group = group_id()
        code = group_code(api, login, "admin.kominfo", "dlhkp").json_body["code"]
        assert deliver(api, groups_ctx, group_text(group, code)).kind == "group_bound"
        provider.reset()
        assert deliver(api, groups_ctx, group_event("leave", group)).kind == "group_left"
        [push] = provider.sent_to("/v2/bot/message/push")
        assert push.json()["to"] == admin.line_user_id and "x-line-retry-key" in {k.lower() for k in push.headers}
    finally:
        from demo.loader import load_demo_data

        load_demo_data(groups_ctx, with_sample_cases=False, local_line=False)


def test_leaving_an_unbound_group_or_members_leaving_is_only_logged(api, groups_ctx, provider):
    group = group_id()
    assert deliver(api, groups_ctx, group_event("leave", group)).kind == "ignored"
    left = group_event("memberLeft", group, left={"members": [{"type": "user", "userId": member()}]})
    assert deliver(api, groups_ctx, left).kind == "ignored"
    assert provider.requests == []


# ---------------------------------------------------------------- the account page


def test_the_account_page_gives_the_admin_a_group_code_for_a_chosen_opd(api, groups_ctx, demo_logins):
    password = next(d.password for d in demo_logins if d.username == "admin.kominfo")
    browser = sign_in(api, "admin.kominfo", password)
    page = text_of(browser.get("/petugas/akun"))
    assert 'action="/petugas/akun/grup-line"' in page and 'name="agency_id"' in page
    answer = browser.post("/petugas/akun/grup-line", {"agency_id": "dlhkp"})
    assert answer.status_code == 200
    shown = text_of(answer)
    assert "GRUP-" in shown and "dalam 15 menit" in shown


def test_the_account_page_offers_no_group_code_to_an_opd_officer(api, groups_ctx, demo_logins):
    password = next(d.password for d in demo_logins if d.username == "petugas.dpupr")
    browser = sign_in(api, "petugas.dpupr", password)
    assert "grup-line" not in text_of(browser.get("/petugas/akun"))
    assert browser.post("/petugas/akun/grup-line", {"agency_id": "dpupr"}).status_code == 403


# ---------------------------------------------------------------- helpers


def _forwarded_case(ctx, admin, *, confidential: bool):
    case = workflow.create_case_from_entry(ctx, admin, channel="telepon", description="Jalan amblas di Jl. Semeru",
                                           idempotency_key=uuid.uuid4().hex, confidential=confidential,
                                           reporter=Reporter(name="Pak Darmo", phone="+6281234567001"))
    return workflow.forward_case(ctx, admin, case.case_id, 1, lead_agency="dpupr")


# ---------------------------------------------------------------- local run (demo data, simulate)


def test_the_demo_gives_officers_local_line_ids_and_binds_dpuprs_group_in_a_local_run(groups_ctx):
    import re

    from demo.kediri import DEMO_LINE_GROUPS, OFFICERS
    from demo.loader import load_demo_data

    ids = [o.line_user_id for o in OFFICERS]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"Udemo[0-9a-f]{28}", i) for i in ids)
    assert re.fullmatch(r"Cdemo[0-9a-f]{28}", DEMO_LINE_GROUPS["dpupr"])
    try:
        load_demo_data(groups_ctx, with_sample_cases=False, local_line=True)  # what `make run` loads
        assert groups_ctx.line_groups.group_of("dpupr") == DEMO_LINE_GROUPS["dpupr"]
        linked = {o.username: (o.line_user_id, o.alert_channel) for o in groups_ctx.officers_of("dpupr")}
        assert linked["kabid.dpupr"] == (next(o.line_user_id for o in OFFICERS if o.username == "kabid.dpupr"),
                                         "line")
    finally:  # the other unit tests expect the officers as the test fixture loads them (no LINE, no group)
        load_demo_data(groups_ctx, with_sample_cases=False, local_line=False)
        groups_ctx.line_groups.unbind("dpupr", DEMO_LINE_GROUPS["dpupr"])


def test_simulate_line_group_sends_a_signed_message_from_dpuprs_demo_group(api, groups_ctx, provider):
    from demo.kediri import DEMO_LINE_GROUPS
    from scripts.simulate import build

    env = {"ADUAN_LINE_CHANNEL_SECRET": "line-test-secret"}
    path, body, headers = build("line-group", "Pak, rapat koordinasi jam 9 besok ya", "", "http://x", env)
    [event] = json.loads(body)["events"]
    assert path == "/webhooks/line" and event["source"]["groupId"] == DEMO_LINE_GROUPS["dpupr"]
    receipt = api.http.post(path, headers=headers, body=body).json_body
    assert receipt["new"] == 1
    outcome = intake.process_event(groups_ctx, f"line:{event['webhookEventId']}")
    assert outcome.kind == "ignored" and outcome.case_id is None and provider.requests == []
