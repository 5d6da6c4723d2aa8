"""The public complaint form: ``POST /api/complaints`` as JSON or as ``multipart/form-data`` with a photo.

Fields (the same names in JSON and in the form): ``idempotency_key`` (required, generated into the form, so a
double submit or a retried request is one complaint), ``description`` (required), ``title``, ``photo`` (form
only), ``address`` (where, in words), ``latitude``/``longitude``, ``name``, ``phone``, ``email``,
``anonymous``, ``confidential``, and the honeypot ``website`` that people never see and bots fill in.

Nothing proves that the ``phone`` or ``email`` typed here belongs to the one typing it: it is contact
information for this complaint's updates only, never an identity that reaches other cases
(`chalicelib.domain.replies_rules.sender_is_proven` is False for this channel).

Pure and stdlib only: multipart is parsed with `email.parser.BytesParser` behind a synthetic header (the `cgi`
module is deprecated and gone in 3.13). A body that is not JSON or multipart at all raises `MalformedPayload`
(HTTP 400); a readable body with bad fields raises `ValidationFailed` with an Indonesian message for the
citizen and the field it concerns, which the form shows next to that field.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.channels.base import (
    PERMANENT,
    MalformedPayload,
    Outcome,
    ParsedDelivery,
    Route,
    classify_status,
    no_alerts,
    no_media,
    no_redirect,
    not_a_webhook,
    sniff_content_type,
)
from chalicelib.domain.errors import TooLarge, ValidationFailed
from chalicelib.domain.messages import InboundMessage, OutboundMessage
from chalicelib.settings import ChannelSettings

if TYPE_CHECKING:
    from chalicelib.domain.case import Case

CHANNEL = "web"
PREFIX = "web:"
MAX_PHOTO_BYTES = 5_000_000
# The e-mail parser works line by line (~1.5 µs a line): 10 MB of bare newlines would cost seconds of Lambda
# time. A real photo has about one break in 128 bytes (~80k in the largest body API Gateway passes).
MAX_LINE_BREAKS = 200_000
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
# Indonesia's bounding box, generous at the edges (Sabang to Merauke, Miangas to Rote).
LATITUDE_RANGE = (-11.0, 6.0)
LONGITUDE_RANGE = (95.0, 141.0)

_KEY_RE = re.compile(r"[A-Za-z0-9_-]{8,100}")
_EMAIL_RE = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z0-9]"
)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TRUE = frozenset({"1", "true", "on", "yes", "ya"})
_FALSE = frozenset({"", "0", "false", "off", "no", "tidak"})
_TEXT_LIMITS = {"title": 200, "name": 200, "address": 500, "phone": 40, "email": 254}


class SpamSuspected(ValidationFailed):
    """The honeypot field was filled in: a bot, most likely. The caller may answer as if it had succeeded."""

    code = "spam_suspected"


@dataclass(frozen=True)
class Photo:
    data: bytes
    content_type: str  # detected from the bytes: image/jpeg, image/png or image/webp


@dataclass(frozen=True)
class WebSubmission:
    message: InboundMessage
    photo: Photo | None = None
    csrf_token: str | None = None  # the form's hidden field; checked against the cookie by the caller


def parse_submission(raw_body: bytes, content_type: str, now: datetime) -> WebSubmission:
    """Validate one form submission and normalise it; ``now`` (aware) becomes its ``received_at``."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    fields, photo_part = _read_body(raw_body, content_type)
    return _validate(fields, photo_part, now.astimezone(UTC))


def form_values(raw_body: bytes, content_type: str) -> dict[str, str]:
    """The text fields of a submission as typed (to refill the form after an error); {} if unreadable."""
    try:
        fields, _ = _read_body(raw_body, content_type)
    except MalformedPayload:
        return {}
    return {k: v for k, v in fields.items() if isinstance(k, str) and isinstance(v, str) and k != "csrf_token"}


# --- reading the body ---------------------------------------------------------------------------------------


def _read_body(raw_body: bytes, content_type: str) -> tuple[dict[str, object], tuple[str | None, bytes] | None]:
    if not isinstance(raw_body, bytes | bytearray) or not isinstance(content_type, str):
        raise MalformedPayload("body must be bytes and content type a string")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json":
        return _read_json(bytes(raw_body)), None
    if media_type == "multipart/form-data":
        return _read_multipart(bytes(raw_body), content_type)
    raise MalformedPayload("expected application/json or multipart/form-data")


