"""Dashboard figures follow the cases through the sync job; re-runs and crashes change nothing."""

from __future__ import annotations

import itertools
import uuid

import pytest

from chalicelib.domain.case import Reporter
from chalicelib.services import workflow
from chalicelib.services.dashboard import dashboard
from chalicelib.services.sync import sync_case, sync_pending_cases
from chalicelib.store.aggregates import agency_scope

_MONTHS = itertools.count()


@pytest.fixture
def fresh_month(ctx, clock):
    """Each test works in its own month so the figures are only its own cases."""
    from datetime import UTC, datetime

    month = next(_MONTHS)
    clock.set(datetime(2030 + month // 12, 1 + month % 12, 7, 2, 0, tzinfo=UTC))  # a month no other test uses
    sync_pending_cases(ctx, limit=1000)  # flush what earlier tests left pending
    return clock


def new(ctx, admin, text="Jalan berlubang di Jl. Dhoho"):
    return workflow.create_case_from_entry(ctx, admin, channel="telepon", description=text,
                                           idempotency_key=str(uuid.uuid4()), reporter=Reporter(name="Ani"))


def test_the_city_dashboard_counts_cases_by_status_after_the_sync(ctx, fresh_month, admin, dpupr_officer,
                                                                  leadership):
    new(ctx, admin)
    b, c = new(ctx, admin), new(ctx, admin)
    workflow.forward_case(ctx, admin, b.case_id, 1, lead_agency="dpupr")
    c = workflow.forward_case(ctx, admin, c.case_id, 1, lead_agency="dpupr")
    fresh_month.advance(days=2)
    c = workflow.record_follow_up(ctx, dpupr_officer, c.case_id, c.version, note="Sudah ditambal.")
    c = workflow.close_case(ctx, admin, c.case_id, c.version, note="Lubang sudah ditambal.")

    report = sync_pending_cases(ctx, limit=1000)
    assert report.synced >= 3
    view = dashboard(ctx, leadership, months=1)
    assert view["by_status"]["BARU"] == 1
    assert view["by_status"]["TERVERIFIKASI"] == 1
    assert view["by_status"]["SELESAI"] == 1
    assert view["total"] == 3 and view["open"] == 2
    assert view["average_resolution_days"] == 2.0
    assert view["resolved_within_cap_percent"] == 100.0

    again = sync_pending_cases(ctx, limit=1000)
    assert again.synced == 0
    assert dashboard(ctx, leadership, months=1)["total"] == 3


def test_the_dashboard_counts_holds_their_days_and_reopenings(ctx, fresh_month, admin, leadership):
    today = ctx.calendar.local_date(ctx.now())
    until = ctx.calendar.working_day_after(today, 5).isoformat()
    held = workflow.hold_case(ctx, admin, new(ctx, admin).case_id, 1, note="Mohon foto.", until=until)
    fresh_month.advance(days=3)
    workflow.resume_case(ctx, admin, held.case_id, held.version, note="Foto diterima.")
    workflow.hold_case(ctx, admin, new(ctx, admin).case_id, 1, note="Mohon alamat.", until=until)
    archived = workflow.archive_case(ctx, admin, new(ctx, admin).case_id, 1, note="Spam.")
    workflow.reopen_case(ctx, admin, archived.case_id, archived.version, note="Bukan spam, keluhan nyata.")
    sync_pending_cases(ctx, limit=1000)
    view = dashboard(ctx, leadership, months=1)
    assert view["on_hold"] == {"count": 1, "days_total": 3}
    assert view["reopened"] == 1


def test_an_opd_sees_its_own_figures_and_a_returned_case_leaves_them(ctx, fresh_month, admin, dpupr_officer,
                                                                     dlhkp_officer):
    case = new(ctx, admin)
    case = workflow.forward_case(ctx, admin, case.case_id, 1, lead_agency="dpupr", supporting_agencies=("dlhkp",))
    sync_pending_cases(ctx, limit=1000)
    assert dashboard(ctx, dpupr_officer, months=1)["by_status"]["TERVERIFIKASI"] == 1
    assert dashboard(ctx, dlhkp_officer, months=1)["total"] == 1

    workflow.return_case(ctx, dpupr_officer, case.case_id, case.version, note="Bukan kewenangan kami.")
    sync_pending_cases(ctx, limit=1000)
    assert dashboard(ctx, dpupr_officer, months=1)["total"] == 0
    assert dashboard(ctx, dlhkp_officer, months=1)["total"] == 0
    assert dashboard(ctx, admin, months=1)["by_status"]["BARU"] == 1


def test_an_officer_cannot_read_another_agencys_dashboard(ctx, dlhkp_officer):
    from chalicelib.domain.errors import NotPermitted

    with pytest.raises(NotPermitted):
        dashboard(ctx, dlhkp_officer, agency_id="dpupr")


def test_a_sync_that_raced_a_newer_action_leaves_the_case_pending(ctx, fresh_month, admin, leadership):
    case = new(ctx, admin)
    stale = ctx.cases.get(case.case_id)
    workflow.forward_case(ctx, admin, case.case_id, 1, lead_agency="dpupr")
    assert sync_case(ctx, stale) is False  # the case moved on: flag stays for the next run
    assert case.case_id in [cid for cid, _ in ctx.cases.ids_pending_sync(limit=1000)]
    sync_pending_cases(ctx, limit=1000)
    view = dashboard(ctx, leadership, months=1)
    assert view["by_status"]["TERVERIFIKASI"] == 1 and view["by_status"]["BARU"] == 0


def test_dashboard_reads_one_item_per_month_however_many_cases(ctx, fresh_month, admin, leadership):
    from chalicelib.store.metering import RequestCounter

    for _ in range(5):
        new(ctx, admin)
    sync_pending_cases(ctx, limit=1000)
    entries = ctx.aggregates.read(agency_scope("dpupr"), ["2030-01"])
    assert isinstance(entries, dict)
    with RequestCounter() as counter:
        view = dashboard(ctx, leadership, months=6)
    assert view["total"] >= 5
    assert counter.total == 1  # one batched read of 6 month items
