"""The service's metrics, by intent: services call `count_complaint(channel)`, `count_signature_failure(...)`, ...

Each call adds to this process's buffer (thread-safe, nothing written yet); `flush()` turns the buffer into
CloudWatch Embedded Metric Format documents through Powertools' EMF provider (namespace `Aduan`, dimension
`stage`) and prints them on stdout, where Lambda's log stream hands them to CloudWatch. Every function flushes at
the end of its invocation (`chalicelib.observability.observe`, the app-wide middleware), so a metric is emitted
once per event. Counts are summed per flush, so a process that never flushes (a script, the bench, a unit test
calling services directly) holds a handful of numbers, never a growing list.

`POWERTOOLS_METRICS_DISABLED=true` (the local stage) keeps stdout clean; `capture()` collects the documents
instead, disabled or not (tests). Powertools itself is imported only at the first flush: `import app` stays
light (bench/bench_import.py).

A counted metric carries the stage and, where it has one, a breakdown dimension: `complaints` by `channel`,
`escalations` by `rung`, `messages_*` by `kind` (`alert`: to an officer; `reply`: to a citizen), and also the
stage alone (an EMF roll-up of the same value), which the alarms and the dashboard's totals read.
Names here are the ones `infra/render.py` puts in the alarms and the dashboard (`tests/unit/test_infra.py`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

NAMESPACE = "Aduan"

COMPLAINTS = "complaints"  # a case created, by channel
SIGNATURE_FAILURES = "signature_failures"  # a webhook whose signature did not verify, by channel
DUPLICATES_DROPPED = "duplicates_dropped"  # a redelivered inbound event already recorded, by channel
ESCALATIONS = "escalations"  # one rung climbed, by rung
MESSAGES_SENT = "messages_sent"  # an outbox message the provider accepted, by kind
MESSAGES_RETRIED = "messages_retried"  # an attempt that failed for now and is rescheduled, by kind
MESSAGES_FAILED = "messages_failed"  # a message given up (permanent error or last attempt), by kind
JOB_DURATION = "job_duration"  # milliseconds of one scheduled job run, by job
OLDEST_INBOUND_AGE = "oldest_inbound_event_age"  # seconds: the oldest inbound event still pending (sweeper)

# name -> (unit, the breakdown dimension or None, whether the stage alone is emitted too, counted or sampled)
METRICS: dict[str, tuple[str, str | None, bool, bool]] = {
    COMPLAINTS: ("Count", "channel", True, True),
    SIGNATURE_FAILURES: ("Count", "channel", True, True),
    DUPLICATES_DROPPED: ("Count", "channel", True, True),
    ESCALATIONS: ("Count", "rung", True, True),
    MESSAGES_SENT: ("Count", "kind", True, True),
    MESSAGES_RETRIED: ("Count", "kind", True, True),
    MESSAGES_FAILED: ("Count", "kind", True, True),
    JOB_DURATION: ("Milliseconds", "job", False, False),
    OLDEST_INBOUND_AGE: ("Seconds", None, False, False),
}
MESSAGE_OUTCOMES = {"sent": MESSAGES_SENT, "retried": MESSAGES_RETRIED, "failed": MESSAGES_FAILED}
MAX_SAMPLES = 50  # per metric and flush (EMF takes at most 100 values per metric)
CITIZEN_MESSAGE_PREFIXES = ("reply:", "update:")  # outbox ids of messages to a citizen (the rest: officers)

_lock = threading.Lock()
_counts: dict[tuple[str, str | None], float] = {}  # (metric, breakdown value) -> sum since the last flush
_samples: dict[tuple[str, str | None], list[float]] = {}  # (metric, breakdown value) -> values since the last flush
_captures: list[list[dict]] = []


# ---------------------------------------------------------------- what services call


def count_complaint(channel: str) -> None:
    """A new case (not a replay of one already created), by the channel it came in on."""
    _count(COMPLAINTS, channel)


def count_signature_failure(channel: str) -> None:
    """A webhook delivery refused because its signature did not verify."""
    _count(SIGNATURE_FAILURES, channel)


def count_duplicate(channel: str) -> None:
    """A delivered event dropped because it was recorded before (a provider's redelivery)."""
    _count(DUPLICATES_DROPPED, channel)


def count_escalation(rung: str) -> None:
    """One escalation step taken, by the rung it reached (officer, supervisor, admin, leadership)."""
    _count(ESCALATIONS, rung)


def count_message(outcome: str, message_id: str) -> None:
    """An outbox send attempt's outcome (`sent`, `retried`, `failed`), as an alert (to an officer) or a reply
    (to a citizen), told apart by the message's id."""
    _count(MESSAGE_OUTCOMES[outcome], message_kind(message_id))


def record_job_duration(job: str, milliseconds: float) -> None:
    """How long one run of a scheduled job took."""
    _sample(JOB_DURATION, job, milliseconds)


def record_oldest_inbound_age(seconds: float) -> None:
    """The age of the oldest inbound event still waiting to be processed (0 when none is past the sweeper's
    grace period)."""
    _sample(OLDEST_INBOUND_AGE, None, max(float(seconds), 0.0))


def message_kind(message_id: str) -> str:
    """`reply` for what goes to a citizen (replies, case updates, an officer's reply), else `alert`."""
    if message_id.startswith(CITIZEN_MESSAGE_PREFIXES) or ":reply:" in message_id:
        return "reply"
    return "alert"


# ---------------------------------------------------------------- buffer and flush


def _count(name: str, value: str | None) -> None:
    with _lock:
        key = (name, value or "unknown")
        _counts[key] = _counts.get(key, 0.0) + 1.0


def _sample(name: str, value: str | None, number: float) -> None:
    with _lock:
        samples = _samples.setdefault((name, value), [])
        if len(samples) < MAX_SAMPLES:
            samples.append(float(number))


def flush() -> list[dict]:
    """Emit what was recorded since the last flush as EMF documents (stdout, or the active capture); returns
    them. Never raises: a metric is never worth a failed invocation."""
    with _lock:
        counts, samples = dict(_counts), {k: list(v) for k, v in _samples.items()}
        _counts.clear()
        _samples.clear()
        captures = list(_captures)
    if not counts and not samples:
        return []
    try:
        documents = _documents(counts, samples)
    except Exception:  # an invalid name or value: say so, drop these numbers, carry on
        from chalicelib.observability import logger

        logger.warning("metrics not emitted", exc_info=True)
        return []
    if captures:
        for captured in captures:
            captured.extend(documents)
    elif not _disabled():
        import json

        for document in documents:
            print(json.dumps(document, separators=(",", ":")), flush=True)
    return documents


def discard() -> None:
    """Forget what was recorded and not flushed (tests)."""
    with _lock:
        _counts.clear()
        _samples.clear()


@contextmanager
def capture() -> Iterator[list[dict]]:
    """Collect the EMF documents flushed inside the block (and what is still buffered at its end) in the list
    it yields, instead of printing them. What was buffered before the block is discarded."""
    discard()
    documents: list[dict] = []
    with _lock:
        _captures.append(documents)
    try:
        yield documents
        flush()
    finally:
        with _lock:
            _captures.remove(documents)


def stage() -> str:
    return os.environ.get("ADUAN_STAGE") or "unknown"


def _disabled() -> bool:
    return os.environ.get("POWERTOOLS_METRICS_DISABLED", "").strip().lower() in ("1", "true", "yes", "on")


def _documents(counts: dict, samples: dict) -> list[dict]:
    """One EMF document per breakdown value (EMF dimensions belong to a document, not to a metric)."""
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

    groups: dict[tuple[str | None, str | None, bool], list[tuple[str, list[float]]]] = {}
    for (name, value), total in sorted(counts.items(), key=lambda item: (item[0][0], str(item[0][1]))):
        dimension, rollup = METRICS[name][1], METRICS[name][2]
        groups.setdefault((dimension, value, rollup), []).append((name, [total]))
    for (name, value), numbers in sorted(samples.items(), key=lambda item: (item[0][0], str(item[0][1]))):
        dimension, rollup = METRICS[name][1], METRICS[name][2]
        groups.setdefault((dimension, value, rollup), []).append((name, numbers))
    documents = []
    for (dimension, value, rollup), metrics in groups.items():
        provider = AmazonCloudWatchEMFProvider(namespace=NAMESPACE, service="")  # no `service` dimension
        provider.set_default_dimensions(stage=stage())
        if dimension is not None and rollup:
            provider.add_dimensions(**{dimension: str(value)})  # [stage] and [stage, <dimension>]
        elif dimension is not None:
            provider.add_dimension(dimension, str(value))  # [stage, <dimension>] only
        for name, numbers in metrics:
            for number in numbers:
                provider.add_metric(name=name, unit=METRICS[name][0], value=number)
        documents.append(provider.serialize_metric_set())
    return documents
