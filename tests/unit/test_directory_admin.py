"""The admin koordinator manages OPDs and categories (issue 11): what they see through the API and pages.

Every OPD and category here is this test's own (`uji-` + a uuid); the demo directory is never changed.
"""

from __future__ import annotations

import json
import uuid

import pytest

from chalicelib.domain.case import Reporter
from chalicelib.domain.errors import ValidationFailed
from tests.unit.web_session import text_of


def code(kind: str = "opd") -> str:
    return f"uji-{kind}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def as_admin(login):
    return login("admin.kominfo")


@pytest.fixture(autouse=True)
def _own_directory_removed(ctx):
    """The `uji-` OPDs and categories a test made leave the city's directory afterwards (reports and forms of
    later tests list every OPD of the city)."""
    yield
    from chalicelib.store.models import AgencyRecord, CategoryRecord

    code_of = {AgencyRecord: "agency_id", CategoryRecord: "category_id"}
    for model, attribute in code_of.items():
        for record in model.query(ctx.settings.city_code):
            if getattr(record, attribute).startswith("uji-"):
                record.delete()
    ctx.forget_directory()


def post(api, path: str, headers: dict, body: dict):
    return api.http.post(path, headers=headers, body=json.dumps(body))


def new_agency(api, headers, **fields) -> str:
    agency_id = fields.pop("agency_id", None) or code()
    response = post(api, "/api/admin/agencies", headers,
                    {"agency_id": agency_id, "name": "Dinas Uji Coba", "short_name": "DUC", **fields})
    assert response.status_code == 201, response.json_body
    return agency_id


def new_category(api, headers, agency_id: str, keywords: list[str], **fields) -> str:
    category_id = code("kat")
    response = post(api, "/api/admin/categories", headers, {
        "category_id": category_id, "name": "Kategori Uji", "agency_id": agency_id, "keywords": keywords,
        "default_tier": "normatif", **fields})
    assert response.status_code == 201, response.json_body
    return category_id


def audit_details(ctx) -> list[str]:
    month = ctx.now().strftime("%Y-%m")
    return [f"{e.actor} {e.outcome} {e.detail}" for e in ctx.audit.list("admin", month, limit=200)]


def new_case(ctx, admin, agency_id: str):
    from chalicelib.services import workflow

    case = workflow.create_case_from_entry(ctx, admin, channel="telepon", idempotency_key=uuid.uuid4().hex,
                                           description="Uji administrasi OPD",
                                           reporter=Reporter(name="Warga Uji", phone="+6281390001111"))
    return workflow.forward_case(ctx, admin, case.case_id, case.version, lead_agency=agency_id)


# ---------------------------------------------------------------- OPDs


def test_an_admin_creates_renames_retires_and_reactivates_an_opd(ctx, api, as_admin, admin):
    from chalicelib.services import workflow
    from chalicelib.services.directory import directory_view

    agency_id = new_agency(api, as_admin)
    listed = api.http.get("/api/admin/agencies", headers=as_admin).json_body["items"]
    assert {"agency_id": agency_id, "name": "Dinas Uji Coba", "short_name": "DUC", "active": True,
            "protected": False} in listed
    assert agency_id in {a["agency_id"] for a in directory_view(ctx)["agencies"]}  # the forwarding form

    renamed = post(api, f"/api/admin/agencies/{agency_id}", as_admin, {"name": "  Dinas   Uji Baru ",
                                                                         "short_name": "DUB"})
    assert renamed.status_code == 200
    assert renamed.json_body["name"] == "Dinas Uji Baru"

    retired = post(api, f"/api/admin/agencies/{agency_id}", as_admin, {"active": False})
    assert retired.json_body["active"] is False
    assert agency_id not in {a["agency_id"] for a in directory_view(ctx)["agencies"]}
    case = workflow.create_case_from_entry(ctx, admin, channel="telepon", idempotency_key=uuid.uuid4().hex,
                                           description="Uji OPD nonaktif", reporter=Reporter(name="Warga"))
    with pytest.raises(ValidationFailed) as refused:
        workflow.forward_case(ctx, admin, case.case_id, case.version, lead_agency=agency_id)
    assert refused.value.details["field"] == "lead_agency"

    back = post(api, f"/api/admin/agencies/{agency_id}", as_admin, {"active": True})
    assert back.json_body["active"] is True
    assert workflow.forward_case(ctx, admin, case.case_id, case.version, lead_agency=agency_id).lead_agency \
        == agency_id

    trail = [line for line in audit_details(ctx) if agency_id in line]
    assert any("opd_dibuat" in line and "Dinas Uji Coba (DUC)" in line for line in trail)
    assert any("opd_diubah" in line and "nama: 'Dinas Uji Coba' → 'Dinas Uji Baru'" in line
               and "singkatan: 'DUC' → 'DUB'" in line for line in trail)
    assert any(line.startswith("admin.kominfo opd_dinonaktifkan") and "aktif: 'ya' → 'tidak'" in line
               for line in trail)
    assert any("opd_diaktifkan" in line for line in trail)


