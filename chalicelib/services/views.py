"""What an officer may see of a case, shaped for the API and the web view.

Confidentiality lives here, in one place: the reporter of an *anonim* case is visible to the admin
koordinator only, and every such view is audit-logged (who, which case, when — never the identity itself).
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.calendar import WIB
from chalicelib.domain.case import Actor, Case, Role
from chalicelib.domain.lifecycle import allowed_actions
from chalicelib.domain.sla import sla_status
from chalicelib.observability import logger
from chalicelib.services.context import Context
from chalicelib.store.cases import CaseSummary


def wib(moment: datetime | None) -> str | None:
    return moment.astimezone(WIB).isoformat() if moment else None


def reporter_visible(case: Case, actor: Actor) -> bool:
    return not case.anonymous or actor.role is Role.ADMIN


def case_view(ctx: Context, case: Case, actor: Actor) -> dict:
    now = ctx.now()
    nxt = case.next_deadline
    show_reporter = reporter_visible(case, actor)
    if case.anonymous and show_reporter:
        logger.info("audit: anonymous reporter viewed", extra={"case_id": case.case_id, "actor": actor.actor_id})
    agencies = ctx.agencies
    return {
        "case_id": case.case_id,
        "version": case.version,
        "status": case.status.value,
        "status_label": case.status.label,
        "channel": case.channel.value,
        "title": case.title,
        "description": case.description,
        "location": case.location,
        "anonymous": case.anonymous,
        "confidential": case.confidential,
        "reporter": _reporter(case) if show_reporter else None,
        "category_id": case.category_id,
        "tier": case.tier.value if case.tier else None,
        "lead_agency": case.lead_agency,
        "lead_agency_name": agencies[case.lead_agency].name if case.lead_agency in agencies else None,
        "supporting_agencies": list(case.supporting_agencies),
        "assigned_officer": case.assigned_officer,
        "received_at": wib(case.received_at),
        "verified_at": wib(case.verified_at),
        "followed_up_at": wib(case.followed_up_at),
        "closed_at": wib(case.closed_at),
        "merged_into": case.merged_into,
        "rating": case.rating,
        "deadline": {
            "kind": nxt.kind.value,
            "label": nxt.kind.label,
            "due_at": wib(nxt.due_at),
            "sla": sla_status(nxt, now).value,
        }
        if nxt
        else None,
        "paused": {
            "since": wib(case.paused.paused_at),
            "remaining_working_days": case.paused.remaining_working_days,
        }
        if case.paused
        else None,
        "finish_by": wib(case.finish_by.due_at) if case.finish_by else None,
        "allowed_actions": [a.value for a in allowed_actions(case, actor)],
        "timeline": [
            {
                "seq": e.seq,
                "at": wib(e.at),
                "action": e.action.value,
                "label": e.action.label,
                "actor": e.actor_id if actor.role is not Role.CITIZEN else e.actor_role.label,
                "role": e.actor_role.value,
                "from_status": e.from_status.value if e.from_status else None,
                "to_status": e.to_status.value,
                "note": e.note,
                "public": e.public,
            }
            for e in case.timeline
        ],
    }


def summary_view(item: CaseSummary, now: datetime) -> dict:
    return {
        "case_id": item.case_id,
        "version": item.version,
        "status": item.status.value,
        "summary": item.summary,
        "category_id": item.category_id,
        "tier": item.tier,
        "channel": item.channel,
        "lead_agency": item.lead_agency,
        "assigned_officer": item.assigned_officer,
        "received_at": wib(item.received_at),
        "due_at": wib(item.due_at),
        "due_kind": item.due_kind,
        "overdue": bool(item.due_at and item.due_at < now),
        "anonymous": item.anonymous,
        "confidential": item.confidential,
    }


def _reporter(case: Case) -> dict:
    r = case.reporter
    return {"name": r.name, "phone": r.phone, "email": r.email, "channel_user_id": r.channel_user_id}
