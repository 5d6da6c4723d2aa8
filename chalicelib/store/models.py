"""PynamoDB models: one class per table and one per index (docs/architecture.md, Data rules).

Table names and the endpoint are bound at first use by `store.tables.bind_models` from settings, not at
import time, so the same classes serve AWS, dynalite and moto. Every index here is sparse or narrow: the
jobs and views query them, nothing scans a table.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model


class _Meta:
    billing_mode = "PAY_PER_REQUEST"
    table_name = "unbound"  # replaced by bind_models()
    region = "ap-southeast-3"
    host = None
    max_retry_attempts = 3
    connect_timeout_seconds = 2
    read_timeout_seconds = 5


def _meta(logical: str) -> type:
    return type("Meta", (_Meta,), {"logical_name": logical})


def _index_meta(name: str, projection) -> type:
    return type("Meta", (), {"index_name": name, "projection": projection})


# ---------------------------------------------------------------- cases

class ReporterMap(MapAttribute):
    name = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    channel_user_id = UnicodeAttribute(null=True)


class TimelineEventMap(MapAttribute):
    """One step of the case timeline; kept inside the case item so a transition is one conditional write."""

    seq = NumberAttribute()
    at = UTCDateTimeAttribute()
    action = UnicodeAttribute()
    actor_id = UnicodeAttribute()
    actor_role = UnicodeAttribute()
    actor_agency = UnicodeAttribute(null=True)
    from_status = UnicodeAttribute(null=True)
    to_status = UnicodeAttribute()
    note = UnicodeAttribute(null=True)
    public = BooleanAttribute(default=True)
    agencies = ListAttribute(of=UnicodeAttribute, null=True)
    rung = UnicodeAttribute(null=True)
    merged_from = UnicodeAttribute(null=True)
    agency = UnicodeAttribute(null=True)


class SupportTaskMap(MapAttribute):
    """A supporting OPD's own contribution deadline and rungs (see `chalicelib.domain.case.SupportTask`)."""

    agency_id = UnicodeAttribute()
    due_at = UTCDateTimeAttribute()
    added_at = UTCDateTimeAttribute()
    contributed_at = UTCDateTimeAttribute(null=True)
    warned = BooleanAttribute(default=False)
    escalation_level = NumberAttribute(default=0)


class PausedClockMap(MapAttribute):
    held_from = UnicodeAttribute()
    paused_at = UTCDateTimeAttribute()
    kind = UnicodeAttribute()
    remaining_working_days = NumberAttribute()
    until = UTCDateTimeAttribute(null=True)
    missed_due_at = UTCDateTimeAttribute(null=True)


SUMMARY_ATTRIBUTES = [
    "status", "summary", "category_id", "tier", "channel", "lead_agency", "assigned_officer",
    "next_due_at", "due_kind", "anonymous", "confidential", "version",
]


class OpenByDueIndex(GlobalSecondaryIndex):
    """Open cases by the time the system must next act on them (a warning, an escalation step, an auto-close),
    one partition per job. Sparse: `due_shard` exists only while something is pending."""

    Meta = _index_meta("open-by-due", IncludeProjection(["status", "due_kind", "lead_agency", "escalation_level"]))
    due_shard = UnicodeAttribute(hash_key=True)
    due_at = UTCDateTimeAttribute(range_key=True)


class AgencyStatusIndex(GlobalSecondaryIndex):
    """The lead OPD's cases by status, newest first: an officer's work list."""

    Meta = _index_meta("agency-status", IncludeProjection(SUMMARY_ATTRIBUTES))
    agency_status = UnicodeAttribute(hash_key=True)
    received_at = UTCDateTimeAttribute(range_key=True)


class StatusIndex(GlobalSecondaryIndex):
    """Cases by status across the city: the admin koordinator's verification queue."""

    Meta = _index_meta("status", IncludeProjection([a for a in SUMMARY_ATTRIBUTES if a != "status"]))
    status = UnicodeAttribute(hash_key=True)
    received_at = UTCDateTimeAttribute(range_key=True)


class ReporterIndex(GlobalSecondaryIndex):
    """A citizen's cases, to attach follow-up messages and answer STATUS requests."""

    Meta = _index_meta("reporter", KeysOnlyProjection())
    reporter_key = UnicodeAttribute(hash_key=True)
    received_at = UTCDateTimeAttribute(range_key=True)


class PendingSyncIndex(GlobalSecondaryIndex):
    """Cases whose derived data (the figures, supporting OPDs' rows) lags the case. Sparse: set by each transition."""

    Meta = _index_meta("pending-sync", KeysOnlyProjection())
    sync_shard = UnicodeAttribute(hash_key=True)
    changed_at = UTCDateTimeAttribute(range_key=True)


