"""Twilio SMS and WhatsApp: signature over URL + sorted form, inbound form → message, TwiML, sends, media.

Fixtures follow Twilio's documented shapes:
- Webhook security (signature algorithm, ports, SharedKey rules; the example vector):
  https://www.twilio.com/docs/usage/webhooks/webhooks-security
- The incoming message webhook request (SMS, MMS and WhatsApp parameters):
  https://www.twilio.com/docs/messaging/guides/webhook-request
- TwiML for Programmable Messaging: https://www.twilio.com/docs/messaging/twiml
- Message and Media resources, error codes 63016 / 20429:
  https://www.twilio.com/docs/messaging/api/message-resource
  https://www.twilio.com/docs/messaging/api/media-resource
  https://www.twilio.com/docs/api/errors/63016
`twilio.request_validator.RequestValidator` (test-only dependency) checks our signatures against Twilio's own.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from chalicelib.channels import twilio
from chalicelib.channels.base import PERMANENT, RETRY, SENT, MalformedPayload, ParsedDelivery
from chalicelib.settings import ChannelSettings

TOKEN = "12345"
ACCOUNT = "AC0123456789abcdef0123456789abcdef"
PUBLIC_URL = "https://abc123.execute-api.ap-southeast-3.amazonaws.com/api/webhooks/twilio"
SETTINGS = ChannelSettings(
    twilio_account_sid=ACCOUNT,
    twilio_auth_token=TOKEN,
    twilio_sms_from="+15005550006",
    twilio_whatsapp_from="+14155238886",
    twilio_public_url=PUBLIC_URL,
)
NOW = datetime(2026, 11, 3, 2, 15, tzinfo=UTC)
MEDIA_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages/MM0123456789abcdef0123456789abcdef/Media/ME0123456789abcdef0123456789abcdef"


def sms_form(**fields: str) -> dict[str, str]:
    """An inbound SMS as Twilio posts it (webhook-request page, SMS parameters)."""
    form = {
        "ToCountry": "US",
        "ToState": "CA",
        "SmsMessageSid": "SM0123456789abcdef0123456789abcdef",
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": "SM0123456789abcdef0123456789abcdef",
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": "Lampu jalan mati di Jl. Dhoho",
        "FromCountry": "ID",
        "To": "+15005550006",
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": "SM0123456789abcdef0123456789abcdef",
        "AccountSid": ACCOUNT,
        "From": "+6281234567890",
        "ApiVersion": "2010-04-01",
    }
    form.update(fields)
    return form


def whatsapp_form(**fields: str) -> dict[str, str]:
    """An inbound WhatsApp message through Twilio (webhook-request page, WhatsApp parameters)."""
    form = {
        "SmsMessageSid": "SM1111111111abcdef0123456789abcdef",
        "NumMedia": "0",
        "ProfileName": "Siti Aminah",
        "MessageType": "text",
        "SmsSid": "SM1111111111abcdef0123456789abcdef",
        "WaId": "6281234567890",
        "SmsStatus": "received",
        "Body": "Sampah belum diangkut",
        "To": "whatsapp:+14155238886",
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": "SM1111111111abcdef0123456789abcdef",
        "AccountSid": ACCOUNT,
        "From": "whatsapp:+6281234567890",
        "ApiVersion": "2010-04-01",
    }
    form.update(fields)
    return form


def encode(form: dict[str, str]) -> bytes:
    return urlencode(form).encode("ascii")


def parse_one(form: dict[str, str]) -> Any:
    delivery = twilio.parse(encode(form), SETTINGS, now=NOW)
    assert len(delivery.messages) == 1, delivery
    return delivery.messages[0]


# -- signature -------------------------------------------------------------------------------------------------------

VECTOR_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
VECTOR_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+12349013030",
    "Digits": "1234",
    "From": "+12349013030",
    "To": "+18005551212",
}
VECTOR_SIGNATURE = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_given_the_channels_md_vector_when_signed_then_the_signature_is_the_documented_one() -> None:
    assert twilio.sign(VECTOR_URL, VECTOR_PARAMS, "12345") == VECTOR_SIGNATURE


def test_given_the_vector_request_when_verified_then_it_is_accepted() -> None:
    headers = {"x-twilio-signature": VECTOR_SIGNATURE}

    assert twilio.verify(encode(VECTOR_PARAMS), headers, SETTINGS, url=VECTOR_URL) is True


def test_given_the_public_url_setting_when_no_url_is_passed_then_it_is_the_one_signed() -> None:
    raw = encode(sms_form())
    headers = {"x-twilio-signature": twilio.sign(PUBLIC_URL, sms_form(), TOKEN)}

    assert twilio.verify(raw, headers, SETTINGS) is True


PARAM_SETS = [
    VECTOR_PARAMS,
    sms_form(),
    whatsapp_form(Latitude="-7.8166", Longitude="112.0112", Address="", Label=""),
    {"Body": "", "From": "+6281234567890", "Empty": "", "MessageSid": "SM1"},
    {"Body": "Jalan rusak 🚧 di Kediri — tolong & segera <hari ini>", "ProfileName": "Ñoño Ü", "MessageSid": "SM2"},
    {"Body": "a+b=c&d", "B": "2", "a": "1", "A": "3", "_": "x", "MessageSid": "SM3"},
    {},
]


@pytest.mark.parametrize("params", PARAM_SETS)
def test_given_form_params_when_signed_then_twilio_request_validator_agrees(params: dict[str, str]) -> None:
    validator = RequestValidator(TOKEN)
    ours = twilio.sign(PUBLIC_URL, params, TOKEN)

    assert ours == validator.compute_signature(PUBLIC_URL, params)
    assert validator.validate(PUBLIC_URL, params, ours) is True


@pytest.mark.parametrize("params", PARAM_SETS)
def test_given_a_request_signed_by_twilios_validator_when_verified_over_raw_bytes_then_it_is_accepted(
    params: dict[str, str],
) -> None:
    raw = urlencode(params).encode("ascii")
    headers = {"x-twilio-signature": RequestValidator(TOKEN).compute_signature(PUBLIC_URL, params)}

    assert twilio.verify(raw, headers, SETTINGS) is True


def test_given_a_blank_field_dropped_from_the_form_when_verified_then_the_signature_fails() -> None:
    form = sms_form()
    headers = {"x-twilio-signature": twilio.sign(PUBLIC_URL, form, TOKEN)}
    without_blanks = {name: value for name, value in form.items() if value}

    assert twilio.verify(encode(form), headers, SETTINGS) is True
    assert twilio.verify(encode(without_blanks), headers, SETTINGS) is False


@pytest.mark.parametrize(
    ("signed_url", "public_url"),
    [
        ("https://example.org:443/api/webhooks/twilio", "https://example.org/api/webhooks/twilio"),
        ("https://example.org/api/webhooks/twilio", "https://example.org:443/api/webhooks/twilio"),
    ],
)
def test_given_the_url_signed_with_or_without_port_443_when_verified_then_both_forms_are_accepted(
    signed_url: str, public_url: str
) -> None:
    form = sms_form()
    headers = {"x-twilio-signature": twilio.sign(signed_url, form, TOKEN)}

    assert twilio.verify(encode(form), headers, SETTINGS, url=public_url) is True
    assert RequestValidator(TOKEN).validate(public_url, form, headers["x-twilio-signature"]) is True


@pytest.mark.parametrize(
    "tamper",
    [
        lambda form, url: (form | {"Body": "diubah"}, url),
        lambda form, url: (form, url.replace("/api/", "/")),
        lambda form, url: (form, url + "?x=1"),
        lambda form, url: (form, url.replace("https://", "http://")),
    ],
)
def test_given_a_changed_body_or_url_when_verified_then_the_signature_fails(tamper: Any) -> None:
    form = sms_form()
    headers = {"x-twilio-signature": twilio.sign(PUBLIC_URL, form, TOKEN)}
    changed_form, changed_url = tamper(form, PUBLIC_URL)

    assert twilio.verify(encode(changed_form), headers, SETTINGS, url=changed_url) is False


@pytest.mark.parametrize(
    ("settings_", "headers"),
    [
        (ChannelSettings(twilio_auth_token="", twilio_public_url=PUBLIC_URL), None),
        (ChannelSettings(twilio_auth_token=TOKEN, twilio_public_url=""), None),
        (SETTINGS, {}),
        (SETTINGS, {"x-twilio-signature": ""}),
        (SETTINGS, {"x-twilio-signature": "é"}),
    ],
)
def test_given_missing_config_or_signature_when_verified_then_it_is_rejected(
    settings_: ChannelSettings, headers: dict[str, str] | None
) -> None:
    form = sms_form()
    headers = headers if headers is not None else {"x-twilio-signature": twilio.sign(PUBLIC_URL, form, "")}

    assert twilio.verify(encode(form), headers, settings_) is False


def test_given_a_request_signed_with_a_shared_key_rule_when_verified_then_it_is_rejected() -> None:
    # With a Webhooks Rule, Twilio signs with a SharedKey (maybe HMAC-SHA256) that we do not hold.
    form = sms_form()
    headers = {
        "x-twilio-signature": twilio.sign(PUBLIC_URL, form, TOKEN),
        "x-twilio-webhooks-signature-settings": "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256",
    }

    assert twilio.verify(encode(form), headers, SETTINGS) is False


def test_given_a_body_that_is_not_utf8_when_verified_then_it_is_rejected() -> None:
    assert twilio.verify(b"Body=\xff", {"x-twilio-signature": "x"}, SETTINGS) is False


# -- inbound ---------------------------------------------------------------------------------------------------------


def test_given_an_inbound_sms_when_parsed_then_it_becomes_one_normalised_message() -> None:
    message = parse_one(sms_form())

    assert message.channel == "sms"
    assert message.event_key == "tw:SM0123456789abcdef0123456789abcdef"
    assert (message.sender_id, message.phone, message.reply_to) == ("+6281234567890",) * 3
    assert (message.kind, message.text) == ("text", "Lampu jalan mati di Jl. Dhoho")
    assert message.sender_name is None
    assert message.received_at == NOW


def test_given_an_inbound_whatsapp_message_when_parsed_then_channel_phone_and_profile_name_are_whatsapps() -> None:
    message = parse_one(whatsapp_form())

    assert message.channel == "whatsapp"
    assert message.event_key == "tw:SM1111111111abcdef0123456789abcdef"
    assert (message.sender_id, message.phone, message.reply_to) == ("6281234567890", "+6281234567890", "+6281234567890")
    assert message.sender_name == "Siti Aminah"


def test_given_only_sms_message_sid_when_parsed_then_it_is_the_event_key() -> None:
    form = sms_form()
    del form["MessageSid"]

    assert parse_one(form).event_key == "tw:SM0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("field", ["MessageSid", "From"])
def test_given_a_form_without_message_sid_or_sender_when_parsed_then_it_is_malformed(field: str) -> None:
    form = sms_form()
    del form[field]
    form.pop("SmsMessageSid")

    with pytest.raises(MalformedPayload):
        twilio.parse(encode(form), SETTINGS, now=NOW)


def test_given_a_photo_on_twilios_media_host_when_parsed_then_the_media_url_is_the_media_id() -> None:
    form = whatsapp_form(
        Body="", NumMedia="1", MediaUrl0=MEDIA_URL, MediaContentType0="image/jpeg", MessageType="image"
    )

    message = parse_one(form)

    assert (message.kind, message.media_id, message.media_type, message.text) == (
        "image",
        MEDIA_URL,
        "image/jpeg",
        None,
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
        "http://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
        "https://api.twilio.com.evil.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
        "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json",
        "https://user:pw@api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
        "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1?redirect=evil",
    ],
)
def test_given_media_elsewhere_when_parsed_then_the_media_is_dropped_and_the_text_kept(url: str) -> None:
    message = parse_one(sms_form(NumMedia="1", MediaUrl0=url, MediaContentType0="image/jpeg"))

    assert (message.kind, message.media_id, message.text) == ("text", None, "Lampu jalan mati di Jl. Dhoho")


@pytest.mark.parametrize(
    ("content_type", "kind"), [("video/mp4", "video"), ("audio/ogg", "audio"), ("application/pdf", "file")]
)
def test_given_other_media_when_parsed_then_the_kind_follows_the_content_type(content_type: str, kind: str) -> None:
    assert parse_one(sms_form(MediaUrl0=MEDIA_URL, MediaContentType0=content_type)).kind == kind


def test_given_a_whatsapp_location_when_parsed_then_coordinates_and_address_are_kept() -> None:
    form = whatsapp_form(
        Body="", MessageType="location", Latitude="-7.8166", Longitude="112.0112", Address="Jl. Semeru"
    )

    message = parse_one(form)

    assert (message.kind, message.latitude, message.longitude, message.address) == (
        "location",
        -7.8166,
        112.0112,
        "Jl. Semeru",
    )


@pytest.mark.parametrize(
    "form",
    [
        sms_form(Body="   "),
        sms_form(SmsStatus="delivered", MessageStatus="delivered"),
        sms_form(From="messenger:1234567890"),
        sms_form(Latitude="95", Longitude="0", Body=""),
    ],
)
def test_given_forms_without_a_citizen_message_when_parsed_then_they_are_counted_as_ignored(
    form: dict[str, str],
) -> None:
    assert twilio.parse(encode(form), SETTINGS, now=NOW) == ParsedDelivery(ignored=1)


def test_given_an_alphanumeric_sms_sender_when_parsed_then_it_has_no_phone() -> None:
    message = parse_one(sms_form(From="PEMKOT"))

    assert (message.sender_id, message.phone, message.reply_to) == ("PEMKOT", None, "PEMKOT")


def test_given_no_now_when_parsed_then_the_current_time_is_used() -> None:
    before = datetime.now(UTC)

    message = twilio.parse(encode(sms_form()), SETTINGS).messages[0]

    assert before <= message.received_at <= datetime.now(UTC)


@pytest.mark.parametrize("raw", [b"\xff\xfe", b"Body=hi", b"", b"MessageSid=SM%2F..%2F&From=%2B1"])
def test_given_a_body_outside_the_contract_when_parsed_then_it_is_malformed(raw: bytes) -> None:
    with pytest.raises(MalformedPayload):
        twilio.parse(raw, SETTINGS, now=NOW)


# -- TwiML -----------------------------------------------------------------------------------------------------------


def test_given_no_reply_when_answered_then_the_twiml_is_an_empty_response() -> None:
    assert twilio.twiml(None) == b'<?xml version="1.0" encoding="UTF-8"?><Response/>'


def test_given_a_reply_with_markup_when_answered_then_it_is_escaped() -> None:
    answer = twilio.twiml('Nomor <KDR-0001> & status: "baru"')

    assert answer == (
        b'<?xml version="1.0" encoding="UTF-8"?><Response><Message>'
        b'Nomor &lt;KDR-0001&gt; &amp; status: "baru"</Message></Response>'
    )
    assert ElementTree.fromstring(answer).find("Message").text == 'Nomor <KDR-0001> & status: "baru"'  # type: ignore[union-attr]


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=200))
def test_fuzz_any_reply_text_gives_well_formed_twiml(text: str) -> None:
    ElementTree.fromstring(twilio.twiml(text))


# -- outbound --------------------------------------------------------------------------------------------------------


def test_given_an_sms_reply_when_built_then_it_is_the_messages_resource_create() -> None:
    request = twilio.build_send("+6281234567890", "Laporan KDR-0001 diterima", SETTINGS)

    assert request.method == "POST"
    assert request.url == f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    expected_auth = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    assert request.headers == {"Authorization": expected_auth, "Content-Type": "application/x-www-form-urlencoded"}
    assert parse_qs(request.body.decode()) == {
        "To": ["+6281234567890"],
        "From": ["+15005550006"],
        "Body": ["Laporan KDR-0001 diterima"],
    }


@pytest.mark.parametrize("to", ["+6281234567890", "6281234567890", "whatsapp:+6281234567890"])
def test_given_a_whatsapp_reply_when_built_then_both_addresses_carry_the_whatsapp_prefix(to: str) -> None:
    form = parse_qs(twilio.build_send(to, "Halo 👋", SETTINGS, whatsapp=True).body.decode())

    assert form == {"To": ["whatsapp:+6281234567890"], "From": ["whatsapp:+14155238886"], "Body": ["Halo 👋"]}


def test_given_a_reply_longer_than_the_limit_when_built_then_it_is_cut_to_1600_characters() -> None:
    form = parse_qs(twilio.build_send("+6281234567890", "x" * 2000, SETTINGS).body.decode())

    assert len(form["Body"][0]) == 1600


def twilio_error(code: int, status: int) -> bytes:
    return json.dumps(
        {"code": code, "message": "error", "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}
    ).encode()


@pytest.mark.parametrize(
    ("status", "answer", "expected"),
    [
        (201, b'{"sid":"SM1","status":"queued"}', SENT),
        (429, twilio_error(20429, 429), RETRY),
        (500, b"", RETRY),
        (503, twilio_error(20503, 503), RETRY),
        (400, twilio_error(63016, 400), PERMANENT),
        (400, twilio_error(21211, 400), PERMANENT),
        (401, twilio_error(20003, 401), PERMANENT),
        (404, b"not json", PERMANENT),
    ],
)
def test_given_a_twilio_answer_when_classified_then_it_is_sent_retry_or_permanent(
    status: int, answer: bytes, expected: str
) -> None:
    assert twilio.classify(status, answer) == expected


def test_given_the_outside_window_error_when_checked_then_a_template_is_needed() -> None:
    assert twilio.needs_template(400, twilio_error(63016, 400)) is True
    assert twilio.needs_template(400, twilio_error(21211, 400)) is False


def test_given_a_media_url_on_twilios_host_when_requested_then_it_is_fetched_with_basic_auth() -> None:
    request = twilio.media_request(MEDIA_URL, SETTINGS)

    assert request is not None
    assert (request.method, request.url) == ("GET", MEDIA_URL)
    assert request.headers["Authorization"].startswith("Basic ")


@pytest.mark.parametrize(
    "url", ["https://evil.example.com/x", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json", ""]
)
def test_given_any_other_url_when_media_is_requested_then_nothing_is_fetched(url: str) -> None:
    assert twilio.media_request(url, SETTINGS) is None


def test_given_the_redirect_to_twilios_cdn_when_followed_then_no_credentials_are_sent() -> None:
    location = "https://mms.twiliocdn.com/AC0123/abcdef?Expires=1&Signature=x"

    request = twilio.media_redirect_request(location, SETTINGS)

    assert request is not None
    assert (request.url, request.headers) == (location, {})
    assert twilio.media_redirect_request("https://evil.example.com/x", SETTINGS) is None
    assert twilio.media_redirect_request("http://mms.twiliocdn.com/x", SETTINGS) is None


def test_given_a_fake_provider_on_loopback_when_media_is_parsed_then_its_host_is_accepted() -> None:
    local = ChannelSettings(twilio_account_sid="AC1", twilio_auth_token="t", twilio_media_host="127.0.0.1:9300")
    url = "http://127.0.0.1:9300/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"

    assert twilio.parse(encode(sms_form(MediaUrl0=url)), local, now=NOW).messages[0].media_id == url
    assert twilio.media_request(url, local) is not None


# -- fuzz ------------------------------------------------------------------------------------------------------------

FIELDS = [
    "MessageSid",
    "SmsMessageSid",
    "From",
    "To",
    "Body",
    "NumMedia",
    "MediaUrl0",
    "MediaContentType0",
    "ProfileName",
    "WaId",
    "Latitude",
    "Longitude",
    "Address",
    "Label",
    "SmsStatus",
    "MessageStatus",
]


def assert_contract(raw: bytes) -> None:
    try:
        delivery = twilio.parse(raw, SETTINGS, now=NOW)
    except MalformedPayload:
        return
    assert isinstance(delivery, ParsedDelivery)
    for message in delivery.messages:
        assert message.event_key.startswith("tw:") and message.sender_id
        assert message.channel in ("sms", "whatsapp")
        assert message.text is None or len(message.text) <= 4000


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_any_bytes_give_a_delivery_or_malformed(raw: bytes) -> None:
    assert_contract(raw)


@settings(max_examples=1000, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), st.text(max_size=40), max_size=12))
def test_fuzz_any_form_gives_a_delivery_or_malformed(form: dict[str, str]) -> None:
    assert_contract(urlencode(form).encode())


@settings(max_examples=1000, deadline=None)
@given(
    st.sampled_from([sms_form(MediaUrl0=MEDIA_URL), whatsapp_form(Latitude="1", Longitude="2")]),
    st.dictionaries(st.sampled_from(FIELDS), st.text(max_size=60), max_size=6),
)
def test_fuzz_mutated_valid_forms_give_a_delivery_or_malformed(base: dict[str, str], changes: dict[str, str]) -> None:
    assert_contract(urlencode(base | changes).encode())


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=6))
def test_fuzz_any_form_signed_by_twilios_validator_verifies(form: dict[str, str]) -> None:
    headers = {"x-twilio-signature": RequestValidator(TOKEN).compute_signature(PUBLIC_URL, form)}

    assert twilio.verify(urlencode(form).encode(), headers, SETTINGS) is True
