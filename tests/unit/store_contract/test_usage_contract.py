"""The channel usage counters' contract, run against DynamoDB (moto) and the in-memory fake the service tests
use: each message sent adds one to its channel and month, and the low-quota warning is given once a month."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from chalicelib.services.repositories import ChannelUsage
from tests.support.memory.small import InMemoryUsageRepository

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


@pytest.fixture(params=["dynamodb", "memory"])
def usage(request, aws) -> ChannelUsage:
    if request.param == "memory":
        return InMemoryUsageRepository()
    from chalicelib.store.usage import UsageRepository

    return UsageRepository()


def new_channel() -> str:
    return f"kontrak-{uuid.uuid4().hex[:12]}"


def test_nothing_counted_reads_as_zero(usage):
    assert usage.counts(new_channel(), "2026-11") == (0, 0)


def test_pushes_and_replies_are_counted_apart_and_any_other_kind_is_a_reply(usage):
    channel = new_channel()
    usage.count(channel, "2026-11", "push")
    usage.count(channel, "2026-11", "push")
    usage.count(channel, "2026-11", "reply")
    usage.count(channel, "2026-11", "broadcast")
    assert usage.counts(channel, "2026-11") == (2, 2)


def test_each_channel_and_month_counts_on_its_own(usage):
    channel, other = new_channel(), new_channel()
    usage.count(channel, "2026-11", "push")
    usage.count(channel, "2026-12", "reply")
    usage.count(other, "2026-11", "reply")
    assert (usage.counts(channel, "2026-11"), usage.counts(channel, "2026-12")) == ((1, 0), (0, 1))
    assert usage.counts(other, "2026-11") == (0, 1)


def test_the_low_quota_warning_is_given_once_per_channel_and_month(usage):
    channel = new_channel()
    assert usage.warn_once(channel, "2026-11", NOW) is True
    assert usage.warn_once(channel, "2026-11", NOW) is False
    assert usage.warn_once(channel, "2026-12", NOW) is True
    assert usage.warn_once(new_channel(), "2026-11", NOW) is True


def test_a_warning_before_any_count_leaves_the_counts_at_zero_and_counting_goes_on(usage):
    channel = new_channel()
    usage.warn_once(channel, "2026-11", NOW)
    assert usage.counts(channel, "2026-11") == (0, 0)
    usage.count(channel, "2026-11", "push")
    assert usage.counts(channel, "2026-11") == (1, 0)
    assert usage.warn_once(channel, "2026-11", NOW) is False  # counting does not reset the warning
