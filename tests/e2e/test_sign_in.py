"""Officers sign in and out of the web view in a real browser (/petugas/masuk, /petugas/keluar).

The contract: the form at /petugas/masuk has fields `username` and `password` and a submit button; on success
the server redirects to /petugas/ (the inbox); a wrong password leaves the officer on /petugas/masuk with a
message in Bahasa Indonesia; a form button posting to /petugas/keluar signs out, after which the browser's
Back button must not bring case data back."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scripts.local_stack import SeedResult
from tests.e2e.axe import assert_accessible
from tests.e2e.browser import (
    INBOX_PATH,
    SIGN_IN_PATH,
    PageLog,
    assert_only_loopback,
    fill_sign_in,
    login_for,
    save_screenshot,
    sign_out,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

CASE_NUMBER_RE = re.compile(r"KDR-\d{4}-[0-9A-Z]{7}")
INDONESIAN_RE = re.compile(r"\b(salah|tidak|kata sandi|nama pengguna|coba|silakan)\b", re.IGNORECASE)
ENGLISH_RE = re.compile(r"\b(invalid|incorrect|wrong|password|username|error)\b", re.IGNORECASE)


def body_text(page: Page) -> str:
    return page.locator("body").inner_text()


def shows_sign_in_form(page: Page) -> bool:
    return page.locator("form input[name=password]").count() > 0


def test_sign_in_page_is_accessible(page: Page, page_log: PageLog, local_api: str) -> None:
    response = page.goto(local_api + SIGN_IN_PATH)
    assert response is not None and response.status == 200, f"GET {SIGN_IN_PATH}: {response and response.status}"
    assert shows_sign_in_form(page)
    assert page.locator("input[name=username]").count() == 1
    assert page.locator("form button[type=submit], form input[type=submit]").count() >= 1
    assert_accessible(page)
    save_screenshot(page, "masuk")
    assert_only_loopback(page_log)
    assert not page_log.csp_violations(), page_log.csp_violations()


def test_admin_signs_in_and_sees_the_inbox(officer_page: Callable[[str], Page]) -> None:
    page = officer_page("admin.kominfo")  # fails unless the server redirected to /petugas/
    assert urlsplit(page.url).path == INBOX_PATH
    assert not shows_sign_in_form(page), "the inbox shows the sign-in form"
    assert page.locator("form[action$='/petugas/keluar']").count() >= 1, "no sign-out button on the inbox"
    assert CASE_NUMBER_RE.search(body_text(page)), "the admin's inbox lists no case (the demo data has ten)"


def test_a_wrong_password_is_refused_in_indonesian(page: Page, local_api: str, seeded: SeedResult) -> None:
    username = login_for(seeded.logins, "petugas.dlhkp")["username"]
    fill_sign_in(page, local_api, username, "bukan-kata-sandinya")

    assert urlsplit(page.url).path == SIGN_IN_PATH, f"a wrong password led to {page.url}"
    assert shows_sign_in_form(page)
    alert = page.locator("[role=alert], .galat, .galat-ringkas")
    assert alert.count() >= 1, f"no error message on the page:\n{body_text(page)}"
    message = alert.first.inner_text()
    assert INDONESIAN_RE.search(message) and not ENGLISH_RE.search(message), f"not Indonesian: {message!r}"
    assert page.locator("input[name=password]").input_value() == "", "the password was sent back to the page"
    assert not CASE_NUMBER_RE.search(body_text(page))


def test_after_signing_out_the_back_button_shows_no_case(officer_page: Callable[[str], Page]) -> None:
    page = officer_page("admin.kominfo")
    assert CASE_NUMBER_RE.search(body_text(page)), "the inbox lists no case: nothing to hide after signing out"

    sign_out(page)
    assert urlsplit(page.url).path == SIGN_IN_PATH, f"signing out led to {page.url}"

    page.go_back()
    page.wait_for_load_state("load")
    text = body_text(page)
    assert shows_sign_in_form(page) or not CASE_NUMBER_RE.search(text), (
        f"after signing out, Back shows case data on {page.url}:\n{text[:1500]}"
    )
    # and the inbox itself, asked for again, is no longer served
    page.reload()
    assert shows_sign_in_form(page) or not CASE_NUMBER_RE.search(body_text(page)), page.url
