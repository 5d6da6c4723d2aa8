"""Two escalation runs at the same moment, on dynalite (atomic conditional writes, like DynamoDB): each case
takes each step once and its officers get one alert each."""

from __future__ import annotations

import json
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from scripts.local_stack import app_environment

pytestmark = pytest.mark.integration


def test_overlapping_runs_escalate_each_case_once(dynalite, tmp_path):
    from chalicelib.domain.case import Action, Actor, Reporter, Role
    from chalicelib.services.context import build_context
    from chalicelib.services.demo_data import load_demo_data
    from chalicelib.services.escalation import escalate_overdue
    from chalicelib.services.workflow import create_case_from_entry, forward_case
    from chalicelib.settings import reset_channel_settings, reset_settings
    from chalicelib.store.tables import create_tables, unbind_models

    saved = dict(os.environ)
    os.environ.update(app_environment(dynalite.url))
    os.environ.update(ADUAN_TABLE_PREFIX=f"esc{uuid.uuid4().hex[:6]}-", ADUAN_OUTBOX_MODE="capture",
                      ADUAN_MEDIA_DIR=str(tmp_path / "media"))
    reset_settings()
    reset_channel_settings()
    unbind_models()
    try:
        create_tables()
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
        capture = [json.loads(line) for line in (tmp_path / "outbox-captured.jsonl").read_text().splitlines()]
        alerts = [m["message_id"] for m in capture if m["message_id"].startswith("alert:")]
        assert len(alerts) == len(set(alerts)) == len(cases)  # one officer (petugas.dpupr) per case, sent once
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_settings()
        reset_channel_settings()
        unbind_models()
