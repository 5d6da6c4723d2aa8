"""`GET /api/cases/{id}` carries the conversation (photos through signed `/api/media/...` links), shows actors
in words and never a citizen's id, and audits every time it returns an anonymous reporter's identity."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.case import Actor, Channel, Reporter
from chalicelib.domain.messages import CaseMessage
from chalicelib.services import workflow
from chalicelib.store.media import MediaStore
from tests.support.fake_provider import JPEG

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


@pytest.fixture(autouse=True)
def _own_days(clock):
    """These tests' cases live in February 2045, days no other test uses (the tables outlive each test)."""
    clock.set(datetime(2045, 2, 20, 2, 0, tzinfo=UTC))  # Monday 09:00 WIB, two clear working weeks ahead


def conversation_case(ctx, admin, *, anonymous=False):
    reporter = Reporter(name="Dewi Lestari", phone="+6281355556666", channel_user_id="whatsapp:6281355556666")
    case = workflow.open_case(ctx, Actor.citizen(reporter.key), channel=Channel.WHATSAPP,
                              description="Saluran air mampet di Jl. Joyoboyo", source_key=f"t:{uuid.uuid4()}",
                              reporter=reporter, anonymous=anonymous)
    case = workflow.forward_case(ctx, admin, case.case_id, case.version, lead_agency="dpupr", note="Mohon dicek.")
    store = MediaStore(ctx.channels)
    photo = store.put(f"media/{case.case_id}/foto.jpg", JPEG, "image/jpeg")
    letter = store.put(f"media/{case.case_id}/surat.pdf", PDF, "application/pdf")
    at = ctx.now()
    for message in (
        CaseMessage(case.case_id, "wa:a", at - timedelta(minutes=5), "in", "whatsapp", "text",
                    text="Saluran air mampet", author=reporter.key),
        CaseMessage(case.case_id, "wa:b", at - timedelta(minutes=4), "in", "whatsapp", "image", media_key=photo,
                    media_type="image/jpeg", author=reporter.key),
        CaseMessage(case.case_id, "wa:c", at - timedelta(minutes=3), "in", "whatsapp", "location",
                    latitude=-7.82, longitude=112.01, author=reporter.key),
        CaseMessage(case.case_id, "wa:d", at - timedelta(minutes=2), "in", "whatsapp", "file", media_key=letter,
                    media_type="application/pdf", author=reporter.key),
        CaseMessage(case.case_id, "wa:e", at - timedelta(minutes=1), "in", "whatsapp", "text",
                    text="Salah kirim", author=reporter.key, provider_id="wamid.e"),
        CaseMessage(case.case_id, f"{case.case_id}:reply:k1", at, "out", "whatsapp", "text",
                    text="Segera kami cek.", author="petugas.dpupr"),
    ):
        ctx.messages.add(message)
    ctx.messages.withdraw(case.case_id, "wamid.e")
    return case


def test_the_case_carries_its_conversation_oldest_first(media_ctx, admin, api, login):
    case = conversation_case(media_ctx, admin)
    view = api.http.get(f"/api/cases/{case.case_id}", headers=login("petugas.dpupr")).json_body
    messages = view["messages"]
    assert [m["kind"] for m in messages] == ["text", "image", "location", "file", "text", "text"]
    assert [m["direction"] for m in messages] == ["in"] * 5 + ["out"]
    assert messages[0] == {
        "direction": "in", "kind": "text", "text": "Saluran air mampet", "at": messages[0]["at"],
        "media_url": None, "media_type": None, "location": None, "author": "Pelapor", "withdrawn": False,
    }
    assert messages[0]["at"].endswith("+07:00")
    assert messages[1]["media_url"].startswith("/api/media/")
    assert messages[2]["location"] == {
        "lat": -7.82, "lon": 112.01, "map_url": "https://www.openstreetmap.org/?mlat=-7.820000&mlon=112.010000",
    }
    assert messages[4]["text"] == "Pesan ditarik oleh pengirim" and messages[4]["withdrawn"]
    assert messages[5]["author"] == "Petugas Penghubung DPUPR (petugas)"


def test_a_media_link_works_without_the_token_for_ten_minutes(media_ctx, clock, admin, api, login):
    case = conversation_case(media_ctx, admin)
    messages = api.http.get(f"/api/cases/{case.case_id}", headers=login("petugas.dpupr")).json_body["messages"]
    photo_url, pdf_url = messages[1]["media_url"], messages[3]["media_url"]
    accept = {"Accept": "*/*"}
    # When an API client loads the links without any Authorization header
    photo, letter = api.http.get(photo_url, headers=accept), api.http.get(pdf_url, headers=accept)
    # Then they get the bytes, typed by their content
    assert photo.status_code == 200 and photo.body == JPEG
    assert photo.headers["Content-Type"] == "image/jpeg"
    assert photo.headers["Cache-Control"] == "private, max-age=600"
    assert photo.headers["X-Content-Type-Options"] == "nosniff"
    assert letter.status_code == 200 and letter.body == PDF and letter.headers["Content-Type"] == "application/pdf"
    # A tampered token is a 404; the web view does not take an API link; after ten minutes it is a 403
    token = photo_url.rsplit("/", 1)[1]
    body, mac = token.split(".")
    assert api.http.get(f"/api/media/{body}.{mac[::-1]}", headers=accept).status_code == 404
    assert api.http.get(f"/api/media/{body[:-4]}.{mac}", headers=accept).status_code == 404
    clock.advance(minutes=10, seconds=1)
    expired = api.http.get(photo_url, headers=accept)
    assert expired.status_code == 403
    assert expired.json_body["error"]["code"] == "forbidden"


