"""Authorization matrix: every officer route × role × own / other agency's case, generated from `app.routes`.

The only hand-kept part is RULES: which roles each officer route admits at the route level. A route in the
app without a rule (or a rule without a route) fails `test_every_officer_route_has_a_rule`, so a new route
gets its rule here, next to its OpenAPI entry in docs/openapi.yaml. The expectation of each cell follows:

- no session                          → 401 (JSON) / 303 to /petugas/masuk (pages)
- a role the route does not admit     → 403
- a case route, the case of another agency, for an OPD officer or supervisor → 404 (never revealed)
- otherwise the route is reached      → anything but 401/403 (and, on a case route, 404), never a 5xx

Requests are built not to change anything that matters: actions carry a stale version (409), forms are
empty (400), accounts touched are a throw-away officer's. What each role may *do* to a case, action by
action, is the domain's business (tests/unit/test_lifecycle.py); this matrix proves who reaches what.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass

import pytest

from chalicelib.domain.case import Actor, Reporter, Role

ADMIN, OPD, SUPERVISOR, LEADERSHIP = "admin", "opd", "supervisor", "leadership"
EVERY_OFFICER = frozenset({ADMIN, OPD, SUPERVISOR, LEADERSHIP})
PUBLIC = None  # reachable without a session (signing in, signing out, public pages)
ADMIN_ONLY = frozenset({ADMIN})
ADMIN_SUPERVISOR = frozenset({ADMIN, SUPERVISOR})
CASE_WORKERS = frozenset({ADMIN, OPD, SUPERVISOR})  # enter complaints, keep reply templates

# (method, path) -> the roles that reach it. New officer routes get their rule here.
RULES: dict[tuple[str, str], frozenset[str] | None] = {
    ("POST", "/api/auth/login"): PUBLIC,
    ("POST", "/api/auth/refresh"): EVERY_OFFICER,
    ("POST", "/api/auth/logout"): EVERY_OFFICER,
    ("GET", "/api/me"): EVERY_OFFICER,
    ("POST", "/api/me/line-link"): EVERY_OFFICER,
    ("POST", "/api/me/password"): EVERY_OFFICER,
    ("GET", "/api/directory"): EVERY_OFFICER,
    ("GET", "/api/categories/suggest"): EVERY_OFFICER,
    ("GET", "/api/cases"): EVERY_OFFICER,
    ("POST", "/api/cases"): CASE_WORKERS,
    ("GET", "/api/cases/{case_id}"): EVERY_OFFICER,
    ("POST", "/api/cases/{case_id}/actions/{action}"): EVERY_OFFICER,  # each action's own rule: the domain's
    ("GET", "/api/media/{token}"): PUBLIC,  # the signed link is the credential (bound to an officer)
    ("GET", "/api/dashboard"): EVERY_OFFICER,
    ("GET", "/api/rekap"): EVERY_OFFICER,
    ("GET", "/api/outbox/failed"): ADMIN_SUPERVISOR,
    ("POST", "/api/outbox/{message_id}/retry"): ADMIN_SUPERVISOR,
    ("POST", "/api/agencies/{agency_id}/line-group-code"): ADMIN_SUPERVISOR,
    ("POST", "/api/admin/officers/{username}/deactivate"): ADMIN_ONLY,
    ("POST", "/api/admin/officers/{username}/activate"): ADMIN_ONLY,
    ("POST", "/api/admin/privacy/export"): ADMIN_ONLY,
    ("POST", "/api/admin/privacy/erase"): ADMIN_ONLY,
    ("GET", "/api/admin/officers"): ADMIN_ONLY,  # + supervisors of their own OPD if ADUAN_SUPERVISORS_MANAGE_OFFICERS
    ("POST", "/api/admin/officers"): ADMIN_ONLY,
    ("GET", "/api/admin/officers/{username}"): ADMIN_ONLY,
    ("POST", "/api/admin/officers/{username}"): ADMIN_ONLY,
    ("POST", "/api/admin/officers/{username}/reset-password"): ADMIN_ONLY,
    ("GET", "/petugas/admin/petugas"): ADMIN_ONLY,
    ("POST", "/petugas/admin/petugas"): ADMIN_ONLY,
    ("GET", "/petugas/admin/petugas/{username}"): ADMIN_ONLY,
    ("POST", "/petugas/admin/petugas/{username}"): ADMIN_ONLY,
    ("POST", "/petugas/admin/petugas/{username}/status"): ADMIN_ONLY,
    ("POST", "/petugas/admin/petugas/{username}/sandi"): ADMIN_ONLY,
    ("GET", "/api/admin/calendar"): ADMIN_ONLY,
    ("POST", "/api/admin/calendar/days"): ADMIN_ONLY,
    ("POST", "/api/admin/calendar/days/{day}/delete"): ADMIN_ONLY,
    ("POST", "/api/admin/calendar/withdrawn"): ADMIN_ONLY,
    ("POST", "/api/admin/calendar/withdrawn/{day}/restore"): ADMIN_ONLY,
    ("POST", "/api/admin/calendar/recompute"): ADMIN_ONLY,
    ("GET", "/petugas/admin/kalender"): ADMIN_ONLY,
    ("POST", "/petugas/admin/kalender"): ADMIN_ONLY,
    ("GET", "/api/admin/agencies"): ADMIN_ONLY,
    ("POST", "/api/admin/agencies"): ADMIN_ONLY,
    ("GET", "/api/admin/agencies/{agency_id}"): ADMIN_ONLY,
    ("POST", "/api/admin/agencies/{agency_id}"): ADMIN_ONLY,
    ("POST", "/api/admin/agencies/{agency_id}/delete"): ADMIN_ONLY,
    ("GET", "/api/admin/categories"): ADMIN_ONLY,
    ("POST", "/api/admin/categories"): ADMIN_ONLY,
    ("GET", "/api/admin/categories/{category_id}"): ADMIN_ONLY,
    ("POST", "/api/admin/categories/{category_id}"): ADMIN_ONLY,
    ("GET", "/petugas/admin/opd"): ADMIN_ONLY,
    ("POST", "/petugas/admin/opd"): ADMIN_ONLY,
    ("GET", "/petugas/admin/opd/{agency_id}"): ADMIN_ONLY,
    ("POST", "/petugas/admin/opd/{agency_id}"): ADMIN_ONLY,
    ("POST", "/petugas/admin/opd/{agency_id}/status"): ADMIN_ONLY,
    ("POST", "/petugas/admin/opd/{agency_id}/hapus"): ADMIN_ONLY,
    ("GET", "/petugas/admin/kategori"): ADMIN_ONLY,
    ("POST", "/petugas/admin/kategori"): ADMIN_ONLY,
    ("GET", "/petugas/admin/kategori/{category_id}"): ADMIN_ONLY,
    ("POST", "/petugas/admin/kategori/{category_id}"): ADMIN_ONLY,
    ("POST", "/petugas/admin/kategori/{category_id}/status"): ADMIN_ONLY,
    ("GET", "/petugas/masuk"): PUBLIC,
    ("POST", "/petugas/masuk"): PUBLIC,
    ("POST", "/petugas/keluar"): PUBLIC,
    ("GET", "/petugas"): EVERY_OFFICER,
    ("GET", "/petugas/akun"): EVERY_OFFICER,
    ("POST", "/petugas/akun/sandi"): EVERY_OFFICER,
    ("POST", "/petugas/akun/notifikasi"): EVERY_OFFICER,
    ("POST", "/petugas/akun/peringatan"): EVERY_OFFICER,
    ("POST", "/petugas/akun/line"): EVERY_OFFICER,
    ("POST", "/petugas/akun/grup-line"): ADMIN_SUPERVISOR,
    ("POST", "/petugas/akun/grup-line/preferensi"): ADMIN_SUPERVISOR,
    ("GET", "/petugas/kotak-keluar"): ADMIN_SUPERVISOR,
    ("POST", "/petugas/kotak-keluar/kirim-ulang"): ADMIN_SUPERVISOR,
    ("GET", "/petugas/audit"): ADMIN_ONLY,
    ("GET", "/petugas/admin/privasi"): ADMIN_ONLY,
    ("POST", "/petugas/admin/privasi"): ADMIN_ONLY,
    ("GET", "/petugas/kasus/baru"): CASE_WORKERS,
    ("POST", "/petugas/kasus/baru"): CASE_WORKERS,
    ("GET", "/petugas/kasus/{nomor}"): EVERY_OFFICER,
    ("POST", "/petugas/kasus/{nomor}/aksi/{action}"): EVERY_OFFICER,
    ("POST", "/petugas/kasus/{nomor}/balas"): CASE_WORKERS,  # leadership reads, never answers
    ("POST", "/petugas/kasus/{nomor}/identitas"): ADMIN_ONLY,
    ("GET", "/petugas/media/{token}"): EVERY_OFFICER,
    ("GET", "/petugas/templat"): CASE_WORKERS,
    ("POST", "/petugas/templat"): CASE_WORKERS,
    ("POST", "/petugas/templat/hapus"): CASE_WORKERS,
    ("GET", "/petugas/dasbor"): EVERY_OFFICER,
    ("GET", "/petugas/rekap"): EVERY_OFFICER,
}

OFFICER_PREFIXES = ("/api/", "/petugas")
NOT_OFFICER_ROUTES = {("POST", "/api/complaints")}  # the public complaint form's JSON API (docs/openapi.yaml)
CASE_PARAMETERS = ("case_id", "nomor")  # a route naming one of these is about one case: own / other agency
USERS = {ADMIN: "admin.kominfo", OPD: "petugas.dpupr", SUPERVISOR: "kabid.dpupr", LEADERSHIP: "sekda"}
SEES_EVERY_AGENCY = {ADMIN, LEADERSHIP}
HIDDEN_FROM = {OPD, SUPERVISOR}  # the agency-bound roles: another agency's case is 404 to them


def officer_routes() -> list[tuple[str, str]]:
    from app import app

    return sorted((method, path) for path, methods in app.routes.items() for method in methods
                  if path.startswith(OFFICER_PREFIXES) and (method, path) not in NOT_OFFICER_ROUTES)


@dataclass(frozen=True)
class Cell:
    method: str
    path: str
    role: str | None  # None: no session
    scope: str  # "own" or "other" agency's case or agency ("-" for routes about neither)

    @property
    def web(self) -> bool:
        return self.path.startswith("/petugas")

    @property
    def about_a_case(self) -> bool:
        return any("{" + name + "}" in self.path for name in CASE_PARAMETERS)

    @property
    def about_an_agency(self) -> bool:
        return "{agency_id}" in self.path

    def expected(self) -> str:
        """"401", "403", "404", "reached" or "any" (a public route) — what the rules say this cell answers."""
        roles = RULES[(self.method, self.path)]
        if roles is PUBLIC:
            return "any"  # its own credential decides (a password, a signed link, a sign-in form token)
        if self.role is None:
            return "401"
        if self.role not in roles:
            return "403"
        if self.scope == "other" and self.role in HIDDEN_FROM:
            return "404" if self.about_a_case else "403"  # a case is hidden; an agency is public knowledge
        return "reached"


def cells() -> list[Cell]:
    found = []
    for method, path in officer_routes():
        scoped = "{agency_id}" in path or any("{" + n + "}" in path for n in CASE_PARAMETERS)
        for role in (ADMIN, OPD, SUPERVISOR, LEADERSHIP, None):
            found.extend(Cell(method, path, role, scope) for scope in (("own", "other") if scoped else ("-",)))
    return found


def outcome(cell: Cell, response) -> str:
    """The answer in the matrix's terms."""
    status = response.status_code
    assert status < 500, (cell, status, response.body[:300])
    if cell.web and status == 303 and "/petugas/masuk" in response.headers.get("Location", "") \
            and not cell.path.startswith(("/petugas/masuk", "/petugas/keluar")):
        return "401"
    if status in (401, 403):
        return str(status)
    if status == 404 and cell.about_a_case:
        return "404"
    return "reached"


