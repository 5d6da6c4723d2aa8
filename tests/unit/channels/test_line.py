"""LINE: signature over raw bytes, webhook events → messages, reply/push requests, answers, media content.

Fixtures follow the Messaging API reference, "Webhook event objects"
(https://developers.line.biz/en/reference/messaging-api/#webhook-event-objects) and the schema the official
SDKs are generated from (https://github.com/line/line-openapi/blob/main/webhook.yml); the line-bot-sdk
tests below check that the SDK reads our fixtures as the same events.
"""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.channels import line
from chalicelib.channels.base import PERMANENT, RETRY, SENT, MalformedPayload, ParsedDelivery
from chalicelib.settings import ChannelSettings

SECRET = "testsecret"
SETTINGS = ChannelSettings(
    line_channel_secret=SECRET,
    line_access_token="line-token",
    line_api_base="http://127.0.0.1:9100",
    line_data_base="http://127.0.0.1:9101",
)
NOW = datetime(2026, 11, 3, 2, 15, tzinfo=UTC)
DESTINATION = "U0123456789abcdef0123456789abcdef"
CONSOLE_VERIFY = b'{"destination":"U0123456789abcdef0123456789abcdef","events":[]}'
USER = "U4af4980629a1b2c3d4e5f60718293a4b"
GROUP = "Ca56f94637c4a5b6c7d8e9f0a1b2c3d4e"
ROOM = "Ra8dbf4673c4a5b6c7d8e9f0a1b2c3d4e"


def event(kind: str = "message", **fields: Any) -> dict[str, Any]:
    """One webhook event in the documented shape (reference example of a text message event)."""
    base: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": 1462629479859,
        "source": {"type": "user", "userId": USER},
        "webhookEventId": "01FZ74A0TDDPYRVKNK77XKC3ZR",
        "deliveryContext": {"isRedelivery": False},
    }
    if kind == "message":
        base["replyToken"] = "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA"
        base["message"] = {"id": "444573844083572737", "type": "text", "quoteToken": "q3Plxr4AgKd", "text": "Hi"}
    base.update(fields)
    return base


def body(*events: dict[str, Any]) -> bytes:
    return json.dumps({"destination": DESTINATION, "events": list(events)}).encode("utf-8")


def parse_one(*events: dict[str, Any]) -> Any:
    delivery = line.parse(body(*events), SETTINGS, now=NOW)
    assert len(delivery.messages) == 1, delivery
    return delivery.messages[0]


# -- signature ---------------------------------------------------------------------------------------


def test_given_the_channels_md_vector_when_signed_then_the_signature_is_the_documented_one() -> None:
    assert line.sign(CONSOLE_VERIFY, "testsecret") == "68T4hrXlCXQMCJqA3fGlBzTyBPmhsLT3g4xth3uGq7Y="


def test_given_the_vector_signature_when_verified_then_it_is_accepted() -> None:
    headers = {"x-line-signature": "68T4hrXlCXQMCJqA3fGlBzTyBPmhsLT3g4xth3uGq7Y="}

    assert line.verify(CONSOLE_VERIFY, headers, SETTINGS) is True


@pytest.mark.parametrize(
    ("raw", "headers", "configured"),
    [
        (CONSOLE_VERIFY + b" ", {"x-line-signature": "68T4hrXlCXQMCJqA3fGlBzTyBPmhsLT3g4xth3uGq7Y="}, SETTINGS),
        (CONSOLE_VERIFY, {"x-line-signature": line.sign(CONSOLE_VERIFY, "othersecret")}, SETTINGS),
        (CONSOLE_VERIFY, {}, SETTINGS),
        (CONSOLE_VERIFY, {"x-line-signature": ""}, SETTINGS),
        (CONSOLE_VERIFY, {"x-line-signature": "ünïcödé"}, SETTINGS),
        (CONSOLE_VERIFY, {"x-line-signature": line.sign(CONSOLE_VERIFY, "")}, ChannelSettings()),
    ],
    ids=["tampered-body", "other-secret", "no-header", "empty-header", "non-ascii-header", "no-secret-configured"],
)
def test_given_a_bad_or_unverifiable_signature_when_verified_then_it_is_refused(
    raw: bytes, headers: dict[str, str], configured: ChannelSettings
) -> None:
    assert line.verify(raw, headers, configured) is False


