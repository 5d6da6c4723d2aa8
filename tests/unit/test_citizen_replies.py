"""The citizen's replies after a follow-up, and ratings that land on the case that asked for them.

Issue 9, items 1 and 2: "Terima kasih pak, sudah bersih" used to reopen a followed-up case, and a new
complaint days later was absorbed into the old one. Now, after the OPD's follow-up, the citizen is asked to
reply 1 (selesai) or 2 (belum): a confirmation closes the case, a dispute reopens it, anything else is kept
with the case for the OPD without moving it; `BARU <isi>` always opens a new case; a bare 1-5 rates the case
that asked for the rating, never just the newest one.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.channels.base import ParsedDelivery
from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.case import Action, Actor, Channel, Role, Status
from chalicelib.domain.errors import NotPermitted
from chalicelib.domain.lifecycle import ActionRequest, apply_action, new_case
from chalicelib.domain.messages import InboundMessage
from chalicelib.domain.replies_rules import ReplyKind, classify_reply, new_complaint_text
from chalicelib.domain.sla import SlaPolicy
from chalicelib.services import intake, notify, public, workflow

_ids = itertools.count(1)

# ---------------------------------------------------------------- what a reply means (pure)

YES, NO, ELSE = ReplyKind.CONFIRM, ReplyKind.DISPUTE, ReplyKind.OTHER
REPLIES = [
    # the answer the citizen was asked for
    ("1", YES), ("1.", YES), ("1 sudah pak", YES), ("2", NO), ("2 belum pak", NO),
    # confirmations, with thanks, typos, Javanese
    ("sudah", YES), ("Sudah pak, terima kasih", YES), ("selesai", YES), ("sudah beres", YES), ("sudaaah 🙏", YES),
    ("sdh ok", YES), ("Terima kasih sudah diperbaiki", YES), ("Terima kasih pak, sudah bersih", YES),
    ("Alhamdulillah lampunya sudah nyala", YES), ("Sampahnya sudah tidak ada", YES), ("sudah bisa dilewati lagi", YES),
    ("Lubangnya sudah ditambal, mantap", YES), ("beres pak 👍", YES), ("wis beres", YES), ("uwis, matur nuwun", YES),
    ("sampun", YES),
    # disputes
    ("belum", NO), ("Belum pak", NO), ("blm", NO), ("belum diperbaiki", NO), ("masih rusak", NO),
    ("Jalannya masih berlubang pak", NO), ("tidak benar", NO), ("bohong, tidak ada yang datang", NO),
    ("Lampunya mati lagi sejak kemarin", NO), ("sudah diperbaiki tapi masih bocor", NO), ("gak ada perubahan", NO),
    ("tidak", NO), ("Kok belum diperbaiki?", NO), ("Sama aja pak", NO), ("durung", NO), ("urung beres", NO),
    ("Dereng", NO), ("Baru diperbaiki kemarin sudah rusak lagi", NO),
    # anything else: thanks alone, questions, emoji, acknowledgements, a new topic
    ("Terima kasih pak", ELSE), ("Makasih 🙏", ELSE), ("👍", ELSE), ("ok", ELSE), ("ya", ELSE), ("siap pak", ELSE),
    ("Apakah sudah diperbaiki?", ELSE), ("Sudah diperbaiki belum?", ELSE), ("Kapan selesai?", ELSE),
    ("Saya sudah kirim foto", ELSE), ("Terima kasih sudah ditindaklanjuti", ELSE), ("3", ELSE), ("5", ELSE),
    ("Ada pohon tumbang di Jl. Veteran", ELSE), ("Saluran air di depan SDN 2 mampet", ELSE),
    ("Lampu PJU di Jl. Hayam Wuruk mati, mohon diperbaiki sampai selesai", ELSE),
]


@pytest.mark.parametrize(("text", "expected"), REPLIES)
def test_a_reply_to_a_follow_up_is_read_as_confirm_dispute_or_other(text, expected):
    assert classify_reply(text) is expected


def test_the_table_is_broad_enough():
    assert len(REPLIES) >= 25
    assert {kind for _, kind in REPLIES} == {YES, NO, ELSE}


@pytest.mark.parametrize(("text", "expected"), [
    ("BARU lampu mati di Jl. Dhoho", "lampu mati di Jl. Dhoho"),
    ("LAPOR jalan berlubang di Jl. Kawi", "jalan berlubang di Jl. Kawi"),
    ("LAPORAN BARU sampah menumpuk", "sampah menumpuk"),
    ("baru: pohon tumbang", "pohon tumbang"),
    ("Lapor: banjir di Jl. Brawijaya", "banjir di Jl. Brawijaya"),
    ("BARU", ""),
    ("Baru diperbaiki kemarin sudah rusak lagi", None),  # a sentence, not the keyword
    ("Lapor pak, jalannya masih rusak", None),
    ("Terima kasih", None),
])
def test_the_new_complaint_keyword(text, expected):
    assert new_complaint_text(text) == expected


# ---------------------------------------------------------------- the lifecycle rows

CAL = WorkingCalendar.for_indonesia()
POLICY = SlaPolicy()
CITIZEN = Actor.citizen("tel:+6281234567890")
OFFICER = Actor("officer:pu", Role.OPD, "dpupr")
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def followed_up():
    case = new_case(case_id="KDR-2611-ABCDEF0", city_code="KDR", channel=Channel.PHONE, description="Jalan rusak",
                    received_at=MONDAY, actor=OFFICER, calendar=CAL, policy=POLICY)
    case = apply_action(case, ActionRequest(Action.FORWARD, lead_agency="dpupr"), Actor("officer:a", Role.ADMIN),
                        MONDAY, CAL, POLICY)
    return apply_action(case, ActionRequest(Action.FOLLOW_UP, note="Sudah ditambal."), OFFICER,
                        MONDAY + timedelta(days=1), CAL, POLICY)


def test_the_citizens_confirmation_closes_the_case_like_a_close():
    case = followed_up()
    confirmed = apply_action(case, ActionRequest(Action.CONFIRM, note="sudah"), CITIZEN, MONDAY + timedelta(days=2),
                             CAL, POLICY)
    assert confirmed.status is Status.SELESAI and confirmed.closed_at == MONDAY + timedelta(days=2)
    assert confirmed.deadline is None and confirmed.next_deadline is None and confirmed.alarm_at is None
    assert confirmed.timeline[-1].public and confirmed.timeline[-1].action.label == "Dikonfirmasi selesai oleh pelapor"


def test_a_citizens_response_moves_nothing_and_is_not_public():
    case = followed_up()
    responded = apply_action(case, ActionRequest(Action.RESPOND, note="Terima kasih pak"), CITIZEN,
                             MONDAY + timedelta(days=2), CAL, POLICY)
    assert responded.status is Status.DITINDAKLANJUTI and responded.version == case.version + 1
    assert responded.deadline == case.deadline  # the auto-close clock keeps running
    assert (responded.alarm_at, responded.alarm_kind) == (case.alarm_at, case.alarm_kind)
    assert responded.followed_up_at == case.followed_up_at and responded.closed_at is None
    assert responded.timeline[-1].public is False and responded.timeline[-1].note == "Terima kasih pak"


@pytest.mark.parametrize("action", [Action.CONFIRM, Action.RESPOND])
def test_only_the_citizen_confirms_or_responds(action):
    with pytest.raises(NotPermitted):
        apply_action(followed_up(), ActionRequest(action), OFFICER, MONDAY + timedelta(days=2), CAL, POLICY)


# ---------------------------------------------------------------- the conversation


_made: list[str] = []


@pytest.fixture(autouse=True)
def _forget_cases():
    """Delete the cases a test made: a followed-up case left open would be auto-closed by other tests' jobs."""
    yield
    from chalicelib.store.models import CaseRecord

    while _made:
        CaseRecord._get_connection().delete_item(_made.pop())  # below Model.delete: no version check


