"""Chat intake as a citizen lives it: a message opens a case and the tracking number comes back on the same
channel; photos and text join it; STATUS and ratings work; nothing is lost or counted twice."""

from __future__ import annotations

import itertools
import pathlib

import pytest

from chalicelib.channels.base import ParsedDelivery
from chalicelib.domain.case import Status
from chalicelib.domain.messages import InboundMessage
from chalicelib.services import intake, notify, workflow

_ids = itertools.count(1)


def line_message(ctx, text="Jalan berlubang di Jl. Dhoho, bahaya untuk motor", *, user="U" + "a" * 32, **fields):
    n = next(_ids)
    return InboundMessage(
        channel="line",
        event_key=f"line:01HEVENT{n:010d}",
        sender_id=user,
        reply_to=user,
        received_at=ctx.now(),
        text=text,
        reply_token=f"reply-token-{n}",
        **fields,
    )


def telegram_message(ctx, text, *, chat="5550001", phone=None, kind="text", **fields):
    n = next(_ids)
    return InboundMessage(channel="telegram", event_key=f"tg:{900000 + n}", sender_id=chat, reply_to=chat,
                          received_at=ctx.now(), text=text, phone=phone, kind=kind, **fields)


def deliver(ctx, *messages):
    """What a webhook does, then what the stream/thread worker does."""
    fresh = intake.record_delivery(ctx, ParsedDelivery(messages=tuple(messages)))
    return [intake.process_event(ctx, key) for key in fresh]


def to_citizens(provider, fragment="/v2/bot/message/"):
    """What the provider got for citizens (officers' alerts, with their /petugas/kasus/ link, left out)."""
    return [r for r in provider.sent_to(fragment) if b"/petugas/kasus/" not in r.body]


def sent_texts(provider, fragment):
    return [r.json() for r in provider.sent_to(fragment)]


def test_a_line_message_opens_a_case_and_the_reply_carries_the_tracking_number(intake_ctx, provider):
    [outcome] = deliver(intake_ctx, line_message(intake_ctx))
    assert outcome.kind == "opened"
    case = intake_ctx.cases.get(outcome.case_id)
    assert case.status is Status.BARU and case.channel.value == "line"
    assert case.reporter.channel_user_id == "line:U" + "a" * 32
    [reply] = sent_texts(provider, "/v2/bot/message/reply")
    assert outcome.case_id in reply["messages"][0]["text"]
    assert "lacak/" + outcome.case_id in reply["messages"][0]["text"]


def test_the_same_event_ten_times_is_one_case_and_one_reply(intake_ctx, provider):
    message = line_message(intake_ctx)
    outcomes = [deliver(intake_ctx, message) for _ in range(10)]
    assert [len(o) for o in outcomes] == [1] + [0] * 9
    assert len(sent_texts(provider, "/v2/bot/message/")) == 1


def test_photo_and_location_within_the_window_join_the_case(intake_ctx, provider):
    from tests.support.fake_provider import JPEG

    user = "U" + "b" * 32
    [opened] = deliver(intake_ctx, line_message(intake_ctx, user=user))
    intake_ctx.clock.advance(minutes=2)
    provider.media["/v2/bot/message/"] = JPEG
    [photo] = deliver(intake_ctx, line_message(intake_ctx, None, user=user, kind="image", media_id="4711"))
    [place] = deliver(intake_ctx, line_message(intake_ctx, None, user=user, kind="location",
                                               latitude=-7.8166, longitude=112.0119, address="Jl. Dhoho"))
    assert photo.kind == place.kind == "attached"
    assert photo.case_id == place.case_id == opened.case_id
    stored = intake_ctx.messages.for_case(opened.case_id)
    assert [m.kind for m in stored] == ["text", "image", "location"]
    image = stored[1]
    assert image.media_type == "image/jpeg" and image.media_key.endswith(".jpg")
    assert pathlib.Path(intake_ctx.channels.media_dir, image.media_key).read_bytes() == JPEG
    media_fetch = [r for r in provider.requests if r.method == "GET" and "/v2/bot/message/4711/content" in r.path]
    assert media_fetch and media_fetch[0].headers["authorization"] == "Bearer line-test-token"


