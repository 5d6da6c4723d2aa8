"""The citizen's pages in a real browser: the complaint form (/lapor), its receipt, and the tracking pages
(/lacak, /lacak/<nomor>) — accessible (no serious or critical axe violation), loading nothing from outside
127.0.0.1, working under their own Content-Security-Policy, and showing a citizen's markup as text."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from tests.e2e.axe import assert_accessible
from tests.e2e.browser import PageLog, assert_only_loopback, save_screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Page

NUMBER_RE = re.compile(r"KDR-\d{4}-[0-9A-Z]{7}")
PAYLOAD = '<script>alert(1)</script> "><img src=x onerror=alert(2)>'


def submit_complaint(page: Page, base_url: str, **fields: str) -> str:
    """Fill the form at /lapor (field name -> text), press "Kirim laporan" and return the tracking number
    shown on the receipt."""
    page.goto(base_url + "/lapor")
    form = page.locator("form.formulir")
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    with page.expect_navigation():
        form.get_by_role("button", name="Kirim laporan").click()
    number = page.locator("#nomor-laporan").inner_text().strip()
    assert NUMBER_RE.fullmatch(number), f"no tracking number on the receipt ({page.url}):\n{body_text(page)}"
    return number


def track(page: Page, base_url: str, number: str) -> None:
    """Look the number up through the form at /lacak, as a citizen would."""
    page.goto(base_url + "/lacak")
    page.get_by_label("Nomor laporan").fill(number)
    with page.expect_navigation():
        page.locator("form.lacak").get_by_role("button", name="Lacak").click()
    assert urlsplit(page.url).path == "/lacak/" + quote(number, safe=""), page.url


def body_text(page: Page) -> str:
    return page.locator("body").inner_text()


def assert_page_is_clean(page: Page, log: PageLog) -> None:
    """Nothing from outside 127.0.0.1, nothing refused by the page's CSP, no script running a dialog."""
    assert_only_loopback(log)
    assert not log.csp_violations(), "the page broke its own Content-Security-Policy:\n" + "\n".join(
        log.csp_violations()
    )
    assert not log.dialogs, f"a script opened a dialog: {log.dialogs}"


def assert_markup_inert(page: Page, log: PageLog) -> None:
    """The payload's markup was never parsed into elements, and nothing ran."""
    page.wait_for_load_state("load")
    page.wait_for_timeout(250)  # an <img onerror> would have fired by now
    assert page.locator("img[src='x']").count() == 0, f"an <img src=x> from the payload is in the page {page.url}"
    assert page.locator("[onerror]").count() == 0, f"an element with onerror is in the page {page.url}"
    assert page.locator("script:not([src])").count() == 0, f"an inline <script> is in the page {page.url}"
    assert not log.dialogs, f"a script ran on {page.url} and opened: {log.dialogs}"


def test_complaint_form_is_accessible_and_self_contained(page: Page, page_log: PageLog, local_api: str) -> None:
    page.goto(local_api + "/lapor")
    assert page.locator("h1").inner_text() == "Sampaikan Laporan"
    assert page.get_by_label("Isi laporan").count() == 1
    assert_accessible(page)
    save_screenshot(page, "lapor")
    assert_page_is_clean(page, page_log)


def test_a_complaint_sent_through_the_form_can_be_tracked(page: Page, page_log: PageLog, local_api: str) -> None:
    number = submit_complaint(
        page,
        local_api,
        title="Jalan berlubang",
        description="Jalan berlubang besar di Jl. Dhoho depan toko roti, bahaya untuk pengendara motor di malam hari.",
        address="Jl. Dhoho, Kelurahan Kemasan",
        name="Budi Santoso",
        phone="0812-3456-7890",
    )
    assert "Terima kasih" in page.locator("h1").inner_text()
    assert_accessible(page)

    page.goto(local_api + "/lacak")
    assert page.locator("h1").inner_text() == "Lacak Laporan"
    assert_accessible(page)

    track(page, local_api, number)
    assert number in page.locator("h1").inner_text()
    text = body_text(page)
    assert "Status" in text and "Riwayat tindak lanjut" in text, text
    assert "Budi Santoso" not in text and "0812" not in text, "the public page shows who reported the case"
    assert_accessible(page)
    save_screenshot(page, "lacak")
    assert_page_is_clean(page, page_log)


def test_an_unknown_number_is_answered_with_an_accessible_page(page: Page, page_log: PageLog, local_api: str) -> None:
    response = page.goto(local_api + "/lacak/KDR-0000-XXXXXXX")
    assert response is not None and response.status == 404
    assert "tidak ditemukan" in page.locator("h1").inner_text()
    assert page.get_by_label("Nomor laporan").count() == 1  # the lookup form, to try again
    assert_accessible(page)
    assert_page_is_clean(page, page_log)


def test_markup_in_a_complaint_is_never_run(page: Page, page_log: PageLog, local_api: str) -> None:
    number = submit_complaint(
        page, local_api, title=PAYLOAD, description=PAYLOAD, address=PAYLOAD, name=PAYLOAD, phone="0813-1111-2222"
    )
    assert_markup_inert(page, page_log)

    page.goto(local_api + "/lacak/" + quote(number, safe=""))
    assert number in page.locator("h1").inner_text()
    assert_markup_inert(page, page_log)
    assert "alert(" not in body_text(page), "the public tracking page shows the complaint's text"
    assert_page_is_clean(page, page_log)


def test_markup_sent_back_in_a_refused_form_stays_text(page: Page, page_log: PageLog, local_api: str) -> None:
    """A refused submission shows the form again with what was typed: as text, never as markup."""
    page.goto(local_api + "/lapor")
    form = page.locator("form.formulir")
    form.evaluate("(form) => { form.noValidate = true; }")  # let the server judge the e-mail address
    for name in ("title", "description", "address", "name"):
        form.locator(f"[name={name}]").fill(PAYLOAD)
    form.locator("[name=email]").fill("bukan-alamat-email")
    with page.expect_navigation():
        form.get_by_role("button", name="Kirim laporan").click()

    assert page.locator(".ringkasan-galat").count() == 1, f"the form was not refused:\n{body_text(page)}"
    assert page.locator("#email").get_attribute("aria-invalid") == "true"
    assert page.locator("#description").input_value() == PAYLOAD
    assert page.locator("#title").input_value() == PAYLOAD
    assert_markup_inert(page, page_log)
    assert_accessible(page)
    assert_page_is_clean(page, page_log)


def test_the_kinerja_scorecard_reads_on_a_phone_without_sideways_scrolling(new_page, local_api: str) -> None:
    """/kinerja at 360 px, the narrowest phone we serve: every OPD's row is a card that fits the width, and it is
    accessible."""
    watched = new_page(viewport={"width": 360, "height": 780})
    page, log = watched.page, watched.log
    response = page.goto(local_api + "/kinerja")
    assert response is not None and response.status == 200
    assert page.locator("h1").inner_text() == "Kinerja penanganan pengaduan"
    assert page.get_by_role("rowheader", name="Seluruh kota").count() == 2  # this month, the 12 months before
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow} px at 360 px"
    assert_accessible(page)
    save_screenshot(page, "kinerja")
    assert_page_is_clean(page, log)

    twin = page.request.get(local_api + "/kinerja.json")  # the JSON twin, through `chalice local` too
    assert twin.status == 200 and twin.json()["city_row"]["name"] == "Seluruh kota"
    held = page.request.get(local_api + "/kinerja.json", headers={"If-None-Match": twin.headers["etag"]})
    assert held.status == 304
