"""Plumbing of the officer web view: the session behind every page, CSRF on every form, security headers,
and domain errors shown as pages (a stale case version as "sudah diubah orang lain", not an error dump).

A page is declared with `officer_page(blueprint, path, ...)`; its view receives a `WebCall` (the context,
the officer's session, query parameters and — for POST — the form, its CSRF token already checked) and the
path's parameters, and returns `web.page(...)`, `web.redirect(...)` or any Chalice `Response`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, quote, urlsplit

from chalice import Blueprint, Response

from chalicelib.domain.errors import (
    DomainError,
    InvalidTransition,
    NotAuthenticated,
    NotFound,
    NotPermitted,
    TooLarge,
    TooManyAttempts,
    ValidationFailed,
    VersionConflict,
)
from handlers.errors import UNREADABLE_INPUT, check_path_parameters, status_of, unreadable_input
from handlers.request_input import check_text, cookie

if TYPE_CHECKING:
    from chalicelib.services.context import Context
    from chalicelib.services.sessions import WebSession

SESSION_COOKIE = "aduan_sesi"
FORM_TYPES = ["application/x-www-form-urlencoded", "application/json"]  # GET without a body counts as JSON
MAX_FORM_BYTES = 64 * 1024
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cache-Control": "no-store",  # signed-out back button must not show a cached case
    "Pragma": "no-cache",
}


@dataclass
class WebCall:
    ctx: Context
    request: object
    session: WebSession
    params: dict[str, str]
    form: dict[str, str] = field(default_factory=dict)
    form_lists: dict[str, list[str]] = field(default_factory=dict)
    current: str = ""

    @property
    def actor(self):
        return self.session.actor

    @property
    def officer(self):
        return self.session.officer

    @property
    def base(self) -> str:
        return base_path(self.ctx)

    @property
    def csrf(self) -> str:
        from chalicelib.services.sessions import csrf_token

        return csrf_token(self.ctx, self.session.session_id)

    def officer_view(self) -> dict:
        officer = self.officer
        agency = self.ctx.agencies.get(officer.agency_id)
        return {
            "username": officer.username,
            "display_name": officer.display_name,
            "role": officer.role.value,
            "role_label": officer.role.label,
            "agency_id": officer.agency_id,
            "agency_name": agency.name if agency else officer.agency_id,
        }

    def page(self, template: str, status: int = 200, http_headers: dict | None = None,
             **context: object) -> Response:
        from chalicelib.web.officer import render_officer_page

        body = render_officer_page(
            template, city_name=self.ctx.settings.city_name, base=self.base, officer=self.officer_view(),
            csrf_token=self.csrf, current=self.current, **context,
        )
        return html(body, status, **(http_headers or {}))

    def redirect(self, path: str, **headers: str) -> Response:
        return redirect(self.ctx, path, **headers)

    def field(self, name: str, max_length: int = 4000) -> str:
        value = self.form.get(name, "")
        if len(value) > max_length:
            raise ValidationFailed(f"Isian '{name}' paling panjang {max_length} karakter.", field=name)
        return value


def html(body: str, status: int = 200, **headers: str) -> Response:
    return Response(body=body, status_code=status,
                    headers={"Content-Type": "text/html; charset=utf-8", **SECURITY_HEADERS, **headers})


def base_path(ctx: Context) -> str:
    """The path prefix of every link (e.g. '/api' behind an API Gateway stage without a custom domain)."""
    return urlsplit(ctx.channels.public_base_url).path.rstrip("/")


def redirect(ctx: Context, path: str, **headers: str) -> Response:
    return Response(body="", status_code=303,
                    headers={"Location": f"{base_path(ctx)}{path}", **SECURITY_HEADERS, **headers})


def session_cookie(ctx: Context, value: str, max_age: int | None = None) -> str:
    """`Set-Cookie` for the session: HttpOnly, SameSite=Lax, Secure outside the local stage."""
    secure = "" if ctx.settings.stage in ("local", "test") else "; Secure"
    age = max_age if max_age is not None else ctx.settings.web_absolute_seconds
    return f"{SESSION_COOKIE}={value}; Path=/; Max-Age={age}; HttpOnly; SameSite=Lax{secure}"


def client_address(request) -> str:
    return str(((request.context or {}).get("identity") or {}).get("sourceIp") or "unknown")


def parse_form(request) -> tuple[dict[str, str], dict[str, list[str]]]:
    raw = request.raw_body or b""
    if len(raw) > MAX_FORM_BYTES:
        raise TooLarge(f"Isian terlalu besar (maksimal {MAX_FORM_BYTES // 1024} KB).")
    try:
        lists = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        raise ValidationFailed("Isian formulir tidak dapat dibaca.") from None
    return {k: v[0] for k, v in lists.items()}, lists


def safe_next(path: str | None) -> str | None:
    """Only a path inside the officer view (no other host, no scheme): never an open redirect."""
    if not path or not path.isascii() or not path.startswith("/petugas/") or "//" in path or "\\" in path \
            or len(path) > 200 or any(ch < " " for ch in path):
        return None
    return path


def _concrete_path(template: str, uri_params: dict) -> str:
    """The path asked for: Chalice gives the route template ('/petugas/kasus/{nomor}') and the parameters."""
    path = template
    for name, value in uri_params.items():
        path = path.replace("{" + name + "}", quote(str(value), safe=""))
    return "/petugas/" if path == "/petugas" else path


def _to_sign_in(ctx: Context, request, uri_params: dict) -> Response:
    """No (valid) session: to the sign-in page, coming back to the page asked for when it is a plain GET."""
    target = "/petugas/masuk"
    try:
        wanted = safe_next(_concrete_path(request.path, uri_params) if request.method == "GET" else None)
    except UnicodeError:  # a path that cannot be a page of ours: no way back to it
        wanted = None
    if wanted and wanted != "/petugas/":
        target += f"?lanjut={quote(wanted, safe='/')}"
    return redirect(ctx, target, **{"Set-Cookie": session_cookie(ctx, "", 0)})


PAGE_HEADINGS: dict[type[DomainError], str] = {  # the most specific kind first
    VersionConflict: "Kasus ini sudah diubah orang lain",
    InvalidTransition: "Aksi tidak dapat dilakukan",
    TooLarge: "Isian terlalu besar",
    ValidationFailed: "Isian belum benar",
    NotPermitted: "Tidak diizinkan",
    NotFound: "Tidak ditemukan",
    TooManyAttempts: "Terlalu banyak percobaan",
}


def error_page(web: WebCall, error: DomainError) -> Response:
    status = status_of(error)
    heading = next((title for kind, title in PAGE_HEADINGS.items() if isinstance(error, kind)),
                   "Permintaan tidak dapat diproses")
    message = error.message
    reload_path = None
    case_id = error.details.get("case_id")
    if isinstance(error, VersionConflict | InvalidTransition) and case_id:
        reload_path = f"/petugas/kasus/{quote(str(case_id), safe='')}"
        if isinstance(error, VersionConflict):
            message = "Kasus ini sudah diubah orang lain sejak Anda membukanya. Muat ulang untuk melihat " \
                      "keadaan terbaru, lalu ulangi tindakan Anda bila masih perlu."
    return web.page("galat.html", status, heading=heading, message=message, reload_path=reload_path)


# What an officer still on a one-time password may open: the account page (to replace it) and sign-out.
PASSWORD_CHANGE_PATHS = frozenset({"/petugas/akun", "/petugas/akun/sandi", "/petugas/keluar"})


def officer_page(blueprint: Blueprint, path: str, methods: Iterable[str] = ("GET",),
                 roles: Iterable[str] | None = None, menu: str | None = None) -> Callable:
    """Declare an officer page: signed-in session required, CSRF checked on POST, errors shown as pages."""
    allowed = frozenset(roles) if roles else None

    def register(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(**uri_params):
            from chalicelib.services.context import get_context
            from chalicelib.services.sessions import csrf_valid, session_for_cookie

            ctx = get_context()
            request = blueprint.current_request
            try:
                session = session_for_cookie(ctx, cookie(request, SESSION_COOKIE))
            except NotAuthenticated:
                return _to_sign_in(ctx, request, uri_params)
            web = WebCall(ctx=ctx, request=request, session=session, current=menu or "", params={})
            try:
                for value in uri_params.values():
                    check_text(value)
                check_path_parameters(uri_params)
                web.params = {name: check_text(value, name) for name, value in (request.query_params or {}).items()}
                if request.method == "POST":
                    web.form, web.form_lists = parse_form(request)
                    token = web.form.get("csrf")
                    if not (token and token.isascii() and csrf_valid(ctx, session.session_id, token)):
                        raise NotPermitted("Formulir sudah kedaluwarsa atau tidak sah. Muat ulang halaman lalu "
                                           "coba lagi.")
                if allowed is not None and session.officer.role.value not in allowed:
                    raise NotPermitted("Halaman ini tidak tersedia untuk peran Anda.")
                if session.officer.must_change_password and path not in PASSWORD_CHANGE_PATHS:
                    # a one-time password opens nothing but the page that replaces it
                    return web.redirect("/petugas/akun?ganti=1")
                return view(web, **uri_params)
            except DomainError as error:
                return error_page(web, error)
            except UNREADABLE_INPUT as error:
                return error_page(web, unreadable_input(error))

        guarded.officer_roles = allowed  # read by the authorization-matrix test (None: every officer role)
        blueprint.route(path, methods=list(methods), content_types=FORM_TYPES)(guarded)
        return guarded

    return register