def test_given_unicode_escapes_when_verified_then_the_exact_raw_bytes_count_not_reserialised_json() -> None:
    raw = b'{"destination":"U0","events":[],"note":"Jalan Dhoho \\u00e9"}'
    signature = line.sign(raw, SECRET)

    assert line.verify(raw, {"x-line-signature": signature}, SETTINGS)
    assert not line.verify(json.dumps(json.loads(raw)).encode(), {"x-line-signature": signature}, SETTINGS)


def test_given_line_bot_sdk_when_it_validates_the_same_bodies_then_it_agrees_with_verify() -> None:
    from linebot.v3 import SignatureValidator

    validator = SignatureValidator(SECRET)
    valid = body(event())
    tampered = valid.replace(b'"Hi"', b'"Ho"')
    signature = line.sign(valid, SECRET)

    for raw in (valid, tampered, CONSOLE_VERIFY):
        ours = line.verify(raw, {"x-line-signature": signature}, SETTINGS)
        assert ours is validator.validate(raw.decode("utf-8"), signature)
    assert line.verify(valid, {"x-line-signature": signature}, SETTINGS)
    assert not line.verify(tampered, {"x-line-signature": signature}, SETTINGS)


def test_given_line_bot_sdk_when_it_parses_our_fixtures_then_it_reads_the_same_events() -> None:
    from linebot.v3 import WebhookParser
    from linebot.v3.exceptions import InvalidSignatureError

    raw = body(
        event(),
        event(
            webhookEventId="01H0IMAGE",
            message={
                "id": "354718705033693861",
                "type": "image",
                "quoteToken": "yHAz4Ua2wx7",
                "contentProvider": {"type": "line"},
                "imageSet": {"id": "E005D41A7288F41B65593ED38FF6E9834B046AB36A37921A56BC236F13A91855", "index": 1},
            },
        ),
        event("unsend", webhookEventId="01H0UNSEND", unsend={"messageId": "325708"}),
    )
    parser = WebhookParser(SECRET)

    sdk_events = parser.parse(raw.decode("utf-8"), line.sign(raw, SECRET))
    ours = line.parse(raw, SETTINGS, now=NOW).messages

    assert [type(e).__name__ for e in sdk_events] == ["MessageEvent", "MessageEvent", "UnsendEvent"]
    assert [line.PREFIX + e.webhook_event_id for e in sdk_events] == [m.event_key for m in ours]
    assert sdk_events[0].message.id == ours[0].provider_message_id
    assert sdk_events[1].message.image_set.id == ours[1].group_key
    assert sdk_events[2].unsend.message_id == ours[2].refers_to
    with pytest.raises(InvalidSignatureError):
        parser.parse(raw.decode("utf-8").replace("Hi", "Ho"), line.sign(raw, SECRET))


# -- parse: deliveries -------------------------------------------------------------------------------


def test_given_the_consoles_verify_request_when_parsed_then_nothing_is_delivered_and_nothing_ignored() -> None:
    assert line.parse(CONSOLE_VERIFY, SETTINGS) == ParsedDelivery()


def test_given_a_text_message_when_parsed_then_every_field_is_normalised() -> None:
    message = parse_one(event())

    assert message.channel == "line"
    assert message.event_key == "line:01FZ74A0TDDPYRVKNK77XKC3ZR"
    assert message.provider_message_id == "444573844083572737"
    assert message.sender_id == USER
    assert message.reply_to == USER
    assert message.kind == "text"
    assert message.text == "Hi"
    assert message.reply_token == "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA"
    assert message.received_at == datetime(2016, 5, 7, 13, 57, 59, 859000, tzinfo=UTC)
    assert message.standby is False


def test_given_a_redelivered_event_when_parsed_then_it_has_the_same_dedupe_key_as_the_first_delivery() -> None:
    first = parse_one(event())
    again = parse_one(event(deliveryContext={"isRedelivery": True}))

    assert first.event_key == again.event_key


