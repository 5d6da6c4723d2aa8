"""Fire the app's scheduled functions on their schedules, as EventBridge does on AWS.

Finds every `@app.schedule(...)` / `@blueprint.schedule(...)` from the Chalice app object
(`app.event_sources` holds a `ScheduledEventConfig` per schedule; `app.handler_map[name]` the wrapped Lambda
handler) and calls each with a synthetic "Scheduled Event" (the shape EventBridge sends; chalice turns it into
a `CloudWatchEvent`) and a chalice `LambdaContext`.

Schedules: `rate(N minute|minutes|hour|hours|day|days)` fires every N units after the runner starts (sooner
with --fire-on-start); `cron(min hour day-of-month month day-of-week year)` in AWS's six-field form, in UTC
(`cron(0 0 * * ? *)` = 00:00 UTC = 07:00 WIB), with `*`, `?`, numbers, names (JAN-DEC, SUN-SAT),
lists, ranges and `/` steps. AWS's `L`, `W` and `#` are refused. Day-of-week runs 1-7 = SUN-SAT as on AWS.

A function that raises is logged with its traceback and the runner goes on. Functions run one at a time.

    python -m scripts.scheduler                 # run until SIGINT/SIGTERM
    python -m scripts.scheduler --once          # fire every schedule once, exit 1 if any raised
    python -m scripts.scheduler --list          # show the schedules and their next run

It loads the app the way `chalice local` does (the stage's environment variables from .chalice/config.json
are applied over the process environment), so run it with the same environment as chalice local
(scripts/run_local.py does).
"""

from __future__ import annotations

import argparse
import calendar
import logging
import os
import re
import signal
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
WIB = timezone(timedelta(hours=7), "WIB")
FAKE_ACCOUNT = "123456789012"

# Not under "aduan": Chalice(app_name="aduan") sets that logger to ERROR with a handler of its own.
log = logging.getLogger("scheduler")


# --------------------------------------------------------------------------------------------------
# Schedule expressions


class ScheduleError(ValueError):
    """A schedule expression this runner (or AWS) does not accept."""


@dataclass(frozen=True)
class RateSchedule:
    expression: str
    period: timedelta

    def next_after(self, moment: datetime) -> datetime:
        return moment + self.period


_RATE_RE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$", re.IGNORECASE)
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def parse_rate(expression: str) -> RateSchedule:
    match = _RATE_RE.match(expression.strip())
    if not match:
        raise ScheduleError(f"not a rate expression: {expression!r}")
    value, unit = int(match.group(1)), match.group(2).lower().rstrip("s")
    if value < 1:
        raise ScheduleError(f"rate must be at least 1: {expression!r}")
    return RateSchedule(expression, timedelta(seconds=value * _UNIT_SECONDS[unit]))


_MONTHS = {name: i for i, name in enumerate(calendar.month_abbr) if name}  # "Jan" -> 1
_MONTHS = {name.upper(): number for name, number in _MONTHS.items()}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}

# (name, lowest, highest, names)
_FIELDS = (
    ("minutes", 0, 59, {}),
    ("hours", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _DAYS),
    ("year", 1970, 2199, {}),
)