def chat_id() -> str:
    return str(7_000_000 + int(uuid.uuid4().int % 1_000_000))


def telegram(ctx, text, chat, *, kind="text", **fields):
    n = next(_ids)
    return InboundMessage(channel="telegram", event_key=f"tg:replies:{chat}:{n}", sender_id=chat, reply_to=chat,
                          received_at=ctx.now(), text=text, kind=kind, **fields)


def deliver(ctx, message):
    [key] = intake.record_delivery(ctx, ParsedDelivery(messages=(message,)))
    outcome = intake.process_event(ctx, key)
    if outcome.case_id and outcome.case_id not in _made:
        _made.append(outcome.case_id)
    return outcome


def answers_to(provider, chat):
    return [r.json()["text"] for r in provider.sent_to("/sendMessage") if r.json()["chat_id"] == chat]


def opened_and_followed_up(ctx, admin, officer, chat, text="Sampah menumpuk di Jl. Kawi depan pasar"):
    """Given a Telegram complaint forwarded to DLHKP and followed up (the handlers notify right after)."""
    opened = deliver(ctx, telegram(ctx, text, chat))
    case = workflow.forward_case(ctx, admin, opened.case_id, 1, lead_agency="dlhkp")
    case = workflow.record_follow_up(ctx, officer, case.case_id, case.version, note="Sampah sudah diangkut")
    notify.notify_now(ctx, case)
    ctx.clock.advance(days=1)
    return case


