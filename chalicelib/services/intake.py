"""Chat intake: from a provider's delivery to a case, in two steps.

1. `record_delivery` (`services/delivery.py`, the webhook's whole job before it answers): one conditional put
   per message, keyed on the provider's message id. A delivery repeated N times, even concurrently, is stored once.
2. `process_event` (after the answer: DynamoDB stream, a thread locally, or the sweeper): claims the
   event with a lease, runs the conversation and marks it done. Every write in it is deterministic (the
   case id derives from the event key, the reply's outbox id from the event key), so a crash anywhere is
   finished by the next attempt without a second case or a second reply.

The conversation, in Bahasa Indonesia: the first message opens a case and the citizen gets its tracking
number; photos, locations and text from the same sender within a short window join that case while it awaits
verification (BARU, or forwarded minutes ago); later, a message opens a new case, and `BARU <isi>` always
does. After the OPD's follow-up (DITINDAKLANJUTI) the citizen is asked to reply 1 (selesai) or 2 (belum):
a confirmation closes the case (and asks for the rating), a dispute reopens it, anything else is kept with
the case for the OPD without moving it (`chalicelib.domain.replies_rules` reads the reply). A reply to a
held case resumes it; `STATUS <nomor>` answers the status (a few times an hour per sender); a bare `1`-`5`
rates the case that last asked this person for a rating on this channel, and opens nothing when none did.

Only a sender the channel proves (`replies_rules.sender_is_proven`) takes part in that conversation, and the
same proven person across channels is linked by phone number. A claimed identity (the web form's phone or
e-mail, an unauthenticated e-mail's From) is contact information only: such a message opens a case of its
own and never reaches, reveals or rate-limits anyone else's. Cases opened under a claimed identity (web form,
officer entry, unauthenticated e-mail) in turn never count against the proven person's allowance nor join
their conversation; the owner of the number reaches one only by answering, on the channel its updates go
to, the follow-up or hold that asked them to (that answer is the proof that they hold the number).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chalicelib import metrics
from chalicelib.domain.case import Action, Actor, Case, Channel, Reporter, Role, Status
from chalicelib.domain.errors import DomainError
from chalicelib.domain.lifecycle import ActionRequest
from chalicelib.domain.messages import CaseMessage, InboundMessage, OutboundMessage
from chalicelib.domain.replies_rules import (
    ReplyKind,
    case_identity_is_proven,
    classify_reply,
    new_complaint_text,
    sender_is_proven,
)
from chalicelib.domain.tracking import normalize_tracking_number
from chalicelib.observability import correlated, logger
from chalicelib.services import replies
from chalicelib.services.context import Context
from chalicelib.services.delivery import message_from_payload as _from_json
from chalicelib.services.delivery import record_delivery  # noqa: F401  # step 1, re-exported for its callers

EVENT_LEASE = timedelta(minutes=2)
RATING_WINDOW = timedelta(days=14)
STATUS_COMMAND = re.compile(r"^\s*(?:status|cek|lacak)\s*[:#]?\s*(?P<number>[A-Za-z0-9 \-]{6,40})\s*$", re.I)
RATING = re.compile(r"^\s*(?P<score>[1-5])\s*(?:/\s*5)?\s*[.!]?\s*$")
STATUS_LOOKUPS_PER_HOUR = 10  # per sender: enough to follow one's cases, too few to walk the number space
LINK_SCAN_LIMIT = 50  # index entries read to find a proven sender's own cases among claimed ones


@dataclass(frozen=True)
class Outcome:
    """What processing one message did (for logs, tests and the event record)."""

    # opened | attached | reopened | resumed | confirmed | responded | status | rated | rate_limited | ignored
    # | withdrawn | linked
    kind: str
    case_id: str | None = None
    alerts: tuple[str, ...] = dataclasses.field(default=(), compare=False)  # officer alerts to send right away


# ---------------------------------------------------------------- step 1: the durable write


# ---------------------------------------------------------------- step 2: the conversation


def process_event(ctx: Context, event_key: str) -> Outcome | None:
    """Claim and process one recorded event; None if it is done or another worker holds it. Its log lines carry
    the delivery's correlation id (`chalicelib.observability.correlated`)."""
    with correlated(delivery=event_key):
        return _process_event(ctx, event_key)


