"""The morning digest (07:00 WIB on working days): each officer gets their agency's cases due today and overdue.

Reads each agency's open work list from its index (no Scan); one message per officer per day under a
deterministic id, so a re-run the same morning sends nothing twice. Officers with nothing due get nothing.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.calendar import WIB
from chalicelib.domain.case import Role, Status
from chalicelib.domain.messages import OutboundMessage
from chalicelib.services.context import Context
from chalicelib.services.notify import officer_route

LISTED = 10


def send_morning_digest(ctx: Context) -> dict[str, int]:
    from chalicelib.services.outbound import send_due_messages

    now = ctx.now()
    today = now.astimezone(WIB).date()
    if not ctx.calendar.is_working_day(today):  # weekends and holidays: the next working morning lists it all
        return {"officers": 0, "queued": 0}
    queued = officers = 0
    for agency_id, agency in ctx.agencies.items():
        if not agency.active:
            continue
        staff = [o for o in ctx.officers_of(agency_id) if o.active]
        if not staff:
            continue
        if agency_id == ctx.settings.admin_agency:
            work = [(Role.ADMIN, _due(_all(ctx, None, Status.BARU), now, today))]
        else:
            lead = _due(_all(ctx, agency_id, Status.TERVERIFIKASI), now, today)
            support = _supporting_due(ctx, agency_id, now, today)
            mine = (lead[0] + support[0], lead[1] + support[1])
            work = [(Role.OPD, mine), (Role.SUPERVISOR, mine)]
        for role, (due_today, overdue) in work:
            if not due_today and not overdue:
                continue
            text = _text(agency.short_name, due_today, overdue)
            for officer in (o for o in staff if o.role is role):
                route = officer_route(ctx, officer)
                if route is None:
                    continue
                channel, recipient, options = route
                officers += 1
                queued += int(ctx.outbox.enqueue(OutboundMessage(
                    message_id=f"digest:{today.isoformat()}:{officer.username}", channel=channel,
                    recipient=recipient, body=text, created_at=now, purpose="digest", options=options,
                )))
    if queued:
        send_due_messages(ctx)
    return {"officers": officers, "queued": queued}


def _all(ctx: Context, agency_id: str | None, status: Status) -> list:
    items, cursor = [], None
    while True:
        page = (ctx.cases.list_by_agency_status(agency_id, status, 100, cursor) if agency_id
                else ctx.cases.list_by_status(status, 100, cursor))
        items += page.items
        cursor = page.cursor
        if not cursor:
            return items


def _supporting_due(ctx: Context, agency_id: str, now: datetime, today) -> tuple[list[str], list[str]]:
    """The contributions this OPD owes as a supporting OPD (its own deadlines), due today or overdue: read
    from its supporting rows, only those due by tonight (a filter on the index's projection)."""
    from chalicelib.domain.calendar import end_of_day_wib
    from chalicelib.store.cases import InboxFilter

    spec = InboxFilter(due_before=end_of_day_wib(today))
    items = []
    for status in (Status.TERVERIFIKASI, Status.DITINDAKLANJUTI):
        cursor = None
        while True:
            page = ctx.agency_cases.inbox(agency_id, status, spec, page_size=100, read_cap=1000, start_key=cursor)
            items += page.items
            cursor = page.cursor
            if not cursor:
                break
    due_today, overdue = _due(items, now, today)
    return [f"{c} (pendukung)" for c in due_today], [f"{c} (pendukung)" for c in overdue]


def _due(items: list, now: datetime, today) -> tuple[list[str], list[str]]:
    due_today = sorted(i.case_id for i in items if i.due_at and i.due_at >= now
                       and i.due_at.astimezone(WIB).date() == today)
    overdue = sorted(i.case_id for i in items if i.due_at and i.due_at < now)
    return due_today, overdue


def _text(agency: str, due_today: list[str], overdue: list[str]) -> str:
    lines = [f"[Aduan] Ringkasan pagi {agency}: {len(due_today)} laporan jatuh tempo hari ini, "
             f"{len(overdue)} laporan terlambat."]
    for label, ids in (("Terlambat", overdue), ("Hari ini", due_today)):
        if ids:
            more = " dan lainnya." if len(ids) > LISTED else ""
            lines.append(f"{label}: " + ", ".join(ids[:LISTED]) + more)
    return "\n".join(lines)
