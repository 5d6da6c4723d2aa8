"""A citizen asks the city to erase their data (UU PDP art. 8, 43): their identity, words and files go; the
case's facts — and so every dashboard figure — stay."""

from __future__ import annotations

import json

import pytest

from chalicelib.domain.calendar import WIB
from chalicelib.observability import pseudonym
from chalicelib.services.dashboard import dashboard
from chalicelib.services.sync import sync_pending_cases
from chalicelib.store.media import MediaStore
from chalicelib.store.privacy import PrivacyRepository
from tests.unit.privacy_flows import ADMIN, DPUPR, citizen_story, far_month, unique_phone

pytestmark = pytest.mark.real_store  # erasure reaches the tables below the repositories: on DynamoDB (moto)

REASON = "Permohonan penghapusan data pelapor, surat No. 7/PDP/2046"


def _erase(api, headers, **body):
    return api.http.post("/api/admin/privacy/erase", headers=headers, body=json.dumps(body))


def _stored_text(ctx, case_id: str) -> str:
    """Every stored item about the case, as one string (case, messages, outbox, inbound deliveries)."""
    repo = PrivacyRepository()
    messages = repo.message_items(case_id)
    case = ctx.cases.get(case_id)
    from chalicelib.services.privacy import _outbox_ids

    ids = [(m.direction, m.message_key.split("#", 1)[1]) for m in messages]
    outbox = repo.outbox_items(_outbox_ids(case, ids))
    items = [*repo.case_items([case_id]), *(m.to_simple_dict() for m in messages),
             *(o.to_simple_dict() for o in outbox)]
    return json.dumps(items, default=str)


def test_erasure_removes_the_person_and_leaves_every_figure_as_it_was(api, intake_ctx, login):
    ctx = intake_ctx
    far_month(ctx.clock, 2046, 4)
    phone, name = unique_phone(), "Maria Kusumawati"
    before_case, photo = citizen_story(ctx, ctx.clock, phone, name=name)
    event_keys = [m.message_key.split("#", 1)[1] for m in PrivacyRepository().message_items(before_case.case_id)
                  if m.direction == "in"]
    assert before_case.rating == 5 and before_case.status.value == "SELESAI"
    stored = _stored_text(ctx, before_case.case_id)
    assert phone in stored and name in stored  # the story really stored the person
    city_before = dashboard(ctx, ADMIN, months=1)
    opd_before = dashboard(ctx, DPUPR, months=1)

    response = _erase(api, login("admin.kominfo"), identifier=phone, reason=REASON, confirm=True)

    assert response.status_code == 200, response.body
    assert response.json_body["cases"] == 1 and response.json_body["case_ids"] == [before_case.case_id]
    assert response.json_body["media"] == 1 and response.json_body["outbox"] >= 3
    sync_pending_cases(ctx)
    after = ctx.cases.get(before_case.case_id)
    # the facts stay
    for name_of in ("status", "category_id", "lead_agency", "rating", "received_at", "verified_at",
                    "followed_up_at", "closed_at", "channel", "tier", "anonymous", "confidential"):
        assert getattr(after, name_of) == getattr(before_case, name_of), name_of
    assert [(e.seq, e.action, e.at, e.to_status) for e in after.timeline] == \
        [(e.seq, e.action, e.at, e.to_status) for e in before_case.timeline]
    assert dashboard(ctx, ADMIN, months=1) == city_before
    assert dashboard(ctx, DPUPR, months=1) == opd_before
    # the person goes
    assert after.reporter.key is None and not after.reporter.name
    assert ctx.cases.list_by_reporter(f"tel:{phone}") == []
    assert {e.actor_id for e in after.timeline if e.actor_role.value == "citizen"} == {"citizen:anonim"}
    stored = _stored_text(ctx, after.case_id)
    for secret in (phone, phone.lstrip("+"), "0" + phone[3:], name, "Lampu jalan mati", "wamid"):
        assert secret not in stored, secret
    assert MediaStore(ctx.channels).get(photo) is None
    for event in PrivacyRepository().event_items(event_keys):
        assert json.loads(event.payload) == {"redacted": True}
    # audited, by pseudonym
    month = ctx.now().astimezone(WIB).strftime("%Y-%m")
    [entry] = [e for e in ctx.audit.list("privacy", month)
               if e.outcome == "hapus" and pseudonym(f"tel:{phone}") in (e.detail or "")]
    assert entry.actor == "admin.kominfo" and entry.reason == REASON


