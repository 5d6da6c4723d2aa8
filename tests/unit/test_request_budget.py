"""Budget: each workflow action costs at most two DynamoDB requests (one read, one conditional write)."""

from __future__ import annotations

import uuid

import pytest

from bench.metering import RequestCounter
from chalicelib.domain.case import Reporter
from chalicelib.services import workflow

pytestmark = pytest.mark.real_store  # counts the DynamoDB requests each action makes: on DynamoDB (moto)


@pytest.fixture
def counter(ctx):
    ctx.warm("dpupr")
    with RequestCounter() as counting:
        yield counting


def new(ctx, admin):
    return workflow.create_case_from_entry(
        ctx, admin, channel="telepon", description="Lampu jalan mati di Jl. Hayam Wuruk",
        idempotency_key=str(uuid.uuid4()), reporter=Reporter(name="Ani"),
    )


def test_each_action_costs_at_most_two_requests(ctx, counter, admin, dpupr_officer, dpupr_supervisor, clock):
    counter.reset()
    case = new(ctx, admin)
    assert counter.total == 1, counter.calls  # one conditional put
    steps = [
        lambda c: workflow.forward_case(ctx, admin, c.case_id, c.version, lead_agency="dpupr"),
        lambda c: workflow.assign_case(ctx, dpupr_supervisor, c.case_id, c.version, officer="petugas.dpupr"),
        lambda c: workflow.hold_case(ctx, dpupr_officer, c.case_id, c.version, note="Foto lokasi?",
                                     until="2026-11-30"),
        lambda c: workflow.resume_case(ctx, dpupr_officer, c.case_id, c.version),
        lambda c: workflow.record_follow_up(ctx, dpupr_officer, c.case_id, c.version, note="Sudah diganti."),
        lambda c: workflow.reopen_case(ctx, admin, c.case_id, c.version, note="Warga: masih mati."),
        lambda c: workflow.record_follow_up(ctx, dpupr_officer, c.case_id, c.version, note="Kabel diganti."),
        lambda c: clock.advance(days=20) or workflow.close_case(  # after the citizen's reply window
            ctx, dpupr_officer, c.case_id, c.version, note="Lampu menyala lagi."),
    ]
    for step in steps:
        counter.reset()
        case = step(case)
        assert counter.total <= 2, (case.timeline[-1].action, counter.calls)
    duplicate, target, outside = new(ctx, admin), new(ctx, admin), new(ctx, admin)
    counter.reset()
    workflow.merge_case(ctx, admin, duplicate.case_id, 1, into=target.case_id, note="Ganda.")
    # one batched read of both cases, the duplicate's conditional write, then the target's (its MERGED_IN event)
    assert counter.total == 3, counter.calls
    counter.reset()
    workflow.reject_case(ctx, admin, outside.case_id, 1, note="Bukan kewenangan kota.")
    assert counter.total == 2, counter.calls
