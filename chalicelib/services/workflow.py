"""Officer workflow use cases: each reads the case once and writes it once (conditional on its version).

A use case: load the case (hiding it from officers of uninvolved agencies), refuse a stale version,
let the domain decide, then save with optimistic locking. Side effects that touch other items (the city's
figures) are derived later from the case by `sync_pending_cases`, so an action is two requests.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from chalicelib import metrics
from chalicelib.domain.case import (
    OFFICER_ENTRY_CHANNELS,
    Action,
    Actor,
    Case,
    Channel,
    Reporter,
    Role,
    Status,
)
from chalicelib.domain.errors import NotFound, NotPermitted, ValidationFailed, VersionConflict
from chalicelib.domain.lifecycle import ActionRequest, apply_action, may_act, new_case, record_merged_in, rule_for
from chalicelib.domain.routing import UnknownCategory, route_category
from chalicelib.domain.sla import Tier
from chalicelib.domain.tracking import new_tracking_number, normalize_tracking_number, tracking_key
from chalicelib.observability import logger
from chalicelib.services.context import Context
from chalicelib.store.cases import CaseIdTaken

MAX_ID_ATTEMPTS = 8
MAX_ENTRY_AGE_DAYS = 30  # a complaint entered later than this belongs in the archive, not the SLA figures
CHANNEL_CHOICE = "Kanal harus 'telepon', 'tatap_muka', 'surat' atau 'media_sosial'."
ENTRY_ROLES = frozenset({Role.ADMIN, Role.OPD, Role.SUPERVISOR})


# ---------------------------------------------------------------- reading


def can_see(case: Case, actor: Actor) -> bool:
    """Admins and leadership see every case; OPD officers and supervisors only their agencies' cases."""
    if actor.role in (Role.ADMIN, Role.LEADERSHIP, Role.SYSTEM):
        return True
    if actor.role in (Role.OPD, Role.SUPERVISOR):
        return case.involves(actor.agency_id)
    return False


def load_case(ctx: Context, actor: Actor, case_id: str) -> Case:
    """The case, or NotFound — also for a case the actor may not see (its existence is not revealed)."""
    canonical = normalize_tracking_number(case_id) or case_id.strip().upper()
    case = ctx.cases.get(canonical) if canonical else None  # never an empty key to DynamoDB
    if case is None or not can_see(case, actor):
        raise NotFound("Laporan tidak ditemukan.", case_id=case_id)
    return case


# ---------------------------------------------------------------- creating


def create_case_from_entry(
    ctx: Context,
    actor: Actor,
    *,
    channel: str,
    description: str,
    idempotency_key: str,
    reporter: Reporter | None = None,
    title: str = "",
    location: str = "",
    anonymous: bool = False,
    confidential: bool = False,
    category_id: str | None = None,
    received_at: datetime | None = None,
) -> Case:
    """An officer records a complaint received by phone, face to face or by letter.

    The tracking number derives from the idempotency key, so a retried submission returns the case
    the first one created instead of a duplicate. `received_at` is when the complaint reached the city
    (a letter may be entered days later): the deadlines count from that day, never from the typing.
    """
    if actor.role not in ENTRY_ROLES:
        raise NotPermitted("Peran Anda tidak dapat mencatat laporan baru.")
    try:
        entry_channel = Channel(channel)
    except ValueError:
        raise ValidationFailed(CHANNEL_CHOICE, field="channel") from None
    if entry_channel not in OFFICER_ENTRY_CHANNELS:
        raise ValidationFailed(CHANNEL_CHOICE, field="channel")
    now = ctx.now()
    if received_at is not None:
        if received_at > now + timedelta(minutes=5):
            raise ValidationFailed("Tanggal diterima tidak boleh di masa depan.", field="received_at")
        if received_at < now - timedelta(days=MAX_ENTRY_AGE_DAYS):
            raise ValidationFailed(
                f"Tanggal diterima paling lama {MAX_ENTRY_AGE_DAYS} hari yang lalu.", field="received_at"
            )
    if not idempotency_key or len(idempotency_key) > 200:
        raise ValidationFailed("Idempotency-Key wajib diisi (paling panjang 200 karakter).", field="idempotency_key")
    if category_id and category_id not in ctx.categories:
        raise ValidationFailed("Kategori tidak dikenal.", field="category_id")
    return open_case(
        ctx,
        actor,
        channel=entry_channel,
        description=description,
        source_key=f"entry:{actor.actor_id}:{idempotency_key}",
        reporter=reporter or Reporter(),
        title=title.strip()[:200],
        location=location.strip()[:500],
        anonymous=anonymous,
        confidential=confidential,
        category_id=category_id,
        received_at=received_at,
    )