def test_given_an_event_without_timestamp_when_parsed_then_the_callers_now_is_used() -> None:
    without = event()
    del without["timestamp"]

    assert parse_one(without).received_at == NOW
    assert parse_one(event(timestamp=10**30)).received_at == NOW
    assert parse_one(event(timestamp="1462629479859")).received_at == NOW


def test_given_a_long_padded_text_when_parsed_then_it_is_stripped_and_capped_at_4000_chars() -> None:
    message = parse_one(event(message={"id": "1", "type": "text", "text": "  " + "x" * 5000 + "  "}))

    assert message.text == "x" * 4000


def test_given_a_blank_text_when_parsed_then_the_message_is_kept_without_text() -> None:
    message = parse_one(event(message={"id": "1", "type": "text", "text": "   "}))

    assert message.kind == "text"
    assert message.text is None


# Images sent together arrive as separate events sharing imageSet.id (reference: "Image" message object).
def test_given_an_image_from_a_set_when_parsed_then_media_id_is_the_message_id_and_group_key_the_set() -> None:
    message = parse_one(
        event(
            message={
                "id": "354718705033693861",
                "type": "image",
                "quoteToken": "yHAz4Ua2wx7",
                "contentProvider": {"type": "line"},
                "imageSet": {"id": "E005D41A7288F41B655", "index": 1, "total": 2},
            }
        )
    )

    assert (message.kind, message.media_id, message.group_key) == ("image", "354718705033693861", "E005D41A7288F41B655")


def test_given_media_on_an_external_provider_when_parsed_then_no_media_id_is_kept() -> None:
    message = parse_one(
        event(
            message={
                "id": "354718705033693862",
                "type": "image",
                "contentProvider": {
                    "type": "external",
                    "originalContentUrl": "https://evil.example/a.jpg",
                    "previewImageUrl": "https://evil.example/p.jpg",
                },
            }
        )
    )

    assert message.kind == "image"
    assert message.media_id is None


@pytest.mark.parametrize(
    "message",
    [
        {"id": "325708", "type": "video", "duration": 60000, "contentProvider": {"type": "line"}},
        {"id": "325708", "type": "audio", "duration": 60000, "contentProvider": {"type": "line"}},
        {"id": "325708", "type": "file", "fileName": "laporan.pdf", "fileSize": 2138},
    ],
    ids=["video", "audio", "file"],
)
def test_given_video_audio_or_file_when_parsed_then_the_message_id_is_the_media_id(message: dict[str, Any]) -> None:
    parsed = parse_one(event(message=message))

    assert (parsed.kind, parsed.media_id) == (message["type"], "325708")


def test_given_a_location_when_parsed_then_coordinates_address_and_place_name_are_kept() -> None:
    message = parse_one(
        event(
            message={
                "id": "325708",
                "type": "location",
                "title": "Balai Kota Kediri",
                "address": "Jl. Basuki Rahmat No.15, Kediri",
                "latitude": -7.8166,
                "longitude": 112.0119,
            }
        )
    )

    assert (message.kind, message.latitude, message.longitude) == ("location", -7.8166, 112.0119)
    assert message.address == "Jl. Basuki Rahmat No.15, Kediri"
    assert message.text == "Balai Kota Kediri"


def test_given_a_location_with_impossible_coordinates_when_parsed_then_they_are_dropped() -> None:
    message = parse_one(event(message={"id": "1", "type": "location", "latitude": 91.0, "longitude": "x"}))

    assert (message.kind, message.latitude, message.longitude) == ("location", None, None)


def test_given_a_sticker_when_parsed_then_it_is_a_sticker_message() -> None:
    message = parse_one(
        event(
            message={
                "id": "325708",
                "type": "sticker",
                "quoteToken": "q",
                "packageId": "1",
                "stickerId": "1",
                "stickerResourceType": "STATIC",
                "keywords": ["Happy"],
            }
        )
    )

    assert message.kind == "sticker"
    assert message.media_id is None