def test_opd_codes_are_checked_and_unique(api, as_admin):
    agency_id = new_agency(api, as_admin)
    taken = post(api, "/api/admin/agencies", as_admin, {"agency_id": agency_id, "name": "Lain", "short_name": "L"})
    assert taken.status_code == 409
    assert taken.json_body["error"]["code"] == "code_taken"
    for bad in ("Dinas", "1dinas", "d", "dinas pu", "x" * 41, ""):
        answer = post(api, "/api/admin/agencies", as_admin, {"agency_id": bad, "name": "A", "short_name": "A"})
        assert answer.status_code == 400, bad
        assert answer.json_body["error"]["details"]["field"] == "agency_id"
    no_name = post(api, "/api/admin/agencies", as_admin, {"agency_id": code(), "name": " ", "short_name": "A"})
    assert no_name.json_body["error"]["details"]["field"] == "name"
    nothing = post(api, f"/api/admin/agencies/{agency_id}", as_admin, {})
    assert nothing.status_code == 400
    assert post(api, "/api/admin/agencies/uji-tidak-ada", as_admin, {"name": "X"}).status_code == 404
    assert api.http.get("/api/admin/agencies/uji-tidak-ada", headers=as_admin).status_code == 404


def test_the_escalation_ladders_opds_cannot_be_retired_or_deleted(ctx, api, as_admin):
    for agency_id in (ctx.settings.admin_agency, ctx.settings.leadership_agency):
        before = ctx.directory.agency(agency_id)
        try:
            refused = post(api, f"/api/admin/agencies/{agency_id}", as_admin, {"active": False})
            assert refused.status_code == 409
            gone = post(api, f"/api/admin/agencies/{agency_id}/delete", as_admin, {"confirm": agency_id})
            assert gone.status_code == 409
        finally:
            if ctx.directory.agency(agency_id) != before:  # only if the rule broke: leave the demo as it was
                ctx.directory.put_agency(before)
        assert api.http.get(f"/api/admin/agencies/{agency_id}", headers=as_admin).json_body["deletable"] is False


def test_an_opd_with_cases_can_only_be_retired_one_without_can_be_deleted(ctx, api, as_admin, admin):
    unused = new_agency(api, as_admin)
    detail = api.http.get(f"/api/admin/agencies/{unused}", headers=as_admin).json_body
    assert (detail["has_cases"], detail["deletable"]) == (False, True)
    assert post(api, f"/api/admin/agencies/{unused}/delete", as_admin, {}).status_code == 400  # no confirmation
    deleted = post(api, f"/api/admin/agencies/{unused}/delete", as_admin, {"confirm": unused})
    assert deleted.status_code == 204
    assert api.http.get(f"/api/admin/agencies/{unused}", headers=as_admin).status_code == 404
    assert any("opd_dihapus" in line and unused in line for line in audit_details(ctx))

    busy = new_agency(api, as_admin)
    new_case(ctx, admin, busy)
    assert api.http.get(f"/api/admin/agencies/{busy}", headers=as_admin).json_body["has_cases"] is True
    refused = post(api, f"/api/admin/agencies/{busy}/delete", as_admin, {"confirm": busy})
    assert refused.status_code == 409
    assert refused.json_body["error"]["code"] == "in_use"
    assert post(api, f"/api/admin/agencies/{busy}", as_admin, {"active": False}).status_code == 200


def test_a_supporting_opd_counts_as_having_cases(ctx, api, as_admin, admin):
    from chalicelib.services import workflow

    supporting = new_agency(api, as_admin)
    case = workflow.create_case_from_entry(ctx, admin, channel="telepon", idempotency_key=uuid.uuid4().hex,
                                           description="Uji OPD pendukung", reporter=Reporter(name="Warga"))
    forwarded = workflow.forward_case(ctx, admin, case.case_id, case.version, lead_agency="dpupr",
                                      supporting_agencies=(supporting,))
    ctx.agency_cases.sync_supporting_rows(forwarded)  # what the sync job does after the action
    assert ctx.directory.agency_has_cases(supporting) is True


