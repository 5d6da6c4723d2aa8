"""Local SMS gateway: shared-token check, inbound SMS (form or JSON), send request and the vendor's answers.

Inbound fixtures follow the NusaSMS push-inbox fields summarised in docs/channels.md (`id`, `originator`,
`msg`, `receive_date` in WIB, form-encoded); the send side follows NusaSMS's REST API reference
(https://apidoc.nusasms.com/: `APIKey` header; success is a 2xx with `"error": false`).
"""

from __future__ import annotations

import copy
import json
import urllib.parse
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.channels import sms_gateway
from chalicelib.channels.base import PERMANENT, RETRY, SENT, MalformedPayload, ParsedDelivery
from chalicelib.settings import ChannelSettings

TOKEN = "8f1c2e7a9b4d4c55a0e3f6b2d1c9e8a7-gateway"
SETTINGS = ChannelSettings(
    sms_gateway_token=TOKEN,
    sms_gateway_send_url="http://127.0.0.1:9300/nusasms_api/1.0/sms/send",
    sms_gateway_api_key="NUSA-API-KEY",
)
NOW = datetime(2026, 11, 3, 2, 15, tzinfo=UTC)
INBOX = {
    "id": "98123",
    "originator": "081234567890",
    "msg": "Sampah menumpuk di Jl. Dhoho",
    "receive_date": "2026-11-03 09:14:05",
}


def form(fields: dict[str, str]) -> bytes:
    return urllib.parse.urlencode(fields).encode("ascii")


def parse_one(body: bytes) -> Any:
    delivery = sms_gateway.parse(body, SETTINGS, now=NOW)
    assert len(delivery.messages) == 1, delivery
    return delivery.messages[0]


# -- authenticity ------------------------------------------------------------------------------------


def test_given_the_token_in_the_header_when_verified_then_it_is_accepted() -> None:
    assert sms_gateway.verify(form(INBOX), {"x-gateway-token": TOKEN}, SETTINGS) is True
    assert sms_gateway.verify(b"", {sms_gateway.SIGNATURE_HEADER: sms_gateway.sign(b"", TOKEN)}, SETTINGS) is True


def test_given_the_token_only_in_the_query_when_verified_then_it_is_refused() -> None:
    # a token in the URL sits in every access log on the way: header only, unless the stage opts in
    assert sms_gateway.verify(form(INBOX), {}, SETTINGS, query={"token": TOKEN}) is False


@pytest.mark.parametrize("opt_in", ["true", "1", "yes"])
def test_given_a_stage_that_opted_in_when_the_token_is_in_the_query_then_it_is_accepted(opt_in: str) -> None:
    url_only = ChannelSettings(sms_gateway_token=TOKEN, sms_gateway_query_token=opt_in)

    assert sms_gateway.verify(form(INBOX), {}, url_only, query={"token": TOKEN}) is True
    assert sms_gateway.verify(form(INBOX), {}, url_only, query={"token": TOKEN + "x"}) is False


@pytest.mark.parametrize(
    ("headers", "query", "configured"),
    [
        ({"x-gateway-token": TOKEN[:-1]}, None, SETTINGS),
        ({}, {"token": TOKEN + "x"}, SETTINGS),
        ({}, None, SETTINGS),
        ({}, {}, SETTINGS),
        ({"x-gateway-token": "tökén"}, None, SETTINGS),
        ({"x-gateway-token": ""}, {"token": ""}, ChannelSettings()),
        ({"x-gateway-token": TOKEN}, None, ChannelSettings()),
    ],
    ids=["wrong-header", "wrong-query", "none", "empty-query", "non-ascii", "nothing-configured", "not-configured"],
)
def test_given_a_wrong_or_missing_token_when_verified_then_it_is_refused(
    headers: dict[str, str], query: dict[str, str] | None, configured: ChannelSettings
) -> None:
    assert sms_gateway.verify(form(INBOX), headers, configured, query=query) is False


# -- parse -------------------------------------------------------------------------------------------


