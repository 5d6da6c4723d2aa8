"""The one-time LINE codes (an officer's personal link code, an OPD's group code) cannot be guessed: after five
wrong codes a LINE user waits, longer after each further wrong code, and is told so politely."""

from __future__ import annotations

import uuid

from chalicelib.channels.base import ParsedDelivery
from chalicelib.domain.messages import InboundMessage
from chalicelib.services import intake
from tests.unit.test_line_groups import deliver as deliver_to_group
from tests.unit.test_line_groups import group_code, group_id, group_text, replies_in


def line_user() -> str:
    return "U" + uuid.uuid4().hex


def chat(ctx, text: str, user: str):
    """One text from `user` to the city's LINE account, recorded and processed as the webhook would."""
    message = InboundMessage(channel="line", event_key=f"line:ATT{uuid.uuid4().hex}", sender_id=user, reply_to=user,
                             received_at=ctx.now(), text=text, reply_token="rt")
    [key] = intake.record_delivery(ctx, ParsedDelivery(messages=(message,)))
    return intake.process_event(ctx, key)


def last_reply(provider) -> str:
    return provider.sent_to("/v2/bot/message/reply")[-1].json()["messages"][0]["text"]


def line_user_of(ctx, username: str) -> str | None:
    return ctx.directory.officer(username).line_user_id


def wrong_codes(ctx, user: str, count: int) -> None:
    for n in range(count):
        assert chat(ctx, f"ADUAN-{999000 + n:06d}", user).kind == "ignored"


# ---------------------------------------------------------------- personal link code


def test_after_five_wrong_codes_even_the_right_code_waits_and_the_officer_is_told_how_long(
        api, intake_ctx, login, provider):
    user = line_user()
    wrong_codes(intake_ctx, user, 5)
    assert last_reply(provider) == "Kode tidak valid atau sudah kedaluwarsa. Minta kode baru di aplikasi Aduan."
    code = api.http.post("/api/me/line-link", headers=login("petugas.dlhkp")).json_body["code"]

    # the sixth try, with the right code, is refused with a polite wait
    assert chat(intake_ctx, code, user).kind == "ignored"
    assert last_reply(provider) == (
        "Mohon maaf, terlalu banyak kode yang salah dikirim dari akun LINE Anda. Silakan coba lagi dalam 1 menit "
        "dengan kode terbaru dari menu Akun aplikasi Aduan.")
    assert line_user_of(intake_ctx, "petugas.dlhkp") != user

    # after the wait the code (still valid: it was never read) links the account
    intake_ctx.clock.advance(seconds=61)
    assert chat(intake_ctx, code, user).kind == "linked"
    assert line_user_of(intake_ctx, "petugas.dlhkp") == user


def test_the_wait_grows_with_each_further_wrong_code(intake_ctx, provider):
    user = line_user()
    wrong_codes(intake_ctx, user, 5)
    intake_ctx.clock.advance(seconds=61)
    wrong_codes(intake_ctx, user, 1)  # the sixth wrong code: now two minutes

    chat(intake_ctx, "ADUAN-999999", user)
    assert "Silakan coba lagi dalam 2 menit" in last_reply(provider)
    intake_ctx.clock.advance(seconds=121)
    wrong_codes(intake_ctx, user, 1)  # the seventh: four minutes
    chat(intake_ctx, "ADUAN-999999", user)
    assert "Silakan coba lagi dalam 4 menit" in last_reply(provider)


def test_one_users_wrong_codes_never_hold_up_another(api, intake_ctx, login, provider):
    guesser, officer = line_user(), line_user()
    wrong_codes(intake_ctx, guesser, 6)
    code = api.http.post("/api/me/line-link", headers=login("petugas.dlhkp")).json_body["code"]

    assert chat(intake_ctx, code, officer).kind == "linked"
    assert line_user_of(intake_ctx, "petugas.dlhkp") == officer


def test_a_linked_account_starts_afresh(api, intake_ctx, login, provider):
    user = line_user()
    wrong_codes(intake_ctx, user, 4)
    code = api.http.post("/api/me/line-link", headers=login("petugas.dlhkp")).json_body["code"]
    assert chat(intake_ctx, code, user).kind == "linked"

    wrong_codes(intake_ctx, user, 4)  # four more: still under the limit, because the success cleared the count
    assert last_reply(provider).startswith("Kode tidak valid")


# ---------------------------------------------------------------- group code


def test_a_member_who_sends_five_wrong_group_codes_waits_but_another_member_binds_the_group(
        api, intake_ctx, login, provider):
    group, guesser, officer = group_id(), line_user(), line_user()
    before = intake_ctx.line_groups.group_of("dlhkp")
    try:
        for n in range(5):
            assert deliver_to_group(api, intake_ctx, group_text(group, f"GRUP-{998000 + n:06d}", guesser)).kind \
                == "ignored"
        code = group_code(api, login, "admin.kominfo", "dlhkp").json_body["code"]

        assert deliver_to_group(api, intake_ctx, group_text(group, code, guesser)).kind == "ignored"
        assert replies_in(provider)[-1] == (
            "Mohon maaf, terlalu banyak kode grup yang salah dikirim dari akun LINE Anda. Silakan coba lagi dalam "
            "1 menit dengan kode terbaru dari menu Akun aplikasi Aduan.")
        assert intake_ctx.line_groups.agencies_of(group) == []

        assert deliver_to_group(api, intake_ctx, group_text(group, code, officer)).kind == "group_bound"
        assert intake_ctx.line_groups.agencies_of(group) == ["dlhkp"]
    finally:  # other tests route DLHKP's alerts as the demo left them
        now = intake_ctx.line_groups.group_of("dlhkp")
        if before and now != before:
            intake_ctx.line_groups.bind("dlhkp", before, "test", intake_ctx.now())
        elif not before and now:
            intake_ctx.line_groups.unbind("dlhkp", now)