# ---------------------------------------------------------------- the route table itself


def test_every_officer_route_has_a_rule():
    routes = set(officer_routes())
    assert routes - set(RULES) == set(), "new officer route(s): add their rule to RULES (and docs/openapi.yaml)"
    assert set(RULES) - routes == set(), "rule(s) for routes that no longer exist"


def test_the_rules_agree_with_the_roles_each_page_declares():
    """`officer_page(..., roles=...)` refuses other roles before the view runs: the table may not admit more
    (a service may refuse further, e.g. leadership's replies)."""
    from app import app

    for path, methods in app.routes.items():
        for method, entry in methods.items():
            declared = getattr(entry.view_function, "officer_roles", "undeclared")
            if declared == "undeclared" or (method, path) not in RULES:
                continue
            assert RULES[(method, path)] <= (declared or EVERY_OFFICER), (method, path)


# ---------------------------------------------------------------- the matrix


@pytest.fixture
def world(ctx):
    """One case of DPUPR (own, for the DPUPR officer and supervisor) and one of DLHKP (another agency's), a
    throw-away officer for the admin routes, and a failed message."""
    from chalicelib.domain.officer import Officer
    from chalicelib.services import workflow
    from chalicelib.services.auth import hash_password
    admin = Actor("officer:admin.kominfo", Role.ADMIN, "diskominfo")

    def case_of(agency: str) -> str:
        reporter = Reporter(name="Warga Uji", phone="+6281390001111")
        case = workflow.create_case_from_entry(ctx, admin, channel="telepon", idempotency_key=uuid.uuid4().hex,
                                               description=f"Matriks otorisasi: kasus {agency}", reporter=reporter)
        return workflow.forward_case(ctx, admin, case.case_id, case.version, lead_agency=agency).case_id

    throwaway = f"matriks.{uuid.uuid4().hex[:8]}"
    ctx.directory.put_officer(Officer(throwaway, "Petugas Matriks", Role.OPD, "dlhkp"), hash_password("x" * 16))
    ctx.forget_directory()
    return {"own": case_of("dpupr"), "other": case_of("dlhkp"), "officer": throwaway}


