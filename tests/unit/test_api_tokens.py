"""API tokens are short-lived and renewable until the sign-in is 12 hours old, and an officer can sign out
everywhere: every token and web session of theirs ends at once."""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest

from chalicelib.domain.case import Role
from chalicelib.domain.officer import Officer
from chalicelib.services.auth import hash_password
from tests.unit.web_session import Browser

PASSWORD = "sandi-token-yang-panjang"


@pytest.fixture
def officer(ctx):
    username = f"token.{uuid.uuid4().hex[:8]}"
    ctx.directory.put_officer(Officer(username, "Petugas Token", Role.OPD, "dpupr"),
                              hash_password(PASSWORD, ln=ctx.settings.scrypt_ln))
    return username


def login(api, username):
    answer = api.http.post("/api/auth/login", headers={"Content-Type": "application/json"},
                           body=json.dumps({"username": username, "password": PASSWORD}))
    assert answer.status_code == 200, answer.body
    return answer.json_body["token"]


def bearer(token):
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def claims(token):
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def test_a_token_lives_an_hour_and_is_renewed_for_the_same_sign_in(api, officer):
    token = login(api, officer)
    first = claims(token)
    assert first["exp"] - first["at"] == 3600
    renewed = api.http.post("/api/auth/refresh", headers=bearer(token))
    assert renewed.status_code == 200
    fresh = renewed.json_body["token"]
    assert claims(fresh)["at"] == first["at"]  # the same sign-in
    assert api.http.get("/api/me", headers=bearer(fresh)).status_code == 200


def test_renewal_stops_twelve_hours_after_sign_in(api, ctx, officer):
    from chalicelib.services.auth import issue_token

    # Given a token renewed all day long: still within its hour, but from a sign-in 12 hours and a minute ago
    signed_in = int(time.time()) - 12 * 3600 - 60
    token = issue_token(ctx, ctx.directory.officer(officer), signed_in_at=signed_in)
    assert api.http.get("/api/me", headers=bearer(token)).status_code == 200
    # Then it is not renewed: the officer signs in again
    refused = api.http.post("/api/auth/refresh", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.json_body["error"]["code"] == "not_authenticated"
    # while one from a sign-in 11 hours ago is
    recent = issue_token(ctx, ctx.directory.officer(officer), signed_in_at=int(time.time()) - 11 * 3600)
    assert api.http.post("/api/auth/refresh", headers=bearer(recent)).status_code == 200


def test_no_token_or_a_forged_one_renews_nothing(api, officer):
    assert api.http.post("/api/auth/refresh", headers={"Content-Type": "application/json"}).status_code == 401
    token = login(api, officer)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert api.http.post("/api/auth/refresh", headers=bearer(forged)).status_code == 401


def test_signing_out_ends_every_token_and_web_session_of_the_officer(api, ctx, officer):
    # Given the officer on the web and with two API tokens
    desk = Browser(api)
    assert desk.sign_in(officer, PASSWORD).status_code == 303
    phone, laptop = login(api, officer), login(api, officer)
    # When one token signs out
    out = api.http.post("/api/auth/logout", headers=bearer(phone))
    assert out.status_code == 204
    # Then every token and the web session have ended, and renewing one is refused
    for token in (phone, laptop):
        assert api.http.get("/api/me", headers=bearer(token)).status_code == 401
        assert api.http.post("/api/auth/refresh", headers=bearer(token)).status_code == 401
    assert desk.get("/petugas/akun").status_code == 303  # back to the sign-in page
    assert [e.outcome for e in ctx.audit.list("account", ctx.now().strftime("%Y-%m"))
            if e.actor == officer] == ["keluar_semua_sesi"]
    # and signing in again works
    assert api.http.get("/api/me", headers=bearer(login(api, officer))).status_code == 200
