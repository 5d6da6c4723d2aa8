"""What a cold Lambda pays for its first webhook, and what it ships.

`cold_webhook_ratio`: a brand-new interpreter imports the app and answers its first LINE webhook (signature,
parse, the durable write), against a brand-new interpreter with a bare Chalice app that parses the same body
and does one conditional put; both through Chalice's test client against the same dynalite, alternating, medians
of 11. Interpreter start-up is left out (each child times itself from its first statement), and so is compiling
source: every child, app and libraries alike, reads bytecode from a private cache (`PYTHONPYCACHEPREFIX`, outside
the repo) that the warm-up writes, whatever the caller's `PYTHONDONTWRITEBYTECODE`. With that variable inherited,
the app's own modules were compiled from source in every sample while the libraries loaded from pip's bytecode,
which charged the app for the size of its source rather than for what it runs.

`package_mb`: the deployment zip `chalice package` builds for a stage (what Lambda loads on a cold start).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLES = 11

_APP = """
import time
start = time.perf_counter()
import base64, hashlib, hmac, os
from chalice.test import Client
from app import app
from bench.bench_webhook import _line_body
body = _line_body()
secret = os.environ["ADUAN_LINE_CHANNEL_SECRET"]
signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
with Client(app, stage_name="local") as client:
    status = client.http.post("/webhooks/line", body=body,
                              headers={"Content-Type": "application/json", "X-Line-Signature": signature}).status_code
assert status == 200, status
print(f"COLD_MS {(time.perf_counter() - start) * 1000:.3f}")
"""

_BARE = """
import time
start = time.perf_counter()
from chalice.test import Client
from bench.bench_webhook import _bare_app, _line_body
from chalicelib.store.tables import bind_models
bind_models()
with Client(_bare_app()) as client:
    status = client.http.post("/bare", headers={"Content-Type": "application/json"}, body=_line_body()).status_code
assert status == 200, status
print(f"COLD_MS {(time.perf_counter() - start) * 1000:.3f}")
"""


def _child(code: str, env: dict[str, str]) -> float:
    done = subprocess.run([sys.executable, "-c", code], cwd=str(REPO_ROOT), env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"cold child failed:\n{done.stderr[-3000:]}")
    line = next(line for line in done.stdout.splitlines() if line.startswith("COLD_MS "))
    return float(line.split()[1])


def measure_cold_webhook(samples: int = SAMPLES) -> dict:
    from scripts.local_stack import app_environment, start_dynalite

    dynalite = start_dynalite()
    pycache = tempfile.TemporaryDirectory(prefix="aduan-bench-pycache-")
    try:
        env = {**os.environ, **app_environment(dynalite.url), "ADUAN_INBOUND_DISPATCH": "none",
               "PYTHONPYCACHEPREFIX": pycache.name}
        env.pop("PYTHONPATH", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # the warm-up must be able to write the cache (outside the repo)
        subprocess.run([sys.executable, "-c", "from chalicelib.store.tables import create_tables; create_tables()"],
                       cwd=str(REPO_ROOT), env=env, check=True, capture_output=True, timeout=120)
        _child(_APP, env), _child(_BARE, env)  # warm-up: bytecode caches, page cache
        app_ms: list[float] = []
        bare_ms: list[float] = []
        for i in range(samples):
            order = ((_APP, app_ms), (_BARE, bare_ms))
            for code, results in order if i % 2 == 0 else reversed(order):
                results.append(_child(code, env))
    finally:
        dynalite.stop()
        pycache.cleanup()
    app_median, bare_median = statistics.median(app_ms), statistics.median(bare_ms)
    return {
        "cold_webhook_ms": round(app_median, 1),
        "cold_bare_put_ms": round(bare_median, 1),
        "cold_webhook_ratio": round(app_median / bare_median, 2),
    }


def measure_package() -> dict:
    """Size of the deployment zip of the `dev` stage, built from a copy of the project (no cache touched)."""
    ignore = shutil.ignore_patterns(".git", ".venv", "node_modules", ".data", "deployments", "__pycache__", "*.pyc",
                                    ".pytest_cache", ".ruff_cache", ".hypothesis", "build", "dist")
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "aduan"
        shutil.copytree(REPO_ROOT, project, symlinks=True, ignore=ignore)
        out = Path(tmp) / "out"
        env = {**os.environ, "AWS_DEFAULT_REGION": "ap-southeast-3", "AWS_ACCESS_KEY_ID": "bench",
               "AWS_SECRET_ACCESS_KEY": "bench"}
        main = "import sys; from chalice.cli import main; sys.argv[0] = 'chalice'; sys.exit(main())"
        done = subprocess.run([sys.executable, "-c", main, "--project-dir", str(project), "package", "--stage", "dev",
                               str(out)], env=env, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"chalice package failed:\n{done.stderr[-3000:]}")
        size = (out / "deployment.zip").stat().st_size
    return {"package_mb": round(size / 1_000_000, 2)}


if __name__ == "__main__":
    print(measure_cold_webhook())
    print(measure_package())
