"""The city's working calendar, managed by the admin koordinator (issue 11, item 2).

The admin adds a city day off (regional holiday, late-announced leave), removes one, withdraws a national
day the government cancelled (a holiday or *cuti bersama* becomes a working day again, as some cuti bersama
did in 2020–2021) and restores it. Each change is on the audit trail (before → after) and takes effect at once:
new deadlines use the new calendar, and the open cases whose deadlines could be affected are counted again
(`recompute_open_cases`), their alarms moved.

Bound: one change recounts at most ``MAX_CASES_PER_RUN`` open cases inside the request (read per status from
the status index, 100 per page with one BatchGet, never a Scan). A city has a few hundred open cases at
most, so this finishes in one go; if not, the answer says ``complete: false`` and the admin runs
``POST /api/admin/calendar/recompute`` again from the same day (a recount is idempotent: a case already on
the new calendar is not written again). Other Lambda containers pick the new calendar up within the
directory cache's five minutes.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import TYPE_CHECKING

from chalicelib.domain.calendar import WEEKEND_NAMES, WIB, format_date_id, is_cuti_bersama, to_wib_date
from chalicelib.domain.case import Actor, Case, Role, Status
from chalicelib.domain.errors import NotFound, NotPermitted, ValidationFailed, VersionConflict
from chalicelib.domain.recalendar import recompute_deadlines
from chalicelib.observability import logger

if TYPE_CHECKING:
    from chalicelib.services.context import Context

AUDIT_KIND = "admin"
MAX_CASES_PER_RUN = 2000
PAGE_SIZE = 100
MAX_LABEL = 100
MIN_REASON = 5
MAX_REASON = 300
WEEKDAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
# statuses whose deadlines run on the working calendar (a held case keeps the days counted at its pause)
RECOUNTED = (Status.BARU, Status.TERVERIFIKASI, Status.DITINDAKLANJUTI)


def require_admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise NotPermitted("Kalender kota hanya dapat dikelola oleh admin koordinator.")


def parse_day(value: object, field: str = "date") -> date:
    """A YYYY-MM-DD date (the changes also check it is near today: a typo such as 2207 is refused)."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed("Tanggal wajib diisi (format TTTT-BB-HH).", field=field)
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed("Tanggal harus berformat TTTT-BB-HH, mis. 2027-03-09.", field=field) from None
    return day


def parse_year(value: str | None, today: date) -> int:
    if not value:
        return today.year
    if not (value.isascii() and value.isdigit() and len(value) == 4):
        raise ValidationFailed("Tahun harus empat angka, mis. 2027.", field="year")
    year = int(value)
    if not today.year - 5 <= year <= today.year + 5:
        raise ValidationFailed(f"Tahun harus antara {today.year - 5} dan {today.year + 5}.", field="year")
    return year


def _check_window(ctx: Context, day: date) -> None:
    today = to_wib_date(ctx.now())
    if not today.year - 1 <= day.year <= today.year + 2:
        raise ValidationFailed(f"Tanggal harus antara tahun {today.year - 1} dan {today.year + 2}.", field="date")


def _text(value: object, field: str, minimum: int, maximum: int, what: str) -> str:
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if len(text) < minimum:
        raise ValidationFailed(f"{what} wajib diisi (paling sedikit {minimum} karakter).", field=field)
    if len(text) > maximum:
        raise ValidationFailed(f"{what} paling panjang {maximum} karakter.", field=field)
    return text


def _username(actor: Actor) -> str:
    return actor.actor_id.removeprefix("officer:")


# ---------------------------------------------------------------- reading