@pytest.mark.parametrize(
    ("source", "reply_to"),
    [
        ({"type": "group", "groupId": GROUP, "userId": USER}, GROUP),
        ({"type": "room", "roomId": ROOM, "userId": USER}, ROOM),
    ],
    ids=["group", "room"],
)
def test_given_a_group_or_room_message_when_parsed_then_the_sender_is_the_user_and_replies_go_to_the_chat(
    source: dict[str, str], reply_to: str
) -> None:
    message = parse_one(event(source=source))

    assert (message.sender_id, message.reply_to) == (USER, reply_to)
    assert (message.source_type, message.group_id) == (source["type"], reply_to)


def test_given_a_one_to_one_message_when_parsed_then_it_comes_from_a_user_without_group() -> None:
    message = parse_one(event())

    assert (message.source_type, message.group_id) == ("user", None)


def test_given_a_group_member_without_user_id_when_parsed_then_the_group_stands_in_as_sender() -> None:
    message = parse_one(event(source={"type": "group", "groupId": GROUP}))

    assert (message.sender_id, message.reply_to, message.source_type, message.group_id) == (
        GROUP, GROUP, "group", GROUP)


# LINE's reference examples of the group events (join with a reply token; leave and memberLeft without).
JOIN = {
    "replyToken": "0f3779fba3b349968c5d07db31eab56f", "type": "join", "mode": "active", "timestamp": 1462629479859,
    "source": {"type": "group", "groupId": GROUP}, "webhookEventId": "01FZ74A0TDDPYRVKNK77XKC3ZR",
    "deliveryContext": {"isRedelivery": False},
}
LEAVE = {
    "type": "leave", "mode": "active", "timestamp": 1462629479960, "source": {"type": "group", "groupId": GROUP},
    "webhookEventId": "01FZ74A0TDDPYRVKNK77XKC3ZS", "deliveryContext": {"isRedelivery": False},
}
MEMBER_LEFT = {
    "type": "memberLeft", "mode": "active", "timestamp": 1462629479960,
    "source": {"type": "group", "groupId": GROUP},
    "left": {"members": [{"type": "user", "userId": USER}, {"type": "user", "userId": "U" + "0" * 32}]},
    "webhookEventId": "01FZ74A0TDDPYRVKNK77XKC3ZT", "deliveryContext": {"isRedelivery": False},
}


def test_given_a_join_event_when_parsed_then_it_is_a_group_event_with_a_reply_token() -> None:
    message = parse_one(JOIN)

    assert (message.kind, message.source_type, message.group_id, message.reply_to) == ("join", "group", GROUP, GROUP)
    assert message.reply_token == "0f3779fba3b349968c5d07db31eab56f"
    assert message.event_key == "line:01FZ74A0TDDPYRVKNK77XKC3ZR"


def test_given_a_join_into_a_room_when_parsed_then_the_room_id_is_the_group_id() -> None:
    message = parse_one({**JOIN, "source": {"type": "room", "roomId": ROOM}})

    assert (message.kind, message.source_type, message.group_id) == ("join", "room", ROOM)


def test_given_a_leave_event_when_parsed_then_it_names_the_group_and_has_no_reply_token() -> None:
    message = parse_one(LEAVE)

    assert (message.kind, message.group_id, message.reply_token) == ("leave", GROUP, None)


def test_given_a_member_left_event_when_parsed_then_the_left_user_ids_are_kept() -> None:
    message = parse_one(MEMBER_LEFT)

    assert (message.kind, message.group_id) == ("member_left", GROUP)
    assert message.members == (USER, "U" + "0" * 32)
    assert message.reply_token is None


@pytest.mark.parametrize(
    "source",
    [None, {"type": "group", "userId": USER}, {"type": "user"}, {"type": "bot", "userId": USER}, "U1"],
    ids=["missing", "group-without-group-id", "user-without-id", "unknown-type", "not-an-object"],
)
def test_given_an_event_we_cannot_attribute_when_parsed_then_it_is_ignored(source: Any) -> None:
    unattributed = event()
    if source is None:
        del unattributed["source"]
    else:
        unattributed["source"] = source

    assert line.parse(body(unattributed), SETTINGS, now=NOW) == ParsedDelivery(ignored=1)


