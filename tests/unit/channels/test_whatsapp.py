"""WhatsApp Cloud API: messages webhooks → normalised messages, text/template replies, answers, media.

Fixtures follow Meta's documented shapes:
- messages webhook reference (common structure, statuses):
  https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages
  and its text, image, location, interactive, reaction and system message pages
- Business-scoped user IDs (usernames, `user_id` / `from_user_id`, sending with `recipient`):
  https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids
- Messages API (text and template messages) and Media API (retrieve URL, download):
  https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages
  https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media
- Error codes: https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.channels import meta, whatsapp
from chalicelib.channels.base import PERMANENT, RETRY, SENT, MalformedPayload, ParsedDelivery
from chalicelib.settings import ChannelSettings

SETTINGS = ChannelSettings(
    meta_app_secret="appsecret",
    meta_verify_token="verify-me",
    whatsapp_access_token="wa-token",
    whatsapp_phone_number_id="106540352242922",
    graph_base="https://graph.facebook.com/v21.0",
)
NOW = datetime(2026, 11, 3, 2, 15, tzinfo=UTC)
WA_ID = "6281234567890"
BSUID = "ID.1502576394655843"
WAMID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="


def text_message(**fields: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "from": WA_ID,
        "id": WAMID,
        "timestamp": "1749416383",
        "type": "text",
        "text": {"body": "Jalan berlubang di depan pasar"},
    }
    message.update(fields)
    return message


def contact(**fields: Any) -> dict[str, Any]:
    value: dict[str, Any] = {"profile": {"name": "Siti Aminah"}, "wa_id": WA_ID}
    value.update(fields)
    return value


def value(messages: list[Any] | None = None, contacts: list[Any] | None = None, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
    }
    if contacts is not None:
        data["contacts"] = contacts
    if messages is not None:
        data["messages"] = messages
    data.update(fields)
    return data


def body(*values: dict[str, Any], obj: str = "whatsapp_business_account") -> bytes:
    changes = [{"value": v, "field": "messages"} for v in values]
    return json.dumps({"object": obj, "entry": [{"id": "102290129340398", "changes": changes}]}).encode()


def parse_one(raw: bytes) -> Any:
    delivery = whatsapp.parse(raw, SETTINGS, now=NOW)
    assert len(delivery.messages) == 1, delivery
    return delivery.messages[0]


# -- signature and handshake (Meta's, shared with meta.py) -----------------------------------------------------------


def test_given_the_channels_md_vector_when_verified_then_it_is_accepted() -> None:
    raw = b'{"object":"whatsapp_business_account","entry":[]}'
    signature = "sha256=09eceea024af6e6343b760cc9bd3ae7c056938dd636e24e92109eb8219500384"

    assert whatsapp.sign(raw, "appsecret") == signature
    assert whatsapp.verify(raw, {"x-hub-signature-256": signature}, SETTINGS) is True
    assert whatsapp.parse(raw, SETTINGS, now=NOW) == ParsedDelivery()


def test_given_escaped_unicode_when_verified_then_only_the_raw_bytes_verify() -> None:
    raw = (
        b'{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":'
        b'{"messages":[{"from":"6281234567890","id":"wamid.1","timestamp":"1749416383","type":"text",'
        b'"text":{"body":"Caf\\u00e9 tutup"}}]}}]}]}'
    )
    headers = {"x-hub-signature-256": meta.sign(raw, "appsecret")}
    reserialised = json.dumps(json.loads(raw), ensure_ascii=False, separators=(",", ":")).encode()

    assert whatsapp.verify(raw, headers, SETTINGS) is True
    assert whatsapp.verify(reserialised, headers, SETTINGS) is False
    assert parse_one(raw).text == "Café tutup"


def test_given_the_subscription_handshake_when_checked_then_the_shared_meta_helper_answers() -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"}

    assert whatsapp.verify_subscription(params, SETTINGS) == "1158201444"
    assert whatsapp.verify_subscription({**params, "hub.verify_token": "nope"}, SETTINGS) is None


# -- inbound ---------------------------------------------------------------------------------------------------------


def test_given_a_text_message_when_parsed_then_it_becomes_one_normalised_message() -> None:
    message = parse_one(body(value([text_message()], [contact()])))

    assert message.channel == "whatsapp"
    assert message.event_key == "wa:" + WAMID
    assert message.sender_id == WA_ID
    assert message.phone == "+" + WA_ID
    assert message.reply_to == WA_ID
    assert message.sender_name == "Siti Aminah"
    assert (message.kind, message.text) == ("text", "Jalan berlubang di depan pasar")
    assert message.received_at == datetime(2025, 6, 8, 20, 59, 43, tzinfo=UTC)


def test_given_a_username_user_without_phone_when_parsed_then_the_bsuid_identifies_and_answers_them() -> None:
    message_without_phone = text_message(from_user_id=BSUID)
    del message_without_phone["from"]
    username_contact = {"profile": {"name": "Budi", "username": "@budi"}, "user_id": BSUID}

    message = parse_one(body(value([message_without_phone], [username_contact])))

    assert (message.sender_id, message.phone, message.reply_to) == (BSUID, None, BSUID)
    assert message.sender_name == "Budi"


def test_given_a_bsuid_only_on_the_contact_when_parsed_then_it_is_used() -> None:
    message_without_phone = text_message()
    del message_without_phone["from"]

    message = parse_one(body(value([message_without_phone], [{"profile": {"name": "Budi"}, "user_id": BSUID}])))

    assert message.sender_id == BSUID


def test_given_both_phone_and_bsuid_when_parsed_then_the_phone_stays_the_sender_id() -> None:
    message = parse_one(body(value([text_message(from_user_id=BSUID)], [contact(user_id=BSUID)])))

    assert (message.sender_id, message.phone) == (WA_ID, "+" + WA_ID)


def test_given_no_sender_at_all_when_parsed_then_the_message_is_dropped() -> None:
    anonymous = text_message()
    del anonymous["from"]

    assert whatsapp.parse(body(value([anonymous])), SETTINGS, now=NOW) == ParsedDelivery(ignored=1)


def test_given_several_contacts_when_parsed_then_the_name_comes_from_the_matching_wa_id() -> None:
    contacts = [contact(wa_id="6289999999999", profile={"name": "Orang lain"}), contact()]

    assert parse_one(body(value([text_message()], contacts))).sender_name == "Siti Aminah"


def test_given_an_image_with_caption_when_parsed_then_the_graph_media_id_and_mime_type_are_kept() -> None:
    image = text_message(
        type="image",
        image={"caption": "Sampah menumpuk", "mime_type": "image/jpeg", "sha256": "abc=", "id": "1003383421387256"},
    )
    del image["text"]

    message = parse_one(body(value([image], [contact()])))

    assert (message.kind, message.media_id, message.media_type, message.text) == (
        "image",
        "1003383421387256",
        "image/jpeg",
        "Sampah menumpuk",
    )


@pytest.mark.parametrize(
    ("kind", "expected"), [("video", "video"), ("audio", "audio"), ("document", "file"), ("sticker", "sticker")]
)
def test_given_other_media_when_parsed_then_the_kind_follows_the_type(kind: str, expected: str) -> None:
    media = text_message(type=kind, **{kind: {"mime_type": "application/pdf", "id": "1234567890"}})

    message = parse_one(body(value([media])))

    assert (message.kind, message.media_id) == (expected, "1234567890")


def test_given_a_media_id_that_is_not_a_bare_graph_id_when_parsed_then_the_media_is_dropped() -> None:
    image = text_message(type="image", image={"id": "../me/accounts", "caption": "foto"})

    message = parse_one(body(value([image])))

    assert (message.kind, message.media_id, message.text) == ("text", None, "foto")


def test_given_a_location_when_parsed_then_coordinates_and_place_are_kept() -> None:
    location = text_message(
        type="location",
        location={"latitude": -7.8166, "longitude": 112.0112, "name": "Pasar Setono Betek", "address": "Jl. Semeru"},
    )

    message = parse_one(body(value([location])))

    assert (message.kind, message.latitude, message.longitude) == ("location", -7.8166, 112.0112)
    assert message.address == "Pasar Setono Betek, Jl. Semeru"


@pytest.mark.parametrize(
    "location", [{"latitude": 91, "longitude": 0}, {"latitude": "x", "longitude": 0}, {"longitude": 1}]
)
def test_given_an_impossible_location_when_parsed_then_it_is_ignored(location: dict[str, Any]) -> None:
    raw = body(value([text_message(type="location", location=location)]))

    assert whatsapp.parse(raw, SETTINGS, now=NOW) == ParsedDelivery(ignored=1)


@pytest.mark.parametrize(
    "interactive",
    [
        {"type": "button_reply", "button_reply": {"id": "ya", "title": "Ya, benar"}},
        {"type": "list_reply", "list_reply": {"id": "ya", "title": "Ya, benar", "description": "…"}},
    ],
)
def test_given_an_interactive_reply_when_parsed_then_its_title_is_the_text(interactive: dict[str, Any]) -> None:
    assert parse_one(body(value([text_message(type="interactive", interactive=interactive)]))).text == "Ya, benar"


def test_given_a_template_quick_reply_button_when_parsed_then_its_text_is_the_text() -> None:
    button = text_message(type="button", button={"payload": "RATE_5", "text": "5"})

    assert parse_one(body(value([button]))).text == "5"


@pytest.mark.parametrize(
    "message",
    [
        text_message(type="reaction", reaction={"message_id": WAMID, "emoji": "👍"}),
        text_message(type="unsupported", unsupported={"type": "edit"}, errors=[{"code": 131051}]),
        text_message(type="system", system={"body": "User changed number", "type": "user_changed_number"}),
        text_message(type="text", text={"body": "   "}),
        text_message(id=""),
        text_message(id="w" * 201),
        "not a message",
    ],
)
def test_given_messages_we_do_not_take_when_parsed_then_they_are_counted_as_ignored(message: Any) -> None:
    assert whatsapp.parse(body(value([message])), SETTINGS, now=NOW) == ParsedDelivery(ignored=1)


def test_given_a_status_only_payload_when_parsed_then_every_status_is_ignored_never_an_error() -> None:
    statuses = [
        {"id": WAMID, "status": "delivered", "timestamp": "1749416400", "recipient_id": WA_ID},
        {"id": WAMID, "status": "read", "timestamp": "1749416500", "recipient_id": WA_ID},
    ]

    assert whatsapp.parse(body(value(statuses=statuses)), SETTINGS, now=NOW) == ParsedDelivery(ignored=2)


def test_given_several_entries_changes_and_messages_when_parsed_then_every_message_is_taken() -> None:
    raw = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "1",
                    "changes": [
                        {"field": "messages", "value": value([text_message(id="wamid.A"), text_message(id="wamid.B")])},
                        {"field": "messages", "value": value(statuses=[{"id": "wamid.X", "status": "sent"}])},
                    ],
                },
                {
                    "id": "2",
                    "changes": [
                        {"field": "messages", "value": value([text_message(id="wamid.C")])},
                        {"field": "message_template_status_update", "value": {"event": "APPROVED"}},
                    ],
                },
            ],
        }
    ).encode()

    delivery = whatsapp.parse(raw, SETTINGS, now=NOW)

    assert [m.event_key for m in delivery.messages] == ["wa:wamid.A", "wa:wamid.B", "wa:wamid.C"]
    assert delivery.ignored == 2


def test_given_no_timestamp_when_parsed_then_now_is_used() -> None:
    undated = text_message()
    del undated["timestamp"]

    assert parse_one(body(value([undated]))).received_at == NOW


def test_given_another_object_when_parsed_then_it_is_acknowledged_and_ignored() -> None:
    assert whatsapp.parse(body(value([text_message()]), obj="page"), SETTINGS, now=NOW) == ParsedDelivery(ignored=1)


@pytest.mark.parametrize("raw", [b"", b"[1]", b"null", b"\x80", b'{"object":"whatsapp_business_account","entry":1}'])
def test_given_a_body_that_is_not_a_webhook_object_when_parsed_then_it_is_malformed(raw: bytes) -> None:
    with pytest.raises(MalformedPayload):
        whatsapp.parse(raw, SETTINGS, now=NOW)


# -- outbound --------------------------------------------------------------------------------------------------------


def test_given_a_reply_to_a_phone_when_built_then_it_is_the_messages_api_text_request() -> None:
    request = whatsapp.build_send(WA_ID, "Laporan KDR-0001 diterima", SETTINGS)

    assert request.method == "POST"
    assert request.url == "https://graph.facebook.com/v21.0/106540352242922/messages"
    assert request.headers == {"Authorization": "Bearer wa-token", "Content-Type": "application/json"}
    assert json.loads(request.body) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": WA_ID,
        "type": "text",
        "text": {"preview_url": False, "body": "Laporan KDR-0001 diterima"},
    }


def test_given_a_template_when_built_then_the_text_is_its_single_body_parameter() -> None:
    request = whatsapp.build_send(WA_ID, "KDR-0001 selesai", SETTINGS, template="status_laporan")

    assert json.loads(request.body) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": WA_ID,
        "type": "template",
        "template": {
            "name": "status_laporan",
            "language": {"code": "id"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "KDR-0001 selesai"}]}],
        },
    }


def test_given_a_multiline_template_parameter_when_built_then_whitespace_is_collapsed() -> None:
    request = whatsapp.build_send(WA_ID, "Baris 1\n\nBaris 2\t     akhir", SETTINGS, template="t", language="en_US")
    template = json.loads(request.body)["template"]

    assert template["components"][0]["parameters"][0]["text"] == "Baris 1 Baris 2 akhir"
    assert template["language"] == {"code": "en_US"}


def test_given_a_business_scoped_user_when_built_then_the_bsuid_goes_in_recipient_not_to() -> None:
    payload = json.loads(whatsapp.build_send(BSUID, "Halo", SETTINGS).body)

    assert payload["recipient"] == BSUID
    assert "to" not in payload
    assert whatsapp.is_business_scoped_id("US.ENT.11815799212886844830") is True
    assert whatsapp.is_business_scoped_id("+6281234567890") is False


def test_given_a_reply_longer_than_the_limit_when_built_then_it_is_cut_to_4096_characters() -> None:
    assert len(json.loads(whatsapp.build_send(WA_ID, "x" * 5000, SETTINGS).body)["text"]["body"]) == 4096


def cloud_error(code: int) -> bytes:
    return json.dumps(
        {"error": {"message": f"(#{code}) error", "type": "OAuthException", "code": code, "fbtrace_id": "A"}}
    ).encode()


@pytest.mark.parametrize(
    ("status", "answer", "expected"),
    [
        (200, b'{"messaging_product":"whatsapp","messages":[{"id":"wamid.X"}]}', SENT),
        (400, cloud_error(131047), PERMANENT),
        (400, cloud_error(130429), RETRY),
        (400, cloud_error(131056), RETRY),
        (400, cloud_error(80007), RETRY),
        (429, b"", RETRY),
        (500, cloud_error(131000), RETRY),
        (503, b"", RETRY),
        (400, cloud_error(131026), PERMANENT),
        (401, cloud_error(190), PERMANENT),
        (404, b"<html>", PERMANENT),
    ],
)
def test_given_a_cloud_api_answer_when_classified_then_it_is_sent_retry_or_permanent(
    status: int, answer: bytes, expected: str
) -> None:
    assert whatsapp.classify(status, answer) == expected


def test_given_the_re_engagement_error_when_checked_then_the_caller_is_told_to_send_a_template() -> None:
    assert whatsapp.needs_template(400, cloud_error(131047)) is True
    assert whatsapp.needs_template(400, cloud_error(131026)) is False
    assert whatsapp.needs_template(200, b"{}") is False


def test_given_a_graph_media_id_when_requested_then_its_url_is_asked_with_the_token() -> None:
    request = whatsapp.media_request("1003383421387256", SETTINGS)

    assert request is not None
    assert (request.method, request.url) == ("GET", "https://graph.facebook.com/v21.0/1003383421387256")
    assert request.headers == {"Authorization": "Bearer wa-token"}


@pytest.mark.parametrize("media_id", ["../me/accounts", "1?fields=x", "a/b", "", "x" * 201])
def test_given_a_media_id_that_could_reach_another_endpoint_when_requested_then_nothing_is_fetched(
    media_id: str,
) -> None:
    assert whatsapp.media_request(media_id, SETTINGS) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1003383421387256&ext=1&hash=ATs",
        "https://mmg.whatsapp.net/v/t62.7118-24/photo.enc",
        "https://scontent.xx.fbcdn.net/v/photo.jpg",
    ],
)
def test_given_a_media_url_on_meta_hosts_when_downloaded_then_the_token_goes_along(url: str) -> None:
    request = whatsapp.media_download_request(url, SETTINGS)

    assert request is not None
    assert (request.url, request.headers) == (url, {"Authorization": "Bearer wa-token"})


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com/x",
        "https://lookaside.fbsbx.com.evil.com/x",
        "http://lookaside.fbsbx.com/x",
        "https://a@lookaside.fbsbx.com/x",
        "https://lookaside.fbsbx.com:444/x",
        "https://notwhatsapp.net/x",
    ],
)
def test_given_a_media_url_elsewhere_when_downloaded_then_our_token_is_never_sent(url: str) -> None:
    assert whatsapp.media_download_request(url, SETTINGS) is None


def test_given_a_fake_provider_on_loopback_when_downloaded_then_its_own_host_is_accepted() -> None:
    local = ChannelSettings(whatsapp_access_token="t", graph_base="http://127.0.0.1:9200/v21.0")

    assert whatsapp.media_download_request("http://127.0.0.1:9200/media/1", local) is not None
    assert whatsapp.media_download_request("http://127.0.0.1:9201/media/1", local) is None


# -- fuzz ------------------------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25,
)
KEYS = [
    "object",
    "entry",
    "changes",
    "field",
    "value",
    "messages",
    "contacts",
    "statuses",
    "from",
    "from_user_id",
    "user_id",
    "wa_id",
    "profile",
    "name",
    "id",
    "timestamp",
    "type",
    "text",
    "body",
    "image",
    "location",
    "latitude",
    "longitude",
    "interactive",
    "button_reply",
    "title",
]
VALID = {
    "object": "whatsapp_business_account",
    "entry": [
        {
            "id": "1",
            "changes": [
                {
                    "field": "messages",
                    "value": value(
                        [
                            text_message(),
                            text_message(id="wamid.2", type="image", image={"id": "1", "mime_type": "image/png"}),
                            text_message(id="wamid.3", type="location", location={"latitude": 1, "longitude": 2}),
                            text_message(
                                id="wamid.4",
                                type="interactive",
                                interactive={"type": "button_reply", "button_reply": {"title": "Ya"}},
                            ),
                        ],
                        [contact(user_id=BSUID)],
                        statuses=[{"id": "wamid.9", "status": "read"}],
                    ),
                }
            ],
        }
    ],
}


def assert_contract(raw: bytes) -> None:
    try:
        delivery = whatsapp.parse(raw, SETTINGS, now=NOW)
    except MalformedPayload:
        return
    assert isinstance(delivery, ParsedDelivery)
    for message in delivery.messages:
        assert message.event_key.startswith("wa:") and len(message.event_key) <= 203
        assert message.sender_id and message.received_at.tzinfo is not None
        assert message.text is None or len(message.text) <= 4000


def mutate(document: Any, path: list[Any], replacement: Any) -> Any:
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
@given(st.binary(max_size=300))
def test_fuzz_any_bytes_give_a_delivery_or_malformed(raw: bytes) -> None:
    assert_contract(raw)


@settings(max_examples=1000, deadline=None)
@given(json_values)
def test_fuzz_any_json_gives_a_delivery_or_malformed(document: Any) -> None:
    assert_contract(json.dumps(document).encode())


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.integers(0, 50) | st.sampled_from(KEYS), max_size=9), json_values)
def test_fuzz_mutated_valid_payloads_give_a_delivery_or_malformed(path: list[Any], replacement: Any) -> None:
    assert_contract(json.dumps(mutate(copy.deepcopy(VALID), path, replacement)).encode())