def calendar_year(ctx: Context, actor: Actor, year: int) -> dict:
    """The year as the admin sees it: national holidays and cuti bersama (withdrawn ones marked), the city's
    own days off (those set in the stage settings cannot be removed here), newest last."""
    require_admin(actor)
    ctx.forget_directory()  # the admin sees what is stored now, not a container's five-minute-old copy
    calendar = ctx.calendar
    own = {d: label for d, label in ctx.directory.extra_days().items() if d.year == year}
    withdrawn = {d: why for d, why in ctx.directory.withdrawn_days().items() if d.year == year}
    days: list[dict] = []
    for day, name in calendar.national_days(year).items():
        days.append({
            "date": day.isoformat(), "label": name,
            "kind": "cuti_bersama" if is_cuti_bersama(name) else "nasional",
            "withdrawn": day in withdrawn, "reason": withdrawn.get(day),
            "working_day": calendar.is_working_day(day),
        })
    for day, label in calendar.extra_days.items():
        if day.year == year:
            days.append({"date": day.isoformat(), "label": label, "kind": "daerah", "withdrawn": False,
                         "reason": None, "working_day": False, "removable": day in own})
    for day in days:
        parsed = date.fromisoformat(day["date"])
        day["weekday"] = WEEKDAYS[parsed.weekday()]
        day["date_label"] = format_date_id(parsed)
        day.setdefault("removable", False)
    days.sort(key=lambda d: (d["date"], d["kind"]))
    return {"year": year, "days": days}


# ---------------------------------------------------------------- changes


def add_day_off(ctx: Context, actor: Actor, raw_day: object, raw_label: object) -> dict:
    """A city day off: not a weekend, not already off. Open cases follow at once."""
    require_admin(actor)
    day = parse_day(raw_day)
    _check_window(ctx, day)
    label = _text(raw_label, "label", 3, MAX_LABEL, "Keterangan hari libur")
    if day.weekday() in WEEKEND_NAMES:
        raise ValidationFailed(f"{format_date_id(day)} jatuh pada hari {WEEKEND_NAMES[day.weekday()]}: "
                               "sudah hari libur.", field="date")
    ctx.forget_directory()
    reason = ctx.calendar.non_working_reason(day)
    if reason is not None:
        raise ValidationFailed(f"{format_date_id(day)} sudah hari libur ({reason}).", field="date")
    ctx.directory.put_extra_day(day, label)
    return _changed(ctx, actor, day, "kalender_libur_ditambah", f"{day}: hari kerja → libur daerah '{label}'")


def remove_day_off(ctx: Context, actor: Actor, raw_day: object) -> dict:
    """Remove a day off the admin added (those from the stage settings stay)."""
    require_admin(actor)
    day = parse_day(raw_day)
    own = ctx.directory.extra_days()
    if day not in own:
        raise NotFound(f"{format_date_id(day)} bukan hari libur daerah yang ditambahkan admin.", field="date")
    ctx.directory.delete_extra_day(day)
    return _changed(ctx, actor, day, "kalender_libur_dihapus", f"{day}: libur daerah '{own[day]}' → hari kerja")


def withdraw_national_day(ctx: Context, actor: Actor, raw_day: object, raw_reason: object) -> dict:
    """A national holiday or cuti bersama the government cancelled becomes a working day again."""
    require_admin(actor)
    day = parse_day(raw_day)
    _check_window(ctx, day)
    reason = _text(raw_reason, "reason", MIN_REASON, MAX_REASON, "Dasar pembatalan (mis. nomor SKB)")
    ctx.forget_directory()
    calendar = ctx.calendar
    name = calendar.national_days(day.year).get(day)
    if name is None:
        raise ValidationFailed(f"{format_date_id(day)} bukan hari libur nasional atau cuti bersama.", field="date")
    if day in ctx.directory.withdrawn_days():
        raise ValidationFailed(f"{name} ({format_date_id(day)}) sudah dibatalkan.", field="date")
    if day.weekday() in WEEKEND_NAMES:
        raise ValidationFailed(f"{name} jatuh pada hari {WEEKEND_NAMES[day.weekday()]}: membatalkannya tidak "
                               "menambah hari kerja.", field="date")
    ctx.directory.put_withdrawn_day(day, reason)
    return _changed(ctx, actor, day, "kalender_libur_nasional_dibatalkan",
                    f"{day}: libur '{name}' → hari kerja ({reason})")