def test_given_standby_mode_when_parsed_then_the_message_is_recorded_as_standby() -> None:
    standby = event(mode="standby")
    del standby["replyToken"]

    message = parse_one(standby)

    assert message.standby is True
    assert message.reply_token is None


def test_given_an_unsend_event_when_parsed_then_it_asks_to_withdraw_the_named_message() -> None:
    message = parse_one(event("unsend", unsend={"messageId": "325708"}))

    assert (message.kind, message.refers_to, message.sender_id) == ("unsend", "325708", USER)
    assert message.event_key == "line:01FZ74A0TDDPYRVKNK77XKC3ZR"


@pytest.mark.parametrize(
    "other",
    [
        event("follow", replyToken="r", follow={"isUnblocked": False}),
        event("unfollow"),
        event("join", replyToken="r"),  # join/leave/memberLeft come from a group or room, never a user
        event("memberJoined", replyToken="r", source={"type": "group", "groupId": GROUP},
              joined={"members": [{"type": "user", "userId": USER}]}),
        event("memberLeft", source={"type": "group", "groupId": GROUP}, left={}),
        event("postback", replyToken="r", postback={"data": "action=buy&itemid=111"}),
        event("beacon", replyToken="r", beacon={"hwid": "d41d8cd98f", "type": "enter"}),
        event("unsend", unsend={}),
        event(message={"id": "1", "type": "hologram"}),
        event(message={"type": "text", "text": "no id"}),
        event(webhookEventId=None),
        event(webhookEventId="x" * 201),
        "not an event",
    ],
    ids=[
        "follow",
        "unfollow",
        "join-from-a-user",
        "member-joined",
        "member-left-without-members",
        "postback",
        "beacon",
        "unsend-without-id",
        "unknown-message-type",
        "message-without-id",
        "no-event-id",
        "overlong-event-id",
        "not-an-object",
    ],
)
def test_given_an_event_we_do_not_take_when_parsed_then_it_is_counted_as_ignored(other: Any) -> None:
    delivery = line.parse(body(other, event(webhookEventId="01KEEP")), SETTINGS, now=NOW)

    assert delivery.ignored == 1
    assert [m.event_key for m in delivery.messages] == ["line:01KEEP"]


@pytest.mark.parametrize(
    "raw",
    [b"", b"not json", b"[]", b'{"destination":"U0"}', b'{"events":{}}', b'"events"', b"\xff\xfe", b"[" * 100_000],
    ids=["empty", "text", "array", "no-events", "events-object", "string", "bad-utf8", "deep-nesting"],
)
def test_given_a_body_outside_the_contract_when_parsed_then_it_is_malformed(raw: bytes) -> None:
    with pytest.raises(MalformedPayload):
        line.parse(raw, SETTINGS, now=NOW)


# -- outbound ----------------------------------------------------------------------------------------


def test_given_a_reply_token_when_a_reply_is_built_then_it_posts_to_the_reply_endpoint_without_retry_key() -> None:
    request = line.build_send(USER, "Nomor aduan Anda KDR-2611-ABCDEFG", SETTINGS, reply_token="tok", retry_key="k")

    assert (request.method, request.url) == ("POST", "http://127.0.0.1:9100/v2/bot/message/reply")
    assert request.headers["Authorization"] == "Bearer line-token"
    assert request.headers["Content-Type"] == "application/json"
    assert "X-Line-Retry-Key" not in request.headers
    assert json.loads(request.body) == {
        "replyToken": "tok",
        "messages": [{"type": "text", "text": "Nomor aduan Anda KDR-2611-ABCDEFG"}],
    }


def test_given_no_reply_token_when_a_push_is_built_then_it_carries_the_uuid_retry_key() -> None:
    key = "123e4567-e89b-12d3-a456-426614174000"

    request = line.build_send(GROUP, "Status: diproses", SETTINGS, retry_key=key)

    assert request.url == "http://127.0.0.1:9100/v2/bot/message/push"
    assert request.headers["X-Line-Retry-Key"] == key
    assert json.loads(request.body) == {"to": GROUP, "messages": [{"type": "text", "text": "Status: diproses"}]}


