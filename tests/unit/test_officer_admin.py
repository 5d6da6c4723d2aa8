"""Administering officers (issue 11): the admin koordinator (and, if the city allows, a supervisor for their own OPD)
creates, edits, deactivates / reactivates officers and resets passwords — through /api/admin/officers and the
pages under /petugas/admin/petugas. Every test makes its own officers (the demo officers are never changed)."""

from __future__ import annotations

import dataclasses
import json
import uuid

import pytest

from chalicelib.domain.case import Actor, Role
from tests.unit.web_session import Browser
from tests.unit.web_session import text_of as text

ADMIN = Actor("officer:admin.kominfo", Role.ADMIN, "diskominfo")
SUPERVISOR = Actor("officer:kabid.dpupr", Role.SUPERVISOR, "dpupr")


def unique(prefix: str = "uji") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:8]}"


def create(api, headers: dict, **fields) -> tuple[dict, str]:
    """POST /api/admin/officers; (the officer, the one-time password)."""
    body = {"username": unique(), "display_name": "Wahyu Santoso", "role": "opd", "agency_id": "dpupr",
            "phone": "0812-3456-7890", **fields}
    response = api.http.post("/api/admin/officers", headers=headers, body=json.dumps(body))
    assert response.status_code == 201, response.body
    return response.json_body["officer"], response.json_body["initial_password"]


def api_login(api, username: str, password: str):
    return api.http.post("/api/auth/login", headers={"Content-Type": "application/json"},
                         body=json.dumps({"username": username, "password": password}))


def bearer(api, username: str, password: str) -> dict:
    response = api_login(api, username, password)
    assert response.status_code == 200, response.body
    return {"Authorization": f"Bearer {response.json_body['token']}", "Content-Type": "application/json"}


def admin_entries(ctx, username: str) -> list:
    month = ctx.now().strftime("%Y-%m")
    return [e for e in ctx.audit.list("admin", month, limit=200) if f"petugas:{username};" in (e.detail or "")]


@pytest.fixture
def supervisors_allowed(ctx, monkeypatch):
    """The city lets supervisors manage their own OPD's officers (the setting, wherever it is read from)."""
    from chalicelib.services.context import set_context

    if hasattr(ctx.settings, "supervisors_manage_officers"):
        allowed = dataclasses.replace(ctx, settings=dataclasses.replace(ctx.settings, supervisors_manage_officers=True))
        set_context(allowed)
        yield allowed
        set_context(ctx)
    else:
        monkeypatch.setenv("ADUAN_SUPERVISORS_MANAGE_OFFICERS", "1")
        yield ctx


# ---------------------------------------------------------------- creating


def test_a_new_officer_gets_a_one_time_password_that_must_be_changed_at_first_sign_in(ctx, api, login):
    # Given the admin koordinator
    headers = login("admin.kominfo")
    # When they add an officer with a local phone number
    officer, password = create(api, headers, username="  Rina.Uji" + uuid.uuid4().hex[:6], display_name="Rina")
    # Then the username is stored in lower case, the phone in E.164, and a random password is shown once
    assert officer["username"] == officer["username"].lower() and officer["phone"] == "+6281234567890"
    assert officer["must_change_password"] is True and len(password) >= 16
    stored = ctx.directory.officer_with_password_hash(officer["username"])
    assert stored is not None and password not in stored[1]
    # And reading the officer again never shows it
    again = api.http.get(f"/api/admin/officers/{officer['username']}", headers=headers)
    assert again.status_code == 200 and password not in json.dumps(again.json_body)
    # When the officer signs in on the web with it, they are sent to change it first
    browser = Browser(api)
    answer = browser.sign_in(officer["username"], password)
    assert answer.status_code == 303 and answer.headers["Location"] == "/petugas/akun?ganti=1"
    # And the audit trail says who added whom, without the password
    entries = admin_entries(ctx, officer["username"])
    assert [e.outcome for e in entries] == ["petugas_dibuat"] and entries[0].actor == "admin.kominfo"
    assert password not in (entries[0].detail or "") and "6281234567890" not in (entries[0].detail or "")