def _process_event(ctx: Context, event_key: str) -> Outcome | None:
    record = ctx.events.claim(event_key, ctx.now(), EVENT_LEASE)
    if record is None:
        return None
    try:
        message = _from_json(json.loads(record.payload))
    except (ValueError, KeyError, TypeError) as error:
        # A record we cannot read will never become readable: park it (visible to operators), don't loop on it.
        ctx.events.finish(event_key, "unreadable")
        logger.error("inbound event unreadable", extra={"event_key": event_key, "error": type(error).__name__})
        return Outcome("ignored")
    try:
        outcome = handle_message(ctx, message)
    except Exception as error:
        ctx.events.release(event_key, f"{type(error).__name__}")
        logger.exception("inbound processing failed", extra={"event_key": event_key})
        raise
    ctx.events.finish(event_key, "ignored" if outcome.kind == "ignored" else "done", outcome.case_id)
    for reply_id in _reply_ids(message):
        _try_send_now(ctx, reply_id)
    if outcome.alerts:  # queued before the event was finished (a crash re-derives them); sent after the answer
        from chalicelib.services.notify import send_now

        send_now(ctx, list(outcome.alerts))
    logger.info(
        "inbound processed", extra={"event_key": event_key, "outcome": outcome.kind, "case_id": outcome.case_id}
    )
    return outcome


def process_events(ctx: Context, event_keys: list[str]) -> None:
    """Process fresh events one by one; a failure leaves its event pending for the sweeper."""
    for key in event_keys:
        try:
            process_event(ctx, key)
        except Exception:  # already logged and released in process_event
            continue


def sweep_pending_events(ctx: Context, limit: int = 100) -> dict[str, int]:
    """Finish events whose first processing never happened or failed (scheduled every minute)."""
    done = skipped = failed = 0
    grace = timedelta(seconds=ctx.settings.sweep_grace_seconds)  # leave fresh events to the stream / thread
    pending = list(ctx.events.pending_events(ctx.now() - grace, limit=limit))  # oldest first
    metrics.record_oldest_inbound_age((ctx.now() - pending[0][1]).total_seconds() if pending else 0)
    for key, _received_at in pending:
        try:
            outcome = process_event(ctx, key)
        except Exception:
            failed += 1
            continue
        if outcome is None:
            skipped += 1
        else:
            done += 1
    return {"processed": done, "skipped": skipped, "failed": failed}


