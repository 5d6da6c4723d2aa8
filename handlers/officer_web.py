"""Officer web view: sign-in and sign-out, the officer's account, failed outbound messages, the audit trail
and manual entry. Pages of cases, the inbox and the figures live in sibling blueprints."""

from __future__ import annotations

import secrets

from chalice import Blueprint, Response

from chalicelib.domain.errors import DomainError, NotAuthenticated, TooManyAttempts
from handlers.officer_pages import (
    FORM_TYPES,
    SESSION_COOKIE,
    base_path,
    client_address,
    html,
    officer_page,
    parse_form,
    redirect,
    safe_next,
    session_cookie,
)
from handlers.request_input import cookie

officer_web = Blueprint(__name__)

LOGIN_CSRF_COOKIE = "aduan_masuk"
NOTICES = {
    "keluar": "Anda sudah keluar.",
    "berakhir": "Sesi Anda telah berakhir. Silakan masuk kembali.",
}


def _sign_in_page(ctx, message: str = "", username: str = "", next_path: str | None = None,
                  status: int = 200, **headers: str) -> Response:
    from chalicelib.web.officer import render_officer_page

    token = secrets.token_urlsafe(24)
    body = render_officer_page(
        "masuk.html", city_name=ctx.settings.city_name, base=base_path(ctx), officer=None,
        login_csrf=token, message=message, username=username, next_path=next_path,
    )
    secure = "" if ctx.settings.stage in ("local", "test") else "; Secure"
    return html(body, status, **{
        "Set-Cookie": f"{LOGIN_CSRF_COOKIE}={token}; Path={base_path(ctx)}/petugas/masuk; HttpOnly; "
                      f"SameSite=Strict{secure}",
        **headers,
    })


@officer_web.route("/petugas/masuk", methods=["GET"], content_types=FORM_TYPES)
def sign_in_form() -> Response:
    from chalicelib.services.context import get_context
    from chalicelib.services.sessions import session_for_cookie

    ctx = get_context()
    request = officer_web.current_request
    params = request.query_params or {}
    try:
        session_for_cookie(ctx, cookie(request, SESSION_COOKIE))
    except NotAuthenticated:
        notice = NOTICES.get(params.get("pesan", ""), "")
        return _sign_in_page(ctx, notice, next_path=safe_next(params.get("lanjut")))
    return redirect(ctx, safe_next(params.get("lanjut")) or "/petugas/")


@officer_web.route("/petugas/masuk", methods=["POST"], content_types=FORM_TYPES)
def sign_in() -> Response:
    import hmac

    from chalicelib.services.context import get_context
    from chalicelib.services.sessions import sign_in as start_session

    ctx = get_context()
    request = officer_web.current_request
    try:
        form, _ = parse_form(request)
    except DomainError as error:
        return _sign_in_page(ctx, error.message, status=400)
    username = form.get("username", "")[:100]
    next_path = safe_next(form.get("lanjut"))
    expected = cookie(request, LOGIN_CSRF_COOKIE) or ""
    token = form.get("csrf", "")
    if not expected or not token.isascii() or not hmac.compare_digest(token, expected):
        return _sign_in_page(ctx, "Halaman masuk sudah kedaluwarsa. Silakan coba lagi.", username, next_path, 403)
    try:
        value, officer = start_session(ctx, username, form.get("password", "")[:200], client_address(request))
    except TooManyAttempts as error:
        return _sign_in_page(ctx, error.message, username, next_path, 429,
                             **{"Retry-After": str(error.details.get("retry_after", 60))})
    except NotAuthenticated as error:
        return _sign_in_page(ctx, error.message, username, next_path, 401)
    target = "/petugas/akun?ganti=1" if officer.must_change_password else (next_path or "/petugas/")
    return redirect(ctx, target, **{"Set-Cookie": session_cookie(ctx, value)})


