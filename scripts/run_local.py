"""`make run`: the whole of Aduan on this machine, with no AWS account.

1. dynalite (DynamoDB) on 127.0.0.1:8001, data kept in `.data/dynalite` (a second run finds it again);
2. every table created and the demo data loaded (both idempotent);
3. `chalice local` (API Gateway + Lambda) on http://127.0.0.1:8000;
4. the schedule runner (scripts/scheduler.py), firing the scheduled functions on their rates;
5. a banner with the URL and the demo logins.

`--port P` (`make run PORT=P`) moves everything with it: chalice local on P, dynalite on P+1 (unless
`--dynalite-port` says otherwise), and the URLs the app builds links from (tracking links in replies, case links in
officer alerts, the web pages, Twilio's signed URL; see `local_stack.app_environment`).

Ctrl-C (SIGINT) or SIGTERM stops every process this started, in reverse order, by its own pid;
if one of them dies on its own, the others are stopped too and the exit code is 1.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python scripts/run_local.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts import local_stack
from scripts.local_stack import DEFAULT_API_PORT, LOOPBACK, REPO_ROOT, ManagedProcess, StackError

DATA_DIR = REPO_ROOT / ".data"


class _Stop(Exception):
    """SIGTERM arrived."""


def _on_sigterm(_signum: int, _frame: Any) -> None:
    raise _Stop()


def banner(api_url: str, dynalite_url: str, data_path: Path, logins: list[dict], scheduler: bool) -> str:
    rule = "=" * 78
    try:
        shown_path = data_path.relative_to(REPO_ROOT)
    except ValueError:
        shown_path = data_path
    lines = [
        "",
        rule,
        "  Aduan is running locally (stage: local)",
        "",
        f"  Officer desk: {api_url}/petugas/  (sign in with a demo login below)",
        f"  Public form:  {api_url}/lapor    tracking: {api_url}/lacak",
        f"  Health:     {api_url}/health",
        f"  Officer API: {api_url}/api/...  (log in with POST /api/auth/login; see README)",
        f"  DynamoDB:   {dynalite_url}  (dynalite, data in {shown_path})",
        "  Schedules:  " + ("fired on their rates by scripts/scheduler.py" if scheduler else "off (--no-scheduler)"),
        "  Simulator:  make simulate"
        + ("" if api_url == local_stack.local_base_url() else f" URL={api_url}")
        + ' CHANNEL=line TEXT="Jalan berlubang di Jl. Dhoho"',
    ]
    if dynalite_url != local_stack.local_base_url(DEFAULT_API_PORT + 1):  # scripts.city assumes 8001
        lines.append(f"  City file:  ADUAN_DYNAMODB_HOST={dynalite_url} make city FILE=kota.yaml")
    lines += [
        "",
        "  Demo logins (local demo data only):",
    ]
    rows = [("USERNAME", "PASSWORD", "ROLE", "AGENCY")] + [
        (
            str(login["username"]),
            str(login["password"]),
            str(login["role"]),
            str(login["agency_id"] or "-"),
        )
        for login in logins
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        lines.append(("    " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))).rstrip())
    if not logins:
        lines.append("    (none: load_demo_data returned no logins)")
    lines += ["", "  Press Ctrl-C to stop everything.", rule, ""]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    started: list[ManagedProcess] = []
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        for port, what in ((args.port, "chalice local"), (args.dynalite_port, "dynalite")):
            if local_stack.port_in_use(port):
                raise StackError(
                    f"port {port} ({what}) is already in use on {LOOPBACK}: "
                    "is another `make run` still running? Stop it first."
                )
        print(f"starting dynalite on {LOOPBACK}:{args.dynalite_port} (data in {args.data_dir}) ...", flush=True)
        dynalite = local_stack.start_dynalite(
            port=args.dynalite_port, path=args.data_dir, log_path=args.data_dir.parent / "dynalite.log"
        )
        started.append(dynalite)
        env = local_stack.app_environment(dynalite.url, stage="local", port=args.port)
        print("creating tables and loading demo data ...", flush=True)
        seeded = local_stack.seed(env)
        print(f"  {len(seeded.tables)} tables ready", flush=True)
        print(f"starting chalice local on {LOOPBACK}:{args.port} ...", flush=True)
        api = local_stack.start_chalice_local(env, port=args.port, stage="local")
        started.append(api)
        if not args.no_scheduler:
            argv = [sys.executable, "-m", "scripts.scheduler", "--stage", "local"]
            if args.fire_on_start:
                argv.append("--fire-on-start")
            started.append(local_stack.start_process("scheduler", argv, env=env))
        print(banner(api.url, dynalite.url, args.data_dir, seeded.logins, not args.no_scheduler), flush=True)
        while True:
            for proc in started:
                if not proc.running():
                    print(
                        f"\n{proc.name} (pid {proc.pid}) exited with code {proc.popen.returncode}; stopping the rest.",
                        file=sys.stderr,
                        flush=True,
                    )
                    return 1
            time.sleep(0.5)
    except (KeyboardInterrupt, _Stop):
        print("\nstopping ...", flush=True)
        return 0
    except StackError as err:
        print(f"\nmake run failed: {err}", file=sys.stderr, flush=True)
        return 1
    finally:
        # A second Ctrl-C must not cut the cleanup short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        local_stack.stop_all(started)
        if started:
            print("stopped: " + ", ".join(f"{p.name} (pid {p.pid})" for p in started), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.run_local", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--port", type=int, default=DEFAULT_API_PORT, help=f"chalice local port (default {DEFAULT_API_PORT})"
    )
    parser.add_argument("--dynalite-port", type=int, help="dynalite port (default: the chalice local port + 1)")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR / "dynalite", help="dynalite data directory")
    parser.add_argument("--no-scheduler", action="store_true", help="do not fire the scheduled functions")
    parser.add_argument("--fire-on-start", action="store_true", help="fire every schedule once right away")
    args = parser.parse_args(argv)
    args.data_dir = args.data_dir.resolve()
    if args.dynalite_port is None:
        args.dynalite_port = args.port + 1
    if args.dynalite_port == args.port:
        parser.error("--dynalite-port must differ from --port")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