def test_usernames_are_unique_whatever_their_case(api, login):
    headers = login("admin.kominfo")
    name = unique("wahyu.santoso")
    create(api, headers, username=name)
    # When a second officer is added as "Wahyu.Santoso…"
    second = api.http.post("/api/admin/officers", headers=headers, body=json.dumps({
        "username": name.replace("wahyu.santoso", "Wahyu.Santoso"), "display_name": "Wahyu Lain", "role": "opd",
        "agency_id": "dpupr", "phone": "081234567891"}))
    # Then it is refused as taken
    assert second.status_code == 409, second.body
    assert second.json_body["error"]["details"]["field"] == "username"


@pytest.mark.parametrize("fields, field", [
    ({"username": "a"}, "username"),
    ({"username": "nama dengan spasi"}, "username"),
    ({"display_name": "  "}, "display_name"),
    ({"role": "citizen"}, "role"),
    ({"agency_id": "tidak-ada"}, "agency_id"),
    ({"phone": "12345"}, "phone"),
    ({"phone": "", "alert_channel": "sms"}, "phone"),
    ({"alert_channel": "email"}, "email"),
    ({"email": "bukan-email"}, "email"),
    ({"alert_channel": "merpati"}, "alert_channel"),
])
def test_an_invalid_officer_is_refused_naming_the_field(api, login, fields, field):
    body = {"username": unique(), "display_name": "Uji", "role": "opd", "agency_id": "dpupr",
            "phone": "081234567890", **fields}
    response = api.http.post("/api/admin/officers", headers=login("admin.kominfo"), body=json.dumps(body))
    assert response.status_code == 400, response.body
    assert response.json_body["error"]["code"] == "validation_failed"
    assert response.json_body["error"]["details"]["field"] == field


@pytest.mark.parametrize("username", ["petugas.dpupr", "kabid.dpupr", "sekda"])
def test_other_roles_cannot_administer_officers(api, login, username):
    headers = login(username)
    assert api.http.get("/api/admin/officers", headers=headers).status_code == 403
    body = json.dumps({"username": unique(), "display_name": "X", "role": "opd", "agency_id": "dpupr",
                       "phone": "081234567890"})
    assert api.http.post("/api/admin/officers", headers=headers, body=body).status_code == 403
    assert api.http.post("/api/admin/officers/petugas.dlhkp/reset-password", headers=headers).status_code == 403


def test_an_unknown_officer_is_404(api, login):
    headers = login("admin.kominfo")
    assert api.http.get("/api/admin/officers/tidak.ada.siapa", headers=headers).status_code == 404
    edit = api.http.post("/api/admin/officers/tidak.ada.siapa", headers=headers,
                         body=json.dumps({"display_name": "X"}))
    assert edit.status_code == 404


# ---------------------------------------------------------------- listing


def test_the_list_filters_by_opd_role_and_activity(ctx, api, login):
    headers = login("admin.kominfo")
    agency = "dinsos"
    active, _ = create(api, headers, agency_id=agency, role="supervisor")
    gone, _ = create(api, headers, agency_id=agency, role="supervisor")
    assert api.http.post(f"/api/admin/officers/{gone['username']}/deactivate", headers=headers).status_code == 200

    def names(query: str) -> set[str]:
        response = api.http.get(f"/api/admin/officers?{query}", headers=headers)
        assert response.status_code == 200, response.body
        return {o["username"] for o in response.json_body["items"]}

    assert {active["username"], gone["username"]} <= names(f"agency={agency}&role=supervisor")
    assert active["username"] in names(f"agency={agency}&active=true")
    assert gone["username"] not in names(f"agency={agency}&active=true")
    assert gone["username"] in names(f"agency={agency}&active=false")
    assert active["username"] not in names(f"agency={agency}&role=opd")
    everyone = names("")  # every OPD, one Query each
    assert {"admin.kominfo", "sekda", active["username"]} <= everyone
    bad = api.http.get("/api/admin/officers?role=wali", headers=headers)
    assert bad.status_code == 400 and bad.json_body["error"]["details"]["field"] == "role"


