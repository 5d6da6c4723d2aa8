"""The officer desk in a real browser (issue 7's proof): a LINE complaint verified, forwarded, answered,
followed up and closed through /petugas/; a citizen's markup shown as text; one OPD never reaching another's
case; signing out, deactivation and a stale version; and the pages accessible and self-contained.

Every test makes its own cases (a LINE delivery, or the JSON API for set-up) and its own browser contexts.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

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
    sign_in,
    sign_out,
)
from tests.e2e.desk import (
    OfficerApi,
    action_forms,
    body_text,
    captured,
    case_path,
    find_by_number,
    inbox_row,
    line_complaint,
    path_of,
    press,
    query_of,
    run_job,
    status_label,
    wait_for,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.e2e.conftest import WatchedPage

pytestmark = pytest.mark.timeout(90)  # each test, its fixtures included (the first one starts the stack)

BARU = "Belum terverifikasi"
TERVERIFIKASI = "Terverifikasi, menunggu tindak lanjut"
DITINDAKLANJUTI = "Sedang ditindaklanjuti"
SELESAI = "Selesai"
DITUNDA = "Ditunda (menunggu kelengkapan)"
DPUPR = "Dinas Pekerjaan Umum dan Penataan Ruang"
PAYLOAD = '<script>alert(1)</script> "><img src=x onerror=alert(2)>'
CASE_SECTIONS = ("#pelapor", "#percakapan", "#balas", "#linimasa", "#sla", "#aksi")


# --------------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="session")
def captured_outbox(app_env: dict[str, str]) -> Path:
    """Where the local stage writes the messages it would have sent."""
    return Path(app_env["ADUAN_MEDIA_DIR"]).parent / "outbox-captured.jsonl"


@pytest.fixture
def admin_api(local_api: str, seeded: SeedResult) -> OfficerApi:
    login = login_for(seeded.logins, "admin.kominfo")
    return OfficerApi(local_api, login["username"], login["password"])


@pytest.fixture
def desk(new_page: Callable[..., WatchedPage], local_api: str,
         seeded: SeedResult) -> Callable[[str], WatchedPage]:
    """`desk("petugas.dpupr")`: a page in a new context, signed in through the form, with its log."""

    def open_desk(username: str) -> WatchedPage:
        login = login_for(seeded.logins, username)
        watched = new_page()
        sign_in(watched.page, local_api, login["username"], login["password"])
        return watched

    return open_desk


def unique(text: str) -> str:
    """The text with a marker of its own, to tell this test's case from every other one."""
    return f"{text} [uji {uuid.uuid4().hex[:8]}]"


def open_case(page: Page, base_url: str, number: str) -> None:
    response = page.goto(base_url + case_path(number))
    assert response is not None and response.status == 200, (
        f"GET {case_path(number)}: HTTP {response and response.status}\n{body_text(page)[:1500]}")
    assert number in page.locator("h1").inner_text()


def assert_done(page: Page, number: str, ok: str) -> None:
    """The action succeeded: back on the case page with `?ok=<ok>` and the notice."""
    assert path_of(page) == case_path(number) and query_of(page) == f"ok={ok}", (
        f"after {ok}: {page.url}\n{body_text(page)[:2000]}")
    assert page.locator("[role=status]").count() >= 1, f"no success notice after {ok} on {page.url}"


def assert_clean(page: Page, log: PageLog) -> None:
    assert_only_loopback(log)
    assert not log.csp_violations(), log.csp_violations()
    assert not log.dialogs, f"a script opened a dialog on {page.url}: {log.dialogs}"


# --------------------------------------------------------------------------------------------------
# 7a. Accessibility and screenshots (first, so that the inbox screenshot shows the demo complaints)


