"""The local worker queue behind `inbound_dispatch == "thread"` (issue 10, "a burst on the local stack"): acks never
wait behind processing, the queue is bounded, what does not fit is left to the sweeper, and one failing event
does not stop a worker."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
import time
import uuid

import pytest

from chalicelib.services import intake, webhooks
from chalicelib.services.webhooks import LocalDispatcher

WAIT = 10.0


class Gate:
    """A stand-in for `process_event` that holds the first event until released, recording every call."""

    def __init__(self, then=None) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.seen: list[str] = []
        self.by_workers: list[str] = []  # the sweeper calls `process_event` too, from the test's own thread
        self.then = then

    def __call__(self, ctx, key: str):
        self.seen.append(key)
        if threading.current_thread().name.startswith("intake-"):
            self.by_workers.append(key)
        if len(self.seen) == 1:
            self.started.set()
            assert self.release.wait(WAIT)
        if key.startswith("bad"):
            raise RuntimeError("boom")
        return self.then(ctx, key) if self.then else None


@pytest.fixture
def dispatcher():
    made: list[LocalDispatcher] = []

    def make(workers: int = 1, size: int = 2) -> LocalDispatcher:
        made.append(LocalDispatcher(workers=workers, size=size))
        return made[-1]

    yield make
    for d in made:  # no worker may outlive its test while still holding events
        assert d.wait_idle(WAIT)


def test_no_worker_starts_until_the_first_event(dispatcher) -> None:
    d = dispatcher(workers=2)

    assert d._threads == []


def test_importing_the_module_starts_nothing() -> None:
    code = ("import threading, chalicelib.services.webhooks as w; "
            "assert w._dispatcher is None and threading.active_count() == 1")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_the_queue_is_bounded_and_submitting_never_blocks(dispatcher, monkeypatch) -> None:
    gate = Gate()
    monkeypatch.setattr(intake, "process_event", gate)
    d = dispatcher(workers=1, size=2)
    assert d.submit(None, ["held"]) == 0
    assert gate.started.wait(WAIT)  # the one worker is busy with "held"

    started = time.perf_counter()
    overflow = d.submit(None, ["q1", "q2", "over1", "over2"])
    elapsed = time.perf_counter() - started

    assert overflow == 2 and d.queue.qsize() == 2 and elapsed < 0.5
    gate.release.set()
    assert d.wait_idle(WAIT)
    assert gate.seen == ["held", "q1", "q2"]  # the overflow is the sweeper's


def test_a_worker_survives_an_event_that_fails(dispatcher, monkeypatch) -> None:
    gate = Gate()
    gate.release.set()
    monkeypatch.setattr(intake, "process_event", gate)
    d = dispatcher(workers=1, size=10)

    d.submit(None, ["first", "bad-1", "after-1"])
    assert d.wait_idle(WAIT)
    d.submit(None, ["bad-2", "after-2"])
    assert d.wait_idle(WAIT)

    assert gate.seen == ["first", "bad-1", "after-1", "bad-2", "after-2"]
    assert len(d._threads) == 1 and d._threads[0].is_alive()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_dead_worker_is_replaced_on_the_next_submit(dispatcher, monkeypatch) -> None:
    seen: list[str] = []

    def process(ctx, key):
        seen.append(key)
        if key == "fatal":
            raise SystemExit  # not an Exception: ends the thread
    monkeypatch.setattr(intake, "process_event", process)
    d = dispatcher(workers=1, size=10)
    d.submit(None, ["fatal"])
    first = d._threads[0]
    first.join(WAIT)

    d.submit(None, ["next"])

    assert d.wait_idle(WAIT) and seen == ["fatal", "next"]
    assert d._threads[0] is not first and d._threads[0].is_alive()


def test_stream_dispatch_queues_nothing(ctx, monkeypatch) -> None:
    monkeypatch.setattr(webhooks, "_dispatcher", None)
    stream = dataclasses.replace(ctx, settings=dataclasses.replace(ctx.settings, inbound_dispatch="stream"))

    webhooks.dispatch(stream, ["line:x"])

    assert webhooks._dispatcher is None


def test_acks_do_not_wait_and_a_full_queue_falls_back_to_the_sweeper(api, intake_ctx, dispatcher, monkeypatch):
    """Three LINE complaints while the one worker is stuck and the queue holds one: every ack is immediate; the
    sweeper finishes what the worker could not, and the worker, once free, opens no second case."""
    from tests.unit.test_webhooks import line_body, line_headers

    gate = Gate(then=intake.process_event)
    monkeypatch.setattr(intake, "process_event", gate)
    d = dispatcher(workers=1, size=1)
    monkeypatch.setattr(webhooks, "_dispatcher", d)
    local = dataclasses.replace(intake_ctx, settings=dataclasses.replace(intake_ctx.settings,
                                                                         inbound_dispatch="thread"))
    monkeypatch.setattr(webhooks, "get_context", lambda: local)
    ids = ["01" + uuid.uuid4().hex[:24].upper() for _ in range(3)]
    keys = [f"line:{i}" for i in ids]

    for n, event_id in enumerate(ids):
        body = line_body(text=f"Jalan berlubang nomor {n} di Jl. Dhoho", event_id=event_id)
        started = time.perf_counter()
        response = api.http.post("/webhooks/line", headers=line_headers(body), body=body)
        assert response.status_code == 200 and response.json_body["new"] == 1
        assert time.perf_counter() - started < 2.0  # LINE's limit, while processing is stuck
        if n == 0:
            assert gate.started.wait(WAIT)
    assert d.queue.qsize() == 1
    assert all(local.events.get(k).state == "pending" for k in keys)

    local.clock.advance(seconds=local.settings.sweep_grace_seconds + 1)
    swept = intake.sweep_pending_events(local)
    gate.release.set()
    assert d.wait_idle(WAIT)

    assert swept["processed"] >= 3  # all three (and any older leftovers), even the one the stuck worker holds
    records = [local.events.get(k) for k in keys]
    assert [r.state for r in records] == ["done"] * 3
    assert len({r.case_id for r in records}) == 3 and all(local.cases.get(r.case_id) for r in records)
    assert gate.by_workers == keys[:2]  # the third never reached a worker: only the sweeper had it