def _field_values(text: str, name: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    def number(token: str) -> int:
        token = token.strip().upper()
        if token in names:
            return names[token]
        if not token.isdigit():
            raise ScheduleError(f"{name}: {token!r} is not a number" + (" or a name" if names else ""))
        value = int(token)
        if not low <= value <= high:
            raise ScheduleError(f"{name}: {value} is outside {low}-{high}")
        return value

    values: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            raise ScheduleError(f"{name}: empty list item in {text!r}")
        if any(c in part.upper() for c in "LW#") and part.upper() not in names:
            raise ScheduleError(f"{name}: {part!r} (L, W and # are not supported by the local runner)")
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) < 1:
                raise ScheduleError(f"{name}: bad step in {part!r}")
            step = int(step_text)
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = number(first), number(last)
            if start > end:
                raise ScheduleError(f"{name}: range {base!r} runs backwards")
        else:
            start = number(base)
            end = high if step_text else start  # AWS: "0/15" = from 0 every 15
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class CronSchedule:
    """AWS EventBridge cron, evaluated in UTC. A `None` day field is `?` (no constraint)."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int] | None
    months: frozenset[int]
    days_of_week: frozenset[int] | None  # 1 = Sunday ... 7 = Saturday
    years: frozenset[int]

    def matches_day(self, day: date) -> bool:
        if day.year not in self.years or day.month not in self.months:
            return False
        if self.days_of_month is not None and day.day not in self.days_of_month:
            return False
        aws_weekday = (day.weekday() + 1) % 7 + 1  # Monday=0 -> 2, Sunday=6 -> 1
        return self.days_of_week is None or aws_weekday in self.days_of_week

    def matches(self, moment: datetime) -> bool:
        moment = _as_utc(moment)
        return moment.minute in self.minutes and moment.hour in self.hours and self.matches_day(moment.date())

    def next_after(self, moment: datetime) -> datetime | None:
        """The first matching minute strictly after `moment` (UTC), or None if there is none."""
        moment = _as_utc(moment)
        start = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        hours, minutes = sorted(self.hours), sorted(self.minutes)
        day = start.date()
        last_day = date(max(self.years), 12, 31)
        while day <= last_day:
            if day.year not in self.years:  # jump to the next allowed year
                later = [y for y in self.years if y > day.year]
                if not later:
                    return None
                day = date(min(later), 1, 1)
                continue
            if self.matches_day(day):
                for hour in hours:
                    for minute in minutes:
                        candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                        if candidate >= start:
                            return candidate
            day += timedelta(days=1)
        return None


def parse_cron(expression: str) -> CronSchedule:
    match = re.match(r"^cron\((.*)\)$", expression.strip(), re.IGNORECASE)
    if not match:
        raise ScheduleError(f"not a cron expression: {expression!r}")
    parts = match.group(1).split()
    if len(parts) != 6:
        raise ScheduleError(f"cron needs 6 fields (min hour day-of-month month day-of-week year): {expression!r}")
    dom_text, dow_text = parts[2], parts[4]
    if (dom_text == "?") == (dow_text == "?"):
        raise ScheduleError(f"exactly one of day-of-month and day-of-week must be '?': {expression!r}")
    values = []
    for text, (name, low, high, names) in zip(parts, _FIELDS, strict=True):
        if text == "?":
            if name not in ("day-of-month", "day-of-week"):
                raise ScheduleError(f"{name}: '?' is only allowed in day-of-month and day-of-week")
            values.append(None)
        else:
            values.append(_field_values(text, name, low, high, names))
    minutes, hours, dom, months, dow, years = values
    return CronSchedule(expression.strip(), minutes, hours, dom, months, dow, years)


Schedule = RateSchedule | CronSchedule


def parse_schedule(expression: Any) -> Schedule:
    """Parse a chalice schedule expression: a string, or a `chalice.Rate` / `chalice.Cron` object."""
    text = expression if isinstance(expression, str) else expression.to_string()
    head = text.strip().lower()
    if head.startswith("rate("):
        return parse_rate(text)
    if head.startswith("cron("):
        return parse_cron(text)
    raise ScheduleError(f"unknown schedule expression: {text!r}")


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("use timezone-aware datetimes")
    return moment.astimezone(UTC)


def _fmt(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC ({moment.astimezone(WIB):%H:%M} WIB)"


# --------------------------------------------------------------------------------------------------
# Jobs


@dataclass
class Job:
    name: str
    expression: str
    schedule: Schedule
    handler: Callable[[dict, Any], Any]
    memory_size: int = 128
    timeout_seconds: int = 60
    next_run: datetime | None = field(default=None)


def discover_jobs(app: Any, scope: Callable[[str], Any] | None = None) -> list[Job]:
    """Every scheduled function of a Chalice app, in registration order.

    `scope(name)` may return chalice's per-function config (for memory size and timeout of the context)."""
    from chalice.app import ScheduledEventConfig

    jobs = []
    for source in app.event_sources:
        if not isinstance(source, ScheduledEventConfig):
            continue
        expr = source.schedule_expression
        text = expr if isinstance(expr, str) else expr.to_string()
        job = Job(
            name=source.name,
            expression=text,
            schedule=parse_schedule(text),
            handler=app.handler_map[source.name],
        )
        if scope is not None:
            scoped = scope(source.name)
            job.memory_size = scoped.lambda_memory_size or job.memory_size
            job.timeout_seconds = scoped.lambda_timeout or job.timeout_seconds
        jobs.append(job)
    return jobs


