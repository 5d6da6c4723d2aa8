"""Public pages (Bahasa Indonesia, server-rendered): the complaint form, its JSON API, case tracking and the
OPDs' scorecard (`/kinerja`, with its JSON twin `/kinerja.json`; cacheable, with an ETag).

HTML answers carry a strict Content-Security-Policy; the form is protected by a double-submit CSRF token
(a cookie and a hidden field that must match); JSON clients (apps, the simulator) need no token, since a
browser cannot send cross-site JSON without a CORS preflight, which this API never grants.
Submissions and tracking lookups are limited per client address (429, with ``Retry-After``; the tracking
page answers the JSON error body to a client that accepts JSON), so nobody walks the number space.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from chalice import Blueprint, Response

from handlers.errors import error_response, route, status_of
from handlers.request_input import check_text, cookie

if TYPE_CHECKING:
    from chalice.app import Request

    from chalicelib.domain.errors import DomainError

public_pages = Blueprint(__name__)

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
CSRF_COOKIE = "aduan_csrf"
FORM_TYPES = ["application/json", "multipart/form-data"]


def _html(body: str, status: int = 200, **headers: str) -> Response:
    return Response(
        body=body,
        status_code=status,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
            **headers,
        },
    )


def _context():
    from chalicelib.services.context import get_context

    ctx = get_context()
    return ctx, ctx.settings.city_name, urlsplit(ctx.channels.public_base_url).path.rstrip("/")


def _form_page(errors: dict | None = None, values: dict | None = None, status: int = 200) -> Response:
    from chalicelib.web.render import render_complaint_form

    ctx, city, base = _context()
    token = secrets.token_urlsafe(32)
    secure = "; Secure" if ctx.channels.public_base_url.startswith("https://") else ""
    page = render_complaint_form(city, token, errors, values, idempotency_key=secrets.token_urlsafe(16),
                                 base_path=base)
    return _html(page, status, **{"Set-Cookie": f"{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}"})


@route(public_pages, "/lapor", methods=["GET"])
def complaint_form() -> Response:
    return _form_page()


@route(public_pages, "/api/complaints", methods=["POST"], content_types=FORM_TYPES)
def submit_complaint() -> Response:
    import hmac

    from chalicelib.channels.base import MalformedPayload
    from chalicelib.channels.web import parse_submission
    from chalicelib.domain.errors import DomainError, NotPermitted, ValidationFailed
    from chalicelib.services.public import submit_web_complaint

    request = public_pages.current_request
    ctx, city, base = _context()
    content_type = request.headers.get("content-type", "")
    from_browser = content_type.lower().startswith("multipart/")
    raw = request.raw_body or b""
    client = _client(request)
    try:
        submission = parse_submission(raw, content_type, ctx.now())
        if from_browser:
            token, expected = submission.csrf_token or "", cookie(request, CSRF_COOKIE) or ""
            if not expected or not hmac.compare_digest(token, expected):
                raise NotPermitted("Sesi formulir tidak valid. Muat ulang halaman lalu kirim lagi.", field="csrf")
        receipt = submit_web_complaint(ctx, submission, client)
    except MalformedPayload:
        return error_response(ValidationFailed("Formulir tidak dapat dibaca."))
    except DomainError as error:
        if not from_browser:
            raise
        if error.code == "spam_suspected":  # answer a bot as if it had worked; store nothing
            return _html(_received(city, "-", None, base), 201)
        from chalicelib.channels.web import form_values

        field = str(error.details.get("field") or "form")
        page = _form_page({field: error.message}, form_values(raw, content_type), status_of(error))
        if page.status_code == 429:
            page.headers["Retry-After"] = str(error.details.get("retry_after", 3600))
        return page
    if from_browser:
        return _html(_received(city, receipt.case_id, receipt.tracking_url, base), 201)
    return Response(body={"tracking_number": receipt.case_id, "tracking_url": receipt.tracking_url}, status_code=201)


def _received(city: str, number: str, url: str | None, base: str) -> str:
    from chalicelib.web.render import render_complaint_received

    return render_complaint_received(city, number, url, base_path=base)


@route(public_pages, "/lacak", methods=["GET"])
def tracking_lookup() -> Response:
    from chalicelib.web.render import render_tracking_lookup

    _, city, base = _context()
    number = check_text((public_pages.current_request.query_params or {}).get("nomor") or "", "nomor").strip()
    if number:
        return Response(body="", status_code=303, headers={"Location": f"{base}/lacak/{quote(number[:40], safe='')}"})
    return _html(render_tracking_lookup(city, base_path=base))


@route(public_pages, "/lacak/{number}", methods=["GET"])
def tracking_page(number: str) -> Response:
    """The public view of a case; past the hourly lookups of this client, 429 (JSON when asked for)."""
    from chalicelib.domain.errors import TooManyAttempts
    from chalicelib.services.public import lookup_case
    from chalicelib.web.render import render_tracking_page

    ctx, city, base = _context()
    request = public_pages.current_request
    try:
        view = lookup_case(ctx, number, _client(request))
    except TooManyAttempts as error:
        if "application/json" in (request.headers.get("accept") or "").lower():
            return error_response(error)
        return _too_many_lookups(city, base, error)
    return _html(render_tracking_page(city, view, base_path=base), 200 if view else 404)


def _too_many_lookups(city: str, base: str, error: DomainError) -> Response:
    from chalicelib.web import render

    # render.py offers no page with a message; the template is public and takes only these values
    page = render.render_tracking_limited(city, error.message, base_path=base)
    return _html(page, 429, **{"Retry-After": str(error.details.get("retry_after", 3600))})


def _client(request: Request) -> str:
    """The caller's address as API Gateway saw it (hashed before it is stored anywhere)."""
    return ((request.context or {}).get("identity") or {}).get("sourceIp") or "unknown"


