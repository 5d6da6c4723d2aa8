"""The officer's case page (`/petugas/kasus/{nomor}`) as a signed-in browser sees it: the conversation with
photos behind short-lived signed links, the timeline and deadlines, exactly the allowed actions, the 409 page
for a stale version, agency isolation, anonymous reporters, reply templates and escaping.

Tables live for the whole test session; tests that read lists (likely duplicates) work on their own days.
"""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.calendar import WIB
from chalicelib.domain.case import Actor, Channel, Reporter, Status
from chalicelib.domain.messages import CaseMessage
from chalicelib.services import workflow
from chalicelib.store.media import MediaStore
from tests.support.fake_provider import JPEG
from tests.unit.web_session import hidden_value, text_of

ACTION_FORM = re.compile(r'<form method="post" action="/petugas/kasus/[A-Z0-9-]+/aksi/([a-z_]+)"')
IMAGE = re.compile(r'<img class="foto" src="(/petugas/media/[^"]+)"')


@pytest.fixture(autouse=True)
def _own_days(clock):
    """These tests' cases live in February 2045, days no other test uses (the tables outlive each test)."""
    clock.set(datetime(2045, 2, 20, 2, 0, tzinfo=UTC))  # Monday 09:00 WIB, two clear working weeks ahead


def enter(ctx, admin, text="Jalan berlubang di Jl. Dhoho depan toko, bahaya buat motor", **fields):
    fields.setdefault("reporter", Reporter(name="Siti Aminah", phone="+6281234567890"))
    return workflow.create_case_from_entry(ctx, admin, channel="telepon", description=text,
                                           idempotency_key=str(uuid.uuid4()), **fields)


def citizen_case(ctx, text, *, anonymous=False, channel=Channel.WHATSAPP, reporter=None):
    reporter = reporter or Reporter(name="Budi Santoso", phone="+6281311112222",
                                    channel_user_id="whatsapp:6281311112222")
    return workflow.open_case(ctx, Actor.citizen(reporter.key), channel=channel, description=text,
                              source_key=f"test:{uuid.uuid4()}", reporter=reporter, anonymous=anonymous)


def forwarded(ctx, admin, agency="dpupr", **fields):
    case = enter(ctx, admin, **fields)
    return workflow.forward_case(ctx, admin, case.case_id, case.version, lead_agency=agency)


def actions_on(page_text: str) -> set[str]:
    return set(ACTION_FORM.findall(page_text))


def form_of(page_text: str, action: str) -> str:
    start = page_text.index(f'id="aksi-{action}"')
    return page_text[start:page_text.index("</form>", start)]


# ---------------------------------------------------------------- forwarding, follow-up, closing


def test_admin_forwards_a_new_case_from_the_page_with_the_suggested_category_preselected(media_ctx, admin, web_as):
    # Given a new complaint about a damaged road
    case = enter(media_ctx, admin)
    web = web_as("admin.kominfo")
    # When the admin opens it
    page = web.get(f"/petugas/kasus/{case.case_id}")
    body = text_of(page)
    assert page.status_code == 200
    # Then the forward form preselects the suggested category, and the admin's actions are all there
    forward = form_of(body, "verifikasi_disposisi")
    assert '<option value="jalan-jembatan" selected>' in forward
    assert "Saran sistem: Jalan dan Jembatan Rusak" in forward
    assert actions_on(body) == {"verifikasi_disposisi", "tunda", "bukan_wewenang", "arsipkan", "gabungkan"}
    assert hidden_value(forward, "version") == "1"
    # When they forward it with DLHKP supporting and a note
    done = web.post(f"/petugas/kasus/{case.case_id}/aksi/verifikasi_disposisi", [
        ("version", "1"), ("category_id", "jalan-jembatan"), ("lead_agency", ""),
        ("supporting_agencies", "dlhkp"), ("tier", ""), ("note", "Mohon segera ditambal."),
    ])
    # Then they land back on the case with a success notice, and the case is with DPUPR
    assert done.status_code == 303
    assert done.headers["Location"] == f"/petugas/kasus/{case.case_id}?ok=verifikasi_disposisi"
    shown = text_of(web.follow(done))
    assert "Berhasil: diverifikasi dan didisposisikan." in shown
    saved = media_ctx.cases.get(case.case_id)
    assert (saved.status, saved.lead_agency, saved.supporting_agencies, saved.category_id) == (
        Status.TERVERIFIKASI, "dpupr", ("dlhkp",), "jalan-jembatan")
    assert "OPD utama: Dinas Pekerjaan Umum dan Penataan Ruang; pendukung: Dinas Lingkungan Hidup" in shown
    assert "Tindak lanjut pertama" in shown and 'class="sla sla-aman">Sisa 5 hari kerja<' in shown


