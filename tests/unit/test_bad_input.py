"""Bad input never gets a 500: each case here was reproduced as a 500 before (issue 10, item 7).

JSON routes answer a 4xx with `{"error": {"code", "message", "details"}}`; officer pages answer an HTML
error page with a 4xx (or, without a valid session, the redirect to the sign-in page).
"""

from __future__ import annotations

import json

import pytest

JSON = {"Content-Type": "application/json"}
DEEP_ARRAY = "[" * 5000 + "]" * 5000
DEEP_OBJECT = '{"a":' * 5000 + "1" + "}" * 5000
SURROGATE = "\\ud800"  # as JSON escapes it: json.loads gives a lone surrogate, which no encoder accepts


def with_surrogate(template: str, escape: str = SURROGATE) -> str:
    """`template` with each `<S>` replaced by a JSON-escaped lone surrogate."""
    return template.replace("<S>", escape)


def error_of(response, status: int | tuple[int, ...]) -> dict:
    """The machine-readable error of a JSON answer, after checking its status."""
    wanted = status if isinstance(status, tuple) else (status,)
    assert response.status_code in wanted, (response.status_code, response.body[:300])
    error = response.json_body["error"]
    assert set(error) == {"code", "message", "details"} and error["message"]
    return error


def page_of(response, status: int) -> str:
    assert response.status_code == status, (response.status_code, response.body[:300])
    assert response.headers["Content-Type"].startswith("text/html")
    return response.body.decode()


# ---------------------------------------------------------------- JSON bodies


@pytest.mark.parametrize("body", [
    with_surrogate('{"username": "admin.kominfo", "password": "<S>"}'),
    with_surrogate('{"username": "<S>", "password": "rahasia"}'),
    with_surrogate('{"username": "admin.kominfo", "password": "a<S>b"}', "\\udfff"),
    with_surrogate('{"<S>": 1, "username": "x", "password": "y"}'),
])
def test_a_lone_surrogate_in_the_login_body_is_400(api, body):
    assert error_of(api.http.post("/api/auth/login", headers=JSON, body=body), 400)["code"] == "validation_failed"


def test_a_blank_username_is_refused_like_any_wrong_sign_in(api):
    blank = api.http.post("/api/auth/login", headers=JSON, body=json.dumps({"username": "", "password": "x"}))
    assert error_of(blank, (400, 401))["code"] in ("validation_failed", "not_authenticated")


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT, '{"a":' * 40 + "1" + "}" * 40, '{"a": NaN}',
                                  '{"a": 1e999999}', '{"a": ' + "9" * 5000 + "}", b"\xff\xfe{}"])
def test_json_nested_too_deep_or_not_json_is_400_on_every_json_route(api, login, body):
    admin = login("admin.kominfo")
    for path, headers in [("/api/auth/login", JSON), ("/api/cases", admin),
                          ("/api/cases/KDR-2611-0000000/actions/tunda", admin)]:
        error = error_of(api.http.post(path, headers=headers, body=body), 400)
        assert error["code"] == "validation_failed", path


def test_a_lone_surrogate_in_a_case_description_is_400_and_stores_nothing(api, login):
    admin = login("admin.kominfo")
    body = with_surrogate('{"channel": "telepon", "description": "Jalan rusak <S> parah di Jl. Dhoho"}')
    created = api.http.post("/api/cases", headers={**admin, "Idempotency-Key": "surrogate-1"}, body=body)
    assert error_of(created, 400)["code"] == "validation_failed"
    again = api.http.post("/api/cases", headers={**admin, "Idempotency-Key": "surrogate-1"},
                          body=json.dumps({"channel": "telepon", "description": "Jalan rusak di Jl. Dhoho"}))
    assert again.status_code == 201  # the key was not spent on the refused body


def test_a_lone_surrogate_in_an_action_note_is_400(api, login):
    admin = login("admin.kominfo")
    body = with_surrogate('{"version": 1, "note": "<S>"}')
    assert api.http.post("/api/cases/KDR-2611-0000000/actions/tunda", headers=admin, body=body).status_code == 400


