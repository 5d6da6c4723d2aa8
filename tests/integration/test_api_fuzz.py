"""Every route × bad input, against the local stack: Schemathesis generates requests from docs/openapi.yaml —
valid ones and ones that break the description on purpose — for every operation, and each answer must be no
5xx and match the description (a listed status code, its content type, its body schema: errors carry
`{"error": {"code", "message", "details"}}`).

It runs as the admin koordinator (bearer token for /api, signed-in cookie and a valid `csrf` field for the
officer pages, so generated forms reach the views rather than stopping at the CSRF check), on the session's
private dynalite + `chalice local` (tests/integration/conftest.py). Deterministic (`derandomize`) and short:
FUZZ_EXAMPLES examples per operation and generation mode.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.integration.conftest import HttpClient

pytestmark = pytest.mark.integration

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
FUZZ_EXAMPLES = int(os.environ.get("ADUAN_FUZZ_EXAMPLES", "10"))  # more for a deeper run by hand
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
NO_CSRF = {"/petugas/keluar"}  # a valid token there would sign the fuzzing session out
FUZZ_USER = "admin.kominfo"
ROUTED_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
PUBLIC_API = {"/api/complaints", "/api/auth/login", "/api/media/{token}"}


@pytest.fixture(scope="session")
def fuzz_session(local_api, seeded) -> dict:
    """The admin's bearer token, web session cookie and that session's CSRF token."""
    password = next(d["password"] for d in seeded.logins if d["username"] == FUZZ_USER)
    api = HttpClient(local_api)
    token = api.post("/api/auth/login", json_body={"username": FUZZ_USER, "password": password}).json()["token"]
    web = HttpClient(local_api)
    form = web.get("/petugas/masuk").text
    login_csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    signed_in = web.post("/petugas/masuk", form={"csrf": login_csrf, "username": FUZZ_USER, "password": password})
    assert signed_in.status == 303, signed_in.text[:300]
    page = web.get("/petugas/akun").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    cookie = next(c for c in web.cookies if c.name == "aduan_sesi")
    return {"token": token, "cookie": f"aduan_sesi={cookie.value}", "csrf": csrf}


schema = schemathesis.openapi.from_path(str(OPENAPI))  # the base URL is the stack's, given per call


@schema.parametrize()
@settings(max_examples=FUZZ_EXAMPLES, derandomize=True, deadline=None, database=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
def test_no_route_answers_5xx_or_off_its_description(case, local_api, fuzz_session):
    if case.method.upper() not in ROUTED_METHODS:
        return  # TRACE & co. never reach the app: `chalice local` answers 501 itself, API Gateway 403
    # The generated credentials (random tokens, for the declared security schemes) would stop every request
    # at 401; the real session's go in their place, so the generated input reaches the views.
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() not in ("authorization", "cookie")}
    if case.path.startswith("/petugas"):
        headers["Cookie"] = fuzz_session["cookie"]
        headers.setdefault("Accept", "text/html,*/*")
        if isinstance(case.body, dict) and case.path not in NO_CSRF and case.method.upper() == "POST":
            case.body = {**case.body, "csrf": fuzz_session["csrf"]}
    elif case.path.startswith("/api/") and case.path not in PUBLIC_API:
        headers["Authorization"] = f"Bearer {fuzz_session['token']}"
    elif "Authorization" in (case.headers or {}):  # the SMS gateway's own token: keep what was generated
        headers["Authorization"] = case.headers["Authorization"]
    case.headers = headers
    case.cookies = {}
    case.call_and_validate(base_url=local_api, checks=CHECKS, timeout=30)