def restore_national_day(ctx: Context, actor: Actor, raw_day: object) -> dict:
    """Undo a withdrawal: the national day is a day off again."""
    require_admin(actor)
    day = parse_day(raw_day)
    withdrawn = ctx.directory.withdrawn_days()
    if day not in withdrawn:
        raise NotFound(f"{format_date_id(day)} bukan hari libur nasional yang dibatalkan.", field="date")
    ctx.directory.delete_withdrawn_day(day)
    name = ctx.calendar.national_days(day.year).get(day, "libur nasional")
    return _changed(ctx, actor, day, "kalender_libur_nasional_dipulihkan",
                    f"{day}: hari kerja (dibatalkan: {withdrawn[day]}) → libur '{name}'")


def _changed(ctx: Context, actor: Actor, day: date, outcome: str, detail: str) -> dict:
    """After a stored change: audit it, reload the calendar, recount the open cases it can move."""
    ctx.audit.record(AUDIT_KIND, _username(actor), ctx.now(), outcome=outcome, detail=detail)
    ctx.forget_directory()
    report = recompute_open_cases(ctx, actor, day)
    return {"date": day.isoformat(), "outcome": outcome, "detail": detail, "recount": report}


# ---------------------------------------------------------------- open cases follow


def recompute_open_cases(ctx: Context, actor: Actor, since: date, limit: int = MAX_CASES_PER_RUN) -> dict:
    """Count again, on the current calendar, the deadlines and alarms of every open case with a deadline or
    alarm on or after ``since`` (WIB). Each case is one version-conditioned write; an officer's write in
    between wins, the case is read again and recounted once, else it is reported as skipped."""
    require_admin(actor)
    read = changed = 0
    skipped: list[str] = []
    moved: list[str] = []
    for status in RECOUNTED:
        cursor = None
        while True:
            if read >= limit:
                return _report(read, changed, moved, skipped, complete=False)
            page = ctx.cases.list_by_status(status, limit=min(PAGE_SIZE, limit - read), cursor=cursor)
            ids = [s.case_id for s in page.items]
            read += len(ids)
            for case in ctx.cases.get_many(ids).values():
                if not _touches(case, since):
                    continue
                outcome = _recount_one(ctx, case)
                if outcome == "moved":
                    changed += 1
                    moved.append(case.case_id)
                elif outcome == "skipped":
                    skipped.append(case.case_id)
            cursor = page.cursor
            if not cursor:
                break
    return _report(read, changed, moved, skipped, complete=True)


def _report(read: int, changed: int, moved: list[str], skipped: list[str], *, complete: bool) -> dict:
    logger.info("calendar recount", extra={"read": read, "changed": changed, "skipped": len(skipped),
                                           "complete": complete})
    return {"read": read, "changed": changed, "case_ids": moved[:200], "skipped": skipped, "complete": complete}


def _touches(case: Case, since: date) -> bool:
    moments = [case.deadline.due_at if case.deadline else None, case.alarm_at,
               *(t.due_at for t in case.support if t.pending)]
    return any(m is not None and m.astimezone(WIB).date() >= since for m in moments)


def _recount_one(ctx: Context, case: Case) -> str:
    for attempt in (1, 2):
        recounted = recompute_deadlines(case, ctx.calendar, ctx.policy, ctx.escalation)
        if recounted is case:
            return "same"
        try:
            ctx.cases.save(dataclasses.replace(recounted, version=case.version + 1))
            return "moved"
        except VersionConflict:
            if attempt == 2:
                break
            fresh = ctx.cases.get(case.case_id)
            if fresh is None or not fresh.is_open:
                return "same"
            case = fresh
    logger.warning("calendar recount skipped a case changed meanwhile", extra={"case_id": case.case_id})
    return "skipped"
