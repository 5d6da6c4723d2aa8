"""The figures repository's contract, run against DynamoDB (moto) and the in-memory fake the other unit
tests use: the same conditional writes must succeed and fail in the same cases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.store.figures import NOTHING, Change, Contribution
from tests.support.memory.figures import InMemoryFigureRepository

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


@pytest.fixture(params=["dynamodb", "memory"])
def repo(request, aws):
    if request.param == "memory":
        return InMemoryFigureRepository()
    from chalicelib.store.figures import FigureRepository

    return FigureRepository()


def unique_key() -> tuple[str, str]:
    return (f"agency:kontrak-{uuid.uuid4().hex[:8]}", "M2051-03")


def change(case_id: str, before: Contribution, version: int, key, counters: dict) -> Change:
    return Change(f"{case_id}@{before.version}>{version}", before, Contribution(version, (key,), counters))


def test_an_item_starts_at_zero_and_adds_each_change_once(repo):
    key = unique_key()
    assert repo.read_items([key]) == {}
    assert repo.add_to_item(key, {"n": 1, "s_BARU": 1}, "k@0>1") is True
    assert repo.add_to_item(key, {"n": 1, "s_BARU": 1}, "k@0>1") is False  # the same change again
    assert repo.add_to_item(key, {"s_BARU": -1, "s_SELESAI": 1}, "k@1>2") is True
    counters = repo.read_items([key])[key]
    assert (counters["n"], counters["s_BARU"], counters["s_SELESAI"]) == (1, 0, 1)
    assert counters["vw0"] == 0 and counters["d20510301"] == 0  # zero-filled: the same size whatever it holds
    repo.forget_token(key, "k@0>1")
    repo.forget_token(key, "k@0>1")  # forgetting twice is harmless
    assert repo.add_to_item(key, {"n": 1}, "k@0>1") is True  # once forgotten, a token counts again


def test_put_item_counters_writes_a_whole_item(repo):
    key = unique_key()
    repo.put_item_counters(key, {"n": 5, "rw3": 2})
    counters = repo.read_items([key, unique_key()])[key]
    assert counters["n"] == 5 and counters["rw3"] == 2 and counters["rw4"] == 0


def test_a_ledger_change_runs_start_commit_finish_under_its_conditions(repo):
    case_id = f"KONTRAK-{uuid.uuid4().hex[:8]}"
    key = unique_key()
    first = change(case_id, NOTHING, 1, key, {"n": 1})
    assert repo.ledger(case_id).applied == NOTHING
    assert repo.start_change(case_id, first, "a", NOW) is True
    assert repo.start_change(case_id, first, "b", NOW) is False  # one change at a time
    ledger = repo.ledger(case_id)
    assert (ledger.change, ledger.phase, ledger.owner, ledger.claimed_at) == (first, "apply", "a", NOW)
    assert repo.commit_change(case_id, first, "b") is False  # only the owner commits
    assert repo.finish_change(case_id, first.token) is False  # not committed yet
    assert repo.commit_change(case_id, first, "a") is True
    assert repo.commit_change(case_id, first, "a") is False
    assert repo.ledger(case_id).phase == "clean" and repo.ledger(case_id).applied == first.after
    assert repo.finish_change(case_id, first.token) is True
    ledger = repo.ledger(case_id)
    assert ledger.change is None and ledger.applied == first.after

    stale = change(case_id, NOTHING, 2, key, {"n": 1})  # starts from a version the ledger has moved past
    assert repo.start_change(case_id, stale, "c", NOW) is False
    second = change(case_id, first.after, 2, key, {"n": 1, "fu": 1})
    assert repo.start_change(case_id, second, "c", NOW) is True


def test_a_change_is_taken_over_only_from_the_owner_and_claim_it_had(repo):
    case_id = f"KONTRAK-{uuid.uuid4().hex[:8]}"
    first = change(case_id, NOTHING, 1, unique_key(), {"n": 1})
    assert repo.start_change(case_id, first, "a", NOW)
    later = NOW + timedelta(minutes=6)
    assert repo.take_over(case_id, first.token, "x", NOW, "b", later) is False  # wrong owner
    assert repo.take_over(case_id, first.token, "a", later, "b", later) is False  # wrong claim
    assert repo.take_over(case_id, "other", "a", NOW, "b", later) is False  # wrong change
    assert repo.take_over(case_id, first.token, "a", NOW, "b", later) is True
    assert repo.take_over(case_id, first.token, "a", NOW, "c", later) is False  # b got it first
    assert repo.commit_change(case_id, first, "a") is False and repo.commit_change(case_id, first, "b") is True


def test_an_item_another_worker_creates_first_still_gets_the_change(aws, monkeypatch):
    """The item is missing at the first try and another worker creates it before this one can: add anyway."""
    from chalicelib.store.figures import FigureRepository

    repo, key = FigureRepository(), unique_key()
    created_by_someone_else = FigureRepository._create

    def lost_the_race(item_key):
        created_by_someone_else(item_key)
        return False  # as if another worker's put had landed first

    monkeypatch.setattr(FigureRepository, "_create", staticmethod(lost_the_race))
    assert repo.add_to_item(key, {"n": 1}, "k@0>1") is True
    assert repo.add_to_item(key, {"n": 1}, "k@0>1") is False
    assert repo.read_items([key])[key]["n"] == 1