def test_an_opd_that_active_categories_route_to_is_not_retired_until_they_move(api, as_admin):
    agency_id = new_agency(api, as_admin)
    category_id = new_category(api, as_admin, agency_id, ["kata uji"])
    refused = post(api, f"/api/admin/agencies/{agency_id}", as_admin, {"active": False})
    assert refused.status_code == 409
    assert refused.json_body["error"]["details"]["categories"] == category_id
    assert post(api, f"/api/admin/agencies/{agency_id}/delete", as_admin, {"confirm": agency_id}).status_code == 409
    post(api, f"/api/admin/categories/{category_id}", as_admin, {"agency_id": "dpupr"})
    assert post(api, f"/api/admin/agencies/{agency_id}", as_admin, {"active": False}).status_code == 200


# ---------------------------------------------------------------- categories


def suggested(api, headers, text: str) -> list[str]:
    response = api.http.get(f"/api/categories/suggest?text={text.replace(' ', '+')}", headers=headers)
    return [s["category_id"] for s in response.json_body["suggestions"]]


def test_a_new_keyword_changes_the_suggestion_at_once(ctx, api, as_admin):
    word = "zorblaxium"
    text = f"ada {word} rusak di depan rumah"
    suggested(api, as_admin, text)  # the directory is now cached, as in a warm container
    agency_id = new_agency(api, as_admin)
    category_id = new_category(api, as_admin, agency_id, [f"  {word.upper()} ", word, "Gorong Gorong Uji"])
    view = api.http.get(f"/api/admin/categories/{category_id}", headers=as_admin).json_body
    assert view["keywords"] == [word, "gorong gorong uji"]
    assert suggested(api, as_admin, text)[0] == category_id

    other = "plumbatrix"
    post(api, f"/api/admin/categories/{category_id}", as_admin, {"keywords": [other]})
    assert category_id not in suggested(api, as_admin, text)
    assert suggested(api, as_admin, f"{other} bocor")[0] == category_id

    post(api, f"/api/admin/categories/{category_id}", as_admin, {"active": False})
    assert category_id not in suggested(api, as_admin, f"{other} bocor")
    assert category_id not in {c["category_id"] for c in
                               api.http.get("/api/directory", headers=as_admin).json_body["categories"]}
    trail = [line for line in audit_details(ctx) if category_id in line]
    assert any("kategori_dibuat" in line and f"kata kunci +[{word}, gorong gorong uji]" in line for line in trail)
    assert any("kategori_diubah" in line and f"+[{other}]" in line and f"-[{word}, gorong gorong uji]" in line
               for line in trail)
    assert any("kategori_dinonaktifkan" in line for line in trail)


def test_category_input_is_checked(api, as_admin):
    agency_id = new_agency(api, as_admin)
    base = {"category_id": code("kat"), "name": "Kat", "agency_id": agency_id, "default_tier": "ringan"}
    cases = [
        ({"keywords": ["a"]}, "keywords"),
        ({"keywords": ["x" * 41]}, "keywords"),
        ({"keywords": [f"kata{i}" for i in range(61)]}, "keywords"),
        ({"keywords": "bukan daftar"}, "keywords"),
        ({"default_tier": "darurat"}, "default_tier"),
        ({"agency_id": "uji-tidak-ada"}, "agency_id"),
        ({"category_id": "Bukan Kode"}, "category_id"),
    ]
    for change, field in cases:
        answer = post(api, "/api/admin/categories", as_admin, {**base, **change})
        assert answer.status_code == 400, change
        assert answer.json_body["error"]["details"]["field"] == field, change
    sixty = post(api, "/api/admin/categories", as_admin,
                 {**base, "keywords": [f"kata{i}" for i in range(60)] + ["KATA0"]})
    assert sixty.status_code == 201
    taken = post(api, "/api/admin/categories", as_admin, base)
    assert (taken.status_code, taken.json_body["error"]["code"]) == (409, "code_taken")


def test_a_category_routes_only_to_an_active_opd(api, as_admin):
    agency_id = new_agency(api, as_admin)
    category_id = new_category(api, as_admin, agency_id, ["uji aktif"])
    post(api, f"/api/admin/categories/{category_id}", as_admin, {"active": False})
    assert post(api, f"/api/admin/agencies/{agency_id}", as_admin, {"active": False}).status_code == 200
    revived = post(api, f"/api/admin/categories/{category_id}", as_admin, {"active": True})
    assert revived.status_code == 400
    assert revived.json_body["error"]["details"]["field"] == "agency_id"
    moved = post(api, f"/api/admin/categories/{category_id}", as_admin, {"active": True, "agency_id": "dpupr",
                                                                         "default_tier": "ringan"})
    assert moved.status_code == 200
    assert (moved.json_body["agency_id"], moved.json_body["default_tier"]) == ("dpupr", "ringan")
    assert api.http.get("/api/admin/categories/uji-tidak-ada", headers=as_admin).status_code == 404