# ---------------------------------------------------------------- the public scorecard

SCORECARD_CACHE = "public, max-age=300"  # the service keeps its numbers 5 minutes too


@route(public_pages, "/kinerja", methods=["GET"])
def scorecard_html() -> Response:
    """Every OPD's complaint handling, this month and the 12 months before (no personal data)."""
    from chalicelib.services.scorecard import public_scorecard, scorecard_page
    from chalicelib.web.render import render_scorecard

    ctx, city, base = _context()
    body = render_scorecard(city, scorecard_page(public_scorecard(ctx)), base_path=base)
    return _cacheable(body, {"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": CSP,
                             "Referrer-Policy": "no-referrer"})


@route(public_pages, "/kinerja.json", methods=["GET"])
def scorecard_json() -> Response:
    """The scorecard's JSON twin, for journalists' scripts and the open-data portal (shape: `public_scorecard`)."""
    import json

    from chalicelib.services.scorecard import public_scorecard

    ctx, _, _ = _context()
    body = json.dumps(public_scorecard(ctx), ensure_ascii=False, separators=(",", ":"))
    return _cacheable(body, {"Content-Type": "application/json", "Access-Control-Allow-Origin": "*"})


def _cacheable(body: str, headers: dict[str, str]) -> Response:
    """200 with a strong ETag of the body, or 304 when the client already holds that body."""
    import hashlib

    etag = '"' + hashlib.sha256(body.encode("utf-8")).hexdigest()[:32] + '"'
    common = {"ETag": etag, "Cache-Control": SCORECARD_CACHE, "X-Content-Type-Options": "nosniff"}
    held = public_pages.current_request.headers.get("if-none-match") or ""
    if _etag_matches(held, etag):
        return Response(body="", status_code=304, headers=common)
    return Response(body=body, status_code=200, headers={**headers, **common})


def _etag_matches(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110 13.1.2): W/"x" matches "x"; "*" matches any."""
    tags = [tag.strip() for tag in header.split(",") if tag.strip()]
    return "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags)


@route(public_pages, "/static/{name}", methods=["GET"])
def static(name: str) -> Response:
    from chalicelib.web.render import static_file

    found = static_file(name)
    if found is None:
        from chalicelib.domain.errors import NotFound

        return error_response(NotFound("Berkas tidak ditemukan."))
    content, content_type = found
    return Response(body=content.decode("utf-8"), status_code=200,
                    headers={"Content-Type": content_type, "Cache-Control": "public, max-age=3600",
                             "X-Content-Type-Options": "nosniff"})
