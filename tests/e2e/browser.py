"""Helpers for the browser tests: where Chromium is, how it is launched, what a page did, screenshots, sign-in.

Chromium is Debian's package (`/usr/bin/chromium`), driven by Playwright's Python package; Playwright's own
browser download (`playwright install`) is never used. `browser_unavailable()` says why the browser tests
cannot run here (the conftest then skips them, loudly), or None when they can.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:  # Playwright is imported only once we know it is there
    from playwright.sync_api import ConsoleMessage, Dialog, Page, Request, Response

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("ADUAN_E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK = "127.0.0.1"
# `make screenshots` refreshes the committed ones; an ordinary test run writes them out of the tree
SCREENSHOT_DIR = (REPO_ROOT / "docs" / "screenshots" if os.environ.get("ADUAN_UPDATE_SCREENSHOTS") == "1"
                  else REPO_ROOT / ".pytest_cache" / "screenshots")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
TIMEOUT_MS = 15_000  # every Playwright wait (navigation, click, selector) gives up after this
LAUNCH_TIMEOUT_MS = 30_000
SIGN_IN_PATH = "/petugas/masuk"
SIGN_OUT_PATH = "/petugas/keluar"
INBOX_PATH = "/petugas/"


def browser_unavailable() -> str | None:
    """Why the browser tests cannot run on this machine, or None."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return (
            f"no Chromium at {CHROMIUM}: install Debian's package (`apt-get install chromium`; `make test` does it "
            "when run as root with apt-get) or point ADUAN_E2E_CHROMIUM at a Chromium binary"
        )
    if importlib.util.find_spec("playwright") is None:
        return "the Python package playwright is not installed: run `make venv` (requirements-dev.txt pins it)"
    return None


# --------------------------------------------------------------------------------------------------
# What a page did


@dataclass
class PageLog:
    """Every request a page made, every dialog it opened (each one dismissed) and its console errors."""

    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def off_loopback(self) -> list[str]:
        """Requests to anywhere but 127.0.0.1 (data: and blob: URLs never leave the browser)."""
        return [url for url in self.requests if not _on_loopback(url)]

    def csp_violations(self) -> list[str]:
        return [text for text in self.console_errors if "Content Security Policy" in text]


def _on_loopback(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.scheme in ("http", "https") and parts.hostname == LOOPBACK


def watch(page: Page) -> PageLog:
    """Start recording what `page` does; dialogs are dismissed so that the page never hangs on one."""
    log = PageLog()

    def on_dialog(dialog: Dialog) -> None:
        log.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            log.console_errors.append(message.text)

    def on_request(request: Request) -> None:
        log.requests.append(request.url)

    page.on("request", on_request)
    page.on("dialog", on_dialog)
    page.on("console", on_console)
    return log


def assert_only_loopback(log: PageLog) -> None:
    assert log.requests, "no request was recorded: is the page watched?"
    outside = log.off_loopback()
    assert not outside, "the page loaded from an external origin:\n" + "\n".join(f"  {url}" for url in outside)


# --------------------------------------------------------------------------------------------------
# Screenshots

_NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]*")


def save_screenshot(page: Page, name: str, *, full_page: bool = True) -> list[Path]:
    """Write `<name>-phone.png` (390x844) and `<name>-desktop.png` (1280x800) of the page as it is now into
    SCREENSHOT_DIR, then give the page its viewport back. A file whose bytes did not change is not rewritten."""
    if not _NAME_RE.fullmatch(name):
        raise ValueError(f"screenshot name {name!r}: use lowercase letters, digits and '-'")
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    written = []
    try:
        for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            png = page.screenshot(full_page=full_page, animations="disabled", caret="hide")
            path = SCREENSHOT_DIR / f"{name}-{label}.png"
            if not path.exists() or path.read_bytes() != png:
                path.write_bytes(png)
            written.append(path)
    finally:
        if original is not None:
            page.set_viewport_size(original)
    return written


# --------------------------------------------------------------------------------------------------
# Officers


def login_for(logins: Iterable[dict[str, Any]], username: str) -> dict[str, Any]:
    for login in logins:
        if login["username"] == username:
            return login
    known = ", ".join(sorted(login["username"] for login in logins))
    raise KeyError(f"no demo login {username!r} (the seed made: {known})")


def fill_sign_in(page: Page, base_url: str, username: str, password: str) -> Response | None:
    """Open the sign-in page, type the credentials and press its submit button; the answer (after redirects)."""
    page.goto(base_url + SIGN_IN_PATH)
    form = page.locator("form", has=page.locator("input[name=password]"))
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    with page.expect_navigation() as navigation:
        form.locator("button[type=submit], input[type=submit]").first.click()
    return navigation.value


def sign_in(page: Page, base_url: str, username: str, password: str) -> None:
    """Sign in through the form; fails with what the page said unless the server redirects to /petugas/
    and that page answers 200."""
    response = fill_sign_in(page, base_url, username, password)
    status = response.status if response is not None else None
    if urlsplit(page.url).path != INBOX_PATH or status != 200:
        text = page.locator("body").inner_text()[:1500] if page.locator("body").count() else page.content()[:1500]
        raise AssertionError(
            f"signing in as {username!r} ended on {page.url} (HTTP {status}), expected {INBOX_PATH} (200):\n{text}"
        )


def sign_out(page: Page) -> None:
    """Press the form button that posts to /petugas/keluar (on whatever officer page is open)."""
    form = page.locator(f"form[action$='{SIGN_OUT_PATH}']")
    assert form.count() >= 1, f"no sign-out form (action ending in {SIGN_OUT_PATH}) on {page.url}"
    with page.expect_navigation():
        form.first.locator("button, input[type=submit]").first.click()
