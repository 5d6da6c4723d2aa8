"""Keep derived data (the dashboard aggregates, the supporting OPDs' inbox rows, the notifications) in step
with the cases.

Each transition flags its case on a sparse index; this job (scheduled every minute, and safe to run
twice at once) writes the case's latest state into the aggregates of the city and of every agency
involved, removes it from agencies no longer involved, puts or removes the inbox rows of supporting OPDs,
queues the case's messages, then clears the flag only if the case has not changed meanwhile. Every step is
idempotent, so a crash anywhere is recovered by the next run.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.calendar import WIB
from chalicelib.domain.case import Case
from chalicelib.observability import logger
from chalicelib.services.context import Context
from chalicelib.services.notify import queue_notifications
from chalicelib.store.aggregates import CITY_SCOPE, agency_scope


@dataclass(frozen=True)
class SyncReport:
    synced: int
    changed_meanwhile: int
    failed: int = 0  # cases whose sync failed (throttling, a time-out): still flagged, the next run retries


def aggregate_entry(case: Case) -> dict:
    """The few facts the dashboard needs about one case."""
    nxt = case.sla_due  # while on hold, the deadline it had already missed (a hold hides nothing)
    hours = None
    if case.closed_at is not None:
        hours = round((case.closed_at - case.received_at).total_seconds() / 3600, 2)
    return {
        "s": case.status.value,
        "lead": case.lead_agency,
        "ch": case.channel.value,
        "cat": case.category_id,
        "recv": case.received_at.isoformat(),
        "fu": case.followed_up_at.isoformat() if case.followed_up_at else None,
        "due": nxt.due_at.isoformat() if nxt else None,
        "fin": case.finish_by.due_at.isoformat() if case.finish_by else None,
        "closed": case.closed_at.isoformat() if case.closed_at else None,
        "hours": hours,
        "rating": case.rating,
        "pd": case.paused_calendar_days or None,  # calendar days spent on hold (DITUNDA), resumed holds
        "ro": case.reopen_count or None,  # reopened by an admin after a close
    }


def receipt_month(case: Case) -> str:
    return case.received_at.astimezone(WIB).strftime("%Y-%m")


def sync_case(ctx: Context, case: Case) -> bool:
    """Write one case into its aggregates and into the inbox rows of its supporting OPDs; True if the
    pending flag was cleared."""
    month = receipt_month(case)
    entry = aggregate_entry(case)
    involved = {a for a in (case.lead_agency, *case.supporting_agencies) if a}
    ever = {a for event in case.timeline for a in event.agencies}
    ctx.aggregates.put_case(CITY_SCOPE, month, case.case_id, entry)
    for agency in sorted(involved):
        ctx.aggregates.put_case(agency_scope(agency), month, case.case_id, entry)
    for agency in sorted(ever - involved):
        ctx.aggregates.remove_case(agency_scope(agency), month, case.case_id)
    rows = ctx.agency_cases
    rows.sync_supporting_rows(case)  # conditional on the case version: an older sync never wins
    queue_notifications(ctx, case)
    if ctx.cases.mark_synced(case.case_id, case.version):
        return True
    # The case moved on while we wrote. Its newer version is flagged, but if that version's sync already
    # ran (and cleared the flag) before our rows landed, a supporting row we re-put could linger: make the
    # rows follow the newest version now (single conditional writes; the newest version always wins).
    latest = ctx.cases.get(case.case_id)
    if latest is not None and latest.version > case.version:
        rows.sync_supporting_rows(latest)
    return False


def sync_pending_cases(ctx: Context, limit: int = 200) -> SyncReport:
    """Sync every flagged case; one case's failure leaves it flagged for the next run and never stops the
    others (every step is idempotent, so a half-done sync is simply done again)."""
    synced = changed = failed = 0
    for case_id, _changed_at in ctx.cases.ids_pending_sync(limit):
        try:
            case = ctx.cases.get(case_id)  # the index is eventually consistent; the case item is the truth
            if case is None:
                continue
            done = sync_case(ctx, case)
        except Exception:
            failed += 1
            logger.exception("syncing one case failed; the next run retries it", extra={"case_id": case_id})
            continue
        if done:
            synced += 1
        else:
            changed += 1  # flagged again by a newer transition: the next run syncs that version
    if synced or changed or failed:
        logger.info("aggregates synced", extra={"synced": synced, "changed_meanwhile": changed, "failed": failed})
    return SyncReport(synced=synced, changed_meanwhile=changed, failed=failed)
