"""The audit trail's contract, run against DynamoDB (moto) and the in-memory fake the service tests use:
one stream per kind and month, newest first, limited, long texts cut."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib.store.sessions import AuditEntry
from tests.support.memory.accounts import InMemoryAuditRepository

WIB = timezone(timedelta(hours=7))
AT = datetime(2051, 3, 10, 2, 0, tzinfo=UTC)  # a far-future month: no other test writes there


@pytest.fixture(params=["dynamodb", "memory"])
def repo(request, aws):
    if request.param == "memory":
        return InMemoryAuditRepository()
    from chalicelib.store.sessions import AuditRepository

    return AuditRepository()


def new_kind() -> str:
    return f"kontrak-{uuid.uuid4().hex[:12]}"


def test_an_entry_reads_back_with_every_field(repo):
    kind = new_kind()
    repo.record(kind, "petugas.kontrak", AT, case_id="ADU-1", outcome="ekspor", reason="permintaan", detail="x")
    assert repo.list(kind, "2051-03") == [
        AuditEntry(at=AT, kind=kind, actor="petugas.kontrak", case_id="ADU-1", outcome="ekspor",
                   reason="permintaan", detail="x"),
    ]


def test_an_empty_month_lists_nothing(repo):
    assert repo.list(new_kind(), "2051-03") == []


def test_entries_list_newest_first_within_their_kind_and_month(repo):
    kind, other = new_kind(), new_kind()
    for minutes in (5, 1, 9, 3):
        repo.record(kind, f"a{minutes}", AT + timedelta(minutes=minutes))
    repo.record(other, "elsewhere", AT)
    repo.record(kind, "next-month", datetime(2051, 4, 1, 0, 0, tzinfo=UTC))
    assert [e.actor for e in repo.list(kind, "2051-03")] == ["a9", "a5", "a3", "a1"]
    assert [e.actor for e in repo.list(kind, "2051-04")] == ["next-month"]
    assert [e.actor for e in repo.list(other, "2051-03")] == ["elsewhere"]


def test_the_limit_keeps_the_newest(repo):
    kind = new_kind()
    for minutes in range(5):
        repo.record(kind, f"a{minutes}", AT + timedelta(minutes=minutes))
    assert [e.actor for e in repo.list(kind, "2051-03", limit=2)] == ["a4", "a3"]
    assert len(repo.list(kind, "2051-03")) == 5  # the default limit (100) is above what is there
    assert repo.list(kind, "2051-03", limit=0) == []


def test_the_default_limit_is_one_hundred(repo):
    kind = new_kind()
    for seconds in range(101):
        repo.record(kind, "a", AT + timedelta(seconds=seconds))
    entries = repo.list(kind, "2051-03")
    assert len(entries) == 100 and entries[-1].at == AT + timedelta(seconds=1)


def test_entries_at_the_same_moment_are_all_kept(repo):
    kind = new_kind()
    for actor in ("a", "b", "c"):
        repo.record(kind, actor, AT)
    assert sorted(e.actor for e in repo.list(kind, "2051-03")) == ["a", "b", "c"]


def test_reason_and_detail_are_cut_to_500_characters_and_empty_ones_read_as_none(repo):
    kind = new_kind()
    repo.record(kind, "a", AT, reason="r" * 600, detail="d" * 501)
    repo.record(kind, "b", AT + timedelta(minutes=1), case_id="", outcome="", reason="", detail="")
    newest, oldest = repo.list(kind, "2051-03")
    assert (newest.case_id, newest.outcome, newest.reason, newest.detail) == ("", "", None, None)
    assert oldest.reason == "r" * 500 and oldest.detail == "d" * 500
    assert (oldest.case_id, oldest.outcome) == (None, None)


def test_the_month_and_order_follow_the_time_as_given_not_utc(repo):
    """The stream is `at`'s own month and the sort key its isoformat(): the entry reads back in its zone."""
    kind = new_kind()
    wib_evening = datetime(2051, 4, 1, 6, 0, tzinfo=WIB)  # 31 March 23:00 UTC, filed under April
    repo.record(kind, "wib", wib_evening)
    naive = datetime(2051, 4, 1, 5, 0)
    repo.record(kind, "naive", naive)
    entries = repo.list(kind, "2051-04")
    assert [e.actor for e in entries] == ["wib", "naive"]  # "…T06:00+07:00" after "…T05:00", as strings
    assert entries[0].at == wib_evening and entries[0].at.utcoffset() == timedelta(hours=7)
    assert entries[1].at == naive and entries[1].at.tzinfo is None
    assert repo.list(kind, "2051-03") == []