def concrete(cell: Cell, world: dict) -> str:
    values = {
        "case_id": world.get(cell.scope, world["own"]), "nomor": world.get(cell.scope, world["own"]),
        "action": "arsipkan", "token": "tautan-tidak-sah", "message_id": "update:TIDAK-ADA:1",
        "day": "2031-01-02", "category_id": "jalan-jembatan",
        "agency_id": "dlhkp" if cell.scope == "other" else "dpupr", "username": world["officer"],
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], cell.path)


WEB_FORMS = {  # what a form needs to reach its route's decision, and to be refused (400) before it changes anything
    "/petugas/kasus/{nomor}/aksi/{action}": {"version": "999999", "note": "matriks"},
    "/petugas/akun/peringatan": {"quiet_start": "21:00"},  # no end time: 400 (empty would save "no alerts")
    "/petugas/akun/grup-line": {"agency_id": "dpupr"},
    "/petugas/akun/grup-line/preferensi": {"agency_id": "dpupr", "quiet_start": "21:00"},
}
API_BODIES = {
    "/api/cases/{case_id}/actions/{action}": {"version": 999_999, "note": "matriks"},
}


def call(cell: Cell, world: dict, api, headers: dict, browser):
    path = concrete(cell, world)
    if cell.web:
        if cell.role is None:
            accept = {"Accept": "text/html", "Content-Type": "application/x-www-form-urlencoded"}
            return api.http.get(path, headers=accept) if cell.method == "GET" else \
                api.http.post(path, headers=accept, body="")
        if cell.method == "GET":
            return browser.get(path)
        return browser.post(path, WEB_FORMS.get(cell.path, {}))
    body = json.dumps(API_BODIES.get(cell.path, {}))
    if cell.method == "GET":
        return api.http.get(path, headers=headers)
    return api.http.post(path, headers=headers, body=body)


