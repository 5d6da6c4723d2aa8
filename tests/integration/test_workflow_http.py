"""The officer workflow over real HTTP (chalice local) on dynalite: what a browser or script would see."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest

from tests.integration.conftest import HttpClient

pytestmark = pytest.mark.integration


@pytest.fixture
def login(http, seeded):
    passwords = {d["username"]: d["password"] for d in seeded.logins}

    def _login(username: str) -> dict[str, str]:
        response = http.post("/api/auth/login", json_body={"username": username, "password": passwords[username]})
        assert response.status == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    return _login


def enter_case(http, headers, key=None, text="Sampah menumpuk di pinggir sungai Brantas, belum diangkut"):
    return http.post(
        "/api/cases",
        headers={**headers, "Idempotency-Key": key or str(uuid.uuid4())},
        json_body={"channel": "tatap_muka", "description": text, "reporter": {"name": "Pak Slamet"}},
    )


def test_a_complaint_goes_from_front_desk_to_selesai(http, login):
    admin, dlhkp = login("admin.kominfo"), login("petugas.dlhkp")
    created = enter_case(http, admin)
    assert created.status == 201
    case = created.json()
    suggestion = http.get("/api/categories/suggest?text=sampah%20menumpuk", headers=admin).json()["suggestions"][0]
    forwarded = http.post(
        f"/api/cases/{case['case_id']}/actions/verifikasi_disposisi",
        headers=admin,
        json_body={"version": case["version"], "category_id": suggestion["category_id"]},
    )
    assert forwarded.status == 200, forwarded.text
    assert forwarded.json()["lead_agency"] == "dlhkp"
    work_list = http.get("/api/cases?status=TERVERIFIKASI", headers=dlhkp).json()["items"]
    assert case["case_id"] in [item["case_id"] for item in work_list]
    followed = http.post(
        f"/api/cases/{case['case_id']}/actions/tindak_lanjut",
        headers=dlhkp,
        json_body={"version": forwarded.json()["version"], "note": "Sampah sudah diangkut truk DLHKP."},
    )
    early = http.post(  # the citizen's reply window is open: the OPD may not close yet
        f"/api/cases/{case['case_id']}/actions/selesaikan", headers=dlhkp,
        json_body={"version": followed.json()["version"], "note": "Sudah diangkut."},
    )
    assert early.status == 403
    closed = http.post(  # the admin koordinator may, with a note the citizen sees
        f"/api/cases/{case['case_id']}/actions/selesaikan", headers=admin,
        json_body={"version": followed.json()["version"], "note": "Sampah sudah diangkut, lokasi bersih."},
    )
    assert closed.status == 200, closed.text
    assert closed.json()["status"] == "SELESAI"
    assert closed.json()["closed_at"].endswith("+07:00")  # shown in WIB


def _in_days(days: int) -> str:
    """A date `days` calendar days from today in WIB (the local stack runs on the real clock)."""
    from chalicelib.domain.calendar import WIB

    return (datetime.now(WIB).date() + timedelta(days=days)).isoformat()


def test_two_officers_at_once_one_wins_the_other_gets_409(http, login, local_api):
    admin = login("admin.kominfo")
    case = enter_case(http, admin).json()
    path = f"/api/cases/{case['case_id']}/actions/"
    bodies = [
        ("tunda", {"version": 1, "note": "Mohon kirim foto lokasi.", "until": _in_days(3)}),
        ("arsipkan", {"version": 1, "note": "Laporan terlalu umum."}),
    ]

    def act(item):
        action, body = item
        return HttpClient(local_api).post(path + action, headers=admin, json_body=body)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(act, bodies))
    assert sorted(r.status for r in results) == [200, 409]
    winner = next(r for r in results if r.status == 200).json()
    loser = next(r for r in results if r.status == 409).json()
    assert loser["error"]["code"] in ("version_conflict", "invalid_transition")
    stored = http.get(f"/api/cases/{case['case_id']}", headers=admin).json()
    assert stored["status"] == winner["status"] and stored["version"] == 2


def test_the_same_submission_sent_ten_times_at_once_is_one_case(http, login, local_api):
    admin = login("admin.kominfo")
    key = str(uuid.uuid4())
    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(pool.map(lambda _: enter_case(HttpClient(local_api), admin, key=key), range(10)))
    assert {r.status for r in results} <= {200, 201}
    assert len({r.json()["case_id"] for r in results}) == 1


def test_an_officer_of_another_agency_sees_404(http, login):
    admin, dpupr = login("admin.kominfo"), login("petugas.dpupr")
    case = enter_case(http, admin).json()
    http.post(f"/api/cases/{case['case_id']}/actions/verifikasi_disposisi", headers=admin,
              json_body={"version": 1, "lead_agency": "dlhkp"})
    assert http.get(f"/api/cases/{case['case_id']}", headers=dpupr).status == 404


def test_malformed_and_oversized_bodies_get_4xx_not_500(http, login):
    admin = login("admin.kominfo")
    broken = http.post("/api/cases", headers={**admin, "Content-Type": "application/json", "Idempotency-Key": "x"},
                       body=b"{\"description\": ")
    assert broken.status == 400
    huge = http.post("/api/cases", headers={**admin, "Idempotency-Key": "y"},
                     json_body={"channel": "telepon", "description": "a" * 100_000})
    assert huge.status == 413


def test_the_dashboard_follows_a_change_within_seconds_without_any_job(http, login):
    """Issue 12: locally a background thread stands in for the cases table's stream (no scheduler runs here)."""
    import time

    admin = login("admin.kominfo")

    def figures() -> dict:
        response = http.get("/api/dashboard?channel=tatap_muka", headers=admin)
        assert response.status == 200, response.text
        return response.json()

    def settles(check) -> dict:
        deadline = time.monotonic() + 5
        while True:
            view = figures()
            if check(view) or time.monotonic() > deadline:
                return view
            time.sleep(0.1)

    before = figures()
    case = enter_case(http, admin).json()
    after = settles(lambda v: v["received"] > before["received"])
    assert after["received"] >= before["received"] + 1 and after["by_status"]["BARU"] >= 1
    forwarded = http.post(f"/api/cases/{case['case_id']}/actions/verifikasi_disposisi", headers=admin,
                          json_body={"version": case["version"], "lead_agency": "dlhkp"})
    assert forwarded.status == 200, forwarded.text
    moved = settles(lambda v: v["forwarded"] > after["forwarded"])
    assert moved["forwarded"] == after["forwarded"] + 1