@officer_web.route("/petugas/keluar", methods=["POST"], content_types=FORM_TYPES)
def sign_out() -> Response:
    from chalicelib.services.context import get_context
    from chalicelib.services.sessions import csrf_valid, session_for_cookie
    from chalicelib.services.sessions import sign_out as end_session

    ctx = get_context()
    request = officer_web.current_request
    value = cookie(request, SESSION_COOKIE)
    try:
        session = session_for_cookie(ctx, value)
        form, _ = parse_form(request)
    except DomainError:
        return redirect(ctx, "/petugas/masuk?pesan=berakhir", **{"Set-Cookie": session_cookie(ctx, "", 0)})
    token = form.get("csrf")
    if not (token and token.isascii() and csrf_valid(ctx, session.session_id, token)):
        return redirect(ctx, "/petugas/")  # a cross-site form cannot sign anyone out
    end_session(ctx, value)
    return redirect(ctx, "/petugas/masuk?pesan=keluar", **{"Set-Cookie": session_cookie(ctx, "", 0),
                                                            "Clear-Site-Data": '"cache"'})


# ---------------------------------------------------------------- account


@officer_page(officer_web, "/petugas/akun", menu="/petugas/akun")
def account_page(web):
    from chalicelib.services.officer_account import account_view

    notice = {"1": "Silakan ganti kata sandi awal Anda sebelum melanjutkan."}.get(web.params.get("ganti", ""), "")
    done = {
        "sandi": "Kata sandi sudah diganti. Sesi lain akun ini telah diakhiri.",
        "notifikasi": "Pilihan notifikasi sudah disimpan.",
        "grup": "Pilihan peringatan grup LINE sudah disimpan.",
        "peringatan": "Pilihan waktu dan jenis peringatan sudah disimpan.",
    }.get(web.params.get("ok", ""), "")
    return web.page("akun.html", account=account_view(web.ctx, web.officer), notice=notice or done,
                    errors={}, link_code=None, group_line=_group_line(web))


def _group_line(web, code: dict | None = None) -> dict | None:
    from chalicelib.services.line_groups import group_code_form

    return group_code_form(web.ctx, web.actor, code)


@officer_page(officer_web, "/petugas/akun/sandi", methods=("POST",), menu="/petugas/akun")
def change_password_action(web):
    from chalicelib.domain.errors import ValidationFailed
    from chalicelib.services.officer_account import account_view
    from chalicelib.services.sessions import change_password

    try:
        value = change_password(web.ctx, web.session, web.field("current", 200), web.field("new", 300),
                                web.field("repeat", 300))
    except ValidationFailed as error:
        field = str(error.details.get("field") or "new")
        return web.page("akun.html", 400, account=account_view(web.ctx, web.officer), notice="",
                        errors={field: error.message}, link_code=None)
    return web.redirect("/petugas/akun?ok=sandi", **{"Set-Cookie": session_cookie(web.ctx, value)})


@officer_page(officer_web, "/petugas/akun/notifikasi", methods=("POST",), menu="/petugas/akun")
def alert_preference_action(web):
    from chalicelib.services.officer_account import set_alert_channel

    set_alert_channel(web.ctx, web.officer, web.field("alert_channel", 10), web.field("email", 200))
    return web.redirect("/petugas/akun?ok=notifikasi")


@officer_page(officer_web, "/petugas/akun/peringatan", methods=("POST",), menu="/petugas/akun")
def alert_timing_action(web):
    from chalicelib.domain.errors import ValidationFailed
    from chalicelib.services.officer_account import account_view, set_alert_preferences

    try:
        set_alert_preferences(
            web.ctx, web.officer, kinds=web.form_lists.get("kinds", [])[:20],
            quiet_start=web.field("quiet_start", 5), quiet_end=web.field("quiet_end", 5),
            urgent_at_night=web.form.get("urgent_at_night") in ("1", "on"),
            personal_with_group=web.form.get("personal_with_group") in ("1", "on"),
        )
    except ValidationFailed as error:
        return web.page("akun.html", 400, account=account_view(web.ctx, web.officer), notice="",
                        errors={str(error.details.get("field") or "quiet_hours"): error.message}, link_code=None,
                        group_line=_group_line(web))
    return web.redirect("/petugas/akun?ok=peringatan")


@officer_page(officer_web, "/petugas/akun/line", methods=("POST",), menu="/petugas/akun")
def line_link_action(web):
    from chalicelib.services.officer_account import account_view
    from chalicelib.services.officer_line import issue_line_link_code

    code = issue_line_link_code(web.ctx, web.actor)
    return web.page("akun.html", account=account_view(web.ctx, web.officer), notice="", errors={},
                    link_code=code)