def open_case(
    ctx: Context,
    actor: Actor,
    *,
    channel: Channel,
    description: str,
    source_key: str,
    received_at: datetime | None = None,
    **fields,
) -> Case:
    """Create a BARU case keyed deterministically from `source_key`; a replay returns the existing case."""
    now = ctx.now()
    received = received_at or now
    key = tracking_key(ctx.settings.session_secret)  # numbers nobody can derive from a predictable source key
    for attempt in range(MAX_ID_ATTEMPTS):
        case_id = new_tracking_number(ctx.settings.city_code, now, source_key.encode(), attempt, key=key)
        case = new_case(
            case_id=case_id,
            city_code=ctx.settings.city_code,
            channel=channel,
            description=description,
            received_at=received,
            actor=actor,
            calendar=ctx.calendar,
            policy=ctx.policy,
            escalation=ctx.escalation,
            source_key=source_key,
            **fields,
        )
        try:
            ctx.cases.add(case)
        except CaseIdTaken as taken:
            if taken.existing_source_key == source_key:
                existing = ctx.cases.get(case_id)
                if existing is not None:
                    return existing
            continue  # a different complaint holds this number: derive the next one
        logger.info("case created", extra={"case_id": case_id, "channel": channel.value})
        metrics.count_complaint(channel.value)  # a new case only: a replay returned above
        return case
    raise RuntimeError("could not allocate a tracking number")  # 8 collisions: the id space is exhausted


# ---------------------------------------------------------------- acting


def act_on_case(ctx: Context, actor: Actor, case_id: str, expected_version: int | None, request: ActionRequest) -> Case:
    """Apply one action: read, check the version the actor saw, decide, conditional write."""
    return decide_and_save(ctx, actor, load_case(ctx, actor, case_id), expected_version, request)


def decide_and_save(
    ctx: Context, actor: Actor, case: Case, expected_version: int | None, request: ActionRequest
) -> Case:
    _check_version(case, expected_version)
    updated = apply_action(case, request, actor, ctx.now(), ctx.calendar, ctx.policy, ctx.escalation)
    ctx.cases.save(updated)
    logger.info(
        "case action",
        extra={
            "case_id": case.case_id,
            "action": request.action.value,
            "role": actor.role.value,
            "from": case.status.value,
            "to": updated.status.value,
            "version": updated.version,
        },
    )
    return updated


def forward_case(
    ctx: Context,
    actor: Actor,
    case_id: str,
    version: int | None,
    *,
    lead_agency: str | None = None,
    supporting_agencies: tuple[str, ...] = (),
    category_id: str | None = None,
    tier: str | None = None,
    note: str = "",
) -> Case:
    """Verify a new complaint and forward it (*disposisi*) to a lead OPD and optional supporting OPDs.

    Without an explicit lead OPD the category's routing decides.
    """
    _check_category(ctx, category_id)
    if not lead_agency and category_id:
        try:
            lead_agency = route_category(category_id, ctx.categories)
        except UnknownCategory:
            raise ValidationFailed("Kategori tidak dikenal.", field="category_id") from None
    _check_agencies(ctx, lead_agency, supporting_agencies)
    chosen_tier = _tier(tier) or (
        _tier(ctx.categories[category_id].default_tier) if category_id else None
    )
    request = ActionRequest(
        Action.FORWARD,
        note=note,
        lead_agency=lead_agency,
        supporting_agencies=tuple(supporting_agencies),
        category_id=category_id,
        tier=chosen_tier,
    )
    return act_on_case(ctx, actor, case_id, version, request)