def test_the_opd_follows_up_and_closes_from_the_page(media_ctx, admin, web_as):
    case = forwarded(media_ctx, admin)
    web = web_as("petugas.dpupr")
    body = text_of(web.get(f"/petugas/kasus/{case.case_id}"))
    # Given exactly what a lead-OPD officer may do on a verified case, the follow-up note marked required
    assert actions_on(body) == {"tunda", "kembalikan", "tindak_lanjut"}
    assert re.search(r'name="note" maxlength="4000" class="pendek" required', form_of(body, "tindak_lanjut"))
    # When they record the follow-up (public) and then close the case
    followed = web.post(f"/petugas/kasus/{case.case_id}/aksi/tindak_lanjut",
                        {"version": str(case.version), "note": "Sudah ditambal.\nMohon dicek.", "public": "1"})
    assert followed.status_code == 303
    page = text_of(web.follow(followed))
    assert "Berhasil: tindak lanjut." in page
    assert '<p class="keterangan">Sudah ditambal.\nMohon dicek.</p>' in page  # line breaks kept (pre-line)
    assert "Publik, catatan ikut tampil" in page
    assert "Tutup otomatis" in page
    # another follow-up only: the citizen's reply window is open, so the OPD cannot close yet
    assert actions_on(page) == {"tindak_lanjut"}
    refused = web.post(f"/petugas/kasus/{case.case_id}/aksi/selesaikan",
                       {"version": hidden_value(form_of(page, "tindak_lanjut"), "version"), "note": "Selesai."})
    assert refused.status_code == 403
    # The admin koordinator may close inside the window, with a note the citizen sees
    admin_web = web_as("admin.kominfo")
    admin_page = text_of(admin_web.get(f"/petugas/kasus/{case.case_id}"))
    version = hidden_value(form_of(admin_page, "selesaikan"), "version")
    assert re.search(r'name="note" maxlength="4000" class="pendek" required', form_of(admin_page, "selesaikan"))
    empty = admin_web.post(f"/petugas/kasus/{case.case_id}/aksi/selesaikan", {"version": version, "note": " "})
    assert empty.status_code == 400
    closed = admin_web.post(f"/petugas/kasus/{case.case_id}/aksi/selesaikan",
                            {"version": version, "note": "Dicek di lokasi: sudah rata."})
    # Then the case is done: the OPD is offered nothing any more, the admin only a reopen with a reason
    assert closed.status_code == 303
    assert media_ctx.cases.get(case.case_id).status is Status.SELESAI
    assert actions_on(text_of(admin_web.follow(closed))) == {"buka_kembali"}
    final = text_of(web.get(f"/petugas/kasus/{case.case_id}"))
    assert "Tidak ada tindakan yang dapat Anda lakukan" in final
    assert "Laporan sudah ditutup; tidak ada batas waktu berjalan." in final


def test_the_hold_form_asks_for_an_end_date_within_the_limit(media_ctx, admin, web_as):
    case = enter(media_ctx, admin)
    web = web_as("admin.kominfo")
    form = form_of(text_of(web.get(f"/petugas/kasus/{case.case_id}")), "tunda")
    today = media_ctx.calendar.local_date(media_ctx.now())
    limit = media_ctx.calendar.working_day_after(today, 14)
    assert re.search(rf'<input type="date" id="aksi-tunda-sampai" name="until" required min="{today}" max="{limit}"',
                     form)
    no_date = web.post(f"/petugas/kasus/{case.case_id}/aksi/tunda", {"version": "1", "note": "Mohon foto."})
    assert no_date.status_code == 400 and "Tanggal akhir penundaan wajib diisi" in text_of(no_date)
    too_far = web.post(f"/petugas/kasus/{case.case_id}/aksi/tunda",
                       {"version": "1", "note": "Mohon foto.", "until": (limit + timedelta(days=7)).isoformat()})
    assert too_far.status_code == 400 and "14 hari kerja" in text_of(too_far)
    held = web.post(f"/petugas/kasus/{case.case_id}/aksi/tunda",
                    {"version": "1", "note": "Mohon foto.", "until": limit.isoformat()})
    assert held.status_code == 303
    stored = media_ctx.cases.get(case.case_id)
    assert stored.status is Status.DITUNDA and stored.paused.until.astimezone(WIB).date() == limit
    page = text_of(web.follow(held))
    assert "lalu dilanjutkan otomatis" in page and "Jeda: sisa" in page


