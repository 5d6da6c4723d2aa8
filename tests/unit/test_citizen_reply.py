"""Replying to the citizen from the case page: on the reporter's own channel, once per form, in the
conversation, and only by those who may."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chalicelib.domain.case import Actor, Channel, Reporter, Status
from chalicelib.domain.errors import NotPermitted, ValidationFailed
from chalicelib.services import workflow
from chalicelib.services.citizen_reply import UNREACHABLE, reply_to_citizen
from tests.unit.web_session import hidden_value, text_of


@pytest.fixture(autouse=True)
def _own_days(clock):
    """These tests' cases live in February 2045, days no other test uses (the tables outlive each test)."""
    clock.set(datetime(2045, 2, 20, 2, 0, tzinfo=UTC))  # Monday 09:00 WIB, two clear working weeks ahead


def captured(ctx) -> list[dict]:
    path = Path(ctx.channels.media_dir).parent / "outbox-captured.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def citizen_case(ctx, admin, *, channel=Channel.WHATSAPP, reporter=None, lead="dpupr", anonymous=False):
    reporter = reporter or Reporter(name="Budi", phone="+6281311112222", channel_user_id="whatsapp:6281311112222")
    case = workflow.open_case(ctx, Actor.citizen(reporter.key), channel=channel,
                              description="Lampu jalan di Jl. Dhoho mati, jalan rusak", source_key=f"t:{uuid.uuid4()}",
                              reporter=reporter, anonymous=anonymous)
    return workflow.forward_case(ctx, admin, case.case_id, case.version, lead_agency=lead,
                                 supporting_agencies=("dlhkp",))


def reply_form(web, case_id) -> dict:
    page = text_of(web.get(f"/petugas/kasus/{case_id}"))
    assert 'action="/petugas/kasus/' + case_id + '/balas"' in page
    return {"idempotency_key": hidden_value(page, "idempotency_key")}


def test_a_reply_goes_out_on_the_citizens_channel_and_joins_the_conversation(media_ctx, admin, web_as):
    # Given a WhatsApp complaint DPUPR leads
    case = citizen_case(media_ctx, admin)
    web = web_as("petugas.dpupr")
    form = reply_form(web, case.case_id)
    # When the officer replies
    sent = web.post(f"/petugas/kasus/{case.case_id}/balas", {**form, "text": "Tim kami meluncur besok pagi."})
    # Then it went out on WhatsApp to the reporter (a local run writes it to outbox-captured.jsonl)
    assert sent.status_code == 303
    assert sent.headers["Location"] == f"/petugas/kasus/{case.case_id}?ok=balas#percakapan"
    out = [m for m in captured(media_ctx) if m["case_id"] == case.case_id]
    assert len(out) == 1
    assert (out[0]["channel"], out[0]["recipient"]) == ("whatsapp", "6281311112222")
    assert out[0]["body"] == f"Balasan petugas untuk laporan {case.case_id}:\nTim kami meluncur besok pagi."
    assert media_ctx.outbox.get(out[0]["message_id"]).state == "sent"
    # And the case page shows it in the conversation as the officer's reply
    page = text_of(web.follow(sent))
    assert "Balasan sudah terkirim ke pelapor." in page
    conversation = page[page.index('id="percakapan"'):page.index('id="linimasa"')]
    assert "Petugas Penghubung DPUPR (petugas)" in conversation and "Balasan petugas" in conversation
    assert "Tim kami meluncur besok pagi." in conversation


def test_a_double_submitted_reply_is_sent_once(media_ctx, clock, admin, web_as):
    case = citizen_case(media_ctx, admin)
    web = web_as("admin.kominfo")
    form = {**reply_form(web, case.case_id), "text": "Mohon kirim foto lokasinya."}
    first = web.post(f"/petugas/kasus/{case.case_id}/balas", form)
    clock.advance(seconds=5)
    second = web.post(f"/petugas/kasus/{case.case_id}/balas", form)
    assert first.status_code == second.status_code == 303
    assert len([m for m in captured(media_ctx) if m["case_id"] == case.case_id]) == 1
    replies = [m for m in media_ctx.messages.for_case(case.case_id) if m.direction == "out"]
    assert [m.text for m in replies] == ["Mohon kirim foto lokasinya."]
    # a new page load is a new form: the next reply is a new message
    again = web.post(f"/petugas/kasus/{case.case_id}/balas", {**reply_form(web, case.case_id), "text": "Terima kasih."})
    assert again.status_code == 303
    assert len([m for m in captured(media_ctx) if m["case_id"] == case.case_id]) == 2