def test_inbox_and_case_page_are_accessible_and_self_contained(desk, local_api, app_env, captured_outbox) -> None:
    number, _ = line_complaint(local_api, app_env, captured_outbox,
                               "Jalan berlubang besar di Jl. Dhoho depan toko roti, sudah dua motor jatuh "
                               "minggu ini. Mohon segera ditambal sebelum musim hujan.")
    admin = desk("admin.kominfo")
    page, log = admin.page, admin.log

    # the inbox: several cases (the seed's ten sample complaints are BARU, the admin's default view)
    assert path_of(page) == INBOX_PATH
    rows = page.locator("table.kotak-masuk tbody tr")
    assert rows.count() >= 5, f"the admin inbox lists {rows.count()} case(s):\n{body_text(page)[:1500]}"
    assert inbox_row(page, number).count() == 1, f"{number} is not in the admin inbox"
    assert_accessible(page)
    save_screenshot(page, "kotak-masuk")

    # the case page, with the citizen's message, an officer's reply and the admin's action forms
    open_case(page, local_api, number)
    reply = page.locator("#form-balas")
    reply.locator("#balasan").fill("Terima kasih, laporan Anda sedang kami verifikasi dan segera kami teruskan "
                                   "ke dinas terkait.")
    with page.expect_navigation():
        reply.get_by_role("button", name="Kirim balasan").click()
    assert_done(page, number, "balas")
    for section in CASE_SECTIONS:
        assert page.locator(section).count() == 1, f"no {section} on the case page"
    assert page.locator("#percakapan li").count() >= 2, "the conversation lacks the message or the reply"
    assert {"verifikasi_disposisi", "tunda", "bukan_wewenang", "arsipkan"} <= set(action_forms(page)), (
        action_forms(page))
    page.locator("#aksi-verifikasi_disposisi details").evaluate("(d) => { d.open = true; }")
    assert_accessible(page)
    page.locator("#aksi-verifikasi_disposisi details").evaluate("(d) => { d.open = false; }")
    save_screenshot(page, "kasus")
    assert_clean(page, log)


# --------------------------------------------------------------------------------------------------
# 1. The whole desk, in the browser


def test_a_line_complaint_is_forwarded_answered_followed_up_and_closed(
        desk, local_api, app_env, captured_outbox) -> None:
    complaint = unique("Jalan berlubang dalam di Jl. Joyoboyo dekat SDN Banjaran 2, motor sering terperosok.")
    number, line_user = line_complaint(local_api, app_env, captured_outbox, complaint)

    # the admin koordinator finds it by its number and forwards it to DPUPR
    admin = desk("admin.kominfo")
    page = admin.page
    row = inbox_row(page, number)
    assert row.count() == 1, f"{number} is not in the admin's inbox"
    assert BARU in row.inner_text()
    find_by_number(page, number)
    assert path_of(page) == case_path(number), f"finding {number} led to {page.url}"
    assert status_label(page) == BARU
    assert complaint in page.locator("#percakapan").inner_text()
    assert line_user in page.locator("#pelapor").inner_text(), "the reporter's LINE user id is not on the page"
    forward = page.locator("#aksi-verifikasi_disposisi")
    assert forward.locator("select[name=category_id]").input_value() == "jalan-jembatan", (
        "the suggested category (Jalan dan Jembatan Rusak) is not preselected")
    press(page, "verifikasi_disposisi", "Verifikasi dan teruskan", "Mohon ditambal minggu ini.",
          fill=lambda form: form.locator("select[name=lead_agency]").select_option("dpupr"))
    assert_done(page, number, "verifikasi_disposisi")
    assert status_label(page) == TERVERIFIKASI
    assert DPUPR in page.locator("section[aria-labelledby=judul-isi]").inner_text()
    assert_clean(page, admin.log)

    # the DPUPR officer finds it in the inbox ("utama": cases DPUPR leads) and opens its row
    opd = desk("petugas.dpupr")
    page = opd.page
    row = inbox_row(page, number)
    assert row.count() == 1, f"{number} is not in DPUPR's inbox:\n{body_text(page)[:1500]}"
    assert TERVERIFIKASI in row.inner_text()
    with page.expect_navigation():
        row.locator(f"a[href$='{case_path(number)}']").click()
    assert path_of(page) == case_path(number)
    assert status_label(page) == TERVERIFIKASI

    # ... answers the citizen, on LINE
    answer = unique("Terima kasih atas laporannya. Tim DPUPR akan meninjau lokasi besok pagi.")
    page.locator("#form-balas #balasan").fill(answer)
    with page.expect_navigation():
        page.locator("#form-balas").get_by_role("button", name="Kirim balasan").click()
    assert path_of(page) == case_path(number) and query_of(page) == "ok=balas", page.url
    assert answer in page.locator("#percakapan").inner_text(), "the reply is not in the conversation"
    [sent] = wait_for(captured_outbox, lambda m: m["case_id"] == number and answer in m["body"],
                      "the officer's reply")
    assert sent["channel"] == "line" and sent["recipient"] == line_user, sent
    assert sent["message_id"].startswith(f"{number}:reply:"), sent
    assert status_label(page) == TERVERIFIKASI  # a reply is not a status change

    # ... records a follow-up (shown to the citizen); the admin koordinator closes it (inside the citizen's
    # reply window an OPD may not)
    follow_up = unique("Lubang sudah ditambal dengan aspal dingin oleh tim UPT Jalan.")
    press(page, "tindak_lanjut", "Simpan tindak lanjut", follow_up,
          fill=lambda form: form.locator("input[name=public]").check())
    assert_done(page, number, "tindak_lanjut")
    assert status_label(page) == DITINDAKLANJUTI
    assert follow_up in page.locator("#linimasa").inner_text()
    assert "selesaikan" not in action_forms(page), "the OPD may close inside the citizen's reply window"
    assert_clean(page, opd.log)
    admin_page = admin.page
    open_case(admin_page, local_api, number)
    press(admin_page, "selesaikan", "Selesaikan laporan", "Perbaikan selesai, sudah dicek di lokasi.")
    assert_done(admin_page, number, "selesaikan")
    assert status_label(admin_page) == SELESAI
    assert action_forms(admin_page) == ["buka_kembali"], action_forms(admin_page)
    open_case(page, local_api, number)
    assert not action_forms(page), f"a closed case still offers {action_forms(page)} to the OPD"

    # the citizen heard of each step on LINE, and only there
    about_case = [m for m in captured(captured_outbox) if m["case_id"] == number]
    to_citizen = [m for m in about_case if not m["message_id"].startswith("alert:")]
    assert {m["channel"] for m in to_citizen} == {"line"} and {m["recipient"] for m in to_citizen} == {line_user}
    # and the officers were alerted on LINE: the admin of the new complaint, DPUPR's group of the disposition
    alerts = [m for m in about_case if m["message_id"].startswith("alert:")]
    assert {m["purpose"] for m in alerts} >= {"alert:new", "alert:forward"}, alerts
    assert all(f"/petugas/kasus/{number}" in m["body"] for m in alerts)
    assert line_user not in {m["recipient"] for m in alerts}