def test_the_follow_up_update_asks_the_citizen_to_confirm_or_dispute(intake_ctx, provider, admin, dlhkp_officer):
    chat = chat_id()
    case = opened_and_followed_up(intake_ctx, admin, dlhkp_officer, chat)
    update = intake_ctx.outbox.get(f"update:{case.case_id}:{case.version}")
    assert "Sampah sudah diangkut" in update.body
    assert "Balas 1 jika sudah selesai, atau 2 jika belum" in update.body
    assert "kirim BARU diikuti isi laporan" in update.body
    assert update.body in answers_to(provider, chat)


def test_thanks_with_a_clear_confirmation_closes_the_case_and_asks_for_the_rating(
        intake_ctx, provider, admin, dlhkp_officer):
    # Given a followed-up case
    chat = chat_id()
    case = opened_and_followed_up(intake_ctx, admin, dlhkp_officer, chat)
    # When the citizen thanks AND confirms ("sudah bersih" is a clear "sudah ..." confirmation)
    outcome = deliver(intake_ctx, telegram(intake_ctx, "Terima kasih pak, sudah bersih", chat))
    # Then the case is closed by the citizen's confirmation, and the rating is asked for
    assert (outcome.kind, outcome.case_id) == ("confirmed", case.case_id)
    closed = intake_ctx.cases.get(case.case_id)
    assert closed.status is Status.SELESAI and closed.closed_at == intake_ctx.now()
    assert closed.timeline[-1].action is Action.CONFIRM and closed.timeline[-1].note == "Terima kasih pak, sudah bersih"
    assert "beri nilai" in answers_to(provider, chat)[-1]
    # ...the OPD hears of it, and the public page shows the confirmation
    alert = intake_ctx.outbox.get(f"alert:{case.case_id}:{closed.version}:petugas.dlhkp")
    assert alert is not None and "mengonfirmasi" in alert.body
    # And the next bare digit is the rating of this case
    rated = deliver(intake_ctx, telegram(intake_ctx, "5", chat))
    assert (rated.kind, rated.case_id) == ("rated", case.case_id)
    assert intake_ctx.cases.get(case.case_id).rating == 5


@pytest.mark.parametrize("text", ["1", "sudah", "selesai", "wis beres"])
def test_a_confirmation_closes_the_case(intake_ctx, admin, dlhkp_officer, text):
    chat = chat_id()
    case = opened_and_followed_up(intake_ctx, admin, dlhkp_officer, chat)
    assert deliver(intake_ctx, telegram(intake_ctx, text, chat)).kind == "confirmed"
    assert intake_ctx.cases.get(case.case_id).status is Status.SELESAI