def test_a_reply_is_really_sent_to_the_provider_on_line(intake_ctx, provider, admin, web_as):
    reporter = Reporter(name="Rina", channel_user_id="line:U4af4980629")
    case = citizen_case(intake_ctx, admin, channel=Channel.LINE, reporter=reporter)
    web = web_as("petugas.dpupr")
    sent = web.post(f"/petugas/kasus/{case.case_id}/balas",
                    {**reply_form(web, case.case_id), "text": "Sudah kami catat, terima kasih."})
    assert sent.status_code == 303
    pushes = [r for r in provider.requests if r.path == "/v2/bot/message/push"]
    assert len(pushes) == 1
    assert pushes[0].json()["to"] == "U4af4980629"
    assert pushes[0].json()["messages"][0]["text"].endswith("Sudah kami catat, terima kasih.")


def test_an_unreachable_reporter_gets_a_clear_message_and_no_form(media_ctx, admin, dpupr_officer, web_as):
    # Given a web-form complaint that left neither phone nor e-mail
    case = citizen_case(media_ctx, admin, channel=Channel.WEB, reporter=Reporter(name="Tanpa Kontak"))
    web = web_as("petugas.dpupr")
    page = text_of(web.get(f"/petugas/kasus/{case.case_id}"))
    assert "Pelapor tidak dapat dihubungi lewat kanal mana pun." in page
    assert 'name="text"' not in page
    with pytest.raises(ValidationFailed) as refused:
        reply_to_citizen(media_ctx, dpupr_officer, case.case_id, "Halo", "kunci-balasan-1")
    assert refused.value.message == UNREACHABLE
    posted = web.post(f"/petugas/kasus/{case.case_id}/balas", {"idempotency_key": "kunci-balasan-2", "text": "Halo"})
    assert posted.status_code == 400 and UNREACHABLE in text_of(posted)


def test_only_the_admin_and_the_lead_opd_may_reply(media_ctx, admin, dlhkp_officer, leadership, web_as):
    case = citizen_case(media_ctx, admin)  # DPUPR leads, DLHKP supports
    for actor in (dlhkp_officer, leadership):
        with pytest.raises(NotPermitted):
            reply_to_citizen(media_ctx, actor, case.case_id, "Halo", "kunci-balasan-3")
    dlhkp = web_as("petugas.dlhkp")
    page = text_of(dlhkp.get(f"/petugas/kasus/{case.case_id}"))
    assert "/balas" not in page  # the supporting OPD sees the case but gets no reply form
    refused = dlhkp.post(f"/petugas/kasus/{case.case_id}/balas", {"idempotency_key": "kunci-balasan-4", "text": "x"})
    assert refused.status_code == 403
    assert [m for m in captured(media_ctx) if m["case_id"] == case.case_id] == []


def test_a_merged_case_cannot_be_replied_to(media_ctx, admin):
    target = citizen_case(media_ctx, admin)
    source = workflow.open_case(media_ctx, Actor.citizen("tel:+6281399998888"), channel=Channel.SMS,
                                description="Jalan rusak lagi", source_key=f"t:{uuid.uuid4()}",
                                reporter=Reporter(phone="+6281399998888"))
    merged = workflow.merge_case(media_ctx, admin, source.case_id, source.version, into=target.case_id,
                                 note="Laporan ganda.")
    assert merged.status is Status.DIGABUNG
    with pytest.raises(NotPermitted):
        reply_to_citizen(media_ctx, admin, source.case_id, "Halo", "kunci-balasan-5")


def test_a_too_long_or_empty_reply_is_refused_on_the_page(media_ctx, admin, web_as):
    case = citizen_case(media_ctx, admin)
    web = web_as("petugas.dpupr")
    form = reply_form(web, case.case_id)
    too_long = web.post(f"/petugas/kasus/{case.case_id}/balas", {**form, "text": "x" * 1001})
    assert too_long.status_code == 400 and "paling panjang 1000 karakter" in text_of(too_long)
    empty = web.post(f"/petugas/kasus/{case.case_id}/balas", {**form, "text": "   "})
    assert empty.status_code == 400 and "Tulis isi balasan." in text_of(empty)
    assert hidden_value(text_of(empty), "idempotency_key") == form["idempotency_key"]  # same form, same key
    assert captured(media_ctx) == []


def test_an_anonymous_reporter_can_be_answered_without_being_seen(media_ctx, admin, web_as):
    case = citizen_case(media_ctx, admin, anonymous=True)
    web = web_as("petugas.dpupr")
    form = reply_form(web, case.case_id)
    page = text_of(web.last)
    assert "6281311112222" not in page and "Budi" not in page
    sent = web.post(f"/petugas/kasus/{case.case_id}/balas", {**form, "text": "Laporan Anda kami proses."})
    assert sent.status_code == 303
    assert [m["recipient"] for m in captured(media_ctx) if m["case_id"] == case.case_id] == ["6281311112222"]
    assert "6281311112222" not in text_of(web.follow(sent))
