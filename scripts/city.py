"""Validate, plan, apply or export a city file (docs/city-file.md) against the configured stage.

    python -m scripts.city validate FILE           # the file alone, no database
    python -m scripts.city plan FILE               # what applying would change
    python -m scripts.city apply FILE              # shows the plan only; add --yes to write it
    python -m scripts.city export FILE             # the stored directory into FILE ("-": standard output)

Stage: with ADUAN_STAGE set, the environment is used as the app would read it; without it, the local stack of
`make run` (stage `local`, dynalite on 127.0.0.1:8001 — scripts/local_stack.py app_environment). A deployed
stage is easier through the packaged Lambda `apply_city_file` (docs/city-file.md).
Exit status: 0 done, 1 the file has errors, 2 bad usage, 3 the store could not be reached.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

LOCAL_DYNAMODB = "http://127.0.0.1:8001"


def _use_stage_environment() -> str:
    """Before anything imports the store (PynamoDB binds its host on first use): the app's environment."""
    if not os.environ.get("ADUAN_STAGE"):
        from scripts.local_stack import app_environment

        os.environ.update(app_environment(os.environ.get("ADUAN_DYNAMODB_HOST") or LOCAL_DYNAMODB, stage="local"))
    where = os.environ.get("ADUAN_DYNAMODB_HOST") or "AWS DynamoDB"
    return f"stage {os.environ['ADUAN_STAGE']} ({where}, city {os.environ.get('ADUAN_CITY_CODE', 'KDR')})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.city", description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=("validate", "plan", "apply", "export"))
    parser.add_argument("file", help="the city file (YAML); for export, where to write it ('-': standard output)")
    parser.add_argument("--yes", action="store_true", help="apply: write the changes (without it: the plan only)")
    args = parser.parse_args(argv)

    text = ""
    if args.action != "export":
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            print(f"cannot read {args.file}: {error}", file=sys.stderr)
            return 2
    action = "plan" if args.action == "apply" and not args.yes else args.action
    from chalicelib.services.city_file import run_city_command

    ctx = None
    if action != "validate":
        print(f"Using {_use_stage_environment()}", file=sys.stderr)
        from chalicelib.services.context import build_context

        ctx = build_context()
    try:
        answer = run_city_command(ctx, action, text)
    except Exception as error:  # the store is unreachable or refuses: one readable line, not a traceback
        if os.environ.get("ADUAN_DEBUG"):
            raise
        print(f"could not reach the stage's directory ({type(error).__name__}: {error}); for the local stack, "
              "is `make run` running?", file=sys.stderr)
        return 3
    if not answer["ok"]:
        print(f"{args.file}: not applied, fix these first:", file=sys.stderr)
        for error in answer["errors"]:
            print(f"  {error}", file=sys.stderr)
        return 1
    if action == "export":
        if args.file == "-":
            sys.stdout.write(answer["yaml"])
        else:
            Path(args.file).write_text(answer["yaml"], encoding="utf-8")
            print(f"wrote {args.file}", file=sys.stderr)
        return 0
    print("\n".join(answer["lines"]))
    if args.action == "apply" and not args.yes and not answer.get("nothing_to_change"):
        print("\nNothing written. Run again with --yes (make city FILE=… APPLY=1) to apply this plan.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
