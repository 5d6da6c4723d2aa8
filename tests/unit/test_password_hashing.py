"""Password hashes carry their own cost (OWASP's scrypt figures), old hashes still work, and a sign-in upgrades
a weaker hash — on the web form and on the API alike — without breaking the session it opens."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest

from chalicelib.domain.case import Role
from chalicelib.domain.officer import Officer
from chalicelib.services.auth import hash_password, needs_rehash, verify_password
from tests.unit.web_session import Browser
from tests.unit.web_session import text_of as text

PASSWORD = "sandi-lama-yang-panjang"


def legacy_hash(password: str) -> str:
    """The first format: `scrypt$salt$digest`, N=2^14, r=8, p=1 fixed in the code."""
    salt = uuid.uuid4().bytes
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt${salt.hex()}${digest.hex()}"


@pytest.fixture
def new_officer(ctx):
    """Factory: a fresh DPUPR officer whose stored hash is `stored` (sessions and throttles never leak)."""

    def make(stored: str, **fields) -> str:
        username = f"hash.{uuid.uuid4().hex[:8]}"
        ctx.directory.put_officer(
            Officer(username=username, display_name="Petugas Hash", role=Role.OPD, agency_id="dpupr", **fields),
            stored,
        )
        return username

    return make


def stored_hash(ctx, username: str) -> str:
    return ctx.directory.officer_with_password_hash(username)[1]


def api_login(api, username: str, password: str):
    return api.http.post("/api/auth/login", headers={"Content-Type": "application/json"},
                         body=json.dumps({"username": username, "password": password}))


# ---------------------------------------------------------------- the format


def test_a_new_hash_names_its_algorithm_and_cost_and_verifies():
    stored = hash_password(PASSWORD, ln=11)

    scheme, params, salt, digest = stored.split("$")
    assert (scheme, params) == ("scrypt", "ln=11,r=8,p=1")
    assert len(bytes.fromhex(salt)) == 16 and len(bytes.fromhex(digest)) == 32
    assert verify_password(PASSWORD, stored)
    assert not verify_password(PASSWORD + "x", stored)
    assert hash_password(PASSWORD, ln=11) != stored  # a fresh salt every time


def test_outside_the_test_stage_the_cost_is_owasps_and_it_computes_within_lambdas_memory(monkeypatch):
    from chalicelib.settings import get_settings, reset_settings

    monkeypatch.setenv("ADUAN_STAGE", "prod")
    monkeypatch.setenv("ADUAN_SESSION_SECRET", "a-secret-of-this-stage-only-0123456789")
    monkeypatch.delenv("ADUAN_SCRYPT_LN", raising=False)
    reset_settings()
    try:
        assert get_settings().scrypt_ln == 17
    finally:
        monkeypatch.undo()
        reset_settings()
    # N=2^17, r=8 needs 128 MiB: above hashlib's default limit, so the limit is raised for it
    stored = hash_password(PASSWORD, ln=17)
    assert stored.split("$")[1] == "ln=17,r=8,p=1"
    assert verify_password(PASSWORD, stored)


@pytest.mark.parametrize(("value", "expected"), [("12", 17), ("16", 17), ("18", 18)])
def test_outside_the_test_stage_the_cost_can_only_rise(monkeypatch, value, expected):
    from chalicelib.settings import get_settings, reset_settings

    monkeypatch.setenv("ADUAN_STAGE", "dev")
    monkeypatch.setenv("ADUAN_SESSION_SECRET", "a-secret-of-this-stage-only-0123456789")
    monkeypatch.setenv("ADUAN_SCRYPT_LN", value)
    reset_settings()
    try:
        assert get_settings().scrypt_ln == expected
    finally:
        monkeypatch.undo()
        reset_settings()


@pytest.mark.parametrize("value", ["3", "21", "tujuh"])
def test_a_cost_beyond_reason_stops_the_app_with_an_error_naming_the_variable(monkeypatch, value):
    from chalicelib.settings import get_settings, reset_settings

    monkeypatch.setenv("ADUAN_STAGE", "test")
    monkeypatch.setenv("ADUAN_SCRYPT_LN", value)
    reset_settings()
    try:
        with pytest.raises(RuntimeError, match="ADUAN_SCRYPT_LN"):
            get_settings()
    finally:
        monkeypatch.undo()
        reset_settings()


def test_old_format_hashes_still_verify_and_damaged_ones_never_crash():
    old = legacy_hash(PASSWORD)

    assert verify_password(PASSWORD, old)
    assert not verify_password("bukan-sandinya", old)
    assert needs_rehash(old, 10)  # the old format is always replaced at the next sign-in
    for damaged in ("", "scrypt", "bcrypt$x$y", "scrypt$zz$zz", "scrypt$ln=99,r=8,p=1$00$" + "00" * 32,
                    "scrypt$ln=10$00$" + "00" * 32, old.replace("scrypt$", "scrypt$ln=x,r=8,p=1$")):
        assert not verify_password(PASSWORD, damaged)
    assert not verify_password("\ud800", hash_password(PASSWORD, ln=10))  # a lone surrogate: wrong, not a crash


def test_only_a_weaker_hash_needs_replacing():
    assert needs_rehash(hash_password(PASSWORD, ln=9), 10)
    assert not needs_rehash(hash_password(PASSWORD, ln=10), 10)
    assert not needs_rehash(hash_password(PASSWORD, ln=11), 10)  # a cost is never lowered


# ---------------------------------------------------------------- upgrade on sign-in


def test_a_web_sign_in_with_an_old_format_hash_works_and_upgrades_it(api, ctx, new_officer):
    username = new_officer(legacy_hash(PASSWORD))
    browser = Browser(api)

    answer = browser.sign_in(username, PASSWORD)

    assert answer.status_code == 303
    assert "Petugas Hash" in text(browser.get("/petugas/akun"))  # the session opened by this sign-in works
    upgraded = stored_hash(ctx, username)
    assert upgraded.split("$")[:2] == ["scrypt", f"ln={ctx.settings.scrypt_ln},r=8,p=1"]
    assert verify_password(PASSWORD, upgraded)
    # signing in again changes nothing: the hash is as strong as today's
    assert Browser(api).sign_in(username, PASSWORD).status_code == 303
    assert stored_hash(ctx, username) == upgraded
    assert Browser(api).sign_in(username, PASSWORD).status_code == 303


def test_an_api_login_with_a_lower_cost_hash_upgrades_it_and_its_token_works(api, ctx, new_officer):
    weaker = hash_password(PASSWORD, ln=ctx.settings.scrypt_ln - 2)
    username = new_officer(weaker)

    answer = api_login(api, username, PASSWORD)

    assert answer.status_code == 200, answer.body
    me = api.http.get("/api/me", headers={"Authorization": f"Bearer {answer.json_body['token']}"})
    assert me.status_code == 200 and me.json_body["actor_id"] == f"officer:{username}"
    assert stored_hash(ctx, username).split("$")[1] == f"ln={ctx.settings.scrypt_ln},r=8,p=1"
    upgrades = [e for e in ctx.audit.list("account", "2026-11") if e.actor == username]
    assert [e.outcome for e in upgrades] == ["hash_sandi_diperbarui"]


def test_a_wrong_password_never_touches_the_stored_hash(api, ctx, new_officer):
    old = legacy_hash(PASSWORD)
    username = new_officer(old)

    assert Browser(api).sign_in(username, "bukan-sandinya").status_code == 401
    assert api_login(api, username, "bukan-sandinya").status_code == 401
    assert stored_hash(ctx, username) == old


def test_an_upgrade_keeps_the_duty_to_change_the_password(api, ctx, new_officer):
    username = new_officer(legacy_hash(PASSWORD), must_change_password=True)

    assert api_login(api, username, PASSWORD).status_code == 200

    assert stored_hash(ctx, username).split("$")[1] == f"ln={ctx.settings.scrypt_ln},r=8,p=1"
    assert ctx.accounts.must_change_password(username)


def test_a_token_newer_than_a_containers_cached_session_version_is_checked_not_refused(api, ctx, new_officer):
    # an upgrade (or a new password) made in another container moves the version on behind this one's cache
    import dataclasses

    from chalicelib.services.auth import issue_token

    username = new_officer(hash_password(PASSWORD, ln=ctx.settings.scrypt_ln))
    old_token = api_login(api, username, PASSWORD).json_body["token"]
    assert api.http.get("/api/me", headers={"Authorization": f"Bearer {old_token}"}).status_code == 200
    officer = ctx.directory.officer(username)
    version = ctx.accounts.set_password(username, hash_password(PASSWORD, ln=ctx.settings.scrypt_ln))
    new_token = issue_token(ctx, dataclasses.replace(officer, session_version=version))

    assert api.http.get("/api/me", headers={"Authorization": f"Bearer {new_token}"}).status_code == 200
    assert api.http.get("/api/me", headers={"Authorization": f"Bearer {old_token}"}).status_code == 401


def test_an_upgrade_keeps_the_officers_other_sessions(api, ctx, new_officer):
    # Given an officer signed in on the web with an old-format hash (the upgrade happens at this sign-in)
    username = new_officer(legacy_hash(PASSWORD))
    desk = Browser(api)
    assert desk.sign_in(username, PASSWORD).status_code == 303
    # and a cheaper hash again, as if the city raised the cost meanwhile, while the desk session lives on
    cheaper = hash_password(PASSWORD, ln=ctx.settings.scrypt_ln - 1)
    assert ctx.accounts.upgrade_password_hash(username, stored_hash(ctx, username), cheaper)
    # When the officer also logs in through the API (which upgrades the hash)
    assert api_login(api, username, PASSWORD).status_code == 200
    # Then the hash is today's, and the web session opened before still works: the password did not change
    assert stored_hash(ctx, username).split("$")[1] == f"ln={ctx.settings.scrypt_ln},r=8,p=1"
    assert "Petugas Hash" in text(desk.get("/petugas/akun"))


def test_an_upgrade_never_overwrites_a_password_changed_meanwhile(ctx, new_officer):
    username = new_officer(legacy_hash(PASSWORD))
    changed = hash_password("sandi-baru-yang-panjang", ln=ctx.settings.scrypt_ln)
    ctx.accounts.set_password(username, changed)
    assert not ctx.accounts.upgrade_password_hash(username, "scrypt$stale$hash", hash_password(PASSWORD))
    assert stored_hash(ctx, username) == changed