# ---------------------------------------------------------------- headers, query parameters


@pytest.mark.parametrize("header", ["Bearer v1.abc.\u00e9", "Bearer v1.\u00e9.abc", "Bearer \u00e9", "Bearer ",
                                    "Basic abc", "Bearer v1.a.b.c.d"])
def test_an_unreadable_bearer_token_is_401(api, header):
    error = error_of(api.http.get("/api/me", headers={"Authorization": header}), 401)
    assert error["code"] == "not_authenticated"


@pytest.mark.parametrize("cursor", ["a.\u00e9", "\u00e9", "x" * 5000, "eyJ9.0123", "....", "\ud800"])
def test_an_unreadable_cursor_is_400(api, login, cursor):
    response = api.http.get("/api/cases?cursor=" + cursor, headers=login("admin.kominfo"))
    assert error_of(response, 400)["details"].get("field") == "cursor"


@pytest.mark.parametrize(("path", "name"), [("/api/cases", "limit"), ("/api/outbox/failed", "limit"),
                                            ("/api/dashboard", "months")])
@pytest.mark.parametrize("value", ["\u00b2", "\u0663", "-1", "1.5", "abc", "9" * 40, "\ud800"])
def test_a_number_parameter_that_is_not_ascii_digits_is_400(api, login, path, name, value):
    response = api.http.get(f"{path}?{name}={value}", headers=login("admin.kominfo"))
    assert error_of(response, 400)["details"]["field"] == name


def test_a_lone_surrogate_in_any_query_parameter_is_400(api, login):
    admin = login("admin.kominfo")
    for path in ("/api/cases?status=\ud800", "/api/categories/suggest?text=\ud800",
                 "/api/cases/KDR-2611-0000000?identity_reason=\ud800", "/api/dashboard?agency=\ud800"):
        assert error_of(api.http.get(path, headers=admin), 400)["code"] == "validation_failed", path


def test_framework_errors_have_the_same_error_body(api, login):
    unsupported = api.http.post("/api/auth/login", headers={"Content-Type": "text/plain"}, body="x")
    assert error_of(unsupported, 415)["code"] == "unsupported_media_type"
    wrong_method = api.http.put("/api/me", headers=login("admin.kominfo"), body="{}")
    assert error_of(wrong_method, 405)["code"] == "method_not_allowed"
    assert wrong_method.headers["Allow"] == "GET"


# ---------------------------------------------------------------- officer pages


def test_a_non_ascii_csrf_field_is_a_403_page(api, web_as):
    browser = web_as("admin.kominfo")
    answer = browser.post("/petugas/akun/notifikasi", {"csrf": "\u00e9", "alert_channel": "sms"})
    assert "Formulir sudah kedaluwarsa" in page_of(answer, 403)


def test_a_non_ascii_csrf_field_on_the_sign_in_form_is_a_403_page(api):
    from tests.unit.web_session import Browser

    browser = Browser(api)
    browser.get("/petugas/masuk")
    answer = browser.post("/petugas/masuk", {"csrf": "\u00e9", "username": "admin.kominfo", "password": "x"})
    assert "kedaluwarsa" in page_of(answer, 403)


def test_a_non_ascii_csrf_field_on_sign_out_keeps_the_session(web_as):
    browser = web_as("petugas.dpupr")
    out = browser.post("/petugas/keluar", {"csrf": "\u00e9"})
    assert out.status_code == 303 and out.headers["Location"] == "/petugas/"
    assert browser.get("/petugas/akun").status_code == 200


@pytest.mark.parametrize("value", ["\u00e9.\u00e9", "\u00e9", "a.b.c", "\ud800"])
def test_a_non_ascii_session_cookie_means_signed_out(api, value):
    answer = api.http.get("/petugas/akun", headers={"Cookie": f"aduan_sesi={value}", "Accept": "text/html"})
    assert answer.status_code == 303 and "/petugas/masuk" in answer.headers["Location"]


