"""Telegram: secret-token check, Update → message, sendMessage, answers, and the two-step file download.

Fixtures follow the Bot API reference (https://core.telegram.org/bots/api): `Update`, `Message`, `User`,
`Chat`, `PhotoSize`, `Document`, `Location`, `Venue`, `Contact`; answers follow "Making requests" (`ok`,
`result`, `error_code`, `description`, `parameters.retry_after`) and `getFile`/`File`.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.channels import telegram
from chalicelib.channels.base import PERMANENT, RETRY, SENT, MalformedPayload, ParsedDelivery
from chalicelib.settings import ChannelSettings

SETTINGS = ChannelSettings(
    telegram_bot_token="123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11",
    telegram_secret_token="s3cr3t_T0ken-for-webhook",
    telegram_api_base="http://127.0.0.1:9200",
)
NOW = datetime(2026, 11, 3, 2, 15, tzinfo=UTC)
SIT = {"id": 1111111, "is_bot": False, "first_name": "Siti", "last_name": "Rahayu", "username": "sitir"}


def update(update_id: int = 10000, **message_fields: Any) -> dict[str, Any]:
    """An Update carrying a private-chat Message (reference: Update, Message, User, Chat)."""
    message: dict[str, Any] = {
        "message_id": 1365,
        "from": SIT,
        "chat": {"id": 1111111, "first_name": "Siti", "last_name": "Rahayu", "type": "private"},
        "date": 1793671800,  # 2026-11-03T02:10:00Z
        "text": "Lampu jalan mati di Jl. Dhoho",
    }
    message.update(message_fields)
    return {"update_id": update_id, "message": {k: v for k, v in message.items() if v is not None}}


def raw(value: Any) -> bytes:
    return json.dumps(value).encode("utf-8")


def parse_one(value: Any) -> Any:
    delivery = telegram.parse(raw(value), SETTINGS, now=NOW)
    assert len(delivery.messages) == 1, delivery
    return delivery.messages[0]


# -- authenticity ------------------------------------------------------------------------------------


def test_given_the_secret_token_header_when_verified_then_it_is_accepted() -> None:
    headers = {"x-telegram-bot-api-secret-token": "s3cr3t_T0ken-for-webhook"}

    assert telegram.verify(b"{}", headers, SETTINGS) is True
    assert telegram.verify(
        b"{}", {telegram.SIGNATURE_HEADER: telegram.sign(b"{}", "s3cr3t_T0ken-for-webhook")}, SETTINGS
    )


@pytest.mark.parametrize(
    ("headers", "configured"),
    [
        ({"x-telegram-bot-api-secret-token": "s3cr3t_T0ken-for-webhooK"}, SETTINGS),
        ({"x-telegram-bot-api-secret-token": ""}, SETTINGS),
        ({}, SETTINGS),
        ({"x-telegram-bot-api-secret-token": "rahasia-ü"}, SETTINGS),
        ({"x-telegram-bot-api-secret-token": ""}, ChannelSettings()),
        ({"x-telegram-bot-api-secret-token": "anything"}, ChannelSettings()),
    ],
    ids=["wrong", "empty", "missing", "non-ascii", "nothing-configured-empty", "nothing-configured"],
)
def test_given_a_wrong_or_missing_token_when_verified_then_it_is_refused(
    headers: dict[str, str], configured: ChannelSettings
) -> None:
    assert telegram.verify(b"{}", headers, configured) is False


# -- parse -------------------------------------------------------------------------------------------


def test_given_a_private_text_message_when_parsed_then_sender_chat_name_text_and_time_are_normalised() -> None:
    message = parse_one(update())

    assert message.channel == "telegram"
    assert message.event_key == "tg:10000"
    assert (message.sender_id, message.reply_to) == ("1111111", "1111111")
    assert message.sender_name == "Siti Rahayu"
    assert (message.kind, message.text) == ("text", "Lampu jalan mati di Jl. Dhoho")
    assert message.received_at == datetime(2026, 11, 3, 2, 10, tzinfo=UTC)
    assert message.phone is None


def test_given_start_when_parsed_then_it_is_an_ordinary_text_message() -> None:
    message = parse_one(update(text="/start"))

    assert (message.kind, message.text) == ("text", "/start")


def test_given_a_group_message_when_parsed_then_replies_go_to_the_group_chat() -> None:
    message = parse_one(update(chat={"id": -1001234567890, "title": "Warga RW 05", "type": "supergroup"}))

    assert (message.sender_id, message.reply_to) == ("1111111", "-1001234567890")


def test_given_a_user_with_only_a_username_when_parsed_then_the_username_is_the_name() -> None:
    message = parse_one(update(**{"from": {"id": 7, "is_bot": False, "first_name": " ", "username": "warga7"}}))

    assert message.sender_name == "warga7"


def test_given_a_photo_with_caption_when_parsed_then_the_largest_size_is_the_media() -> None:
    photo = [
        {"file_id": "AgAD-small", "file_unique_id": "a", "width": 90, "height": 67, "file_size": 1200},
        {"file_id": "AgAD-medium", "file_unique_id": "b", "width": 320, "height": 240, "file_size": 15000},
        {"file_id": "AgAD-large", "file_unique_id": "c", "width": 1280, "height": 960, "file_size": 120000},
    ]

    message = parse_one(update(text=None, photo=photo, caption="  Jalan berlubang  "))

    assert (message.kind, message.media_id, message.media_type) == ("image", "AgAD-large", "image/jpeg")
    assert message.text == "Jalan berlubang"


def test_given_a_document_when_parsed_then_it_is_a_file_with_its_mime_type() -> None:
    document = {
        "file_id": "BQACAgUAAx",
        "file_unique_id": "u",
        "file_name": "surat.pdf",
        "mime_type": "application/pdf",
    }

    message = parse_one(update(text=None, document=document))

    assert (message.kind, message.media_id, message.media_type) == ("file", "BQACAgUAAx", "application/pdf")


def test_given_a_voice_note_when_parsed_then_it_is_audio() -> None:
    voice = {"file_id": "AwACAgUAAx", "file_unique_id": "v", "duration": 4, "mime_type": "audio/ogg"}

    message = parse_one(update(text=None, voice=voice))

    assert (message.kind, message.media_id, message.media_type) == ("audio", "AwACAgUAAx", "audio/ogg")


def test_given_a_location_when_parsed_then_coordinates_are_kept() -> None:
    message = parse_one(update(text=None, location={"latitude": -7.8166, "longitude": 112.0119}))

    assert (message.kind, message.latitude, message.longitude) == ("location", -7.8166, 112.0119)


def test_given_a_venue_when_parsed_then_its_title_and_address_come_with_the_location() -> None:
    venue = {
        "location": {"latitude": -7.82, "longitude": 112.01},
        "title": "Pasar Setono Betek",
        "address": "Jl. Pahlawan Kusuma Bangsa, Kediri",
    }

    message = parse_one(update(text=None, location=venue["location"], venue=venue))

    assert (message.kind, message.text, message.address) == (
        "location",
        "Pasar Setono Betek",
        "Jl. Pahlawan Kusuma Bangsa, Kediri",
    )


def test_given_the_senders_own_contact_when_parsed_then_the_phone_is_kept_with_a_plus() -> None:
    contact = {"phone_number": "6281234567890", "first_name": "Siti", "user_id": 1111111}

    message = parse_one(update(text=None, contact=contact))

    assert (message.kind, message.phone) == ("other", "+6281234567890")


def test_given_someone_elses_contact_when_parsed_then_no_phone_is_taken() -> None:
    contact = {"phone_number": "+6285100000000", "first_name": "Budi", "user_id": 2222222}

    message = parse_one(update(text=None, contact=contact))

    assert (message.kind, message.phone) == ("other", None)
    assert parse_one(update(text=None, contact={"phone_number": "+6285100000000", "first_name": "B"})).phone is None


def test_given_a_message_without_date_when_parsed_then_the_callers_now_is_used() -> None:
    assert parse_one(update(date=None)).received_at == NOW
    assert parse_one(update(date=10**20)).received_at == NOW


def test_given_a_long_text_when_parsed_then_it_is_capped_at_4000_chars() -> None:
    assert parse_one(update(text="a" * 5000)).text == "a" * 4000


@pytest.mark.parametrize(
    "value",
    [
        {"update_id": 10001, "edited_message": update()["message"]},
        {"update_id": 10002, "channel_post": {**update()["message"], "chat": {"id": -100, "type": "channel"}}},
        {"update_id": 10003, "callback_query": {"id": "4382bfdwdsb323b2d9", "from": SIT, "data": "x"}},
        {"update_id": 10004, "my_chat_member": {"chat": {"id": 1, "type": "private"}}},
        {"update_id": 10005},
        update(10006, **{"from": {"id": 99, "is_bot": True, "first_name": "OtherBot"}}),
        update(10007, **{"from": None}),
        update(10008, chat=None),
        update(10009, text=None, dice={"emoji": "🎲", "value": 3}),
        update(10010, text="   "),
        update(10011, **{"from": {"id": "x" * 201, "is_bot": False, "first_name": "Long"}}),
    ],
    ids=[
        "edited",
        "channel-post",
        "callback",
        "chat-member",
        "empty-update",
        "from-a-bot",
        "no-sender",
        "no-chat",
        "nothing-storable",
        "blank-text",
        "overlong-sender-id",
    ],
)
def test_given_an_update_we_do_not_take_when_parsed_then_it_is_acknowledged_as_ignored(value: Any) -> None:
    assert telegram.parse(raw(value), SETTINGS, now=NOW) == ParsedDelivery(ignored=1)


@pytest.mark.parametrize(
    "body",
    [b"", b"nope", b"[]", b'{"message": {}}', b'{"update_id": "10000"}', b'{"update_id": true}', b"\xff"],
    ids=["empty", "text", "array", "no-update-id", "string-update-id", "bool-update-id", "bad-utf8"],
)
def test_given_a_body_outside_the_contract_when_parsed_then_it_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedPayload):
        telegram.parse(body, SETTINGS, now=NOW)


# -- outbound ----------------------------------------------------------------------------------------


def test_given_a_reply_when_built_then_it_posts_send_message_json_to_the_bot_url() -> None:
    request = telegram.build_send("1111111", "Aduan Anda tercatat: KDR-2611-ABCDEFG", SETTINGS)

    assert request.method == "POST"
    assert request.url == "http://127.0.0.1:9200/bot123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11/sendMessage"
    assert request.headers == {"Content-Type": "application/json"}
    assert json.loads(request.body) == {"chat_id": "1111111", "text": "Aduan Anda tercatat: KDR-2611-ABCDEFG"}


def test_given_a_text_over_4096_chars_when_built_then_only_the_first_4096_are_sent() -> None:
    assert json.loads(telegram.build_send("1", "x" * 5000, SETTINGS).body)["text"] == "x" * 4096
    assert json.loads(telegram.build_send("1", "x" * 4095 + "😀", SETTINGS).body)["text"] == "x" * 4095


@pytest.mark.parametrize(
    ("status", "body", "verdict"),
    [
        (200, b'{"ok":true,"result":{"message_id":1}}', SENT),
        (200, b"", SENT),
        (200, b'{"ok":false,"error_code":400,"description":"Bad Request"}', PERMANENT),
        (400, b'{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}', PERMANENT),
        (403, b'{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}', PERMANENT),
        (401, b'{"ok":false,"error_code":401,"description":"Unauthorized"}', PERMANENT),
        (429, b'{"ok":false,"error_code":429,"parameters":{"retry_after":17}}', RETRY),
        (500, b"", RETRY),
        (502, b"<html>", RETRY),
    ],
)
def test_given_an_answer_from_telegram_when_classified_then_the_verdict_follows_the_api(
    status: int, body: bytes, verdict: str
) -> None:
    assert telegram.classify(status, body) == verdict


def test_given_a_flood_control_answer_when_read_then_retry_after_is_exposed() -> None:
    body = raw(
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 17",
            "parameters": {"retry_after": 17},
        }
    )

    assert telegram.retry_after(body) == 17
    assert telegram.retry_after(b'{"ok":false,"parameters":{"retry_after":"17"}}') is None
    assert telegram.retry_after(b"oops") is None


# -- media -------------------------------------------------------------------------------------------


def test_given_a_file_id_when_media_is_requested_then_the_first_step_is_get_file() -> None:
    request = telegram.media_request("AgAD-large", SETTINGS)

    assert request == telegram.get_file_request("AgAD-large", SETTINGS)
    assert request is not None
    assert request.url == "http://127.0.0.1:9200/bot123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11/getFile"
    assert json.loads(request.body) == {"file_id": "AgAD-large"}
    assert telegram.media_request("", SETTINGS) is None


def test_given_a_get_file_answer_when_read_then_the_download_is_on_telegrams_file_host() -> None:
    file = {"file_id": "AgAD", "file_unique_id": "u", "file_size": 120000, "file_path": "photos/file_7.jpg"}
    answer = raw({"ok": True, "result": file})

    path = telegram.file_path_from(answer)
    request = telegram.file_download_request(path or "", SETTINGS)

    assert path == "photos/file_7.jpg"
    assert request is not None
    assert request.method == "GET"
    assert request.url == "http://127.0.0.1:9200/file/bot123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11/photos/file_7.jpg"


@pytest.mark.parametrize(
    "path", ["../../etc/passwd", "/abs", "https://evil.example/x", "a?b", "a#b", "", "a/../b", "a\\b", "a b"]
)
def test_given_an_unsafe_file_path_when_a_download_is_built_then_there_is_none(path: str) -> None:
    assert telegram.file_download_request(path, SETTINGS) is None
    assert telegram.file_path_from(raw({"ok": True, "result": {"file_path": path}})) is None


def test_module_constants_name_the_channel_and_its_dedupe_prefix() -> None:
    assert (telegram.CHANNEL, telegram.PREFIX) == ("telegram", "tg:")


# -- fuzz --------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
users = st.fixed_dictionaries(
    {},
    optional={
        "id": st.integers() | json_values,
        "is_bot": st.booleans() | json_values,
        "first_name": st.text(max_size=10) | json_values,
        "username": json_values,
    },
)
plausible_messages = st.fixed_dictionaries(
    {},
    optional={
        "from": users | json_values,
        "chat": st.fixed_dictionaries({}, optional={"id": st.integers() | json_values}) | json_values,
        "date": st.integers() | st.floats() | json_values,
        "text": st.text() | json_values,
        "caption": st.text() | json_values,
        "photo": st.lists(st.fixed_dictionaries({}, optional={"file_id": json_values}) | json_values) | json_values,
        "document": st.fixed_dictionaries({}, optional={"file_id": json_values, "mime_type": json_values}),
        "location": st.fixed_dictionaries({}, optional={"latitude": json_values, "longitude": json_values}),
        "venue": json_values,
        "contact": st.fixed_dictionaries({}, optional={"phone_number": json_values, "user_id": json_values}),
        "sticker": json_values,
    },
)


def assert_parses_or_is_malformed(body: bytes) -> None:
    try:
        delivery = telegram.parse(body, SETTINGS, now=NOW)
    except MalformedPayload:
        return
    assert isinstance(delivery, ParsedDelivery)
    assert len(delivery.messages) + delivery.ignored == 1
    for message in delivery.messages:
        assert message.event_key.startswith("tg:")
        assert message.received_at.tzinfo is not None
        assert message.text is None or len(message.text) <= 4000


@given(st.binary(max_size=2000))
@settings(max_examples=1000, deadline=None)
def test_given_any_bytes_when_parsed_then_a_delivery_or_malformed_payload_and_nothing_else(body: bytes) -> None:
    assert_parses_or_is_malformed(body)


@given(json_values | st.fixed_dictionaries({"update_id": st.integers() | json_values, "message": plausible_messages}))
@settings(max_examples=1000, deadline=None)
def test_given_any_json_when_parsed_then_a_delivery_or_malformed_payload_and_nothing_else(value: Any) -> None:
    assert_parses_or_is_malformed(raw(value))


def mutate(value: Any, data: st.DataObject) -> Any:
    """Replace one randomly chosen node of a valid update with arbitrary JSON."""
    if data.draw(st.integers(0, 3)) == 0 or not isinstance(value, dict | list) or not value:
        return data.draw(json_values)
    if isinstance(value, dict):
        key = data.draw(st.sampled_from(sorted(value)))
        return {**value, key: mutate(value[key], data)}
    index = data.draw(st.integers(0, len(value) - 1))
    return [*value[:index], mutate(value[index], data), *value[index + 1 :]]


VALID = [
    update(),
    update(text=None, photo=[{"file_id": "a"}, {"file_id": "b"}], caption="c"),
    update(text=None, location={"latitude": 1.0, "longitude": 2.0}, venue={"title": "t", "address": "a"}),
    update(text=None, contact={"phone_number": "+62812", "user_id": 1111111}),
    update(text=None, document={"file_id": "d", "mime_type": "image/png"}),
]


@given(st.sampled_from(VALID), st.data())
@settings(max_examples=1000, deadline=None)
def test_given_a_mutated_valid_update_when_parsed_then_a_delivery_or_malformed_payload(
    valid: dict[str, Any], data: st.DataObject
) -> None:
    assert_parses_or_is_malformed(raw(mutate(copy.deepcopy(valid), data)))
