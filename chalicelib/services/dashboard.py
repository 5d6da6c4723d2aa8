"""Dashboard figures (the numbers KemenPAN-RB judges a city by), read from the aggregates.

A view reads one item per month of the period for one scope, however many cases there are.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.calendar import WIB
from chalicelib.domain.case import OPEN_STATUSES, Actor, Role, Status
from chalicelib.domain.errors import NotPermitted
from chalicelib.services.context import Context
from chalicelib.store.aggregates import CITY_SCOPE, agency_scope

OPEN_VALUES = frozenset(s.value for s in OPEN_STATUSES)
RESOLVED_VALUES = frozenset({Status.SELESAI.value})


def recent_months(now: datetime, count: int) -> list[str]:
    local = now.astimezone(WIB)
    year, month = local.year, local.month
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return months


def dashboard(ctx: Context, actor: Actor, months: int = 3, agency_id: str | None = None) -> dict:
    """City-wide for the admin and leadership; an OPD's own figures for its officers and supervisor."""
    if actor.role in (Role.OPD, Role.SUPERVISOR):
        if agency_id not in (None, actor.agency_id):
            raise NotPermitted("Anda hanya dapat melihat dasbor OPD Anda sendiri.")
        agency_id = actor.agency_id
    elif actor.role not in (Role.ADMIN, Role.LEADERSHIP):
        raise NotPermitted("Dasbor hanya untuk petugas.")
    months = max(1, min(months, 24))
    scope = agency_scope(agency_id) if agency_id else CITY_SCOPE
    now = ctx.now()
    period = recent_months(now, months)
    entries = ctx.aggregates.read(scope, period)
    return {"scope": scope, "months": period, **summarise(entries.values(), now)}


def summarise(entries, now: datetime) -> dict:
    by_status = {s.value: 0 for s in Status}
    overdue = on_time_closed = resolved = 0
    hours_total = 0.0
    ratings: list[int] = []
    for entry in entries:
        status = entry.get("s")
        if status in by_status:
            by_status[status] += 1
        if status in OPEN_VALUES and entry.get("due") and datetime.fromisoformat(entry["due"]) < now:
            overdue += 1
        if status in RESOLVED_VALUES and entry.get("hours") is not None:
            resolved += 1
            hours_total += float(entry["hours"])
            if entry.get("fin") and entry.get("closed") and entry["closed"] <= entry["fin"]:
                on_time_closed += 1
        if entry.get("rating"):
            ratings.append(int(entry["rating"]))
    total = sum(by_status.values())
    return {
        "total": total,
        "by_status": by_status,
        "open": sum(by_status[s.value] for s in OPEN_STATUSES),
        "overdue": overdue,
        "resolved": resolved,
        "average_resolution_days": round(hours_total / resolved / 24, 1) if resolved else None,
        "resolved_within_cap_percent": round(100 * on_time_closed / resolved, 1) if resolved else None,
        "average_rating": round(sum(ratings) / len(ratings), 2) if ratings else None,
    }