def test_given_a_pushed_sms_when_parsed_then_the_sender_is_an_e164_number_and_the_time_is_utc() -> None:
    message = parse_one(form(INBOX))

    assert message.channel == "sms"
    assert message.event_key == "sms:98123"
    assert message.sender_id == message.phone == message.reply_to == "+6281234567890"
    assert (message.kind, message.text) == ("text", "Sampah menumpuk di Jl. Dhoho")
    assert message.received_at == datetime(2026, 11, 3, 2, 14, 5, tzinfo=UTC)  # 09:14:05 WIB


def test_given_the_same_sms_as_json_when_parsed_then_it_reads_the_same() -> None:
    assert parse_one(b"  \n" + json.dumps(INBOX).encode()) == parse_one(form(INBOX))


def test_given_numeric_json_fields_when_parsed_then_they_are_read_as_text() -> None:
    message = parse_one(json.dumps({**INBOX, "id": 98123, "originator": 6281234567890}).encode())

    assert (message.event_key, message.phone) == ("sms:98123", "+6281234567890")


@pytest.mark.parametrize(
    ("originator", "phone"),
    [
        ("081234567890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("+6281234567890", "+6281234567890"),
        (" 6281234567890", "+6281234567890"),  # an unencoded '+' in a form arrives as a space
        ("0812-3456-7890", "+6281234567890"),
        ("(0812) 3456 7890", "+6281234567890"),
        ("81234567890", "+6281234567890"),
        ("006591234567", "+6591234567"),
        ("+6591234567", "+6591234567"),
    ],
)
def test_given_an_originator_in_any_local_form_when_parsed_then_it_is_normalised(originator: str, phone: str) -> None:
    assert parse_one(form({**INBOX, "originator": originator})).phone == phone


@pytest.mark.parametrize("originator", ["TELKOMSEL", "3636", "+62", "0812345678901234567", "٠٨١٢٣٤٥٦٧٨٩٠"])
def test_given_an_originator_that_is_no_phone_number_when_parsed_then_it_is_ignored(originator: str) -> None:
    assert sms_gateway.parse(form({**INBOX, "originator": originator}), SETTINGS, now=NOW) == ParsedDelivery(ignored=1)


@pytest.mark.parametrize("missing", ["id", "originator"])
def test_given_no_id_or_originator_when_parsed_then_the_post_is_malformed(missing: str) -> None:
    with pytest.raises(MalformedPayload):
        sms_gateway.parse(form({k: v for k, v in INBOX.items() if k != missing}), SETTINGS, now=NOW)
    with pytest.raises(MalformedPayload):
        sms_gateway.parse(form({**INBOX, missing: ""}), SETTINGS, now=NOW)


@pytest.mark.parametrize("receive_date", ["", "03/11/2026 09:14", "2026-13-40 99:99:99"])
def test_given_no_readable_receive_date_when_parsed_then_the_callers_now_is_used(receive_date: str) -> None:
    assert parse_one(form({**INBOX, "receive_date": receive_date})).received_at == NOW
    assert parse_one(form({k: v for k, v in INBOX.items() if k != "receive_date"})).received_at == NOW


def test_given_a_blank_or_long_text_when_parsed_then_it_is_stripped_and_capped() -> None:
    assert parse_one(form({**INBOX, "msg": "   "})).text is None
    assert parse_one(form({**INBOX, "msg": " " + "a" * 5000})).text == "a" * 4000


def test_given_repeated_fields_when_parsed_then_the_first_occurrence_wins() -> None:
    assert parse_one(form(INBOX) + b"&id=other&msg=later").event_key == "sms:98123"


def test_given_a_stray_non_utf8_byte_when_parsed_then_the_sms_is_still_taken() -> None:
    message = parse_one(b"id=1&originator=081234567890&msg=Jalan\xe9rusak")

    assert message.text == "Jalan\ufffdrusak"


@pytest.mark.parametrize(
    "body",
    [b"", b"{not json", b"{}", b'{"id": true, "originator": "081234567890"}', b"&".join([b"a=1"] * 100)],
    ids=["empty", "broken-json", "empty-json", "bool-id", "too-many-fields"],
)
def test_given_a_body_outside_the_contract_when_parsed_then_it_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedPayload):
        sms_gateway.parse(body, SETTINGS, now=NOW)


