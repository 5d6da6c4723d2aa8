"""Adding a channel is one provider module plus one registry line: a fake provider, defined here and registered
for the test only, runs end to end through the real services — a signed delivery recorded by the webhook entry
point opens a case, the answer to the citizen goes out through its `send`, and its own classifier decides
whether a send is retried or given up."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import pytest

from chalicelib.channels import base
from chalicelib.channels.base import (
    PERMANENT,
    RETRY,
    SENT,
    HttpRequest,
    MalformedPayload,
    Outcome,
    ParsedDelivery,
    Provider,
    Route,
    classify_status,
    no_media,
    no_redirect,
    send_request,
)
from chalicelib.channels.registry import CHANNELS, Entry, Registry
from chalicelib.domain.messages import InboundMessage, OutboundMessage
from chalicelib.settings import ChannelSettings

SECRET = "fake-channel-secret"
SIGNATURE_HEADER = "x-fake-signature"


class FakeChannel:
    """A provider for SMS (a second gateway, say): a JSON post `{"id", "from", "text"}` signed with an HMAC of the
    body, sends as JSON to `<base_url>/fake/send`, and an answer `{"accepted": false}` means the number is refused
    for good (a 2xx the default reading would call sent: only this module's classifier knows better)."""

    PREFIX = "fk:"

    def __init__(self) -> None:
        self.base_url = ""
        self.classified: list[tuple[int, bytes]] = []
        self.sent: list[str] = []

    def verify(
        self,
        raw_body: bytes,
        headers: Mapping[str, str],
        settings: ChannelSettings,
        *,
        url: str | None = None,
        query: Mapping[str, str] | None = None,
    ) -> bool:
        given = headers.get(SIGNATURE_HEADER)
        expected = hmac.new(SECRET.encode(), raw_body, hashlib.sha256).hexdigest()
        return isinstance(given, str) and hmac.compare_digest(expected, given)

    def parse(self, raw_body: bytes, settings: ChannelSettings, *, now: datetime | None = None) -> ParsedDelivery:
        data = base.load_object(raw_body)
        message_id, sender = base.clean_id(data.get("id")), base.clean_id(data.get("from"))
        if message_id is None or sender is None or now is None:
            raise MalformedPayload("no id or sender")
        return ParsedDelivery(messages=(InboundMessage(
            channel="sms", event_key=self.PREFIX + message_id, sender_id=sender, received_at=now,
            text=base.clean_text(data.get("text")), phone=sender, reply_to=sender,
        ),))

    def build_send(self, recipient: str, text: str, settings: ChannelSettings, **options: Any) -> HttpRequest:
        body = json.dumps({"to": recipient, "text": text}).encode()
        return HttpRequest("POST", f"{self.base_url}/fake/send", {"Content-Type": "application/json"}, body)

    def classify(self, status: int, body: bytes) -> str:
        self.classified.append((status, body))
        verdict = classify_status(status)
        if verdict == SENT and b'"accepted": false' in body:
            return PERMANENT
        return verdict

    def send(self, message: OutboundMessage, settings: ChannelSettings) -> Outcome:
        self.sent.append(message.message_id)
        return send_request(self.build_send(message.recipient, message.body, settings), self.classify)

    media_download = staticmethod(no_media)
    media_redirect = staticmethod(no_redirect)

    def reply_route(self, message: InboundMessage) -> Route | None:
        return "sms", message.phone or message.sender_id, {"via": "fake"}

    def citizen_route(self, case) -> Route | None:
        return ("sms", case.reporter.phone, {"via": "fake"}) if case.reporter.phone else None

    def alert_route(self, officer, title: str) -> Route | None:
        return None


@pytest.fixture
def fake(intake_ctx, provider) -> Iterator[FakeChannel]:
    """The fake provider, registered under "fake" and prefix "fk:" for this test only (the one registry line;
    `webhook=True`: its deliveries arrive on the generic `POST /webhooks/fake`, no route written for it)."""
    channel = FakeChannel()
    channel.base_url = provider.url
    with CHANNELS.registered(Entry(("fake",), FakeChannel.PREFIX, lambda: channel, webhook=True)):
        yield channel
    assert CHANNELS.named("fake") is None


def signed(payload: dict) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(payload).encode()
    return raw, {"Content-Type": "application/json",
                 "X-Fake-Signature": hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()}


def phone() -> str:
    return "+62812" + str(uuid.uuid4().int)[:8]


def test_every_registered_provider_follows_the_protocol():
    names = ("line", "whatsapp", "meta", "messenger", "instagram", "twilio", "telegram", "gateway", "sms",
             "email", "web")
    for name in names:
        assert isinstance(CHANNELS.named(name), Provider), name
    assert isinstance(FakeChannel(), Provider)


def test_a_name_or_prefix_is_registered_once():
    registry = Registry((Entry(("fake",), "fk:", FakeChannel),))
    with pytest.raises(ValueError):
        registry.register(Entry(("other",), "fk:", FakeChannel))
    with pytest.raises(ValueError):
        registry.register(Entry(("fake",), "fk2:", FakeChannel))
    with pytest.raises(ValueError):
        CHANNELS.register(Entry(("sms2",), "tw:", FakeChannel))


def test_a_fake_channel_delivery_opens_a_case_and_is_answered_through_its_module(fake, intake_ctx, provider, api):
    from chalicelib.services import intake
    from chalicelib.services.notify import citizen_route

    message_id, sender = uuid.uuid4().hex, phone()
    raw, headers = signed({"id": message_id, "from": sender, "text": "Lampu jalan mati di Jl. Dhoho sejak kemarin"})
    forged = api.http.post("/webhooks/fake", body=raw, headers={**headers, "X-Fake-Signature": "0" * 64})
    assert forged.status_code == 401 and intake_ctx.events.get(f"fk:{message_id}") is None
    assert api.http.post("/webhooks/not-registered", body=raw, headers=headers).status_code == 404

    answer = api.http.post("/webhooks/fake", body=raw, headers=headers)  # the provider's delivery, over HTTP

    assert answer.status_code == 200 and answer.json_body == {"ok": True, "received": 1, "new": 1, "ignored": 0}
    outcome = intake.process_event(intake_ctx, f"fk:{message_id}")

    assert outcome.kind == "opened"
    assert fake.sent == [f"reply:fk:{message_id}"]
    [reply] = provider.sent_to("/fake/send")
    assert reply.json()["to"] == sender and outcome.case_id in reply.json()["text"]
    assert intake_ctx.outbox.get(f"reply:fk:{message_id}").state == "sent"
    case = intake_ctx.cases.get(outcome.case_id)
    assert citizen_route(intake_ctx, case) == ("sms", sender, {"via": "fake"})  # later updates: the same way


def test_the_fake_channels_classifier_decides_retry_and_give_up(fake, intake_ctx, provider):
    from chalicelib.services.outbound import send_outbound

    def queued(key: str) -> str:
        message = OutboundMessage(message_id=f"test:fake:{key}:{uuid.uuid4().hex}", channel="sms",
                                  recipient=phone(), body="Laporan Anda kami terima.", created_at=intake_ctx.now(),
                                  options={"via": "fake"})
        intake_ctx.outbox.enqueue(message)
        return message.message_id

    provider.script("/fake/send", (503, {"error": "unavailable"}), (200, b'{"accepted": false}'))
    retried, refused = queued("retry"), queued("refused")

    assert send_outbound(intake_ctx, retried) == "pending"
    assert send_outbound(intake_ctx, refused) == "failed"  # a 2xx, yet final: the module's own reading
    assert [status for status, _ in fake.classified] == [503, 200]
    assert intake_ctx.outbox.get(refused).state == "failed"
    assert {RETRY, PERMANENT} == {fake.classify(503, b""), fake.classify(200, b'{"accepted": false}')}


def test_the_generic_webhook_serves_only_providers_registered_for_it(fake, intake_ctx, api):
    """Providers registered without `webhook=True` are not reachable through it (their own routes serve them):
    a forged "web" or "email" delivery cannot skip the form's limits or the mail receipt rule."""
    raw, headers = signed({"id": uuid.uuid4().hex, "from": phone(), "text": "Jalan rusak"})
    for name in ("web", "email", "gateway", "sms", "messenger", "instagram"):  # no route of their own
        assert api.http.post(f"/webhooks/{name}", body=raw, headers=headers).status_code == 404, name
    assert CHANNELS.generic_webhook("fake") and not CHANNELS.generic_webhook("line")