def test_after_the_window_a_new_message_opens_a_new_case(intake_ctx):
    user = "U" + "c" * 32
    [first] = deliver(intake_ctx, line_message(intake_ctx, user=user))
    intake_ctx.clock.advance(hours=2)
    [second] = deliver(intake_ctx, line_message(intake_ctx, "Lampu PJU mati di Jl. Hayam Wuruk", user=user))
    assert second.kind == "opened" and second.case_id != first.case_id


def test_status_command_answers_with_the_public_status(intake_ctx, provider, admin):
    [opened] = deliver(intake_ctx, telegram_message(intake_ctx, "Sampah menumpuk di Jl. Mayor Bismo", chat="700"))
    workflow.forward_case(intake_ctx, admin, opened.case_id, 1, lead_agency="dlhkp")
    provider.reset()
    [status] = deliver(intake_ctx, telegram_message(intake_ctx, f"status {opened.case_id.lower()}", chat="701"))
    assert status.kind == "status"
    [answer] = sent_texts(provider, "/sendMessage")
    assert answer["chat_id"] == "701"
    assert "Terverifikasi" in answer["text"] and "Dinas Lingkungan Hidup" in answer["text"]
    deliver(intake_ctx, telegram_message(intake_ctx, "STATUS KDR-0000-0000000", chat="701"))
    assert "tidak ditemukan" in sent_texts(provider, "/sendMessage")[-1]["text"]


def test_a_rating_after_closure_is_recorded(intake_ctx, provider, admin, dlhkp_officer):
    [opened] = deliver(intake_ctx, telegram_message(intake_ctx, "Saluran air mampet di Jl. Joyoboyo", chat="800"))
    case = workflow.forward_case(intake_ctx, admin, opened.case_id, 1, lead_agency="dlhkp")
    case = workflow.record_follow_up(intake_ctx, dlhkp_officer, case.case_id, case.version, note="Dibersihkan.")
    closed = workflow.close_case(intake_ctx, admin, case.case_id, case.version, note="Saluran sudah lancar.")
    notify.notify_now(intake_ctx, closed)  # what the handlers do: the "beri nilai" update asks for the rating
    intake_ctx.clock.advance(days=1)
    [rated] = deliver(intake_ctx, telegram_message(intake_ctx, "5", chat="800"))
    assert rated.kind == "rated"
    assert intake_ctx.cases.get(opened.case_id).rating == 5


def test_a_dispute_of_a_followed_up_case_reopens_it(intake_ctx, admin, dlhkp_officer):
    [opened] = deliver(intake_ctx, telegram_message(intake_ctx, "Sampah tidak diangkut di Jl. Kawi", chat="810"))
    case = workflow.forward_case(intake_ctx, admin, opened.case_id, 1, lead_agency="dlhkp")
    workflow.record_follow_up(intake_ctx, dlhkp_officer, case.case_id, case.version, note="Sudah diangkut.")
    intake_ctx.clock.advance(days=2)
    [reply] = deliver(intake_ctx, telegram_message(intake_ctx, "Belum, masih menumpuk sampai sekarang", chat="810"))
    assert reply.kind == "reopened"
    assert intake_ctx.cases.get(opened.case_id).status is Status.TERVERIFIKASI


def test_details_sent_to_a_held_case_resume_it(intake_ctx, admin):
    [opened] = deliver(intake_ctx, telegram_message(intake_ctx, "Ada pungli di kelurahan", chat="820"))
    workflow.hold_case(intake_ctx, admin, opened.case_id, 1, note="Mohon sebutkan kelurahan dan waktunya.",
                       until="2026-12-04")
    intake_ctx.clock.advance(days=1)
    [details] = deliver(intake_ctx, telegram_message(intake_ctx, "Kelurahan Banjaran, Senin pagi", chat="820"))
    assert details.kind == "resumed"
    assert intake_ctx.cases.get(opened.case_id).status is Status.BARU


