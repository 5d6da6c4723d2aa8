"""What the public sees: the tracking page of a case, and complaints sent through the web form.

The tracking view carries no reporter identity at all, and nothing of a *rahasia* case beyond its status
and dates; officers' internal notes never appear, only the public follow-up and what the citizen must know.
Lookups are limited per client address (kept only as a keyed hash), so nobody walks the number space.

A phone number or e-mail typed on the form is contact information only (see `services.intake`): every
submission opens its own case. The form's idempotency key makes a retried submission one case, but only the
same submission: the same key with other content is refused, never answered with the first one's number.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from chalicelib.channels.base import ParsedDelivery
from chalicelib.domain.case import Action, Case
from chalicelib.domain.errors import TooManyAttempts, ValidationFailed
from chalicelib.domain.tracking import normalize_tracking_number
from chalicelib.services.context import Context

if TYPE_CHECKING:
    from chalicelib.channels.web import WebSubmission
    from chalicelib.domain.messages import InboundMessage

# Timeline steps a citizen sees, and those whose note is meant for them.
PUBLIC_STEPS = {
    Action.CREATE, Action.FORWARD, Action.HOLD, Action.RESUME, Action.REJECT, Action.ARCHIVE,
    Action.FOLLOW_UP, Action.CLOSE, Action.AUTO_CLOSE, Action.REOPEN, Action.MERGE, Action.CONFIRM,
    Action.CONTRIBUTE, Action.REDISPOSE,
}
# what was done, in the officer's words; a re-disposition's note is the admin's internal reason
PUBLIC_NOTES = {Action.FOLLOW_UP, Action.CONTRIBUTE, Action.HOLD, Action.REJECT}
WEB_SUBMISSIONS_PER_HOUR = 10  # per client address
LOOKUPS_PER_HOUR = 60  # tracking-page lookups per client address (many citizens may share a carrier's address)
# What makes two form submissions the same one (a retry), besides their idempotency key.
_SUBMISSION_FIELDS = ("text", "sender_name", "phone", "email", "latitude", "longitude", "address", "subject",
                      "anonymous", "confidential")  # the photo is compared by its digest


@dataclass(frozen=True)
class WebReceipt:
    case_id: str
    tracking_url: str


def hashed_client(ctx: Context, value: str) -> str:
    """A client address (or a chat sender) as a keyed hash: enough to count its requests, never stored as is
    (the same keyed hash the sign-in throttle keeps addresses under)."""
    from chalicelib.services.sessions import hashed_identity

    return hashed_identity(ctx, value)


def lookup_case(ctx: Context, number: str, client: str) -> dict | None:
    """The tracking page's view of a number, for one of `LOOKUPS_PER_HOUR` lookups an hour per client."""
    now = ctx.now()
    if not ctx.limits.allow(f"lacak:{hashed_client(ctx, client)}:{now:%Y%m%d%H}", LOOKUPS_PER_HOUR, now):
        raise TooManyAttempts(
            "Terlalu banyak pencarian nomor laporan dari perangkat ini. Silakan coba lagi dalam satu jam.",
            retry_after=_seconds_to_next_hour(now),
        )
    return public_case_view(ctx, number)


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
        "agency_name": agency.name if agency and not case.confidential else None,
        "received_at": case.received_at,
        "closed_at": case.closed_at,
        "deadline": {"due_at": nxt.due_at, "label": nxt.kind.label} if nxt else None,
        "confidential": case.confidential,
        "merged_into": case.merged_into,
        "timeline": timeline,
    }


def submit_web_complaint(ctx: Context, submission: WebSubmission, client: str) -> WebReceipt:
    """Rate-limit per client address, record once (by the form's idempotency key), open the case.

    A key already recorded with other content is someone else's submission (or a reused key): refused by
    field, before anything is stored, so its number is never revealed and its photo never overwritten."""
    from chalicelib.services.intake import process_event, record_delivery
    from chalicelib.services.replies import tracking_url

    message = submission.message
    now = ctx.now()
    if not ctx.limits.allow(f"web:{hashed_client(ctx, client)}:{now:%Y%m%d%H}", WEB_SUBMISSIONS_PER_HOUR, now):
        raise TooManyAttempts("Terlalu banyak laporan dari perangkat ini dalam satu jam. Silakan coba lagi nanti.",
                              field="rate_limit", retry_after=_seconds_to_next_hour(now))
    digest = hashlib.sha256(submission.photo.data).hexdigest()[:16] if submission.photo is not None else None
    _refuse_other_submission(ctx, message, digest)
    if submission.photo is not None:
        from dataclasses import replace

        from chalicelib.store.media import EXTENSIONS, MediaStore

        key = message.event_key.replace(":", "-")
        stored = MediaStore(ctx.channels).put(  # another photo under the same key is another object
            f"media/web/{key}-{digest}.{EXTENSIONS[submission.photo.content_type]}", submission.photo.data,
            submission.photo.content_type,
        )
        message = replace(message, media_id=f"store:{stored}", media_type=submission.photo.content_type)
    record_delivery(ctx, ParsedDelivery(messages=(message,)))
    _refuse_other_submission(ctx, message, digest)  # a different submission won a concurrent race for the key
    process_event(ctx, message.event_key)  # the citizen is waiting for the number: no deferral here
    record = ctx.events.get(message.event_key)
    if record is None or not record.case_id:
        raise ValidationFailed("Laporan belum dapat diproses. Silakan kirim ulang formulir yang sama.")
    return WebReceipt(record.case_id, tracking_url(ctx.channels.public_base_url, record.case_id))


def _refuse_other_submission(ctx: Context, message: InboundMessage, photo_digest: str | None) -> None:
    """Raise if the message's idempotency key is already recorded for a submission with other content."""
    record = ctx.events.get(message.event_key)
    if record is None:
        return
    try:
        stored = json.loads(record.payload)
    except (TypeError, ValueError):
        stored = None
    if not isinstance(stored, dict):
        same = False
    else:
        theirs = {f: stored.get(f) for f in _SUBMISSION_FIELDS}
        ours = {f: v if (v := getattr(message, f)) not in (None, False, "") else None for f in _SUBMISSION_FIELDS}
        photo = str(stored.get("media_id") or "")
        same = theirs == ours and (photo_digest in photo if photo_digest else not photo)
    if not same:
        raise ValidationFailed("Formulir ini sudah pernah dipakai untuk laporan lain. Muat ulang halaman lalu "
                               "kirim lagi.", field="idempotency_key")


def _seconds_to_next_hour(now: datetime) -> int:
    following = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return max(1, int((following - now).total_seconds()))
