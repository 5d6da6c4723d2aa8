"""Keep the city's figures in step with a case: each change counted exactly once.

A case's ledger item records what the figures hold of it (the case version, its items, its counters). To
move the figures to a newer version, a worker:

1. *starts* the change on the ledger (conditional: the ledger still holds the version it read and no other
   change is in progress), which makes it the change's owner;
2. *adds* the difference to every item it touches, each write with the change's token and only if the item
   does not hold that token yet, so a write repeated by a retry, a crash-and-rerun or a second worker adds
   once;
3. *commits* on the ledger (conditional: it is still the owner), then removes the token from the items and
   *finishes* the ledger.

A crash at any point leaves a change in progress that the next sync of the case finishes before anything
else (roll forward: never a second, overlapping change). A worker writes items only within `LEASE` of its
claim; another takes over an unfinished change only after `TAKEOVER_AFTER`, when the first can no longer
write, so the token is never removed while someone may still add it. Stale, repeated or out-of-order syncs
of an older version find the ledger at or past it and change nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from chalicelib.domain.case import Case
from chalicelib.domain.figures import case_counters, figure_keys, item_deltas
from chalicelib.observability import logger
from chalicelib.services.context import Context
from chalicelib.store.figures import Change, Contribution, Ledger

# A worker stops adding a change's deltas this long after its claim (a request in flight is done well within
# the margin: 2 s to connect, 5 s to read, 3 tries); another worker may take over only after TAKEOVER_AFTER.
LEASE = timedelta(seconds=120)
TAKEOVER_AFTER = timedelta(seconds=300)


def change_token(case_id: str, before: int, after: int) -> str:
    return f"{case_id}@{before}>{after}"


def update_case_figures(ctx: Context, case: Case) -> bool:
    """Bring the figures to `case` (or leave them at a newer version); True when they reflect it or newer.

    False means another worker holds the case's change right now, or this one ran out of its lease: the
    case stays flagged and the next sync finishes the job.
    """
    repo = ctx.figures
    owner = uuid.uuid4().hex
    ledger = repo.ledger(case.case_id)
    if ledger.change is not None:
        if not _finish_unfinished(ctx, ledger, owner):
            return False
        ledger = repo.ledger(case.case_id)
        if ledger.change is not None:
            return False
    if ledger.applied.version >= case.version:
        return True  # a repeated, stale or out-of-order sync: the figures already hold this or newer
    after = Contribution(case.version, figure_keys(case), case_counters(case, ctx.calendar, ctx.policy))
    change = Change(change_token(case.case_id, ledger.applied.version, case.version), ledger.applied, after)
    claimed_at = ctx.now()
    if not repo.start_change(case.case_id, change, owner, claimed_at):
        # another worker started a change of this case first: done if it already brought the figures here
        return repo.ledger(case.case_id).applied.version >= case.version
    return _apply(ctx, case.case_id, change, owner, claimed_at)


def _finish_unfinished(ctx: Context, ledger: Ledger, owner: str) -> bool:
    assert ledger.change is not None
    if ledger.phase == "clean":
        _clean(ctx, ledger.case_id, ledger.change, _deltas(ledger.change))  # committed: only the tokens are left
        return True
    now = ctx.now()
    if ledger.claimed_at is not None and now - ledger.claimed_at < TAKEOVER_AFTER:
        return False  # its owner may still be writing
    if not ctx.figures.take_over(ledger.case_id, ledger.change.token, ledger.owner, ledger.claimed_at, owner, now):
        return False
    logger.info("taking over an unfinished figures change", extra={"case_id": ledger.case_id})
    return _apply(ctx, ledger.case_id, ledger.change, owner, now)


def _deltas(change: Change) -> dict:
    before, after = change.before, change.after
    return item_deltas(before.keys, before.counters, after.keys, after.counters)


def _apply(ctx: Context, case_id: str, change: Change, owner: str, claimed_at: datetime) -> bool:
    repo = ctx.figures
    deltas = _deltas(change)
    for key, delta in deltas.items():
        if ctx.now() - claimed_at >= LEASE:
            logger.warning("figures change ran out of its lease; the next sync takes it over",
                           extra={"case_id": case_id})
            return False
        repo.add_to_item(key, delta, change.token)
    if not repo.commit_change(case_id, change, owner):
        return False  # taken over meanwhile: the new owner commits
    _clean(ctx, case_id, change, deltas)
    return True


def _clean(ctx: Context, case_id: str, change: Change, deltas: dict) -> None:
    """Remove the change's token from the items it touched (idempotent), then finish the ledger."""
    for key in deltas:
        ctx.figures.forget_token(key, change.token)
    ctx.figures.finish_change(case_id, change.token)


def read_counters(ctx: Context, scopes: list[str], periods: list[str]) -> dict[str, dict[str, int]]:
    """The counters of each scope summed over `periods` (whose days must not overlap, e.g. from
    `periods_covering`): one BatchGetItem per 100 items, whatever the number of cases."""
    items = ctx.figures.read_items([(scope, period) for scope in scopes for period in periods])
    totals: dict[str, dict[str, int]] = {scope: {} for scope in scopes}
    for (scope, _period), counters in items.items():
        total = totals[scope]
        for name, value in counters.items():
            total[name] = total.get(name, 0) + value
    return totals