class CaseRecord(Model):
    Meta = _meta("cases")

    case_id = UnicodeAttribute(hash_key=True)
    city_code = UnicodeAttribute()
    channel = UnicodeAttribute()
    status = UnicodeAttribute()
    title = UnicodeAttribute(null=True)
    description = UnicodeAttribute()
    summary = UnicodeAttribute(null=True)
    location = UnicodeAttribute(null=True)
    anonymous = BooleanAttribute(default=False)
    confidential = BooleanAttribute(default=False)
    category_id = UnicodeAttribute(null=True)
    tier = UnicodeAttribute(null=True)
    lead_agency = UnicodeAttribute(null=True)
    supporting_agencies = ListAttribute(of=UnicodeAttribute, null=True)
    support = ListAttribute(of=SupportTaskMap, null=True)
    assigned_officer = UnicodeAttribute(null=True)
    reporter = ReporterMap(null=True)
    reporter_key = UnicodeAttribute(null=True)
    received_at = UTCDateTimeAttribute()
    verified_at = UTCDateTimeAttribute(null=True)
    followed_up_at = UTCDateTimeAttribute(null=True)
    closed_at = UTCDateTimeAttribute(null=True)
    deadline_kind = UnicodeAttribute(null=True)
    deadline_at = UTCDateTimeAttribute(null=True)
    finish_by_at = UTCDateTimeAttribute(null=True)
    paused = PausedClockMap(null=True)
    paused_calendar_days = NumberAttribute(default=0)
    merged_into = UnicodeAttribute(null=True)
    rating = NumberAttribute(null=True)
    source_key = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute(null=True)
    timeline = ListAttribute(of=TimelineEventMap, null=True)
    escalation_level = NumberAttribute(default=0)
    ladder_shift = NumberAttribute(default=0)
    warned = BooleanAttribute(default=False)
    alarm_kind = UnicodeAttribute(null=True)
    notified_seq = NumberAttribute(default=0)
    version = VersionAttribute()
    # index keys (derived from the fields above by the repository)
    due_shard = UnicodeAttribute(null=True)
    due_at = UTCDateTimeAttribute(null=True)
    due_kind = UnicodeAttribute(null=True)
    next_due_at = UTCDateTimeAttribute(null=True)  # the deadline officers see (due_at is the next alarm)
    agency_status = UnicodeAttribute(null=True)
    sync_shard = UnicodeAttribute(null=True)
    changed_at = UTCDateTimeAttribute(null=True)

    open_by_due = OpenByDueIndex()
    by_agency_status = AgencyStatusIndex()
    by_status = StatusIndex()
    by_reporter = ReporterIndex()
    pending_sync = PendingSyncIndex()


# ---------------------------------------------------------------- messages

class MessageRecord(Model):
    """A citizen's or officer's message on a case (text, photo, location), in arrival order."""

    Meta = _meta("messages")

    case_id = UnicodeAttribute(hash_key=True)
    message_key = UnicodeAttribute(range_key=True)  # "<ISO time>#<message id>"
    direction = UnicodeAttribute()  # "in" | "out"
    channel = UnicodeAttribute()
    kind = UnicodeAttribute()  # text | image | location | sticker | file
    text = UnicodeAttribute(null=True)
    media_key = UnicodeAttribute(null=True)
    media_type = UnicodeAttribute(null=True)
    latitude = NumberAttribute(null=True)
    longitude = NumberAttribute(null=True)
    sent_at = UTCDateTimeAttribute()
    author = UnicodeAttribute(null=True)
    provider_id = UnicodeAttribute(null=True)
    withdrawn = BooleanAttribute(default=False)


# ---------------------------------------------------------------- directory (per city)

class AgencyRecord(Model):
    Meta = _meta("agencies")

    city_code = UnicodeAttribute(hash_key=True)
    agency_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    short_name = UnicodeAttribute()
    active = BooleanAttribute(default=True)


class CategoryRecord(Model):
    Meta = _meta("categories")

    city_code = UnicodeAttribute(hash_key=True)
    category_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    agency_id = UnicodeAttribute()
    keywords = ListAttribute(of=UnicodeAttribute, null=True)
    default_tier = UnicodeAttribute(default="normatif")
    active = BooleanAttribute(default=True)


