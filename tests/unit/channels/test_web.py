"""The public complaint form: JSON and multipart submissions, validation in Bahasa Indonesia, photos by bytes.

Multipart bodies are built the way browsers send them (RFC 7578, "Returning Values from Forms:
multipart/form-data", https://www.rfc-editor.org/rfc/rfc7578): CRLF line ends, one part per field, an empty
file part when no photo was chosen.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.channels import web
from chalicelib.channels.base import MalformedPayload
from chalicelib.domain.errors import TooLarge, ValidationFailed

NOW = datetime(2026, 11, 3, 2, 15, tzinfo=UTC)
KEY = "f3b2c1d0-aa11-4b5c-9d8e-7f6a5b4c3d2e"
DESCRIPTION = "Lampu penerangan jalan di Jl. Dhoho mati sejak tiga hari."
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(range(256)) * 4 + b"\xff\xd9"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489") + b"\r\n\n\r" * 8
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 24
BOUNDARY = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def form(fields: dict[str, str], photo: tuple[str, str, bytes] | None = None, *, empty_file: bool = False) -> bytes:
    """A browser's multipart body; ``photo`` is (filename, declared type, bytes)."""
    out = b""
    for name, value in fields.items():
        out += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value.encode() + b"\r\n"
        )
    if photo is not None or empty_file:
        filename, declared, data = photo or ("", "application/octet-stream", b"")
        out += (
            (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photo"; filename="{filename}"\r\n'
                f"Content-Type: {declared}\r\n\r\n"
            ).encode()
            + data
            + b"\r\n"
        )
    return out + f"--{BOUNDARY}--\r\n".encode()


def fields(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"idempotency_key": KEY, "description": DESCRIPTION, "website": ""}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def submit_json(**overrides: Any) -> web.WebSubmission:
    return web.parse_submission(json.dumps(fields(**overrides)).encode(), "application/json", NOW)


def submit_form(photo: tuple[str, str, bytes] | None = None, **overrides: Any) -> web.WebSubmission:
    return web.parse_submission(form(fields(**overrides), photo), MULTIPART, NOW)


def failure(**overrides: Any) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        submit_json(**overrides)
    return caught.value


# -- JSON ---------------------------------------------------------------------------------------------------


def test_given_a_complete_json_submission_when_parsed_then_every_field_is_normalised() -> None:
    submission = submit_json(
        title="  Lampu jalan mati ",
        name="Siti Aminah",
        phone="0812-3456-7890",
        email="Siti@Example.co.id",
        address="Jl. Dhoho, depan toko buku",
        latitude=-7.8166,
        longitude="112.0114",
        anonymous=True,
        confidential="on",
    )

    message = submission.message
    assert submission.photo is None
    assert message.channel == "web"
    assert message.event_key == "web:" + KEY
    assert message.received_at == NOW
    assert message.kind == "text"
    assert message.text == DESCRIPTION
    assert message.subject == "Lampu jalan mati"
    assert message.sender_name == "Siti Aminah"
    assert message.phone == "+6281234567890"
    assert message.email == "Siti@Example.co.id"
    assert message.sender_id == "+6281234567890"
    assert (message.latitude, message.longitude) == (-7.8166, 112.0114)
    assert message.address == "Jl. Dhoho, depan toko buku"
    assert message.anonymous is True
    assert message.confidential is True


def test_given_only_an_email_when_parsed_then_the_sender_is_the_lowercased_email() -> None:
    assert submit_json(email="Siti@Example.co.id").message.sender_id == "siti@example.co.id"


def test_given_no_contact_when_parsed_then_the_sender_is_an_anonymous_web_id() -> None:
    message = submit_json().message

    assert message.sender_id == f"web:anonim:{KEY}"
    assert (message.phone, message.email, message.sender_name) == (None, None, None)
    assert (message.anonymous, message.confidential) == (False, False)


def test_given_a_multiline_description_when_parsed_then_line_breaks_stay_and_control_characters_go() -> None:
    text = "  Baris pertama\r\nBaris kedua\x00\x07 selesai.  "

    assert submit_json(description=text).message.text == "Baris pertama\nBaris kedua selesai."


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"idempotency_key": None}, "idempotency_key"),
        ({"idempotency_key": "short"}, "idempotency_key"),
        ({"idempotency_key": "a" * 101}, "idempotency_key"),
        ({"idempotency_key": "has space 123"}, "idempotency_key"),
        ({"idempotency_key": 12345678}, "idempotency_key"),
        ({"description": None}, "description"),
        ({"description": "   pendek   "}, "description"),
        ({"description": "x" * 4001}, "description"),
        ({"description": ["list"]}, "description"),
        ({"title": "t" * 201}, "title"),
        ({"name": "n" * 201}, "name"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "bukan nomor"}, "phone"),
        ({"email": "siti@"}, "email"),
        ({"email": "siti example.id"}, "email"),
        ({"email": "<siti@example.id>"}, "email"),
        ({"latitude": -7.8}, "longitude"),
        ({"longitude": 112.0}, "latitude"),
        ({"latitude": 48.85, "longitude": 2.35}, "latitude"),
        ({"latitude": -7.8, "longitude": 150.0}, "longitude"),
        ({"latitude": "utara", "longitude": "112"}, "latitude"),
        ({"latitude": "NaN", "longitude": "112"}, "latitude"),
        ({"latitude": True, "longitude": 112}, "latitude"),
        ({"anonymous": "mungkin"}, "anonymous"),
        ({"confidential": 2}, "confidential"),
    ],
)
def test_given_an_invalid_field_when_parsed_then_validation_fails_on_that_field(overrides, field) -> None:
    error = failure(**overrides)

    assert error.details["field"] == field
    assert error.message  # Bahasa Indonesia, for the citizen
    assert not isinstance(error, web.SpamSuspected)


