"""Cold-start cost of the app: `import app` in a fresh interpreter, against the bare framework
(`import chalice, boto3, pynamodb`), measured in the same run so the ratio means something on any machine.

Each sample is a new subprocess (run from the repo root, local stage, dummy AWS credentials) that times its
own import with perf_counter, so interpreter start-up is left out. App and baseline alternate (ABBA) so
drift of the machine hits both alike; one discarded warm-up of each writes the bytecode caches first.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

APP_IMPORT = "import app"
BASELINE_IMPORT = "import chalice, boto3, pynamodb"

_TIMER = (
    "import time\n"
    "start = time.perf_counter()\n"
    "{statement}\n"
    "print(f'IMPORT_MS {{(time.perf_counter() - start) * 1000:.3f}}')\n"
)


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "PYTHONPATH"):
        env.pop(var, None)
    env.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="ap-southeast-3",
        ADUAN_STAGE="local",
    )
    return env


def time_import(statement: str, env: dict[str, str] | None = None) -> float:
    """Milliseconds that `statement` takes in a brand-new interpreter started in the repo root."""
    done = subprocess.run(
        [sys.executable, "-c", _TIMER.format(statement=statement)],
        cwd=str(REPO_ROOT),
        env=env or _environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"`{statement}` failed in a fresh interpreter:\n{done.stderr}")
    line = next(line for line in done.stdout.splitlines() if line.startswith("IMPORT_MS "))
    return float(line.split()[1])


def measure_import(samples: int = 7) -> dict:
    """Median cold-import time of the app and of the baseline, and their ratio (app / baseline)."""
    if samples < 1:
        raise ValueError("samples must be at least 1")
    env = _environment()
    time_import(APP_IMPORT, env)  # warm-up: bytecode caches, page cache
    time_import(BASELINE_IMPORT, env)
    app_ms: list[float] = []
    baseline_ms: list[float] = []
    for i in range(samples):
        order = ((APP_IMPORT, app_ms), (BASELINE_IMPORT, baseline_ms))
        for statement, results in order if i % 2 == 0 else reversed(order):
            results.append(time_import(statement, env))
    app_median = statistics.median(app_ms)
    baseline_median = statistics.median(baseline_ms)
    return {
        "import_app_ms": round(app_median, 1),
        "import_baseline_ms": round(baseline_median, 1),
        "import_ratio": round(app_median / baseline_median, 2),
    }


if __name__ == "__main__":
    print(measure_import())