# ---------------------------------------------------------------- editing


def test_editing_records_before_and_after_and_a_new_role_ends_the_old_token(ctx, api, login):
    headers = login("admin.kominfo")
    officer, password = create(api, headers, email="wahyu@kedirikota.go.id")
    token = bearer(api, officer["username"], password)
    # When the admin renames the officer and changes their phone
    edit = api.http.post(f"/api/admin/officers/{officer['username']}", headers=headers,
                         body=json.dumps({"display_name": "Wahyu S.", "phone": "+62 813 1111 2222"}))
    assert edit.status_code == 200, edit.body
    assert edit.json_body["display_name"] == "Wahyu S." and edit.json_body["phone"] == "+6281311112222"
    # Then the officer's token still works (neither role nor OPD moved)
    assert api.http.get("/api/me", headers=token).status_code == 200
    # When the admin makes them a supervisor of DLHKP
    moved = api.http.post(f"/api/admin/officers/{officer['username']}", headers=headers,
                          body=json.dumps({"role": "supervisor", "agency_id": "dlhkp"}))
    assert moved.status_code == 200 and moved.json_body["role"] == "supervisor"
    # Then the old token (carrying the old role and OPD) is refused
    assert api.http.get("/api/me", headers=token).status_code == 401
    # And the audit trail shows before → after, the phone masked
    details = " | ".join(e.detail or "" for e in admin_entries(ctx, officer["username"]))
    assert "nama Wahyu Santoso → Wahyu S." in details
    assert "peran opd → supervisor" in details and "OPD dpupr → dlhkp" in details
    assert "+6281311112222" not in details and "+6281234567890" not in details
    # And an edit naming nothing is refused
    empty = api.http.post(f"/api/admin/officers/{officer['username']}", headers=headers, body="{}")
    assert empty.status_code == 400


# ---------------------------------------------------------------- deactivating, reactivating


def test_deactivating_on_the_page_ends_the_officers_browser_and_token_at_once(ctx, api, login, web_as):
    headers = login("admin.kominfo")
    officer, password = create(api, headers)
    name = officer["username"]
    # Given the officer signed in on the web and holding an API token
    their_browser = Browser(api)
    assert their_browser.sign_in(name, password).status_code == 303
    assert their_browser.get("/petugas/akun").status_code == 200
    token = bearer(api, name, password)
    # When the admin deactivates them on the officer's page
    admin = web_as("admin.kominfo")
    page = admin.get(f"/petugas/admin/petugas/{name}")
    assert page.status_code == 200 and "Nonaktifkan petugas" in text(page)
    done = admin.post(f"/petugas/admin/petugas/{name}/status", {"aktif": "0"})
    assert done.status_code == 303
    assert "sudah berakhir" in text(admin.follow(done))
    # Then, right after, both the browser and the token are refused, and signing in again fails
    assert their_browser.get("/petugas/akun").status_code == 303
    assert api.http.get("/api/me", headers=token).status_code == 401
    assert api_login(api, name, password).status_code == 401
    # When the admin reactivates them, they can sign in again
    assert admin.post(f"/petugas/admin/petugas/{name}/status", {"aktif": "1"}).status_code == 303
    assert api_login(api, name, password).status_code == 200
    outcomes = [e.outcome for e in admin_entries(ctx, name)]
    assert "petugas_dinonaktifkan" in outcomes and "petugas_diaktifkan" in outcomes


