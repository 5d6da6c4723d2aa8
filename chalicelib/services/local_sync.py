"""Locally, a changed case's figures follow within a second: the stand-in for the cases table's stream.

On AWS the stream (`handlers/case_stream.py`) syncs a changed case within seconds; `make run` has no stream,
so the request that changed a case hands its id to one daemon thread here. A case the queue cannot take
stays flagged and the `sync_aggregates` job (every minute) syncs it, as on AWS.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from typing import TYPE_CHECKING

from chalicelib.observability import logger

if TYPE_CHECKING:
    from chalicelib.services.context import Context

QUEUE_SIZE = 1000
_queue: queue.Queue[tuple[Context, str]] | None = None
_lock = threading.Lock()


def sync_soon(ctx: Context, case_id: str) -> None:
    """Queue the case for the local sync thread (local runs only; never raises, never blocks)."""
    if ctx.settings.inbound_dispatch != "thread":
        return
    with contextlib.suppress(queue.Full):  # a case the queue cannot take stays flagged: the scheduled sync takes it
        _local_queue().put_nowait((ctx, case_id))


def wait_idle(timeout: float) -> bool:
    """True once every queued case has been synced (tests)."""
    if _queue is None:
        return True
    with _queue.all_tasks_done:
        return _queue.all_tasks_done.wait_for(lambda: _queue.unfinished_tasks == 0, timeout)


def _local_queue() -> queue.Queue:
    global _queue
    if _queue is None:
        with _lock:
            if _queue is None:
                _queue = queue.Queue(maxsize=QUEUE_SIZE)
                threading.Thread(target=_work, args=(_queue,), name="case-sync", daemon=True).start()
    return _queue


def _work(cases: queue.Queue) -> None:
    from chalicelib.services.sync import sync_flagged_cases

    while True:
        ctx, case_id = cases.get()
        try:
            sync_flagged_cases(ctx, [case_id])  # only if it still lags; logs and leaves it flagged on any failure
        except Exception as error:
            logger.warning("local case sync failed; the scheduled sync retries", extra={"error": type(error).__name__})
        finally:
            cases.task_done()
