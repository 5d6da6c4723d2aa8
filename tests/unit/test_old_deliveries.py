"""Issue 10 item 8: a signed delivery the provider dated before the dedupe window is acknowledged, counted as
ignored and not stored, so a redelivery whose event key was already forgotten cannot open a second case.

Each channel's payload is its documented shape (the fixtures of tests/unit/channels), signed with that module's
test secret, and goes through `receive_webhook` on moto; the clock is set relative to the provider's timestamp.
"""

from __future__ import annotations

import dataclasses
import json
import urllib.parse
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.channels import line, meta, sms_gateway, telegram, twilio, whatsapp
from chalicelib.channels.base import ParsedDelivery
from chalicelib.domain.messages import InboundMessage
from chalicelib.services import webhooks
from chalicelib.store.intake import DEDUPE_RETENTION
from tests.unit.channels import test_line, test_meta, test_sms_gateway, test_telegram, test_twilio, test_whatsapp

WIB = timedelta(hours=7)


@dataclasses.dataclass(frozen=True)
class Delivery:
    channel: Any
    settings: Any
    raw: bytes
    headers: dict[str, str]
    event_key: str
    provider_time: datetime | None  # None: the provider sends no timestamp
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)


def _line() -> Delivery:
    event_id = "01" + uuid.uuid4().hex[:24].upper()
    event = test_line.event(webhookEventId=event_id)
    raw = test_line.body(event)
    return Delivery(line, test_line.SETTINGS, raw, {"X-Line-Signature": line.sign(raw, test_line.SECRET)},
                    f"line:{event_id}", datetime.fromtimestamp(event["timestamp"] / 1000, UTC))


def _whatsapp() -> Delivery:
    wamid = f"wamid.{uuid.uuid4().hex}"
    raw = test_whatsapp.body(test_whatsapp.value(messages=[test_whatsapp.text_message(id=wamid)],
                                                 contacts=[test_whatsapp.contact()]))
    return Delivery(whatsapp, test_whatsapp.SETTINGS, raw, {"X-Hub-Signature-256": meta.sign(raw, "appsecret")},
                    f"wa:{wamid}", datetime.fromtimestamp(1749416383, UTC))


def _meta(obj: str) -> Callable[[], Delivery]:
    def build() -> Delivery:
        mid = f"m_{uuid.uuid4().hex}"
        event = test_meta.messaging_event({"mid": mid, "text": "Lampu jalan mati di Jl. Dhoho"})
        raw = test_meta.body(event, obj=obj)
        return Delivery(meta, test_meta.SETTINGS, raw, {"X-Hub-Signature-256": meta.sign(raw, "appsecret")},
                        f"meta:{mid}", datetime.fromtimestamp(event["timestamp"] / 1000, UTC))

    return build


def _telegram() -> Delivery:
    update_id = uuid.uuid4().int % 10**9
    update = test_telegram.update(update_id=update_id)
    raw = test_telegram.raw(update)
    token = test_telegram.SETTINGS.telegram_secret_token
    return Delivery(telegram, test_telegram.SETTINGS, raw, {telegram.SIGNATURE_HEADER: token},
                    f"tg:{update_id}", datetime.fromtimestamp(update["message"]["date"], UTC))


def _sms_gateway() -> Delivery:
    fields = {**test_sms_gateway.INBOX, "id": str(uuid.uuid4().int % 10**12)}
    raw = test_sms_gateway.form(fields)
    local = datetime.strptime(fields["receive_date"], "%Y-%m-%d %H:%M:%S")  # WIB on the gateway's clock
    return Delivery(sms_gateway, test_sms_gateway.SETTINGS, raw, {"X-Gateway-Token": test_sms_gateway.TOKEN},
                    f"sms:{fields['id']}", (local - WIB).replace(tzinfo=UTC))


def _twilio() -> Delivery:
    sid = "SM" + uuid.uuid4().hex
    form = test_twilio.sms_form(MessageSid=sid, SmsMessageSid=sid, SmsSid=sid)
    raw = urllib.parse.urlencode(form).encode()
    signature = twilio.sign(test_twilio.PUBLIC_URL, form, test_twilio.TOKEN)
    return Delivery(twilio, test_twilio.SETTINGS, raw, {"X-Twilio-Signature": signature}, f"tw:{sid}", None,
                    {"url": test_twilio.PUBLIC_URL})


DATED = {
    "line": _line,
    "whatsapp": _whatsapp,
    "messenger": _meta("page"),
    "instagram": _meta("instagram"),
    "telegram": _telegram,
    "sms_gateway": _sms_gateway,
}


def _receive(ctx, delivery: Delivery, now: datetime) -> webhooks.Receipt:
    ctx.clock.set(now)
    wired = dataclasses.replace(ctx, channels=delivery.settings)
    return webhooks.receive_webhook(delivery.channel, delivery.raw, delivery.headers, ctx=wired, **delivery.kwargs)