def test_given_a_description_at_the_limits_when_parsed_then_it_is_accepted() -> None:
    assert submit_json(description="x" * 10).message.text == "x" * 10
    assert len(submit_json(description="x" * 4000).message.text) == 4000


def test_given_empty_coordinates_when_parsed_then_there_is_no_location() -> None:
    message = submit_json(latitude="", longitude=" ").message

    assert (message.latitude, message.longitude) == (None, None)


@pytest.mark.parametrize("website", ["http://spam.example", " x ", 1])
def test_given_a_filled_honeypot_when_parsed_then_spam_is_suspected(website) -> None:
    with pytest.raises(web.SpamSuspected) as caught:
        submit_json(website=website)

    assert isinstance(caught.value, ValidationFailed)
    assert caught.value.details["field"] == "website"


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b'"text"', b"\xff\xfe{}", b"{" * 100_000])
def test_given_a_body_that_is_not_a_json_object_when_parsed_then_it_is_malformed(body) -> None:
    with pytest.raises(MalformedPayload):
        web.parse_submission(body, "application/json; charset=utf-8", NOW)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_given_an_unsupported_content_type_when_parsed_then_it_is_malformed(content_type) -> None:
    with pytest.raises(MalformedPayload):
        web.parse_submission(json.dumps(fields()).encode(), content_type, NOW)


# -- multipart ----------------------------------------------------------------------------------------------


def test_given_a_form_with_a_jpeg_when_parsed_then_the_photo_bytes_are_kept_exactly() -> None:
    submission = submit_form(("IMG_2041.JPG", "image/jpeg", JPEG), anonymous="on", phone="+62 812 3456 7890")

    assert submission.photo == web.Photo(data=JPEG, content_type="image/jpeg")
    assert submission.message.kind == "image"
    assert submission.message.media_type == "image/jpeg"
    assert submission.message.anonymous is True
    assert submission.message.phone == "+6281234567890"


@pytest.mark.parametrize(("data", "detected"), [(PNG, "image/png"), (WEBP, "image/webp"), (JPEG, "image/jpeg")])
def test_given_a_photo_declared_wrongly_when_parsed_then_its_type_comes_from_the_bytes(data, detected) -> None:
    submission = submit_form(("foto", "application/octet-stream", data))

    assert submission.photo is not None
    assert submission.photo.content_type == detected
    assert submission.photo.data == data


@pytest.mark.parametrize(
    "photo",
    [
        ("foto.jpg", "image/jpeg", b"<?php system($_GET['c']); ?>"),
        ("foto.png", "image/png", b"GIF89a\x01\x00\x01\x00"),
        ("scan.pdf", "application/pdf", b"%PDF-1.7\n"),
    ],
)
def test_given_a_photo_whose_bytes_are_not_an_image_when_parsed_then_validation_fails(photo) -> None:
    with pytest.raises(ValidationFailed) as caught:
        submit_form(photo)

    assert caught.value.details["field"] == "photo"


def test_given_a_photo_over_5_mb_when_parsed_then_it_is_too_large() -> None:
    with pytest.raises(TooLarge) as caught:
        submit_form(("besar.jpg", "image/jpeg", JPEG[:4] + b"\x00" * 5_000_001))

    assert caught.value.details["field"] == "photo"


def test_given_no_file_chosen_when_parsed_then_there_is_no_photo() -> None:
    body = form(fields(), empty_file=True)

    submission = web.parse_submission(body, MULTIPART, NOW)

    assert submission.photo is None
    assert submission.message.kind == "text"


def test_given_form_checkboxes_when_parsed_then_present_means_true_and_absent_means_false() -> None:
    assert submit_form(anonymous="1", confidential="true").message.confidential is True
    message = submit_form().message
    assert (message.anonymous, message.confidential) == (False, False)


def test_given_a_validation_error_in_a_form_when_parsed_then_it_names_the_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        submit_form(email="bukan-email")

    assert caught.value.details["field"] == "email"


