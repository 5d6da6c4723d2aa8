"""Count every case into the city's figures: the upgrade from the per-month map aggregates, or a repair.

An operator's one-off command, never a job: it reads the whole cases table page by page (a Scan, which no
request and no scheduled function ever does). Each case goes through the same exactly-once path as the sync
(`services/figures.update_case_figures`), so running it twice, or while the stage is live, counts nothing
twice; a case another worker holds is reported as busy and the sync job finishes it.

    ADUAN_STAGE=prod .venv/bin/python -m scripts.rebuild_figures     # with the stage's AWS credentials
"""

from __future__ import annotations

import json
import sys


def rebuild_figures(page_size: int = 200) -> dict[str, int]:
    from chalicelib.services.context import get_context
    from chalicelib.services.figures import update_case_figures
    from chalicelib.store.cases import to_case
    from chalicelib.store.models import CaseRecord
    from chalicelib.store.tables import bind_models

    bind_models()
    ctx = get_context()
    counts = {"cases": 0, "counted": 0, "busy": 0}
    for record in CaseRecord.scan(page_size=page_size):
        counts["cases"] += 1
        if update_case_figures(ctx, to_case(record)):
            counts["counted"] += 1
        else:
            counts["busy"] += 1
    return counts


def main() -> int:
    counts = rebuild_figures()
    print(json.dumps(counts))
    return 0 if not counts["busy"] else 1


if __name__ == "__main__":
    sys.exit(main())