# --------------------------------------------------------------------------------------------------
# 2. A citizen's markup is text


def test_markup_in_a_complaint_is_shown_as_text(desk, local_api, app_env, captured_outbox, admin_api) -> None:
    line_number, _ = line_complaint(local_api, app_env, captured_outbox, "Jalan rusak " + PAYLOAD)

    admin = desk("admin.kominfo")
    page, log = admin.page, admin.log
    page.goto(local_api + "/petugas/kasus/baru")
    form = page.locator("form", has=page.get_by_role("button", name="Simpan laporan"))
    form.locator("select[name=channel]").select_option("telepon")
    today = form.locator("input[name=tanggal]").get_attribute("max")  # today in WIB; no hour: received now
    assert today, "the date field has no max (today)"
    form.locator("input[name=tanggal]").fill(today)
    for name in ("title", "description", "location", "name"):
        form.locator(f"[name={name}]").fill(PAYLOAD)
    form.locator("input[name=phone]").fill("0812-3333-4444")
    with page.expect_navigation():
        form.get_by_role("button", name="Simpan laporan").click()
    entered = path_of(page).removeprefix("/petugas/kasus/")
    assert path_of(page).startswith("/petugas/kasus/") and entered != "baru", (
        f"the manual entry was not saved ({page.url}):\n{body_text(page)[:1500]}")

    try:
        for number in (entered, line_number):
            open_case(page, local_api, number)
            assert_inert(page, log)
            assert PAYLOAD in body_text(page), f"the payload is not shown as text on {page.url}"
        page.goto(local_api + INBOX_PATH)
        for number in (entered, line_number):
            row = inbox_row(page, number)
            assert row.count() == 1, f"{number} is not in the admin inbox"
            assert "<script>alert(1)</script>" in row.inner_text(), row.inner_text()
        assert_inert(page, log)
        assert_clean(page, log)
    finally:  # out of the BARU queue, so that later inbox screenshots do not show it
        for number in (entered, line_number):
            case = admin_api.case(number)
            if case["status"] == "BARU":
                admin_api.act(number, "arsipkan", case["version"], note="Uji otomatis (e2e).")


