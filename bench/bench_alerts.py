"""Officer alerts on the local stack: how soon after a LINE webhook's answer the admin's alert is attempted
(next to the citizen's own reply), and how many LINE pushes a received-and-forwarded complaint costs when the
OPD uses a LINE group.

dynalite + `chalice local` (stage local: sends are captured to `outbox-captured.jsonl` with their time), the
demo city, the admin koordinator on LINE and DPUPR bound to a LINE group. Each complaint is a correctly signed
LINE webhook from its own citizen; the latency is the capture time of the message minus the moment the
webhook's HTTP answer arrived, on the same machine clock.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

COMPLAINTS = 50
FORWARDED = 10
ADMIN_LINE_ID = "U" + "ad" * 16
DPUPR_GROUP = "C" + "0d" * 16


def _post(url: str, body: bytes, headers: dict) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
        return response.status


def _captured(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _wait(path: Path, wanted, count: int, timeout: float = 60.0, poll: float = 0.1) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in _captured(path) if wanted(m)]
        if len(found) >= count:
            return found
        time.sleep(poll)
    return [m for m in _captured(path) if wanted(m)]


def _prepare(env: dict[str, str]) -> None:
    """Put the admin on LINE and bind DPUPR's LINE group, straight in the tables (before the app starts)."""
    saved = dict(os.environ)
    try:
        os.environ.update(env)
        from chalicelib.services.context import build_context
        from chalicelib.settings import reset_channel_settings, reset_settings
        from chalicelib.store.tables import unbind_models

        reset_settings()
        reset_channel_settings()
        unbind_models()
        ctx = build_context()
        ctx.directory.set_line_user("admin.kominfo", ADMIN_LINE_ID)
        ctx.accounts.set_alert_channel("admin.kominfo", "line")
        ctx.line_groups.bind("dpupr", DPUPR_GROUP, "bench", datetime.now(UTC))
    finally:
        os.environ.clear()
        os.environ.update(saved)


def measure_alerts(complaints: int = COMPLAINTS, forwarded: int = FORWARDED) -> dict:
    from scripts.local_stack import app_environment, seed, start_chalice_local, start_dynalite
    from scripts.simulate import build

    work = Path(tempfile.mkdtemp(prefix="aduan-bench-alerts-"))
    dynalite = start_dynalite()
    api = None
    try:
        env = app_environment(dynalite.url, overrides={"ADUAN_MEDIA_DIR": str(work / "media"),
                                                       "POWERTOOLS_LOG_LEVEL": "WARNING"})
        seeded = seed(env)
        _prepare(env)
        api = start_chalice_local(env, log_path=work / "chalice.log")
        outbox = work / "outbox-captured.jsonl"
        reply_ms, alert_ms, reply_case = [], [], {}
        for n in range(complaints):  # one at a time: the latency of a complaint, not of a queue of fifty
            path, body, headers = build("line", f"Jalan berlubang nomor {n} di Jl. Dhoho, bahaya buat motor",
                                        "U" + f"{n:032x}", api.url, env)
            event_id = json.loads(body)["events"][0]["webhookEventId"]
            status = _post(api.url + path, body, headers)
            answered = time.time()
            if status != 200:
                raise RuntimeError(f"webhook answered {status}")
            [reply] = _wait(outbox, lambda m, e=event_id: m["message_id"] == f"reply:line:{e}", 1, poll=0.01)[:1]
            reply_case[reply["case_id"]] = reply
            alerts = _wait(outbox, lambda m, c=reply["case_id"]: m["message_id"].startswith(f"alert:{c}:")
                           and m["recipient"] == ADMIN_LINE_ID, 1, poll=0.01)
            reply_ms.append((datetime.fromisoformat(reply["at"]).timestamp() - answered) * 1000)
            if alerts:
                alert_ms.append((datetime.fromisoformat(alerts[0]["at"]).timestamp() - answered) * 1000)

        # receive + forward to DPUPR (a LINE group): which LINE pushes do officers get?
        password = {d["username"]: d["password"] for d in seeded.logins}["admin.kominfo"]
        login = urllib.request.Request(api.url + "/api/auth/login", method="POST",
                                       data=json.dumps({"username": "admin.kominfo", "password": password}).encode(),
                                       headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(login, timeout=30) as response:
            token = json.loads(response.read())["token"]
        chosen = sorted(reply_case)[:forwarded]
        for case_id in chosen:
            _post(api.url + f"/api/cases/{case_id}/actions/verifikasi_disposisi",
                  json.dumps({"version": 1, "lead_agency": "dpupr"}).encode(),
                  {"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        def pushed(m: dict) -> bool:
            return m["message_id"].startswith("alert:") and m["case_id"] in chosen and m["channel"] == "line"

        _wait(outbox, pushed, 2 * len(chosen), timeout=20)
        time.sleep(2)  # anything more that would go out for these cases has gone by now
        officer_pushes = [m for m in _captured(outbox) if pushed(m)]
    finally:
        if api is not None:
            api.stop()
        dynalite.stop()
    return {
        "alert_complaints": complaints,
        "alerts_seen": len(alert_ms),
        "reply_latency_ms": round(statistics.median(reply_ms), 1) if reply_ms else None,
        "alert_latency_ms": round(statistics.median(alert_ms), 1) if alert_ms else None,
        "alert_pushes_per_complaint": round(len(officer_pushes) / len(chosen), 2) if chosen else None,
    }


if __name__ == "__main__":
    print(measure_alerts())
