"""Every webhook as its provider would call it (documented payload shapes, real signatures), through the app."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
import uuid

from chalicelib.services import intake
from tests.unit.conftest import TEST_SECRETS


def line_body(text="Jalan berlubang di Jl. Dhoho", event_id=None, **extra):
    event = {
        "type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": "U" + uuid.uuid4().hex},
        "webhookEventId": event_id or ("01" + uuid.uuid4().hex[:24].upper()),
        "deliveryContext": {"isRedelivery": False}, "replyToken": uuid.uuid4().hex,
        "message": {"id": str(time.time_ns())[:18], "type": "text", "quoteToken": "q", "text": text},
    }
    event.update(extra)
    return json.dumps({"destination": "U0123456789abcdef0123456789abcdef", "events": [event]}).encode()


def line_headers(body, secret=TEST_SECRETS["line_channel_secret"]):
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {"Content-Type": "application/json", "X-Line-Signature": signature}


def meta_headers(body):
    digest = hmac.new(TEST_SECRETS["meta_app_secret"].encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={digest}"}


def pending(ctx, key):
    record = ctx.events.get(key)
    return record is not None and record.state == "pending"


# ---------------------------------------------------------------- LINE


def test_line_console_verify_request_gets_200(api, intake_ctx):
    body = b'{"destination":"U0123456789abcdef0123456789abcdef","events":[]}'
    response = api.http.post("/webhooks/line", headers=line_headers(body), body=body)
    assert response.status_code == 200
    assert response.json_body["received"] == 0


def test_line_message_is_stored_once_and_answered_with_a_tracking_number(api, intake_ctx, provider):
    event_id = "01" + uuid.uuid4().hex[:24].upper()
    body = line_body(event_id=event_id)
    first = api.http.post("/webhooks/line", headers=line_headers(body), body=body)
    assert first.status_code == 200 and first.json_body["new"] == 1
    redelivered = line_body(event_id=event_id, deliveryContext={"isRedelivery": True})
    again = api.http.post("/webhooks/line", headers=line_headers(redelivered), body=redelivered)
    assert again.status_code == 200 and again.json_body["new"] == 0
    outcome = intake.process_event(intake_ctx, f"line:{event_id}")
    assert outcome.kind == "opened"
    [reply] = provider.sent_to("/v2/bot/message/reply")
    assert outcome.case_id in reply.json()["messages"][0]["text"]


def test_a_bad_or_missing_signature_is_401_and_nothing_is_stored(api, intake_ctx):
    event_id = "01" + uuid.uuid4().hex[:24].upper()
    body = line_body(event_id=event_id)
    forged = api.http.post("/webhooks/line", headers=line_headers(body, secret="not-the-secret"), body=body)
    missing = api.http.post("/webhooks/line", headers={"Content-Type": "application/json"}, body=body)
    assert forged.status_code == missing.status_code == 401
    assert intake_ctx.events.get(f"line:{event_id}") is None


def test_malformed_oversized_and_unknown_bodies(api, intake_ctx):
    broken = b'{"destination": "U1", "events": [}'
    assert api.http.post("/webhooks/line", headers=line_headers(broken), body=broken).status_code == 400
    huge = b'{"events":[],"pad":"' + b"x" * (1024 * 1024) + b'"}'
    assert api.http.post("/webhooks/line", headers=line_headers(huge), body=huge).status_code == 413
    follow = json.dumps({"destination": "U1", "events": [{
        "type": "follow", "mode": "active", "timestamp": 1, "webhookEventId": "01FOLLOW",
        "source": {"type": "user", "userId": "U" + "1" * 32}, "replyToken": "t",
        "deliveryContext": {"isRedelivery": False}}]}).encode()
    ignored = api.http.post("/webhooks/line", headers=line_headers(follow), body=follow)
    assert ignored.status_code == 200 and ignored.json_body["ignored"] == 1


# ---------------------------------------------------------------- WhatsApp and Meta


def test_whatsapp_handshake(api, intake_ctx):
    query = "hub.mode=subscribe&hub.verify_token=meta-verify-token&hub.challenge=1158201444"
    ok = api.http.get(f"/webhooks/whatsapp?{query}")
    assert ok.status_code == 200 and ok.body == b"1158201444"
    assert ok.headers["Content-Type"].startswith("text/plain")
    wrong = api.http.get("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1")
    assert wrong.status_code == 403


def whatsapp_body(messages=None, statuses=None):
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "15550783881", "phone_number_id": "1234567890"}}
    if messages is not None:
        value["contacts"] = [{"profile": {"name": "Sri"}, "wa_id": "6281234500001"}]
        value["messages"] = messages
    if statuses is not None:
        value["statuses"] = statuses
    return json.dumps({"object": "whatsapp_business_account",
                       "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}]},
                      ensure_ascii=True).encode()


def test_whatsapp_text_and_status_only_notifications(api, intake_ctx, provider):
    wamid = f"wamid.{uuid.uuid4().hex}"
    body = whatsapp_body(messages=[{"from": "6281234500001", "id": wamid, "timestamp": str(int(time.time())),
                                    "type": "text", "text": {"body": "Lampu jalan mati di Jl. Pattimura é"}}])
    response = api.http.post("/webhooks/whatsapp", headers=meta_headers(body), body=body)
    assert response.status_code == 200 and response.json_body["new"] == 1
    outcome = intake.process_event(intake_ctx, f"wa:{wamid}")
    case = intake_ctx.cases.get(outcome.case_id)
    assert case.reporter.phone == "+6281234500001" and case.reporter.name == "Sri"
    [sent] = provider.sent_to("/v21.0/1234567890/messages")
    assert sent.json()["to"] == "6281234500001" and outcome.case_id in sent.json()["text"]["body"]
    statuses = whatsapp_body(statuses=[{"id": wamid, "status": "delivered", "timestamp": "1",
                                        "recipient_id": "6281234500001"}])
    answered = api.http.post("/webhooks/whatsapp", headers=meta_headers(statuses), body=statuses)
    assert answered.status_code == 200 and answered.json_body["received"] == 0


def test_instagram_echoes_are_dropped(api, intake_ctx):
    now = int(time.time() * 1000)
    body = json.dumps({"object": "instagram", "entry": [{"id": "17841", "time": now, "messaging": [
        {"sender": {"id": "17841"}, "recipient": {"id": "999"}, "timestamp": now,
         "message": {"mid": f"m_{uuid.uuid4().hex}", "text": "balasan kami", "is_echo": True}},
        {"sender": {"id": "999"}, "recipient": {"id": "17841"}, "timestamp": now,
         "message": {"mid": f"m_{uuid.uuid4().hex}", "text": "Trotoar rusak di Jl. Dhoho"}},
    ]}]}).encode()
    response = api.http.post("/webhooks/meta", headers=meta_headers(body), body=body)
    assert response.status_code == 200
    assert (response.json_body["new"], response.json_body["ignored"]) == (1, 1)


# ---------------------------------------------------------------- Twilio, Telegram, SMS gateway


def twilio_post(api, params, url=TEST_SECRETS["twilio_public_url"], token=TEST_SECRETS["twilio_auth_token"]):
    signed = url + "".join(k + v for k, v in sorted(params.items()))
    signature = base64.b64encode(hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()).decode()
    return api.http.post("/webhooks/twilio", body=urllib.parse.urlencode(params).encode(),
                         headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})


def test_twilio_sms_is_accepted_as_form_data_and_answered_with_twiml(api, intake_ctx, provider):
    sid = "SM" + uuid.uuid4().hex
    params = {"MessageSid": sid, "AccountSid": "ACtest", "From": "+6281234500002", "To": "+15005550006",
              "Body": "Pohon tumbang di Jl. Veteran", "NumMedia": "0", "ApiVersion": "2010-04-01", "SmsStatus": ""}
    response = twilio_post(api, params)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    assert b"<Response" in response.body
    outcome = intake.process_event(intake_ctx, f"tw:{sid}")
    [sent] = provider.sent_to("/2010-04-01/Accounts/ACtest/Messages.json")
    sent_form = dict(urllib.parse.parse_qsl(sent.body.decode()))
    assert sent_form["To"] == "+6281234500002" and outcome.case_id in sent_form["Body"]


def test_twilio_with_a_signature_for_another_url_is_401(api, intake_ctx):
    params = {"MessageSid": "SM" + uuid.uuid4().hex, "From": "+6281234500003", "Body": "x"}
    assert twilio_post(api, params, url="https://evil.example/webhooks/twilio").status_code == 401


def test_telegram_secret_token(api, intake_ctx):
    update = {"update_id": int(time.time() * 1000) % 10**9, "message": {
        "message_id": 7, "date": int(time.time()), "text": "Banjir di Jl. Brawijaya",
        "from": {"id": 5550002, "is_bot": False, "first_name": "Budi"},
        "chat": {"id": 5550002, "type": "private"}}}
    body = json.dumps(update).encode()
    headers = {"Content-Type": "application/json"}
    assert api.http.post("/webhooks/telegram", headers=headers, body=body).status_code == 401
    headers["X-Telegram-Bot-Api-Secret-Token"] = TEST_SECRETS["telegram_secret_token"]
    response = api.http.post("/webhooks/telegram", headers=headers, body=body)
    assert response.status_code == 200 and pending(intake_ctx, f"tg:{update['update_id']}")


def test_sms_gateway_token_and_gateway_name(api, intake_ctx):
    msg_id = uuid.uuid4().hex[:16]
    body = urllib.parse.urlencode({"id": msg_id, "originator": "081234500004", "msg": "Jalan rusak parah",
                                   "receive_date": "2026-11-23 09:00:00"}).encode()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert api.http.post("/webhooks/sms/nusasms", headers=form, body=body).status_code == 401
    wrong_gateway = api.http.post("/webhooks/sms/lain", body=body,
                                  headers={**form, "X-Gateway-Token": TEST_SECRETS["sms_gateway_token"]})
    assert wrong_gateway.status_code == 404
    ok = api.http.post("/webhooks/sms/nusasms", body=body,
                       headers={**form, "X-Gateway-Token": TEST_SECRETS["sms_gateway_token"]})
    assert ok.status_code == 200 and pending(intake_ctx, f"sms:{msg_id}")
