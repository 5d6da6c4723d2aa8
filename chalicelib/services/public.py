"""What the public sees: the tracking page of a case, and complaints sent through the web form.

The tracking view carries no reporter identity at all, and nothing of a *rahasia* case beyond its status
and dates; officers' internal notes never appear, only the public follow-up and what the citizen must know.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.channels.base import ParsedDelivery
from chalicelib.domain.case import Action, Case
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.tracking import normalize_tracking_number
from chalicelib.services.context import Context

if TYPE_CHECKING:
    from chalicelib.channels.web import WebSubmission

# Timeline steps a citizen sees, and those whose note is meant for them.
PUBLIC_STEPS = {
    Action.CREATE, Action.FORWARD, Action.HOLD, Action.RESUME, Action.REJECT, Action.ARCHIVE,
    Action.FOLLOW_UP, Action.CLOSE, Action.AUTO_CLOSE, Action.REOPEN, Action.MERGE, Action.CONFIRM,
    Action.CONTRIBUTE, Action.REDISPOSE,
}
# what was done, in the officer's words; a re-disposition's note is the admin's internal reason
PUBLIC_NOTES = {Action.FOLLOW_UP, Action.CONTRIBUTE, Action.HOLD, Action.REJECT}
WEB_SUBMISSIONS_PER_HOUR = 10  # per client address


@dataclass(frozen=True)
class WebReceipt:
    case_id: str
    tracking_url: str


def public_case_view(ctx: Context, number: str) -> dict | None:
    case_id = normalize_tracking_number(number or "")
    case = ctx.cases.get(case_id, consistent=False) if case_id else None
    if case is None:
        return None
    return tracking_view(ctx, case)


def tracking_view(ctx: Context, case: Case) -> dict:
    agency = ctx.agencies.get(case.lead_agency) if case.lead_agency else None
    nxt = case.next_deadline
    timeline = []
    if not case.confidential:
        timeline = [
            {"at": e.at, "label": e.action.label, "note": e.note if e.action in PUBLIC_NOTES and e.public else ""}
            for e in case.timeline
            if e.action in PUBLIC_STEPS and e.public
        ]
    return {
        "tracking_number": case.case_id,
        "status": case.status.value,
        "status_label": case.status.label,
        "agency_name": agency.name if agency else None,
        "received_at": case.received_at,
        "closed_at": case.closed_at,
        "deadline": {"due_at": nxt.due_at, "label": nxt.kind.label} if nxt else None,
        "confidential": case.confidential,
        "merged_into": case.merged_into,
        "timeline": timeline,
    }


def submit_web_complaint(ctx: Context, submission: WebSubmission, client: str) -> WebReceipt:
    """Rate-limit per client address, record once (by the form's idempotency key), open the case."""
    from chalicelib.services.intake import process_event, record_delivery
    from chalicelib.services.replies import tracking_url
    from chalicelib.store.limits import RateLimiter

    message = submission.message
    hour = ctx.now().strftime("%Y%m%d%H")
    if not RateLimiter().allow(f"web:{client}:{hour}", WEB_SUBMISSIONS_PER_HOUR, ctx.now()):
        raise ValidationFailed("Terlalu banyak laporan dari perangkat ini dalam satu jam. Silakan coba lagi nanti.",
                               field="rate_limit")
    if submission.photo is not None:
        from dataclasses import replace

        from chalicelib.store.media import EXTENSIONS, MediaStore

        key = message.event_key.replace(":", "-")
        stored = MediaStore(ctx.channels).put(
            f"media/web/{key}.{EXTENSIONS[submission.photo.content_type]}", submission.photo.data,
            submission.photo.content_type,
        )
        message = replace(message, media_id=f"store:{stored}", media_type=submission.photo.content_type)
    record_delivery(ctx, ParsedDelivery(messages=(message,)))
    process_event(ctx, message.event_key)  # the citizen is waiting for the number: no deferral here
    record = ctx.events.get(message.event_key)
    if record is None or not record.case_id:
        raise ValidationFailed("Laporan belum dapat diproses. Silakan kirim ulang formulir yang sama.")
    return WebReceipt(record.case_id, tracking_url(ctx.channels.public_base_url, record.case_id))
