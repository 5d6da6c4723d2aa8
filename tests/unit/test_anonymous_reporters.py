"""An anonymous reporter leaves no trace for roles that may not see them (issue 10, item 2).

Everywhere an officer looks — the JSON case view and work list, the case page, the inbox, the failed-outbox
list — the reporter of an *anonim* case is "Pelapor": no name, number, channel id or `citizen:` actor id.
The admin koordinator sees them only with a stated reason, and each such view is on the audit trail.
"""

from __future__ import annotations

import json
import urllib.parse
import uuid

import pytest

from chalicelib.domain.case import Actor, Channel, Reporter
from chalicelib.domain.messages import CaseMessage
from chalicelib.services import workflow
from tests.unit.test_failed_outbox import failed_message

PHONE = "+6281377771234"
SECRETS = ("Rahmat Hidayat", PHONE, PHONE.lstrip("+"), "citizen:", "tel:+62", "whatsapp:62")
OFFICERS = ("petugas.dpupr", "kabid.dpupr", "sekda", "admin.kominfo")  # admin: without a stated reason


def anonymous_case(ctx, admin, *, anonymous: bool = True):
    reporter = Reporter(name="Rahmat Hidayat", phone=PHONE, channel_user_id=f"whatsapp:{PHONE.lstrip('+')}")
    case = workflow.open_case(ctx, Actor.citizen(reporter.key), channel=Channel.WHATSAPP,
                              description="Trotoar ambles di Jl. Pattimura", source_key=f"t:{uuid.uuid4()}",
                              reporter=reporter, anonymous=anonymous)
    case = workflow.forward_case(ctx, admin, case.case_id, case.version, lead_agency="dpupr", note="Mohon dicek.")
    ctx.messages.add(CaseMessage(case.case_id, f"wa:{uuid.uuid4().hex}", ctx.now(), "in", "whatsapp", "text",
                                 text="Trotoar ambles", author=reporter.key))
    return case