def handle_message(ctx: Context, message: InboundMessage) -> Outcome:
    """The conversation rules for one message from a citizen."""
    if message.source_type in ("group", "room"):  # a LINE group's chatter is never a complaint
        from chalicelib.services.line_groups import handle_group_message

        return handle_group_message(ctx, message)
    if message.kind == "unsend":
        return _withdraw(ctx, message)
    from chalicelib.services.officer_line import is_link_code, link_line_account

    if is_link_code(message):  # an officer linking LINE for alerts, not a complaint
        linked = link_line_account(ctx, message)
        _enqueue_reply(ctx, message, replies.line_linked() if linked else replies.line_link_invalid(),
                       purpose="line_link")
        return Outcome("linked" if linked else "ignored")
    text = (message.text or "").strip()
    reporter = _reporter(message)
    if not sender_is_proven(message.channel, message.sender_id):
        return _handle_claimed(ctx, message, reporter, text)
    command = STATUS_COMMAND.match(text) if message.kind == "text" else None
    if command:
        return _answer_status(ctx, message, command.group("number"))
    recent = _linked_cases(ctx, message, reporter, want=ctx.settings.new_cases_per_hour + 1)
    fresh = new_complaint_text(text) if message.kind == "text" else None
    if any(c.source_key == _source_key(message) for c in recent):
        # this very message opened a case before its processing failed (a retry, a redelivery, the sweeper):
        # finish opening it (the message and the "opened" reply are idempotent puts), never attach it to itself
        return _open(ctx, message, reporter, fresh or None)
    if fresh is not None:  # "BARU <isi>": always a new complaint, whatever else is open
        if not fresh:
            _enqueue_reply(ctx, message, replies.new_complaint_empty(), purpose="how_to")
            return Outcome("ignored")
        return _open_checked(ctx, message, reporter, recent, description=fresh)
    latest = recent[0] if recent else None
    awaiting = _awaiting_confirmation(ctx, recent, message)
    if awaiting is not None and message.kind == "text":
        reply = classify_reply(text)
        if reply is ReplyKind.CONFIRM:
            return _confirm(ctx, message, awaiting)
        if reply is ReplyKind.DISPUTE:
            return _dispute(ctx, message, awaiting)
    rating = RATING.match(text) if message.kind == "text" else None
    if rating:
        rated = _rate(ctx, message, reporter, int(rating.group("score")))
        if rated:
            return rated
    if latest is not None and case_identity_is_proven(latest) and _in_conversation(ctx, message, latest):
        return _attach(ctx, message, latest)
    if latest is not None and latest.status is Status.DITUNDA and message.kind not in ("sticker", "other"):
        return _resume(ctx, message, latest)
    if awaiting is not None:
        return _respond(ctx, message, awaiting)
    if rating:  # a bare digit nobody asked for: never a complaint
        _enqueue_reply(ctx, message, replies.how_to_report(), purpose="how_to")
        return Outcome("ignored")
    if message.kind in ("sticker", "other"):
        return Outcome("ignored")
    return _open_checked(ctx, message, reporter, recent)


def _handle_claimed(ctx: Context, message: InboundMessage, reporter: Reporter, text: str) -> Outcome:
    """A sender the channel does not prove (web form, unauthenticated e-mail): the message opens a case of its
    own, whose phone or address only receives the updates. It never looks at the claimed person's cases, so
    it can neither join, reopen, resume, confirm, answer, rate nor reveal one, nor spend their allowance."""
    if message.channel == Channel.WEB.value:
        return _open(ctx, message, reporter)  # one case per submission; the form is limited per client address
    if message.kind in ("sticker", "other"):
        return Outcome("ignored")
    description = None
    if message.kind == "text":
        command = STATUS_COMMAND.match(text)
        if command:
            return _answer_status(ctx, message, command.group("number"), proven=False)
        if RATING.match(text):  # no rating, no "1"/"2" answer from a sender we cannot tell from anyone else
            _enqueue_reply(ctx, message, replies.unverified_reply_ignored(), purpose="how_to")
            return Outcome("ignored")
        description = new_complaint_text(text)
        if description == "":
            _enqueue_reply(ctx, message, replies.new_complaint_empty(), purpose="how_to")
            return Outcome("ignored")
    # An hourly allowance of its own, per claimed address: forgeries in someone's name never use up theirs.
    if not _allow(ctx, "claimed", message, ctx.settings.new_cases_per_hour):
        if _allow(ctx, "claimed-notice", message, 1):  # one polite answer an hour, not one per forgery
            _enqueue_reply(ctx, message, replies.rate_limited(), purpose="rate_limited")
        return Outcome("rate_limited")
    return _open(ctx, message, reporter, description)


# ---------------------------------------------------------------- conversation steps


def _source_key(message: InboundMessage) -> str:
    """The key a message's case is created from (its tracking number derives from it)."""
    if message.channel == Channel.WEB.value:
        # The form's idempotency key is the client's choice (and may be predictable, e.g. "loket-0001"): once
        # its dedupe record expires, the same key must open a new case, never return the old one.
        return f"{message.event_key}@{message.received_at.astimezone(UTC).isoformat()}"
    # Photos sent together (a LINE image set) arrive as separate, possibly concurrent deliveries: keying the
    # case on the set makes them all land in one case with one answer, whichever is processed first.
    return f"{message.channel}:set:{message.group_key}" if message.group_key else message.event_key


