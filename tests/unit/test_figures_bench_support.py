"""The helpers `make bench` uses for the figures at scale: the synthetic month of cases (built by the real
lifecycle), its in-memory sums, and the request counter's bytes and per-table counts."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest

from bench.bench_figures import City, add_contributions, item_growth, month_cases, month_totals
from chalicelib.domain.calendar import WorkingCalendar, to_wib_date
from chalicelib.domain.escalation import EscalationPolicy
from chalicelib.domain.figures import CITY, add_counters, case_counters, figure_keys, month_key
from chalicelib.domain.sla import SlaPolicy
from demo import kediri

MONTH = date(2046, 3, 1)  # this module's own month
NOW = datetime(2046, 5, 4, 3, 0, tzinfo=UTC)


def _city() -> City:
    return City(
        calendar=WorkingCalendar(extra_days=kediri.EXTRA_NON_WORKING_DAYS),  # weekends and the city's days
        policy=SlaPolicy(),
        escalation=EscalationPolicy(),
        agencies=tuple(sorted(a.agency_id for a in kediri.AGENCIES)),
        categories=tuple((c.category_id, c.agency_id, c.default_tier) for c in kediri.CATEGORIES),
    )


def test_a_synthetic_month_covers_every_day_with_real_histories():
    # Given the demo city
    city = _city()

    # When 600 cases are generated for March 2046
    cases = list(month_cases("T", MONTH, 600, city, NOW, seed=7))

    # Then every day of the month receives cases, each case's history is in time order and before now
    days = Counter(to_wib_date(c.received_at) for c in cases)
    assert sorted(days) == [date(2046, 3, d) for d in range(1, 32)]
    for case in cases:
        moments = [e.at for e in case.timeline]
        assert moments == sorted(moments) and moments[-1] <= NOW
        assert case.version == len(case.timeline)
    # and the outcomes are a city's: mostly finished, some turned away, archived, merged, disputed, rated
    statuses = Counter(c.status.value for c in cases)
    assert {"SELESAI", "BUKAN_WEWENANG", "DIARSIPKAN", "DIGABUNG"} <= set(statuses)
    assert statuses["SELESAI"] > len(cases) / 2
    assert any(c.rating for c in cases) and any(c.reopen_count or c.paused_calendar_days for c in cases)
    assert len({c.channel for c in cases}) >= 8 and len({c.lead_agency for c in cases}) >= 10
    # and the same arguments give the same cases
    assert [c.timeline for c in month_cases("T", MONTH, 50, city, NOW, seed=7)] == [c.timeline for c in cases[:50]]


def test_the_summed_items_are_the_sum_of_every_case_contribution():
    # Given 300 generated cases
    city = _city()
    cases = list(month_cases("T", MONTH, 300, city, NOW, seed=3))

    # When their contributions are summed per item
    totals: dict = {}
    statuses = add_contributions(totals, cases, city)

    # Then each item holds exactly the counters of the cases that count in it
    for key in [(CITY, month_key(MONTH)), *figure_keys(cases[0])]:
        expected = add_counters(case_counters(c, city.calendar, city.policy) for c in cases if key in figure_keys(c))
        assert totals[key] == expected
    assert totals[(CITY, month_key(MONTH))]["n"] == 300 == sum(statuses.values())
    # and the chunked builder gives the same items
    built, built_statuses = month_totals([("T", MONTH, 300, 3)], city, NOW, processes=1)
    assert built == totals and built_statuses == statuses


def test_item_growth_names_the_attributes_and_digits_a_bigger_item_adds():
    grown = item_growth({"n": 7, "vw0": 0}, {"n": 1200, "vw0": 0, "rt1": 3})
    assert grown["added"] == ["rt1"]
    assert grown["digit_bytes"] == 3  # "7" -> "1200"
    assert grown["large_bytes"] - grown["small_bytes"] == grown["added_bytes"] + grown["digit_bytes"]


@pytest.mark.real_figures
def test_the_request_counter_reports_response_bytes_and_requests_per_table(ctx):
    from bench.metering import RequestCounter
    from chalicelib.store.models import FigureRecord

    key = ("city", "M2046-02")
    ctx.figures.put_item_counters(key, {"n": 5})
    with RequestCounter() as counter:
        items = ctx.figures.read_items([key])
    assert items[key]["n"] == 5
    assert counter.bytes_read > 500 * 10  # the zero-filled item comes back whole
    assert counter.bytes_by_operation["BatchGetItem"] == counter.bytes_read
    assert counter.table_total(FigureRecord.Meta.table_name) == 1 == counter.total
    counter.reset()
    assert counter.bytes_read == 0 and not counter.table_calls
