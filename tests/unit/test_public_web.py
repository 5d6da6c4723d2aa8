"""The public side a citizen uses: the complaint form (with its CSRF token), the JSON API, the tracking page."""

from __future__ import annotations

import json
import re
import uuid

from chalicelib.domain.case import Reporter
from chalicelib.services import workflow


def submit_json(api, **fields):
    body = {"idempotency_key": uuid.uuid4().hex, "description": "Jalan berlubang di depan SDN Banjaran 2",
            "name": "Ibu Wati", "phone": "0812-3456-0099", **fields}
    return api.http.post("/api/complaints", headers={"Content-Type": "application/json"}, body=json.dumps(body))


def multipart(fields: dict, boundary="----aduanboundary"):
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n')
    return ("".join(parts) + f"--{boundary}--\r\n").encode(), f"multipart/form-data; boundary={boundary}"


def test_the_json_api_opens_a_case_and_returns_the_tracking_number(api, intake_ctx):
    response = submit_json(api)
    assert response.status_code == 201
    number = response.json_body["tracking_number"]
    assert response.json_body["tracking_url"].endswith(f"/lacak/{number}")
    case = intake_ctx.cases.get(number)
    assert case.channel.value == "web" and case.reporter.phone == "+6281234560099"


def test_the_same_submission_twice_is_one_case(api, intake_ctx):
    key = uuid.uuid4().hex
    first = submit_json(api, idempotency_key=key)
    second = submit_json(api, idempotency_key=key)
    assert first.json_body["tracking_number"] == second.json_body["tracking_number"]


def test_invalid_submissions_name_the_field(api, intake_ctx):
    short = submit_json(api, description="pendek")
    assert short.status_code == 400 and short.json_body["error"]["details"]["field"] == "description"
    outside = submit_json(api, latitude=51.5, longitude=-0.12)
    assert outside.status_code == 400


def test_the_form_page_is_indonesian_with_csp_and_a_csrf_cookie(api, intake_ctx):
    page = api.http.get("/lapor")
    assert page.status_code == 200
    html = page.body.decode()
    assert 'lang="id"' in html and "Sampaikan Laporan" in html
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    token = re.search(r"aduan_csrf=([^;]+)", cookie).group(1)
    assert f'value="{token}"' in html


def test_a_browser_post_with_the_matching_token_shows_the_tracking_number(api, intake_ctx):
    page = api.http.get("/lapor")
    token = re.search(r"aduan_csrf=([^;]+)", page.headers["Set-Cookie"]).group(1)
    body, content_type = multipart({"csrf_token": token, "idempotency_key": uuid.uuid4().hex,
                                    "description": "Sampah menumpuk di TPS Jl. Mayor Bismo", "website": ""})
    ok = api.http.post("/api/complaints", body=body,
                       headers={"Content-Type": content_type, "Cookie": f"aduan_csrf={token}"})
    assert ok.status_code == 201
    assert re.search(r"KDR-\d{4}-[0-9A-Z]{7}", ok.body.decode())


def test_a_browser_post_without_the_cookie_is_refused_and_nothing_is_stored(api, intake_ctx):
    key = uuid.uuid4().hex
    body, content_type = multipart({"csrf_token": "forged", "idempotency_key": key,
                                    "description": "Sampah menumpuk di TPS Jl. Mayor Bismo"})
    refused = api.http.post("/api/complaints", body=body, headers={"Content-Type": content_type})
    assert refused.status_code == 403
    assert "Sampah menumpuk" in refused.body.decode()  # the form comes back filled in
    assert intake_ctx.events.get(f"web:{key}") is None


def test_the_tracking_page_shows_progress_but_never_the_reporter(api, intake_ctx, admin, dpupr_officer):
    case = workflow.create_case_from_entry(
        intake_ctx, admin, channel="telepon", description="Jalan amblas di Jl. Semeru",
        idempotency_key=uuid.uuid4().hex, reporter=Reporter(name="Rahasia Sekali", phone="+6281234560100"),
    )
    case = workflow.forward_case(intake_ctx, admin, case.case_id, 1, lead_agency="dpupr", note="internal: cepat")
    workflow.record_follow_up(intake_ctx, dpupr_officer, case.case_id, case.version,
                              note="Perbaikan dijadwalkan Kamis.")
    page = api.http.get(f"/lacak/{case.case_id.lower()}")
    html = page.body.decode()
    assert page.status_code == 200
    assert "Perbaikan dijadwalkan Kamis." in html and "Dinas Pekerjaan Umum" in html
    assert "Rahasia Sekali" not in html and "6281234560100" not in html
    assert "internal: cepat" not in html
    assert api.http.get("/lacak/KDR-0000-0000000").status_code == 404


def test_a_rahasia_case_shows_only_status_and_dates(api, intake_ctx, admin, dpupr_officer):
    case = workflow.create_case_from_entry(
        intake_ctx, admin, channel="tatap_muka", description="Dugaan pungli di loket perizinan",
        idempotency_key=uuid.uuid4().hex, confidential=True,
    )
    case = workflow.forward_case(intake_ctx, admin, case.case_id, 1, lead_agency="dpupr")
    workflow.record_follow_up(intake_ctx, dpupr_officer, case.case_id, case.version, note="Oknum sudah diperiksa.")
    html = api.http.get(f"/lacak/{case.case_id}").body.decode()
    assert "Oknum sudah diperiksa." not in html and "pungli" not in html.lower()
    assert "rahasia" in html.lower()


def test_static_assets_and_lookup_redirect(api, intake_ctx):
    css = api.http.get("/static/aduan.css")
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    assert api.http.get("/static/..%2Fapp.py").status_code == 404
    redirect = api.http.get("/lacak?nomor=KDR-2611-ABCDEF0")
    assert redirect.status_code == 303 and redirect.headers["Location"].endswith("/lacak/KDR-2611-ABCDEF0")