# -- outbound ----------------------------------------------------------------------------------------


def test_given_a_reply_when_built_then_it_posts_the_form_with_the_api_key() -> None:
    request = sms_gateway.build_send("+6281234567890", "Aduan KDR-2611-ABCDEFG diterima & diproses", SETTINGS)

    assert (request.method, request.url) == ("POST", "http://127.0.0.1:9300/nusasms_api/1.0/sms/send")
    assert request.headers["APIKey"] == "NUSA-API-KEY"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert urllib.parse.parse_qs(request.body.decode()) == {
        "destination": ["6281234567890"],
        "message": ["Aduan KDR-2611-ABCDEFG diterima & diproses"],
    }


@pytest.mark.parametrize(
    ("status", "body", "verdict"),
    [
        (200, b'{"error": false, "message": "Success", "data": {"destination": "6281234567890"}}', SENT),
        (201, b"", SENT),
        (200, b"OK", SENT),
        (200, b'{"error": true, "message": "Invalid destination"}', PERMANENT),
        (200, b'{"error": "Insufficient balance"}', PERMANENT),
        (200, b'{"error": "false"}', SENT),
        (200, b'{"error": 0}', SENT),
        (401, b'{"error": true}', PERMANENT),
        (429, b"", RETRY),
        (500, b"", RETRY),
        (504, b"", RETRY),
    ],
)
def test_given_an_answer_from_the_gateway_when_classified_then_the_verdict_follows_its_api(
    status: int, body: bytes, verdict: str
) -> None:
    assert sms_gateway.classify(status, body) == verdict


def test_given_sms_when_media_is_asked_for_then_there_is_none() -> None:
    assert sms_gateway.media_request("x", SETTINGS) is None


def test_module_constants_name_the_channel_and_its_dedupe_prefix() -> None:
    assert (sms_gateway.CHANNEL, sms_gateway.PREFIX) == ("sms", "sms:")


# -- fuzz --------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
field_values = st.text(max_size=30) | st.from_regex(r"\+?0?62?8[0-9]{6,14}", fullmatch=True)
plausible_fields = st.fixed_dictionaries(
    {},
    optional={"id": field_values, "originator": field_values, "msg": st.text(), "receive_date": field_values},
)


def assert_parses_or_is_malformed(body: bytes) -> None:
    try:
        delivery = sms_gateway.parse(body, SETTINGS, now=NOW)
    except MalformedPayload:
        return
    assert isinstance(delivery, ParsedDelivery)
    assert len(delivery.messages) + delivery.ignored == 1
    for message in delivery.messages:
        assert message.event_key.startswith("sms:")
        assert message.phone is not None and message.phone.startswith("+") and message.phone[1:].isdigit()
        assert message.received_at.tzinfo is not None


@given(st.binary(max_size=2000))
@settings(max_examples=1000, deadline=None)
def test_given_any_bytes_when_parsed_then_a_delivery_or_malformed_payload_and_nothing_else(body: bytes) -> None:
    assert_parses_or_is_malformed(body)


@given(plausible_fields)
@settings(max_examples=1000, deadline=None)
def test_given_any_form_fields_when_parsed_then_a_delivery_or_malformed_payload(fields: dict[str, str]) -> None:
    assert_parses_or_is_malformed(urllib.parse.urlencode(fields).encode())


@given(json_values | plausible_fields | st.dictionaries(st.sampled_from(sorted(INBOX)), json_values))
@settings(max_examples=1000, deadline=None)
def test_given_any_json_when_parsed_then_a_delivery_or_malformed_payload_and_nothing_else(value: Any) -> None:
    assert_parses_or_is_malformed(json.dumps(value).encode())


@given(st.sampled_from(sorted(INBOX)), json_values)
@settings(max_examples=1000, deadline=None)
def test_given_a_mutated_valid_json_post_when_parsed_then_a_delivery_or_malformed_payload(key: str, value: Any) -> None:
    mutated = copy.deepcopy(INBOX) | {key: value}

    assert_parses_or_is_malformed(json.dumps(mutated).encode())
