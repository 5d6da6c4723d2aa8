"""`make run PORT=...` and `make simulate`: every local URL follows the port, and the simulator reports the reply
the local outbox actually captured (scripts/local_stack.py, scripts/run_local.py, scripts/simulate.py)."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import pytest

from scripts import run_local, simulate
from scripts.local_stack import app_environment, stage_config_environment

# ---------------------------------------------------------------- the port moves every URL


def test_given_port_8400_when_the_app_environment_is_built_then_every_public_url_is_on_8400():
    env = app_environment("http://127.0.0.1:8401", stage="local", base={}, port=8400)

    assert env["ADUAN_PUBLIC_BASE_URL"] == "http://127.0.0.1:8400"  # tracking links, alert links, web pages
    assert env["ADUAN_TWILIO_PUBLIC_URL"] == "http://127.0.0.1:8400/webhooks/twilio"
    assert env["ADUAN_DYNAMODB_HOST"] == "http://127.0.0.1:8401"
    assert not [value for value in env.values() if ":8000" in value]


def test_given_no_port_when_the_app_environment_is_built_then_make_run_stays_on_8000():
    env = app_environment("http://127.0.0.1:8001", stage="local", base={})

    assert env["ADUAN_PUBLIC_BASE_URL"] == "http://127.0.0.1:8000"
    assert env["ADUAN_TWILIO_PUBLIC_URL"] == "http://127.0.0.1:8000/webhooks/twilio"


def test_the_local_stage_config_pins_no_url_that_chalice_local_would_put_back_over_the_port():
    pinned = stage_config_environment("local")

    assert "ADUAN_PUBLIC_BASE_URL" not in pinned and "ADUAN_TWILIO_PUBLIC_URL" not in pinned
    assert not [key for key, value in pinned.items() if "127.0.0.1:" in value]


def test_given_port_8400_when_make_run_parses_it_then_dynalite_moves_to_the_next_port(monkeypatch):
    seen = {}
    monkeypatch.setattr(run_local, "run", lambda args: seen.setdefault("args", args) and 0)

    run_local.main(["--port", "8400"])
    assert (seen["args"].port, seen["args"].dynalite_port) == (8400, 8401)

    seen.clear()
    run_local.main([])
    assert (seen["args"].port, seen["args"].dynalite_port) == (8000, 8001)


def test_the_banner_tells_how_to_simulate_against_a_moved_server():
    moved = run_local.banner("http://127.0.0.1:8400", "http://127.0.0.1:8401", Path("/tmp/d"), [], True)
    default = run_local.banner("http://127.0.0.1:8000", "http://127.0.0.1:8001", Path("/tmp/d"), [], True)

    assert "make simulate URL=http://127.0.0.1:8400 CHANNEL=line" in moved
    assert "ADUAN_DYNAMODB_HOST=http://127.0.0.1:8401 make city" in moved
    assert "make simulate CHANNEL=line" in default and "URL=" not in default and "make city" not in default


def test_the_simulator_signs_twilio_for_the_server_it_posts_to():
    from chalicelib.channels.twilio import sign

    env = stage_config_environment("local")
    _, body, headers = simulate.build("twilio-sms", "Lampu mati", "+6281234567891", "http://127.0.0.1:8400", env)
    params = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))

    expected = sign("http://127.0.0.1:8400/webhooks/twilio", params, env["ADUAN_TWILIO_AUTH_TOKEN"])
    assert headers["X-Twilio-Signature"] == expected


# ---------------------------------------------------------------- the simulator waits for the captured reply


def captured_line(message_id: str, case_id: str | None = "KDR-2611-ABCDEFG", body: str = "Terima kasih") -> bytes:
    record = {"at": "2026-11-30T00:00:00+00:00", "message_id": message_id, "channel": "line",
              "recipient": "U1", "case_id": case_id, "purpose": "opened", "body": body}
    return (json.dumps(record) + "\n").encode()


class FakeClock:
    """Time that passes only when the simulator sleeps; `on_sleep` lets the 'server' write meanwhile."""

    def __init__(self, on_sleep=None) -> None:
        self.now = 0.0
        self.sleeps = 0
        self.on_sleep = on_sleep

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.sleeps += 1
        if self.on_sleep:
            self.on_sleep(self.sleeps)


def test_given_the_reply_is_captured_a_moment_later_when_waiting_then_it_is_returned_with_its_case(tmp_path):
    outbox = tmp_path / "outbox-captured.jsonl"
    outbox.write_bytes(captured_line("reply:line:OLDEVENT"))  # an earlier run's reply to another delivery
    start = simulate.outbox_size(outbox)

    def server_writes(sleeps: int) -> None:
        if sleeps == 3:
            with outbox.open("ab") as out:
                out.write(captured_line("alert:KDR-2611-ABCDEFG:1:admin.kominfo"))
                out.write(captured_line("reply:line:01NEWEVENT", body="nomor KDR-2611-ABCDEFG"))

    time = FakeClock(server_writes)
    reply, records = simulate.wait_for(outbox, start, simulate.is_reply_to("01NEWEVENT"), timeout=10,
                                       clock=time.clock, sleep=time.sleep)

    assert reply is not None and reply["message_id"] == "reply:line:01NEWEVENT"
    assert time.now < 1.0  # returned as soon as it was there
    report = simulate.report_capture(outbox, reply, records, 0.6, 10)
    assert "Reply captured 0.6 s after the post" in report and "nomor KDR-2611-ABCDEFG" in report
    assert "Officer alert captured too: line -> U1" in report


def test_given_no_reply_ever_when_waiting_then_it_gives_up_after_the_timeout_and_says_where_to_look(tmp_path):
    outbox = tmp_path / "outbox-captured.jsonl"  # not even created: the server never wrote anything
    time = FakeClock()

    reply, records = simulate.wait_for(outbox, 0, simulate.is_reply_to("01NEWEVENT"), timeout=10, clock=time.clock,
                                       sleep=time.sleep)

    assert reply is None and records == []
    assert 10 <= time.now < 10.5
    report = simulate.report_capture(outbox, None, records, 10.0, 10)
    assert "No reply captured within 10 s" in report and str(outbox) in report


def test_an_earlier_reply_and_a_half_written_line_are_not_taken_for_this_one(tmp_path):
    outbox = tmp_path / "outbox-captured.jsonl"
    outbox.write_bytes(captured_line("reply:line:01NEWEVENT"))  # same id, but before this delivery was posted
    start = simulate.outbox_size(outbox)
    with outbox.open("ab") as out:
        out.write(captured_line("reply:line:01NEWEVENT")[:30])  # the server is mid-write
    time = FakeClock()

    reply, _ = simulate.wait_for(outbox, start, simulate.is_reply_to("01NEWEVENT"), timeout=1, clock=time.clock,
                                 sleep=time.sleep)

    assert reply is None


@pytest.mark.parametrize("channel", ["line", "whatsapp", "messenger", "instagram", "twilio-sms", "twilio-whatsapp",
                                     "telegram", "sms"])
def test_the_id_the_simulator_waits_for_is_the_provider_message_id_in_the_delivery(channel):
    env = stage_config_environment("local")
    _, body, _ = simulate.build(channel, "Jalan rusak", simulate.DEFAULT_SENDERS[channel], "http://127.0.0.1:8000",
                                env)

    event = simulate.delivery_id(channel, body)

    assert event
    assert event in urllib.parse.unquote(body.decode())


def test_group_chatter_and_the_web_form_are_not_waited_for():
    assert not simulate.reply_expected("line-group", "Pak, rapat koordinasi jam 9 besok ya")
    assert simulate.reply_expected("line-group", "GRUP-123456")
    assert simulate.reply_expected("line-group", "status KDR-2611-ABCDEFG")
    assert not simulate.reply_expected("web", "Jalan rusak")
    assert simulate.reply_expected("line", "Jalan rusak")


def test_the_default_outbox_is_next_to_the_servers_media_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("ADUAN_MEDIA_DIR", raising=False)
    assert simulate.default_outbox() == simulate.REPO_ROOT / ".data" / "outbox-captured.jsonl"

    monkeypatch.setenv("ADUAN_MEDIA_DIR", str(tmp_path / "media"))
    assert simulate.default_outbox() == tmp_path / "outbox-captured.jsonl"


def test_the_simulator_signs_meta_deliveries_as_meta_does():
    body = b'{"object":"whatsapp_business_account","entry":[]}'  # the published test vector (app secret "appsecret")

    assert simulate.meta_signature(body, "appsecret") == (
        "sha256=09eceea024af6e6343b760cc9bd3ae7c056938dd636e24e92109eb8219500384"
    )


def test_a_reply_to_another_delivery_whose_id_merely_contains_this_one_is_not_taken():
    matches = simulate.is_reply_to("1900025")

    assert matches({"message_id": "reply:tg:1900025"}) and matches({"message_id": "reply:tg:1900025#fallback"})
    assert not matches({"message_id": "reply:tg:19000251"}) and not matches({"message_id": "update:tg:1900025"})
