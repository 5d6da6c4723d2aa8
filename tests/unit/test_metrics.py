"""Each metric the operators' alarms and dashboard read is emitted exactly once per event, as Powertools EMF
(namespace Aduan, dimension stage), and every function flushes what it counted when its invocation ends.

`chalicelib.metrics.capture()` collects the EMF documents that would go to stdout. Through the app (webhooks,
scheduled jobs) the app-wide middleware flushes them inside the block; a service called directly is flushed
when the block ends.
"""

from __future__ import annotations

import io
import json
import uuid
from datetime import datetime

import pytest

from chalicelib import metrics
from chalicelib.domain.calendar import WIB
from chalicelib.domain.case import Reporter
from chalicelib.domain.messages import OutboundMessage
from chalicelib.observability import delivery_ref, logger
from chalicelib.services import intake, workflow
from tests.unit.test_webhooks import line_body, line_headers


def emitted(documents: list[dict], name: str) -> list[tuple[dict, float]]:
    """(dimensions, value) of every emission of `name` in the documents, with the dimension sets checked."""
    found = []
    for document in documents:
        [directive] = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "Aduan"
        if not any(m["Name"] == name for m in directive["Metrics"]):
            continue
        unit, breakdown, rollup, _counted = metrics.METRICS[name]
        assert [m["Unit"] for m in directive["Metrics"] if m["Name"] == name] == [unit]
        expected = [["stage"], ["stage", breakdown]] if breakdown and rollup else (
            [["stage", breakdown]] if breakdown else [["stage"]])
        assert directive["Dimensions"] == expected
        dimensions = {key: document[key] for names in directive["Dimensions"] for key in names}
        values = document[name] if isinstance(document[name], list) else [document[name]]
        found += [(dimensions, value) for value in values]
    return found


def breakdown(documents: list[dict], name: str) -> list[tuple[str, float]]:
    """(breakdown value, value) of each emission: what the dashboard's per-channel / per-rung lines show."""
    key = metrics.METRICS[name][1]
    return [(dims[key], value) for dims, value in emitted(documents, name)]


def far(*args) -> datetime:
    return datetime(2052, *args, tzinfo=WIB)


# ---------------------------------------------------------------- webhooks and intake


def test_one_complaint_is_one_complaint_metric_with_its_channel(api, intake_ctx):
    event_id = "01" + uuid.uuid4().hex[:24].upper()
    body = line_body(text="Lampu jalan mati di Jl. Diponegoro", event_id=event_id)
    with metrics.capture() as documents:
        assert api.http.post("/webhooks/line", headers=line_headers(body), body=body).json_body["new"] == 1
        assert emitted(documents, metrics.COMPLAINTS) == []  # the ack opens nothing: processing does
        outcome = intake.process_event(intake_ctx, f"line:{event_id}")
        assert outcome.kind == "opened"
        assert intake.process_event(intake_ctx, f"line:{event_id}") is None  # done: no second case, no count
    assert breakdown(documents, metrics.COMPLAINTS) == [("line", 1.0)]
    assert breakdown(documents, metrics.DUPLICATES_DROPPED) == []
    assert breakdown(documents, metrics.SIGNATURE_FAILURES) == []


def test_a_case_entered_by_an_officer_counts_once_under_its_channel_and_a_replay_not_at_all(ctx, admin):
    key = uuid.uuid4().hex
    with metrics.capture() as documents:
        for _ in range(2):  # the same entry submitted twice (a double click): one case
            workflow.create_case_from_entry(ctx, admin, channel="telepon", description="Pohon tumbang di Jl. Kawi",
                                            idempotency_key=key, reporter=Reporter(name="Bu Sri"))
    assert breakdown(documents, metrics.COMPLAINTS) == [("telepon", 1.0)]


def test_a_bad_signature_is_one_signature_failure_flushed_by_the_invocation(api, intake_ctx):
    body = line_body()
    with metrics.capture() as documents:
        forged = api.http.post("/webhooks/line", headers=line_headers(body, secret="not-the-secret"), body=body)
        assert forged.status_code == 401
        assert breakdown(documents, metrics.SIGNATURE_FAILURES) == [("line", 1.0)]  # flushed at the 401
    assert breakdown(documents, metrics.SIGNATURE_FAILURES) == [("line", 1.0)]
    [(dimensions, _)] = emitted(documents, metrics.SIGNATURE_FAILURES)
    assert dimensions["stage"]  # the alarm reads the stage alone (the roll-up)


