"""Keep derived data (the city's figures, the supporting OPDs' inbox rows, the notifications) in step with
the cases.

Each transition flags its case on a sparse index. On AWS the cases table's stream syncs a changed case
within seconds; locally the runner does it every few seconds; everywhere this job (every minute, safe to
run twice at once) catches what was missed. A sync moves the figures to the case's version exactly once
(`services/figures.py`), puts or removes the inbox rows of supporting OPDs, queues the case's messages,
then clears the flag only if the case has not changed meanwhile. Every step is idempotent, so a crash
anywhere is recovered by the next run.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.case import Case
from chalicelib.observability import logger
from chalicelib.services.context import Context
from chalicelib.services.figures import update_case_figures
from chalicelib.services.notify import queue_notifications


@dataclass(frozen=True)
class SyncReport:
    synced: int
    changed_meanwhile: int
    failed: int = 0  # cases whose sync failed (throttling, a time-out): still flagged, the next run retries


def sync_case(ctx: Context, case: Case) -> bool:
    """Bring the figures and the inbox rows of its supporting OPDs to one case, queue its messages; True if
    the pending flag was cleared."""
    figures_done = update_case_figures(ctx, case)  # exactly once per change, whoever else syncs the case
    rows = ctx.agency_cases
    rows.sync_supporting_rows(case)  # conditional on the case version: an older sync never wins
    queue_notifications(ctx, case)
    if not figures_done:
        return False  # another worker holds the case's figures change: the next run finishes it
    if ctx.cases.mark_synced(case.case_id, case.version):
        return True
    # The case moved on while we wrote. Its newer version is flagged, but if that version's sync already
    # ran (and cleared the flag) before our rows landed, a supporting row we re-put could linger: make the
    # rows follow the newest version now (single conditional writes; the newest version always wins).
    latest = ctx.cases.get(case.case_id)
    if latest is not None and latest.version > case.version:
        rows.sync_supporting_rows(latest)
    return False


def sync_flagged_cases(ctx: Context, case_ids: list[str]) -> SyncReport:
    """Sync those of the given cases still flagged (the cases table's stream, and locally the thread after each
    change: the flag's own removal is a change the stream reports too, and must not start another sync)."""
    return _sync(ctx, ctx.cases.flagged_for_sync(case_ids))


def sync_pending_cases(ctx: Context, limit: int = 200) -> SyncReport:
    """Sync every flagged case; one case's failure leaves it flagged for the next run and never stops the
    others (every step is idempotent, so a half-done sync is simply done again)."""
    return _sync(ctx, [case_id for case_id, _changed_at in ctx.cases.ids_pending_sync(limit)])


def _sync(ctx: Context, case_ids: list[str]) -> SyncReport:
    synced = changed = failed = 0
    for case_id in case_ids:
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
        logger.info("cases synced", extra={"synced": synced, "changed_meanwhile": changed, "failed": failed})
    return SyncReport(synced=synced, changed_meanwhile=changed, failed=failed)
