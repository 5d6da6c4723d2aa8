"""DynamoDB requests per workflow action, counted with botocore's event hooks over 1,000 cases on dynalite.

The directory cache is warmed first, as in a running Lambda container; each action is then counted alone.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections import defaultdict
from collections.abc import Callable

CASES = 1000


def _paths(ctx, actors) -> list[list[tuple[str, Callable]]]:
    from chalicelib.services import workflow as w

    admin, opd, kabid = actors
    until = ctx.calendar.working_day_after(ctx.calendar.local_date(ctx.now()), 5).isoformat()

    def fwd(c):
        return w.forward_case(ctx, admin, c.case_id, c.version, lead_agency="dpupr", supporting_agencies=("dlhkp",))

    return [
        [
            ("forward_case", fwd),
            ("assign_case", lambda c: w.assign_case(ctx, kabid, c.case_id, c.version, officer="petugas.dpupr")),
            ("record_follow_up", lambda c: w.record_follow_up(ctx, opd, c.case_id, c.version, note="Sudah.")),
            # inside the citizen's reply window only the admin koordinator may close
            ("close_case", lambda c: w.close_case(ctx, admin, c.case_id, c.version, note="Sudah diperbaiki.")),
        ],
        [
            ("hold_case", lambda c: w.hold_case(ctx, admin, c.case_id, c.version, note="Mohon foto.", until=until)),
            ("resume_case", lambda c: w.resume_case(ctx, admin, c.case_id, c.version)),
            ("forward_case", fwd),
            ("return_case", lambda c: w.return_case(ctx, opd, c.case_id, c.version, note="Jalan provinsi.")),
        ],
        [
            ("forward_case", fwd),
            ("record_follow_up", lambda c: w.record_follow_up(ctx, opd, c.case_id, c.version, note="Ditangani.")),
            ("reopen_case", lambda c: w.reopen_case(ctx, admin, c.case_id, c.version, note="Belum beres.")),
            ("record_follow_up", lambda c: w.record_follow_up(ctx, opd, c.case_id, c.version, note="Tuntas.")),
            ("close_case", lambda c: w.close_case(ctx, admin, c.case_id, c.version, note="Tuntas dicek.")),
        ],
        [("reject_case", lambda c: w.reject_case(ctx, admin, c.case_id, c.version, note="Kewenangan pusat."))],
        [("archive_case", lambda c: w.archive_case(ctx, admin, c.case_id, c.version, note="Spam."))],
    ]


def measure_workflow(cases: int = CASES) -> dict:
    from scripts.local_stack import app_environment, start_dynalite

    dynalite = start_dynalite()
    saved = dict(os.environ)
    try:
        os.environ.update(app_environment(dynalite.url, overrides={"ADUAN_TABLE_PREFIX": "aduan-local-"}))
        from bench.metering import RequestCounter
        from chalicelib.domain.case import Actor, Reporter, Role
        from chalicelib.services import workflow as w
        from chalicelib.services.context import build_context
        from chalicelib.settings import reset_settings
        from chalicelib.store.tables import create_tables, unbind_models
        from demo.loader import load_demo_data

        reset_settings()
        unbind_models()
        create_tables()
        ctx = build_context()
        load_demo_data(ctx, with_sample_cases=False)
        admin = Actor("officer:admin.kominfo", Role.ADMIN, "diskominfo")
        opd = Actor("officer:petugas.dpupr", Role.OPD, "dpupr")
        kabid = Actor("officer:kabid.dpupr", Role.SUPERVISOR, "dpupr")
        ctx.warm("dpupr")
        paths = _paths(ctx, (admin, opd, kabid))
        requests: dict[str, list[int]] = defaultdict(list)
        started = time.perf_counter()
        with RequestCounter() as counter:
            opened = []
            for i in range(cases):
                counter.reset()
                opened.append(
                    w.create_case_from_entry(
                        ctx, admin, channel="telepon", description=f"Keluhan nomor {i}: jalan berlubang",
                        idempotency_key=str(uuid.uuid4()), reporter=Reporter(name="Warga"),
                    )
                )
                requests["create_case_from_entry"].append(counter.total)
            for i, case in enumerate(opened):
                if i % 10 == 9 and i + 1 < len(opened):  # every tenth case duplicates the (still new) next one
                    counter.reset()
                    w.merge_case(ctx, admin, case.case_id, case.version, into=opened[i + 1].case_id,
                                 note="Laporan ganda.")
                    requests["merge_case"].append(counter.total)
                    opened[i + 1] = ctx.cases.get(opened[i + 1].case_id)  # its version moved with the merge
                    continue
                for name, step in paths[i % len(paths)]:
                    counter.reset()
                    case = step(case)
                    requests[name].append(counter.total)
        elapsed = time.perf_counter() - started
    finally:
        os.environ.clear()
        os.environ.update(saved)
        dynalite.stop()
    # a merge writes two cases (the duplicate, then the surviving case's MERGED_IN event): its own budget of 3
    actions = {k: v for k, v in requests.items() if k not in ("create_case_from_entry", "merge_case")}
    return {
        "cases": cases,
        "actions": sum(len(v) for v in actions.values()),
        "per_action": {k: (max(v), statistics.mean(v)) for k, v in sorted(requests.items())},
        "ddb_requests_per_action_max": max(max(v) for v in actions.values()),
        "ddb_requests_per_merge_max": max(requests["merge_case"], default=0),
        "seconds": elapsed,
    }
