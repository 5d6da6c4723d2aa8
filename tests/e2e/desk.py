"""Helpers for the officer desk scenarios (tests/e2e/test_officer_desk.py).

    post_line_message   a correctly signed LINE delivery to the local stack (scripts.simulate.build), as LINE sends it
    line_complaint      the same, then the tracking number the citizen got back (read from the captured outbox)
    captured / wait_for what the local stage "sent": `outbox-captured.jsonl` next to ADUAN_MEDIA_DIR
    OfficerApi          the JSON officer API with a bearer token (set-up, checks behind the browser's back)
    case page helpers   status label, the find-by-number field, pressing an action form's button
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from scripts.local_stack import REPO_ROOT
from scripts.simulate import build

if TYPE_CHECKING:
    from playwright.sync_api import Page, Response

HTTP_TIMEOUT = 15.0
OUTBOX_WAIT = 15.0


# --------------------------------------------------------------------------------------------------
# Plain HTTP against the local stack


def http(method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None,
         timeout: float = HTTP_TIMEOUT) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


class OfficerApi:
    """The JSON officer API as one officer (`POST /api/auth/login`, then `Authorization: Bearer`)."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url.rstrip("/")
        status, answer = http("POST", self.base_url + "/api/auth/login",
                              body=json.dumps({"username": username, "password": password}).encode(),
                              headers={"Content-Type": "application/json"})
        assert status == 200, f"API login as {username}: HTTP {status} {answer[:300]!r}"
        self.token = json.loads(answer)["token"]

    def call(self, method: str, path: str, payload: Any = None, **headers: str) -> tuple[int, Any]:
        body = json.dumps(payload).encode() if payload is not None else None
        status, answer = http(method, self.base_url + path, body=body, headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json", **headers})
        try:
            return status, json.loads(answer) if answer else None
        except ValueError:
            return status, answer.decode("utf-8", "replace")

    def ok(self, method: str, path: str, payload: Any = None, **headers: str) -> Any:
        status, answer = self.call(method, path, payload, **headers)
        assert 200 <= status < 300, f"{method} {path}: HTTP {status} {answer}"
        return answer

    def case(self, number: str) -> dict:
        return self.ok("GET", "/api/cases/" + quote(number, safe=""))

    def phone_case(self, description: str, *, title: str = "", location: str = "", name: str = "Warga Uji") -> dict:
        """A complaint taken by phone (status BARU)."""
        return self.ok("POST", "/api/cases", {
            "channel": "telepon", "title": title, "description": description, "location": location,
            "reporter": {"name": name, "phone": "0812-5550-" + str(uuid.uuid4().int % 10_000).zfill(4)},
        }, **{"Idempotency-Key": "e2e-" + uuid.uuid4().hex})

    def act(self, number: str, action: str, version: int, **fields: Any) -> dict:
        return self.ok("POST", f"/api/cases/{quote(number, safe='')}/actions/{action}", {"version": version, **fields})

    def forwarded_case(self, description: str, agency: str = "dpupr", **entry: str) -> dict:
        """A phone complaint verified and forwarded to `agency` (status TERVERIFIKASI)."""
        case = self.phone_case(description, **entry)
        return self.act(case["case_id"], "verifikasi_disposisi", case["version"], lead_agency=agency,
                        category_id="jalan-jembatan" if agency == "dpupr" else None,
                        note="Mohon segera ditangani.")


# --------------------------------------------------------------------------------------------------
# LINE and the captured outbox


def new_line_user() -> str:
    """A LINE user id of our own (a second message from the same sender within 30 minutes would join the
    first one's case)."""
    return "U" + uuid.uuid4().hex


def post_line_message(base_url: str, env: dict[str, str], user_id: str, text: str) -> str:
    """Deliver one text message from `user_id` to /webhooks/line, signed with the local stage's channel secret;
    the webhook event id (which the reply's message id carries)."""
    path, body, headers = build("line", text, user_id, base_url, env)
    status, answer = http("POST", base_url + path, body=body, headers=headers)
    assert status == 200, f"POST {path}: HTTP {status} {answer[:300]!r}"
    return json.loads(body)["events"][0]["webhookEventId"]


def captured(outbox: Path) -> list[dict]:
    if not outbox.exists():
        return []
    return [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines() if line.strip()]


def wait_for(outbox: Path, wanted: Callable[[dict], bool], what: str, timeout: float = OUTBOX_WAIT) -> list[dict]:
    """The captured messages matching `wanted`, once there is at least one (fails after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in captured(outbox) if wanted(m)]
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"no captured message ({what}) in {outbox} after {timeout} s")
        time.sleep(0.1)


def line_complaint(base_url: str, env: dict[str, str], outbox: Path, text: str,
                   user_id: str | None = None) -> tuple[str, str]:
    """A citizen complains on LINE; (tracking number from the answer they got, their LINE user id)."""
    user_id = user_id or new_line_user()
    event_id = post_line_message(base_url, env, user_id, text)
    [answer] = wait_for(outbox, lambda m: event_id in m["message_id"], f"the answer to LINE event {event_id}")
    assert answer["channel"] == "line" and answer["recipient"] == user_id, answer
    assert answer["case_id"] and answer["case_id"] in answer["body"], answer
    return answer["case_id"], user_id


# --------------------------------------------------------------------------------------------------
# Officer pages


def case_path(number: str) -> str:
    return "/petugas/kasus/" + quote(number, safe="")


def body_text(page: Page) -> str:
    return page.locator("body").inner_text()


def status_label(page: Page) -> str:
    """The status shown under the case page's heading."""
    return page.locator(".status-kasus .status").inner_text().strip()


def inbox_row(page: Page, number: str):
    """The inbox table row whose number links to the case."""
    return page.locator("table.kotak-masuk tbody tr", has=page.locator(f"a[href$='{case_path(number)}']"))


def find_by_number(page: Page, number: str) -> None:
    """Type the number into the inbox's "Cari nomor laporan" field and press "Cari"."""
    form = page.locator("form.cari-nomor")
    form.get_by_label("Cari nomor laporan").fill(number)
    with page.expect_navigation():
        form.get_by_role("button", name="Cari").click()


def press(page: Page, action: str, button: str, note: str | None = None,
          fill: Callable[[Any], None] | None = None) -> Response | None:
    """Fill the action form `#aksi-<action>` (its note, then whatever `fill` does with the form) and press
    its button; the response the browser ended on."""
    form = page.locator(f"form#aksi-{action}")
    assert form.count() == 1, f"no form #aksi-{action} on {page.url}; actions shown: {action_forms(page)}"
    if fill is not None:
        fill(form)
    if note is not None:
        form.locator("textarea[name=note]").fill(note)
    with page.expect_navigation() as navigation:
        form.get_by_role("button", name=button).click()
    return navigation.value


def action_forms(page: Page) -> list[str]:
    """The actions whose forms the case page shows."""
    ids = page.locator("form[id^='aksi-']").evaluate_all("(forms) => forms.map((f) => f.id)")
    return [form_id.removeprefix("aksi-") for form_id in ids]


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def query_of(page: Page) -> str:
    return urlsplit(page.url).query


# --------------------------------------------------------------------------------------------------
# Scheduled jobs


def run_job(env: dict[str, str], job: str, timeout: float = 60.0) -> None:
    """Fire one scheduled function once, as the local runner does (e.g. `sync_aggregates`, which the
    dashboard's figures come from)."""
    done = subprocess.run(
        [sys.executable, "-m", "scripts.scheduler", "--once", "--only", job],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )
    assert done.returncode == 0, f"scheduled job {job} failed:\n{done.stderr[-2000:]}"
