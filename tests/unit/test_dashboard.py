"""The dashboard (issue 12): figures follow the cases through the sync, per scope and range of days; the
read costs the same however many cases; re-runs change nothing."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime

import pytest

from chalicelib.domain.case import Reporter
from chalicelib.domain.errors import NotPermitted, ValidationFailed
from chalicelib.services import workflow
from chalicelib.services.dashboard import dashboard
from chalicelib.services.escalation import auto_close_silent
from chalicelib.services.sync import sync_case, sync_flagged_cases, sync_pending_cases

pytestmark = pytest.mark.real_figures  # the figures feature itself: on DynamoDB (moto)

_MONTHS = itertools.count()


@pytest.fixture
def fresh_month(ctx, clock):
    """Each test works in its own month (2030–2044) so the figures are only its own cases."""
    month = next(_MONTHS)
    year, number = 2030 + month // 12, 1 + month % 12
    clock.set(datetime(year, number, 7, 2, 0, tzinfo=UTC))  # 09:00 WIB on the 7th
    sync_pending_cases(ctx, limit=1000)  # flush what earlier tests left pending
    return clock


def new(ctx, admin, channel="telepon"):
    return workflow.create_case_from_entry(ctx, admin, channel=channel, description="Jalan berlubang di Jl. Dhoho",
                                           idempotency_key=str(uuid.uuid4()), reporter=Reporter(name="Ani"))


def month_of(ctx) -> dict:
    today = ctx.calendar.local_date(ctx.now())
    first = today.replace(day=1)
    last = date(first.year + first.month // 12, first.month % 12 + 1, 1).replace(day=1)
    return {"first": first, "last": last.fromordinal(last.toordinal() - 1)}


def test_the_city_dashboard_counts_cases_by_status_after_the_sync(ctx, fresh_month, admin, dpupr_officer,
                                                                  leadership):
    # Given three cases: one new, one forwarded, one followed up two working days later and closed
    new(ctx, admin)
    b, c = new(ctx, admin), new(ctx, admin, channel="tatap_muka")
    workflow.forward_case(ctx, admin, b.case_id, 1, lead_agency="dpupr")
    c = workflow.forward_case(ctx, admin, c.case_id, 1, lead_agency="dpupr")
    fresh_month.advance(days=2)
    c = workflow.record_follow_up(ctx, dpupr_officer, c.case_id, c.version, note="Sudah ditambal.")
    c = workflow.close_case(ctx, admin, c.case_id, c.version, note="Lubang sudah ditambal.")

    # When the sync runs
    assert sync_pending_cases(ctx, limit=1000).synced >= 3

    # Then the leadership sees them by status, with every stage's time
    view = dashboard(ctx, leadership, **month_of(ctx))
    assert view["by_status"]["BARU"] == 1 and view["by_status"]["TERVERIFIKASI"] == 1
    assert view["by_status"]["SELESAI"] == 1
    assert (view["received"], view["open"], view["closed"], view["verified"], view["followed_up"]) == (3, 2, 1, 2, 1)
    assert view["time"]["resolution"]["working_days"] == {"count": 1, "mean": 2.0, "median": 2, "p90": 2}
    assert view["time"]["verify"]["working_days"]["median"] == 0
    assert view["shares"]["closed_within_cap"]["percent"] == 100.0
    assert view["shares"]["closed_within_deadline"]["percent"] == 100.0
    assert view["by_channel"]["tatap_muka"] == {"received": 1, "closed": 1}
    # and the first version's keys still answer
    assert (view["total"], view["resolved"], view["average_resolution_days"]) == (3, 1, 2.0)

    # And a second sync (a redelivery) changes nothing
    assert sync_pending_cases(ctx, limit=1000).synced == 0
    sync_case(ctx, ctx.cases.get(c.case_id))  # the stream delivers the same change again
    assert dashboard(ctx, leadership, **month_of(ctx))["received"] == 3


def test_time_to_resolution_ends_at_the_follow_up_not_at_the_auto_close(ctx, fresh_month, admin, dpupr_officer,
                                                                        leadership):
    # Given a case followed up on its second working day, which the citizen never answers
    received = month_of(ctx)
    case = workflow.forward_case(ctx, admin, new(ctx, admin).case_id, 1, lead_agency="dpupr")
    fresh_month.advance(days=1)
    case = workflow.record_follow_up(ctx, dpupr_officer, case.case_id, case.version, note="Sudah diperbaiki.")
    # When the auto-close job closes it weeks later
    fresh_month.advance(days=30)
    auto_close_silent(ctx)
    sync_pending_cases(ctx, limit=1000)
    view = dashboard(ctx, leadership, **received)
    # Then the headline counts the city's work (1 working day), not the citizen's silence
    assert view["closed"] == 1
    assert view["time"]["resolution"]["working_days"]["median"] == 1
    assert view["time"]["close"]["working_days"]["median"] > 10


def test_hold_days_are_left_out_and_reopenings_are_counted(ctx, fresh_month, admin, leadership):
    today = ctx.calendar.local_date(ctx.now())
    until = ctx.calendar.working_day_after(today, 5).isoformat()
    held = workflow.hold_case(ctx, admin, new(ctx, admin).case_id, 1, note="Mohon foto.", until=until)
    fresh_month.advance(days=3)
    held = workflow.resume_case(ctx, admin, held.case_id, held.version, note="Foto diterima.")
    workflow.forward_case(ctx, admin, held.case_id, held.version, lead_agency="dpupr")
    workflow.hold_case(ctx, admin, new(ctx, admin).case_id, 1, note="Mohon alamat.", until=until)
    archived = workflow.archive_case(ctx, admin, new(ctx, admin).case_id, 1, note="Spam.")
    workflow.reopen_case(ctx, admin, archived.case_id, archived.version, note="Bukan spam, keluhan nyata.")
    sync_pending_cases(ctx, limit=1000)
    view = dashboard(ctx, leadership, **month_of(ctx))
    assert (view["on_hold"], view["ever_on_hold"], view["days_on_hold"]) == (1, 2, 3)
    assert view["reopened"] == 1 and view["shares"]["reopen_rate"]["percent"] == round(100 / 3, 1)
    # verified three days after receipt, but all three on hold: 0 working days to verify
    assert view["time"]["verify"]["days"]["median"] == 0


def test_an_opd_sees_its_own_figures_and_a_returned_case_leaves_them(ctx, fresh_month, admin, dpupr_officer):
    case = new(ctx, admin)
    case = workflow.forward_case(ctx, admin, case.case_id, 1, lead_agency="dpupr", supporting_agencies=("dlhkp",))
    sync_pending_cases(ctx, limit=1000)
    assert dashboard(ctx, dpupr_officer, **month_of(ctx))["by_status"]["TERVERIFIKASI"] == 1

    workflow.return_case(ctx, dpupr_officer, case.case_id, case.version, note="Bukan kewenangan kami.")
    sync_pending_cases(ctx, limit=1000)
    assert dashboard(ctx, dpupr_officer, **month_of(ctx))["received"] == 0
    city = dashboard(ctx, admin, **month_of(ctx), by="agency")
    assert city["by_status"]["BARU"] == 1
    assert [(r["key"], r["received"]) for r in city["rows"] if r["received"]] == [("-", 1)]


def test_overdue_grows_with_time_alone(ctx, fresh_month, admin, leadership):
    new(ctx, admin)
    sync_pending_cases(ctx, limit=1000)
    assert dashboard(ctx, leadership, **month_of(ctx))["overdue"] == 0
    fresh_month.advance(days=8)  # past the three working days to verify, with no transition at all
    assert dashboard(ctx, leadership, **month_of(ctx))["overdue"] == 1


def test_rows_by_day_week_and_agency_add_up_to_the_total(ctx, fresh_month, admin, leadership):
    for days in (0, 1, 6, 9):
        fresh_month.set(fresh_month.moment.replace(day=7 + days))
        case = new(ctx, admin, channel="surat" if days % 2 else "telepon")
        workflow.forward_case(ctx, admin, case.case_id, 1, lead_agency="dpupr" if days < 6 else "dlhkp")
    sync_pending_cases(ctx, limit=1000)
    span = month_of(ctx)
    total = dashboard(ctx, leadership, **span)
    for by in ("day", "week", "month", "agency", "channel"):
        rows = dashboard(ctx, leadership, **span, by=by)["rows"]
        assert sum(r["received"] for r in rows) == total["received"] == 4, by
    agencies = {r["key"]: r["received"] for r in dashboard(ctx, leadership, **span, by="agency")["rows"]}
    assert agencies["dpupr"] == 2 and agencies["dlhkp"] == 2
    surat = dashboard(ctx, leadership, **span, channel="surat")
    assert surat["received"] == 2 and surat["scope"] == {"kind": "channel", "id": "surat", "label": "Surat"}


def test_what_an_officer_may_not_ask(ctx, dlhkp_officer, leadership):
    with pytest.raises(NotPermitted):
        dashboard(ctx, dlhkp_officer, agency="dpupr")
    with pytest.raises(ValidationFailed):
        dashboard(ctx, leadership, agency="dpupr", channel="line")  # one filter at a time
    with pytest.raises(ValidationFailed):
        dashboard(ctx, leadership, channel="line", by="agency")  # no cross breakdown
    with pytest.raises(ValidationFailed):
        dashboard(ctx, leadership, first="2026-13-01")
    with pytest.raises(ValidationFailed):
        dashboard(ctx, leadership, first="2026-11-30", last="2026-11-01")
    with pytest.raises(ValidationFailed):
        dashboard(ctx, leadership, first="2020-01-01", last="2026-01-01")  # more than three years
    with pytest.raises(ValidationFailed):
        dashboard(ctx, leadership, first="2026-01-01", last="2026-11-30", by="day")  # too many rows
    with pytest.raises(ValidationFailed):
        dashboard(ctx, leadership, by="tahun")


def test_a_sync_that_raced_a_newer_action_leaves_the_case_pending(ctx, fresh_month, admin, leadership):
    case = new(ctx, admin)
    stale = ctx.cases.get(case.case_id)
    workflow.forward_case(ctx, admin, case.case_id, 1, lead_agency="dpupr")
    assert sync_case(ctx, stale) is False  # the case moved on: flag stays for the next run
    assert case.case_id in [cid for cid, _ in ctx.cases.ids_pending_sync(limit=1000)]
    sync_pending_cases(ctx, limit=1000)
    view = dashboard(ctx, leadership, **month_of(ctx))
    assert view["by_status"]["TERVERIFIKASI"] == 1 and view["by_status"]["BARU"] == 0


def test_the_stream_syncs_only_flagged_cases_so_clearing_the_flag_ends_it(ctx, fresh_month, admin):
    case = new(ctx, admin)
    assert sync_flagged_cases(ctx, [case.case_id]).synced == 1
    # the flag's removal is itself a change the stream reports: that record finds nothing to do
    assert sync_flagged_cases(ctx, [case.case_id]) == sync_flagged_cases(ctx, [])


def test_the_dashboard_reads_the_same_items_however_many_cases(ctx, fresh_month, admin, leadership):
    from bench.metering import RequestCounter

    def reads() -> tuple[int, int]:
        with RequestCounter() as counter:
            dashboard(ctx, leadership, **month_of(ctx), by="agency")
        return counter.total, counter.items_read

    new(ctx, admin)
    sync_pending_cases(ctx, limit=1000)
    few = reads()
    for _ in range(6):
        new(ctx, admin)
    sync_pending_cases(ctx, limit=1000)
    assert reads() == few  # one BatchGetItem of the month's items of the city and each OPD
    assert few[0] == 1


def test_the_cases_table_stream_brings_the_figures_to_a_change(ctx, fresh_month, admin, leadership, monkeypatch):
    """On AWS: a record per changed case (keys only), the flag's own removal included."""
    import importlib

    import handlers.case_stream as module

    monkeypatch.setenv("ADUAN_CASES_STREAM_ARN", "arn:aws:dynamodb:ap-southeast-3:123456789012:table/"
                       "aduan-test-cases/stream/2026-11-30T00:00:00.000")
    stream = importlib.reload(module)
    try:
        case = new(ctx, admin)
        record = {"eventID": "1", "eventName": "INSERT", "eventSource": "aws:dynamodb", "awsRegion": "ap-southeast-3",
                  "dynamodb": {"ApproximateCreationDateTime": 1795000000, "Keys": {"case_id": {"S": case.case_id}},
                               "SequenceNumber": "1",
                               "StreamViewType": "KEYS_ONLY", "SizeBytes": 40},
                  "eventSourceARN": stream.STREAM_ARN}
        stream.sync_changed_cases({"Records": [record, {**record, "eventName": "MODIFY"}]}, None)
        assert dashboard(ctx, leadership, **month_of(ctx))["received"] == 1
        assert case.case_id not in [cid for cid, _ in ctx.cases.ids_pending_sync(limit=1000)]
    finally:
        monkeypatch.delenv("ADUAN_CASES_STREAM_ARN")
        importlib.reload(module)