def test_a_missing_required_note_re_shows_the_page_with_the_message(media_ctx, admin, web_as):
    case = enter(media_ctx, admin)
    web = web_as("admin.kominfo")
    web.get(f"/petugas/kasus/{case.case_id}")
    refused = web.post(f"/petugas/kasus/{case.case_id}/aksi/tunda", {"version": "1", "note": "  "})
    assert refused.status_code == 400
    assert "wajib disertai keterangan" in text_of(refused)
    assert 'id="galat-tunda"' in text_of(refused)
    assert media_ctx.cases.get(case.case_id).status is Status.BARU


def test_a_stale_version_shows_the_409_page_and_changes_nothing(media_ctx, admin, dpupr_supervisor, web_as):
    # Given the officer opened the case at version 2
    case = forwarded(media_ctx, admin)
    web = web_as("petugas.dpupr")
    page = text_of(web.get(f"/petugas/kasus/{case.case_id}"))
    seen = hidden_value(form_of(page, "tindak_lanjut"), "version")
    # When the supervisor assigns it meanwhile, and the officer then submits the follow-up
    workflow.assign_case(media_ctx, dpupr_supervisor, case.case_id, case.version, officer="petugas.dpupr")
    stale = web.post(f"/petugas/kasus/{case.case_id}/aksi/tindak_lanjut", {"version": seen, "note": "Sudah."})
    # Then a 409 page says someone else changed it and offers a reload; nothing was recorded
    assert stale.status_code == 409
    body = text_of(stale)
    assert "sudah diubah orang lain" in body
    assert f'href="/petugas/kasus/{case.case_id}"' in body
    assert media_ctx.cases.get(case.case_id).status is Status.TERVERIFIKASI


def test_another_opds_case_is_a_404_page_and_its_actions_are_refused(media_ctx, admin, web_as):
    case = forwarded(media_ctx, admin, text="Jalan amblas di Jl. Kawi, rahasia DPUPR")
    web = web_as("petugas.dlhkp")
    page = web.get(f"/petugas/kasus/{case.case_id}")
    assert page.status_code == 404
    assert "Jalan amblas" not in text_of(page) and "Siti" not in text_of(page)
    for action, form in (("tindak_lanjut", {"note": "Bukan urusan kami"}), ("tunda", {"note": "x"}),
                         ("selesaikan", {})):
        refused = web.post(f"/petugas/kasus/{case.case_id}/aksi/{action}", {"version": str(case.version), **form})
        assert refused.status_code in (403, 404), action
    assert media_ctx.cases.get(case.case_id).version == case.version
    # an unknown action and a forged CSRF token are refused as well
    mine = web_as("petugas.dpupr")
    mine.get(f"/petugas/kasus/{case.case_id}")
    assert mine.post(f"/petugas/kasus/{case.case_id}/aksi/hapus", {"version": "2"}).status_code == 404
    forged = mine.post(f"/petugas/kasus/{case.case_id}/aksi/tindak_lanjut", {"version": "2", "note": "x"},
                       csrf="forged")
    assert forged.status_code == 403


def test_leadership_reads_the_case_but_gets_no_action_or_reply_form(media_ctx, admin, web_as):
    case = forwarded(media_ctx, admin)
    body = text_of(web_as("sekda").get(f"/petugas/kasus/{case.case_id}"))
    assert actions_on(body) == set()
    assert "/balas" not in body
    assert "Siti Aminah" in body  # not anonymous: every officer role involved sees the reporter


# ---------------------------------------------------------------- merging and likely duplicates


