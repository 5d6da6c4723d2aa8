"""Meta: the shared signature and handshake, and Messenger + Instagram webhooks, Send API requests and answers.

Fixtures follow Meta's documented shapes:
- Graph API webhooks, "Getting started" (verification request, X-Hub-Signature-256):
  https://developers.facebook.com/docs/graph-api/webhooks/getting-started
- Messenger "messages" and "message_echoes" webhook event references:
  https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messages
- Instagram Platform webhook notification examples:
  https://developers.facebook.com/documentation/instagram-platform/webhooks/examples
- Send API and Messenger error codes:
  https://developers.facebook.com/docs/messenger-platform/reference/send-api
  https://developers.facebook.com/documentation/business-messaging/messenger-platform/error-codes
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.channels import meta
from chalicelib.channels.base import PERMANENT, RETRY, SENT, MalformedPayload, ParsedDelivery
from chalicelib.settings import ChannelSettings

SETTINGS = ChannelSettings(
    meta_app_secret="appsecret",
    meta_verify_token="verify-me",
    meta_page_token="page-token",
    graph_base="https://graph.facebook.com/v21.0",
)
NOW = datetime(2026, 11, 3, 2, 15, tzinfo=UTC)
VECTOR_BODY = b'{"object":"whatsapp_business_account","entry":[]}'
VECTOR_SIGNATURE = "sha256=09eceea024af6e6343b760cc9bd3ae7c056938dd636e24e92109eb8219500384"
PSID = "6543219876543210"
PAGE_ID = "102290129340398"
CDN_IMAGE = "https://scontent.xx.fbcdn.net/v/t1.15752-9/photo.jpg?_nc_cat=1&oh=00_AfB&oe=6720"
IG_IMAGE = "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=17936476928711446&signature=Abc"


def messaging_event(message: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """One `entry[].messaging[]` item as in the messages webhook reference ("Text Message" example)."""
    event: dict[str, Any] = {
        "sender": {"id": PSID},
        "recipient": {"id": PAGE_ID},
        "timestamp": 1458692752478,
        "message": {"mid": "mid.1457764197618:41d102a3e1ae206a38", "text": "hello, world!"}
        if message is None
        else message,
    }
    event.update(fields)
    return event


def body(*events: dict[str, Any], obj: str = "page", **entry_fields: Any) -> bytes:
    entry: dict[str, Any] = {"id": PAGE_ID, "time": 1458692752478, "messaging": list(events)}
    entry.update(entry_fields)
    return json.dumps({"object": obj, "entry": [entry]}).encode("utf-8")


def parse_one(raw: bytes) -> Any:
    delivery = meta.parse(raw, SETTINGS, now=NOW)
    assert len(delivery.messages) == 1, delivery
    return delivery.messages[0]


# -- signature -------------------------------------------------------------------------------------------------------


def test_given_the_channels_md_vector_when_signed_then_the_signature_is_the_documented_one() -> None:
    assert meta.sign(VECTOR_BODY, "appsecret") == VECTOR_SIGNATURE


def test_given_the_vector_signature_when_verified_then_it_is_accepted() -> None:
    assert meta.verify(VECTOR_BODY, {"x-hub-signature-256": VECTOR_SIGNATURE}, SETTINGS) is True


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-hub-signature-256": ""},
        {"x-hub-signature-256": VECTOR_SIGNATURE.replace("sha256=", "")},
        {"x-hub-signature-256": "sha1=" + VECTOR_SIGNATURE[7:]},
        {"x-hub-signature-256": VECTOR_SIGNATURE[:-1] + "5"},
        {"x-hub-signature-256": VECTOR_SIGNATURE + "é"},
        {"x-hub-signature": VECTOR_SIGNATURE},
    ],
)
def test_given_a_missing_or_wrong_signature_when_verified_then_it_is_rejected(headers: dict[str, str]) -> None:
    assert meta.verify(VECTOR_BODY, headers, SETTINGS) is False


def test_given_no_app_secret_configured_when_verified_then_even_a_matching_signature_is_rejected() -> None:
    unsigned = ChannelSettings(meta_app_secret="")

    assert meta.verify(VECTOR_BODY, {"x-hub-signature-256": meta.sign(VECTOR_BODY, "")}, unsigned) is False


def test_given_an_uppercase_hex_signature_when_verified_then_it_is_accepted() -> None:
    assert meta.verify(VECTOR_BODY, {"x-hub-signature-256": "sha256=" + VECTOR_SIGNATURE[7:].upper()}, SETTINGS)


def test_given_escaped_unicode_as_meta_sends_it_when_verified_then_raw_bytes_verify_and_reserialised_do_not() -> None:
    # Meta escapes non-ASCII text ("é" arrives as \u00e9) and signs those exact bytes.
    raw = b'{"object":"page","entry":[{"messaging":[{"message":{"text":"Jalan rusak di caf\\u00e9"}}]}]}'
    headers = {"x-hub-signature-256": meta.sign(raw, "appsecret")}
    reserialised = json.dumps(json.loads(raw), ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    assert meta.verify(raw, headers, SETTINGS) is True
    assert reserialised != raw
    assert meta.verify(reserialised, headers, SETTINGS) is False


# -- subscription handshake ------------------------------------------------------------------------------------------


def test_given_the_right_verify_token_when_meta_subscribes_then_the_challenge_is_echoed() -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"}

    assert meta.verify_subscription(params, SETTINGS) == "1158201444"


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1158201444"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"},
        {"hub.verify_token": "verify-me", "hub.challenge": "1158201444"},
        {"hub.mode": "subscribe", "hub.challenge": "1158201444"},
        {"hub.mode": "subscribe", "hub.verify_token": "verify-me"},
        {"hub.mode": "subscribe", "hub.verify_token": "verify-mé", "hub.challenge": "1"},
    ],
)
def test_given_a_wrong_handshake_when_checked_then_it_is_refused(params: dict[str, str]) -> None:
    assert meta.verify_subscription(params, SETTINGS) is None


def test_given_no_verify_token_configured_when_meta_subscribes_then_it_is_refused() -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1158201444"}

    assert meta.verify_subscription(params, ChannelSettings(meta_verify_token="")) is None


# -- Messenger / Instagram inbound -----------------------------------------------------------------------------------


def test_given_a_messenger_text_when_parsed_then_it_becomes_one_normalised_message() -> None:
    message = parse_one(body(messaging_event()))

    assert message.channel == "messenger"
    assert message.event_key == "meta:mid.1457764197618:41d102a3e1ae206a38"
    assert message.sender_id == PSID
    assert message.reply_to == PSID
    assert message.kind == "text"
    assert message.text == "hello, world!"
    assert message.received_at == datetime(2016, 3, 23, 0, 25, 52, 478000, tzinfo=UTC)
    assert message.standby is False


def test_given_an_instagram_text_when_parsed_then_the_channel_is_instagram() -> None:
    message = parse_one(body(messaging_event({"mid": "aWdfZAG1faWQ", "text": "Lampu mati"}), obj="instagram"))

    assert (message.channel, message.event_key, message.text) == ("instagram", "meta:aWdfZAG1faWQ", "Lampu mati")


def test_given_an_instagram_echo_of_our_reply_when_parsed_then_it_is_ignored() -> None:
    echo = messaging_event(
        {"mid": "aWdfZAG1faWQ", "text": "Terima kasih", "is_echo": True},
        sender={"id": PAGE_ID},
        recipient={"id": PSID},
    )

    assert meta.parse(body(echo, obj="instagram"), SETTINGS, now=NOW) == ParsedDelivery(ignored=1)


@pytest.mark.parametrize(
    "event",
    [
        {"sender": {"id": PSID}, "recipient": {"id": PAGE_ID}, "delivery": {"mids": ["mid.1"], "watermark": 1}},
        {"sender": {"id": PSID}, "recipient": {"id": PAGE_ID}, "read": {"watermark": 1458668856253}},
        {"sender": {"id": PSID}, "recipient": {"id": PAGE_ID}, "postback": {"title": "Mulai", "payload": "START"}},
        {"sender": {"id": PSID}, "recipient": {"id": PAGE_ID}, "reaction": {"mid": "m_1", "action": "react"}},
        messaging_event({"mid": "m_deleted", "is_deleted": True}),
        messaging_event({"mid": "m_unsupported", "is_unsupported": True}),
        messaging_event({"mid": "m_fallback", "attachments": [{"type": "fallback", "payload": None}]}),
        messaging_event({"text": "no mid"}),
        messaging_event(sender={}),
        "not an event",
    ],
)
def test_given_events_that_are_not_citizen_messages_when_parsed_then_they_are_counted_as_ignored(event: Any) -> None:
    assert meta.parse(body(event), SETTINGS, now=NOW) == ParsedDelivery(ignored=1)


def test_given_a_photo_on_meta_cdn_when_parsed_then_the_cdn_url_is_the_media_id() -> None:
    photo = messaging_event({"mid": "m_photo", "attachments": [{"type": "image", "payload": {"url": CDN_IMAGE}}]})

    message = parse_one(body(photo))

    assert (message.kind, message.media_id, message.text) == ("image", CDN_IMAGE, None)


def test_given_an_instagram_photo_on_lookaside_when_parsed_then_it_is_kept() -> None:
    photo = messaging_event({"mid": "m_ig", "attachments": [{"type": "image", "payload": {"url": IG_IMAGE}}]})

    assert parse_one(body(photo, obj="instagram")).media_id == IG_IMAGE


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com/photo.jpg",
        "http://scontent.xx.fbcdn.net/photo.jpg",
        "https://scontent.xx.fbcdn.net.evil.com/photo.jpg",
        "https://user:pw@scontent.xx.fbcdn.net/photo.jpg",
        "https://scontent.xx.fbcdn.net:8443/photo.jpg",
        "https://fbcdn.net@evil.com/photo.jpg",
    ],
)
def test_given_media_on_another_host_when_parsed_then_the_media_is_dropped_and_the_text_kept(url: str) -> None:
    photo = messaging_event(
        {"mid": "m_x", "text": "lihat foto", "attachments": [{"type": "image", "payload": {"url": url}}]}
    )

    message = parse_one(body(photo))

    assert (message.kind, message.media_id, message.text) == ("text", None, "lihat foto")


def test_given_a_sticker_sent_as_both_sticker_and_image_when_parsed_then_it_is_a_sticker_not_a_photo() -> None:
    # Messenger's 2026 sticker transition: both attachment types are present in one message.
    sticker = messaging_event(
        {
            "mid": "m_sticker",
            "attachments": [
                {"type": "image", "payload": {"url": CDN_IMAGE, "sticker_id": 369239263222822}},
                {"type": "sticker", "payload": {"url": CDN_IMAGE, "sticker_id": 369239263222822}},
            ],
        }
    )

    assert parse_one(body(sticker)).kind == "sticker"


def test_given_a_shared_location_when_parsed_then_the_coordinates_are_kept() -> None:
    location = messaging_event(
        {
            "mid": "m_loc",
            "attachments": [
                {"type": "location", "payload": {"coordinates": {"lat": -7.8166, "long": 112.0112}, "title": "Pasar"}}
            ],
        }
    )

    message = parse_one(body(location))

    assert (message.kind, message.latitude, message.longitude, message.address) == (
        "location",
        -7.8166,
        112.0112,
        "Pasar",
    )


def test_given_standby_events_when_parsed_then_they_are_recorded_as_standby() -> None:
    raw = body(standby=[messaging_event({"mid": "m_standby", "text": "halo"})])

    message = parse_one(raw)

    assert (message.event_key, message.standby) == ("meta:m_standby", True)


def test_given_instagram_comment_changes_when_parsed_then_they_are_ignored() -> None:
    # Instagram Platform webhook examples: comments arrive in entry[].changes, not messaging.
    comment = {"field": "comments", "value": {"id": "17865799348089039", "text": "Bagus", "from": {"id": "1"}}}
    raw = json.dumps({"object": "instagram", "entry": [{"id": "17841400000", "time": 1, "changes": [comment]}]})

    assert meta.parse(raw.encode(), SETTINGS, now=NOW) == ParsedDelivery(ignored=1)


def test_given_several_entries_and_events_when_parsed_then_every_message_is_taken() -> None:
    raw = json.dumps(
        {
            "object": "page",
            "entry": [
                {"id": PAGE_ID, "time": 1, "messaging": [messaging_event({"mid": "m_1", "text": "satu"})]},
                {
                    "id": PAGE_ID,
                    "time": 2,
                    "messaging": [
                        messaging_event({"mid": "m_2", "text": "dua"}),
                        messaging_event({"mid": "m_echo", "text": "x", "is_echo": True}),
                    ],
                },
            ],
        }
    ).encode()

    delivery = meta.parse(raw, SETTINGS, now=NOW)

    assert [m.event_key for m in delivery.messages] == ["meta:m_1", "meta:m_2"]
    assert delivery.ignored == 1


def test_given_long_text_and_whitespace_when_parsed_then_it_is_stripped_and_capped() -> None:
    message = parse_one(body(messaging_event({"mid": "m_long", "text": "  " + "a" * 5000 + "  "})))

    assert message.text == "a" * 4000


def test_given_an_over_long_mid_when_parsed_then_the_message_is_dropped() -> None:
    assert meta.parse(body(messaging_event({"mid": "m" * 201, "text": "x"})), SETTINGS, now=NOW).messages == ()


def test_given_no_timestamp_when_parsed_then_now_is_used() -> None:
    event = messaging_event()
    del event["timestamp"]

    assert parse_one(body(event)).received_at == NOW


def test_given_another_object_when_parsed_then_it_is_acknowledged_and_ignored() -> None:
    assert meta.parse(b'{"object":"user","entry":[{"id":"1"}]}', SETTINGS, now=NOW) == ParsedDelivery(ignored=1)


@pytest.mark.parametrize(
    "raw",
    [b"", b"not json", b"[]", b'"page"', b'{"object":"page","entry":{}}', b'{"object":"page"}', b"\xff\xfe"],
)
def test_given_a_body_outside_the_contract_when_parsed_then_it_is_malformed(raw: bytes) -> None:
    with pytest.raises(MalformedPayload):
        meta.parse(raw, SETTINGS, now=NOW)


# -- outbound --------------------------------------------------------------------------------------------------------


def test_given_a_reply_when_built_then_it_is_the_send_api_request() -> None:
    request = meta.build_send(PSID, "Laporan Anda diterima: KDR-0001", SETTINGS)

    assert request.method == "POST"
    assert request.url == "https://graph.facebook.com/v21.0/me/messages"
    assert request.headers == {"Authorization": "Bearer page-token", "Content-Type": "application/json"}
    assert json.loads(request.body) == {
        "recipient": {"id": PSID},
        "messaging_type": "RESPONSE",
        "message": {"text": "Laporan Anda diterima: KDR-0001"},
    }


def test_given_a_tag_when_built_then_the_message_is_sent_as_a_tagged_message() -> None:
    payload = json.loads(meta.build_send(PSID, "Status: selesai", SETTINGS, tag="HUMAN_AGENT").body)

    assert (payload["messaging_type"], payload["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")


def test_given_a_reply_longer_than_the_limit_when_built_then_it_is_cut_to_2000_characters() -> None:
    payload = json.loads(meta.build_send(PSID, "é" * 2500, SETTINGS).body)

    assert payload["message"]["text"] == "é" * 2000


def graph_error(code: int, subcode: int | None = None) -> bytes:
    error: dict[str, Any] = {"message": f"(#{code}) error", "type": "OAuthException", "code": code, "fbtrace_id": "A"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return json.dumps({"error": error}).encode()


@pytest.mark.parametrize(
    ("status", "answer", "expected"),
    [
        (200, b'{"recipient_id":"1","message_id":"m_1"}', SENT),
        (400, graph_error(10, 2018278), PERMANENT),
        (400, graph_error(551, 1545041), PERMANENT),
        (400, graph_error(613), RETRY),
        (400, graph_error(4), RETRY),
        (500, graph_error(1200), RETRY),
        (400, graph_error(2), RETRY),
        (429, b"", RETRY),
        (503, b"<html>", RETRY),
        (400, graph_error(100, 2018001), PERMANENT),
        (403, b"not json", PERMANENT),
    ],
)
def test_given_a_send_api_answer_when_classified_then_it_is_sent_retry_or_permanent(
    status: int, answer: bytes, expected: str
) -> None:
    assert meta.classify(status, answer) == expected


def test_given_the_outside_window_error_when_checked_then_it_is_reported_as_outside_the_window() -> None:
    assert meta.outside_window(400, graph_error(10, 2018278)) is True
    assert meta.outside_window(400, graph_error(10)) is False
    assert meta.outside_window(200, graph_error(10, 2018278)) is False


def test_given_a_cdn_attachment_when_requested_then_it_is_fetched_without_our_token() -> None:
    request = meta.media_request(CDN_IMAGE, SETTINGS)

    assert request is not None
    assert (request.method, request.url, request.headers) == ("GET", CDN_IMAGE, {})


@pytest.mark.parametrize("media_id", ["https://evil.example.com/x.jpg", "12345", "", "file:///etc/passwd"])
def test_given_anything_but_a_cdn_url_when_media_is_requested_then_nothing_is_fetched(media_id: str) -> None:
    assert meta.media_request(media_id, SETTINGS) is None


# -- fuzz ------------------------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25,
)
KEYS = [
    "object",
    "entry",
    "messaging",
    "standby",
    "changes",
    "sender",
    "id",
    "message",
    "mid",
    "text",
    "attachments",
    "type",
    "payload",
    "url",
    "coordinates",
    "lat",
    "long",
    "timestamp",
    "is_echo",
    "is_deleted",
]


def assert_contract(raw: bytes) -> None:
    try:
        delivery = meta.parse(raw, SETTINGS, now=NOW)
    except MalformedPayload:
        return
    assert isinstance(delivery, ParsedDelivery)
    for message in delivery.messages:
        assert message.event_key.startswith("meta:")
        assert message.received_at.tzinfo is not None
        assert message.text is None or len(message.text) <= 4000


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_any_bytes_give_a_delivery_or_malformed(raw: bytes) -> None:
    assert_contract(raw)


@settings(max_examples=1000, deadline=None)
@given(json_values)
def test_fuzz_any_json_gives_a_delivery_or_malformed(value: Any) -> None:
    assert_contract(json.dumps(value).encode())


VALID = {
    "object": "page",
    "entry": [
        {
            "id": PAGE_ID,
            "time": 1,
            "messaging": [
                messaging_event(
                    {"mid": "m_1", "text": "a", "attachments": [{"type": "image", "payload": {"url": CDN_IMAGE}}]}
                ),
                messaging_event(
                    {
                        "mid": "m_2",
                        "attachments": [{"type": "location", "payload": {"coordinates": {"lat": 1, "long": 2}}}],
                    }
                ),
            ],
            "standby": [messaging_event({"mid": "m_3", "text": "b"})],
        }
    ],
}


def mutate(document: Any, path: list[Any], replacement: Any) -> Any:
    """Replace the node reached by following `path` (indices reduced modulo the container size)."""
    if not path or not isinstance(document, dict | list) or not document:
        return replacement
    if isinstance(document, dict):
        key = list(document)[path[0] % len(document)] if isinstance(path[0], int) else path[0]
        document[key] = mutate(document.get(key), path[1:], replacement)
    else:
        index = path[0] % len(document) if isinstance(path[0], int) else 0
        document[index] = mutate(document[index], path[1:], replacement)
    return document


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.integers(0, 50) | st.sampled_from(KEYS), max_size=8), json_values)
def test_fuzz_mutated_valid_payloads_give_a_delivery_or_malformed(path: list[Any], replacement: Any) -> None:
    assert_contract(json.dumps(mutate(copy.deepcopy(VALID), path, replacement)).encode())