def _read_json(raw_body: bytes) -> dict[str, object]:
    try:
        document = json.loads(raw_body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise MalformedPayload("body is not valid JSON") from error
    if not isinstance(document, dict):
        raise MalformedPayload("JSON body must be an object")
    return document


def _read_multipart(raw_body: bytes, content_type: str) -> tuple[dict[str, object], tuple[str | None, bytes] | None]:
    """Form fields as strings (the first of each name) and the photo part as (declared type, bytes)."""
    if _CONTROL_RE.search(content_type) or "\n" in content_type or "\r" in content_type:
        raise MalformedPayload("bad content type")  # it goes into a synthetic header: no header injection
    try:
        return _parse_parts(raw_body, content_type)
    except MalformedPayload:
        raise
    except Exception as error:  # the e-mail package raises many kinds of errors on hostile input
        raise MalformedPayload("unreadable multipart body") from error


def _parse_parts(raw_body: bytes, content_type: str) -> tuple[dict[str, object], tuple[str | None, bytes] | None]:
    from email import errors, policy
    from email.parser import BytesParser

    if raw_body.count(b"\n") + raw_body.count(b"\r") > MAX_LINE_BREAKS:
        raise MalformedPayload("too many line breaks for a form")

    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=policy.HTTP).parsebytes(header + raw_body)
    if not message.is_multipart() or not message.get_boundary():
        raise MalformedPayload("multipart body without a usable boundary")
    fatal = (
        errors.StartBoundaryNotFoundDefect,
        errors.CloseBoundaryNotFoundDefect,
        errors.MultipartInvariantViolationDefect,
        errors.NoBoundaryInMultipartDefect,
    )
    if any(isinstance(defect, fatal) for defect in message.defects):
        raise MalformedPayload("truncated or malformed multipart body")  # e.g. an upload cut short
    fields: dict[str, object] = {}
    photo: tuple[str | None, bytes] | None = None
    for part in message.iter_parts():
        if part.get_content_disposition() != "form-data":
            raise MalformedPayload("multipart part without form-data disposition")
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise MalformedPayload("form-data part without a name")
        payload = part.get_payload(decode=True)
        payload = payload if isinstance(payload, bytes) else b""
        if name == "photo":
            if photo is None and payload:  # browsers send an empty part when no file was chosen
                photo = (part.get_content_type(), payload)
            continue
        if name in fields:
            continue
        try:
            fields[name] = payload.decode("utf-8")
        except UnicodeDecodeError as error:
            raise MalformedPayload(f"form field {name!r} is not UTF-8") from error
    return fields, photo


# --- validating the fields ----------------------------------------------------------------------------------


def _validate(
    fields: Mapping[str, object], photo_part: tuple[str | None, bytes] | None, now: datetime
) -> WebSubmission:
    honeypot = fields.get("website")
    if honeypot not in (None, "") and not (isinstance(honeypot, str) and not honeypot.strip()):
        raise SpamSuspected("Laporan tidak dapat diterima.", field="website")
    key = fields.get("idempotency_key")
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
        raise ValidationFailed(
            "Formulir kedaluwarsa atau rusak. Muat ulang halaman lalu kirim lagi.", field="idempotency_key"
        )
    description = _text(fields, "description", multiline=True)
    if description is None or len(description) < 10:
        raise ValidationFailed("Isi laporan wajib diisi, minimal 10 karakter.", field="description")
    if len(description) > 4000:
        raise ValidationFailed("Isi laporan terlalu panjang (maksimal 4000 karakter).", field="description")
    title = _text(fields, "title")
    name = _text(fields, "name")
    address = _text(fields, "address")
    phone = _phone(_text(fields, "phone"))
    email = _email(_text(fields, "email"))
    latitude, longitude = _coordinates(fields)
    anonymous = _flag(fields, "anonymous")
    confidential = _flag(fields, "confidential")
    photo = _photo(photo_part)
    message = InboundMessage(
        channel=CHANNEL,
        event_key=PREFIX + key,
        sender_id=phone or (email.lower() if email else None) or f"web:anonim:{key}",
        received_at=now,
        kind="image" if photo else "text",
        text=description,
        sender_name=name,
        phone=phone,
        email=email,
        media_type=photo.content_type if photo else None,
        latitude=latitude,
        longitude=longitude,
        address=address,
        subject=title,
        anonymous=anonymous,
        confidential=confidential,
    )
    csrf = fields.get("csrf_token")
    return WebSubmission(message=message, photo=photo, csrf_token=csrf if isinstance(csrf, str) else None)


