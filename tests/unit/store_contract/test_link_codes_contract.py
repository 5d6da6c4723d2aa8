"""The LINE link codes' contract, run against DynamoDB (moto) and the in-memory fake the service tests use: a
code is issued once and redeemed once before it expires; a group code names the OPD it binds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.services.repositories import LinkCodes
from tests.support.memory.small import InMemoryLinkCodeRepository

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
EXPIRES = NOW + timedelta(minutes=15)


@pytest.fixture(params=["dynamodb", "memory"])
def codes(request, aws) -> LinkCodes:
    if request.param == "memory":
        return InMemoryLinkCodeRepository()
    from chalicelib.store.link_codes import LinkCodeRepository

    return LinkCodeRepository()


def new_code(prefix: str = "ADUAN") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def test_a_code_is_issued_once_and_the_first_officer_keeps_it(codes):
    code = new_code()
    assert codes.issue(code, "petugas.dpupr", EXPIRES) is True
    assert codes.issue(code, "petugas.dlhkp", EXPIRES) is False
    assert codes.issue_group(code, "kabid.dpupr", "dpupr", EXPIRES) is False
    assert codes.redeem(code, NOW) == "petugas.dpupr"


def test_a_code_is_redeemed_once(codes):
    code = new_code()
    codes.issue(code, "petugas.dpupr", EXPIRES)
    assert codes.redeem(code, NOW) == "petugas.dpupr"
    assert codes.redeem(code, NOW) is None


def test_an_unknown_code_redeems_nothing(codes):
    assert codes.redeem(new_code(), NOW) is None
    assert codes.redeem_group(new_code("GRUP"), NOW) is None


def test_a_code_is_refused_from_its_expiry_on(codes):
    code, late = new_code(), new_code()
    codes.issue(code, "petugas.dpupr", EXPIRES)
    codes.issue(late, "petugas.dpupr", EXPIRES)
    assert codes.redeem(late, EXPIRES) is None
    assert codes.redeem(code, EXPIRES - timedelta(seconds=1)) == "petugas.dpupr"
    assert codes.redeem(late, EXPIRES - timedelta(seconds=1)) == "petugas.dpupr"  # a refusal does not use it up


def test_expiry_is_compared_in_whole_seconds(codes):
    """`expires_at` is a TTL attribute (Unix seconds) and the condition sends `now` the same way: a code stops
    working at the start of the second it expires in."""
    code = new_code()
    codes.issue(code, "petugas.dpupr", EXPIRES + timedelta(milliseconds=700))
    assert codes.redeem(code, EXPIRES + timedelta(milliseconds=100)) is None
    assert codes.redeem(code, EXPIRES - timedelta(microseconds=1)) == "petugas.dpupr"


def test_an_expired_code_still_blocks_its_reissue(codes):
    """DynamoDB deletes an expired item lazily (TTL), so the code stays taken."""
    code = new_code()
    codes.issue(code, "petugas.dpupr", NOW - timedelta(days=3))
    assert codes.issue(code, "petugas.dlhkp", EXPIRES) is False
    assert codes.redeem(code, NOW) is None


def test_a_group_code_names_its_opd_and_the_officer_who_asked_once(codes):
    code = new_code("GRUP")
    assert codes.issue_group(code, "kabid.dpupr", "dpupr", EXPIRES) is True
    assert codes.issue_group(code, "admin.kominfo", "dlhkp", EXPIRES) is False
    assert codes.redeem_group(code, NOW) == ("dpupr", "kabid.dpupr")
    assert codes.redeem_group(code, NOW) is None


def test_a_group_code_is_refused_from_its_expiry_on(codes):
    code = new_code("GRUP")
    codes.issue_group(code, "kabid.dpupr", "dpupr", EXPIRES)
    assert codes.redeem_group(code, EXPIRES) is None
    assert codes.redeem_group(code, EXPIRES - timedelta(seconds=1)) == ("dpupr", "kabid.dpupr")


def test_a_personal_code_never_binds_a_group_and_stays_redeemable(codes):
    code = new_code()
    codes.issue(code, "petugas.dpupr", EXPIRES)
    assert codes.redeem_group(code, NOW) is None
    assert codes.redeem(code, NOW) == "petugas.dpupr"


def test_a_group_code_never_links_a_personal_account_and_stays_redeemable_for_its_group(codes):
    """A group code posted to the city's account one to one links nobody: it is still the group's to use."""
    code = new_code("GRUP")
    codes.issue_group(code, "kabid.dpupr", "dpupr", EXPIRES)
    assert codes.redeem(code, NOW) is None
    assert codes.redeem_group(code, NOW) == ("dpupr", "kabid.dpupr")


def test_an_expiry_without_a_timezone_is_refused(codes):
    with pytest.raises(ValueError):
        codes.issue(new_code(), "petugas.dpupr", datetime(2026, 11, 30, 2, 15))