def scheduled_event(job: Job, now: datetime, region: str, prefix: str = "aduan-local") -> dict[str, Any]:
    """The event EventBridge delivers to a scheduled Lambda."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": FAKE_ACCOUNT,
        "time": _as_utc(now).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{FAKE_ACCOUNT}:rule/{prefix}-{job.name}"],
        "detail": {},
    }


def fire(job: Job, now: datetime, region: str = "ap-southeast-3") -> bool:
    """Invoke one job; log the outcome. Returns False (and never raises) if the function raised."""
    from chalice.local import LambdaContext

    context = LambdaContext(job.name, memory_size=job.memory_size, max_runtime_ms=job.timeout_seconds * 1000)
    started = time.monotonic()
    log.info("firing %s [%s]", job.name, job.expression)
    try:
        job.handler(scheduled_event(job, now, region), context)
    except Exception:
        log.error(
            "%s raised after %.0f ms:\n%s",
            job.name,
            (time.monotonic() - started) * 1000,
            traceback.format_exc(),
        )
        return False
    log.info("%s done in %.0f ms", job.name, (time.monotonic() - started) * 1000)
    return True


def fire_all_once(jobs: Iterable[Job], now: datetime | None = None, region: str = "ap-southeast-3") -> dict:
    """Fire every job once, in order, going on past failures. Returns {name: succeeded}."""
    now = now or datetime.now(UTC)
    return {job.name: fire(job, now, region) for job in jobs}


def first_run(job: Job, start: datetime, fire_on_start: bool = False) -> datetime | None:
    if fire_on_start:
        return start
    return job.schedule.next_after(start)


def run_forever(
    jobs: list[Job],
    stop: threading.Event,
    region: str = "ap-southeast-3",
    fire_on_start: bool = False,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], bool] | None = None,
) -> None:
    """Fire each job whenever it is due until `stop` is set. A rate job that fell behind (a long run,
    a suspended laptop) fires once and then keeps its rhythm from now; it does not replay missed runs.
    `clock` and `sleep` (wait up to N seconds, True if stopped meanwhile) are there for tests."""
    sleep = sleep or stop.wait
    start = clock()
    for job in jobs:
        job.next_run = first_run(job, start, fire_on_start)
        log.info("%s [%s]: first run %s", job.name, job.expression, _fmt(job.next_run))
    while not stop.is_set():
        pending = [job for job in jobs if job.next_run is not None]
        if not pending:
            log.info("no schedule will fire again")
            stop.wait()
            return
        due_at = min(job.next_run for job in pending)
        wait = (due_at - clock()).total_seconds()
        if wait > 0 and sleep(min(wait, 60.0)):
            return
        now = clock()
        for job in pending:
            if stop.is_set():
                return
            if job.next_run is not None and job.next_run <= now:
                fire(job, now, region)
                following = job.schedule.next_after(job.next_run)
                after_run = clock()
                if following is not None and following <= after_run:
                    following = job.schedule.next_after(after_run)
                job.next_run = following
                log.info("%s: next run %s", job.name, _fmt(job.next_run))


# --------------------------------------------------------------------------------------------------
# Entry point


def load_app(stage: str, project_dir: Path = REPO_ROOT) -> tuple[Any, Any]:
    """Load the Chalice app and stage config the way `chalice local` does."""
    from chalice.cli.factory import CLIFactory

    factory = CLIFactory(str(project_dir), environ=os.environ)
    config = factory.create_config_obj(chalice_stage_name=stage)
    return config.chalice_app, config


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s scheduler %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.scheduler",
        description="Fire the app's scheduled functions on their schedules.",
    )
    parser.add_argument("--stage", default="local", help="chalice stage whose config to apply (default: local)")
    parser.add_argument("--project-dir", type=Path, default=REPO_ROOT)
    parser.add_argument("--once", action="store_true", help="fire every schedule once and exit (1 if any raised)")
    parser.add_argument("--only", action="append", metavar="NAME", help="only this function (repeatable)")
    parser.add_argument("--fire-on-start", action="store_true", help="fire everything at start, then on schedule")
    parser.add_argument("--list", action="store_true", help="print the schedules and their next run, then exit")
    args = parser.parse_args(argv)

    _configure_logging()
    app, config = load_app(args.stage, args.project_dir)
    jobs = discover_jobs(app, scope=lambda name: config.scope(args.stage, name))
    if args.only:
        unknown = set(args.only) - {job.name for job in jobs}
        if unknown:
            parser.error(f"no scheduled function named {', '.join(sorted(unknown))}")
        jobs = [job for job in jobs if job.name in args.only]
    if not jobs:
        log.info("the app has no scheduled functions")
        return 0
    region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "ap-southeast-3"
    if args.list:
        now = datetime.now(UTC)
        for job in jobs:
            print(f"{job.name:32} {job.expression:28} next: {_fmt(job.schedule.next_after(now))}")
        return 0
    if args.once:
        results = fire_all_once(jobs, region=region)
        failed = [name for name, ok in results.items() if not ok]
        log.info("fired %d, failed %d%s", len(results), len(failed), f": {', '.join(failed)}" if failed else "")
        return 1 if failed else 0

    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info("%d scheduled function(s): %s", len(jobs), ", ".join(job.name for job in jobs))
    run_forever(jobs, stop, region=region, fire_on_start=args.fire_on_start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