def test_a_redelivery_is_one_duplicate_dropped(api, intake_ctx):
    event_id = "01" + uuid.uuid4().hex[:24].upper()
    first = line_body(event_id=event_id)
    again = line_body(event_id=event_id, deliveryContext={"isRedelivery": True})
    with metrics.capture() as documents:
        assert api.http.post("/webhooks/line", headers=line_headers(first), body=first).json_body["new"] == 1
        assert emitted(documents, metrics.DUPLICATES_DROPPED) == []
        assert api.http.post("/webhooks/line", headers=line_headers(again), body=again).json_body["new"] == 0
        assert breakdown(documents, metrics.DUPLICATES_DROPPED) == [("line", 1.0)]
    assert breakdown(documents, metrics.DUPLICATES_DROPPED) == [("line", 1.0)]


# ---------------------------------------------------------------- the outbox


def _queued(ctx, message_id: str) -> str:
    ctx.outbox.enqueue(OutboundMessage(message_id=message_id, channel="telegram", recipient="5551234",
                                       body="Laporan Anda kami terima.", created_at=ctx.now()))
    return message_id


def test_a_sent_a_retried_and_a_failed_message_are_one_each_by_kind(intake_ctx, provider):
    from chalicelib.services.outbound import send_outbound

    reply = _queued(intake_ctx, f"update:MTR-{uuid.uuid4().hex[:10]}:2")
    alert = _queued(intake_ctx, f"alert:MTR-{uuid.uuid4().hex[:10]}:3:petugas.dpupr")
    with metrics.capture() as documents:
        assert send_outbound(intake_ctx, reply) == "sent"
    assert breakdown(documents, metrics.MESSAGES_SENT) == [("reply", 1.0)]
    assert emitted(documents, metrics.MESSAGES_RETRIED) == emitted(documents, metrics.MESSAGES_FAILED) == []

    provider.script("/bot", (503, {"ok": False, "description": "unavailable"}))
    with metrics.capture() as documents:
        assert send_outbound(intake_ctx, alert) == "pending"
    assert breakdown(documents, metrics.MESSAGES_RETRIED) == [("alert", 1.0)]
    assert emitted(documents, metrics.MESSAGES_SENT) == emitted(documents, metrics.MESSAGES_FAILED) == []

    intake_ctx.clock.advance(hours=1)
    provider.script("/bot", (400, {"ok": False, "description": "Bad Request: chat not found"}))
    with metrics.capture() as documents:
        assert send_outbound(intake_ctx, alert) == "failed"
    assert breakdown(documents, metrics.MESSAGES_FAILED) == [("alert", 1.0)]
    assert emitted(documents, metrics.MESSAGES_SENT) == emitted(documents, metrics.MESSAGES_RETRIED) == []


def test_message_kinds_tell_citizens_from_officers():
    assert metrics.message_kind("reply:line:01ABC") == "reply"
    assert metrics.message_kind("update:KDR-2611-ABCD:4") == "reply"
    assert metrics.message_kind("KDR-2611-ABCD:reply:7") == "reply"  # an officer's reply to the citizen
    assert metrics.message_kind("alert:KDR-2611-ABCD:3:petugas.dpupr") == "alert"
    assert metrics.message_kind("digest:2052-01-05:petugas.dpupr") == "alert"


# ---------------------------------------------------------------- escalation


def test_an_escalation_is_one_escalation_with_its_rung(intake_ctx, admin, monkeypatch):
    from chalicelib.services.escalation import escalate_overdue
    from chalicelib.store.cases import ESCALATION_SHARD

    ctx = intake_ctx
    ctx.clock.set(far(3, 1, 10, 0))  # Friday 1 March 2052
    case = workflow.create_case_from_entry(ctx, admin, channel="telepon", description="Jembatan retak di Jl. Mojo",
                                           idempotency_key=uuid.uuid4().hex, reporter=Reporter(name="Pak Har"))
    case = workflow.forward_case(ctx, admin, case.case_id, 1, lead_agency="dpupr")
    # only this case is due in this run (the session's tables hold other tests' open cases)
    monkeypatch.setattr(ctx.cases, "alarms_due", lambda shard, now, limit=500: iter(
        [case.case_id] if shard == ESCALATION_SHARD else []))
    ctx.clock.set(case.deadline.due_at)
    ctx.clock.advance(hours=1)  # past the deadline: the warning would be late, the officer rung is due
    with metrics.capture() as documents:
        report = escalate_overdue(ctx)
        assert escalate_overdue(ctx).escalated == 0  # a repeated run takes no step twice
    assert report.escalated == 1
    rungs = [e.rung for e in ctx.cases.get(case.case_id).timeline if e.rung]
    assert breakdown(documents, metrics.ESCALATIONS) == [(rungs[-1], 1.0)] and rungs[-1] == "officer"