def test_likely_duplicates_are_suggested_best_match_first_and_the_merge_works(media_ctx, clock, admin, web_as):
    # Given, on days no other test uses, road complaints of the last two weeks (and an older one)
    clock.set(datetime(2046, 3, 26, 2, 0, tzinfo=UTC))
    old = enter(media_ctx, admin, "Jembatan Jl. Kenanga retak dan berlubang", category_id="jalan-jembatan")
    clock.advance(days=15)
    similar = enter(media_ctx, admin, "Jembatan Jl. Kenanga retak di sisi timur", category_id="jalan-jembatan")
    clock.advance(hours=1)
    other = enter(media_ctx, admin, "Jalan Jl. Mawar bergelombang", category_id="jalan-jembatan")
    clock.advance(hours=1)
    waste = enter(media_ctx, admin, "Sampah di jembatan Jl. Kenanga retak", category_id="kebersihan")
    clock.advance(hours=1)
    case = enter(media_ctx, admin, "Jembatan Jl. Kenanga retak, takut ambruk", category_id="jalan-jembatan")
    web = web_as("admin.kominfo")
    # When the admin opens the newest one
    merge = form_of(text_of(web.get(f"/petugas/kasus/{case.case_id}")), "gabungkan")
    # Then the same-category open cases of the last 14 days are listed, the closest first
    listed = re.findall(r'<a href="/petugas/kasus/([A-Z0-9-]+)" class="kode">', merge)
    assert listed[:2] == [similar.case_id, other.case_id]
    assert old.case_id not in listed and waste.case_id not in listed and case.case_id not in listed
    assert len(listed) <= 5
    # When they merge into the suggested one
    done = web.post(f"/petugas/kasus/{case.case_id}/aksi/gabungkan",
                    {"version": "1", "merge_into": similar.case_id, "note": "Laporan ganda."})
    assert done.status_code == 303
    assert media_ctx.cases.get(case.case_id).merged_into == similar.case_id
    page = text_of(web.follow(done))
    assert f'<a href="/petugas/kasus/{similar.case_id}">{similar.case_id}</a>' in page
    assert "/balas" not in page  # a merged case gets no reply form
    surviving = text_of(web.get(f"/petugas/kasus/{similar.case_id}"))  # and the surviving case records it
    assert f"Laporan {case.case_id} digabung ke laporan ini" in surviving


# ---------------------------------------------------------------- conversation and photos


def _photo_case(ctx, admin):
    case = forwarded(ctx, admin)
    key = MediaStore(ctx.channels).put(f"media/{case.case_id}/foto-1.jpg", JPEG, "image/jpeg")
    at = ctx.now()
    messages = [
        CaseMessage(case.case_id, "wa:1", at - timedelta(minutes=3), "in", "whatsapp", "text",
                    text="Ini fotonya, Pak"),
        CaseMessage(case.case_id, "wa:2", at - timedelta(minutes=2), "in", "whatsapp", "image",
                    media_key=key, media_type="image/jpeg", author="tel:+6281311112222"),
        CaseMessage(case.case_id, "wa:3", at - timedelta(minutes=1), "in", "whatsapp", "location",
                    latitude=-7.8166, longitude=112.0119),
        CaseMessage(case.case_id, "wa:4", at, "in", "whatsapp", "text", text="Nomor saya 0813-1111-2222",
                    provider_id="wamid.4"),
    ]
    for message in messages:
        ctx.messages.add(message)
    ctx.messages.withdraw(case.case_id, "wamid.4")  # the citizen took the last one back
    return case


def test_the_whole_conversation_is_shown_oldest_first_with_a_map_link(media_ctx, admin, web_as):
    case = _photo_case(media_ctx, admin)
    body = text_of(web_as("petugas.dpupr").get(f"/petugas/kasus/{case.case_id}"))
    conversation = body[body.index('id="percakapan"'):body.index('id="linimasa"')]
    assert conversation.index("Ini fotonya, Pak") < conversation.index('class="foto"') \
        < conversation.index("openstreetmap") < conversation.index("Pesan ditarik oleh pengirim")
    assert 'href="https://www.openstreetmap.org/?mlat=-7.816600&amp;mlon=112.011900"' in conversation
    assert "tel:+62" not in body and "citizen:" not in body and "0813-1111-2222" not in body
    assert "<strong>Pelapor</strong>" in conversation


