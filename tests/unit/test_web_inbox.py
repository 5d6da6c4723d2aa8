"""The officer inbox (`GET /petugas/`) as a signed-in browser sees it: who sees which queue, the filters,
find-by-number, paging, escaping, bad input, and the SLA in words.

Tables live for the whole test session, so each test works on its own days of 2037 (no other test uses
that year) and narrows the list to them with the receipt-date filter.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.domain.calendar import WorkingCalendar, end_of_day_wib
from chalicelib.domain.case import Reporter, Status
from chalicelib.domain.tracking import new_tracking_number
from chalicelib.services import workflow
from chalicelib.services.inbox import InboxQuery, list_inbox, sla_badge
from chalicelib.services.sync import sync_case, sync_pending_cases

_WEEKS = itertools.count()
ROW = re.compile(r'<th scope="row" data-label="Nomor"><a href="/petugas/kasus/([A-Z0-9-]+)">')
NEXT = re.compile(r'<a href="([^"]+)" rel="next">Halaman berikutnya</a>')


@pytest.fixture
def day(ctx, clock) -> date:
    """A Monday of 2037, 09:00 WIB, that no other test uses; the clock is set to it."""
    start = date(2037, 1, 5) + timedelta(weeks=next(_WEEKS))
    clock.set(datetime(start.year, start.month, start.day, 2, 0, tzinfo=UTC))
    return start


def enter(ctx, admin, text="Jalan berlubang di Jl. Dhoho depan toko", channel="telepon", **fields):
    """An officer-entered case; the clock then moves on a minute, so "newest first" has one answer."""
    case = workflow.create_case_from_entry(ctx, admin, channel=channel, description=text,
                                           idempotency_key=str(uuid.uuid4()), reporter=Reporter(name="Siti"),
                                           **fields)
    ctx.clock.advance(minutes=1)
    return case


def rows(body: str) -> list[str]:
    return ROW.findall(body)


def on(day_: date, until: date | None = None) -> dict[str, str]:
    return {"dari": day_.isoformat(), "sampai": (until or day_).isoformat()}


# ---------------------------------------------------------------- who sees what


def test_admin_sees_the_new_cases_of_the_city(ctx, day, admin, web_as):
    # Given two new cases and one already forwarded
    a, b = enter(ctx, admin), enter(ctx, admin, channel="tatap_muka")
    c = enter(ctx, admin)
    workflow.forward_case(ctx, admin, c.case_id, 1, lead_agency="dpupr")
    # When the admin koordinator opens the inbox (default: BARU)
    page = web_as("admin.kominfo").get("/petugas/", **on(day))
    # Then both new cases are listed, newest first, and the forwarded one is not
    assert page.status_code == 200
    assert rows(page.body.decode()) == [b.case_id, a.case_id]
    body = page.body.decode()
    assert "Belum terverifikasi" in body and "Seluruh kota" in body
    assert 'href="/petugas/kasus/' + a.case_id + '"' in body


def test_leadership_reads_the_same_queue(ctx, day, admin, web_as):
    a = enter(ctx, admin)
    page = web_as("sekda").get("/petugas/", **on(day))
    assert page.status_code == 200
    assert rows(page.body.decode()) == [a.case_id]


def test_opd_sees_its_lead_cases_and_after_the_sync_its_supporting_cases(ctx, day, admin, web_as):
    # Given a case DPUPR leads with DLHKP supporting, and a case DLHKP leads alone
    shared = enter(ctx, admin)
    workflow.forward_case(ctx, admin, shared.case_id, 1, lead_agency="dpupr", supporting_agencies=("dlhkp",))
    own = enter(ctx, admin, "Sampah menumpuk di TPS Jl. Semeru")
    workflow.forward_case(ctx, admin, own.case_id, 1, lead_agency="dlhkp")
    dpupr, dlhkp = web_as("petugas.dpupr"), web_as("petugas.dlhkp")
    status = {"status": "TERVERIFIKASI", **on(day)}
    # When each OPD opens its inbox as lead OPD (the default role)
    assert rows(dpupr.get("/petugas/", **status).body.decode()) == [shared.case_id]
    lead_page = dlhkp.get("/petugas/", **status).body.decode()
    assert rows(lead_page) == [own.case_id]
    assert "Sebagai OPD utama" in lead_page and "peran=pendukung" in lead_page
    # Then, once the sync job ran, DLHKP finds the shared case under "pendukung"
    assert rows(dlhkp.get("/petugas/", peran="pendukung", **status).body.decode()) == []
    sync_pending_cases(ctx, limit=10_000)
    support_page = dlhkp.get("/petugas/", peran="pendukung", **status).body.decode()
    assert rows(support_page) == [shared.case_id]
    assert "DLHKP sebagai OPD pendukung" in support_page
    assert rows(dpupr.get("/petugas/", peran="pendukung", **status).body.decode()) == []


def test_a_re_forward_without_the_supporting_opd_removes_its_row(ctx, day, admin, dpupr_officer, dlhkp_officer):
    # Given a case DLHKP supported, synced
    case = enter(ctx, admin)
    supported = workflow.forward_case(ctx, admin, case.case_id, 1, lead_agency="dpupr",
                                      supporting_agencies=("dlhkp",))
    sync_pending_cases(ctx, limit=10_000)
    repo = ctx.agency_cases
    assert repo.get("dlhkp", case.case_id).agency_status == "dlhkp#TERVERIFIKASI"
    # When DPUPR returns it and the admin forwards it to DLHKP as lead, supported by Satpol PP
    case = workflow.return_case(ctx, dpupr_officer, case.case_id, supported.version, note="Bukan jalan kota.")
    case = workflow.forward_case(ctx, admin, case.case_id, case.version, lead_agency="dlhkp",
                                 supporting_agencies=("satpolpp",))
    sync_pending_cases(ctx, limit=10_000)
    # Then DLHKP no longer has a supporting row (it leads now) and Satpol PP has one
    assert repo.get("dlhkp", case.case_id) is None
    assert repo.get("satpolpp", case.case_id).version == case.version
    query = InboxQuery(status=Status.TERVERIFIKASI, agency="dlhkp", role="utama", since=day, until=day)
    assert [i.case_id for i in list_inbox(ctx, dlhkp_officer, query).items] == [case.case_id]
    assert list_inbox(ctx, dlhkp_officer, dataclasses.replace(query, role="pendukung")).items == []
    # And a repeated sync changes nothing
    sync_case(ctx, case)
    assert repo.get("satpolpp", case.case_id).version == case.version
    assert repo.get("dlhkp", case.case_id) is None


def test_a_late_sync_of_an_older_version_never_wins(ctx, day, admin, dpupr_officer):
    case = enter(ctx, admin)
    old = workflow.forward_case(ctx, admin, case.case_id, 1, lead_agency="dpupr", supporting_agencies=("dlhkp",))
    case = workflow.return_case(ctx, dpupr_officer, case.case_id, old.version, note="Bukan jalan kota.")
    case = workflow.forward_case(ctx, admin, case.case_id, case.version, lead_agency="dpupr",
                                 supporting_agencies=("satpolpp",))
    sync_pending_cases(ctx, limit=10_000)
    repo = ctx.agency_cases
    # Given the rows of the newest version, an older version can neither overwrite nor delete them
    older = dataclasses.replace(case, version=case.version - 1)
    assert repo.put("satpolpp", older) is False
    assert repo.remove("satpolpp", case.case_id, older.version) is False
    assert repo.get("satpolpp", case.case_id).version == case.version
    # When the sync of the old version (DLHKP supporting) lands only now, after the newest one
    assert sync_case(ctx, old) is False  # the case moved on: its flag is not cleared by the old version
    # Then the old DLHKP row it wrote is gone again: the rows follow the newest version
    assert repo.get("dlhkp", case.case_id) is None
    assert repo.get("satpolpp", case.case_id).version == case.version


def test_an_opd_can_never_list_another_opds_cases(ctx, day, web_as):
    dpupr = web_as("petugas.dpupr")
    for params in ({"opd": "dlhkp"}, {"opd": "dlhkp", "peran": "pendukung"}, {"opd": "dlhkp", "status": "BARU"}):
        page = dpupr.get("/petugas/", **params)
        assert page.status_code == 403, params
        assert "hanya dapat melihat laporan OPD Anda sendiri" in page.body.decode()
    assert dpupr.get("/petugas/", opd="dpupr").status_code == 200


# ---------------------------------------------------------------- find by number


def test_find_by_number_opens_a_visible_case_and_hides_another_opds(ctx, day, admin, web_as):
    mine, theirs = enter(ctx, admin), enter(ctx, admin)
    workflow.forward_case(ctx, admin, mine.case_id, 1, lead_agency="dpupr")
    workflow.forward_case(ctx, admin, theirs.case_id, 1, lead_agency="dlhkp")
    dpupr = web_as("petugas.dpupr")
    # typed the way a citizen reads it out: lower case, spaces instead of dashes
    typed = mine.case_id.lower().replace("-", " ")
    found = dpupr.get("/petugas/", nomor=typed)
    assert found.status_code == 303
    assert found.headers["Location"] == f"/petugas/kasus/{mine.case_id}"
    hidden = dpupr.get("/petugas/", nomor=theirs.case_id)
    missing_number = new_tracking_number("KDR", datetime(2037, 1, 5, tzinfo=UTC), b"never-used-seed")
    missing = dpupr.get("/petugas/", nomor=missing_number)
    assert hidden.status_code == missing.status_code == 404
    hidden_body, missing_body = hidden.body.decode(), missing.body.decode()
    assert "tidak ditemukan" in hidden_body
    assert hidden_body.replace(theirs.case_id, "X") == missing_body.replace(missing_number, "X")
    assert f"/petugas/kasus/{theirs.case_id}" not in hidden_body
    # the admin sees every case
    assert web_as("admin.kominfo").get("/petugas/", nomor=theirs.case_id).status_code == 303


# ---------------------------------------------------------------- filters


def test_category_channel_and_date_filters_narrow_the_list(ctx, day, clock, admin, web_as):
    road = enter(ctx, admin, category_id="jalan-jembatan")
    walk_in = enter(ctx, admin, "Sampah menumpuk", channel="tatap_muka", category_id="kebersihan")
    clock.advance(days=1)
    later = enter(ctx, admin, "Lampu jalan mati")
    tuesday = day + timedelta(days=1)
    web = web_as("admin.kominfo")
    assert rows(web.get("/petugas/", **on(day, tuesday)).body.decode()) == [later.case_id, walk_in.case_id,
                                                                             road.case_id]
    assert rows(web.get("/petugas/", kategori="jalan-jembatan", **on(day, tuesday)).body.decode()) == [road.case_id]
    assert rows(web.get("/petugas/", kanal="tatap_muka", **on(day, tuesday)).body.decode()) == [walk_in.case_id]
    assert rows(web.get("/petugas/", **on(tuesday)).body.decode()) == [later.case_id]
    assert rows(web.get("/petugas/", sampai=day.isoformat(), dari=day.isoformat()).body.decode()) == [
        walk_in.case_id, road.case_id]
    page = web.get("/petugas/", kategori="jalan-jembatan", kanal="tatap_muka", **on(day, tuesday)).body.decode()
    assert rows(page) == [] and "Tidak ada laporan yang cocok" in page


def test_the_received_date_range_is_read_in_wib(ctx, day, clock, admin, web_as):
    # 23:30 WIB on Monday is 16:30 UTC: still Monday for the officer
    clock.set(datetime(day.year, day.month, day.day, 16, 30, tzinfo=UTC))
    late = enter(ctx, admin)
    clock.advance(hours=1)  # 00:30 WIB Tuesday
    tuesday = enter(ctx, admin)
    web = web_as("admin.kominfo")
    assert rows(web.get("/petugas/", **on(day)).body.decode()) == [late.case_id]
    assert rows(web.get("/petugas/", **on(day + timedelta(days=1))).body.decode()) == [tuesday.case_id]


def test_overdue_and_due_soon_filters_with_the_sla_in_words(ctx, day, clock, admin, web_as):
    # Given a case from Monday (verification due Thursday) and one from Wednesday (due next Monday)
    monday = enter(ctx, admin)
    clock.advance(days=2)
    wednesday = enter(ctx, admin)
    web = web_as("admin.kominfo")
    span = on(day, day + timedelta(days=10))
    # When it is Wednesday: the Monday case is due soon (1 working day left), the other is not
    page = web.get("/petugas/", tenggat="segera", **span).body.decode()
    assert rows(page) == [monday.case_id]
    assert '<span class="sla sla-segera" title="Verifikasi dan penerusan">1 hari kerja lagi</span>' in page
    everything = web.get("/petugas/", **span).body.decode()
    assert rows(everything) == [wednesday.case_id, monday.case_id]
    assert '<span class="sla sla-aman" title="Verifikasi dan penerusan">3 hari kerja lagi</span>' in everything
    assert rows(web.get("/petugas/", tenggat="lewat", **span).body.decode()) == []
    # When it is the next Monday: the Monday case is 2 working days late, the Wednesday one due today
    clock.advance(days=5)
    web = web_as("admin.kominfo")
    overdue = web.get("/petugas/", tenggat="lewat", **span).body.decode()
    assert rows(overdue) == [monday.case_id]
    assert '<span class="sla sla-lewat" title="Verifikasi dan penerusan">lewat 2 hari kerja</span>' in overdue
    soon = web.get("/petugas/", tenggat="segera", **span).body.decode()
    assert rows(soon) == [wednesday.case_id]
    assert "hari ini batas terakhir" in soon


def test_a_case_on_hold_shows_its_clock_paused(ctx, day, admin, web_as):
    case = enter(ctx, admin)
    until = ctx.calendar.working_day_after(ctx.calendar.local_date(ctx.now()), 3).isoformat()
    workflow.hold_case(ctx, admin, case.case_id, 1, note="Mohon kirim foto lokasi.", until=until)
    page = web_as("admin.kominfo").get("/petugas/", status="DITUNDA", **on(day)).body.decode()
    assert rows(page) == [case.case_id]
    assert '<span class="sla sla-jeda">dijeda</span>' in page


# ---------------------------------------------------------------- paging


def test_paging_returns_the_next_25_without_duplicates(ctx, day, clock, admin, web_as):
    created = []
    for _ in range(30):
        created.append(enter(ctx, admin).case_id)
    web = web_as("admin.kominfo")
    first = web.get("/petugas/", **on(day))
    first_rows = rows(first.body.decode())
    assert len(first_rows) == 25
    link = NEXT.search(first.body.decode())
    assert link, "no next-page link"
    second = web.follow(link.group(1))
    assert second.status_code == 200
    second_rows = rows(second.body.decode())
    assert len(second_rows) == 5
    assert not set(first_rows) & set(second_rows)
    assert first_rows + second_rows == list(reversed(created))  # newest first, nothing skipped
    assert not NEXT.search(second.body.decode())
    assert "Halaman pertama" in second.body.decode()


def test_paging_with_a_filter_keeps_reading_until_the_page_is_full_or_the_cap(ctx, day, clock, admin):
    phone = []
    for n in range(30):
        case = enter(ctx, admin, channel="telepon" if n % 2 else "tatap_muka")
        if n % 2:
            phone.append(case.case_id)
    query = InboxQuery(status=Status.BARU, agency=None, role="utama", channel="telepon", since=day, until=day)
    # a full page from reading ahead past the cases the filter drops
    page = list_inbox(ctx, admin, query, page_size=5)
    assert [i.case_id for i in page.items] == list(reversed(phone))[:5] and page.cursor
    # a small read cap stops early but still says where to go on; following the pages finds every case once
    seen, key, capped = [], None, 0
    for _ in range(20):
        page = list_inbox(ctx, admin, query, key, page_size=5, read_cap=4)
        assert page.evaluated <= 4
        capped += page.capped
        seen += [i.case_id for i in page.items]
        key = page.cursor
        if not key:
            break
    assert seen == list(reversed(phone)) and capped


def test_a_tampered_or_foreign_cursor_is_a_400_page(ctx, day, clock, admin, web_as):
    for _ in range(26):
        enter(ctx, admin)
    web = web_as("admin.kominfo")
    link = NEXT.search(web.get("/petugas/", **on(day)).body.decode()).group(1)
    cursor = re.search(r"kursor=([^&\"]+)", link).group(1)
    tampered = web.get(f"/petugas/?dari={day}&sampai={day}&kursor=" + cursor[:-2] + "00")
    assert tampered.status_code == 400 and "Penanda halaman" in tampered.body.decode()
    other_query = web.get(f"/petugas/?status=TERVERIFIKASI&dari={day}&sampai={day}&kursor={cursor}")
    assert other_query.status_code == 400 and "tidak cocok" in other_query.body.decode()
    assert web.get("/petugas/?kursor=abc.def").status_code == 400


# ---------------------------------------------------------------- safety and bad input


def test_hostile_summary_text_is_escaped(ctx, day, admin, web_as):
    enter(ctx, admin, "<script>alert(1)</script> jalan rusak parah")
    body = web_as("admin.kominfo").get("/petugas/", **on(day)).body.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; jalan rusak parah" in body
    assert "<script>alert(1)" not in body


def test_bad_input_is_a_400_page_in_indonesian(ctx, day, web_as):
    web = web_as("admin.kominfo")
    for params, words in (
        ({"dari": "2026-13-45"}, "Tanggal awal tidak valid"),
        ({"sampai": "kemarin"}, "Tanggal akhir tidak valid"),
        ({"dari": "2026-12-02", "sampai": "2026-12-01"}, "tidak boleh sesudah"),
        ({"status": "ENTAH"}, "Status tidak dikenal"),
        ({"kategori": "tidak-ada"}, "Kategori tidak dikenal"),
        ({"kanal": "merpati"}, "Kanal tidak dikenal"),
        ({"tenggat": "kemarin"}, "batas waktu tidak dikenal"),
        ({"opd": "tidak-ada"}, "OPD tidak dikenal"),
        ({"peran": "siapa"}, "peran OPD tidak dikenal"),
    ):
        page = web.get("/petugas/", **params)
        assert page.status_code == 400, params
        body = page.body.decode()
        assert words in body, params
        assert 'name="dari"' in body  # the form is there to correct it
    # "pendukung" without an OPD is simply the city queue (the role means something only for one OPD)
    assert web.get("/petugas/", peran="pendukung").status_code == 200


def test_the_page_is_small_and_loads_nothing_from_elsewhere(ctx, day, clock, admin, web_as):
    for n in range(26):
        enter(ctx, admin, "Keluhan panjang " * 12 + str(n), anonymous=bool(n % 3 == 0), confidential=bool(n % 5 == 0))
    page = web_as("admin.kominfo").get("/petugas/", **on(day))
    body = page.body.decode()
    assert len(rows(body)) == 25
    assert len(page.body) < 60_000
    assert "<script" not in body and "<img" not in body
    assert 'class="lencana">anonim</span>' in body and "rahasia</span>" in body
    assert all(href.startswith("/") for href in re.findall(r'<link[^>]+href="([^"]+)"', body))


def test_signed_out_visitors_are_sent_to_sign_in(api):
    response = api.http.get("/petugas/")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/petugas/masuk")


# ---------------------------------------------------------------- SLA in words (pure)


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar.for_indonesia()


def wib(y, m, d, hour=10) -> datetime:
    return datetime(y, m, d, hour - 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "due_day", "css", "words"),
    [
        # Wed 23 Dec 2026: 24 Dec is cuti bersama, 25 Dec Christmas, then the weekend
        (wib(2026, 12, 23), date(2026, 12, 28), "sla-segera", "1 hari kerja lagi"),
        (wib(2026, 12, 23), date(2026, 12, 29), "sla-aman", "2 hari kerja lagi"),
        (wib(2026, 12, 21), date(2026, 12, 30), "sla-aman", "5 hari kerja lagi"),
        (wib(2026, 12, 23), date(2026, 12, 23), "sla-segera", "hari ini batas terakhir"),
        (wib(2026, 12, 23, 23), date(2026, 12, 23), "sla-segera", "hari ini batas terakhir"),
        # Mon 28 Dec: a deadline of Tue 22 Dec missed 23 Dec and 28 Dec (24-27 are not working days)
        (wib(2026, 12, 28), date(2026, 12, 22), "sla-lewat", "lewat 2 hari kerja"),
        # Fri 25 Dec (Christmas): a deadline of Wed 23 Dec has cost no working day yet
        (wib(2026, 12, 25), date(2026, 12, 23), "sla-lewat", "lewat batas waktu"),
        (wib(2027, 1, 4), date(2026, 12, 31), "sla-lewat", "lewat 1 hari kerja"),
    ],
)
def test_sla_words_on_known_dates(calendar, now, due_day, css, words):
    badge = sla_badge(calendar, now, end_of_day_wib(due_day), Status.TERVERIFIKASI)
    assert (badge.css, badge.words) == (css, words)


def test_sla_words_for_a_paused_or_closed_case(calendar):
    assert sla_badge(calendar, wib(2026, 12, 23), None, Status.DITUNDA).words == "dijeda"
    assert sla_badge(calendar, wib(2026, 12, 23), None, Status.SELESAI) is None