class CalendarDayRecord(Model):
    """A city-configured non-working day (regional holiday, late-announced leave)."""

    Meta = _meta("calendar_days")

    city_code = UnicodeAttribute(hash_key=True)
    day = UnicodeAttribute(range_key=True)  # YYYY-MM-DD
    label = UnicodeAttribute()


class OfficerAgencyIndex(GlobalSecondaryIndex):
    """Officers of an agency by role: who to alert or escalate to."""

    Meta = _index_meta("agency-role", AllProjection())
    agency_id = UnicodeAttribute(hash_key=True)
    role_username = UnicodeAttribute(range_key=True)


class OfficerRecord(Model):
    Meta = _meta("officers")

    username = UnicodeAttribute(hash_key=True)
    display_name = UnicodeAttribute()
    role = UnicodeAttribute()
    agency_id = UnicodeAttribute()
    role_username = UnicodeAttribute()
    password_hash = UnicodeAttribute()
    phone = UnicodeAttribute(null=True)
    line_user_id = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)  # where e-mail alerts go, when the officer chose e-mail
    alert_channel = UnicodeAttribute(default="sms")
    active = BooleanAttribute(default=True)
    session_version = NumberAttribute(default=0)  # bumped to end every session (deactivation, new password)
    must_change_password = BooleanAttribute(default=False)
    alert_kinds = UnicodeAttribute(null=True)  # comma-separated AlertKind values; absent: every kind
    quiet_hours = UnicodeAttribute(null=True)  # "21:00-06:00" WIB; absent: the city's
    urgent_at_night = BooleanAttribute(null=True)  # absent: yes
    personal_with_group = BooleanAttribute(null=True)  # absent: no

    by_agency = OfficerAgencyIndex()


class SessionRecord(Model):
    """A signed-in officer's web session; the cookie carries only its random id (signed).

    Deleted on sign-out; refused once idle too long, past its absolute lifetime, or when the officer's
    `session_version` moved on. Expires by TTL as well, so abandoned sessions do not pile up.
    """

    Meta = _meta("sessions")

    session_id = UnicodeAttribute(hash_key=True)  # SHA-256 of the random cookie secret, never the secret
    username = UnicodeAttribute()
    session_version = NumberAttribute()
    created_at = UTCDateTimeAttribute()
    last_seen_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()


class LoginThrottleRecord(Model):
    """Failed sign-ins per username or per client address, and until when further tries must wait."""

    Meta = _meta("login_throttle")

    key = UnicodeAttribute(hash_key=True)  # "user:<username>" | "addr:<hashed address>"
    failures = NumberAttribute(default=0)
    locked_until = UTCDateTimeAttribute(null=True)
    last_failure_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute(null=True)


class AuditRecord(Model):
    """A durable audit trail: sign-ins, views of an anonymous reporter's identity, officer changes.

    One partition per kind and month, newest first by `at_id`; listing a month is one Query.
    """

    Meta = _meta("audit")

    stream = UnicodeAttribute(hash_key=True)  # "<kind>#YYYY-MM", e.g. "identity#2026-11", "signin#2026-11"
    at_id = UnicodeAttribute(range_key=True)  # "<ISO time>#<random id>"
    kind = UnicodeAttribute()
    actor = UnicodeAttribute()  # officer username
    case_id = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    detail = UnicodeAttribute(null=True)  # never personal data of citizens


class ReplyTemplateRecord(Model):
    """A reusable reply to citizens, per OPD."""

    Meta = _meta("reply_templates")

    agency_id = UnicodeAttribute(hash_key=True)
    template_id = UnicodeAttribute(range_key=True)
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    updated_by = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)


class SupportingAgencyStatusIndex(GlobalSecondaryIndex):
    """A supporting OPD's cases by status, newest first (its inbox besides the cases it leads)."""

    Meta = _index_meta("agency-status", AllProjection())
    agency_status = UnicodeAttribute(hash_key=True)
    received_at = UTCDateTimeAttribute(range_key=True)


class AgencyCaseRecord(Model):
    """A case as seen in the inbox of an OPD that supports it (the lead OPD reads the cases table's own index).

    Derived from the case by the sync job (deterministic key: agency + case), removed when the OPD no
    longer supports the case; carries the same summary fields as the work-list projections.
    """

    Meta = _meta("agency_cases")

    agency_id = UnicodeAttribute(hash_key=True)
    case_id = UnicodeAttribute(range_key=True)
    agency_status = UnicodeAttribute()
    received_at = UTCDateTimeAttribute()
    status = UnicodeAttribute()
    summary = UnicodeAttribute(null=True)
    category_id = UnicodeAttribute(null=True)
    tier = UnicodeAttribute(null=True)
    channel = UnicodeAttribute()
    lead_agency = UnicodeAttribute(null=True)
    assigned_officer = UnicodeAttribute(null=True)
    next_due_at = UTCDateTimeAttribute(null=True)
    due_kind = UnicodeAttribute(null=True)
    anonymous = BooleanAttribute(default=False)
    confidential = BooleanAttribute(default=False)
    version = NumberAttribute(default=0)

    by_agency_status = SupportingAgencyStatusIndex()