def redispose_case(
    ctx: Context,
    actor: Actor,
    case_id: str,
    version: int | None,
    *,
    lead_agency: str | None = None,
    supporting_agencies: tuple[str, ...] = (),
    category_id: str | None = None,
    note: str = "",
) -> Case:
    """The admin koordinator changes the disposition of a forwarded case: another lead OPD (whose follow-up
    clock starts today; the case waits for its follow-up again) and/or supporting OPDs added or removed
    (an added one gets its own contribution deadline from today). The note goes on the timeline."""
    _check_category(ctx, category_id)
    _check_agencies(ctx, lead_agency, supporting_agencies)
    request = ActionRequest(Action.REDISPOSE, note=note, lead_agency=lead_agency,
                            supporting_agencies=tuple(supporting_agencies), category_id=category_id)
    return act_on_case(ctx, actor, case_id, version, request)


def withdraw_case(ctx: Context, actor: Actor, case_id: str, version: int | None, *, note: str) -> Case:
    """The admin koordinator takes a forwarded case back (BARU) to verify and forward it again; the OPDs
    that had it are told, and it leaves their work lists."""
    return act_on_case(ctx, actor, case_id, version, ActionRequest(Action.WITHDRAW, note=note))


def contribute_to_case(
    ctx: Context, actor: Actor, case_id: str, version: int | None, *, note: str, public: bool = True
) -> Case:
    """A supporting OPD records its contribution: it meets that OPD's own deadline and tells the lead OPD,
    but it is not the lead's follow-up (the case's state and clock do not move)."""
    return act_on_case(ctx, actor, case_id, version, ActionRequest(Action.CONTRIBUTE, note=note, public=public))


def hold_case(
    ctx: Context, actor: Actor, case_id: str, version: int | None, *, note: str, until: str | date | None = None
) -> Case:
    """Put the case on hold until a date (YYYY-MM-DD, WIB) while waiting for the citizen's details.

    The clock pauses; on the day after `until` the escalation job resumes it by itself and tells the admin
    koordinator. A case already overdue when held resumes with the same missed deadline and rung.
    """
    request = ActionRequest(
        Action.HOLD, note=note, hold_until=_date(until, "until"),
        max_hold_working_days=ctx.settings.max_hold_working_days,
    )
    return act_on_case(ctx, actor, case_id, version, request)


def resume_case(ctx: Context, actor: Actor, case_id: str, version: int | None, *, note: str = "") -> Case:
    """Take the case off hold; the SLA clock continues with the working days it had left."""
    return act_on_case(ctx, actor, case_id, version, ActionRequest(Action.RESUME, note=note))


def reject_case(ctx: Context, actor: Actor, case_id: str, version: int | None, *, note: str) -> Case:
    """Close as *bukan wewenang*: not the city's authority (the note tells the citizen where to go)."""
    return act_on_case(ctx, actor, case_id, version, ActionRequest(Action.REJECT, note=note))


def archive_case(ctx: Context, actor: Actor, case_id: str, version: int | None, *, note: str) -> Case:
    """Archive spam, too-general or irrelevant reports."""
    return act_on_case(ctx, actor, case_id, version, ActionRequest(Action.ARCHIVE, note=note))


def return_case(ctx: Context, actor: Actor, case_id: str, version: int | None, *, note: str) -> Case:
    """An OPD hands a case back to the admin koordinator for re-routing (not its authority)."""
    return act_on_case(ctx, actor, case_id, version, ActionRequest(Action.RETURN, note=note))