# ---------------------------------------------------------------- who may


@pytest.mark.parametrize("username", ["petugas.dpupr", "kabid.dpupr", "sekda"])
def test_only_the_admin_koordinator_manages_the_directory(api, login, username):
    headers = login(username)
    for path in ("/api/admin/agencies", "/api/admin/categories", "/api/admin/agencies/dpupr"):
        assert api.http.get(path, headers=headers).status_code == 403
    created = post(api, "/api/admin/agencies", headers, {"agency_id": code(), "name": "A", "short_name": "A"})
    assert created.status_code == 403
    assert post(api, "/api/admin/agencies/dpupr", headers, {"active": False}).status_code == 403
    assert post(api, "/api/admin/agencies/dpupr/delete", headers, {"confirm": "dpupr"}).status_code == 403


# ---------------------------------------------------------------- pages


def test_the_admin_manages_opds_and_categories_in_the_web_view(ctx, web_as):
    browser = web_as("admin.kominfo")
    page = browser.get("/petugas/admin/opd")
    assert page.status_code == 200
    assert "Dinas Pekerjaan Umum" in text_of(page) or "dpupr" in text_of(page)

    agency_id = code()
    refused = browser.post("/petugas/admin/opd", {"agency_id": "Salah Kode", "name": "X", "short_name": "X"})
    assert refused.status_code == 400
    assert "huruf kecil" in text_of(refused)
    done = browser.post("/petugas/admin/opd", {"agency_id": agency_id, "name": "Dinas Web Uji", "short_name": "DWU"})
    assert done.status_code == 303
    listing = browser.follow(done)
    assert "Dinas Web Uji" in text_of(listing)

    browser.get(f"/petugas/admin/opd/{agency_id}")
    assert browser.post(f"/petugas/admin/opd/{agency_id}/status", {"active": "0"}).status_code == 303
    assert ctx.directory.agency(agency_id).active is False

    browser.get("/petugas/admin/kategori")
    category_id = code("kat")
    created = browser.post("/petugas/admin/kategori", {
        "category_id": category_id, "name": "Kategori Web", "agency_id": "dpupr", "default_tier": "normatif",
        "keywords": "Trotoar Uji\nlubang uji, trotoar uji"})
    assert created.status_code == 303
    assert ctx.directory.category(category_id).keywords == ("trotoar uji", "lubang uji")
    edit = browser.get(f"/petugas/admin/kategori/{category_id}")
    assert "trotoar uji" in text_of(edit)
    saved = browser.post(f"/petugas/admin/kategori/{category_id}", {
        "name": "Kategori Web 2", "agency_id": "dpupr", "default_tier": "ringan", "keywords": "trotoar uji"})
    assert saved.status_code == 303
    assert ctx.directory.category(category_id).name == "Kategori Web 2"

    browser.get(f"/petugas/admin/opd/{agency_id}")
    deleted = browser.post(f"/petugas/admin/opd/{agency_id}/hapus", {"confirm": agency_id})
    assert deleted.status_code == 303
    assert ctx.directory.agency(agency_id) is None


def test_the_pages_explain_what_cannot_be_done(ctx, web_as):
    browser = web_as("admin.kominfo")
    busy = browser.get("/petugas/admin/opd/dpupr")
    assert busy.status_code == 200
    assert "tidak dapat dihapus" in text_of(busy)
    ladder = browser.get(f"/petugas/admin/opd/{ctx.settings.admin_agency}")
    assert "anak tangga eskalasi" in text_of(ladder)
    refused = browser.post(f"/petugas/admin/opd/{ctx.settings.admin_agency}/status", {"active": "0"})
    assert refused.status_code == 409
    assert ctx.directory.agency(ctx.settings.admin_agency).active
    assert browser.post("/petugas/admin/opd/dpupr/status", {}).status_code == 400  # an empty form changes nothing
    category = browser.get("/petugas/admin/kategori/jalan-jembatan")
    assert category.status_code == 200
    assert "Kata kunci" in text_of(category)
    assert browser.get("/petugas/admin/kategori/uji-tidak-ada").status_code == 404


def test_an_opd_officer_cannot_open_the_admin_pages(web_as):
    browser = web_as("petugas.dpupr")
    assert browser.get("/petugas/admin/opd").status_code == 403
    assert browser.get("/petugas/admin/kategori").status_code == 403