def test_an_open_case_is_refused_and_nothing_changes(api, intake_ctx, login):
    ctx = intake_ctx
    far_month(ctx.clock, 2046, 5)
    phone = unique_phone()
    open_case, photo = citizen_story(ctx, ctx.clock, phone, close=False)

    response = _erase(api, login("admin.kominfo"), identifier=phone, reason=REASON, confirm=True)

    assert response.status_code == 409
    assert open_case.case_id in response.json_body["error"]["message"]
    kept = ctx.cases.get(open_case.case_id)
    assert kept == open_case and kept.reporter.phone == phone
    assert MediaStore(ctx.channels).get(photo) is not None
    month = ctx.now().astimezone(WIB).strftime("%Y-%m")
    assert any(e.outcome == "hapus_ditolak" and pseudonym(f"tel:{phone}") in (e.detail or "")
               for e in ctx.audit.list("privacy", month))


def test_erasure_needs_the_admin_a_reason_and_a_confirmation(api, intake_ctx, login):
    phone = unique_phone()
    assert _erase(api, login("kabid.dpupr"), identifier=phone, reason=REASON, confirm=True).status_code == 403
    admin = login("admin.kominfo")
    unconfirmed = _erase(api, admin, identifier=phone, reason=REASON)
    assert unconfirmed.status_code == 400 and unconfirmed.json_body["error"]["details"]["field"] == "confirm"
    assert _erase(api, admin, identifier=phone, reason="karena", confirm=True).status_code == 400


def test_erasing_twice_is_harmless_and_a_later_export_finds_nothing(api, intake_ctx, login):
    ctx = intake_ctx
    far_month(ctx.clock, 2046, 6)
    phone = unique_phone()
    case, _ = citizen_story(ctx, ctx.clock, phone, rate=False)
    admin = login("admin.kominfo")
    assert _erase(api, admin, identifier=phone, reason=REASON, confirm=True).json_body["cases"] == 1
    again = _erase(api, admin, identifier=phone, reason=REASON, confirm=True)
    assert again.status_code == 200 and again.json_body["cases"] == 0

    from chalicelib.services.privacy import anonymise_case

    assert anonymise_case(ctx, ctx.cases.get(case.case_id)).already == 1  # the retention job meets it: no-op
    export = api.http.post("/api/admin/privacy/export", headers=admin,
                           body=json.dumps({"identifier": phone, "reason": REASON}))
    assert export.json_body["counts"]["cases"] == 0


def test_a_crash_half_way_is_finished_by_running_the_erasure_again(intake_ctx, monkeypatch):
    ctx = intake_ctx
    far_month(ctx.clock, 2046, 7)
    phone = unique_phone()
    case, _ = citizen_story(ctx, ctx.clock, phone)
    from chalicelib.services.privacy import erase_person

    real_save = ctx.cases.save

    def crash(_case):
        raise RuntimeError("the function died")

    monkeypatch.setattr(ctx.cases, "save", crash)
    with pytest.raises(RuntimeError):
        erase_person(ctx, ADMIN, phone, REASON, True)
    monkeypatch.setattr(ctx.cases, "save", real_save)
    assert ctx.cases.get(case.case_id).reporter.phone == phone  # the case item is written last

    assert erase_person(ctx, ADMIN, phone, REASON, True)["cases"] == 1
    stored = _stored_text(ctx, case.case_id)
    assert phone not in stored and phone.lstrip("+") not in stored and "wamid" not in stored


def test_the_admin_erases_from_the_privacy_page(intake_ctx, web_as):
    ctx = intake_ctx
    far_month(ctx.clock, 2046, 8)
    phone = unique_phone()
    case, _ = citizen_story(ctx, ctx.clock, phone, rate=False)
    admin = web_as("admin.kominfo")
    admin.get("/petugas/admin/privasi")
    unconfirmed = admin.post("/petugas/admin/privasi", {"aksi": "hapus", "identifier": phone, "reason": REASON})
    assert unconfirmed.status_code == 400 and ctx.cases.get(case.case_id).reporter.phone == phone
    done = admin.post("/petugas/admin/privasi",
                      {"aksi": "hapus", "identifier": phone, "reason": REASON, "confirm": "ya"})
    assert done.status_code == 200 and "telah dihapus" in done.body.decode()
    assert ctx.cases.get(case.case_id).reporter.key is None
    forged = admin.post("/petugas/admin/privasi", {"aksi": "hapus", "identifier": phone, "reason": REASON,
                                                    "confirm": "ya"}, csrf="forged")
    assert forged.status_code == 403