def _open_checked(ctx: Context, message: InboundMessage, reporter: Reporter, recent: list[Case],
                  description: str | None = None) -> Outcome:
    """Open a case unless this sender already opened too many in the last hour (their own cases only:
    a web form or officer entry with their number never counts)."""
    opened_last_hour = [c for c in recent if case_identity_is_proven(c)
                        and c.received_at > message.received_at - timedelta(hours=1)]
    if len(opened_last_hour) >= ctx.settings.new_cases_per_hour and not _is_replay(opened_last_hour, message):
        _enqueue_reply(ctx, message, replies.rate_limited(), purpose="rate_limited")
        return Outcome("rate_limited")
    return _open(ctx, message, reporter, description)


def _open(ctx: Context, message: InboundMessage, reporter: Reporter, description: str | None = None) -> Outcome:
    from chalicelib.services.workflow import open_case

    description = description or (message.text or "").strip() or replies.placeholder_description(message.kind)
    source_key = _source_key(message)
    case = open_case(
        ctx,
        Actor.citizen(reporter.key),
        channel=Channel(message.channel),
        description=description,
        source_key=source_key,
        reporter=reporter,
        title=(message.subject or "")[:200],
        location=(message.address or "")[:500],
        anonymous=message.anonymous,
        confidential=message.confidential,
    )
    _store_message(ctx, case.case_id, message)
    if sender_is_proven(message.channel, message.sender_id):
        answer = replies.case_opened(case, ctx.channels.public_base_url)
    else:
        answer = replies.case_opened_unverified(case, ctx.channels.public_base_url)
    _enqueue_reply(ctx, message, answer, purpose="opened", case_id=case.case_id, reply_key=source_key)
    return Outcome("opened", case.case_id, _queue_alerts(ctx, case))


def _in_conversation(ctx: Context, message: InboundMessage, case: Case) -> bool:
    """Whether the message continues the conversation that opened this case: the case still awaits
    verification (or was forwarded minutes ago) and the citizen wrote within the attach window."""
    if case.status not in (Status.BARU, Status.TERVERIFIKASI):
        return False
    window = timedelta(minutes=ctx.settings.attach_window_minutes)
    return message.received_at - _citizen_activity(case) <= window


def _attach(ctx: Context, message: InboundMessage, case: Case) -> Outcome:
    new = _store_message(ctx, case.case_id, message)
    if new and message.kind in ("text", "location") and not message.group_key:
        _enqueue_reply(ctx, message, replies.attached(case, message.kind), purpose="attached",
                       case_id=case.case_id)
    return Outcome("attached", case.case_id, _queue_alerts(ctx, case, message))


def _resume(ctx: Context, message: InboundMessage, case: Case) -> Outcome:
    """The citizen sent what a held (DITUNDA) case waits for: it resumes."""
    _store_message(ctx, case.case_id, message)
    resumed = _citizen_action(ctx, case, Action.RESUME, message)
    _enqueue_reply(ctx, message, replies.details_received(case), purpose="resumed", case_id=case.case_id)
    return Outcome("resumed", case.case_id, _queue_alerts(ctx, resumed))


def _awaiting_confirmation(ctx: Context, recent: list[Case], message: InboundMessage) -> Case | None:
    """The sender's followed-up (DITINDAKLANJUTI) case on this channel, the latest follow-up first."""
    from chalicelib.services.notify import citizen_route

    def on_this_channel(case: Case) -> bool:
        if case.channel.value == message.channel:
            return True
        route = citizen_route(ctx, case)  # e.g. a phone complaint whose updates go out by SMS
        return route is not None and route[0] == message.channel

    waiting = [c for c in recent if c.status is Status.DITINDAKLANJUTI and on_this_channel(c)]
    return max(waiting, key=lambda c: c.followed_up_at or c.received_at, default=None)


