"""Two escalation runs at the same moment, on dynalite (atomic conditional writes, like DynamoDB): each case
takes each step once and its officers get one alert each."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.integration


def test_overlapping_runs_escalate_each_case_once(private_tables):
    from chalicelib.domain.case import Action, Actor, Reporter, Role
    from chalicelib.services.context import build_context
    from chalicelib.services.escalation import escalate_overdue
    from chalicelib.services.workflow import create_case_from_entry, forward_case
    from demo.loader import load_demo_data

    clock = {"now": datetime(2026, 12, 1, 3, 0, tzinfo=UTC)}
    ctx = build_context(clock=lambda: clock["now"])
    load_demo_data(ctx, with_sample_cases=False)
    admin = Actor("officer:admin.kominfo", Role.ADMIN, "diskominfo")
    cases = []
    for n in range(5):
        case = create_case_from_entry(ctx, admin, channel="telepon", description=f"Jalan rusak nomor {n}",
                                      idempotency_key=uuid.uuid4().hex, reporter=Reporter(name="Warga"))
        cases.append(forward_case(ctx, admin, case.case_id, 1, lead_agency="dpupr"))
    clock["now"] += timedelta(days=8)  # past the follow-up deadline: the officer rung is due
    contexts = [build_context(clock=lambda: clock["now"]) for _ in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        reports = list(pool.map(escalate_overdue, contexts))
    steps = sum(r.escalated for r in reports)
    for case in cases:
        stored = ctx.cases.get(case.case_id)
        taken = [e.rung for e in stored.timeline if e.action is Action.ESCALATE]
        assert taken == ["officer"], taken
    assert steps == len(cases)
    capture = [json.loads(line) for line in private_tables.read_text().splitlines()]
    alerts = [m["message_id"] for m in capture if m["message_id"].startswith("alert:")]
    assert len(alerts) == len(set(alerts)) == len(cases)  # one officer (petugas.dpupr) per case, sent once
