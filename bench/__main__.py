"""`make bench`: figures measured side by side in one run, each ending its own line as `name: value`.

Budgets: import_ratio <= 1.3 and ddb_requests_per_action_max <= 2 (issue 2; a merge, which also records
itself on the surviving case, ddb_requests_per_merge_max <= 3, issue 9); webhook_latency_ratio <= 2
and ddb_requests_per_webhook <= 3 (issue 3); escalation_read_ratio <= 1.2 (issue 4); inbox_read_ratio <= 1.2,
inbox_page_kb <= 100 and inbox_external_requests == 0 (issue 7); alert_pushes_per_complaint <= 2 (issue 8);
burst_ack_p99_ms < 2000 and burst_lost == 0, fault_losses == fault_duplicates == fault_job_stops == 0 (issue 10);
floors: routing_top1_accuracy >= 0.65 and routing_top3_accuracy >= 0.70 (issue 11, on a held-out set);
dashboard_read_ratio <= 1.2 (issue 12: bytes read for the city dashboard of a month, 100,000 vs 1,000 cases);
cold_webhook_ratio <= 1.3 (issue 13: a fresh process answering its first LINE webhook, against a bare Chalice app
doing one put) and package_mb <= 25 (the deployment zip: 22.4 MB when set, 16 of them botocore).
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # thousands of actions: keep the figures readable

from bench.bench_alerts import measure_alerts
from bench.bench_burst import run as measure_burst
from bench.bench_cold import measure_cold_webhook, measure_package
from bench.bench_escalation import measure_escalation
from bench.bench_faults import run as measure_faults
from bench.bench_figures import measure_figures, print_figures
from bench.bench_import import measure_import
from bench.bench_inbox import measure_inbox
from bench.bench_routing import run as measure_routing
from bench.bench_webhook import measure_webhook
from bench.bench_workflow import measure_workflow

BUDGETS = {
    "import_ratio": 1.3,
    "ddb_requests_per_action_max": 2,
    "ddb_requests_per_merge_max": 3,
    "webhook_latency_ratio": 2.0,
    "ddb_requests_per_webhook": 3,
    "escalation_read_ratio": 1.2,
    "inbox_read_ratio": 1.2,
    "inbox_page_kb": 100,
    "inbox_external_requests": 0,
    "alert_pushes_per_complaint": 2,
    "burst_ack_p99_ms": 1999.9,  # LINE's 2 s
    "burst_lost": 0,
    "fault_losses": 0,
    "fault_duplicates": 0,
    "fault_job_stops": 0,
    "dashboard_read_ratio": 1.2,
    "cold_webhook_ratio": 1.3,
    "package_mb": 25,
}
FLOORS = {"routing_top1_accuracy": 0.65, "routing_top3_accuracy": 0.70}


def main() -> int:
    print("== cold import: `import app` vs `import chalice, boto3, pynamodb` (fresh processes, medians of 7)")
    imports = measure_import(samples=7)
    print(f"import_app_ms: {imports['import_app_ms']}")
    print(f"import_baseline_ms: {imports['import_baseline_ms']}")
    print(f"import_ratio: {imports['import_ratio']}")

    print("== DynamoDB requests per workflow action (botocore before-call hooks, 1,000 cases on dynalite)")
    flow = measure_workflow()
    for name, (most, mean) in flow["per_action"].items():
        print(f"  {name:<24} max {most}  mean {mean:.2f}")
    print(f"cases: {flow['cases']}")
    print(f"actions: {flow['actions']}")
    print(f"workflow_seconds: {flow['seconds']:.1f}")
    print(f"ddb_requests_per_action_max: {flow['ddb_requests_per_action_max']}")
    print(f"ddb_requests_per_merge_max: {flow['ddb_requests_per_merge_max']}")

    print("== LINE webhook ack path vs a bare Chalice route doing one put (in-process, dynalite, medians of 300)")
    hook = measure_webhook()
    print(f"webhook_ms: {hook['webhook_ms']}")
    print(f"bare_put_ms: {hook['bare_put_ms']}")
    print(f"webhook_latency_ratio: {hook['webhook_latency_ratio']}")
    print(f"ddb_requests_per_webhook: {hook['ddb_requests_per_webhook']}")

    print("== escalation run over 50,000 open cases of which 100 are overdue (dynalite, ScannedCount)")
    esc = measure_escalation()
    print(f"open_cases: {esc['open_cases']}")
    print(f"overdue_cases: {esc['overdue']}")
    print(f"escalation_steps_taken: {esc['escalated']} (each overdue case climbs every rung it missed)")
    print(f"escalation_steps_on_rerun: {esc['rerun_escalated']}")
    print(f"escalation_index_items_scanned: {esc['index_items_scanned']}")
    print(f"escalation_case_items_read: {esc['case_items_read']}")
    print(f"scan_items_read: {esc['scan_items_read']}")
    print(f"scan_read_ratio: {esc['scan_read_ratio']}")
    print(f"escalation_read_ratio: {esc['escalation_read_ratio']}")

    print("== officer inbox, first page of the admin koordinator at 1,000 and 50,000 cases (dynalite, ScannedCount)")
    inbox = measure_inbox()
    print(f"inbox_rows: {inbox['inbox_rows']}")
    print(f"inbox_items_read_1k: {inbox['inbox_items_read_small']}")
    print(f"inbox_items_read_50k: {inbox['inbox_items_read_large']}")
    print(f"inbox_items_read_filtered_50k: {inbox['inbox_items_read_filtered']} (a filter most rows fail: read cap)")
    print(f"inbox_read_ratio: {inbox['inbox_read_ratio']}")
    print(f"inbox_html_kb: {inbox['inbox_html_kb']}")
    print(f"inbox_assets: {' '.join(inbox['inbox_assets'])}")
    print(f"inbox_page_kb: {inbox['inbox_page_kb']}")
    print(f"inbox_external_requests: {inbox['inbox_external_requests']}")

    print("== officer alerts on the local stack (dynalite + chalice local): 50 LINE complaints one at a time,")
    print("   then 10 forwarded to an OPD that uses a LINE group")
    alerts = measure_alerts()
    print(f"alert_complaints: {alerts['alert_complaints']}")
    print(f"alerts_seen: {alerts['alerts_seen']}")
    print(f"reply_latency_ms: {alerts['reply_latency_ms']} (the citizen's own reply, from the webhook's answer)")
    print(f"alert_latency_ms: {alerts['alert_latency_ms']} (the admin's LINE alert, from the webhook's answer)")
    print(f"alert_pushes_per_complaint: {alerts['alert_pushes_per_complaint']} (received and forwarded)")

    print("== a burst on the local stack (dynalite + chalice local): 300 LINE complaints from 300 people, 16 at a time")
    burst = measure_burst()
    for name in ("burst_seconds", "burst_ack_p50_ms", "burst_ack_max_ms", "burst_over_2s", "burst_unanswered",
                 "burst_swept", "burst_settle_s", "burst_ack_p99_ms", "burst_lost"):
        print(f"{name}: {burst[name]}")

    print("== fault-injection matrix: each DynamoDB/S3/SES/provider call of intake, every workflow action,")
    print("   escalation, outbox and sync, in turn throttled / timed out / 500 (also after the write), then recovered")
    faults = measure_faults()
    for name in ("fault_cases", "fault_losses", "fault_duplicates", "fault_job_stops", "fault_ambiguous_resends"):
        print(f"{name}: {faults[name]:g}")

    print("== routing quality: the category suggester on 348 held-out citizen texts (Kediri demo categories)")
    routing = measure_routing()
    for category, accuracy in routing["routing_per_category"].items():
        print(f"  {category:<20} top1 {accuracy}")
    print(f"routing_texts: {routing['routing_texts']}")
    print(f"routing_top1_accuracy: {routing['routing_top1_accuracy']}")
    print(f"routing_top3_accuracy: {routing['routing_top3_accuracy']}")

    print("== the city's figures at scale (dynalite): the city dashboard for one month by OPD at 1,000 and 100,000")
    print("   cases, the monthly recap download at 100,000, and figures-table writes per case change")
    city = measure_figures()
    print_figures(city)

    print("== a cold Lambda: a fresh process imports the app and answers its first LINE webhook, against a fresh")
    print("   process with a bare Chalice app doing one put (medians of 11, dynalite); and the deployment zip")
    cold = {**measure_cold_webhook(), **measure_package()}
    for name in ("cold_webhook_ms", "cold_bare_put_ms", "cold_webhook_ratio", "package_mb"):
        print(f"{name}: {cold[name]}")

    figures = {"import_ratio": imports["import_ratio"], **flow, **hook, **esc, **inbox, **alerts, **burst,
               **faults, **{k: v for k, v in routing.items() if k != "routing_per_category"}, **city, **cold}
    over = [f"{k} {figures[k]} > {limit}" for k, limit in BUDGETS.items() if figures[k] > limit]
    over += [f"{k} {figures[k]} < {floor}" for k, floor in FLOORS.items() if figures[k] < floor]
    for line in over:
        print(f"OVER BUDGET: {line}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
