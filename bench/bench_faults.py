"""The fault-injection matrix (issue 10) as figures: every DynamoDB, S3, SES and provider call of intake,
every workflow action, escalation, the outbox and the aggregate sync, in turn throttled, timed out or failing
with a 500 (also after the write went through), recovered as production recovers, and compared with a clean
run. The engine is `tests/support/faults.py` (the same cells as `tests/unit/test_fault_matrix.py`), on moto
in-process: SES and S3 have no local stand-in in the dynalite stack.
"""

from __future__ import annotations


def run() -> dict[str, float]:
    """{"fault_cases": N, "fault_losses": 0, "fault_duplicates": 0, "fault_job_stops": 0, ...}."""
    from tests.support.faults import run_all, standalone

    with standalone() as matrix:
        figures, _results = run_all(matrix)
    return figures


def main() -> int:
    from tests.support.faults import run_all, standalone

    with standalone() as matrix:
        figures, results = run_all(matrix)
    for result in results:
        if not result.ok or result.ambiguous:
            print(f"  {result.flow} {result.label} {result.fault}: fired={result.fired} losses={result.losses} "
                  f"duplicates={result.duplicates} ambiguous={result.ambiguous} job_stop={result.job_stop}")
    for name, value in figures.items():
        print(f"{name}: {value:g}")
    return 1 if figures["fault_losses"] or figures["fault_duplicates"] or figures["fault_job_stops"] else 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
