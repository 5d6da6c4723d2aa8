"""Undelivered messages stay visible to officers, who can send them again."""

from __future__ import annotations

import urllib.parse
import uuid

from chalicelib.domain.messages import OutboundMessage


def failed_message(ctx, provider):
    message = OutboundMessage(message_id=f"update:{uuid.uuid4().hex}:3", channel="telegram", recipient="5559999",
                              body="Laporan Anda sedang ditindaklanjuti.", created_at=ctx.now())
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
