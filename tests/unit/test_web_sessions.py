"""Officer web sessions: sign-in, throttling, sign-out, timeouts, revocation, CSRF and security headers."""

from __future__ import annotations

import json
import uuid

import pytest

from chalicelib.domain.case import Role
from chalicelib.domain.officer import Officer
from tests.unit.web_session import Browser
from tests.unit.web_session import text_of as text

PASSWORD = "sandi-uji-yang-panjang"


@pytest.fixture
def officer(ctx):
    """A fresh OPD officer of DPUPR for this test only (sessions and throttles never leak between tests)."""
    from chalicelib.services.auth import hash_password

    username = f"uji.{uuid.uuid4().hex[:8]}"
    ctx.directory.put_officer(
        Officer(username=username, display_name="Petugas Uji", role=Role.OPD, agency_id="dpupr"),
        hash_password(PASSWORD),
    )
    return username


@pytest.fixture
def browser(api):
    return Browser(api)


def test_sign_in_sets_a_strict_session_cookie_and_opens_the_inbox(browser, officer):
    # When the officer signs in with the right password
    response = browser.sign_in(officer, PASSWORD)
    # Then they are sent to the inbox with an HttpOnly, SameSite=Lax session cookie
    assert response.status_code == 303
    assert response.headers["Location"] == "/petugas/"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("aduan_sesi=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # And their account page shows who they are
    assert "Petugas Uji" in text(browser.get("/petugas/akun"))


def test_unknown_user_and_wrong_password_get_the_same_answer(browser, officer):
    wrong = browser.sign_in(officer, "bukan-sandinya")
    unknown = browser.sign_in("tidak.ada", "bukan-sandinya")
    assert wrong.status_code == unknown.status_code == 401
    assert "Nama pengguna atau kata sandi salah." in text(wrong)
    assert "Nama pengguna atau kata sandi salah." in text(unknown)
    assert "aduan_sesi" not in browser.cookies


def test_five_failures_make_the_sixth_try_wait_even_with_the_right_password(browser, officer, clock):
    for _ in range(5):
        assert browser.sign_in(officer, "salah-lagi").status_code == 401
    # Then even the right password must wait, and the page says how long
    blocked = browser.sign_in(officer, PASSWORD)
    assert blocked.status_code == 429
    assert "Terlalu banyak percobaan masuk" in text(blocked)
    assert blocked.headers["Retry-After"]
    # And the wait grows with each further failure
    clock.advance(seconds=31)
    assert browser.sign_in(officer, "salah-lagi").status_code == 401
    assert browser.sign_in(officer, PASSWORD).status_code == 429
    clock.advance(seconds=61)
    # When the wait is over, the right password works and clears the count
    assert browser.sign_in(officer, PASSWORD).status_code == 303


def test_every_attempt_is_on_the_audit_trail(browser, officer, ctx, clock):
    browser.sign_in(officer, "salah")
    clock.advance(seconds=5)
    browser.sign_in(officer, PASSWORD)
    entries = [e for e in ctx.audit.list("signin", "2026-11", limit=10_000) if e.actor == officer]
    assert [e.outcome for e in entries] == ["berhasil", "gagal"]  # newest first
    assert all("127.0.0.1" not in (e.detail or "") for e in entries)  # the address is kept hashed only


def test_sign_out_ends_the_session_on_the_server(browser, api, officer):
    browser.sign_in(officer, PASSWORD)
    stolen = dict(browser.cookies)
    # When the officer signs out
    response = browser.post("/petugas/keluar")
    assert response.status_code == 303
    assert "Max-Age=0" in response.headers["Set-Cookie"]
    # Then a replayed copy of the old cookie opens nothing
    replay = Browser(api, cookies=stolen)
    again = replay.get("/petugas/akun")
    assert again.status_code == 303 and again.headers["Location"].startswith("/petugas/masuk")


def test_sign_out_without_the_forms_token_does_nothing(browser, officer):
    browser.sign_in(officer, PASSWORD)
    browser.post("/petugas/keluar", {"csrf": "dari-situs-lain"})
    assert browser.get("/petugas/akun").status_code == 200


def test_a_form_without_its_csrf_token_is_refused(browser, officer):
    browser.sign_in(officer, PASSWORD)
    refused = browser.post("/petugas/akun/notifikasi", {"alert_channel": "sms", "csrf": "palsu"})
    assert refused.status_code == 403
    assert "Formulir sudah kedaluwarsa" in text(refused)


def test_idle_sessions_end(browser, officer, clock):
    browser.sign_in(officer, PASSWORD)
    clock.advance(minutes=119)
    assert browser.get("/petugas/akun").status_code == 200  # activity moves the idle clock
    clock.advance(minutes=119)
    assert browser.get("/petugas/akun").status_code == 200
    clock.advance(minutes=121)
    assert browser.get("/petugas/akun").status_code == 303


def test_sessions_end_after_their_absolute_lifetime_whatever_the_activity(browser, officer, clock):
    browser.sign_in(officer, PASSWORD)
    for _ in range(11):
        clock.advance(hours=1)
        assert browser.get("/petugas/akun").status_code == 200
    clock.advance(hours=1, minutes=1)
    assert browser.get("/petugas/akun").status_code == 303


def test_deactivating_an_officer_ends_their_web_session_and_api_token_at_once(api, browser, officer, login):
    browser.sign_in(officer, PASSWORD)
    token = api.http.post("/api/auth/login", headers={"Content-Type": "application/json"},
                          body=json.dumps({"username": officer, "password": PASSWORD})).json_body["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.http.get("/api/me", headers=bearer).status_code == 200
    # When the admin deactivates the officer
    admin = login("admin.kominfo")
    done = api.http.post(f"/api/admin/officers/{officer}/deactivate", headers=admin)
    assert done.status_code == 200
    # Then their open page and their API token stop working
    assert browser.get("/petugas/akun").status_code == 303
    assert api.http.get("/api/me", headers=bearer).status_code == 401
    # And they cannot sign in again
    assert Browser(api).sign_in(officer, PASSWORD).status_code == 401


def test_only_the_admin_deactivates_officers(api, officer, login):
    opd = login("petugas.dpupr")
    assert api.http.post(f"/api/admin/officers/{officer}/deactivate", headers=opd).status_code == 403


def test_changing_the_password_ends_other_sessions_but_keeps_this_one(api, browser, officer):
    other = Browser(api)
    other.sign_in(officer, PASSWORD)
    browser.sign_in(officer, PASSWORD)
    response = browser.post("/petugas/akun/sandi", {
        "current": PASSWORD, "new": "sandi-baru-yang-kuat", "repeat": "sandi-baru-yang-kuat"})
    assert response.status_code == 303
    assert browser.get("/petugas/akun?ok=sandi").status_code == 200
    assert other.get("/petugas/akun").status_code == 303
    assert Browser(api).sign_in(officer, PASSWORD).status_code == 401
    assert Browser(api).sign_in(officer, "sandi-baru-yang-kuat").status_code == 303


def test_a_weak_or_mistyped_new_password_is_explained(browser, officer):
    browser.sign_in(officer, PASSWORD)
    short = browser.post("/petugas/akun/sandi", {"current": PASSWORD, "new": "pendek", "repeat": "pendek"})
    assert short.status_code == 400 and "paling sedikit 10 karakter" in text(short)
    mismatch = browser.post("/petugas/akun/sandi", {
        "current": PASSWORD, "new": "sandi-baru-yang-kuat", "repeat": "sandi-lain-yang-kuat"})
    assert mismatch.status_code == 400 and "tidak sama" in text(mismatch)
    wrong = browser.post("/petugas/akun/sandi", {
        "current": "bukan", "new": "sandi-baru-yang-kuat", "repeat": "sandi-baru-yang-kuat"})
    assert wrong.status_code == 400 and "saat ini salah" in text(wrong)


def test_a_signed_out_visitor_is_sent_to_sign_in_and_back_to_the_page_they_wanted(api, officer):
    visitor = Browser(api)
    response = visitor.get("/petugas/akun")
    assert response.status_code == 303
    assert response.headers["Location"] == "/petugas/masuk?lanjut=/petugas/akun"
    back = visitor.sign_in(officer, PASSWORD, next_path="/petugas/akun")
    assert back.headers["Location"] == "/petugas/akun"


def test_sign_in_never_redirects_to_another_site(api, officer):
    for target in ("https://jahat.example/", "//jahat.example/petugas/", "/petugas/..//jahat"):
        response = Browser(api).sign_in(officer, PASSWORD, next_path=target)
        assert response.headers["Location"] == "/petugas/"


def test_officer_pages_carry_strict_security_headers(browser, officer):
    browser.sign_in(officer, PASSWORD)
    for path in ("/petugas/masuk", "/petugas/akun"):
        headers = Browser(browser.api, dict(browser.cookies)).get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "http" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Cache-Control"] == "no-store"


def test_the_alert_preference_needs_a_linked_line_account(browser, officer):
    browser.sign_in(officer, PASSWORD)
    refused = browser.post("/petugas/akun/notifikasi", {"alert_channel": "line"})
    assert refused.status_code == 400 and "Hubungkan akun LINE" in text(refused)
    assert browser.post("/petugas/akun/notifikasi", {"alert_channel": "sms"}).status_code == 303


def test_the_account_page_gives_a_line_link_code(browser, officer):
    browser.sign_in(officer, PASSWORD)
    page = text(browser.post("/petugas/akun/line"))
    assert "ADUAN-" in page and "dalam 15 menit" in page


def test_failed_messages_page_is_for_admins_and_supervisors_only(api, browser, officer, demo_logins):
    browser.sign_in(officer, PASSWORD)
    assert browser.get("/petugas/kotak-keluar").status_code == 403
    admin = Browser(api)
    admin.sign_in("admin.kominfo", {d.username: d.password for d in demo_logins}["admin.kominfo"])
    assert "Pesan yang gagal terkirim" in text(admin.get("/petugas/kotak-keluar"))


def test_the_audit_trail_is_for_the_admin_only(browser, officer):
    browser.sign_in(officer, PASSWORD)
    assert browser.get("/petugas/audit").status_code == 403


def test_the_api_login_is_throttled_like_the_web_sign_in(api, officer):
    import json

    def api_login(password: str):
        return api.http.post("/api/auth/login", headers={"Content-Type": "application/json"},
                             body=json.dumps({"username": officer, "password": password}))

    for _ in range(5):
        assert api_login("salah-lagi").status_code == 401
    blocked = api_login(PASSWORD)
    assert blocked.status_code == 429
    assert blocked.json_body["error"]["code"] == "too_many_attempts"
    assert int(blocked.headers["Retry-After"]) > 0


def test_an_officer_can_take_alerts_by_email(browser, officer, ctx):
    from chalicelib.services.notify import officer_route

    browser.sign_in(officer, PASSWORD)
    missing = browser.post("/petugas/akun/notifikasi", {"alert_channel": "email", "email": ""})
    assert missing.status_code == 400 and "Isi alamat e-mail" in text(missing)
    bad = browser.post("/petugas/akun/notifikasi", {"alert_channel": "email", "email": "bukan alamat"})
    assert bad.status_code == 400 and "tidak sah" in text(bad)
    assert browser.post("/petugas/akun/notifikasi",
                        {"alert_channel": "email", "email": "uji@kedirikota.go.id"}).status_code == 303
    stored = ctx.directory.officer(officer)
    assert officer_route(ctx, stored)[:2] == ("email", "uji@kedirikota.go.id")