_LABELS = {
    "title": "Judul",
    "name": "Nama",
    "address": "Lokasi",
    "phone": "Nomor HP",
    "email": "Email",
    "description": "Isi laporan",
}


def _text(fields: Mapping[str, object], name: str, *, multiline: bool = False) -> str | None:
    """A stripped text field without control characters (None when empty); too long → `ValidationFailed`."""
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationFailed(f"{_LABELS[name]} harus berupa teks.", field=name)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL_RE.sub("", value) if multiline else " ".join(_CONTROL_RE.sub(" ", value).split())
    value = value.strip()
    limit = _TEXT_LIMITS.get(name)
    if limit is not None and len(value) > limit:
        raise ValidationFailed(f"{_LABELS[name]} terlalu panjang (maksimal {limit} karakter).", field=name)
    return value or None


def _phone(value: str | None) -> str | None:
    if value is None:
        return None
    from chalicelib.domain.phone import normalize_phone

    try:
        return normalize_phone(value)
    except ValidationFailed:
        raise ValidationFailed("Nomor HP/WhatsApp tidak valid. Contoh: 0812 3456 7890.", field="phone") from None


def _email(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) > 254 or not _EMAIL_RE.fullmatch(value):
        raise ValidationFailed("Alamat email tidak valid. Contoh: nama@contoh.id.", field="email")
    return value


def _flag(fields: Mapping[str, object], name: str) -> bool:
    value = fields.get(name)
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValidationFailed("Pilihan tidak valid.", field=name)


def _coordinates(fields: Mapping[str, object]) -> tuple[float | None, float | None]:
    latitude = _number(fields, "latitude")
    longitude = _number(fields, "longitude")
    if (latitude is None) != (longitude is None):
        missing = "longitude" if longitude is None else "latitude"
        raise ValidationFailed("Lokasi peta tidak lengkap: lintang dan bujur harus diisi keduanya.", field=missing)
    if latitude is None or longitude is None:
        return None, None
    if not LATITUDE_RANGE[0] <= latitude <= LATITUDE_RANGE[1]:
        raise ValidationFailed("Lokasi berada di luar wilayah Indonesia.", field="latitude")
    if not LONGITUDE_RANGE[0] <= longitude <= LONGITUDE_RANGE[1]:
        raise ValidationFailed("Lokasi berada di luar wilayah Indonesia.", field="longitude")
    return latitude, longitude


def _number(fields: Mapping[str, object], name: str) -> float | None:
    value = fields.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | str)
        or (isinstance(value, str) and len(value) > 40)
    ):
        raise ValidationFailed("Koordinat lokasi tidak valid.", field=name)
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise ValidationFailed("Koordinat lokasi tidak valid.", field=name) from None
    if not math.isfinite(number):
        raise ValidationFailed("Koordinat lokasi tidak valid.", field=name)
    return number


def _photo(part: tuple[str | None, bytes] | None) -> Photo | None:
    if part is None:
        return None
    _declared, data = part
    if len(data) > MAX_PHOTO_BYTES:
        raise TooLarge("Foto terlalu besar (maksimal 5 MB).", field="photo")
    detected = sniff_content_type(data)
    if detected not in PHOTO_TYPES:  # whatever the browser declared: only the bytes count
        raise ValidationFailed("Foto harus berupa gambar JPEG, PNG, atau WebP.", field="photo")
    return Photo(data=data, content_type=detected)


# --- the provider interface (base.Provider): the form is inbound only ---------------------------------------

verify = not_a_webhook  # the form posts to /api/complaints (handlers/public.py), never to a webhook
media_download = no_media  # the photo is stored with the submission ("store:" keys)
media_redirect = no_redirect
alert_route = no_alerts
classify = classify_status


def parse(raw_body: bytes, settings: ChannelSettings, *, now: datetime | None = None) -> ParsedDelivery:
    """A form submission needs its content type and CSRF check: it is read by `parse_submission`."""
    raise MalformedPayload("the web form is read by parse_submission, not as a webhook")


def build_send(recipient: str, text: str, settings: ChannelSettings, **options: Any) -> Any:
    raise ValueError("the web form has no outbound channel")


def send(message: OutboundMessage, settings: ChannelSettings) -> Outcome:
    """Nothing goes out on the form: the citizen is reached by SMS or e-mail (`citizen_route` is None)."""
    return Outcome(PERMANENT, f"no outbound route for channel {CHANNEL}")


def reply_route(message: InboundMessage) -> Route | None:
    """The page itself shows the tracking number."""
    return None


def citizen_route(case: Case) -> Route | None:
    return None
