"""Channels end to end on the local stack: signed deliveries over HTTP to `chalice local` on dynalite, processed
after the answer, the reply captured by the local outbox — and a crash after the durable write finished by the
sweeper."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from scripts.local_stack import REPO_ROOT, start_chalice_local
from scripts.simulate import build

pytestmark = pytest.mark.integration


def post(base_url: str, path: str, body: bytes, headers: dict) -> tuple[int, bytes, dict]:
    request = urllib.request.Request(base_url + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def captured(outbox: Path) -> list[dict]:
    if not outbox.exists():
        return []
    return [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines() if line.strip()]


def wait_for_reply(outbox: Path, event_fragment: str, timeout: float = 20.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in captured(outbox) if event_fragment in m["message_id"]]
        if found:
            return found
        time.sleep(0.2)
    return []


def event_id_of(channel: str, body: bytes) -> str:
    data = json.loads(body) if body.startswith(b"{") else {}
    if channel == "line":
        return data["events"][0]["webhookEventId"]
    if channel == "telegram":
        return str(data["update_id"])
    raise ValueError(channel)


@pytest.mark.parametrize("channel", ["line", "telegram"])
def test_a_message_gets_its_tracking_number_back_within_seconds(local_api, app_env, captured_outbox, channel):
    path, body, headers = build(channel, "Jalan berlubang di Jl. Dhoho, bahaya untuk motor",
                                {"line": "U" + "5" * 32, "telegram": "5551234"}[channel], local_api, app_env)
    status, answer, _ = post(local_api, path, body, headers)
    assert status == 200, answer
    [reply] = wait_for_reply(captured_outbox, event_id_of(channel, body))
    assert reply["channel"] == channel
    assert reply["case_id"] and reply["case_id"] in reply["body"]


def test_twilio_sms_and_whatsapp_meta_and_the_gateway_all_answer_as_their_providers_expect(local_api, app_env):
    for channel, sender in (("twilio-sms", "+6281234570001"), ("twilio-whatsapp", "+6281234570002"),
                            ("whatsapp", "6281234570003"), ("messenger", "7000000000000001"),
                            ("sms", "6281234570004")):
        path, body, headers = build(channel, "Lampu PJU mati sejak seminggu", sender, local_api, app_env)
        status, answer, response_headers = post(local_api, path, body, headers)
        assert status == 200, (channel, answer)
        if channel.startswith("twilio"):
            assert response_headers["Content-Type"].startswith("text/xml") and b"<Response" in answer


def test_the_same_delivery_ten_times_at_once_is_one_case_and_one_reply(local_api, app_env, captured_outbox):
    path, body, headers = build("line", "Sampah menumpuk di TPS Jl. Mayor Bismo", "U" + "6" * 32, local_api, app_env)
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda _: post(local_api, path, body, headers), range(10)))
    assert all(status == 200 for status, _, _ in results)
    assert sum(json.loads(answer)["new"] for _, answer, _ in results) == 1
    event_id = event_id_of("line", body)
    assert len(wait_for_reply(captured_outbox, event_id)) == 1
    time.sleep(1.0)  # nothing else may arrive late
    assert len([m for m in captured(captured_outbox) if event_id in m["message_id"]]) == 1


def test_a_forged_delivery_is_401_and_leaves_no_trace(local_api, app_env, captured_outbox):
    path, body, headers = build("line", "Palsu", "U" + "7" * 32, local_api, app_env)
    headers["X-Line-Signature"] = "AAAA" + headers["X-Line-Signature"][4:]
    status, _, _ = post(local_api, path, body, headers)
    assert status == 401
    time.sleep(0.5)
    assert not [m for m in captured(captured_outbox) if event_id_of("line", body) in m["message_id"]]


def test_the_server_dies_after_the_durable_write_and_the_sweeper_finishes_the_job(
    app_env, seeded, stack_logs, captured_outbox
):
    env = {**app_env, "ADUAN_INBOUND_DISPATCH": "none", "ADUAN_SWEEP_GRACE_SECONDS": "0"}
    server = start_chalice_local(env, log_path=stack_logs / "chalice-local-crash.log")
    try:
        path, body, headers = build("line", "Pohon tumbang menutup Jl. Veteran", "U" + "8" * 32, server.url, env)
        status, _, _ = post(server.url, path, body, headers)
        assert status == 200
    finally:
        os.kill(server.pid, signal.SIGKILL)  # the function dies: nothing processed the event
        server.stop()
    event_id = event_id_of("line", body)
    assert wait_for_reply(captured_outbox, event_id, timeout=1.0) == []
    for _ in range(2):  # the scheduled sweeper runs (twice, as overlapping runs might)
        done = subprocess.run(
            [sys.executable, "-m", "scripts.scheduler", "--once", "--only", "sweep_inbound"],
            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
    replies = [m for m in captured(captured_outbox) if event_id in m["message_id"]]
    assert len(replies) == 1 and replies[0]["case_id"]