def test_the_last_active_admin_can_be_neither_demoted_nor_deactivated(ctx, api, login, monkeypatch):
    # Given an admin of an agency of this test's own, seen as the city's only active admin
    headers = login("admin.kominfo")
    lone, password = create(api, headers, role="admin", agency_id="inspektorat")
    real = ctx.directory.officers_of

    def only_the_lone_admin(agency_id, role=None):
        return [o for o in real(agency_id, role) if o.role is not Role.ADMIN or o.username == lone["username"]]

    monkeypatch.setattr(ctx.directory, "officers_of", only_the_lone_admin)
    first = bearer(api, lone["username"], password)
    own = api.http.post("/api/me/password", headers=first,  # a one-time password opens nothing else
                        body=json.dumps({"current": password, "new": "sandi-admin-sendiri-2026"}))
    their = {**first, "Authorization": f"Bearer {own.json_body['token']}"}
    # When they demote themselves
    demote = api.http.post(f"/api/admin/officers/{lone['username']}", headers=their,
                           body=json.dumps({"role": "opd"}))
    # Then it is refused: the city would have no admin koordinator
    assert demote.status_code == 409, demote.body
    assert demote.json_body["error"]["details"]["field"] == "role"
    # And deactivating them is refused too (the service the pages use)
    from chalicelib.domain.errors import InvalidTransition
    from chalicelib.services.officer_admin import set_active

    with pytest.raises(InvalidTransition):
        set_active(ctx, ADMIN, lone["username"], False)
    assert ctx.directory.officer(lone["username"]).active
    # But with another active admin in view, the demotion goes through
    monkeypatch.setattr(ctx.directory, "officers_of", real)
    assert api.http.post(f"/api/admin/officers/{lone['username']}", headers=headers,
                         body=json.dumps({"role": "opd"})).status_code == 200


# ---------------------------------------------------------------- resetting a password


def test_a_password_reset_ends_every_session_and_forces_a_change(ctx, api, login, web_as):
    headers = login("admin.kominfo")
    officer, first = create(api, headers)
    name = officer["username"]
    their_browser = Browser(api)
    assert their_browser.sign_in(name, first).status_code == 303
    token = bearer(api, name, first)
    # When the admin resets the password on the officer's page
    admin = web_as("admin.kominfo")
    admin.get(f"/petugas/admin/petugas/{name}")
    page = admin.post(f"/petugas/admin/petugas/{name}/sandi", {})
    assert page.status_code == 200 and "hanya ditampilkan sekali" in text(page)
    import re

    shown = re.search(r'<strong class="kode">([^<]+)</strong>', text(page)).group(1)
    # Then the old browser, token and password no longer work, and the new one must be changed at sign-in
    assert their_browser.get("/petugas/akun").status_code == 303
    assert api.http.get("/api/me", headers=token).status_code == 401
    assert api_login(api, name, first).status_code == 401
    again = Browser(api).sign_in(name, shown)
    assert again.status_code == 303 and again.headers["Location"] == "/petugas/akun?ganti=1"
    entries = admin_entries(ctx, name)
    assert "sandi_disetel_ulang" in [e.outcome for e in entries]
    assert all(shown not in (e.detail or "") and first not in (e.detail or "") for e in entries)
    # And through the API the reset answers the new password once
    reset = api.http.post(f"/api/admin/officers/{name}/reset-password", headers=headers)
    assert reset.status_code == 200 and reset.json_body["initial_password"] != shown


# ---------------------------------------------------------------- supervisors, if the city allows


def test_the_city_setting_is_read_from_settings_or_else_the_environment(ctx, monkeypatch):
    from chalicelib.services.officer_admin import supervisors_manage_officers

    # Off by default: supervisors get a 403 (test_other_roles_cannot_administer_officers)
    monkeypatch.delenv("ADUAN_SUPERVISORS_MANAGE_OFFICERS", raising=False)
    assert supervisors_manage_officers(ctx) is False
    if not hasattr(ctx.settings, "supervisors_manage_officers"):
        monkeypatch.setenv("ADUAN_SUPERVISORS_MANAGE_OFFICERS", "true")
        assert supervisors_manage_officers(ctx) is True