def assert_inert(page: Page, log: PageLog) -> None:
    page.wait_for_load_state("load")
    page.wait_for_timeout(200)  # an <img onerror> would have fired by now
    assert page.locator("img[src='x']").count() == 0, f"an <img src=x> from the payload is in {page.url}"
    assert page.locator("[onerror]").count() == 0, f"an element with onerror is in {page.url}"
    assert page.locator("script:not([src])").count() == 0, f"an inline <script> is in {page.url}"
    assert not log.dialogs, f"a script ran on {page.url}: {log.dialogs}"


# --------------------------------------------------------------------------------------------------
# 3. One OPD never reaches another's case


def test_another_opd_cannot_open_or_act_on_the_case(desk, local_api, admin_api, captured_outbox) -> None:
    text = unique("Jembatan kecil di Jl. Pattimura retak dan papannya lepas.")
    case = admin_api.forwarded_case(text)
    number, version = case["case_id"], case["version"]

    dlhkp = desk("petugas.dlhkp")
    page = dlhkp.page
    assert inbox_row(page, number).count() == 0
    find_by_number(page, number)
    assert path_of(page) == INBOX_PATH, f"finding another OPD's case led to {page.url}"
    assert text not in body_text(page)

    response = page.goto(local_api + case_path(number))
    assert response is not None and response.status == 404, f"GET {case_path(number)}: {response and response.status}"
    shown = body_text(page)
    assert text not in shown and text not in page.content(), "the 404 page shows the case's text"
    assert page.locator("#percakapan, #aksi, #balas, #pelapor").count() == 0

    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    assert csrf, "no csrf token on the DLHKP officer's page"
    for path, form in (
        (case_path(number) + "/aksi/tindak_lanjut", {"csrf": csrf, "version": str(version), "note": "Bukan kami"}),
        (case_path(number) + "/aksi/kembalikan", {"csrf": csrf, "version": str(version), "note": "Bukan kami"}),
        (case_path(number) + "/balas", {"csrf": csrf, "text": "Dari OPD lain", "idempotency_key": uuid.uuid4().hex}),
    ):
        refused = page.request.post(local_api + path, form=form, max_redirects=0)
        assert refused.status in (403, 404), f"POST {path} as petugas.dlhkp: HTTP {refused.status}"
        assert text not in refused.text(), f"the refusal of POST {path} shows the case's text"
        assert "kedaluwarsa" not in refused.text(), f"POST {path}: refused for its CSRF token, not for the case"

    after = admin_api.case(number)
    assert (after["version"], after["status"]) == (version, "TERVERIFIKASI"), after
    assert not [m for m in captured(captured_outbox) if m["case_id"] == number and "Dari OPD lain" in m["body"]]


# --------------------------------------------------------------------------------------------------
# 4. Signing out, then Back


def test_after_signing_out_back_shows_no_case_data(desk, local_api, admin_api) -> None:
    text = unique("Trotoar di Jl. Hayam Wuruk ambles di depan pasar.")
    number = admin_api.forwarded_case(text)["case_id"]

    page = desk("petugas.dpupr").page
    open_case(page, local_api, number)
    assert text in body_text(page)

    sign_out(page)
    assert path_of(page) == SIGN_IN_PATH, f"signing out led to {page.url}"
    page.go_back()
    page.wait_for_load_state("load")
    shown = body_text(page)
    assert number not in shown and text not in shown, f"Back after signing out shows the case ({page.url}):\n{shown}"
    assert text not in page.content()
    assert page.locator("#percakapan, #aksi, #linimasa").count() == 0
    assert path_of(page) == SIGN_IN_PATH and page.locator("input[name=password]").count() == 1, page.url


# --------------------------------------------------------------------------------------------------
# 5. Deactivation ends an open session


@pytest.fixture
def reactivate(admin_api: OfficerApi) -> Iterator[list[str]]:
    """Officers listed here are made active again after the test, whatever it did."""
    usernames: list[str] = []
    yield usernames
    for username in usernames:
        assert admin_api.ok("POST", f"/api/admin/officers/{username}/activate")["active"] is True