# ---------------------------------------------------------------- intake, outbox, aggregates

class PendingEventIndex(GlobalSecondaryIndex):
    """Inbound events persisted but not yet processed. Sparse: removed once done."""

    Meta = _index_meta("pending-events", KeysOnlyProjection())
    pending_shard = UnicodeAttribute(hash_key=True)
    received_at = UTCDateTimeAttribute(range_key=True)


class InboundEventRecord(Model):
    """One provider delivery, keyed by the channel-prefixed provider message id: the dedupe record."""

    Meta = _meta("inbound_events")

    event_key = UnicodeAttribute(hash_key=True)  # e.g. "line:01FZ74A0TDDPYRVKNK77XKC3ZR"
    channel = UnicodeAttribute()
    received_at = UTCDateTimeAttribute()
    payload = UnicodeAttribute()
    state = UnicodeAttribute(default="pending")  # pending | done | ignored
    case_id = UnicodeAttribute(null=True)
    pending_shard = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    claimed_until = UTCDateTimeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)

    pending = PendingEventIndex()


class DueOutboxIndex(GlobalSecondaryIndex):
    """Outbound messages waiting to be sent, by next attempt time. Sparse: removed when sent or failed."""

    Meta = _index_meta("due-outbox", KeysOnlyProjection())
    due_shard = UnicodeAttribute(hash_key=True)
    next_attempt_at = UTCDateTimeAttribute(range_key=True)


class FailedOutboxIndex(GlobalSecondaryIndex):
    """Messages that could not be delivered, newest first, for officers to see and retry. Sparse."""

    Meta = _index_meta("failed-outbox", IncludeProjection(
        ["channel", "recipient", "case_id", "purpose", "attempts", "last_error", "body"]))
    failed_shard = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class OutboxRecord(Model):
    """Every outbound message is an item first; the sender claims it with a conditional update."""

    Meta = _meta("outbox")

    message_id = UnicodeAttribute(hash_key=True)  # deterministic: "<case>#<seq>#<purpose>"
    channel = UnicodeAttribute()
    recipient = UnicodeAttribute()
    body = UnicodeAttribute()
    case_id = UnicodeAttribute(null=True)
    purpose = UnicodeAttribute(null=True)
    options = UnicodeAttribute(null=True)  # JSON: channel-specific sending options (reply token, route, ...)
    state = UnicodeAttribute(default="pending")  # pending | sending | sent | failed
    attempts = NumberAttribute(default=0)
    last_error = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    next_attempt_at = UTCDateTimeAttribute(null=True)
    due_shard = UnicodeAttribute(null=True)
    claimed_until = UTCDateTimeAttribute(null=True)
    sent_at = UTCDateTimeAttribute(null=True)
    failed_shard = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)  # a sent message is dropped by DynamoDB after SENT_RETENTION (UU PDP)

    due = DueOutboxIndex()
    failed = FailedOutboxIndex()


class FigureRecord(Model):
    """The city's figures: integer counters per (scope, period), and one ledger item per case.

    A figures item (``scope`` "city" | "agency:<id>" | "category:<id>" | "channel:<code>", ``period``
    "D2026-11-30" | "W2026-W48" | "M2026-11") holds counters named by `domain/figures.py`; they are not
    declared here (the store reads and writes them below the model). ``tk`` holds the tokens of the changes
    applied to it whose ledger has not yet finished, so a retried or concurrent change never adds twice.

    A ledger item (``scope`` "case#<id>", ``period`` "ledger") records what the case's figures currently
    hold (``applied``: the case version, its items and its counters) and the change in progress.
    """

    Meta = _meta("figures")

    scope = UnicodeAttribute(hash_key=True)
    period = UnicodeAttribute(range_key=True)
    # ledger items only
    applied = UnicodeAttribute(null=True)  # JSON {"version", "keys", "counters"}
    applied_version = NumberAttribute(null=True)  # the case version `applied` reflects
    pending = UnicodeAttribute(null=True)  # JSON of the change in progress
    token = UnicodeAttribute(null=True)  # the change in progress
    phase = UnicodeAttribute(null=True)  # apply | clean
    owner = UnicodeAttribute(null=True)  # the worker applying it
    claimed_at = UTCDateTimeAttribute(null=True)


