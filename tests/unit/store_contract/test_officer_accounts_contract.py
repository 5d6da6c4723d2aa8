"""The officer accounts' contract, run against DynamoDB (moto) and the in-memory fake: the account fields
(password hash, session version, activity, alert channel) live on the same officer item the directory writes,
so the tests go through both repositories and check that each write moves the session version exactly as the
real conditional updates do, and that a write for an officer who does not exist is refused, never an upsert.

Every test uses usernames and agency ids of its own: the officers table is shared by the whole moto session.
"""

from __future__ import annotations

import inspect
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from pynamodb.exceptions import UpdateError

from chalicelib.domain.case import Role
from chalicelib.domain.officer import Officer
from chalicelib.store.conditions import is_conditional_failure
from chalicelib.store.directory import DirectoryRepository
from chalicelib.store.sessions import OfficerAccountRepository
from tests.support.memory.directory import InMemoryDirectoryRepository, InMemoryOfficerAccountRepository


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass
class Accounts:
    """The accounts repository under test and the directory that shares its officer items."""

    accounts: OfficerAccountRepository | InMemoryOfficerAccountRepository
    directory: DirectoryRepository | InMemoryDirectoryRepository
    usernames: list[str] = field(default_factory=list)

    def new_officer(self, **fields) -> Officer:
        """A stored officer of an agency of its own, with password hash "h0"."""
        username = unique("petugas")
        self.usernames.append(username)
        created = Officer(username, f"Petugas {username}", fields.pop("role", Role.OPD), unique("opd"), **fields)
        assert self.directory.create_officer(created, "h0")
        return created


@pytest.fixture(params=["dynamodb", "memory"])
def store(request, aws) -> Iterator[Accounts]:
    city = unique("kota")
    if request.param == "memory":
        directory = InMemoryDirectoryRepository(city)
        yield Accounts(InMemoryOfficerAccountRepository(directory), directory)
        return
    setup = Accounts(OfficerAccountRepository(), DirectoryRepository(city))
    yield setup
    from chalicelib.store.models import OfficerRecord

    for username in setup.usernames:
        OfficerRecord._get_connection().delete_item(username)


def refused(call, *args, **kwargs) -> bool:
    """Whether the call raised the lost-condition error a missing officer gives (services do not catch it)."""
    with pytest.raises(UpdateError) as error:
        call(*args, **kwargs)
    return is_conditional_failure(error.value)


# ------------------------------------------------------------------------------------- reading the state
def test_session_state_is_active_and_version_or_none_for_nobody(store):
    officer = store.new_officer(session_version=4)
    assert store.accounts.session_state(officer.username) == (True, 4)
    inactive = store.new_officer(active=False)
    assert store.accounts.session_state(inactive.username) == (False, 0)
    assert store.accounts.session_state(unique("tidak-ada")) is None


def test_must_change_password_follows_the_item_and_is_false_for_nobody(store):
    fresh = store.new_officer(must_change_password=True)
    assert store.accounts.must_change_password(fresh.username) is True
    assert store.accounts.must_change_password(store.new_officer().username) is False
    assert store.accounts.must_change_password(unique("tidak-ada")) is False


# ------------------------------------------------------------------------------------- passwords
def test_set_password_stores_the_hash_and_returns_the_next_session_version(store):
    officer = store.new_officer(session_version=4, must_change_password=True)
    assert store.accounts.set_password(officer.username, "h1") == 5
    assert store.directory.officer_with_password_hash(officer.username) == (
        Officer(**{**vars(officer), "session_version": 5, "must_change_password": False}), "h1")
    assert store.accounts.set_password(officer.username, "h2", must_change=True) == 6
    assert store.accounts.must_change_password(officer.username) is True
    assert store.accounts.session_state(officer.username) == (True, 6)
    assert store.directory.officer_with_password_hash(officer.username)[1] == "h2"


def test_set_password_for_nobody_is_refused_and_creates_no_officer(store):
    nobody = unique("tidak-ada")
    assert refused(store.accounts.set_password, nobody, "h1")
    assert store.directory.officer(nobody) is None and store.accounts.session_state(nobody) is None


def test_upgrade_password_hash_replaces_only_the_expected_hash_and_keeps_sessions(store):
    officer = store.new_officer(session_version=2)
    assert store.accounts.upgrade_password_hash(officer.username, "bukan-h0", "h0-kuat") is False
    assert store.accounts.upgrade_password_hash(officer.username, "h0", "h0-kuat") is True
    assert store.directory.officer_with_password_hash(officer.username) == (officer, "h0-kuat")  # same version
    assert store.accounts.upgrade_password_hash(officer.username, "h0", "h0-lagi") is False  # already moved on
    assert store.accounts.upgrade_password_hash(unique("tidak-ada"), "h0", "h1") is False


def test_a_rehash_that_loses_to_a_password_change_never_puts_the_old_password_back(store):
    officer = store.new_officer()
    read_at_sign_in = store.directory.officer_with_password_hash(officer.username)[1]
    assert store.accounts.set_password(officer.username, "sandi-baru") == 1  # the change lands first
    assert store.accounts.upgrade_password_hash(officer.username, read_at_sign_in, "sandi-lama-kuat") is False
    assert store.directory.officer_with_password_hash(officer.username)[1] == "sandi-baru"


def test_racing_password_changes_each_get_their_own_session_version(store):
    officer = store.new_officer(session_version=10)
    start = threading.Barrier(5)

    def change(n: int) -> int:
        start.wait()
        return store.accounts.set_password(officer.username, f"h{n}")

    with ThreadPoolExecutor(5) as pool:
        versions = list(pool.map(change, range(5)))
    assert sorted(versions) == [11, 12, 13, 14, 15]  # the version is added to, never overwritten
    last = versions.index(15)
    assert store.directory.officer_with_password_hash(officer.username)[1] == f"h{last}"


