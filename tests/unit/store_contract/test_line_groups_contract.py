"""The OPD LINE groups' contract, run against DynamoDB (moto) and the in-memory fake the service tests use:
a binding per OPD, preferences only on a bound OPD, unbinding only the group still bound, OPDs per group."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pynamodb.exceptions import GetError, PutError, QueryError

from chalicelib.store.line_groups import GroupBinding
from tests.support.memory.officer_tools import InMemoryLineGroupRepository

AT = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


@pytest.fixture(params=["dynamodb", "memory"])
def repo(request, aws):
    if request.param == "memory":
        return InMemoryLineGroupRepository()
    from chalicelib.store.line_groups import LineGroupRepository

    return LineGroupRepository()


def new_agency() -> str:
    return f"kontrak-{uuid.uuid4().hex[:12]}"


def new_group() -> str:
    return f"Ckontrak{uuid.uuid4().hex}"


def test_an_unbound_opd_has_no_group(repo):
    agency = new_agency()
    assert repo.binding(agency) is None and repo.group_of(agency) is None


def test_a_bound_opd_gets_its_group_with_every_kind_and_the_citys_quiet_hours(repo):
    agency, group = new_agency(), new_group()
    assert repo.bind(agency, group, "officer:kabid", AT) is None
    assert repo.binding(agency) == GroupBinding(agency, group, None, None)
    assert repo.group_of(agency) == group


def test_preferences_are_refused_for_an_unbound_opd(repo):
    agency = new_agency()
    assert repo.set_preferences(agency, ("new_case",), "21:00-06:00") is False
    assert repo.binding(agency) is None  # no item is made


def test_preferences_are_stored_as_given_and_reset_with_none(repo):
    agency, group = new_agency(), new_group()
    repo.bind(agency, group, "u", AT)
    assert repo.set_preferences(agency, ("overdue", "new_case", "overdue"), "21:00-06:00") is True
    assert repo.binding(agency) == GroupBinding(agency, group, ("overdue", "new_case", "overdue"), "21:00-06:00")
    assert repo.set_preferences(agency, (), "") is True  # no kind at all; empty quiet hours: the city's
    assert repo.binding(agency) == GroupBinding(agency, group, (), None)
    assert repo.set_preferences(agency, None, None) is True
    assert repo.binding(agency) == GroupBinding(agency, group, None, None)


def test_binding_again_replaces_the_group_and_drops_its_preferences(repo):
    agency, group, other = new_agency(), new_group(), new_group()
    repo.bind(agency, group, "u", AT)
    repo.set_preferences(agency, ("new_case",), "22:00-05:00")
    repo.bind(agency, group, "u", AT)
    assert repo.binding(agency) == GroupBinding(agency, group, None, None)
    repo.set_preferences(agency, ("new_case",), "22:00-05:00")
    repo.bind(agency, other, "u", AT)
    assert repo.binding(agency) == GroupBinding(agency, other, None, None)
    assert repo.agencies_of(group) == [] and repo.agencies_of(other) == [agency]


def test_unbind_removes_only_the_group_still_bound(repo):
    agency, group, other = new_agency(), new_group(), new_group()
    repo.bind(agency, group, "u", AT)
    assert repo.unbind(agency, other) is False  # rebound meanwhile, or never this group
    assert repo.group_of(agency) == group
    assert repo.unbind(agency, group) is True
    assert repo.binding(agency) is None
    assert repo.unbind(agency, group) is False  # already gone
    assert repo.unbind(new_agency(), group) is False


def test_agencies_of_lists_every_opd_bound_to_the_group(repo):
    group, other = new_group(), new_group()
    agencies = [new_agency() for _ in range(4)]
    for agency in agencies:
        repo.bind(agency, group, "u", AT)
    repo.bind(new_agency(), other, "u", AT)
    assert sorted(repo.agencies_of(group)) == sorted(agencies)  # DynamoDB promises no order here
    repo.unbind(agencies[0], group)
    assert sorted(repo.agencies_of(group)) == sorted(agencies[1:])
    assert repo.agencies_of(new_group()) == []


def test_an_empty_agency_or_group_is_refused(repo):
    with pytest.raises(PutError):
        repo.bind(new_agency(), "", "u", AT)  # the by-group index key must not be empty either
    with pytest.raises(PutError):
        repo.bind("", new_group(), "u", AT)
    with pytest.raises(GetError):
        repo.binding("")
    with pytest.raises(QueryError):
        repo.agencies_of("")
