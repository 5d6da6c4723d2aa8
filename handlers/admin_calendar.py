"""The city's working calendar, JSON API for the admin koordinator (bearer token; the service checks the role).

- `GET  /api/admin/calendar?year=2027`                       national days, cuti bersama, city days off, withdrawals
- `POST /api/admin/calendar/days` {date, label}               add a city day off
- `POST /api/admin/calendar/days/{day}/delete`                remove a city day off
- `POST /api/admin/calendar/withdrawn` {date, reason}         withdraw a national day (a working day again)
- `POST /api/admin/calendar/withdrawn/{day}/restore`          restore it
- `POST /api/admin/calendar/recompute` {since}                recount open cases again (after a partial run)

Every change answers with the audit detail and the recount of open cases (`recount`). Services are imported
inside the views so `import app` stays cheap.
"""

from __future__ import annotations

from chalice import Blueprint

from handlers.errors import route
from handlers.request_input import json_body, officer_call, text_field

admin_calendar = Blueprint(__name__)


@route(admin_calendar, "/api/admin/calendar", methods=["GET"])
def calendar_route() -> dict:
    from chalicelib.domain.calendar import to_wib_date
    from chalicelib.services.calendar_admin import calendar_year, parse_year

    ctx, params, actor = officer_call(admin_calendar)
    return calendar_year(ctx, actor, parse_year(params.get("year"), to_wib_date(ctx.now())))


@route(admin_calendar, "/api/admin/calendar/days", methods=["POST"])
def add_day_route() -> dict:
    from chalicelib.services.calendar_admin import add_day_off

    ctx, _, actor = officer_call(admin_calendar)
    body = json_body(admin_calendar.current_request)
    return add_day_off(ctx, actor, text_field(body, "date", max_length=10), text_field(body, "label", max_length=200))


@route(admin_calendar, "/api/admin/calendar/days/{day}/delete", methods=["POST"])
def remove_day_route(day: str) -> dict:
    from chalicelib.services.calendar_admin import remove_day_off

    ctx, _, actor = officer_call(admin_calendar)
    return remove_day_off(ctx, actor, day)


@route(admin_calendar, "/api/admin/calendar/withdrawn", methods=["POST"])
def withdraw_route() -> dict:
    from chalicelib.services.calendar_admin import withdraw_national_day

    ctx, _, actor = officer_call(admin_calendar)
    body = json_body(admin_calendar.current_request)
    return withdraw_national_day(ctx, actor, text_field(body, "date", max_length=10),
                                 text_field(body, "reason", max_length=500))


@route(admin_calendar, "/api/admin/calendar/withdrawn/{day}/restore", methods=["POST"])
def restore_route(day: str) -> dict:
    from chalicelib.services.calendar_admin import restore_national_day

    ctx, _, actor = officer_call(admin_calendar)
    return restore_national_day(ctx, actor, day)


@route(admin_calendar, "/api/admin/calendar/recompute", methods=["POST"])
def recompute_route() -> dict:
    from chalicelib.services.calendar_admin import parse_day, recompute_open_cases, require_admin

    ctx, _, actor = officer_call(admin_calendar)
    require_admin(actor)
    body = json_body(admin_calendar.current_request)
    return recompute_open_cases(ctx, actor, parse_day(text_field(body, "since", max_length=10), "since"))
