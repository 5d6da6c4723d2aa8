"""An officer on a one-time password (a new account, a reset) can do nothing but replace it: on the web every
page leads to the account page, on the API every route but the password change and `GET /api/me` is refused."""

from __future__ import annotations

import json
import uuid

import pytest

from chalicelib.domain.case import Role
from chalicelib.domain.officer import Officer
from chalicelib.services.auth import hash_password
from tests.unit.web_session import Browser

ONE_TIME = "sementara-1234-abcd"
NEW = "sandi-baru-yang-panjang-2026"


@pytest.fixture
def newcomer(ctx):
    username = f"baru.{uuid.uuid4().hex[:8]}"
    ctx.directory.put_officer(Officer(username, "Petugas Baru", Role.OPD, "dpupr", must_change_password=True),
                              hash_password(ONE_TIME, ln=ctx.settings.scrypt_ln))
    return username


def bearer(token):
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def test_on_the_web_every_page_leads_to_the_password_change_until_it_is_done(api, newcomer):
    browser = Browser(api)
    signed_in = browser.sign_in(newcomer, ONE_TIME)
    assert signed_in.headers["Location"].endswith("/petugas/akun?ganti=1")
    for path in ("/petugas/", "/petugas/dasbor", "/petugas/kasus/baru"):
        answer = browser.get(path)
        assert answer.status_code == 303 and answer.headers["Location"].endswith("/petugas/akun?ganti=1"), path
    assert browser.get("/petugas/akun?ganti=1").status_code == 200
    changed = browser.post("/petugas/akun/sandi", {"current": ONE_TIME, "new": NEW, "repeat": NEW})
    assert changed.status_code == 303
    assert browser.get("/petugas/").status_code == 200  # the desk opens once the password is the officer's own


def test_on_the_api_only_the_password_change_is_open_until_it_is_done(api, newcomer):
    login = api.http.post("/api/auth/login", headers={"Content-Type": "application/json"},
                          body=json.dumps({"username": newcomer, "password": ONE_TIME}))
    token = login.json_body["token"]
    refused = api.http.get("/api/cases", headers=bearer(token))
    assert refused.status_code == 403
    assert refused.json_body["error"]["details"]["reason"] == "password_change_required"
    assert api.http.get("/api/me", headers=bearer(token)).status_code == 200
    wrong = api.http.post("/api/me/password", headers=bearer(token),
                          body=json.dumps({"current": "bukan-ini", "new": NEW}))
    assert wrong.status_code == 400 and wrong.json_body["error"]["details"]["field"] == "current"
    changed = api.http.post("/api/me/password", headers=bearer(token),
                            body=json.dumps({"current": ONE_TIME, "new": NEW}))
    assert changed.status_code == 200
    assert api.http.get("/api/cases", headers=bearer(token)).status_code == 401  # the old token ended
    assert api.http.get("/api/cases", headers=bearer(changed.json_body["token"])).status_code == 200