@pytest.mark.parametrize("cursor", ["a.\u00e9", "\u00e9", "eyJ9.0123"])
def test_an_unreadable_inbox_cursor_is_a_400_page(web_as, cursor):
    page = page_of(web_as("admin.kominfo").get("/petugas/", kursor=cursor), 400)
    assert "Penanda halaman" in page


@pytest.mark.parametrize("path", [
    "/petugas/dasbor?months=\u00b2", "/petugas/rekap?bulan=\u00b2\u00b2\u00b2\u00b2-\u00b2",
    "/petugas/audit?bulan=\ud800", "/petugas/?status=\ud800", "/petugas/kasus/\ud800",
    "/petugas/masuk?lanjut=/petugas/\ud800",
])
def test_odd_page_parameters_are_a_4xx_page_not_a_500(web_as, path):
    answer = web_as("admin.kominfo").get(path)
    assert 300 <= answer.status_code < 500, (answer.status_code, answer.body[:300])


def test_a_signed_out_visit_to_an_unreadable_path_goes_to_sign_in(api):
    answer = api.http.get("/petugas/kasus/\ud800", headers={"Accept": "text/html"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/petugas/masuk"


# ---------------------------------------------------------------- public routes and webhooks


def test_the_public_routes_answer_bad_input_with_4xx(api):
    assert api.http.get("/lacak?nomor=\ud800").status_code in (303, 400, 404)
    assert api.http.get("/lacak/\ud800").status_code in (400, 404)
    body = with_surrogate('{"description": "Jalan rusak <S> parah", "phone": "081234567890"}')
    assert error_of(api.http.post("/api/complaints", headers=JSON, body=body), 400)
    assert error_of(api.http.post("/api/complaints", headers=JSON, body=DEEP_ARRAY), 400)


def test_a_failed_meta_handshake_has_the_error_body(api, intake_ctx):
    refused = api.http.get("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=\u00e9&hub.challenge=1")
    assert error_of(refused, 403)["code"] == "forbidden"


@pytest.mark.parametrize(("path", "header"), [
    ("/webhooks/line", "X-Line-Signature"), ("/webhooks/meta", "X-Hub-Signature-256"),
    ("/webhooks/whatsapp", "X-Hub-Signature-256"), ("/webhooks/telegram", "X-Telegram-Bot-Api-Secret-Token"),
])
@pytest.mark.parametrize("body", [DEEP_ARRAY, with_surrogate('{"a": "<S>"}'), "{}"])
def test_webhooks_refuse_unreadable_signatures_with_401(api, intake_ctx, path, header, body):
    response = api.http.post(path, headers={**JSON, header: "sha256=\u00e9"}, body=body)
    assert error_of(response, 401)["code"] == "not_authenticated"


# ---------------------------------------------------------------- `version` is required on actions (item 8)


@pytest.mark.parametrize("body", [{}, {"note": "x"}, {"version": None}, {"version": "1"}, {"version": True},
                                  {"version": 1.5}, {"version": 0}, {"version": -3}])
def test_an_action_without_a_whole_positive_version_is_400_and_changes_nothing(api, login, body):
    import uuid

    admin = login("admin.kominfo")
    created = api.http.post("/api/cases", headers={**admin, "Idempotency-Key": uuid.uuid4().hex},
                            body=json.dumps({"channel": "telepon", "description": "Lampu jalan mati di Jl. Kawi"}))
    case = created.json_body
    refused = api.http.post(f"/api/cases/{case['case_id']}/actions/arsipkan", headers=admin,
                            body=json.dumps({"note": "uji", **body}))
    error = error_of(refused, 400)
    assert error["code"] == "validation_failed" and error["details"]["field"] == "version"
    assert api.http.get(f"/api/cases/{case['case_id']}", headers=admin).json_body["version"] == case["version"]


def test_a_merge_needs_the_version_of_the_case_merged(api, login):
    import uuid

    admin = login("admin.kominfo")

    def enter(text: str) -> dict:
        return api.http.post("/api/cases", headers={**admin, "Idempotency-Key": uuid.uuid4().hex},
                             body=json.dumps({"channel": "telepon", "description": text})).json_body

    source, target = enter("Sampah menumpuk di Pasar Setono Betek"), enter("Sampah menumpuk di pasar Setono")
    path = f"/api/cases/{source['case_id']}/actions/gabungkan"
    missing = api.http.post(path, headers=admin, body=json.dumps({"merge_into": target["case_id"]}))
    assert error_of(missing, 400)["details"]["field"] == "version"
    merged = api.http.post(path, headers=admin, body=json.dumps({"version": source["version"],
                                                                  "merge_into": target["case_id"], "note": "Sama."}))
    assert merged.status_code == 200, merged.body
    assert merged.json_body["merged_into"] == target["case_id"]


def test_a_line_group_form_without_an_agency_is_a_400_page(web_as):
    """Found by the fuzzer on the local stack: DynamoDB refuses an empty key (moto does not)."""
    answer = web_as("admin.kominfo").post("/petugas/akun/grup-line/preferensi", {"agency_id": " "})
    assert "Pilih OPD" in page_of(answer, 400)


@pytest.mark.parametrize("version", ["\u00b2", "\u0663", "", "1.0"])
def test_a_web_action_with_an_unreadable_version_is_a_400_page(ctx, admin, web_as, version):
    import uuid

    from chalicelib.services import workflow

    case = workflow.create_case_from_entry(ctx, admin, channel="telepon", idempotency_key=uuid.uuid4().hex,
                                           description="Pohon tumbang di Jl. Hayam Wuruk")
    browser = web_as("admin.kominfo")
    answer = browser.post(f"/petugas/kasus/{case.case_id}/aksi/arsipkan", {"version": version, "note": "uji"})
    assert "Versi kasus tidak terbaca" in page_of(answer, 400)
    assert ctx.cases.get(case.case_id).version == case.version


def test_an_unexpected_fault_still_answers_the_error_body():
    """The framework's own 500 (an exception no view caught) gets the same shape: clients parse one body."""
    from chalice import Response

    from handlers.errors import framework_error_body

    fault = framework_error_body(None, lambda _: Response(
        body={"Code": "InternalServerError", "Message": "An internal server error occurred."}, status_code=500))
    assert fault.status_code == 500
    assert fault.body == {"error": {"code": "internal_error", "message": fault.body["error"]["message"],
                                    "details": {}}}
    untouched = framework_error_body(None, lambda _: Response(body={"Code": "x", "Message": "y"}, status_code=200))
    assert untouched.body == {"Code": "x", "Message": "y"}


def test_a_merge_without_a_target_is_400_before_any_case_is_read(api, login):
    """Found by the fuzzer on the local stack: an empty key in DynamoDB's batch read was a 500."""
    for case_id in ("KDR-2611-0000000", "0"):
        refused = api.http.post(f"/api/cases/{case_id}/actions/gabungkan", headers=login("petugas.dpupr"),
                                body=json.dumps({"version": 1, "merge_into": " "}))
        assert error_of(refused, 400)["details"]["field"] == "merge_into"  # the same, whatever the case


@pytest.mark.parametrize("path", ["/api/cases/%20", "/api/cases/%20/actions/tunda", "/api/outbox/%20/retry",
                                  "/api/admin/officers/%20/deactivate", "/webhooks/sms/%20"])
def test_a_blank_path_parameter_is_404(api, login, path):
    from urllib.parse import unquote

    headers = login("admin.kominfo")
    method = api.http.get if path == "/api/cases/%20" else api.http.post
    response = method(unquote(path), headers=headers, body=json.dumps({"version": 1}))
    assert error_of(response, 404)["code"] == "not_found"


def test_a_blank_case_number_on_a_page_is_a_404_page(web_as):
    assert "Tidak ditemukan" in page_of(web_as("admin.kominfo").get("/petugas/kasus/ "), 404)