@officer_page(officer_web, "/petugas/akun/grup-line", methods=("POST",), roles=("admin", "supervisor"),
              menu="/petugas/akun")
def line_group_code_action(web):
    from chalicelib.services.line_groups import issue_group_code
    from chalicelib.services.officer_account import account_view

    code = issue_group_code(web.ctx, web.actor, web.field("agency_id", 100))
    return web.page("akun.html", account=account_view(web.ctx, web.officer), notice="", errors={},
                    link_code=None, group_line=_group_line(web, code))


@officer_page(officer_web, "/petugas/akun/grup-line/preferensi", methods=("POST",), roles=("admin", "supervisor"),
              menu="/petugas/akun")
def line_group_preferences_action(web):
    from chalicelib.domain.errors import ValidationFailed
    from chalicelib.services.line_groups import set_group_preferences

    agency_id = web.field("agency_id", 100).strip()
    if not agency_id:  # an empty key is refused by DynamoDB itself (a 500 on AWS, not on moto)
        raise ValidationFailed("Pilih OPD yang grup LINE-nya diatur.", field="agency_id")
    set_group_preferences(web.ctx, web.actor, agency_id, kinds=web.form_lists.get("kinds", [])[:20],
                          quiet_start=web.field("quiet_start", 10), quiet_end=web.field("quiet_end", 10))
    return web.redirect("/petugas/akun?ok=grup")


# ---------------------------------------------------------------- failed outbound messages


@officer_page(officer_web, "/petugas/kotak-keluar", roles=("admin", "supervisor"), menu="/petugas/kotak-keluar")
def outbox_page(web):
    from chalicelib.services.outbox_admin import list_failed_messages

    done = {"kirim": "Pesan dikirim ulang.", "antre": "Pesan masuk antrean kirim ulang."}
    return web.page("kotak_keluar.html", items=list_failed_messages(web.ctx, web.actor, 100),
                    notice=done.get(web.params.get("ok", ""), ""))


@officer_page(officer_web, "/petugas/kotak-keluar/kirim-ulang", methods=("POST",),
              roles=("admin", "supervisor"), menu="/petugas/kotak-keluar")
def outbox_retry_action(web):
    from chalicelib.services.outbox_admin import retry_failed_message

    result = retry_failed_message(web.ctx, web.actor, web.field("message_id", 300))
    return web.redirect("/petugas/kotak-keluar?ok=" + ("kirim" if result.get("state") == "sent" else "antre"))


# ---------------------------------------------------------------- audit trail


@officer_page(officer_web, "/petugas/audit", roles=("admin",), menu="/petugas/audit")
def audit_page(web):
    from chalicelib.services.officer_account import audit_view

    return web.page("audit.html", **audit_view(web.ctx, web.actor, web.params.get("jenis", "identity"),
                                               web.params.get("bulan", "")))


# ---------------------------------------------------------------- manual entry (phone, face to face, letter)


@officer_page(officer_web, "/petugas/kasus/baru", roles=("admin", "opd", "supervisor"), menu="/petugas/kasus/baru")
def entry_form(web):
    from chalicelib.services.manual_entry import entry_form_context

    return web.page("kasus_baru.html", **entry_form_context(web.ctx, {}, {}))


@officer_page(officer_web, "/petugas/kasus/baru", methods=("POST",), roles=("admin", "opd", "supervisor"),
              menu="/petugas/kasus/baru")
def entry_submit(web):
    from chalicelib.domain.errors import ValidationFailed
    from chalicelib.services.manual_entry import entry_form_context, record_entry

    try:
        case = record_entry(web.ctx, web.actor, web.form)
    except ValidationFailed as error:
        field = str(error.details.get("field") or "description")
        return web.page("kasus_baru.html", 400, **entry_form_context(web.ctx, web.form, {field: error.message}))
    from chalicelib.services.notify import notify_now

    notify_now(web.ctx, case)  # the admin koordinator hears of it within seconds (never raises)
    return web.redirect(f"/petugas/kasus/{case.case_id}?ok=dicatat")
