"""Scheduled functions run as Lambda would invoke them (a CloudWatch scheduled event)."""

from __future__ import annotations

import uuid

from chalicelib.domain.case import Reporter
from chalicelib.services import workflow


def test_the_sync_job_flushes_pending_cases_into_the_dashboard(api, ctx, admin, leadership):
    from chalicelib.services.dashboard import dashboard
    from chalicelib.services.sync import sync_pending_cases

    sync_pending_cases(ctx, limit=10_000)  # what earlier tests left pending is not this test's business
    before = dashboard(ctx, leadership, months=1)["total"]
    workflow.create_case_from_entry(ctx, admin, channel="telepon", description="Lampu PJU mati",
                                    idempotency_key=str(uuid.uuid4()), reporter=Reporter(name="Ani"))
    event = api.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                         resources=["arn:aws:events:ap-southeast-3:123456789012:rule/x"])
    result = api.lambda_.invoke("sync_aggregates", event)
    assert result.payload["synced"] >= 1
    assert dashboard(ctx, leadership, months=1)["total"] == before + 1
    assert api.lambda_.invoke("sync_aggregates", event).payload["synced"] == 0
