"""Cost of an escalation run: items it reads per overdue case, over 50,000 open cases of which 100 are
overdue, next to what a table Scan would read. Measured on dynalite with botocore's hooks (ScannedCount)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

OPEN_CASES = 50_000
OVERDUE = 100


def measure_escalation(open_cases: int = OPEN_CASES, overdue: int = OVERDUE) -> dict:
    from bench.stack import bench_tables

    with bench_tables():
        from bench.metering import RequestCounter
        from chalicelib.domain.case import Actor, Channel, Reporter
        from chalicelib.domain.lifecycle import new_case
        from chalicelib.services.context import build_context
        from chalicelib.services.escalation import escalate_overdue
        from chalicelib.store.cases import ESCALATION_SHARD, to_record
        from chalicelib.store.models import CaseRecord
        from demo.loader import load_demo_data

        now = datetime.now(UTC)
        ctx = build_context(clock=lambda: now)
        load_demo_data(ctx, with_sample_cases=False)
        ctx.warm("dpupr")
        actor = Actor.system("bench")
        started = time.perf_counter()
        with CaseRecord.batch_write() as batch:
            for n in range(open_cases):
                late = n < overdue
                received = now - timedelta(days=20) if late else now - timedelta(minutes=n % 600)
                case = new_case(
                    case_id=f"KDR-BNCH-{n:07d}", city_code="KDR", channel=Channel.WEB,
                    description=f"Keluhan uji beban nomor {n}", received_at=received, actor=actor,
                    calendar=ctx.calendar, policy=ctx.policy, escalation=ctx.escalation,
                    reporter=Reporter(name="Warga"), source_key=f"bench:{n}",
                )
                record = to_record(case)
                record.version = case.version  # a batch put writes it as is (no optimistic-lock bump)
                batch.save(record)
        load_seconds = time.perf_counter() - started
        with RequestCounter() as counter:
            # the job's candidate read, alone (the job itself also queries the outbox to send the alerts)
            candidates = list(ctx.cases.alarms_due(ESCALATION_SHARD, now, limit=10_000))
            index_scanned = counter.items_by_operation["Query"]
            counter.reset()
            report = escalate_overdue(ctx, limit=10_000)
            case_gets = counter.items_by_operation["GetItem"]
            counter.reset()
            rerun = escalate_overdue(ctx, limit=10_000)  # the same run again: nothing left to do
            counter.reset()
            scanned = sum(1 for _ in CaseRecord.scan(attributes_to_get=["case_id"]))  # what a Scan would read
            scan_items = counter.items_read
    return {
        "open_cases": open_cases,
        "overdue": overdue,
        "candidates": len(candidates),
        "escalated": report.escalated,
        "rerun_escalated": rerun.escalated,
        "index_items_scanned": index_scanned,
        "case_items_read": case_gets,
        "escalation_read_ratio": round(index_scanned / overdue, 2),
        "scan_items_read": scan_items or scanned,
        "scan_read_ratio": round((scan_items or scanned) / overdue, 1),
        "load_seconds": round(load_seconds, 1),
    }