def test_a_photo_is_served_through_a_short_lived_link_to_that_officer_only(media_ctx, clock, admin, web_as):
    case = _photo_case(media_ctx, admin)
    dpupr = web_as("petugas.dpupr")
    link = IMAGE.search(text_of(dpupr.get(f"/petugas/kasus/{case.case_id}"))).group(1)
    # When the officer's browser loads the photo
    photo = dpupr.api.http.get(link, headers=dpupr.headers({"Accept": "image/avif,image/webp,*/*"}))
    # Then it gets the bytes with a safe set of headers
    assert photo.status_code == 200
    assert photo.body == JPEG
    assert photo.headers["Content-Type"] == "image/jpeg"
    assert photo.headers["Cache-Control"] == "private, max-age=600"
    assert photo.headers["X-Content-Type-Options"] == "nosniff"
    assert photo.headers["Content-Disposition"] == "inline"
    accept = {"Accept": "*/*"}
    # A tampered token, another OPD's officer, no session, or the API route: refused
    token = link.rsplit("/", 1)[1]
    body, mac = token.split(".")
    tampered = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + mac
    assert dpupr.api.http.get(f"/petugas/media/{tampered}", headers=dpupr.headers(accept)).status_code == 404
    dlhkp = web_as("petugas.dlhkp")
    assert dlhkp.api.http.get(link, headers=dlhkp.headers(accept)).status_code in (403, 404)
    assert dpupr.api.http.get(link, headers=accept).status_code == 303  # signed out: to the sign-in page
    assert dpupr.api.http.get(f"/api/media/{token}", headers=accept).status_code == 404  # a web link only
    # And once ten minutes have passed, the link no longer works
    clock.advance(minutes=11)
    assert dpupr.api.http.get(link, headers=dpupr.headers(accept)).status_code == 403


def test_a_photo_link_stops_working_when_the_case_leaves_the_opd(media_ctx, admin, dpupr_officer, web_as):
    case = _photo_case(media_ctx, admin)
    dpupr = web_as("petugas.dpupr")
    link = IMAGE.search(text_of(dpupr.get(f"/petugas/kasus/{case.case_id}"))).group(1)
    workflow.return_case(media_ctx, dpupr_officer, case.case_id, case.version, note="Bukan jalan kota.")
    assert dpupr.api.http.get(link, headers=dpupr.headers({"Accept": "*/*"})).status_code == 404


# ---------------------------------------------------------------- anonymous reporters


def test_an_anonymous_reporter_is_hidden_and_shown_to_the_admin_only_with_a_reason(media_ctx, admin, web_as):
    case = citizen_case(media_ctx, "Ada pungli di loket kelurahan, saya takut ketahuan", anonymous=True)
    case = workflow.forward_case(media_ctx, admin, case.case_id, case.version, lead_agency="dpupr")
    # Given the OPD officer: neither the identity nor the citizen id, and no way to reveal it
    opd = web_as("petugas.dpupr")
    opd_page = text_of(opd.get(f"/petugas/kasus/{case.case_id}"))
    for secret in ("Budi", "+6281311112222", "6281311112222", "citizen:", "tel:+62"):
        assert secret not in opd_page, secret
    assert "Pelapor meminta identitasnya dirahasiakan" in opd_page
    assert "/identitas" not in opd_page
    assert "oleh Pelapor" in opd_page
    assert opd.post(f"/petugas/kasus/{case.case_id}/identitas", {"reason": "Ingin tahu"}).status_code == 403
    # Given the admin: hidden too, until they state a reason
    web = web_as("admin.kominfo")
    page = text_of(web.get(f"/petugas/kasus/{case.case_id}"))
    assert "Budi" not in page and "+6281311112222" not in page
    assert 'action="/petugas/kasus/' + case.case_id + '/identitas"' in page
    assert re.search(r'<textarea id="reason" name="reason" maxlength="500" required', page)
    assert web.post(f"/petugas/kasus/{case.case_id}/identitas", {"reason": "  "}).status_code == 400
    # When they submit a reason
    reason = f"Verifikasi dugaan pungli {uuid.uuid4().hex[:6]}"
    shown = web.post(f"/petugas/kasus/{case.case_id}/identitas", {"reason": reason})
    # Then this answer shows the identity, the next page view hides it again, and the audit trail lists it
    assert shown.status_code == 200
    assert "Budi Santoso" in text_of(shown) and "+6281311112222" in text_of(shown)
    assert "Budi" not in text_of(web.get(f"/petugas/kasus/{case.case_id}"))
    audit = text_of(web.get("/petugas/audit", jenis="identity", bulan=media_ctx.now().strftime("%Y-%m")))
    row = audit[audit.index(reason) - 600:audit.index(reason)]
    assert case.case_id in row and "admin.kominfo" in row


# ---------------------------------------------------------------- reply templates