def no_trace(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


def identity_views(ctx, case_id: str) -> list:
    month = ctx.now().strftime("%Y-%m")
    return [e for e in ctx.audit.list("identity", month, limit=1000) if e.case_id == case_id]


@pytest.mark.parametrize("username", OFFICERS)
def test_the_json_api_shows_no_trace_of_an_anonymous_reporter(ctx, admin, api, login, username):
    case = anonymous_case(ctx, admin)
    headers = login(username)
    raw = api.http.get(f"/api/cases/{case.case_id}", headers=headers).body.decode()
    no_trace(raw)
    view = json.loads(raw)
    assert view["reporter"] is None and view["anonymous"] is True
    assert view["timeline"][0]["actor"] == "Pelapor"
    assert {m["author"] for m in view["messages"] if m["direction"] == "in"} == {"Pelapor"}
    listed = api.http.get("/api/cases?status=TERVERIFIKASI&agency=dpupr&limit=200", headers=headers)
    if listed.status_code == 200:
        no_trace(listed.body.decode())
    assert identity_views(ctx, case.case_id) == []


@pytest.mark.parametrize("username", OFFICERS)
def test_the_case_page_and_inbox_show_no_trace_of_an_anonymous_reporter(ctx, admin, web_as, username):
    case = anonymous_case(ctx, admin)
    browser = web_as(username)
    page = browser.get(f"/petugas/kasus/{case.case_id}")
    assert page.status_code == 200
    text = page.body.decode()
    no_trace(text)
    assert "Pelapor" in text
    inbox = browser.get("/petugas/", status="TERVERIFIKASI")
    assert inbox.status_code in (200, 400)
    no_trace(inbox.body.decode())
    assert identity_views(ctx, case.case_id) == []


def test_the_admin_sees_the_reporter_only_with_a_reason_and_each_view_is_audited(ctx, admin, api, login, web_as):
    case = anonymous_case(ctx, admin)
    headers = login("admin.kominfo")
    shown = api.http.get(f"/api/cases/{case.case_id}?identity_reason=Konfirmasi%20lokasi", headers=headers)
    assert shown.json_body["reporter"]["phone"] == PHONE
    browser = web_as("admin.kominfo")
    browser.get(f"/petugas/kasus/{case.case_id}")
    page = browser.post(f"/petugas/kasus/{case.case_id}/identitas", {"reason": "Pelapor minta dihubungi"})
    assert page.status_code == 200 and PHONE in page.body.decode()
    entries = identity_views(ctx, case.case_id)
    assert sorted((e.actor, e.outcome, e.detail, e.reason) for e in entries) == sorted([
        ("admin.kominfo", "ditampilkan", "lewat API", "Konfirmasi lokasi"),
        ("admin.kominfo", "ditampilkan", "lewat halaman kasus", "Pelapor minta dihubungi"),
    ])
    for entry in entries:  # the audit trail says who, which case, when and why — never the identity itself
        assert entry.at is not None
        no_trace(json.dumps([entry.reason, entry.detail]))


@pytest.mark.parametrize("username", ["petugas.dpupr", "kabid.dpupr", "sekda"])
def test_no_other_role_can_ask_for_the_identity(ctx, admin, api, login, web_as, username):
    case = anonymous_case(ctx, admin)
    raw = api.http.get(f"/api/cases/{case.case_id}?identity_reason=ingin%20tahu", headers=login(username))
    no_trace(raw.body.decode())
    browser = web_as(username)
    browser.get(f"/petugas/kasus/{case.case_id}")
    refused = browser.post(f"/petugas/kasus/{case.case_id}/identitas", {"reason": "ingin tahu"})
    assert refused.status_code == 403
    no_trace(refused.body.decode())
    assert identity_views(ctx, case.case_id) == []


def _failed_items(api, headers) -> list[dict]:
    listed = api.http.get("/api/outbox/failed?limit=200", headers=headers)
    assert listed.status_code == 200
    return listed.json_body["items"]


def test_failed_messages_to_an_anonymous_reporter_hide_the_recipient_from_everyone(api, intake_ctx, provider,
                                                                                    login, web_as, admin):
    case = anonymous_case(intake_ctx, admin)
    message = failed_message(intake_ctx, provider, case_id=case.case_id)
    for username in ("admin.kominfo", "kabid.dpupr"):
        [item] = [i for i in _failed_items(api, login(username)) if i["message_id"] == message.message_id]
        assert item["recipient"] == "Pelapor" and item["recipient_hidden"] is True, username
        assert message.recipient not in json.dumps(item)
        page = web_as(username).get("/petugas/kotak-keluar").body.decode()
        assert message.message_id in page and message.recipient not in page
    retried = api.http.post(f"/api/outbox/{urllib.parse.quote(message.message_id, safe='')}/retry",
                            headers=login("admin.kominfo"))
    assert retried.status_code == 200  # hidden, yet still sent again


def test_a_supervisor_never_gets_a_recipient_the_admin_does_for_a_named_reporter(api, intake_ctx, provider,
                                                                                  login, admin):
    case = anonymous_case(intake_ctx, admin, anonymous=False)
    message = failed_message(intake_ctx, provider, case_id=case.case_id)
    [seen] = [i for i in _failed_items(api, login("admin.kominfo")) if i["message_id"] == message.message_id]
    assert seen["recipient"] == message.recipient and seen["recipient_hidden"] is False
    [hidden] = [i for i in _failed_items(api, login("kabid.dpupr")) if i["message_id"] == message.message_id]
    assert hidden["recipient"] == "Pelapor" and message.recipient not in json.dumps(hidden)


def test_a_provider_error_quoting_the_number_is_blanked_for_hidden_recipients():
    from datetime import UTC, datetime

    from chalicelib.domain.messages import OutboundMessage
    from chalicelib.services.outbox_admin import _without, recipient_label

    message = OutboundMessage("update:KDR-1:2", "sms", PHONE, "x", datetime(2026, 1, 1, tzinfo=UTC), "KDR-1")
    assert recipient_label(message) == "Pelapor"
    assert _without(f"The 'To' number {PHONE} is not valid", PHONE) == "The 'To' number disembunyikan is not valid"