# would end the shared browser's session / the role's token: their own tests (below, test_api_tokens.py)
SKIP_SIGNED_IN = {("POST", "/petugas/keluar"), ("POST", "/api/auth/logout")}


def preferences(ctx) -> dict:
    """What the demo officers chose for their alerts (the matrix must leave it as it found it)."""
    ctx.forget_directory()
    return {o.username: (o.alert_channel, o.alert_kinds, o.quiet_hours, o.urgent_at_night, o.personal_with_group)
            for agency in ("diskominfo", "dpupr", "setda") for o in ctx.officers_of(agency)}


def test_the_authorization_matrix(ctx, api, login, web_as, world):
    before = preferences(ctx)
    headers = {role: login(user) for role, user in USERS.items()}
    headers[None] = {"Content-Type": "application/json"}
    browsers = {role: web_as(user) for role, user in USERS.items()}
    browsers[None] = None
    wrong = []
    table = []
    for cell in cells():
        if (cell.method, cell.path) in SKIP_SIGNED_IN and cell.role is not None:
            continue
        got = outcome(cell, call(cell, world, api, headers[cell.role], browsers[cell.role]))
        table.append(f"{cell.method:4} {cell.path:48} {cell.role or 'no session':10} {cell.scope:5} {got}")
        if cell.expected() != "any" and got != cell.expected():
            wrong.append(f"{table[-1]}  (expected {cell.expected()})")
    print("\n".join(table))
    assert not wrong, "\n".join(wrong)
    assert preferences(ctx) == before


def test_signing_out_needs_nothing_but_ends_only_ones_own_session(api, web_as):
    browser = web_as("petugas.dpupr")
    assert browser.post("/petugas/keluar", {}).status_code == 303
    assert browser.get("/petugas/akun").status_code == 303  # signed out
