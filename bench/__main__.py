"""`make bench`: figures measured side by side in one run, each ending its own line as `name: value`.

Budgets (issue 2): import_ratio <= 1.3, ddb_requests_per_action_max <= 2.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # thousands of actions: keep the figures readable

from bench.bench_import import measure_import
from bench.bench_workflow import measure_workflow

BUDGETS = {"import_ratio": 1.3, "ddb_requests_per_action_max": 2}


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
    print(f"dashboard_requests: {flow['dashboard_requests']}")
    print(f"dashboard_cases_counted: {flow['dashboard_total']}")
    print(f"workflow_seconds: {flow['seconds']:.1f}")
    print(f"ddb_requests_per_action_max: {flow['ddb_requests_per_action_max']}")

    figures = {"import_ratio": imports["import_ratio"], **flow}
    over = [f"{k} {figures[k]} > {limit}" for k, limit in BUDGETS.items() if figures[k] > limit]
    for line in over:
        print(f"OVER BUDGET: {line}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