def test_thanks_alone_is_a_response_the_opd_sees_and_nothing_moves(intake_ctx, provider, admin, dlhkp_officer):
    # Given a followed-up case
    chat = chat_id()
    case = opened_and_followed_up(intake_ctx, admin, dlhkp_officer, chat)
    # When the citizen only says thanks
    outcome = deliver(intake_ctx, telegram(intake_ctx, "Terima kasih pak", chat))
    # Then the case keeps its state and its auto-close clock; the words are on the timeline, not public
    assert (outcome.kind, outcome.case_id) == ("responded", case.case_id)
    after = intake_ctx.cases.get(case.case_id)
    assert after.status is Status.DITINDAKLANJUTI and after.deadline == case.deadline
    assert after.alarm_at == case.alarm_at
    event = after.timeline[-1]
    assert (event.action, event.note, event.public) == (Action.RESPOND, "Terima kasih pak", False)
    assert "Terima kasih pak" not in str(public.tracking_view(intake_ctx, after)["timeline"])
    # ...the OPD is told, with the citizen's words, and sees the message in the conversation
    alert = intake_ctx.outbox.get(f"alert:{case.case_id}:{after.version}:petugas.dlhkp")
    assert alert is not None and "Terima kasih pak" in alert.body and "menanggapi" in alert.body
    assert [m.text for m in intake_ctx.messages.for_case(case.case_id)][-1] == "Terima kasih pak"
    # ...and the citizen is told how to confirm, dispute or start a new complaint
    answer = answers_to(provider, chat)[-1]
    assert "balas 1" in answer and "balas 2" in answer and "BARU" in answer
    # And a confirmation afterwards still closes it
    assert deliver(intake_ctx, telegram(intake_ctx, "1", chat)).kind == "confirmed"


@pytest.mark.parametrize("text", ["2", "belum", "masih rusak", "Bohong, tidak ada yang datang"])
def test_a_dispute_reopens_the_case_with_the_citizens_words(intake_ctx, admin, dlhkp_officer, text):
    chat = chat_id()
    case = opened_and_followed_up(intake_ctx, admin, dlhkp_officer, chat)
    outcome = deliver(intake_ctx, telegram(intake_ctx, text, chat))
    assert (outcome.kind, outcome.case_id) == ("reopened", case.case_id)
    reopened = intake_ctx.cases.get(case.case_id)
    assert reopened.status is Status.TERVERIFIKASI
    assert (reopened.timeline[-1].action, reopened.timeline[-1].note) == (Action.REOPEN, text)
    assert reopened.timeline[-1].actor_role is Role.CITIZEN


def test_a_photo_is_attached_and_a_sticker_ignored_without_a_change_of_state(
        intake_ctx, provider, admin, dlhkp_officer):
    from tests.support.fake_provider import JPEG

    chat = chat_id()
    case = opened_and_followed_up(intake_ctx, admin, dlhkp_officer, chat)
    provider.media["/bot"] = JPEG
    photo = deliver(intake_ctx, telegram(intake_ctx, None, chat, kind="image", media_id=f"ph-{chat}"))
    sticker = deliver(intake_ctx, telegram(intake_ctx, None, chat, kind="sticker"))
    assert (photo.kind, photo.case_id) == ("attached", case.case_id)
    assert sticker.kind == "ignored"
    after = intake_ctx.cases.get(case.case_id)
    assert after.status is Status.DITINDAKLANJUTI and after.version == case.version
    assert [m.kind for m in intake_ctx.messages.for_case(case.case_id)] == ["text", "image"]


def test_a_new_topic_days_after_closure_opens_a_new_case(intake_ctx, admin, dlhkp_officer):
    chat = chat_id()
    case = opened_and_followed_up(intake_ctx, admin, dlhkp_officer, chat)
    deliver(intake_ctx, telegram(intake_ctx, "sudah beres", chat))
    intake_ctx.clock.advance(days=3)
    outcome = deliver(intake_ctx, telegram(intake_ctx, "Lampu PJU di Jl. Hayam Wuruk mati sejak kemarin", chat))
    assert outcome.kind == "opened" and outcome.case_id != case.case_id
    assert intake_ctx.cases.get(case.case_id).status is Status.SELESAI


def test_a_message_to_a_forwarded_case_hours_later_opens_a_new_case(intake_ctx, admin):
    chat = chat_id()
    opened = deliver(intake_ctx, telegram(intake_ctx, "Trotoar rusak di Jl. Diponegoro", chat))
    workflow.forward_case(intake_ctx, admin, opened.case_id, 1, lead_agency="dpupr")
    intake_ctx.clock.advance(hours=3)
    outcome = deliver(intake_ctx, telegram(intake_ctx, "Ada kabel menjuntai di Jl. Pattimura", chat))
    assert outcome.kind == "opened" and outcome.case_id != opened.case_id