def test_the_same_phone_on_two_channels_is_one_person(intake_ctx):
    first = telegram_message(intake_ctx, "Banjir di Jl. Brawijaya setinggi lutut", chat="830", phone="+6281299990001")
    [opened] = deliver(intake_ctx, first)
    sms = InboundMessage(channel="sms", event_key="sms:gw-1", sender_id="+6281299990001", reply_to="+6281299990001",
                         phone="6281299990001", received_at=intake_ctx.now(), text="Foto menyusul, airnya naik")
    [joined] = deliver(intake_ctx, sms)
    assert joined.kind == "attached" and joined.case_id == opened.case_id


def test_too_many_new_cases_from_one_sender_get_a_polite_reply(intake_ctx, provider):
    import dataclasses

    intake_ctx.settings = dataclasses.replace(intake_ctx.settings, attach_window_minutes=1)
    chat = "840"
    outcomes = []
    for n in range(intake_ctx.settings.new_cases_per_hour + 1):
        intake_ctx.clock.advance(minutes=2)  # past the (short) attach window, well within the hour
        outcomes += deliver(intake_ctx, telegram_message(intake_ctx, f"Keluhan nomor {n} tentang jalan rusak",
                                                         chat=chat))
    assert [o.kind for o in outcomes[:-1]] == ["opened"] * intake_ctx.settings.new_cases_per_hour
    assert outcomes[-1].kind == "rate_limited"
    assert "Mohon maaf" in sent_texts(provider, "/sendMessage")[-1]["text"]


def test_unsend_withdraws_the_stored_text(intake_ctx):
    user = "U" + "d" * 32
    first = line_message(intake_ctx, "Nomor rumah saya 12, tolong dicek", user=user, provider_message_id="m-1")
    [opened] = deliver(intake_ctx, first)
    unsend = line_message(intake_ctx, None, user=user, kind="unsend", refers_to="m-1")
    [withdrawn] = deliver(intake_ctx, unsend)
    assert withdrawn.kind == "withdrawn"
    [stored] = intake_ctx.messages.for_case(opened.case_id)
    assert stored.withdrawn and stored.text is None


def test_standby_mode_records_but_never_replies(intake_ctx, provider):
    [outcome] = deliver(intake_ctx, line_message(intake_ctx, user="U" + "e" * 32, standby=True))
    assert outcome.kind == "opened"
    assert to_citizens(provider) == []


# ---------------------------------------------------------------- faults


def test_the_process_dies_after_the_durable_write_and_the_sweeper_finishes(intake_ctx, provider):
    message = line_message(intake_ctx, user="U" + "f" * 32)
    fresh = intake.record_delivery(intake_ctx, ParsedDelivery(messages=(message,)))  # ...and the process dies
    assert fresh == [message.event_key]
    intake_ctx.clock.advance(minutes=1)
    first = intake.sweep_pending_events(intake_ctx, limit=1000)
    again = intake.sweep_pending_events(intake_ctx, limit=1000)
    assert first["processed"] >= 1 and again["processed"] == 0
    record = intake_ctx.events.get(message.event_key)
    assert record.state == "done" and record.case_id
    assert len(intake_ctx.cases.list_by_reporter(f"uid:line:{'U' + 'f' * 32}")) == 1
    assert len(to_citizens(provider)) == 1


def test_a_crash_midway_is_finished_by_the_sweeper_without_a_second_case_or_reply(intake_ctx, provider, monkeypatch):
    message = line_message(intake_ctx, user="U" + "g" * 32)
    original = intake_ctx.messages.add
    calls = {"n": 0}

    def crash_once(msg):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("Lambda timed out")
        return original(msg)

    monkeypatch.setattr(intake_ctx.messages, "add", crash_once)
    with pytest.raises(RuntimeError):
        deliver(intake_ctx, message)  # the case was written, then the function died
    intake_ctx.clock.advance(minutes=3)  # past the claim lease
    intake.sweep_pending_events(intake_ctx, limit=1000)
    assert len(intake_ctx.cases.list_by_reporter(f"uid:line:{'U' + 'g' * 32}")) == 1
    assert len(to_citizens(provider)) == 1
    assert intake_ctx.events.get(message.event_key).state == "done"