def test_a_deactivated_officer_is_signed_out_at_once(desk, local_api, admin_api, seeded, reactivate) -> None:
    text = unique("Saluran di Jl. Brawijaya tertutup sedimen, air meluap ke jalan.")
    case = admin_api.forwarded_case(text)
    number = case["case_id"]

    # two sessions of the officer, each with the case open (one will reload, the other submit a form)
    page, other = desk("petugas.dpupr").page, desk("petugas.dpupr").page
    for tab in (page, other):
        open_case(tab, local_api, number)
        assert "tindak_lanjut" in action_forms(tab)

    reactivate.append("petugas.dpupr")
    admin_api.ok("POST", "/api/admin/officers/petugas.dpupr/deactivate")

    # reloading the case
    page.reload()
    assert path_of(page) == SIGN_IN_PATH, f"a deactivated officer still reaches {page.url}"
    assert text not in body_text(page)

    # submitting a form from a page that was already open
    other.locator("#aksi-tindak_lanjut textarea[name=note]").fill("Sudah dibersihkan.")
    with other.expect_navigation():
        other.locator("#aksi-tindak_lanjut").get_by_role("button", name="Simpan tindak lanjut").click()
    assert path_of(other) == SIGN_IN_PATH, (
        f"a deactivated officer's form led to {other.url}:\n{body_text(other)[:800]}")
    assert text not in body_text(other)
    after = admin_api.case(number)
    assert (after["version"], after["status"]) == (case["version"], "TERVERIFIKASI"), after

    # nor can the officer sign in again; the OPD's supervisor is unaffected
    login = login_for(seeded.logins, "petugas.dpupr")
    fill_sign_in(page, local_api, login["username"], login["password"])
    assert path_of(page) == SIGN_IN_PATH, f"a deactivated officer signed in again: {page.url}"
    open_case(desk("kabid.dpupr").page, local_api, number)


# --------------------------------------------------------------------------------------------------
# 6. Two officers, one case: the second gets "sudah diubah orang lain"


def test_acting_on_a_stale_version_is_refused_with_a_reload_link(desk, local_api, admin_api) -> None:
    text = unique("Lampu penerangan di Jl. Diponegoro mati dan jalannya berlubang.")
    number = admin_api.phone_case(text, title="Jalan gelap dan berlubang")["case_id"]

    first = desk("admin.kominfo").page
    second = desk("admin.kominfo").page
    for page in (first, second):
        open_case(page, local_api, number)
        assert status_label(page) == BARU

    press(first, "tunda", "Tunda laporan", "Mohon kirim foto lokasi dan patokan terdekat.",
          fill=lambda form: form.locator("input[name=until]").fill(
              form.locator("input[name=until]").get_attribute("max")))
    assert_done(first, number, "tunda")
    assert status_label(first) == DITUNDA

    response = press(second, "verifikasi_disposisi", "Verifikasi dan teruskan", "Teruskan ke DPUPR.",
                     fill=lambda form: form.locator("select[name=lead_agency]").select_option("dpupr"))
    assert response is not None and response.status == 409, f"a stale version answered {response and response.status}"
    assert "sudah diubah orang lain" in body_text(second), body_text(second)[:1500]
    reload = second.get_by_role("link", name="Muat ulang kasus")
    assert reload.count() == 1
    with second.expect_navigation():
        reload.click()
    assert path_of(second) == case_path(number)
    assert status_label(second) == DITUNDA
    case = admin_api.case(number)
    assert case["status"] == "DITUNDA" and case["lead_agency"] is None, case


# --------------------------------------------------------------------------------------------------
# 7b. The dashboard and the recap (last, so that the dashboard counts the cases the tests above moved on)


def test_dashboard_and_recap_are_accessible_and_self_contained(desk, local_api, app_env) -> None:
    run_job(app_env, "sync_aggregates")  # what the dashboard's figures come from (every minute on AWS)
    admin = desk("admin.kominfo")
    page = admin.page
    for path, name in (("/petugas/dasbor", "dasbor"), ("/petugas/rekap", None)):
        response = page.goto(local_api + path)
        assert response is not None and response.status == 200, f"GET {path}: HTTP {response and response.status}"
        assert page.locator("h1").count() == 1
        assert_accessible(page)
        if name:
            save_screenshot(page, name)
    assert_clean(page, admin.log)