def test_the_keyword_opens_a_new_case_while_another_is_open(intake_ctx, admin, dlhkp_officer):
    # Given a followed-up case: plain text goes to it as a response, the keyword opens a new case
    chat = chat_id()
    followed = opened_and_followed_up(intake_ctx, admin, dlhkp_officer, chat)
    assert deliver(intake_ctx, telegram(intake_ctx, "Jalan berlubang di Jl. Kawi", chat)).kind == "responded"
    fresh = deliver(intake_ctx, telegram(intake_ctx, "BARU Jalan berlubang di Jl. Kawi", chat))
    assert fresh.kind == "opened" and fresh.case_id != followed.case_id
    # When, within the new case's attach window, the citizen sends BARU <isi> again
    intake_ctx.clock.advance(minutes=2)
    outcome = deliver(intake_ctx, telegram(intake_ctx, "BARU lampu mati di Jl. Dhoho", chat))
    # Then a third case is opened with the text after the keyword, and nothing else moved
    assert outcome.kind == "opened" and outcome.case_id not in (followed.case_id, fresh.case_id)
    assert intake_ctx.cases.get(outcome.case_id).description == "lampu mati di Jl. Dhoho"
    assert intake_ctx.cases.get(followed.case_id).status is Status.DITINDAKLANJUTI
    assert [m.text for m in intake_ctx.messages.for_case(fresh.case_id)] == ["BARU Jalan berlubang di Jl. Kawi"]


def test_the_rating_goes_to_the_case_that_asked_even_when_a_newer_case_exists(
        intake_ctx, admin, dlhkp_officer):
    # Given a case closed by an officer (its update asks for the rating)...
    chat = chat_id()
    case = opened_and_followed_up(intake_ctx, admin, dlhkp_officer, chat)
    closed = workflow.close_case(intake_ctx, admin, case.case_id, case.version, note="Sampah sudah diangkut.")
    notify.notify_now(intake_ctx, closed)
    # ...and a newer complaint from the same person, hours later
    intake_ctx.clock.advance(hours=2)
    newer = deliver(intake_ctx, telegram(intake_ctx, "Pohon tumbang menutup Jl. Veteran", chat))
    # When the citizen answers the rating request, after the attach window of the newer case
    intake_ctx.clock.advance(hours=1)
    rated = deliver(intake_ctx, telegram(intake_ctx, "4", chat))
    # Then the closed case is rated, the newer one untouched
    assert (rated.kind, rated.case_id) == ("rated", case.case_id)
    assert intake_ctx.cases.get(case.case_id).rating == 4
    assert [m.text for m in intake_ctx.messages.for_case(newer.case_id)] == ["Pohon tumbang menutup Jl. Veteran"]
    # And a second digit, with no request pending any more, opens nothing
    again = deliver(intake_ctx, telegram(intake_ctx, "5", chat))
    assert again.kind == "ignored" and intake_ctx.cases.get(case.case_id).rating == 4


def test_a_bare_digit_with_no_rating_request_opens_nothing(intake_ctx, provider):
    chat = chat_id()
    outcome = deliver(intake_ctx, telegram(intake_ctx, "5", chat))
    assert (outcome.kind, outcome.case_id) == ("ignored", None)
    assert intake_ctx.cases.list_by_reporter(f"uid:telegram:{chat}") == []
    assert "Untuk menyampaikan laporan" in answers_to(provider, chat)[-1]


def test_status_by_a_stranger_never_invites_a_rating(intake_ctx, provider, admin, dlhkp_officer):
    # Given a case its reporter confirmed (closed, not yet rated)
    chat, stranger = chat_id(), chat_id()
    case = opened_and_followed_up(intake_ctx, admin, dlhkp_officer, chat)
    deliver(intake_ctx, telegram(intake_ctx, "sudah", chat))
    # When someone else asks its status
    deliver(intake_ctx, telegram(intake_ctx, f"STATUS {case.case_id}", stranger))
    # Then no rating is invited, and the stranger's digit rates nothing
    answer = answers_to(provider, stranger)[-1]
    assert "Selesai" in answer and "nilai" not in answer
    assert deliver(intake_ctx, telegram(intake_ctx, "1", stranger)).kind == "ignored"
    assert intake_ctx.cases.get(case.case_id).rating is None
    # While the reporter asking is invited, and rates this case
    deliver(intake_ctx, telegram(intake_ctx, f"status {case.case_id}", chat))
    assert "beri nilai" in answers_to(provider, chat)[-1]
    assert deliver(intake_ctx, telegram(intake_ctx, "3", chat)).kind == "rated"
    assert intake_ctx.cases.get(case.case_id).rating == 3
