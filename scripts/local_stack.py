"""Start, check and stop the local stack: dynalite (DynamoDB) and `chalice local` (API Gateway + Lambda).

`make run` (scripts/run_local.py) and the integration-test fixtures (tests/integration/conftest.py) both
use these helpers, so a person and the tests run the very same processes the same way.

Every process is started in a session (process group) of its own, bound to 127.0.0.1, and stopped by its
own id: SIGTERM to its group, a grace period, then SIGKILL, so no child or grandchild outlives the caller.
On Linux each child also asks the kernel for SIGTERM when its parent dies (PR_SET_PDEATHSIG), so even a
parent killed with SIGKILL leaves nothing running.

Environment: `chalice local --stage S` *overwrites* the process environment with the stage's
`environment_variables` from `.chalice/config.json`; variables that the config does not set (the DynamoDB
endpoint `ADUAN_DYNAMODB_HOST`, AWS credentials and region, and the local URLs below) pass through from the
parent. `app_environment` builds that same merged environment, so the seeding step and the schedule runner see
exactly what the app sees.

Local URLs: the app builds every absolute link from `ADUAN_PUBLIC_BASE_URL` (tracking links in replies to
citizens, case links in officer alerts, the web pages' base path) and checks Twilio's signature against
`ADUAN_TWILIO_PUBLIC_URL`. The local stage does not pin them in `.chalice/config.json`: `app_environment(...,
port=P)` sets them to `http://127.0.0.1:P`, so `make run PORT=8400` moves every link with the server.

`python -m scripts.local_stack seed` (run with the app environment) creates the tables and loads the demo
data, then prints one `ADUAN_SEED_RESULT {json}` line; `seed()` runs it in a child process so that the
caller never imports the store with a different endpoint (PynamoDB models bind their host at import).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DYNALITE_CLI = REPO_ROOT / "node_modules" / "dynalite" / "cli.js"
LOOPBACK = "127.0.0.1"
DEFAULT_API_PORT = 8000  # `make run` without PORT=; dynalite takes the next port up
DEFAULT_REGION = "ap-southeast-3"
SEED_MARKER = "ADUAN_SEED_RESULT "

# Run the chalice CLI with the same interpreter (the project's venv), whatever is on PATH.
# Python's socketserver listens with a backlog of 5: 16 webhook senders connecting at once overflow it and the
# kernel drops their handshakes, which come back only after TCP's 1 s / 2 s retransmissions. That is the dev
# server, not the app (API Gateway has no such limit): listen with a backlog of LISTEN_BACKLOG instead.
LISTEN_BACKLOG = 128
_CHALICE_MAIN = (
    f"import chalice.local; chalice.local.ThreadedHTTPServer.request_queue_size = {LISTEN_BACKLOG}; "
    "import sys; from chalice.cli import main; sys.argv[0] = 'chalice'; sys.exit(main())"
)

_PR_SET_PDEATHSIG = 1
try:  # resolved in the parent: nothing may be loaded between fork and exec
    _LIBC: Any = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
except OSError:  # pragma: no cover - exotic libc
    _LIBC = None


class StackError(RuntimeError):
    """A local process could not be started or did not become ready."""


# --------------------------------------------------------------------------------------------------
# Processes


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


@dataclass
class ManagedProcess:
    """A child process that leads its own process group; `stop()` ends the whole group."""

    name: str
    popen: subprocess.Popen
    log_path: Path | None = None
    url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(output not captured)"
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self, grace: float = 5.0) -> int | None:
        """SIGTERM the group, wait up to `grace` seconds, then SIGKILL it. Safe to call twice."""
        proc = self.popen
        if proc.poll() is None:
            _signal_group(proc.pid, signal.SIGTERM)
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait(grace)
        # The leader is gone (and reaped); the group id stays reserved while any member lives,
        # so this reaches only stragglers of this very group.
        _signal_group(proc.pid, signal.SIGKILL)
        return proc.returncode


def _child_setup(parent_pid: int) -> Callable[[], None]:
    def setup() -> None:  # runs in the child between fork and exec: no imports, no allocation-heavy work
        if _LIBC is not None:
            _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
            if os.getppid() != parent_pid:  # the parent died before prctl took effect
                os._exit(1)

    return setup


def start_process(
    name: str,
    argv: list[str],
    env: Mapping[str, str] | None = None,
    log_path: Path | None = None,
    cwd: Path = REPO_ROOT,
) -> ManagedProcess:
    """Start `argv` in a new session. Output goes to `log_path` (appended) or, if None, to our own stdout."""
    out: IO[bytes] | None = None
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        out = open(log_path, "ab")  # noqa: SIM115 - the child keeps its own copy; ours is closed below
    try:
        popen = subprocess.Popen(
            argv,
            cwd=str(cwd),
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT if out is not None else None,
            start_new_session=True,
            preexec_fn=_child_setup(os.getpid()),  # callers are single-threaded
        )
    finally:
        if out is not None:
            out.close()
    return ManagedProcess(name=name, popen=popen, log_path=log_path)


def stop_all(processes: Iterable[ManagedProcess | None], grace: float = 5.0) -> None:
    """Stop processes in reverse start order; one failing to stop does not spare the others."""
    errors = []
    for proc in reversed([p for p in processes if p is not None]):
        try:
            proc.stop(grace)
        except Exception as exc:  # pragma: no cover - last-resort cleanup
            errors.append(f"{proc.name} (pid {proc.pid}): {exc!r}")
    if errors:
        raise StackError("could not stop: " + "; ".join(errors))


# --------------------------------------------------------------------------------------------------
# Ports and readiness


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that is free on `host` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_in_use(port: int, host: str = LOOPBACK) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    """(status, body) of a GET; HTTP error statuses are returned, connection errors raise OSError."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def wait_until(
    ready: Callable[[], bool], proc: ManagedProcess, what: str, timeout: float = 30.0, interval: float = 0.1
) -> None:
    """Poll `ready` until it is true; fail early (with the log) if `proc` exits, or after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        if not proc.running():
            raise StackError(f"{proc.name} exited with code {proc.popen.returncode} before {what}:\n{proc.log_tail()}")
        try:
            if ready():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise StackError(f"{proc.name} (pid {proc.pid}): no {what} after {timeout:.0f}s:\n{proc.log_tail()}")
        time.sleep(interval)


# --------------------------------------------------------------------------------------------------
# dynalite


def dynalite_answers(url: str) -> bool:
    status, body = http_get(url + "/", timeout=1.0)
    return status == 200 and body.startswith(b"healthy")


def dynalite_argv(port: int, path: Path | None, host: str = LOOPBACK, table_state_ms: int = 0) -> list[str]:
    node = shutil.which("node")
    if node is None:
        raise StackError("node is not on PATH: dynalite needs Node.js 18+")
    if not DYNALITE_CLI.exists():
        raise StackError(f"{DYNALITE_CLI} is missing: run `make node_modules` (npm ci)")
    argv = [node, str(DYNALITE_CLI), "--host", host, "--port", str(port)]
    # Tables (and index changes) go ACTIVE at once instead of after dynalite's default 500 ms.
    for flag in ("--createTableMs", "--deleteTableMs", "--updateTableMs"):
        argv += [flag, str(table_state_ms)]
    if path is not None:
        argv += ["--path", str(path)]
    return argv


def start_dynalite(
    port: int | None = None,
    path: Path | None = None,
    log_path: Path | None = None,
    timeout: float = 30.0,
) -> ManagedProcess:
    """Start dynalite on 127.0.0.1:`port` (a free one if None), data in LevelDB under `path`
    (in memory if None), and wait until it answers. `proc.url` is its endpoint."""
    port = port or free_port()
    if port_in_use(port):
        raise StackError(f"port {port} is already in use on {LOOPBACK}: is another `make run` running?")
    if path is not None:
        Path(path).mkdir(parents=True, exist_ok=True)
    proc = start_process("dynalite", dynalite_argv(port, path), log_path=log_path)
    proc.url = f"http://{LOOPBACK}:{port}"
    proc.extra.update(port=port, path=path)
    try:
        wait_until(lambda: dynalite_answers(proc.url), proc, "answer on " + proc.url, timeout)
    except BaseException:
        proc.stop()
        raise
    return proc


# --------------------------------------------------------------------------------------------------
# The app's environment, tables and demo data


def stage_config_environment(stage: str, project_dir: Path = REPO_ROOT) -> dict[str, str]:
    """The environment variables `.chalice/config.json` gives `stage` (top level, then the stage's own):
    chalice applies them over the process environment."""
    config = json.loads((project_dir / ".chalice" / "config.json").read_text())
    env = dict(config.get("environment_variables", {}))
    env.update(config.get("stages", {}).get(stage, {}).get("environment_variables", {}))
    return {key: str(value) for key, value in env.items()}


def local_base_url(port: int = DEFAULT_API_PORT) -> str:
    """Where `chalice local` on `port` answers (and where citizens and officers open it on this machine)."""
    return f"http://{LOOPBACK}:{port}"


def local_url_environment(port: int = DEFAULT_API_PORT) -> dict[str, str]:
    """The settings the app builds absolute URLs from, for `chalice local` on 127.0.0.1:`port`."""
    base = local_base_url(port)
    return {"ADUAN_PUBLIC_BASE_URL": base, "ADUAN_TWILIO_PUBLIC_URL": base + "/webhooks/twilio"}


def app_environment(
    dynamodb_host: str,
    stage: str = "local",
    overrides: Mapping[str, str] | None = None,
    base: Mapping[str, str] | None = None,
    port: int = DEFAULT_API_PORT,
) -> dict[str, str]:
    """The environment the app sees under `chalice local --stage <stage> --port <port>` against `dynamodb_host`.

    Dummy credentials are forced: dynalite accepts any, and real ones must never be used by a local run.
    The public URLs follow `port` (`local_url_environment`) unless the stage config pins them.
    `overrides` may not change a variable that the stage config pins (chalice would silently undo it)."""
    env = dict(os.environ if base is None else base)
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        env.pop(var, None)
    env["AWS_ACCESS_KEY_ID"] = "local"
    env["AWS_SECRET_ACCESS_KEY"] = "local"
    env.setdefault("AWS_DEFAULT_REGION", DEFAULT_REGION)
    env["ADUAN_DYNAMODB_HOST"] = dynamodb_host
    env["PYTHONUNBUFFERED"] = "1"
    env.update(local_url_environment(port))
    pinned = stage_config_environment(stage)
    env.update(pinned)
    for key, value in (overrides or {}).items():
        if key in pinned and pinned[key] != value:
            raise StackError(
                f".chalice/config.json pins {key}={pinned[key]!r} for stage {stage!r}; "
                f"chalice local would replace {value!r} with it"
            )
        env[key] = value
    return env


@dataclass(frozen=True)
class SeedResult:
    tables: list[str]
    logins: list[dict[str, Any]]


def seed(env: Mapping[str, str], timeout: float = 180.0) -> SeedResult:
    """Create every table and load the demo data (both idempotent) in a child process with `env`."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "scripts.local_stack", "seed"],
            cwd=str(REPO_ROOT),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise StackError(f"creating tables and demo data took more than {timeout:.0f}s") from exc
    for line in reversed(done.stdout.splitlines()):
        if done.returncode == 0 and line.startswith(SEED_MARKER):
            payload = json.loads(line[len(SEED_MARKER) :])
            return SeedResult(tables=payload["tables"], logins=payload["logins"])
    raise StackError(
        f"creating tables and demo data failed (exit {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    )


def _seed_main() -> int:
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from chalicelib.store import tables as store_tables
    from demo.loader import load_demo_data
    from scripts.local_migrate import migrate_local_tables
    from scripts.rebuild_figures import rebuild_figures

    for name in migrate_local_tables():  # tables left by an older version gain today's indexes
        print(f"rebuilt {name} with its current indexes", file=sys.stderr)
    tables = list(store_tables.create_tables())
    logins = [
        {
            "username": login.username,
            "password": login.password,
            "role": login.role,
            "agency_id": login.agency_id,
            "display_name": login.display_name,
        }
        for login in load_demo_data()
    ]
    rebuild_figures()  # the demo cases, and an older version's data, counted now (counted ones change nothing)
    print(SEED_MARKER + json.dumps({"tables": tables, "logins": logins}), flush=True)
    return 0


# --------------------------------------------------------------------------------------------------
# chalice local


def chalice_local_argv(port: int, stage: str = "local", host: str = LOOPBACK) -> list[str]:
    return [
        sys.executable, "-c", _CHALICE_MAIN,
        "--project-dir", str(REPO_ROOT),
        "local", "--no-autoreload", "--host", host, "--port", str(port), "--stage", stage,
    ]  # fmt: skip


def health_ok(url: str) -> bool:
    status, body = http_get(url + "/health", timeout=2.0)
    return status == 200 and json.loads(body).get("status") == "ok"


def start_chalice_local(
    env: Mapping[str, str],
    port: int | None = None,
    stage: str = "local",
    log_path: Path | None = None,
    timeout: float = 60.0,
) -> ManagedProcess:
    """Start `chalice local` (no autoreload: one process, stopped by its pid) on 127.0.0.1:`port`
    with `env` (see `app_environment`) and wait until GET /health answers 200. `proc.url` is its base URL."""
    port = port or free_port()
    if port_in_use(port):
        raise StackError(f"port {port} is already in use on {LOOPBACK}: is another `make run` running?")
    proc = start_process("chalice local", chalice_local_argv(port, stage), env=env, log_path=log_path)
    proc.url = local_base_url(port)
    proc.extra.update(port=port, stage=stage)
    try:
        wait_until(lambda: health_ok(proc.url), proc, "GET /health = 200 on " + proc.url, timeout)
    except BaseException:
        proc.stop()
        raise
    return proc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.local_stack", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("seed", help="create every table and load the demo data (uses the current environment)")
    args = parser.parse_args(argv)
    if args.command == "seed":
        return _seed_main()
    return 2  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