# ---------------------------------------------------------------- scheduled jobs


def _scheduled_event(api):
    return api.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                        resources=["arn:aws:events:ap-southeast-3:123456789012:rule/x"])


@pytest.mark.parametrize("job", ["sweep_inbound", "send_outbox", "sync_aggregates"])
def test_a_job_run_is_one_duration_flushed_by_the_invocation(api, intake_ctx, job):
    with metrics.capture() as documents:
        api.lambda_.invoke(job, _scheduled_event(api))
        durations = breakdown(documents, metrics.JOB_DURATION)  # flushed when the invocation ended
    assert [name for name, _ in durations] == [job]
    assert durations[0][1] >= 0


def test_the_sweeper_reports_the_age_of_the_oldest_unprocessed_event_once_per_run(api, intake_ctx):
    from chalicelib.channels.base import ParsedDelivery
    from chalicelib.domain.messages import InboundMessage

    ctx = intake_ctx
    intake.sweep_pending_events(ctx, limit=10_000)  # earlier tests' leftovers are not this test's business
    stuck = InboundMessage(channel="telegram", event_key=f"tg:{uuid.uuid4().int % 10**12}", sender_id="5550001",
                           reply_to="5550001", received_at=ctx.now(), text="Banjir di Jl. Hayam Wuruk")
    assert intake.record_delivery(ctx, ParsedDelivery(messages=(stuck,))) == [stuck.event_key]
    ctx.clock.advance(minutes=12)
    with metrics.capture() as documents:
        intake.sweep_pending_events(ctx)
    [(dimensions, age)] = emitted(documents, metrics.OLDEST_INBOUND_AGE)
    assert age == pytest.approx(12 * 60, abs=1) and set(dimensions) == {"stage"}
    with metrics.capture() as documents:
        intake.sweep_pending_events(ctx)  # processed now: nothing is waiting
    assert [age for _, age in emitted(documents, metrics.OLDEST_INBOUND_AGE)] == [0.0]


# ---------------------------------------------------------------- the buffer, and the log lines


def test_without_a_flush_counts_are_summed_never_piled_up_and_disabled_means_silent(monkeypatch, capsys):
    metrics.discard()
    for _ in range(1000):
        metrics.count_duplicate("telegram")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    [document] = metrics.flush()
    assert document["duplicates_dropped"] == [1000.0]
    assert capsys.readouterr().out == ""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    metrics.count_duplicate("telegram")
    metrics.flush()
    [line] = capsys.readouterr().out.splitlines()
    assert json.loads(line)["duplicates_dropped"] == [1.0]  # EMF on stdout, where Lambda's log stream takes it


def test_log_lines_carry_the_lambda_context_and_the_delivery_correlation_id(api, intake_ctx):
    handler = logger.registered_handler
    buffer = io.StringIO()
    old_stream, old_level = handler.setStream(buffer), logger.log_level
    logger.setLevel("INFO")
    try:
        api.lambda_.invoke("sweep_inbound", _scheduled_event(api))
        event_key = f"tg:{uuid.uuid4().int % 10**12}"
        intake.process_event(intake_ctx, event_key)  # not recorded: nothing to claim, nothing logged
        from chalicelib.observability import correlated

        with correlated(delivery=event_key, case="KDR-2052-TEST"):
            logger.info("inside a delivery")
        logger.info("after it")
    finally:
        handler.setStream(old_stream)
        logger.setLevel(old_level)
    lines = [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    inside = next(line for line in lines if line["message"] == "inside a delivery")
    after = next(line for line in lines if line["message"] == "after it")
    assert inside["correlation_id"] == delivery_ref(event_key) and inside["case_id"] == "KDR-2052-TEST"
    assert event_key.split(":", 1)[1] not in json.dumps(inside)  # the hash, never the provider's id
    assert "correlation_id" not in after and "case_id" not in after
    assert after["function_name"] == "sweep_inbound" and "cold_start" in after  # the invocation's context


def test_a_deployed_jobs_duration_is_named_for_the_job_not_the_function(monkeypatch):
    from types import SimpleNamespace

    from chalicelib.observability import scheduled_job

    monkeypatch.setenv("ADUAN_STAGE", "prod")
    scheduled = SimpleNamespace(detail_type="Scheduled Event")
    assert scheduled_job(scheduled, SimpleNamespace(function_name="aduan-prod-send_outbox")) == "send_outbox"
    assert scheduled_job(scheduled, SimpleNamespace(function_name="send_outbox")) == "send_outbox"  # locally
    assert scheduled_job(SimpleNamespace(), SimpleNamespace(function_name="aduan-prod")) is None  # not a job