def assign_case(
    ctx: Context, actor: Actor, case_id: str, version: int | None, *, officer: str, note: str = ""
) -> Case:
    """A supervisor (or the admin) names the officer who handles the case within the lead OPD."""
    case = load_case(ctx, actor, case_id)
    staff = {o.username: o for o in ctx.officers_of(case.lead_agency)} if case.lead_agency else {}
    chosen = staff.get((officer or "").strip().lower())
    if chosen is None or not chosen.active:
        raise ValidationFailed("Petugas tidak ditemukan di OPD penanggung jawab.", field="officer")
    request = ActionRequest(Action.ASSIGN, note=note, assigned_officer=chosen.username)
    return decide_and_save(ctx, actor, case, version, request)


def record_follow_up(
    ctx: Context, actor: Actor, case_id: str, version: int | None, *, note: str, public: bool = True
) -> Case:
    """The OPD records its follow-up (*tindak lanjut*); the auto-close clock starts."""
    return act_on_case(ctx, actor, case_id, version, ActionRequest(Action.FOLLOW_UP, note=note, public=public))


def close_case(ctx: Context, actor: Actor, case_id: str, version: int | None, *, note: str = "") -> Case:
    """Mark a followed-up case as done (SELESAI) with a note the citizen sees (what was done).

    An OPD may not close inside the citizen's reply window after the follow-up; the admin koordinator may.
    """
    return act_on_case(ctx, actor, case_id, version, ActionRequest(Action.CLOSE, note=note))


def reopen_case(ctx: Context, actor: Actor, case_id: str, version: int | None, *, note: str = "") -> Case:
    """Back to work: a followed-up case the citizen disputes, or (admin, with a reason) a closed decision —
    SELESAI, BUKAN_WEWENANG, DIARSIPKAN or DIGABUNG — undone with fresh deadlines."""
    return act_on_case(ctx, actor, case_id, version, ActionRequest(Action.REOPEN, note=note))


MERGE_TARGET_INVALID = "Laporan tujuan tidak ditemukan atau sudah ditutup."
MERGE_TARGET_ATTEMPTS = 3


def merge_case(
    ctx: Context, actor: Actor, case_id: str, version: int | None, *, into: str, note: str = ""
) -> Case:
    """Merge a duplicate into an open case; the duplicate closes as DIGABUNG pointing at the target, and the
    target records it (a MERGED_IN event keyed by the duplicate's number).

    Three DynamoDB requests: one batched consistent read, the source's conditional put, then the target's.
    A retry after the first write finds the source already merged into that target and only completes the
    target's event (never twice). An unknown target and one this officer may not see fail alike.
    """
    target_id = normalize_tracking_number(into or "") or (into or "").strip().upper()
    source_id = normalize_tracking_number(case_id) or case_id.strip().upper()
    if not source_id:
        raise NotFound("Laporan tidak ditemukan.", case_id=case_id)
    if not target_id:  # before any read: the answer says nothing about which cases exist
        raise ValidationFailed("Sebutkan nomor laporan tujuan penggabungan.", field="merge_into")
    found = ctx.cases.get_many([source_id, target_id])  # one batched, consistent read
    source, target = found.get(source_id), found.get(target_id)
    if source is None or not can_see(source, actor):
        raise NotFound("Laporan tidak ditemukan.", case_id=case_id)
    if actor.role is Role.ADMIN and source.status is Status.DIGABUNG and source.merged_into == target_id \
            and target is not None and source.timeline and source.timeline[-1].action is Action.MERGE:
        _record_merged_in(ctx, actor, target, source, source.timeline[-1].note)  # a retry: finish the job
        return source
    # permission and state first: what an officer learns must not depend on the target
    rule = rule_for(source, Action.MERGE)
    if not may_act(source, rule, actor):
        raise NotPermitted(f"Peran {actor.role.label} tidak berwenang melakukan '{Action.MERGE.label}'.")
    if target is None or not can_see(target, actor) or not target.is_open or target_id == source_id:
        raise ValidationFailed(MERGE_TARGET_INVALID, field="merge_into")
    merged = decide_and_save(ctx, actor, source, version, ActionRequest(Action.MERGE, note=note, merge_into=target_id))
    _record_merged_in(ctx, actor, target, merged, merged.timeline[-1].note)
    return merged