@pytest.mark.parametrize("build", DATED.values(), ids=DATED.keys())
def test_a_delivery_dated_before_the_dedupe_window_is_acknowledged_ignored_and_not_stored(ctx, build) -> None:
    delivery = build()

    receipt = _receive(ctx, delivery, delivery.provider_time + DEDUPE_RETENTION + timedelta(minutes=1))

    assert (receipt.messages, receipt.new, receipt.ignored) == (0, 0, 1)
    assert ctx.events.get(delivery.event_key) is None


@pytest.mark.parametrize("build", DATED.values(), ids=DATED.keys())
def test_a_late_retry_inside_the_window_is_stored_once(ctx, build) -> None:
    """Meta retries for up to 7 days: such a retry is still inside the window and its key still remembered."""
    delivery = build()
    seven_days_on = delivery.provider_time + timedelta(days=7)

    first = _receive(ctx, delivery, seven_days_on)
    again = _receive(ctx, delivery, seven_days_on + timedelta(hours=1))

    assert (first.new, first.ignored, again.new) == (1, 0, 0)
    assert ctx.events.get(delivery.event_key).state == "pending"


def test_twilio_sends_no_timestamp_so_its_messages_are_dated_on_arrival_and_never_refused(ctx) -> None:
    delivery = _twilio()

    receipt = _receive(ctx, delivery, datetime(2027, 6, 1, tzinfo=UTC))

    assert (receipt.new, receipt.ignored) == (1, 0)
    assert ctx.events.get(delivery.event_key).received_at == datetime(2027, 6, 1, tzinfo=UTC)


def test_only_the_old_events_of_a_mixed_line_delivery_are_refused(ctx) -> None:
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    old_id, new_id = ("01" + uuid.uuid4().hex[:24].upper() for _ in range(2))
    old = test_line.event(webhookEventId=old_id, timestamp=int((now - timedelta(days=9)).timestamp() * 1000))
    fresh = test_line.event(webhookEventId=new_id, timestamp=int((now - timedelta(seconds=3)).timestamp() * 1000),
                            message={"id": "444573844083572738", "type": "text", "text": "Banjir"})
    raw = test_line.body(old, fresh)
    delivery = Delivery(line, test_line.SETTINGS, raw, {"X-Line-Signature": line.sign(raw, test_line.SECRET)},
                        "", None)

    receipt = _receive(ctx, delivery, now)

    assert (receipt.messages, receipt.new, receipt.ignored) == (1, 1, 1)
    assert ctx.events.get(f"line:{old_id}") is None
    assert ctx.events.get(f"line:{new_id}") is not None


def test_the_refusal_is_logged_with_counts_only(ctx, monkeypatch) -> None:
    logged: list[tuple[str, dict]] = []
    monkeypatch.setattr(webhooks.logger, "warning", lambda message, extra=None: logged.append((message, extra)))
    delivery = _line()

    _receive(ctx, delivery, delivery.provider_time + timedelta(days=30))

    [(message, extra)] = logged
    assert message == "stale deliveries refused"
    assert extra == {"channel": "line", "refused": 1, "oldest_age_hours": 30 * 24.0}
    text = json.dumps(extra) + message
    assert test_line.USER not in text and delivery.event_key.split(":")[1] not in text


def test_the_window_edge() -> None:
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

    def message(age: timedelta) -> InboundMessage:
        return InboundMessage(channel="line", event_key=f"line:{age}", sender_id="U1", received_at=now - age)

    edge = webhooks.MAX_DELIVERY_AGE
    kept = webhooks.drop_stale(ParsedDelivery(messages=(message(edge), message(edge + timedelta(seconds=1)))), now)

    assert [m.received_at for m in kept.messages] == [now - edge] and kept.ignored == 1
    assert DEDUPE_RETENTION - timedelta(hours=2) < edge < DEDUPE_RETENTION  # refused before the key is forgotten


def test_an_old_line_delivery_through_the_app_gets_200(api, intake_ctx) -> None:
    """The provider must get its 200 (and stop retrying), with the message counted as ignored."""
    from tests.unit.test_webhooks import line_body, line_headers

    event_id = "01" + uuid.uuid4().hex[:24].upper()
    nine_days_ago = intake_ctx.now() - timedelta(days=9)
    body = line_body(event_id=event_id, timestamp=int(nine_days_ago.timestamp() * 1000))

    response = api.http.post("/webhooks/line", headers=line_headers(body), body=body)

    assert response.status_code == 200
    assert (response.json_body["received"], response.json_body["new"], response.json_body["ignored"]) == (0, 0, 1)
    assert intake_ctx.events.get(f"line:{event_id}") is None