def test_given_a_retry_key_that_is_no_uuid_when_a_push_is_built_then_a_stable_uuid_is_derived() -> None:
    first = line.build_send(USER, "a", SETTINGS, retry_key="outbox#KDR-2611-ABCDEFG#ack").headers["X-Line-Retry-Key"]
    again = line.build_send(USER, "a", SETTINGS, retry_key="outbox#KDR-2611-ABCDEFG#ack").headers["X-Line-Retry-Key"]
    other = line.build_send(USER, "a", SETTINGS, retry_key="outbox#KDR-2611-ABCDEFG#done").headers["X-Line-Retry-Key"]

    assert first == again != other
    assert str(uuid.UUID(first)) == first


def test_given_text_in_indonesian_when_sent_then_the_body_is_utf8_json() -> None:
    request = line.build_send(USER, "Terima kasih 🙏", SETTINGS)

    assert "Terima kasih 🙏".encode() in request.body


def test_given_a_text_over_5000_chars_when_sent_then_it_is_split_into_up_to_five_messages() -> None:
    words = ("jalan rusak " * 1000).strip()  # 11999 chars

    texts = [m["text"] for m in json.loads(line.build_send(USER, words, SETTINGS).body)["messages"]]

    assert len(texts) == 3
    assert all(len(t) <= 5000 for t in texts)
    assert "".join(texts) == words
    assert all(not t.startswith(" ") for t in texts)  # cut after a space, not inside a word


def test_given_a_text_over_25000_chars_when_sent_then_five_full_messages_go_out() -> None:
    texts = [m["text"] for m in json.loads(line.build_send(USER, "x" * 30000, SETTINGS).body)["messages"]]

    assert [len(t) for t in texts] == [5000] * 5


def test_given_emoji_at_a_boundary_when_split_then_no_surrogate_pair_is_broken() -> None:
    text = "a" * 4999 + "😀" + "b"

    parts = line.split_text(text)

    assert parts == ["a" * 4999, "😀b"]


@given(st.text(max_size=12000))
@settings(max_examples=300, deadline=None)
def test_given_any_text_when_split_then_pieces_fit_and_nothing_is_lost(text: str) -> None:
    parts = line.split_text(text, limit=2000)

    assert all(len(p.encode("utf-16-le")) // 2 <= 2000 for p in parts)
    assert "".join(parts) == text
    assert 1 <= len(parts) <= 5


@pytest.mark.parametrize(
    ("status", "body", "verdict"),
    [
        (200, b"{}", SENT),
        (409, b'{"message":"The retry key is already accepted"}', SENT),
        (400, b'{"message":"Invalid reply token"}', PERMANENT),
        (401, b'{"message":"Authentication failed"}', PERMANENT),
        (403, b"{}", PERMANENT),
        (429, b'{"message":"The API rate limit has been exceeded. Try again later."}', RETRY),
        (429, b'{"message":"You have reached your monthly limit."}', PERMANENT),
        (500, b"", RETRY),
        (503, b"", RETRY),
    ],
)
def test_given_an_answer_from_line_when_classified_then_the_verdict_follows_the_api(
    status: int, body: bytes, verdict: str
) -> None:
    assert line.classify(status, body) == verdict


def test_given_a_message_id_when_media_is_requested_then_it_is_fetched_from_the_data_host_with_our_token() -> None:
    request = line.media_request("354718705033693861", SETTINGS)

    assert request is not None
    assert (request.method, request.url) == ("GET", "http://127.0.0.1:9101/v2/bot/message/354718705033693861/content")
    assert request.headers == {"Authorization": "Bearer line-token"}


def test_given_a_hostile_message_id_when_media_is_requested_then_it_cannot_leave_the_path() -> None:
    request = line.media_request("../../v2/bot/info?x=", SETTINGS)

    assert request is not None
    assert request.url == "http://127.0.0.1:9101/v2/bot/message/..%2F..%2Fv2%2Fbot%2Finfo%3Fx%3D/content"
    assert line.media_request("", SETTINGS) is None


def test_module_constants_name_the_channel_and_its_dedupe_prefix() -> None:
    assert (line.CHANNEL, line.PREFIX) == ("line", "line:")


# -- fuzz --------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
EVENT_KEYS = ["type", "mode", "timestamp", "source", "webhookEventId", "replyToken", "message", "unsend"]
plausible_events = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["message", "unsend", "follow", "postback"]) | json_values,
        "mode": st.sampled_from(["active", "standby"]) | json_values,
        "timestamp": st.integers() | st.floats() | json_values,
        "webhookEventId": st.text(max_size=210) | json_values,
        "replyToken": st.text(max_size=10) | json_values,
        "source": st.fixed_dictionaries(
            {},
            optional={
                "type": st.sampled_from(["user", "group", "room"]) | json_values,
                "userId": st.text(max_size=10) | json_values,
                "groupId": st.text(max_size=10) | json_values,
                "roomId": st.text(max_size=10) | json_values,
            },
        )
        | json_values,
        "message": st.fixed_dictionaries(
            {},
            optional={
                "type": st.sampled_from(["text", "image", "video", "audio", "file", "location", "sticker"])
                | json_values,
                "id": st.text(max_size=10) | st.integers() | json_values,
                "text": st.text() | json_values,
                "latitude": st.floats() | st.integers() | json_values,
                "longitude": st.floats() | st.integers() | json_values,
                "contentProvider": json_values,
                "imageSet": st.fixed_dictionaries({}, optional={"id": json_values}) | json_values,
            },
        )
        | json_values,
        "unsend": st.fixed_dictionaries({}, optional={"messageId": json_values}) | json_values,
    },
)


