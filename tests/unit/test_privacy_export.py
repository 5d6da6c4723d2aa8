"""A citizen asks what the city holds about them (UU PDP art. 7, 32): the admin koordinator exports it all."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from chalicelib.domain.calendar import WIB
from chalicelib.observability import pseudonym
from tests.unit.privacy_flows import ADMIN, JPEG, citizen_story, far_month, unique_phone

pytestmark = pytest.mark.real_store  # the export reads the tables below the repositories: on DynamoDB (moto)

REASON = "Surat permohonan akses data No. 12/PDP/2046"


def _export(api, headers, **body):
    return api.http.post("/api/admin/privacy/export", headers=headers, body=json.dumps(body))


def test_the_admin_exports_cases_messages_media_and_outbox_of_a_phone_number(api, intake_ctx, login):
    ctx = intake_ctx
    far_month(ctx.clock, 2046, 1)
    phone = unique_phone()
    case, photo = citizen_story(ctx, ctx.clock, phone, close=False)

    local = "0" + phone[3:]  # the form the citizen writes on the request letter
    response = _export(api, login("admin.kominfo"), identifier=local, reason=REASON)

    assert response.status_code == 200, response.body
    doc = response.json_body
    assert doc["subject"] == {"identifier": f"tel:{phone}", "kind": "phone"}
    [exported] = doc["cases"]
    assert exported["case_id"] == case.case_id
    assert exported["reporter"]["phone"] == phone and exported["reporter"]["name"] == "Rina Wulandari"
    assert [e["action"] for e in exported["timeline"]][:2] == ["buat", "verifikasi_disposisi"]
    texts = [m.get("text") for m in doc["messages"]]
    assert any(phone in (t or "") for t in texts)  # the complaint itself
    assert any("kami teruskan ke DPUPR" in (t or "") for t in texts)  # the officer's reply to them
    [media] = doc["media"]
    assert media["media_key"] == photo and "/api/media/" in media["url"]
    purposes = {m["message_id"].split(":")[0] for m in doc["outbox"]}
    assert {"reply", "update"} <= purposes  # the acknowledgement and the status update
    assert any(m["message_id"].startswith(f"{case.case_id}:reply:") for m in doc["outbox"])
    assert all(m["recipient"] in (phone, phone.lstrip("+")) for m in doc["outbox"])
    assert doc["inbound_events"] and doc["inbound_events"][0]["payload"]["text"].startswith("Lampu jalan")
    assert "pasal 32" in doc["legal_basis"]

    # the signed link really serves the photo to this admin
    link = media["url"]
    photo_answer = api.http.get(link, headers={"Accept": "*/*"})
    assert photo_answer.status_code == 200 and photo_answer.body == JPEG, photo_answer.body[:300]

    # audited: who, whose (pseudonym only), when, why
    month = ctx.now().astimezone(WIB).strftime("%Y-%m")
    [entry] = [e for e in ctx.audit.list("privacy", month) if pseudonym(f"tel:{phone}") in (e.detail or "")]
    assert entry.actor == "admin.kominfo" and entry.outcome == "ekspor" and entry.reason == REASON
    assert phone not in (entry.detail or "") and local not in (entry.reason or "")


def test_the_export_with_files_embeds_the_photo_and_the_zip_carries_it(api, intake_ctx, login):
    ctx = intake_ctx
    far_month(ctx.clock, 2046, 2)
    phone = unique_phone()
    case, photo = citizen_story(ctx, ctx.clock, phone)

    inline = _export(api, login("admin.kominfo"), identifier=phone, reason=REASON, include_files=True)
    assert inline.status_code == 200, inline.body
    [media] = inline.json_body["media"]
    import base64

    assert base64.b64decode(media["content_base64"]) == JPEG

    from chalicelib.services.privacy import export_zip

    archive = zipfile.ZipFile(io.BytesIO(export_zip(ctx, ADMIN, phone, REASON)))
    names = archive.namelist()
    assert "export.json" in names
    assert archive.read(f"media/{photo.rsplit('/', 1)[-1]}") == JPEG
    assert json.loads(archive.read("export.json"))["cases"][0]["case_id"] == case.case_id


def test_the_zip_export_is_served_as_a_download(api, intake_ctx, login):
    ctx = intake_ctx
    far_month(ctx.clock, 2046, 2, day=12)
    phone = unique_phone()
    citizen_story(ctx, ctx.clock, phone, close=False)
    headers = {**login("admin.kominfo"), "Accept": "application/zip"}
    response = _export(api, headers, identifier=phone, reason=REASON, format="zip")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert "export.json" in zipfile.ZipFile(io.BytesIO(response.body)).namelist()


def test_only_the_admin_koordinator_may_export_and_a_reason_is_required(api, intake_ctx, login):
    phone = unique_phone()
    refused = _export(api, login("petugas.dpupr"), identifier=phone, reason=REASON)
    assert refused.status_code == 403
    assert _export(api, login("sekda"), identifier=phone, reason=REASON).status_code == 403
    admin = login("admin.kominfo")
    no_reason = _export(api, admin, identifier=phone, reason="")
    assert no_reason.status_code == 400 and no_reason.json_body["error"]["details"]["field"] == "reason"
    bad = _export(api, admin, identifier="bukan-nomor", reason=REASON)
    assert bad.status_code == 400 and bad.json_body["error"]["details"]["field"] == "identifier"
    assert _export(api, admin, identifier=["x"], reason=REASON).status_code == 400
    assert api.http.post("/api/admin/privacy/export", body="{}",
                         headers={"Content-Type": "application/json"}).status_code == 401


def test_a_person_without_cases_gets_an_empty_export_and_it_is_still_audited(api, intake_ctx, login):
    response = _export(api, login("admin.kominfo"), identifier="Tidak.Ada@Contoh.go.id", reason=REASON)
    assert response.status_code == 200
    assert response.json_body["subject"]["identifier"] == "mail:tidak.ada@contoh.go.id"
    assert response.json_body["counts"] == {"cases": 0, "messages": 0, "media": 0, "outbox": 0, "inbound_events": 0}


def test_the_privacy_page_is_for_the_admin_and_downloads_the_export(intake_ctx, web_as):
    ctx = intake_ctx
    far_month(ctx.clock, 2046, 3)
    phone = unique_phone()
    case, _ = citizen_story(ctx, ctx.clock, phone, close=False)

    opd = web_as("petugas.dpupr")
    assert opd.get("/petugas/admin/privasi").status_code == 403

    admin = web_as("admin.kominfo")
    page = admin.get("/petugas/admin/privasi")
    assert page.status_code == 200 and "Data pribadi pelapor" in page.body.decode()
    download = admin.post("/petugas/admin/privasi", {"aksi": "ekspor", "identifier": phone, "reason": REASON})
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    body = download.body if isinstance(download.body, str) else download.body.decode()
    assert json.loads(body)["cases"][0]["case_id"] == case.case_id
    missing = admin.post("/petugas/admin/privasi", {"aksi": "ekspor", "identifier": phone, "reason": "x"})
    assert missing.status_code == 400 and "minimal 10 karakter" in missing.body.decode()
