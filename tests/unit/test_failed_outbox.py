"""Undelivered messages stay visible to officers, who can send them again."""

from __future__ import annotations

import urllib.parse
import uuid

from chalicelib.domain.messages import OutboundMessage


def failed_message(ctx, provider, case_id=None):
    message = OutboundMessage(message_id=f"update:{uuid.uuid4().hex}:3", channel="telegram", recipient="5559999",
                              body="Laporan Anda sedang ditindaklanjuti.", created_at=ctx.now(), case_id=case_id)
    ctx.outbox.enqueue(message)
    provider.script("/bot", (400, {"ok": False, "description": "Bad Request: chat not found"}))
    from chalicelib.services.outbound import send_outbound

    assert send_outbound(ctx, message.message_id) == "failed"
    return message


def test_an_admin_sees_the_failed_message_and_sends_it_again(api, intake_ctx, provider, login):
    message = failed_message(intake_ctx, provider)
    admin = login("admin.kominfo")
    listed = api.http.get("/api/outbox/failed?limit=200", headers=admin)
    assert listed.status_code == 200
    [item] = [i for i in listed.json_body["items"] if i["message_id"] == message.message_id]
    assert "chat not found" in item["last_error"]
    retried = api.http.post(f"/api/outbox/{urllib.parse.quote(message.message_id, safe='')}/retry", headers=admin)
    assert retried.status_code == 200 and retried.json_body["state"] == "sent"
    assert intake_ctx.outbox.get(message.message_id).state == "sent"
    again = api.http.post(f"/api/outbox/{urllib.parse.quote(message.message_id, safe='')}/retry", headers=admin)
    assert again.status_code == 404  # no longer failed


def test_an_opd_officer_cannot_list_failed_messages(api, intake_ctx, login):
    response = api.http.get("/api/outbox/failed", headers=login("petugas.dpupr"))
    assert response.status_code == 403


def test_the_admin_retries_a_failed_message_from_the_web_view(intake_ctx, provider, web_as):
    # Given a message Telegram refused
    message = failed_message(intake_ctx, provider)
    admin = web_as("admin.kominfo")
    # When the admin opens "Pesan gagal"
    page = admin.get("/petugas/kotak-keluar")
    assert page.status_code == 200
    body = page.body.decode()
    assert message.message_id in body and "chat not found" in body
    # And presses "Kirim ulang" (the provider accepts it now)
    done = admin.post("/petugas/kotak-keluar/kirim-ulang", {"message_id": message.message_id})
    # Then it is sent and the page says so
    assert done.status_code == 303 and done.headers["Location"] == "/petugas/kotak-keluar?ok=kirim"
    assert intake_ctx.outbox.get(message.message_id).state == "sent"
    assert "Pesan dikirim ulang." in admin.follow(done).body.decode()


def test_a_supervisor_sees_the_failed_message_of_a_case_but_not_its_recipient(intake_ctx, provider, web_as, admin):
    from chalicelib.services import workflow

    case = workflow.create_case_from_entry(intake_ctx, admin, channel="telepon", idempotency_key=uuid.uuid4().hex,
                                           description="Jembatan kayu di Kel. Ngampel rapuh")
    workflow.forward_case(intake_ctx, admin, case.case_id, case.version, lead_agency="dpupr")
    message = failed_message(intake_ctx, provider, case_id=case.case_id)
    page = web_as("kabid.dpupr").get("/petugas/kotak-keluar").body.decode()
    assert message.message_id in page and case.case_id in page
    assert "5559999" not in page
