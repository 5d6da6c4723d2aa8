"""Browser (end-to-end) fixtures: Debian's Chromium driven by Playwright against the local stack over HTTP.

    dynalite      a dynalite process on a free 127.0.0.1 port, data under a pytest temp dir
    app_env       the environment the app runs with against it (scripts.local_stack.app_environment)
    seeded        tables and demo data (`.logins`: username, password, role, agency_id, display_name)
    local_api     base URL of `chalice local` (stage local) on 127.0.0.1
    browser       one headless Chromium for the whole session
    new_page      factory: a page in a fresh browser context (own cookies), watched (`WatchedPage.log`)
    page          a fresh page for this test; `page_log` is what it requested, the dialogs it opened, its errors
    officer_page  factory: `officer_page("admin.kominfo")` is a page signed in through /petugas/masuk

Each test gets new contexts (closed at its end); the browser, `chalice local` and dynalite are started once
and stopped by their own handles in the fixtures' teardown, whatever the tests did.

Every test in this directory is marked `e2e`. Without Chromium (or Playwright) they are all skipped, with the
reason in the skip message and a banner at the end of the run; they never fail for lack of a browser.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from tests.e2e.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    LAUNCH_TIMEOUT_MS,
    TIMEOUT_MS,
    PageLog,
    browser_unavailable,
    login_for,
    sign_in,
    watch,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

STAGE = "local"
E2E_DIR = Path(__file__).parent
_SKIPPED = pytest.StashKey[str]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    ours = [item for item in items if E2E_DIR in item.path.parents]
    if not ours:
        return
    missing = browser_unavailable()
    for item in ours:
        item.add_marker(pytest.mark.e2e)
        if missing:
            item.add_marker(pytest.mark.skip(reason=f"BROWSER TESTS SKIPPED: {missing}"))
    if missing:
        config.stash[_SKIPPED] = f"{len(ours)} browser test(s) in tests/e2e SKIPPED: {missing}"


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    message = config.stash.get(_SKIPPED, None)
    if message:
        terminalreporter.section("browser tests not run", sep="!", red=True, bold=True)
        terminalreporter.line(message, red=True, bold=True)


# --------------------------------------------------------------------------------------------------
# The local stack (as tests/integration does it)


@pytest.fixture(scope="session")
def stack_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e-stack-logs")


@pytest.fixture(scope="session")
def dynalite(tmp_path_factory: pytest.TempPathFactory, stack_logs: Path) -> Iterator[ManagedProcess]:
    proc = start_dynalite(path=tmp_path_factory.mktemp("e2e-dynalite"), log_path=stack_logs / "dynalite.log")
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def app_env(dynalite: ManagedProcess, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The app's environment; media and the captured outbox go to a private folder, never the repo's .data/."""
    data = tmp_path_factory.mktemp("e2e-app-data")
    overrides = {"ADUAN_MEDIA_DIR": str(data / "media")}
    if "ADUAN_TABLE_PREFIX" not in stage_config_environment(STAGE):  # else chalice local would override ours
        overrides["ADUAN_TABLE_PREFIX"] = f"e2e{uuid.uuid4().hex[:8]}-"
    return app_environment(dynalite.url, stage=STAGE, overrides=overrides)


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


# --------------------------------------------------------------------------------------------------
# The browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the session. Playwright gives it a fresh temporary --user-data-dir and
    removes it on close; closing the browser, then stopping Playwright, ends the browser and the driver."""
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        try:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, timeout=LAUNCH_TIMEOUT_MS
            )
        except Exception as exc:  # the binary is there but does not start: that is a failure, not a skip
            raise RuntimeError(f"Chromium at {CHROMIUM} is installed but did not start: {exc}") from exc
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@dataclass
class WatchedPage:
    page: Page
    log: PageLog


@pytest.fixture
def new_page(browser: Browser, local_api: str) -> Iterator[Callable[..., WatchedPage]]:
    """`new_page()` opens a page in a new browser context (its own cookies), desktop-sized, Indonesian locale,
    Jakarta time; every request, dialog and console error is recorded. All are closed after the test."""
    contexts: list[BrowserContext] = []

    def open_page(**context_options: Any) -> WatchedPage:
        options = {"viewport": DESKTOP, "locale": "id-ID", "timezone_id": "Asia/Jakarta", **context_options}
        context = browser.new_context(**options)
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        page = context.new_page()
        return WatchedPage(page, watch(page))

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def watched_page(new_page: Callable[..., WatchedPage]) -> WatchedPage:
    return new_page()


@pytest.fixture
def page(watched_page: WatchedPage) -> Page:
    return watched_page.page


@pytest.fixture
def page_log(watched_page: WatchedPage) -> PageLog:
    return watched_page.log


@pytest.fixture
def officer_page(new_page: Callable[..., WatchedPage], local_api: str, seeded: SeedResult) -> Callable[[str], Page]:
    """`officer_page("admin.kominfo")`: a new context signed in as that demo officer through the sign-in form
    (fails, showing what the page said, unless the server redirects to /petugas/)."""

    def open_signed_in(username: str) -> Page:
        login = login_for(seeded.logins, username)
        page = new_page().page
        sign_in(page, local_api, login["username"], login["password"])
        return page

    return open_signed_in