def test_a_media_link_dies_with_the_officers_session_or_access(media_ctx, admin, dpupr_officer, api, login):
    from chalicelib.services.auth import forget_session_state
    from chalicelib.services.sessions import set_officer_active

    case = conversation_case(media_ctx, admin)
    assert api.http.get(f"/api/cases/{case.case_id}", headers=login("petugas.dlhkp")).status_code == 404
    photo_url = api.http.get(f"/api/cases/{case.case_id}", headers=login("kabid.dpupr")).json_body["messages"][1][
        "media_url"]
    accept = {"Accept": "*/*"}
    assert api.http.get(photo_url, headers=accept).status_code == 200
    # When the supervisor is deactivated, their links stop working (and stay dead after reactivation)
    try:
        set_officer_active(media_ctx, admin, "kabid.dpupr", active=False)
        assert api.http.get(photo_url, headers=accept).status_code == 403
    finally:
        set_officer_active(media_ctx, admin, "kabid.dpupr", active=True)
        forget_session_state("kabid.dpupr")
    assert api.http.get(photo_url, headers=accept).status_code == 403  # the session version moved on
    # And when the case leaves DPUPR, a fresh DPUPR link stops working too
    officer_url = api.http.get(f"/api/cases/{case.case_id}", headers=login("petugas.dpupr")).json_body["messages"][
        1]["media_url"]
    workflow.return_case(media_ctx, dpupr_officer, case.case_id, case.version, note="Bukan saluran kota.")
    assert api.http.get(officer_url, headers=accept).status_code == 404


def test_an_anonymous_reporter_never_leaks_through_the_api(media_ctx, admin, api, login):
    case = conversation_case(media_ctx, admin, anonymous=True)
    raw = api.http.get(f"/api/cases/{case.case_id}", headers=login("petugas.dpupr")).body.decode()
    view = json.loads(raw)
    assert view["reporter"] is None
    for secret in ("Dewi", "+6281355556666", "6281355556666", "citizen:", "tel:+62", "whatsapp:"):
        assert secret not in raw, secret
    assert [e["actor"] for e in view["timeline"]] == ["Pelapor", "Admin Koordinator Diskominfo"]


def test_the_admin_gets_the_identity_and_the_audit_trail_records_it(media_ctx, admin, api, login):
    case = conversation_case(media_ctx, admin, anonymous=True)
    month = media_ctx.now().strftime("%Y-%m")
    before = [e for e in media_ctx.audit.list("identity", month, limit=1000) if e.case_id == case.case_id]
    admin_headers = login("admin.kominfo")
    unstated = api.http.get(f"/api/cases/{case.case_id}", headers=admin_headers).json_body
    assert unstated["reporter"] is None  # no reason, no identity, no audit entry
    view = api.http.get(f"/api/cases/{case.case_id}?identity_reason=Verifikasi%20ulang",
                        headers=admin_headers).json_body
    assert view["reporter"]["phone"] == "+6281355556666"
    after = [e for e in media_ctx.audit.list("identity", month, limit=1000) if e.case_id == case.case_id]
    assert len(after) == len(before) + 1
    assert (after[0].actor, after[0].outcome, after[0].detail) == ("admin.kominfo", "ditampilkan", "lewat API")
    assert after[0].reason == "Verifikasi ulang"
    assert "Dewi" not in (after[0].reason or "") + (after[0].detail or "")
    # a case that is not anonymous shows its reporter without an audit entry
    plain = conversation_case(media_ctx, admin)
    api.http.get(f"/api/cases/{plain.case_id}", headers=login("admin.kominfo"))
    assert not [e for e in media_ctx.audit.list("identity", month, limit=1000) if e.case_id == plain.case_id]


def test_the_timeline_names_officers_and_the_system_never_ids(media_ctx, admin, dpupr_supervisor, api, login):
    case = conversation_case(media_ctx, admin)
    workflow.assign_case(media_ctx, dpupr_supervisor, case.case_id, case.version, officer="petugas.dpupr")
    view = api.http.get(f"/api/cases/{case.case_id}", headers=login("sekda")).json_body
    assert [e["actor"] for e in view["timeline"]] == [
        "Pelapor", "Admin Koordinator Diskominfo", "Kabid Bina Marga DPUPR",
    ]
    assert "officer:" not in json.dumps(view["timeline"])
