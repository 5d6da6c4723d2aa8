"""Six workers notify the same new case at the same moment, on dynalite (atomic conditional writes, like
DynamoDB; moto's in-process tables are not safe under threads): every admin koordinator gets its alert once."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

pytestmark = pytest.mark.integration


def test_concurrent_notifications_send_each_alert_once(private_tables):
    from chalicelib.domain.case import Actor, Role
    from chalicelib.services.context import build_context
    from chalicelib.services.notify import notify_now
    from chalicelib.services.workflow import create_case_from_entry
    from demo.loader import load_demo_data

    moment = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # Tuesday 10:00 WIB: no quiet hours
    ctx = build_context(clock=lambda: moment)
    load_demo_data(ctx, with_sample_cases=False)
    officer = Actor("officer:petugas.dpupr", Role.OPD, "dpupr")
    case = create_case_from_entry(ctx, officer, channel="surat", description="Saluran air mampet di Jl. Joyoboyo",
                                  idempotency_key=uuid.uuid4().hex)
    contexts = [build_context(clock=lambda: moment) for _ in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda c: notify_now(c, case), contexts))
    capture = [json.loads(line) for line in private_tables.read_text().splitlines()]
    alerts = [m["message_id"] for m in capture if m["message_id"].startswith(f"alert:{case.case_id}:")]
    admins = [o.username for o in ctx.officers_of("diskominfo") if o.role is Role.ADMIN and o.active]
    assert admins and sorted(alerts) == sorted(f"alert:{case.case_id}:1:{name}" for name in admins)