def test_a_provider_outage_is_retried_by_the_outbox_until_delivered(intake_ctx, provider):
    from chalicelib.services.outbound import send_due_messages

    provider.fail_first("/bot", 2)
    message = telegram_message(intake_ctx, "Pohon tumbang di Jl. Veteran", chat="850")
    deliver(intake_ctx, message)  # the immediate send meets the outage
    reply_id = f"reply:{message.event_key}"
    first = intake_ctx.outbox.get(reply_id)
    assert (first.state, first.attempts) == ("pending", 1)
    assert "503" in first.last_error
    intake_ctx.clock.advance(minutes=1)
    send_due_messages(intake_ctx, limit=1000)  # second try: still down
    assert intake_ctx.outbox.get(reply_id).attempts == 2
    intake_ctx.clock.advance(seconds=20)
    assert send_due_messages(intake_ctx, limit=1000).get("sent") is None  # backoff: not due yet
    intake_ctx.clock.advance(minutes=2)
    send_due_messages(intake_ctx, limit=1000)
    done = intake_ctx.outbox.get(reply_id)
    assert (done.state, done.attempts) == ("sent", 3)
    delivered = [r for r in provider.sent_to("/sendMessage") if r.json()["chat_id"] == "850"]
    assert len(delivered) == 3  # two refused during the outage, one delivered; never a duplicate after


def test_a_permanent_provider_error_ends_failed_and_visible(intake_ctx, provider):
    provider.script("/bot", (403, {"ok": False, "description": "Forbidden: bot was blocked by the user"}))
    message = telegram_message(intake_ctx, "Trotoar rusak di Jl. Diponegoro", chat="860")
    deliver(intake_ctx, message)
    failed = intake_ctx.outbox.get(f"reply:{message.event_key}")
    assert failed.state == "failed" and "403" in failed.last_error


def test_sweeper_leaves_fresh_events_to_the_worker(intake_ctx):
    message = line_message(intake_ctx, user="U" + "h" * 32)
    intake.record_delivery(intake_ctx, ParsedDelivery(messages=(message,)))
    assert intake_ctx.events.get(message.event_key).state == "pending"
    assert intake.sweep_pending_events(intake_ctx, limit=1000)["processed"] == 0
    intake_ctx.clock.advance(seconds=31)
    intake.sweep_pending_events(intake_ctx, limit=1000)
    assert intake_ctx.events.get(message.event_key).state == "done"


def test_photos_sent_together_open_one_case_with_one_answer_even_out_of_order(intake_ctx, provider):
    from tests.support.fake_provider import JPEG

    provider.media["/v2/bot/message/"] = JPEG
    user = "U" + "i" * 32
    photos = [line_message(intake_ctx, None, user=user, kind="image", media_id=f"set-{n}", group_key="SET-42")
              for n in range(3)]
    recorded = intake.record_delivery(intake_ctx, ParsedDelivery(messages=tuple(photos)))
    outcomes = [intake.process_event(intake_ctx, key) for key in reversed(recorded)]
    assert len({o.case_id for o in outcomes}) == 1
    assert len(intake_ctx.messages.for_case(outcomes[0].case_id)) == 3
    assert len(to_citizens(provider)) == 1


def test_an_unreadable_stored_event_is_parked_not_retried_forever(intake_ctx):
    key = "line:CORRUPTED-RECORD"
    intake_ctx.events.record_event(key, "line", '{"not": "a message"}', intake_ctx.now())
    assert intake.process_event(intake_ctx, key).kind == "ignored"
    assert intake_ctx.events.get(key).state == "unreadable"
    intake_ctx.clock.advance(minutes=5)
    assert key not in list(intake_ctx.events.pending_keys(intake_ctx.now()))
