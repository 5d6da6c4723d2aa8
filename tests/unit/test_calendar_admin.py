"""The admin koordinator manages the city's calendar; open cases follow at once (issue 11, item 2).

Dates are in 2027, far from the other tests' cases (their clock is November 2026), and every day off or
withdrawal a test adds is taken back at teardown: the tables are shared, and other tests count deadlines on
the real calendar. 2027 by hand (``holidays`` ID, public + government): Nyepi Mon 8 Mar, cuti bersama Idul Fitri
Tue 9, Fri 12, Mon 15 Mar, Idul Fitri Wed 10–Thu 11 Mar; nothing from Mon 19 Apr to Fri 30 Apr; Hari Buruh Sat 1 May.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.domain.calendar import WIB, WorkingCalendar
from chalicelib.domain.case import Action, Actor, Channel, Role
from chalicelib.domain.errors import NotFound, NotPermitted, ValidationFailed
from chalicelib.domain.escalation import EscalationPolicy
from chalicelib.domain.lifecycle import ActionRequest, apply_action, new_case
from chalicelib.domain.recalendar import recompute_deadlines
from chalicelib.domain.sla import Deadline, DeadlineKind, SlaPolicy
from chalicelib.services import calendar_admin, workflow

ADMIN = Actor("officer:admin.kominfo", Role.ADMIN, "diskominfo")
DPUPR = Actor("officer:petugas.dpupr", Role.OPD, "dpupr")


def wib(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=WIB)


def end_of(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, tzinfo=WIB).astimezone(UTC)


# ---------------------------------------------------------------- the domain: a withdrawn national day


def _source(year: int) -> dict[date, str]:
    return {date(year, 3, 9): "Cuti Bersama Hari Raya Idul Fitri", date(year, 3, 10): "Hari Raya Idul Fitri",
            date(year, 3, 14): "Hari Minggu suci"}


def test_given_a_withdrawn_cuti_bersama_then_it_is_a_working_day_but_still_listed_as_published():
    calendar = WorkingCalendar(_source, withdrawn_days={date(2027, 3, 9): "SKB 2027"})

    assert calendar.is_working_day(date(2027, 3, 9))
    assert not calendar.is_working_day(date(2027, 3, 10))
    assert calendar.national_days(2027)[date(2027, 3, 9)] == "Cuti Bersama Hari Raya Idul Fitri"
    assert calendar.withdrawn_days == {date(2027, 3, 9): "SKB 2027"}
    assert calendar.working_day_after(date(2027, 3, 8), 1) == date(2027, 3, 9)


def test_given_a_withdrawn_day_on_a_weekend_or_also_a_city_day_off_then_it_stays_off():
    calendar = WorkingCalendar(_source, extra_days={date(2027, 3, 9): "Hari Jadi Kota"},
                               withdrawn_days=[date(2027, 3, 9), date(2027, 3, 14)])

    assert calendar.non_working_reason(date(2027, 3, 9)) == "Hari Jadi Kota"
    assert calendar.non_working_reason(date(2027, 3, 14)) == "Minggu"


# ---------------------------------------------------------------- the domain: recounting one case

POLICY = SlaPolicy()
LADDER = EscalationPolicy()


def _forwarded(calendar: WorkingCalendar, at: datetime, *, supporting: tuple[str, ...] = ()):
    case = new_case(case_id="KDR-UJI-1", city_code="kediri", channel=Channel.WEB, description="Jalan rusak",
                    received_at=at, actor=ADMIN, calendar=calendar, policy=POLICY)
    return apply_action(case, ActionRequest(Action.FORWARD, lead_agency="dpupr", supporting_agencies=supporting),
                        ADMIN, at, calendar, POLICY)


def test_given_a_day_off_added_when_recounted_then_follow_up_support_and_alarm_move_one_day():
    before = WorkingCalendar()
    after = WorkingCalendar(extra_days={date(2027, 4, 21): "Hari Jadi Kota"})
    case = _forwarded(before, wib(2027, 4, 19, 10), supporting=("dlhkp",))
    assert case.deadline.due_at == end_of(2027, 4, 26)

    moved = recompute_deadlines(case, after, POLICY, LADDER)

    assert moved.deadline.due_at == end_of(2027, 4, 27)
    assert moved.support[0].due_at == end_of(2027, 4, 27)
    assert moved.alarm_at == end_of(2027, 4, 27) - LADDER.warn_before
    assert moved.version == case.version  # the caller writes it (and bumps the version)


def test_given_the_same_calendar_or_a_resumed_hold_then_nothing_is_recounted():
    calendar = WorkingCalendar()
    case = _forwarded(calendar, wib(2027, 4, 19, 10))
    assert recompute_deadlines(case, calendar, POLICY, LADDER) is case

    held = apply_action(case, ActionRequest(Action.HOLD, note="Menunggu foto", hold_until=date(2027, 4, 21)),
                        DPUPR, wib(2027, 4, 20, 9), calendar, POLICY)
    assert recompute_deadlines(held, WorkingCalendar(extra_days=[date(2027, 4, 22)]), POLICY, LADDER) is held
    resumed = apply_action(held, ActionRequest(Action.RESUME), DPUPR, wib(2027, 4, 21, 9), calendar, POLICY)
    changed = recompute_deadlines(resumed, WorkingCalendar(extra_days=[date(2027, 4, 22)]), POLICY, LADDER)
    assert changed.deadline == resumed.deadline  # days left at the pause are not guessed again


def test_given_a_follow_up_when_a_day_off_is_added_then_the_auto_close_moves():
    calendar = WorkingCalendar()
    case = _forwarded(calendar, wib(2027, 4, 16, 10))
    followed = apply_action(case, ActionRequest(Action.FOLLOW_UP, note="Sudah ditambal"), DPUPR,
                            wib(2027, 4, 19, 10), calendar, POLICY)
    assert followed.deadline == Deadline(DeadlineKind.TUTUP_OTOMATIS, end_of(2027, 5, 3))

    moved = recompute_deadlines(followed, WorkingCalendar(extra_days=[date(2027, 4, 21)]), POLICY, LADDER)

    assert moved.deadline.kind is DeadlineKind.TUTUP_OTOMATIS
    assert moved.deadline.due_at == end_of(2027, 5, 4)
    assert moved.alarm_at == end_of(2027, 5, 4)


# ---------------------------------------------------------------- the service, on the shared tables


@pytest.fixture
def city(ctx):
    """The admin's changes and the cases a test makes, all undone at teardown (through the service, so open
    cases are recounted back)."""
    made: dict[str, list] = {"days": [], "withdrawn": [], "cases": []}
    yield made
    for day in made["days"]:
        with contextlib.suppress(NotFound):
            calendar_admin.remove_day_off(ctx, ADMIN, day.isoformat())
    for day in made["withdrawn"]:
        with contextlib.suppress(NotFound):
            calendar_admin.restore_national_day(ctx, ADMIN, day.isoformat())
    from chalicelib.store.models import CaseRecord

    for case_id in made["cases"]:
        CaseRecord._get_connection().delete_item(case_id)
    ctx.forget_directory()


def _open_case(ctx, city, *, forward: bool) -> str:
    case = workflow.open_case(ctx, ADMIN, channel=Channel.PHONE, description="Lampu jalan mati di uji kalender",
                              source_key=f"uji-kalender-{uuid.uuid4().hex}")
    city["cases"].append(case.case_id)
    if forward:
        case = workflow.forward_case(ctx, ADMIN, case.case_id, case.version, lead_agency="dpupr", tier="normatif")
    return case.case_id


def test_given_open_cases_when_the_admin_adds_a_day_off_then_their_deadlines_and_alarms_move_a_day(ctx, clock, city):
    # Given a case forwarded and a new one, both on Monday 19 April 2027
    clock.set(wib(2027, 4, 19, 10).astimezone(UTC))
    forwarded = _open_case(ctx, city, forward=True)
    fresh = _open_case(ctx, city, forward=False)
    before = ctx.cases.get(forwarded)
    assert before.deadline.due_at == end_of(2027, 4, 26)
    assert ctx.cases.get(fresh).deadline.due_at == end_of(2027, 4, 22)

    # When the admin makes Wednesday 21 April a city day off
    city["days"].append(date(2027, 4, 21))
    result = calendar_admin.add_day_off(ctx, ADMIN, "2027-04-21", "Hari Jadi Kota (uji)")

    # Then the follow-up is due a working day later (and its warning with it), the verification too
    after = ctx.cases.get(forwarded)
    assert after.deadline.due_at == end_of(2027, 4, 27)
    assert after.alarm_at == before.alarm_at + timedelta(days=1)
    assert after.version == before.version + 1
    assert ctx.cases.get(fresh).deadline.due_at == end_of(2027, 4, 23)
    assert {forwarded, fresh} <= set(result["recount"]["case_ids"])
    assert result["recount"]["complete"] is True
    # and a new forwarding counts on the new calendar
    assert not ctx.calendar.is_working_day(date(2027, 4, 21))

    # And the admin's change is on the audit trail, before -> after
    entries = ctx.audit.list("admin", "2027-04")
    assert any(e.outcome == "kalender_libur_ditambah" and e.actor == "admin.kominfo"
               and "2027-04-21: hari kerja → libur daerah 'Hari Jadi Kota (uji)'" in (e.detail or "")
               for e in entries)

    # When it is removed again, the case is back on its first deadline
    calendar_admin.remove_day_off(ctx, ADMIN, "2027-04-21")
    city["days"].clear()
    assert ctx.cases.get(forwarded).deadline.due_at == end_of(2027, 4, 26)


def test_given_a_case_forwarded_after_the_changed_day_then_it_is_not_rewritten(ctx, clock, city):
    clock.set(wib(2027, 4, 26, 10).astimezone(UTC))
    later = _open_case(ctx, city, forward=True)
    before = ctx.cases.get(later)

    city["days"].append(date(2027, 4, 21))
    calendar_admin.add_day_off(ctx, ADMIN, "2027-04-21", "Hari Jadi Kota (uji)")

    after = ctx.cases.get(later)
    assert after.version == before.version
    assert after.deadline == before.deadline == Deadline(DeadlineKind.TINDAK_LANJUT, end_of(2027, 5, 3))


def test_given_a_withdrawn_cuti_bersama_then_it_is_a_working_day_and_pulls_the_deadline_earlier(ctx, clock, city):
    # Given a case forwarded on Friday 5 March 2027, before Nyepi and the Idul Fitri days
    clock.set(wib(2027, 3, 5, 10).astimezone(UTC))
    case_id = _open_case(ctx, city, forward=True)
    assert ctx.cases.get(case_id).deadline.due_at == end_of(2027, 3, 22)

    # When the admin records that the government withdrew the cuti bersama of Tuesday 9 March
    city["withdrawn"].append(date(2027, 3, 9))
    calendar_admin.withdraw_national_day(ctx, ADMIN, "2027-03-09", "SKB 3 Menteri (uji)")

    # Then 9 March is a working day and the follow-up is due on Friday 19 March
    assert ctx.calendar.is_working_day(date(2027, 3, 9))
    assert ctx.cases.get(case_id).deadline.due_at == end_of(2027, 3, 19)
    listing = calendar_admin.calendar_year(ctx, ADMIN, 2027)
    row = next(d for d in listing["days"] if d["date"] == "2027-03-09")
    assert row["kind"] == "cuti_bersama" and row["withdrawn"] and row["working_day"]
    assert any(e.outcome == "kalender_libur_nasional_dibatalkan" for e in ctx.audit.list("admin", "2027-03"))

    # And restoring it puts the deadline back
    calendar_admin.restore_national_day(ctx, ADMIN, "2027-03-09")
    city["withdrawn"].clear()
    assert ctx.cases.get(case_id).deadline.due_at == end_of(2027, 3, 22)


def test_given_invalid_changes_then_the_admin_gets_a_clear_refusal(ctx, clock, city):
    clock.set(wib(2027, 4, 19, 10).astimezone(UTC))
    with pytest.raises(ValidationFailed, match="Sabtu"):
        calendar_admin.add_day_off(ctx, ADMIN, "2027-04-24", "Kerja bakti")
    with pytest.raises(ValidationFailed, match="sudah hari libur"):
        calendar_admin.add_day_off(ctx, ADMIN, "2027-05-06", "Kenaikan")
    with pytest.raises(ValidationFailed, match="bukan hari libur nasional"):
        calendar_admin.withdraw_national_day(ctx, ADMIN, "2027-04-22", "SKB uji coba")
    with pytest.raises(ValidationFailed, match="TTTT-BB-HH"):
        calendar_admin.add_day_off(ctx, ADMIN, "21/04/2027", "Hari Jadi")
    with pytest.raises(NotFound):
        calendar_admin.remove_day_off(ctx, ADMIN, "2027-04-22")
    with pytest.raises(NotPermitted):
        calendar_admin.add_day_off(ctx, DPUPR, "2027-04-21", "Hari Jadi")


# ---------------------------------------------------------------- API and page


def test_given_the_api_then_the_admin_manages_days_and_other_roles_get_403(ctx, clock, city, api, login):
    clock.set(wib(2027, 4, 19, 10).astimezone(UTC))
    admin, officer = login("admin.kominfo"), login("petugas.dpupr")

    listing = api.http.get("/api/admin/calendar?year=2027", headers=admin)
    assert listing.status_code == 200
    assert any(d["date"] == "2027-03-09" and d["kind"] == "cuti_bersama" for d in listing.json_body["days"])

    city["days"].append(date(2027, 4, 21))
    added = api.http.post("/api/admin/calendar/days", headers=admin,
                          body=json.dumps({"date": "2027-04-21", "label": "Hari Jadi Kota (uji)"}))
    assert added.status_code == 200, added.body
    assert added.json_body["outcome"] == "kalender_libur_ditambah"
    again = api.http.post("/api/admin/calendar/days", headers=admin,
                          body=json.dumps({"date": "2027-04-21", "label": "Hari Jadi Kota (uji)"}))
    assert again.status_code == 400

    for method, path, body in (
        ("GET", "/api/admin/calendar?year=2027", None),
        ("POST", "/api/admin/calendar/days", {"date": "2027-04-22", "label": "Libur"}),
        ("POST", "/api/admin/calendar/days/2027-04-21/delete", None),
        ("POST", "/api/admin/calendar/withdrawn", {"date": "2027-03-09", "reason": "SKB uji"}),
        ("POST", "/api/admin/calendar/withdrawn/2027-03-09/restore", None),
        ("POST", "/api/admin/calendar/recompute", {"since": "2027-04-21"}),
    ):
        answer = getattr(api.http, method.lower())(path, headers=officer,
                                                   **({"body": json.dumps(body)} if body else {}))
        assert answer.status_code == 403, (path, answer.body)

    removed = api.http.post("/api/admin/calendar/days/2027-04-21/delete", headers=admin)
    assert removed.status_code == 200
    city["days"].clear()
    assert api.http.post("/api/admin/calendar/days/2027-04-21/delete", headers=admin).status_code == 404


def test_given_the_page_then_the_admin_adds_a_day_and_an_officer_is_refused(ctx, clock, city, web_as):
    clock.set(wib(2027, 4, 19, 10).astimezone(UTC))
    browser = web_as("admin.kominfo")
    page = browser.get("/petugas/admin/kalender", tahun="2027")
    assert page.status_code == 200
    assert "Kalender kerja 2027" in page.body.decode()
    assert "Cuti Bersama Hari Raya Idul Fitri" in page.body.decode()

    city["days"].append(date(2027, 4, 21))
    answer = browser.post("/petugas/admin/kalender", {"aksi": "tambah", "date": "2027-04-21",
                                                      "label": "Hari Jadi Kota (uji)"})
    assert answer.status_code == 200
    text = answer.body.decode()
    assert "Tersimpan." in text and "Hari Jadi Kota (uji)" in text

    refused = browser.post("/petugas/admin/kalender", {"aksi": "tambah", "date": "2027-04-24", "label": "Libur"})
    assert refused.status_code == 400 and "Sabtu" in refused.body.decode()

    officer = web_as("petugas.dpupr")
    assert officer.get("/petugas/admin/kalender").status_code == 403
