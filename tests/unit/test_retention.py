"""Closed cases past the retention period lose their personal data by a daily job (UU PDP art. 42, 44), in
bounded batches, resumably, through index queries only — and the dashboard keeps its figures.

These cases live in 2012, a year no other test uses, so the job here meets only them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain.case import Status
from chalicelib.services import privacy
from chalicelib.services.dashboard import dashboard
from chalicelib.services.sync import sync_pending_cases
from chalicelib.store.privacy import PrivacyRepository
from tests.unit.privacy_flows import ADMIN, citizen_story, unique_phone

pytestmark = pytest.mark.real_store  # retention reaches the tables below the repositories: on DynamoDB (moto)


@pytest.fixture
def old_ctx(intake_ctx, monkeypatch):
    import dataclasses

    monkeypatch.setattr(intake_ctx, "settings", dataclasses.replace(intake_ctx.settings, retention_days=30))
    repo = PrivacyRepository()
    for status in privacy.CLOSED_STATUSES:  # start every pass from the oldest case
        repo.save_checkpoint(status.value, None, intake_ctx.now())
    return intake_ctx


def _no_scan(monkeypatch):
    from pynamodb.connection.base import Connection

    def refuse(*args, **kwargs):
        raise AssertionError("a Scan was made")

    monkeypatch.setattr(Connection, "scan", refuse)


def test_retention_days_comes_from_the_environment(monkeypatch):
    from chalicelib.settings import get_settings, reset_settings

    monkeypatch.setenv("ADUAN_STAGE", "test")  # as the session's moto fixture sets it (this test needs no tables)
    try:
        monkeypatch.delenv("ADUAN_RETENTION_DAYS", raising=False)
        reset_settings()
        assert get_settings().retention_days == 730
        monkeypatch.setenv("ADUAN_RETENTION_DAYS", "365")
        reset_settings()
        assert get_settings().retention_days == 365
        for wrong in ("abc", "7", "３６５"):
            monkeypatch.setenv("ADUAN_RETENTION_DAYS", wrong)
            reset_settings()
            with pytest.raises(ValueError):
                get_settings()
    finally:
        monkeypatch.delenv("ADUAN_RETENTION_DAYS", raising=False)
        reset_settings()


def test_old_closed_cases_are_anonymised_recent_and_open_ones_kept_and_figures_unchanged(old_ctx, monkeypatch):
    ctx, clock = old_ctx, old_ctx.clock
    clock.set(datetime(2012, 1, 9, 2, 0, tzinfo=UTC))  # Monday
    old, _ = citizen_story(ctx, clock, unique_phone())  # closed 10 January
    clock.set(datetime(2012, 1, 11, 2, 0, tzinfo=UTC))
    late, _ = citizen_story(ctx, clock, unique_phone(), close=False)
    still_open, _ = citizen_story(ctx, clock, unique_phone(), close=False)
    clock.set(datetime(2012, 2, 27, 2, 0, tzinfo=UTC))
    from chalicelib.services import workflow
    from tests.unit.privacy_flows import DPUPR

    late = workflow.record_follow_up(ctx, DPUPR, late.case_id, late.version, note="Sudah diperbaiki.")
    # closed 27 February: still within the retention period on 15 March
    late = workflow.close_case(ctx, ADMIN, late.case_id, late.version, note="Selesai.")
    sync_pending_cases(ctx)
    clock.set(datetime(2012, 3, 15, 2, 0, tzinfo=UTC))  # cut-off: 14 February
    before = dashboard(ctx, ADMIN, months=3)
    _no_scan(monkeypatch)

    report = privacy.apply_retention(ctx)

    assert report.anonymised == 1 and report.failed == 0
    assert privacy.is_anonymised(ctx.cases.get(old.case_id))
    assert ctx.cases.get(late.case_id).reporter == late.reporter
    assert ctx.cases.get(still_open.case_id).reporter == still_open.reporter
    sync_pending_cases(ctx)
    assert dashboard(ctx, ADMIN, months=3) == before
    anonymised = ctx.cases.get(old.case_id)
    assert (anonymised.status, anonymised.rating, anonymised.closed_at) == (Status.SELESAI, 5, old.closed_at)

    # the next night finds nothing new to do; a month later the late case's turn has come
    assert privacy.apply_retention(ctx).anonymised == 0
    clock.set(datetime(2012, 4, 2, 2, 0, tzinfo=UTC))
    assert privacy.apply_retention(ctx).anonymised == 1
    assert privacy.is_anonymised(ctx.cases.get(late.case_id))
    assert not privacy.is_anonymised(ctx.cases.get(still_open.case_id))


def test_a_run_is_bounded_and_the_next_run_resumes(old_ctx, monkeypatch):
    ctx, clock = old_ctx, old_ctx.clock
    clock.set(datetime(2012, 5, 7, 2, 0, tzinfo=UTC))
    cases = [citizen_story(ctx, clock, unique_phone(), rate=False)[0] for _ in range(3)]
    clock.set(datetime(2012, 7, 2, 2, 0, tzinfo=UTC))
    _no_scan(monkeypatch)

    runs = []
    while not all(privacy.is_anonymised(ctx.cases.get(c.case_id)) for c in cases):
        runs.append(privacy.apply_retention(ctx, batch=1).anonymised)
        assert len(runs) <= 10, runs

    assert set(runs) == {1} and len(runs) >= 3  # one case per run, each run picking up where the last stopped
    assert privacy.apply_retention(ctx, batch=1).anonymised == 0


def test_one_bad_case_does_not_stop_the_job_and_is_finished_next_time(old_ctx, monkeypatch):
    ctx, clock = old_ctx, old_ctx.clock
    clock.set(datetime(2012, 8, 6, 2, 0, tzinfo=UTC))
    first, second = (citizen_story(ctx, clock, unique_phone(), rate=False)[0] for _ in range(2))
    clock.set(datetime(2012, 10, 1, 2, 0, tzinfo=UTC))
    real_save = ctx.cases.save

    def flaky(case):
        if case.case_id == first.case_id:
            raise RuntimeError("throttled")
        real_save(case)

    monkeypatch.setattr(ctx.cases, "save", flaky)
    report = privacy.apply_retention(ctx)
    assert (report.anonymised, report.failed) == (1, 1)
    assert privacy.is_anonymised(ctx.cases.get(second.case_id))
    monkeypatch.setattr(ctx.cases, "save", real_save)
    privacy.apply_retention(ctx)  # the pass ended: the next run starts over and meets the case again
    assert privacy.is_anonymised(ctx.cases.get(first.case_id))


def test_the_retention_job_is_scheduled_daily(ctx):
    from app import app
    from scripts.scheduler import discover_jobs

    [job] = [j for j in discover_jobs(app) if j.name == "apply_retention"]
    assert job.expression == "cron(0 19 * * ? *)"  # 02:00 WIB every day
    nxt = job.schedule.next_after(datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    assert nxt == datetime(2026, 11, 30, 19, 0, tzinfo=UTC)


def test_a_run_out_of_time_stops_cleanly_and_saves_nothing_wrong(old_ctx):
    ctx = old_ctx
    ctx.clock.set(datetime(2012, 11, 5, 2, 0, tzinfo=UTC))
    report = privacy.apply_retention(ctx, time_budget_seconds=0)
    assert (report.examined, report.anonymised, report.failed) == (0, 0, 0)