def assert_parses_or_is_malformed(raw: bytes) -> None:
    try:
        delivery = line.parse(raw, SETTINGS, now=NOW)
    except MalformedPayload:
        return
    assert isinstance(delivery, ParsedDelivery)
    for message in delivery.messages:
        assert message.event_key.startswith("line:") and len(message.event_key) <= 205
        assert message.received_at.tzinfo is not None
        assert message.text is None or len(message.text) <= 4000


@given(st.binary(max_size=2000))
@settings(max_examples=1000, deadline=None)
def test_given_any_bytes_when_parsed_then_a_delivery_or_malformed_payload_and_nothing_else(raw: bytes) -> None:
    assert_parses_or_is_malformed(raw)


@given(json_values | st.fixed_dictionaries({"events": st.lists(plausible_events, max_size=4)}))
@settings(max_examples=1000, deadline=None)
def test_given_any_json_when_parsed_then_a_delivery_or_malformed_payload_and_nothing_else(value: Any) -> None:
    assert_parses_or_is_malformed(json.dumps(value).encode())


def mutate(value: Any, data: st.DataObject) -> Any:
    """Replace one randomly chosen node of a valid payload with arbitrary JSON."""
    if data.draw(st.integers(0, 3)) == 0 or not isinstance(value, dict | list) or not value:
        return data.draw(json_values)
    if isinstance(value, dict):
        key = data.draw(st.sampled_from(sorted(value)))
        return {**value, key: mutate(value[key], data)}
    index = data.draw(st.integers(0, len(value) - 1))
    return [*value[:index], mutate(value[index], data), *value[index + 1 :]]


VALID = {
    "destination": DESTINATION,
    "events": [
        event(),
        event("unsend", unsend={"messageId": "1"}),
        event(message={"id": "2", "type": "image", "contentProvider": {"type": "line"}, "imageSet": {"id": "S"}}),
        event(message={"id": "3", "type": "location", "latitude": 1.5, "longitude": 2.5, "address": "A"}),
        event(source={"type": "group", "groupId": GROUP, "userId": USER}),
        JOIN,
        LEAVE,
        MEMBER_LEFT,
    ],
}


@given(st.data())
@settings(max_examples=1000, deadline=None)
def test_given_a_mutated_valid_payload_when_parsed_then_a_delivery_or_malformed_payload(data: st.DataObject) -> None:
    assert_parses_or_is_malformed(json.dumps(mutate(copy.deepcopy(VALID), data)).encode())