def _confirm(ctx: Context, message: InboundMessage, case: Case) -> Outcome:
    """The citizen confirms the follow-up solved it: SELESAI, and the rating is asked for (and recorded
    first, so a retried attempt still finds it)."""
    _store_message(ctx, case.case_id, message)
    _record_rating_request(ctx, message, case.case_id)
    confirmed = _citizen_action(ctx, case, Action.CONFIRM, message)
    _enqueue_reply(ctx, message, replies.confirmed(case), purpose="confirmed", case_id=case.case_id)
    return Outcome("confirmed", case.case_id, _queue_alerts(ctx, confirmed))


def _dispute(ctx: Context, message: InboundMessage, case: Case) -> Outcome:
    """The citizen says it is not done: back to the OPD, the citizen's words on the timeline."""
    _store_message(ctx, case.case_id, message)
    reopened = _citizen_action(ctx, case, Action.REOPEN, message)
    _enqueue_reply(ctx, message, replies.reopened(case), purpose="reopened", case_id=case.case_id)
    return Outcome("reopened", case.case_id, _queue_alerts(ctx, reopened))


def _respond(ctx: Context, message: InboundMessage, case: Case) -> Outcome:
    """Anything else to a followed-up case: kept with the case for the OPD, the state does not move."""
    if message.kind in ("sticker", "other"):
        return Outcome("ignored", case.case_id)
    if message.kind != "text":  # a photo, location, file: attached, the OPD alerted
        new = _store_message(ctx, case.case_id, message)
        if new and not message.group_key:
            _enqueue_reply(ctx, message, replies.attached_to_followed_up(case, message.kind), purpose="attached",
                           case_id=case.case_id)
        return Outcome("attached", case.case_id, _queue_alerts(ctx, case, message))
    note = (message.text or "").strip()[:4000]
    if not note:
        return Outcome("ignored", case.case_id)
    _store_message(ctx, case.case_id, message)
    responded = None
    already = any(e.action is Action.RESPOND and e.note == note and e.at >= message.received_at
                  for e in case.timeline)  # a retried attempt: the response is on the timeline already
    if not already:
        responded = _citizen_action(ctx, case, Action.RESPOND, message)
    _enqueue_reply(ctx, message, replies.response_received(case), purpose="responded", case_id=case.case_id)
    return Outcome("responded", case.case_id, _queue_alerts(ctx, responded))


def _answer_status(ctx: Context, message: InboundMessage, number: str, *, proven: bool = True) -> Outcome:
    """The public status of a number (a *rahasia* case names no agency), a few lookups an hour per sender."""
    if not _allow(ctx, "status", message, STATUS_LOOKUPS_PER_HOUR):
        if _allow(ctx, "status-notice", message, 1):  # say it once an hour; then stay silent
            _enqueue_reply(ctx, message, replies.status_rate_limited(), purpose="rate_limited")
        return Outcome("rate_limited")
    case_id = normalize_tracking_number(number)
    case = ctx.cases.get(case_id) if case_id else None
    name = None
    if case is not None and not case.confidential and case.lead_agency in ctx.agencies:
        name = ctx.agencies[case.lead_agency].name
    reporter_key = _reporter(message).key
    own = (proven and case is not None and reporter_key is not None and case.reporter.key == reporter_key
           and (case_identity_is_proven(case) or _updates_go_here(ctx, case, message)))
    invite = own and case.status is Status.SELESAI and case.rating is None
    if invite:  # only the reporter is invited to rate, and then a bare 1-5 rates this case
        _record_rating_request(ctx, message, case.case_id)
    _enqueue_reply(ctx, message, replies.status(case, number, name, ctx.channels.public_base_url,
                                                invite_rating=invite),
                   purpose="status", case_id=case.case_id if case else None)
    return Outcome("status", case.case_id if case else None)