def test_reply_templates_are_kept_per_opd_and_prefill_the_reply(media_ctx, admin, web_as):
    case = forwarded(media_ctx, admin)
    web = web_as("petugas.dpupr")
    form = text_of(web.get("/petugas/templat"))
    key = hidden_value(form, "idempotency_key")
    title = f"Sudah dijadwalkan {uuid.uuid4().hex[:6]}"
    fields = {"title": title, "body": "Perbaikan sudah kami jadwalkan minggu ini.", "idempotency_key": key}
    # When the officer adds a template (and the form is submitted twice)
    assert web.post("/petugas/templat", fields).status_code == 303
    assert web.post("/petugas/templat", fields).status_code == 303
    listing = text_of(web.get("/petugas/templat"))
    assert listing.count(title) == 1
    # Then another OPD does not see it, and the case page offers it
    assert title not in text_of(web_as("petugas.dlhkp").get("/petugas/templat"))
    page = text_of(web.get(f"/petugas/kasus/{case.case_id}"))
    template_id = re.search(r'<option value="([0-9a-f]{16})" data-isi="Perbaikan sudah kami jadwalkan minggu ini.">'
                            + re.escape(title), page).group(1)
    assert "Pakai templat" in page
    prefilled = text_of(web.get(f"/petugas/kasus/{case.case_id}", templat=template_id))
    assert 'name="text" maxlength="1000" required>Perbaikan sudah kami jadwalkan minggu ini.</textarea>' in prefilled
    # When they delete it, it is gone
    web.get("/petugas/templat")
    assert web.post("/petugas/templat/hapus", {"template_id": template_id}).status_code == 303
    assert title not in text_of(web.get("/petugas/templat"))
    assert web_as("sekda").get("/petugas/templat").status_code == 403


# ---------------------------------------------------------------- escaping


def test_hostile_text_is_shown_as_text(media_ctx, admin, web_as):
    hostile = '<script>alert(1)</script> "><img src=x onerror=alert(2)>'
    case = enter(media_ctx, admin, f"Jalan rusak {hostile}", location=hostile, title=hostile[:60])
    until = media_ctx.calendar.working_day_after(media_ctx.calendar.local_date(media_ctx.now()), 2).isoformat()
    case = workflow.hold_case(media_ctx, admin, case.case_id, case.version, note=hostile, until=until)
    media_ctx.messages.add(CaseMessage(case.case_id, "wa:x", media_ctx.now(), "in", "whatsapp", "text", text=hostile))
    body = text_of(web_as("admin.kominfo").get(f"/petugas/kasus/{case.case_id}"))
    assert "<script>alert(1)" not in body and "<img src=x" not in body
    assert html.escape(hostile, quote=False).replace('"', "&#34;") in body or "&lt;script&gt;alert(1)" in body
    assert body.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4  # description, location, note, message


def test_the_page_and_the_api_say_which_deadline_applies_the_stages_or_the_60_day_cap(media_ctx, admin, web_as):
    from chalicelib.services.presenters import case_view

    entered = enter(media_ctx, admin)
    long = workflow.forward_case(media_ctx, admin, entered.case_id, entered.version, lead_agency="dpupr",
                                 tier="berkadar_pengawasan")
    short = forwarded(media_ctx, admin)
    web = web_as("admin.kominfo")
    # a berkadar case: 60 working days run past the 60-day cap (counted from today's verification)
    assert long.finish_by.due_at < long.deadline.due_at
    page = text_of(web.get(f"/petugas/kasus/{long.case_id}"))
    assert "Berlaku: Batas akhir 60 hari</strong>" in page and "lebih awal dari batas tahap" in page
    assert "(60 hari kalender sejak diverifikasi, berlaku)" in page
    shown = case_view(media_ctx, long, admin)["deadline"]
    assert (shown["kind"], shown["basis"], shown["basis_label"]) == ("batas_akhir", "batas_akhir",
                                                                    "Batas akhir 60 hari")
    assert shown["stage"]["kind"] == "tindak_lanjut"
    # a normatif case: its own 5 working days come first
    page = text_of(web.get(f"/petugas/kasus/{short.case_id}"))
    assert "Berlaku:" not in page and "(batas tahap, berlaku)" in page
    assert "(60 hari kalender sejak diverifikasi)" in page
    shown = case_view(media_ctx, short, admin)["deadline"]
    assert (shown["kind"], shown["basis"], shown["stage"]) == ("tindak_lanjut", "batas_tahap", None)
    # before verification there is no cap yet: only the verification deadline
    fresh = enter(media_ctx, admin, text="Lampu jalan mati di Jl. Hayam Wuruk sejak seminggu")
    assert fresh.finish_by is None
    assert case_view(media_ctx, fresh, admin)["deadline"]["basis"] == "batas_tahap"
    assert "Batas akhir penyelesaian" not in text_of(web.get(f"/petugas/kasus/{fresh.case_id}"))
