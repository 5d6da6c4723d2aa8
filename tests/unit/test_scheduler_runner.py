"""The local schedule runner (scripts/scheduler.py): AWS rate/cron parsing, discovery from the Chalice app,
and firing that survives a failing function."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from chalice import Blueprint, Chalice, Cron, Rate
from chalice.app import CloudWatchEvent

from scripts.scheduler import (
    WIB,
    CronSchedule,
    RateSchedule,
    ScheduleError,
    discover_jobs,
    fire_all_once,
    parse_schedule,
    run_forever,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ------------------------------------------------------------------------------------------- rate


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(5 minutes)", 300),
        ("rate(1 hour)", 3600),
        ("rate(2 hours)", 7200),
        ("rate(1 day)", 86400),
        ("rate(3 days)", 3 * 86400),
    ],
)
def test_rate_period(expression: str, seconds: int) -> None:
    schedule = parse_schedule(expression)
    assert isinstance(schedule, RateSchedule)
    assert schedule.period == timedelta(seconds=seconds)
    start = utc(2026, 1, 1, 10, 0, 30)
    assert schedule.next_after(start) == start + timedelta(seconds=seconds)


def test_chalice_schedule_objects_are_accepted() -> None:
    assert parse_schedule(Rate(5, unit=Rate.MINUTES)).period == timedelta(minutes=5)
    assert parse_schedule(Rate(1, unit=Rate.HOURS)).period == timedelta(hours=1)
    cron = parse_schedule(Cron(0, 0, "*", "*", "?", "*"))
    assert isinstance(cron, CronSchedule)
    assert cron.next_after(utc(2026, 3, 1, 12, 0)) == utc(2026, 3, 2, 0, 0)


@pytest.mark.parametrize("expression", ["rate(0 minutes)", "rate(5 weeks)", "rate(minutes)", "every 5 minutes"])
def test_bad_rates_are_refused(expression: str) -> None:
    with pytest.raises(ScheduleError):
        parse_schedule(expression)


# ------------------------------------------------------------------------------------------- cron


def test_daily_midnight_utc_is_seven_in_the_morning_in_jakarta() -> None:
    schedule = parse_schedule("cron(0 0 * * ? *)")
    nxt = schedule.next_after(utc(2026, 11, 28, 2, 49, 13))
    assert nxt == utc(2026, 11, 29, 0, 0)
    assert (nxt.astimezone(WIB).hour, nxt.astimezone(WIB).minute) == (7, 0)


def test_next_run_is_strictly_after_the_given_moment() -> None:
    schedule = parse_schedule("cron(0 0 * * ? *)")
    assert schedule.next_after(utc(2026, 1, 1, 0, 0)) == utc(2026, 1, 2, 0, 0)
    assert schedule.next_after(utc(2025, 12, 31, 23, 59, 59)) == utc(2026, 1, 1, 0, 0)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("cron(0/15 * * * ? *)", utc(2026, 5, 4, 10, 7), utc(2026, 5, 4, 10, 15)),
        ("cron(0/15 * * * ? *)", utc(2026, 5, 4, 10, 45), utc(2026, 5, 4, 11, 0)),
        ("cron(*/20 * * * ? *)", utc(2026, 5, 4, 10, 41), utc(2026, 5, 4, 11, 0)),
        ("cron(5-20/5 * * * ? *)", utc(2026, 5, 4, 10, 16), utc(2026, 5, 4, 10, 20)),
        ("cron(5-20/5 * * * ? *)", utc(2026, 5, 4, 10, 20), utc(2026, 5, 4, 11, 5)),
        ("cron(0,30 8,17 * * ? *)", utc(2026, 5, 4, 8, 30), utc(2026, 5, 4, 17, 0)),
        ("cron(0,30 8,17 * * ? *)", utc(2026, 5, 4, 17, 30), utc(2026, 5, 5, 8, 0)),
        # 2026-11-27 is a Friday: weekdays 09:00 UTC -> next is Monday 30 November
        ("cron(0 9 ? * MON-FRI *)", utc(2026, 11, 27, 10, 0), utc(2026, 11, 30, 9, 0)),
        ("cron(0 9 ? * 2-6 *)", utc(2026, 11, 27, 10, 0), utc(2026, 11, 30, 9, 0)),
        # AWS day-of-week: 1 = Sunday, 7 = Saturday
        ("cron(0 0 ? * 1 *)", utc(2026, 11, 27, 0, 0), utc(2026, 11, 29, 0, 0)),
        ("cron(0 0 ? * SAT *)", utc(2026, 11, 27, 0, 0), utc(2026, 11, 28, 0, 0)),
        ("cron(0 0 ? * 7 *)", utc(2026, 11, 27, 0, 0), utc(2026, 11, 28, 0, 0)),
        ("cron(0 0 1 JAN,JUL ? *)", utc(2026, 2, 10, 0, 0), utc(2026, 7, 1, 0, 0)),
        ("cron(0 0 1 1,7 ? *)", utc(2026, 7, 1, 0, 0), utc(2027, 1, 1, 0, 0)),
        ("cron(0 0 31 * ? *)", utc(2026, 4, 1, 0, 0), utc(2026, 5, 31, 0, 0)),
        ("cron(0 0 29 2 ? *)", utc(2026, 3, 1, 0, 0), utc(2028, 2, 29, 0, 0)),
        ("cron(30 1 1 1 ? 2030)", utc(2026, 3, 1, 0, 0), utc(2030, 1, 1, 1, 30)),
        ("cron(0 0 1 1 ? 2028-2030/2)", utc(2028, 1, 1, 0, 0), utc(2030, 1, 1, 0, 0)),
    ],
)
def test_cron_next_run(expression: str, after: datetime, expected: datetime) -> None:
    assert parse_schedule(expression).next_after(after) == expected


def test_cron_is_evaluated_in_utc_whatever_the_zone_of_the_moment() -> None:
    schedule = parse_schedule("cron(0 0 * * ? *)")
    seven_wib = datetime(2026, 6, 1, 6, 59, tzinfo=WIB)  # = 2026-05-31 23:59 UTC
    assert schedule.next_after(seven_wib) == utc(2026, 6, 1, 0, 0)
    assert schedule.matches(datetime(2026, 6, 1, 7, 0, tzinfo=WIB))


def test_cron_that_can_never_fire_again_has_no_next_run() -> None:
    assert parse_schedule("cron(0 0 1 1 ? 2027)").next_after(utc(2027, 1, 1, 0, 0)) is None
    assert parse_schedule("cron(0 0 30 2 ? *)").next_after(utc(2026, 1, 1)) is None


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 0 * * * *)",  # neither day field is '?'
        "cron(0 0 ? * ? *)",  # both are
        "cron(0 0 * * ?)",  # five fields
        "cron(60 0 * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 0 0 * ? *)",
        "cron(0 0 ? * 8 *)",
        "cron(0 0 * 13 ? *)",
        "cron(? 0 * * ? *)",
        "cron(0 0 L * ? *)",
        "cron(0 0 15W * ? *)",
        "cron(0 0 ? * 6#3 *)",
        "cron(0 0 ? * 5L *)",
        "cron(30-10 0 * * ? *)",
        "cron(0/0 0 * * ? *)",
        "cron(0 0 * FOO ? *)",
        "cron(0,,5 0 * * ? *)",
    ],
)
def test_bad_cron_is_refused(expression: str) -> None:
    with pytest.raises(ScheduleError):
        parse_schedule(expression)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        parse_schedule("cron(0 0 * * ? *)").next_after(datetime(2026, 1, 1))


# -------------------------------------------------------------------------------- discovery, firing


def _app_with_schedules(calls: list) -> Chalice:
    app = Chalice(app_name="scheduler-test")
    jobs = Blueprint(__name__)

    @app.route("/")
    def index() -> dict:
        return {}

    @app.schedule(Rate(5, unit=Rate.MINUTES))
    def every_five(event: CloudWatchEvent) -> None:
        calls.append(("every_five", event))

    @jobs.schedule("cron(0 0 * * ? *)", name="morning_report")
    def morning(event: CloudWatchEvent) -> None:
        calls.append(("morning_report", event))
        raise RuntimeError("the report failed")

    @jobs.schedule("rate(1 hour)")
    def hourly(event: CloudWatchEvent) -> None:
        calls.append(("hourly", event))

    @app.on_cw_event({"source": ["aws.ec2"]})
    def not_a_schedule(event: CloudWatchEvent) -> None:
        calls.append(("not_a_schedule", event))

    app.register_blueprint(jobs)
    return app


def test_discovers_app_and_blueprint_schedules_only() -> None:
    jobs = discover_jobs(_app_with_schedules([]))
    assert [(job.name, job.expression) for job in jobs] == [
        ("every_five", "rate(5 minutes)"),
        ("morning_report", "cron(0 0 * * ? *)"),
        ("hourly", "rate(1 hour)"),
    ]


def test_fire_once_calls_each_function_with_a_scheduled_event_and_goes_on_past_a_failure() -> None:
    calls: list = []
    jobs = discover_jobs(_app_with_schedules(calls))
    results = fire_all_once(jobs, now=utc(2026, 11, 28, 0, 0), region="ap-southeast-3")

    assert results == {"every_five": True, "morning_report": False, "hourly": True}
    assert [name for name, _ in calls] == ["every_five", "morning_report", "hourly"]
    event = calls[0][1]
    assert isinstance(event, CloudWatchEvent)
    assert event.detail_type == "Scheduled Event"
    assert event.source == "aws.events"
    assert event.region == "ap-southeast-3"
    assert event.time == "2026-11-28T00:00:00Z"
    assert event.resources[0].endswith("every_five")
    assert event.context.function_name == "every_five"
    assert event.context.get_remaining_time_in_millis() > 0


def test_runner_fires_each_schedule_on_its_rate_with_a_fake_clock() -> None:
    calls: list = []
    app = _app_with_schedules(calls)
    jobs = discover_jobs(app)
    stop = threading.Event()
    now = [utc(2026, 11, 27, 23, 50, 30)]

    def clock() -> datetime:
        return now[0]

    def sleep(seconds: float) -> bool:
        now[0] += timedelta(seconds=seconds)
        if now[0] >= utc(2026, 11, 28, 0, 31):
            stop.set()
        return stop.is_set()

    run_forever(jobs, stop, clock=clock, sleep=sleep)

    def fired_at(name: str) -> list[datetime]:
        return [
            datetime.strptime(event.time, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            for job, event in calls
            if job == name
        ]

    times = {name: fired_at(name) for name in ("every_five", "morning_report", "hourly")}
    # started 23:50:30: every five minutes from then on
    assert times["every_five"][:3] == [
        utc(2026, 11, 27, 23, 55, 30),
        utc(2026, 11, 28, 0, 0, 30),
        utc(2026, 11, 28, 0, 5, 30),
    ]
    assert len(times["every_five"]) == 8  # 23:55:30 ... 00:30:30
    # the cron job fires at 00:00 UTC although it raises, and the others go on after it
    assert times["morning_report"] == [utc(2026, 11, 28, 0, 0)]
    assert times["hourly"] == []  # first at 00:50:30


def test_runner_stops_promptly_when_asked() -> None:
    jobs = discover_jobs(_app_with_schedules([]))
    stop = threading.Event()
    stop.set()
    done = threading.Event()

    def run() -> None:
        run_forever(jobs, stop)
        done.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert done.wait(5)