def _rate(ctx: Context, message: InboundMessage, reporter: Reporter, score: int) -> Outcome | None:
    """A bare 1-5 rates the case that last asked this person for a rating on this channel (see
    `chalicelib.store.rating_requests`), never merely the newest case; None when nothing asked."""
    if not reporter.key:
        return None
    store = ctx.rating_requests
    request = store.pending(reporter.key, message.channel)
    if request is None or message.received_at - request.requested_at > RATING_WINDOW:
        return None
    case = ctx.cases.get(request.case_id)
    if case is None or case.status is not Status.SELESAI:
        return None
    if case.rating is None:
        _citizen_action(ctx, case, Action.RATE, message, rating=score)
    elif case.rating != score:  # rated already (not by this very message retried)
        return None
    _enqueue_reply(ctx, message, replies.thanks_for_rating(case, score), purpose="rated", case_id=case.case_id)
    store.clear(reporter.key, message.channel, case.case_id)
    return Outcome("rated", case.case_id)


def _record_rating_request(ctx: Context, message: InboundMessage, case_id: str) -> None:
    key = _reporter(message).key
    if key:
        ctx.rating_requests.record(key, message.channel, case_id, ctx.now())


def _withdraw(ctx: Context, message: InboundMessage) -> Outcome:
    """LINE unsend: the citizen withdrew a message; blank what we stored of it (the record stays)."""
    reporter = _reporter(message)
    for case_id in ctx.cases.list_by_reporter(reporter.key or "", limit=3) if reporter.key else []:
        if ctx.messages.withdraw(case_id, message.refers_to or ""):
            return Outcome("withdrawn", case_id)
    return Outcome("ignored")


def _citizen_action(ctx: Context, case: Case, action: Action, message: InboundMessage, **fields) -> Case | None:
    from chalicelib.services.workflow import decide_and_save

    actor = Actor.citizen(_reporter(message).key)
    note = (message.text or "").strip()[:4000]
    try:
        return decide_and_save(ctx, actor, case, None, ActionRequest(action, note=note, **fields))
    except DomainError as error:  # e.g. already reopened by a retried attempt: the message is kept anyway
        logger.info("citizen action not applied", extra={"case_id": case.case_id, "action": action.value,
                                                         "reason": error.code})
        return None


def _queue_alerts(ctx: Context, case: Case | None, message: InboundMessage | None = None) -> tuple[str, ...]:
    """Queue the officers' alerts of what this message did (the case's new events, or the message joining
    it); the ids due now are sent once the citizen's answer is out. Never raises."""
    if case is None:
        return ()
    from chalicelib.services.notify import queue_now

    return tuple(queue_now(ctx, case, message, events=message is None))


# ---------------------------------------------------------------- helpers


@functools.lru_cache(maxsize=256)
def _reporter(message: InboundMessage) -> Reporter:
    """The citizen behind a message (cached: several conversation steps ask, phone parsing is not free)."""
    phone = None
    if message.phone:
        from chalicelib.domain.phone import normalize_phone

        try:
            phone = normalize_phone(message.phone)
        except DomainError:
            phone = None
    return Reporter(
        name=(message.sender_name or None) and message.sender_name[:200],
        phone=phone,
        email=message.email,
        channel_user_id=f"{message.channel}:{message.sender_id}" if message.sender_id else None,
    )


def _linked_cases(ctx: Context, message: InboundMessage, reporter: Reporter, want: int) -> list[Case]:
    """The proven sender's newest `want` cases this message may reach, newest first (see `_may_reach`).

    Read in slices of `want` from the reporter index, so forms filed with someone's number cannot push their
    own cases out of sight (up to `LINK_SCAN_LIMIT` index entries, keys only)."""
    if not reporter.key:
        return []
    ids = ctx.cases.list_by_reporter(reporter.key, limit=LINK_SCAN_LIMIT)
    found: list[Case] = []
    for start in range(0, len(ids), want):
        chunk = ids[start:start + want]
        cases = ctx.cases.get_many(chunk)
        found += [cases[i] for i in chunk if i in cases and _may_reach(ctx, cases[i], message)]
        if len(found) >= want:
            break
    return sorted(found, key=lambda c: c.received_at, reverse=True)[:want]