def _record_merged_in(ctx: Context, actor: Actor, target: Case, source: Case, note: str) -> None:
    """The target's event, as a second single-item write conditioned on the target's version (re-read and
    retried if an officer changed it meanwhile)."""
    for _ in range(MERGE_TARGET_ATTEMPTS):
        updated = record_merged_in(target, source.case_id, actor, ctx.now(), note)
        if updated is None:
            return  # already recorded
        try:
            ctx.cases.save(updated)
            return
        except VersionConflict:
            fresh = ctx.cases.get(target.case_id)
            if fresh is None:
                return
            target = fresh
    logger.warning("merge: target event not recorded", extra={"case_id": source.case_id, "target": target.case_id})


def _check_category(ctx: Context, category_id: str | None) -> None:
    if category_id is not None and category_id not in ctx.categories:
        raise ValidationFailed("Kategori tidak dikenal.", field="category_id")


def _check_agencies(ctx: Context, lead: str | None, supporting: tuple[str, ...]) -> None:
    for agency in (lead, *supporting):
        if agency and (agency not in ctx.agencies or not ctx.agencies[agency].active):
            field = "lead_agency" if agency == lead else "supporting_agencies"
            raise ValidationFailed(f"OPD '{agency}' tidak dikenal atau tidak aktif.", field=field)


def _check_version(case: Case, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != case.version:
        raise VersionConflict(
            "Laporan ini sudah diubah sejak Anda membukanya. Muat ulang lalu coba lagi.",
            case_id=case.case_id,
            expected=expected_version,
            current=case.version,
        )


def _date(value: str | date | None, field: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed("Tanggal harus berformat YYYY-MM-DD.", field=field) from None


def _tier(value: str | None) -> Tier | None:
    if not value:
        return None
    try:
        return Tier(value)
    except ValueError:
        raise ValidationFailed("Tingkat prioritas tidak dikenal.", field="tier") from None


ACTIONS = {
    Action.FORWARD: forward_case,
    Action.HOLD: hold_case,
    Action.RESUME: resume_case,
    Action.REJECT: reject_case,
    Action.ARCHIVE: archive_case,
    Action.RETURN: return_case,
    Action.ASSIGN: assign_case,
    Action.FOLLOW_UP: record_follow_up,
    Action.CLOSE: close_case,
    Action.REOPEN: reopen_case,
    Action.MERGE: merge_case,
    Action.CONTRIBUTE: contribute_to_case,
    Action.WITHDRAW: withdraw_case,
    Action.REDISPOSE: redispose_case,
}


def list_cases(
    ctx: Context,
    actor: Actor,
    *,
    status: str | None,
    agency: str | None = None,
    limit: int = 50,
    cursor: dict | None = None,
):
    """A work list: the admin's queue by status (or one agency's), an OPD's own cases only."""
    try:
        wanted = Status(status or ("BARU" if actor.role is Role.ADMIN else "TERVERIFIKASI"))
    except ValueError:
        raise ValidationFailed("Status tidak dikenal.", field="status") from None
    if actor.role in (Role.OPD, Role.SUPERVISOR):
        if agency not in (None, actor.agency_id):
            raise NotPermitted("Anda hanya dapat melihat laporan OPD Anda sendiri.")
        agency = actor.agency_id
    elif actor.role not in (Role.ADMIN, Role.LEADERSHIP):
        raise NotPermitted("Daftar laporan hanya untuk petugas.")
    limit = min(max(limit, 1), 100)
    if agency:
        return ctx.cases.list_by_agency_status(agency, wanted, limit, cursor)
    return ctx.cases.list_by_status(wanted, limit, cursor)