def test_racing_rehashes_from_one_hash_let_exactly_one_win(store):
    officer = store.new_officer()
    start = threading.Barrier(5)

    def rehash(n: int) -> bool:
        start.wait()
        return store.accounts.upgrade_password_hash(officer.username, "h0", f"h0-kuat-{n}")

    with ThreadPoolExecutor(5) as pool:
        won = list(pool.map(rehash, range(5)))
    assert won.count(True) == 1
    assert store.directory.officer_with_password_hash(officer.username)[1] == f"h0-kuat-{won.index(True)}"
    assert store.accounts.session_state(officer.username) == (True, 0)


# ------------------------------------------------------------------------------------- sessions and activity
def test_end_sessions_moves_the_version_on_and_refuses_nobody(store):
    officer = store.new_officer(session_version=1)
    store.accounts.end_sessions(officer.username)
    store.accounts.end_sessions(officer.username)
    assert store.accounts.session_state(officer.username) == (True, 3)
    assert store.directory.officer(officer.username) == Officer(**{**vars(officer), "session_version": 3})
    nobody = unique("tidak-ada")
    assert refused(store.accounts.end_sessions, nobody)
    assert store.accounts.session_state(nobody) is None


def test_deactivating_and_reactivating_each_end_every_session(store):
    officer = store.new_officer(session_version=5)
    assert store.accounts.set_active(officer.username, False) is True
    assert store.accounts.session_state(officer.username) == (False, 6)
    assert store.directory.officer(officer.username).active is False
    assert store.directory.officers_of(officer.agency_id) == [store.directory.officer(officer.username)]
    assert store.accounts.set_active(officer.username, False) is True  # again: still a write, still a new version
    assert store.accounts.set_active(officer.username, True) is True
    assert store.accounts.session_state(officer.username) == (True, 8)
    assert store.directory.officer_with_password_hash(officer.username)[1] == "h0"


def test_set_active_for_nobody_is_false_and_creates_no_officer(store):
    nobody = unique("tidak-ada")
    assert store.accounts.set_active(nobody, False) is False
    assert store.accounts.session_state(nobody) is None and store.directory.officer(nobody) is None


# ------------------------------------------------------------------------------------- alert channel
def test_alert_channel_with_an_address_sets_it_without_one_keeps_it_and_empty_removes_it(store):
    officer = store.new_officer(phone="+62811", email="lama@kota.go.id")
    store.accounts.set_alert_channel(officer.username, "email", "baru@kota.go.id")
    got = store.directory.officer(officer.username)
    assert (got.alert_channel, got.email) == ("email", "baru@kota.go.id")
    store.accounts.set_alert_channel(officer.username, "sms")
    got = store.directory.officer(officer.username)
    assert (got.alert_channel, got.email) == ("sms", "baru@kota.go.id")
    store.accounts.set_alert_channel(officer.username, "line", "")
    assert store.directory.officer(officer.username) == Officer(
        **{**vars(officer), "alert_channel": "line", "email": None})  # nothing else moved, not the version


def test_alert_channel_for_nobody_is_refused(store):
    nobody = unique("tidak-ada")
    assert refused(store.accounts.set_alert_channel, nobody, "sms")
    assert refused(store.accounts.set_alert_channel, nobody, "email", "a@kota.go.id")
    assert store.directory.officer(nobody) is None


# ------------------------------------------------------------------------------------- one item, two repositories
def test_account_writes_and_profile_edits_add_up_on_the_same_item(store):
    officer = store.new_officer(phone="+62811")
    store.directory.set_alert_preferences(officer.username, kinds=("eskalasi",), quiet_hours="22:00-05:00",
                                          urgent_at_night=False, personal_with_group=True)
    store.directory.set_line_user(officer.username, "Uabc")
    assert store.accounts.set_password(officer.username, "h1") == 1
    assert store.directory.update_officer_profile(
        officer.username, expected_role=Role.OPD, expected_agency=officer.agency_id, display_name="Nama Baru",
        role=Role.SUPERVISOR, agency_id=officer.agency_id, phone=None, email="kabid@kota.go.id",
        end_sessions=True) is True
    assert store.accounts.set_active(officer.username, False) is True
    assert store.directory.officer_with_password_hash(officer.username) == (Officer(
        officer.username, "Nama Baru", Role.SUPERVISOR, officer.agency_id, line_user_id="Uabc",
        email="kabid@kota.go.id", active=False, session_version=3, alert_kinds=("eskalasi",),
        quiet_hours="22:00-05:00", urgent_at_night=False, personal_with_group=True), "h1")
    assert store.accounts.session_state(officer.username) == (False, 3)


def test_putting_an_officer_again_resets_the_account_fields(store):
    officer = store.new_officer()
    store.accounts.set_password(officer.username, "h1", must_change=True)
    store.accounts.set_active(officer.username, False)
    store.directory.put_officer(officer, "h-demo")  # what the demo loader does
    assert store.accounts.session_state(officer.username) == (True, 0)
    assert store.accounts.must_change_password(officer.username) is False
    assert store.directory.officer_with_password_hash(officer.username) == (officer, "h-demo")


def test_the_fake_offers_every_public_method_of_the_real_repository_with_the_same_signature():
    for name, member in inspect.getmembers(OfficerAccountRepository, inspect.isfunction):
        if name.startswith("_"):
            continue
        assert inspect.signature(getattr(InMemoryOfficerAccountRepository, name)) == inspect.signature(member), name