def _may_reach(ctx: Context, case: Case, message: InboundMessage) -> bool:
    """Whether a proven sender's message may act on this case of theirs: always when the case's identity was
    proven too; a claimed one (web form, officer entry, unauthenticated e-mail) only while it waits for the
    answer its last update asked for (a follow-up or a hold), and only on the channel that update went to."""
    if case_identity_is_proven(case):
        return True
    return case.status in (Status.DITINDAKLANJUTI, Status.DITUNDA) and _updates_go_here(ctx, case, message)


def _updates_go_here(ctx: Context, case: Case, message: InboundMessage) -> bool:
    """Whether the case's updates are sent on this message's channel (to this sender: the caller matched the
    reporter key), so that answering them proves the sender holds the claimed number or address."""
    from chalicelib.services.notify import citizen_route

    route = citizen_route(ctx, case)
    return route is not None and route[0] == message.channel


def _allow(ctx: Context, purpose: str, message: InboundMessage, limit: int) -> bool:
    """Count one hit of `purpose` for this sender in the current hour (keyed by a hash, never the address)."""
    from chalicelib.services.public import hashed_client

    sender = hashed_client(ctx, f"{message.channel}:{message.sender_id}")
    hour = message.received_at.astimezone(UTC).strftime("%Y%m%d%H")
    return ctx.limits.allow(f"{purpose}:{sender}:{hour}", limit, ctx.now())


def _is_replay(cases: list[Case], message: InboundMessage) -> bool:
    return any(c.source_key == message.event_key for c in cases)


def _citizen_activity(case: Case) -> datetime:
    """When the citizen last acted on the case (its receipt, or a citizen step on its timeline)."""
    return max([case.received_at, *(e.at for e in case.timeline if e.actor_role is Role.CITIZEN)])


def _store_message(ctx: Context, case_id: str, message: InboundMessage) -> bool:
    media_key, media_type = _fetch_media(ctx, case_id, message)
    return ctx.messages.add(
        CaseMessage(
            case_id=case_id,
            message_id=message.event_key,
            sent_at=message.received_at,
            direction="in",
            channel=message.channel,
            kind=message.kind,
            text=message.text,
            media_key=media_key,
            media_type=media_type,
            latitude=message.latitude,
            longitude=message.longitude,
            author=_reporter(message).key,
            provider_id=message.provider_message_id,
        )
    )


def _fetch_media(ctx: Context, case_id: str, message: InboundMessage) -> tuple[str | None, str | None]:
    """Copy a photo or file from the provider's own host right away (their links expire in minutes)."""
    if not message.media_id:
        return None, None
    from chalicelib.services.media import fetch_media

    return fetch_media(ctx, case_id, message)


def _enqueue_reply(
    ctx: Context, message: InboundMessage, body: str, *, purpose: str, case_id: str | None = None,
    reply_key: str | None = None,
):
    """One answer per event (or per photo set): the deterministic id makes a retried enqueue a no-op."""
    target = replies.route_for(message)
    if target is None:
        return
    channel, recipient, options = target
    ctx.outbox.enqueue(
        OutboundMessage(
            message_id=f"reply:{reply_key or message.event_key}",
            channel=channel,
            recipient=recipient,
            body=body,
            created_at=ctx.now(),
            case_id=case_id,
            purpose=purpose,
            options=options,
        )
    )


def _reply_ids(message: InboundMessage) -> list[str]:
    ids = [f"reply:{message.event_key}"]
    if message.group_key:
        ids.append(f"reply:{message.channel}:set:{message.group_key}")
    return ids


def _try_send_now(ctx: Context, message_id: str) -> None:
    """Send the answer right away so the citizen gets it within seconds; the outbox job retries failures."""
    from chalicelib.services.outbound import send_outbound

    try:
        send_outbound(ctx, message_id)
    except Exception:
        logger.exception("immediate send failed; the outbox job will retry", extra={"message_id": message_id})
