"""Integration fixtures: dynalite and `chalice local` on 127.0.0.1, started once per test session.

    dynalite     a dynalite process on a free port with its data under a pytest temp dir (`.url`, `.pid`)
    app_env      the environment the app runs with against that dynalite (scripts.local_stack.app_environment)
    seeded       tables created and demo data loaded: `.tables`, `.logins` (dicts: username, password, role,
                 agency_id, display_name)
    local_api    base URL of `chalice local` (stage local) serving the app against that dynalite
    http         a small stdlib HTTP client for `local_api` that keeps cookies (`http.get("/health").json()`)

Every process is stopped by its own pid in the fixture's teardown, whatever the tests did.
Every test in this directory is marked `integration`.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest

from scripts.local_stack import (
    ManagedProcess,
    SeedResult,
    app_environment,
    seed,
    stage_config_environment,
    start_chalice_local,
    start_dynalite,
)

STAGE = "local"
INTEGRATION_DIR = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if INTEGRATION_DIR in item.path.parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def stack_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stack-logs")


@pytest.fixture(scope="session")
def dynalite(tmp_path_factory: pytest.TempPathFactory, stack_logs: Path) -> Iterator[ManagedProcess]:
    proc = start_dynalite(path=tmp_path_factory.mktemp("dynalite"), log_path=stack_logs / "dynalite.log")
    try:
        yield proc
    finally:
        proc.stop()


def unique_table_prefix() -> dict[str, str]:
    """A table prefix of our own, unless the stage config pins one (chalice local would override ours;
    the session's dynalite is private to it anyway)."""
    if "ADUAN_TABLE_PREFIX" in stage_config_environment(STAGE):
        return {}
    return {"ADUAN_TABLE_PREFIX": f"it{uuid.uuid4().hex[:8]}-"}


@pytest.fixture(scope="session")
def app_env(dynalite: ManagedProcess, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The app's environment; media and the captured outbox go to a private folder, never the repo's .data/."""
    data = tmp_path_factory.mktemp("app-data")
    overrides = {**unique_table_prefix(), "ADUAN_MEDIA_DIR": str(data / "media")}
    return app_environment(dynalite.url, stage=STAGE, overrides=overrides)


@pytest.fixture(scope="session")
def captured_outbox(app_env: dict[str, str]) -> Path:
    """Where the local stage writes the messages it would have sent."""
    return Path(app_env["ADUAN_MEDIA_DIR"]).parent / "outbox-captured.jsonl"


@pytest.fixture(scope="session")
def seeded(app_env: dict[str, str]) -> SeedResult:
    return seed(app_env)


@pytest.fixture(scope="session")
def local_api(app_env: dict[str, str], seeded: SeedResult, stack_logs: Path) -> Iterator[str]:
    proc = start_chalice_local(app_env, stage=STAGE, log_path=stack_logs / "chalice-local.log")
    try:
        yield proc.url
    finally:
        proc.stop()


@dataclass
class HttpResponse:
    status: int
    headers: Any  # email.message.Message: case-insensitive .get()
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class HttpClient:
    """Requests against one base URL with a cookie jar; redirects are returned, not followed."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.cookies = CookieJar()
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect())

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        form: dict[str, str] | None = None,
        json_body: Any = None,
    ) -> HttpResponse:
        headers = dict(headers or {})
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif json_body is not None:
            body = json.dumps(json_body).encode()
            headers.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(self.base_url + path, data=body, headers=headers, method=method)
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                return HttpResponse(resp.status, resp.headers, resp.read())
        except urllib.error.HTTPError as err:
            with err:
                return HttpResponse(err.code, err.headers, err.read())

    def get(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("POST", path, **kwargs)


@pytest.fixture
def http(local_api: str) -> HttpClient:
    """A fresh client (empty cookie jar) per test."""
    return HttpClient(local_api)


@pytest.fixture
def private_tables(dynalite: ManagedProcess, tmp_path: Path) -> Iterator[Path]:
    """This process's app settings pointed at the session's dynalite, with tables of its own (a fresh prefix)
    and the local outbox capture under `tmp_path`; yields the capture file. Everything is put back after."""
    import os

    from chalicelib.settings import reset_channel_settings, reset_settings
    from chalicelib.store.tables import create_tables, unbind_models

    saved = dict(os.environ)
    os.environ.update(app_environment(dynalite.url))
    os.environ.update(ADUAN_TABLE_PREFIX=f"t{uuid.uuid4().hex[:8]}-", ADUAN_OUTBOX_MODE="capture",
                      ADUAN_MEDIA_DIR=str(tmp_path / "media"))
    reset_settings()
    reset_channel_settings()
    unbind_models()
    try:
        create_tables()
        yield tmp_path / "outbox-captured.jsonl"
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_settings()
        reset_channel_settings()
        unbind_models()