def test_given_a_filled_honeypot_in_a_form_when_parsed_then_spam_is_suspected() -> None:
    with pytest.raises(web.SpamSuspected):
        submit_form(website="https://casino.example")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", MULTIPART),
        (b"not multipart at all", MULTIPART),
        (form(fields())[:-30], MULTIPART),  # cut short: no closing boundary
        (form(fields()), "multipart/form-data"),  # no boundary parameter
        (form(fields()), "multipart/form-data; boundary=other"),
        (form(fields()).replace(b"form-data; ", b"attachment; "), MULTIPART),
        (form(fields()).replace(b"description", "deskripsi\u00e9".encode()).replace(b"Dhoho", b"\xff\xfe"), MULTIPART),
        (form(fields()), MULTIPART + "\r\nX-Injected: 1"),
    ],
)
def test_given_a_broken_multipart_body_when_parsed_then_it_is_malformed(body, content_type) -> None:
    with pytest.raises(MalformedPayload):
        web.parse_submission(body, content_type, NOW)


def test_given_a_received_time_in_another_zone_when_parsed_then_it_is_utc() -> None:
    wib = timezone(timedelta(hours=7))
    submission = web.parse_submission(
        json.dumps(fields()).encode(), "application/json", datetime(2026, 11, 3, 9, 15, tzinfo=wib)
    )

    assert submission.message.received_at == NOW
    assert submission.message.received_at.tzinfo is UTC


# -- fuzz ---------------------------------------------------------------------------------------------------


def _submission_or_refusal(body: bytes, content_type: str) -> None:
    try:
        submission = web.parse_submission(body, content_type, NOW)
    except (MalformedPayload, ValidationFailed):
        return
    assert submission.message.event_key.startswith("web:")
    assert 10 <= len(submission.message.text or "") <= 4000
    assert submission.photo is None or submission.photo.content_type in web.PHOTO_TYPES


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from(["application/json", MULTIPART, "multipart/form-data; boundary=B"]))
def test_given_arbitrary_bytes_when_parsed_then_a_submission_or_a_refusal(body: bytes, content_type: str) -> None:
    _submission_or_refusal(body, content_type)


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=30),
    st.sampled_from([KEY, DESCRIPTION, "on", "1", "-7.8", "112.01", "0812 3456 7890", "a@b.id", "", "NaN", "1e999"]),
)
JSON_FIELDS = st.dictionaries(
    st.sampled_from(
        [
            "idempotency_key",
            "description",
            "title",
            "name",
            "phone",
            "email",
            "address",
            "latitude",
            "longitude",
            "anonymous",
            "confidential",
            "website",
            "photo",
            "other",
        ]
    ),
    st.one_of(VALUES, st.lists(VALUES, max_size=3), st.dictionaries(st.text(max_size=5), VALUES, max_size=3)),
)


@settings(max_examples=1000, deadline=None)
@given(JSON_FIELDS)
def test_given_plausible_json_fields_when_parsed_then_a_submission_or_a_refusal(document) -> None:
    _submission_or_refusal(json.dumps(document).encode(), "application/json")


PART_PIECES = st.sampled_from(
    [
        f"--{BOUNDARY}".encode(),
        f"--{BOUNDARY}--".encode(),
        b'Content-Disposition: form-data; name="description"',
        b'Content-Disposition: form-data; name="idempotency_key"',
        b'Content-Disposition: form-data; name="photo"; filename="a.jpg"',
        b'Content-Disposition: form-data; name="latitude"',
        b"Content-Disposition: form-data",
        b"Content-Disposition: attachment; filename*=utf-8''%E2%80%AE",
        b"Content-Type: image/jpeg",
        b"Content-Type: multipart/mixed; boundary=inner",
        b"Content-Transfer-Encoding: base64",
        b"",
        KEY.encode(),
        DESCRIPTION.encode(),
        JPEG[:40],
        b"-7.8",
        b"\xff\xfe",
        b"--inner",
    ]
)


@settings(max_examples=1000, deadline=None)
@given(st.lists(PART_PIECES, max_size=30))
def test_given_plausible_multipart_pieces_when_parsed_then_a_submission_or_a_refusal(pieces) -> None:
    _submission_or_refusal(b"\r\n".join(pieces), MULTIPART)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_given_a_valid_form_with_one_byte_changed_when_parsed_then_a_submission_or_a_refusal(data) -> None:
    body = bytearray(form(fields(anonymous="on", latitude="-7.8", longitude="112.0"), ("a.jpg", "image/jpeg", JPEG)))
    for _ in range(data.draw(st.integers(1, 4))):
        body[data.draw(st.integers(0, len(body) - 1))] = data.draw(st.integers(0, 255))
    _submission_or_refusal(bytes(body), MULTIPART)


def test_given_a_body_of_bare_line_breaks_when_parsed_then_it_is_refused_before_parsing() -> None:
    body = form(fields(), ("a.jpg", "image/jpeg", JPEG[:4] + b"\n" * (web.MAX_LINE_BREAKS + 1)))

    with pytest.raises(MalformedPayload):
        web.parse_submission(body, MULTIPART, NOW)
