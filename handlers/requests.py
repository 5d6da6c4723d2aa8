"""Small request helpers shared by the JSON views: body parsing with limits, auth, signed cursors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import TYPE_CHECKING

from chalicelib.domain.case import Actor
from chalicelib.domain.errors import TooLarge, ValidationFailed

if TYPE_CHECKING:
    from chalicelib.services.context import Context

MAX_JSON_BYTES = 64 * 1024


def json_body(request) -> dict:
    raw = request.raw_body or b""
    if len(raw) > MAX_JSON_BYTES:
        raise TooLarge(f"Permintaan terlalu besar (maksimal {MAX_JSON_BYTES // 1024} KB).")
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("Badan permintaan bukan JSON yang sah.") from None
    if not isinstance(body, dict):
        raise ValidationFailed("Badan permintaan harus berupa objek JSON.")
    return body


def officer_call(blueprint) -> tuple[Context, dict, Actor]:
    """For an officer view: the context, the query parameters and the authenticated actor (or 401)."""
    from chalicelib.services.context import get_context

    ctx = get_context()
    request = blueprint.current_request
    return ctx, request.query_params or {}, current_actor(ctx, request)


def cookie(request, name: str) -> str | None:
    """The value of cookie `name` in the request, or None."""
    for part in (request.headers.get("cookie") or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


def query_int(params: dict, name: str, default: int) -> int:
    value = params.get(name, "")
    return int(value) if value.isdigit() else default


def current_actor(ctx: Context, request) -> Actor:
    from chalicelib.services.auth import actor_from_token

    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else None
    return actor_from_token(ctx, token)


def text_field(body: dict, name: str, default: str = "", max_length: int = 4000) -> str:
    value = body.get(name, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise ValidationFailed(f"Kolom '{name}' harus berupa teks.", field=name)
    if len(value) > max_length:
        raise ValidationFailed(f"Kolom '{name}' paling panjang {max_length} karakter.", field=name)
    return value


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
    if not hmac.compare_digest(mac, _mac(ctx, body)):
        raise ValidationFailed("Penanda halaman tidak sah.", field="cursor")
    try:
        return json.loads(base64.urlsafe_b64decode(body))
    except ValueError:
        raise ValidationFailed("Penanda halaman tidak sah.", field="cursor") from None


def _mac(ctx: Context, body: str) -> str:
    key = hashlib.sha256(b"cursor:" + ctx.settings.session_secret.encode()).digest()
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:32]
