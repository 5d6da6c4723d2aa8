"""Fuzz every signed webhook through the app: whatever a provider (or an attacker holding the secret) sends,
the answer is a clear 2xx/4xx — never a 500 — and whatever was stored processes cleanly into a whole case."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.services import intake
from tests.unit.conftest import TEST_SECRETS

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=25,
)


def line_like():
    message = st.fixed_dictionaries({
        "id": st.text(min_size=1, max_size=20), "type": st.sampled_from(["text", "image", "location", "sticker", "x"]),
        "text": st.text(max_size=200), "latitude": st.floats(-90, 90), "longitude": st.floats(-180, 180),
    })
    event = st.fixed_dictionaries({
        "type": st.sampled_from(["message", "unsend", "follow", "postback", "weird"]),
        "mode": st.sampled_from(["active", "standby"]),
        "timestamp": st.integers(0, 2**42) | st.text(max_size=5),
        "webhookEventId": st.text(min_size=1, max_size=30),
        "source": st.fixed_dictionaries({"type": st.sampled_from(["user", "group", "room"]),
                                         "userId": st.text(min_size=1, max_size=40)}) | JSON_VALUES,
        "replyToken": st.text(max_size=40), "message": message | JSON_VALUES,
        "unsend": st.fixed_dictionaries({"messageId": st.text(max_size=20)}),
    })
    return st.fixed_dictionaries({"destination": st.text(max_size=40),
                                  "events": st.lists(event | JSON_VALUES, max_size=3)}) | JSON_VALUES


def telegram_like():
    message = st.fixed_dictionaries({
        "message_id": st.integers(0, 2**31), "date": st.integers(0, 2**33) | JSON_VALUES,
        "text": st.text(max_size=300),
        "from": st.fixed_dictionaries({"id": st.integers(1, 2**40), "is_bot": st.booleans(),
                                       "first_name": st.text(max_size=20)}),
        "chat": st.fixed_dictionaries({"id": st.integers(-(2**40), 2**40), "type": st.just("private")}),
        "photo": st.lists(st.fixed_dictionaries({"file_id": st.text(max_size=30)}), max_size=2),
    })
    return st.fixed_dictionaries({"update_id": st.integers(0, 2**31) | JSON_VALUES,
                                  "message": message | JSON_VALUES}) | JSON_VALUES


def whatsapp_like():
    msg = st.fixed_dictionaries({
        "from": st.text(alphabet="0123456789", min_size=1, max_size=15), "id": st.text(min_size=1, max_size=40),
        "timestamp": st.integers(0, 2**33).map(str) | JSON_VALUES,
        "type": st.sampled_from(["text", "image", "location", "reaction", "unknown"]),
        "text": st.fixed_dictionaries({"body": st.text(max_size=200)}) | JSON_VALUES,
    })
    value = st.fixed_dictionaries({"messaging_product": st.just("whatsapp"), "messages": st.lists(msg, max_size=2),
                                   "statuses": st.lists(JSON_VALUES, max_size=2)})
    change = st.fixed_dictionaries({"field": st.just("messages"), "value": value | JSON_VALUES})
    entry = st.fixed_dictionaries({"id": st.text(max_size=10), "changes": st.lists(change | JSON_VALUES, max_size=2)})
    return st.fixed_dictionaries({"object": st.sampled_from(["whatsapp_business_account", "page", "x"]),
                                  "entry": st.lists(entry | JSON_VALUES, max_size=2)}) | JSON_VALUES


def _json_post(path, header):
    def post(api, body: bytes):
        return api.http.post(path, body=body, headers={"Content-Type": "application/json", **header(body)})
    return post


def _line_header(body):
    digest = hmac.new(TEST_SECRETS["line_channel_secret"].encode(), body, hashlib.sha256).digest()
    return {"X-Line-Signature": base64.b64encode(digest).decode()}


def _meta_header(body):
    digest = hmac.new(TEST_SECRETS["meta_app_secret"].encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}"}


CHANNELS = {
    "line": (line_like, _json_post("/webhooks/line", _line_header)),
    "telegram": (telegram_like, _json_post(
        "/webhooks/telegram", lambda b: {"X-Telegram-Bot-Api-Secret-Token": TEST_SECRETS["telegram_secret_token"]})),
    "whatsapp": (whatsapp_like, _json_post("/webhooks/whatsapp", _meta_header)),
    "meta": (lambda: JSON_VALUES, _json_post("/webhooks/meta", _meta_header)),
}


@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_signed_fuzz_never_500_and_never_a_half_case(api, intake_ctx, channel):
    strategy, post = CHANNELS[channel]

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(document=strategy(), raw_tail=st.binary(max_size=8))
    def run(document, raw_tail):
        body = json.dumps(document).encode()
        if raw_tail and document is None:  # sometimes not even JSON
            body = raw_tail
        before = set(intake_ctx.events.pending_keys(intake_ctx.now() + _far(), limit=10_000))
        response = post(api, body)
        assert response.status_code in (200, 400, 413), (response.status_code, body[:300])
        if response.status_code == 200 and response.json_body.get("new"):
            stored = set(intake_ctx.events.pending_keys(intake_ctx.now() + _far(), limit=10_000)) - before
            assert len(stored) == response.json_body["new"]
            for key in stored:
                intake.process_event(intake_ctx, key)  # raises if a stored event cannot become a whole case
                assert intake_ctx.events.get(key).state in ("done", "ignored")

    run()


@pytest.mark.parametrize("gateway_body", [True, False])
def test_form_webhooks_fuzz_never_500(api, intake_ctx, gateway_body):
    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(params=st.dictionaries(st.sampled_from(["id", "originator", "msg", "receive_date", "MessageSid", "From",
                                                   "Body", "NumMedia", "MediaUrl0", "Latitude", "x"]),
                                  st.text(max_size=60), max_size=8))
    def run(params):
        body = urllib.parse.urlencode(params).encode()
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        if gateway_body:
            response = api.http.post("/webhooks/sms/nusasms", body=body,
                                     headers={**form, "X-Gateway-Token": TEST_SECRETS["sms_gateway_token"]})
        else:
            url = TEST_SECRETS["twilio_public_url"]
            signed = url + "".join(k + v for k, v in sorted(params.items()))
            digest = hmac.new(TEST_SECRETS["twilio_auth_token"].encode(), signed.encode(), hashlib.sha1).digest()
            response = api.http.post("/webhooks/twilio", body=body,
                                     headers={**form, "X-Twilio-Signature": base64.b64encode(digest).decode()})
        assert response.status_code in (200, 400, 413), (response.status_code, params)

    run()


def _far():
    from datetime import timedelta

    return timedelta(days=3650)
