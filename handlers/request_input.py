"""A request's input, read safely for every view: JSON bodies and text fields with limits, query parameters,
cookies, the bearer token and the officer it authenticates, signed cursors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
from typing import TYPE_CHECKING

from chalicelib.domain.errors import TooLarge, ValidationFailed

if TYPE_CHECKING:
    from chalicelib.domain.case import Actor
    from chalicelib.services.context import Context

MAX_JSON_BYTES = 64 * 1024
MAX_JSON_DEPTH = 16  # our bodies nest two levels; deeper is never a real client
MAX_QUERY_DIGITS = 6
_SURROGATE = re.compile("[\ud800-\udfff]")  # JSON may escape them ("\\ud800"); no UTF-8 text holds one


def json_body(request) -> dict:
    """The JSON object of the request (empty body: {}), or a 400/413 for anything else.

    Refused here, once for every JSON view: bodies over 64 KB, invalid JSON or UTF-8, NaN/Infinity,
    numbers too large for a float, nesting deeper than MAX_JSON_DEPTH (5,000 levels would otherwise exhaust
    the stack) and lone surrogates in any key or text, which would fail later when hashed, stored or sent.
    """
    raw = request.raw_body or b""
    if len(raw) > MAX_JSON_BYTES:
        raise TooLarge(f"Permintaan terlalu besar (maksimal {MAX_JSON_BYTES // 1024} KB).")
    if not raw:
        return {}
    try:
        body = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise ValidationFailed("Badan permintaan bukan JSON yang sah.") from None
    if not isinstance(body, dict):
        raise ValidationFailed("Badan permintaan harus berupa objek JSON.")
    check_json_text(body)
    return body


def check_json_text(value: object) -> None:
    """Refuse a decoded JSON value nested too deep or holding a lone surrogate (walked without recursion)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ValidationFailed(f"Badan permintaan bersarang terlalu dalam (maksimal {MAX_JSON_DEPTH} tingkat).")
        if isinstance(item, str):
            check_text(item)
        elif isinstance(item, dict):
            for key, child in item.items():
                check_text(key)
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


def check_text(value: str, field: str | None = None) -> str:
    """`value` unchanged, or a 400 when it holds a lone surrogate (not text any encoder accepts)."""
    if _SURROGATE.search(value):
        details = {"field": field} if field else {}
        raise ValidationFailed("Teks memuat karakter yang tidak sah.", **details)
    return value


def _refuse_constant(name: str) -> float:
    raise ValueError(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e999999: no field of ours is a number that large
        raise ValueError(text)
    return value


def officer_call(blueprint, *, password_change_only: bool = False) -> tuple[Context, dict, Actor]:
    """For an officer view: the context, the query parameters and the authenticated actor (or 401; 403 while
    the officer is on a one-time password, except for the routes that replace it)."""
    from chalicelib.services.context import get_context

    ctx = get_context()
    request = blueprint.current_request
    return ctx, query_params(request), current_actor(ctx, request, password_change_only=password_change_only)


def query_params(request) -> dict[str, str]:
    """The query parameters, each checked to be text (a lone surrogate is a 400 naming the parameter)."""
    return {name: check_text(value, name) for name, value in (request.query_params or {}).items()}


def cookie(request, name: str) -> str | None:
    """The value of cookie `name` in the request, or None. Our cookies are ASCII tokens: any other value is
    treated as absent (it could never verify, and constant-time comparison refuses non-ASCII text)."""
    for part in (request.headers.get("cookie") or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value if value.isascii() else None
    return None


def query_int(params: dict, name: str, default: int) -> int:
    """A whole-number query parameter: absent or empty gives `default`; anything but ASCII digits is a 400
    (`"²".isdigit()` is True yet `int("²")` fails; `int` also takes other scripts' digits)."""
    value = params.get(name) or ""
    if not value:
        return default
    if not (value.isascii() and value.isdigit()) or len(value) > MAX_QUERY_DIGITS:
        raise ValidationFailed(f"Parameter '{name}' harus bilangan bulat positif.", field=name)
    return int(value)


def bearer_token(request) -> str | None:
    """The bearer token of the Authorization header; None when absent or not ASCII (never a token of ours)."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    return token if token and token.isascii() else None


def current_actor(ctx: Context, request, *, password_change_only: bool = False) -> Actor:
    from chalicelib.services.auth import actor_from_token

    token = bearer_token(request)
    if token is None and request.headers.get("authorization"):
        token = "invalid"  # present but unreadable: "Sesi tidak valid", not "Silakan masuk"
    return actor_from_token(ctx, token, password_change_only=password_change_only)


def text_field(body: dict, name: str, default: str = "", max_length: int = 4000) -> str:
    value = body.get(name, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise ValidationFailed(f"Kolom '{name}' harus berupa teks.", field=name)
    if len(value) > max_length:
        raise ValidationFailed(f"Kolom '{name}' paling panjang {max_length} karakter.", field=name)
    return value


def merge_target(raw: str) -> str:
    """The case to merge into: required, and checked before any case is read (so the answer reveals nothing,
    and no empty key reaches DynamoDB, which refuses one)."""
    if not raw.strip():
        raise ValidationFailed("Isi nomor laporan tujuan penggabungan.", field="merge_into")
    return raw


def optional_int(body: dict, name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(f"Kolom '{name}' harus berupa bilangan bulat.", field=name)
    return value


def encode_cursor(ctx: Context, key: dict | None) -> str | None:
    if not key:
        return None
    body = base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()
    return f"{body}.{_mac(ctx, body)}"


def decode_cursor(ctx: Context, cursor: str | None) -> dict | None:
    if not cursor:
        return None
    body, _, mac = cursor.partition(".")
    if not cursor.isascii() or len(cursor) > 2000 or not hmac.compare_digest(mac, _mac(ctx, body)):
        raise ValidationFailed("Penanda halaman tidak sah.", field="cursor")
    try:
        return json.loads(base64.urlsafe_b64decode(body))
    except ValueError:
        raise ValidationFailed("Penanda halaman tidak sah.", field="cursor") from None


def _mac(ctx: Context, body: str) -> str:
    key = hashlib.sha256(b"cursor:" + ctx.settings.session_secret.encode()).digest()
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:32]