class RateLimitRecord(Model):
    """A fixed-window counter (e.g. web submissions per client address per hour); expires by TTL."""

    Meta = _meta("rate_limits")

    key = UnicodeAttribute(hash_key=True)
    hits = NumberAttribute(null=True)
    expires_at = TTLAttribute(null=True)


class LinkCodeRecord(Model):
    """A one-time code an officer sends to the city's LINE account to link it for alerts; expires by TTL.

    `kind` "group" (`GRUP-…`, posted inside a LINE group): binds that group to `agency_id` for alerts;
    `username` is then the officer who asked for the code. Absent `kind`: a personal link code (`ADUAN-…`).
    """

    Meta = _meta("link_codes")

    code = UnicodeAttribute(hash_key=True)
    username = UnicodeAttribute()
    expires_at = TTLAttribute()
    used = BooleanAttribute(default=False)
    kind = UnicodeAttribute(null=True)
    agency_id = UnicodeAttribute(null=True)


class ChannelUsageRecord(Model):
    """Messages a channel sent in one month (WIB), by kind: LINE pushes count against the city's quota,
    replies do not. `floor_warned_at` is set once, when the admin is told the quota ran low."""

    Meta = _meta("channel_usage")

    key = UnicodeAttribute(hash_key=True)  # "<channel>#YYYY-MM"
    pushes = NumberAttribute(null=True)
    replies = NumberAttribute(null=True)
    floor_warned_at = UTCDateTimeAttribute(null=True)


class LineGroupIndex(GlobalSecondaryIndex):
    """The OPD(s) a LINE group is bound to: what LINE's `leave` event (which names only the group) unbinds."""

    Meta = _index_meta("by-group", KeysOnlyProjection())
    group_id = UnicodeAttribute(hash_key=True)


class LineGroupRecord(Model):
    """An OPD's LINE group: the city's account was invited into it and an officer bound it with a code.

    One item per OPD (`agency_id`); `group_id` is LINE's groupId. Removed when the account leaves the group
    (then the OPD's alerts go to its officers personally again).
    """

    Meta = _meta("line_groups")

    agency_id = UnicodeAttribute(hash_key=True)
    group_id = UnicodeAttribute()
    bound_by = UnicodeAttribute(null=True)
    bound_at = UTCDateTimeAttribute(null=True)
    alert_kinds = ListAttribute(of=UnicodeAttribute, null=True)  # None: every kind
    quiet_hours = UnicodeAttribute(null=True)  # "HH:MM-HH:MM" WIB; None: the city's

    by_group = LineGroupIndex()


class RatingRequestRecord(Model):
    """The case a citizen was last asked to rate, per person and channel: a bare "1"-"5" on that channel goes
    to this case, not to whichever case is newest. Written when the "beri nilai" message is queued; replaced
    by a later request, removed once the rating is given."""

    Meta = _meta("rating_requests")

    key = UnicodeAttribute(hash_key=True)  # "<reporter key>#<channel>"
    case_id = UnicodeAttribute()
    requested_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute(null=True)  # DynamoDB drops a request nobody answered (it is ignored after 14 days)


class CitySettingsRecord(Model):
    """A city's service levels (issue 11): the SLA mapping, the hold limit and the quiet hours, one item per
    city so the city file can set them; absent values keep the stage's environment defaults."""

    Meta = _meta("city_settings")

    city_code = UnicodeAttribute(hash_key=True)
    sla = UnicodeAttribute(null=True)  # JSON of `SlaPolicy.to_mapping()`: exact integers, validated on read
    hold_limit_days = NumberAttribute(null=True)  # working days a hold (DITUNDA) may reach ahead
    quiet_hours = UnicodeAttribute(null=True)  # "HH:MM-HH:MM" WIB; "-": none
    updated_at = UTCDateTimeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)


ALL_MODELS: tuple[type[Model], ...] = (
    CaseRecord,
    MessageRecord,
    AgencyRecord,
    CategoryRecord,
    CalendarDayRecord,
    OfficerRecord,
    InboundEventRecord,
    OutboxRecord,
    FigureRecord,
    RateLimitRecord,
    LinkCodeRecord,
    SessionRecord,
    LoginThrottleRecord,
    AuditRecord,
    ReplyTemplateRecord,
    AgencyCaseRecord,
    LineGroupRecord,
    ChannelUsageRecord,
    RatingRequestRecord,
    CitySettingsRecord,
)
