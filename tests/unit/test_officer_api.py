"""The JSON officer API as a client sees it: status codes, machine-readable errors, agency isolation."""

from __future__ import annotations

import json
import uuid


def post(api, path, headers, body=None, extra=None):
    return api.http.post(path, headers={**headers, **(extra or {})}, body=json.dumps(body or {}))


def enter_case(api, headers, text="Jalan berlubang di Jl. Dhoho depan toko, bahaya buat motor", **fields):
    body = {"channel": "telepon", "description": text, "reporter": {"name": "Siti", "phone": "0812-3456-7890"}}
    body.update(fields)
    response = post(api, "/api/cases", headers, body, {"Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 201, response.body
    return response.json_body


def test_login_with_a_wrong_password_is_401_with_the_same_message_as_an_unknown_user(api):
    wrong = post(api, "/api/auth/login", {"Content-Type": "application/json"},
                 {"username": "admin.kominfo", "password": "salah"})
    unknown = post(api, "/api/auth/login", {"Content-Type": "application/json"},
                   {"username": "tidak.ada", "password": "salah"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json_body["error"]["message"] == unknown.json_body["error"]["message"]


def test_every_officer_route_needs_a_session(api):
    for path in ("/api/cases", "/api/me", "/api/directory", "/api/dashboard"):
        response = api.http.get(path)
        assert response.status_code == 401, path
        assert response.json_body["error"]["code"] == "not_authenticated"
    forged = api.http.get("/api/me", headers={"Authorization": "Bearer v1.eyJzdWIiOiJ4In0.forged"})
    assert forged.status_code == 401


def test_officer_enters_a_phone_complaint_and_sees_it(api, login):
    admin = login("admin.kominfo")
    case = enter_case(api, admin)
    assert case["status"] == "BARU"
    assert case["reporter"]["phone"] == "+6281234567890"  # normalised to E.164
    assert case["deadline"]["kind"] == "verifikasi"
    assert "verifikasi_disposisi" in case["allowed_actions"]
    fetched = api.http.get(f"/api/cases/{case['case_id']}", headers=admin)
    assert fetched.status_code == 200
    assert fetched.json_body["case_id"] == case["case_id"]


def test_a_repeated_post_with_the_same_idempotency_key_gives_the_same_case(api, login):
    admin = login("admin.kominfo")
    body = {"channel": "tatap_muka", "description": "Pohon tumbang menutup jalan di Jl. Brawijaya"}
    first = post(api, "/api/cases", admin, body, {"Idempotency-Key": "loket-42"})
    second = post(api, "/api/cases", admin, body, {"Idempotency-Key": "loket-42"})
    assert first.json_body["case_id"] == second.json_body["case_id"]


def listed_ids(api, path: str, headers: dict, pages: int = 20) -> list[str]:
    """Every case id of a work list, page after page (the shared tables hold other tests' newer cases)."""
    from urllib.parse import quote

    ids, cursor = [], None
    for _ in range(pages):
        answer = api.http.get(path + (f"&cursor={quote(cursor)}" if cursor else ""), headers=headers).json_body
        ids += [item["case_id"] for item in answer["items"]]
        cursor = answer.get("cursor")
        if not cursor:
            break
    return ids


def test_forward_follow_up_close_through_the_api(api, login):
    admin, dpupr = login("admin.kominfo"), login("petugas.dpupr")
    case = enter_case(api, admin)
    cid = case["case_id"]
    forwarded = post(api, f"/api/cases/{cid}/actions/verifikasi_disposisi", admin,
                     {"version": case["version"], "lead_agency": "dpupr", "note": "Mohon ditangani."})
    assert forwarded.status_code == 200, forwarded.body
    assert forwarded.json_body["status"] == "TERVERIFIKASI"
    assert cid in listed_ids(api, "/api/cases?status=TERVERIFIKASI&limit=100", dpupr)
    followed = post(api, f"/api/cases/{cid}/actions/tindak_lanjut", dpupr,
                    {"version": forwarded.json_body["version"], "note": "Sudah ditambal."})
    assert followed.json_body["status"] == "DITINDAKLANJUTI"
    assert "selesaikan" not in followed.json_body["allowed_actions"]  # the citizen's reply window is open
    early = post(api, f"/api/cases/{cid}/actions/selesaikan", dpupr,
                 {"version": followed.json_body["version"], "note": "Sudah ditambal."})
    assert early.status_code == 403
    closed = post(api, f"/api/cases/{cid}/actions/selesaikan", admin,
                  {"version": followed.json_body["version"], "note": "Sudah ditambal dan dicek."})
    assert closed.status_code == 200, closed.body
    assert closed.json_body["status"] == "SELESAI"
    assert [e["action"] for e in closed.json_body["timeline"]][-1] == "selesaikan"


def test_stale_version_is_409_and_changes_nothing(api, login):
    admin = login("admin.kominfo")
    case = enter_case(api, admin)
    cid = case["case_id"]
    ok = post(api, f"/api/cases/{cid}/actions/tunda", admin,
              {"version": 1, "note": "Mohon lengkapi alamat.", "until": "2026-12-04"})
    assert ok.status_code == 200, ok.body
    assert ok.json_body["paused"]["until"].startswith("2026-12-04T23:59:59")
    stale = post(api, f"/api/cases/{cid}/actions/arsipkan", admin, {"version": 1, "note": "spam"})
    assert stale.status_code == 409
    assert stale.json_body["error"]["code"] == "version_conflict"
    assert api.http.get(f"/api/cases/{cid}", headers=admin).json_body["status"] == "DITUNDA"


def test_wrong_state_is_409_invalid_transition_wrong_role_is_403(api, login):
    admin, dpupr = login("admin.kominfo"), login("petugas.dpupr")
    case = enter_case(api, admin)
    cid = case["case_id"]
    wrong_state = post(api, f"/api/cases/{cid}/actions/selesaikan", admin, {"version": 1})
    assert wrong_state.status_code == 409
    assert wrong_state.json_body["error"]["code"] == "invalid_transition"
    post(api, f"/api/cases/{cid}/actions/verifikasi_disposisi", admin, {"version": 1, "lead_agency": "dpupr"})
    wrong_role = post(api, f"/api/cases/{cid}/actions/bukan_wewenang", dpupr, {"version": 2, "note": "x"})
    assert wrong_role.status_code == 403
    assert wrong_role.json_body["error"]["code"] == "forbidden"


def test_another_agency_gets_404_for_the_case_and_cannot_list_it(api, login):
    admin, dlhkp = login("admin.kominfo"), login("petugas.dlhkp")
    case = enter_case(api, admin)
    cid = case["case_id"]
    post(api, f"/api/cases/{cid}/actions/verifikasi_disposisi", admin, {"version": 1, "lead_agency": "dpupr"})
    assert api.http.get(f"/api/cases/{cid}", headers=dlhkp).status_code == 404
    acting = post(api, f"/api/cases/{cid}/actions/tindak_lanjut", dlhkp, {"version": 2, "note": "x"})
    assert acting.status_code == 404
    assert api.http.get("/api/cases?status=TERVERIFIKASI&agency=dpupr", headers=dlhkp).status_code == 403
    own = api.http.get("/api/cases?status=TERVERIFIKASI", headers=dlhkp).json_body["items"]
    assert cid not in [item["case_id"] for item in own]


def test_anonymous_reporter_is_hidden_from_the_opd_but_shown_to_the_admin(api, login):
    admin, dpupr = login("admin.kominfo"), login("petugas.dpupr")
    case = enter_case(api, admin, anonymous=True)
    cid = case["case_id"]
    post(api, f"/api/cases/{cid}/actions/verifikasi_disposisi", admin, {"version": 1, "lead_agency": "dpupr"})
    assert api.http.get(f"/api/cases/{cid}", headers=dpupr).json_body["reporter"] is None
    assert api.http.get(f"/api/cases/{cid}", headers=admin).json_body["reporter"] is None  # no reason given
    reason = "identity_reason=Konfirmasi%20lokasi%20kejadian"
    assert api.http.get(f"/api/cases/{cid}?{reason}", headers=admin).json_body["reporter"]["name"] == "Siti"
    assert api.http.get(f"/api/cases/{cid}?{reason}", headers=dpupr).json_body["reporter"] is None


def test_bad_input_gets_a_clear_4xx(api, login):
    admin = login("admin.kominfo")
    not_json = api.http.post("/api/cases", headers={**admin, "Idempotency-Key": "k"}, body="{not json")
    assert not_json.status_code == 400
    assert not_json.json_body["error"]["code"] == "validation_failed"
    huge = post(api, "/api/cases", admin, {"description": "x" * 70_000}, {"Idempotency-Key": "k2"})
    assert huge.status_code == 413
    no_key = post(api, "/api/cases", admin, {"channel": "telepon", "description": "Lampu mati"})
    assert no_key.status_code == 400
    bad_phone = post(api, "/api/cases", admin, {"channel": "telepon", "description": "Lampu mati",
                                                "reporter": {"phone": "12"}}, {"Idempotency-Key": "k3"})
    assert bad_phone.status_code == 400
    assert bad_phone.json_body["error"]["details"]["field"] == "phone"
    unknown = post(api, "/api/cases/KDR-2611-0000000/actions/terbang", admin, {})
    assert unknown.status_code == 400
    missing = api.http.get("/api/cases/KDR-2611-0000000", headers=admin)
    assert missing.status_code == 404
    bad_status = api.http.get("/api/cases?status=ENTAH", headers=admin)
    assert bad_status.status_code == 400
    bad_cursor = api.http.get("/api/cases?status=BARU&cursor=abc.def", headers=admin)
    assert bad_cursor.status_code == 400


def test_work_list_pages_with_a_signed_cursor(api, login):
    admin = login("admin.kominfo")
    for _ in range(3):
        enter_case(api, admin)
    first = api.http.get("/api/cases?status=BARU&limit=2", headers=admin).json_body
    assert len(first["items"]) == 2 and first["cursor"]
    second = api.http.get(f"/api/cases?status=BARU&limit=2&cursor={first['cursor']}", headers=admin).json_body
    assert not {i["case_id"] for i in first["items"]} & {i["case_id"] for i in second["items"]}


def test_directory_and_category_suggestion(api, login):
    admin = login("admin.kominfo")
    directory = api.http.get("/api/directory", headers=admin).json_body
    assert len(directory["agencies"]) >= 10 and len(directory["categories"]) >= 15
    suggestion = api.http.get("/api/categories/suggest?text=sampah%20menumpuk%20tidak%20diangkut", headers=admin)
    assert suggestion.json_body["suggestions"][0]["agency_id"] == "dlhkp"


def test_health_reports_version_stage_and_dynamodb(api):
    response = api.http.get("/health")
    assert response.status_code == 200
    assert response.json_body["dynamodb"] == "ok"
    assert response.json_body["version"]