def test_an_allowed_supervisor_manages_opd_officers_of_their_own_opd(supervisors_allowed, api, login):
    from chalicelib.domain.errors import NotPermitted
    from chalicelib.services import officer_admin

    ctx = supervisors_allowed
    admin_headers = login("admin.kominfo")
    own, _ = create(api, admin_headers, agency_id="dpupr")
    other, _ = create(api, admin_headers, agency_id="dlhkp")
    supervisor = login("kabid.dpupr")
    # Then they see their own OPD's officers only, never its admins
    listed = api.http.get("/api/admin/officers", headers=supervisor)
    assert listed.status_code == 200
    names = {o["username"] for o in listed.json_body["items"]}
    assert own["username"] in names and other["username"] not in names and "admin.kominfo" not in names
    assert api.http.get("/api/admin/officers?agency=dlhkp", headers=supervisor).status_code == 403
    # And they may edit and deactivate an officer of their OPD
    edit = api.http.post(f"/api/admin/officers/{own['username']}", headers=supervisor,
                         body=json.dumps({"display_name": "Nama Baru"}))
    assert edit.status_code == 200
    assert officer_admin.set_active(ctx, SUPERVISOR, own["username"], False) == {"username": own["username"],
                                                                                 "active": False}
    # But not another OPD's officer, not a move to another OPD, not an admin
    assert api.http.get(f"/api/admin/officers/{other['username']}", headers=supervisor).status_code == 403
    move = api.http.post(f"/api/admin/officers/{own['username']}", headers=supervisor,
                         body=json.dumps({"agency_id": "dlhkp"}))
    assert move.status_code == 403
    promote = api.http.post("/api/admin/officers", headers=supervisor, body=json.dumps({
        "username": unique(), "display_name": "X", "role": "admin", "agency_id": "dpupr", "phone": "081234567890"}))
    assert promote.status_code == 403
    with pytest.raises(NotPermitted):
        officer_admin.set_active(ctx, SUPERVISOR, "admin.kominfo", False)
    created = api.http.post("/api/admin/officers", headers=supervisor, body=json.dumps({
        "username": unique(), "display_name": "Staf", "role": "opd", "agency_id": "dpupr", "phone": "081234567890"}))
    assert created.status_code == 201


# ---------------------------------------------------------------- pages


def test_the_pages_list_add_and_edit_officers(ctx, web_as):
    admin = web_as("admin.kominfo")
    listing = admin.get("/petugas/admin/petugas", agency="dpupr")
    assert listing.status_code == 200 and "petugas.dpupr" in text(listing) and "Tambah petugas" in text(listing)
    # A form missing the name comes back with the field's message
    name = unique("halaman")
    refused = admin.post("/petugas/admin/petugas", {"username": name, "display_name": "", "role": "opd",
                                                    "agency_id": "dpupr", "phone": "081234567890",
                                                    "alert_channel": "sms"})
    assert refused.status_code == 400 and "Isi nama petugas." in text(refused)
    # A complete one shows the one-time password once
    added = admin.post("/petugas/admin/petugas", {"username": name, "display_name": "Sari", "role": "opd",
                                                  "agency_id": "dpupr", "phone": "081234567890",
                                                  "alert_channel": "sms"})
    assert added.status_code == 200 and "Kata sandi sekali pakai" in text(added)
    # Editing on the officer's page saves and says so
    admin.get(f"/petugas/admin/petugas/{name}")
    saved = admin.post(f"/petugas/admin/petugas/{name}", {"display_name": "Sari Dewi", "role": "opd",
                                                         "agency_id": "dpupr", "phone": "081234567890", "email": ""})
    assert saved.status_code == 303
    assert "Sari Dewi" in text(admin.follow(saved))
    # Other roles get a 403 page
    opd = web_as("petugas.dpupr")
    assert opd.get("/petugas/admin/petugas").status_code == 403


def test_admin_changes_are_listed_on_the_audit_page(ctx, api, login, web_as, monkeypatch):
    from chalicelib.services.officer_account import AUDIT_KINDS

    if "admin" not in AUDIT_KINDS:  # the shared map gets its entry at integration; until then, as it will be
        monkeypatch.setitem(AUDIT_KINDS, "admin", "Administrasi kota (petugas, OPD, kategori, kalender)")
    officer, _ = create(api, login("admin.kominfo"))
    page = web_as("admin.kominfo").get("/petugas/audit", jenis="admin", bulan=ctx.now().strftime("%Y-%m"))
    assert page.status_code == 200 and f"petugas:{officer['username']}" in text(page)
