"""The city directory's contract, run against DynamoDB (moto) and the in-memory fake the services' unit tests use:
the same writes must succeed and be refused in the same cases, and reads must come back in the same order and shape.

The moto tables are shared by the whole session (the demo city lives there too), so every test works in a city,
agencies and usernames of its own. `agency_has_cases` is covered for real: on DynamoDB the test writes a case
(lead OPD) and a supporting-OPD row, and the fake's `has_cases` answers the same agencies.
"""

from __future__ import annotations

import inspect
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pynamodb.exceptions import UpdateError

from chalicelib.domain.case import Case, Channel, Role, Status
from chalicelib.domain.officer import Officer
from chalicelib.domain.routing import Agency, Category
from chalicelib.store.conditions import is_conditional_failure
from chalicelib.store.directory import DirectoryRepository, StoredCitySettings
from tests.support.memory.directory import InMemoryDirectoryRepository

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass
class Directory:
    """The repository under test and what the test must undo in the shared moto tables."""

    repo: DirectoryRepository | InMemoryDirectoryRepository
    backend: str
    usernames: list[str] = field(default_factory=list)
    case_keys: list[tuple[str, str | None]] = field(default_factory=list)  # (case id, supporting OPD or None)
    agencies_with_cases: set[str] = field(default_factory=set)

    def username(self) -> str:
        name = unique("petugas")
        self.usernames.append(name)
        return name

    def record_case(self, agency_id: str, *, supporting: bool) -> None:
        """A closed case naming `agency_id` as its lead OPD, or (supporting) that OPD's work-list row of one."""
        if self.backend == "memory":
            self.agencies_with_cases.add(agency_id)
            return
        from chalicelib.store.agency_cases import AgencyCaseRepository
        from chalicelib.store.cases import CaseRepository

        case = Case(case_id=unique("KONTRAK"), city_code=self.repo.city_code, channel=Channel.WEB,
                    status=Status.DIARSIPKAN, description="kontrak direktori", received_at=NOW,
                    lead_agency=unique("lain") if supporting else agency_id,
                    supporting_agencies=(agency_id,) if supporting else ())
        if supporting:
            self.case_keys.append((case.case_id, agency_id))
            assert AgencyCaseRepository().put(agency_id, case)
        else:
            self.case_keys.append((case.case_id, None))
            CaseRepository().add(case)


@pytest.fixture(params=["dynamodb", "memory"])
def directory(request, aws) -> Iterator[Directory]:
    city = unique("kota")
    if request.param == "memory":
        fake = InMemoryDirectoryRepository(city)
        setup = Directory(fake, "memory")
        fake.has_cases = setup.agencies_with_cases.__contains__  # as the wiring points it at the case fakes
        yield setup
        return
    setup = Directory(DirectoryRepository(city), "dynamodb")
    yield setup
    from chalicelib.store.models import AgencyCaseRecord, CaseRecord, OfficerRecord

    for username in setup.usernames:
        OfficerRecord._get_connection().delete_item(username)
    for case_id, supporting in setup.case_keys:  # the shared indexes (status, pending sync) must not keep them
        if supporting is None:
            CaseRecord._get_connection().delete_item(case_id)
        else:
            AgencyCaseRecord._get_connection().delete_item(supporting, case_id)


def agency(agency_id: str, name: str = "Dinas Kontrak", active: bool = True) -> Agency:
    return Agency(agency_id, name, name.split()[-1][:8].upper(), active)


def category(category_id: str, agency_id: str, *keywords: str, tier: str = "normatif", active: bool = True,
             name: str = "Kategori kontrak") -> Category:
    return Category(category_id, name, agency_id, keywords, tier, active)


def officer(username: str, agency_id: str, role: Role = Role.OPD, **fields) -> Officer:
    return Officer(username, f"Petugas {username}", role, agency_id, **fields)


def conditional_failure(error: BaseException) -> bool:
    return isinstance(error, UpdateError) and is_conditional_failure(error)


# ------------------------------------------------------------------------------------- a new city
def test_a_city_that_stored_nothing_reads_empty(directory):
    repo = directory.repo
    assert repo.city_code.startswith("kota-")
    assert repo.agencies() == [] and repo.categories() == []
    assert repo.extra_days() == {} and repo.withdrawn_days() == {}
    assert repo.city_settings() is None
    assert repo.agency("dpupr") is None and repo.category("jalan-rusak") is None
    assert repo.officers_of(unique("opd")) == []
    assert repo.agency_has_cases(unique("opd")) is False


# ------------------------------------------------------------------------------------- agencies
def test_agencies_come_back_in_code_order_and_put_agency_overwrites(directory):
    repo = directory.repo
    for code in ("dpupr", "bpbd", "Dlhkp", "dinkes-2", "dinkes"):
        repo.put_agency(agency(code, f"Dinas {code}"))
    assert [a.agency_id for a in repo.agencies()] == ["Dlhkp", "bpbd", "dinkes", "dinkes-2", "dpupr"]  # bytes
    repo.put_agency(agency("bpbd", "Badan Penanggulangan Bencana", active=False))
    assert repo.agency("bpbd") == Agency("bpbd", "Badan Penanggulangan Bencana", "BENCANA", False)
    assert repo.agencies()[1] == repo.agency("bpbd")
    assert len(repo.agencies()) == 5


def test_add_agency_refuses_a_taken_code_and_keeps_the_first(directory):
    repo = directory.repo
    assert repo.add_agency(agency("dpupr", "Dinas Pekerjaan Umum")) is True
    assert repo.add_agency(agency("dpupr", "Dinas Lain", active=False)) is False
    assert repo.agency("dpupr") == agency("dpupr", "Dinas Pekerjaan Umum")


def test_replace_agency_overwrites_only_an_agency_that_exists(directory):
    repo = directory.repo
    assert repo.replace_agency(agency("bapenda")) is False
    assert repo.agency("bapenda") is None and repo.agencies() == []  # never creates one
    repo.put_agency(agency("bapenda", "Badan Pendapatan"))
    assert repo.replace_agency(agency("bapenda", "Badan Pendapatan Daerah", active=False)) is True
    assert repo.agency("bapenda") == agency("bapenda", "Badan Pendapatan Daerah", active=False)


def test_delete_agency_says_whether_it_was_there_and_replace_never_resurrects_it(directory):
    repo = directory.repo
    assert repo.delete_agency("dishub") is False
    assert repo.add_agency(agency("dishub")) is True
    assert repo.delete_agency("dishub") is True
    assert repo.delete_agency("dishub") is False
    assert repo.replace_agency(agency("dishub")) is False
    assert repo.agency("dishub") is None
    assert repo.add_agency(agency("dishub", "Dinas Perhubungan")) is True  # the code is free again


def test_agency_has_cases_counts_a_lead_or_supporting_opd_open_or_closed(directory):
    lead, supporting, none = unique("lead"), unique("dukung"), unique("kosong")
    directory.record_case(lead, supporting=False)
    directory.record_case(supporting, supporting=True)
    repo = directory.repo
    assert repo.agency_has_cases(lead) is True
    assert repo.agency_has_cases(supporting) is True
    assert repo.agency_has_cases(none) is False


# ------------------------------------------------------------------------------------- categories
def test_categories_come_back_in_code_order_with_keywords_as_given(directory):
    repo = directory.repo
    repo.put_category(category("sampah", "dlhkp", "sampah", "bau", "sampah"))
    repo.put_category(category("banjir", "bpbd", tier="berkadar_pengawasan"))
    repo.put_category(category("jalan-rusak", "dpupr", "lubang", "aspal", active=False))
    assert repo.categories() == [
        category("banjir", "bpbd", tier="berkadar_pengawasan"),
        category("jalan-rusak", "dpupr", "lubang", "aspal", active=False),
        category("sampah", "dlhkp", "sampah", "bau", "sampah"),  # order and repeats kept (a list, not a set)
    ]
    assert repo.category("banjir").keywords == ()  # no keywords: stored absent, read as an empty tuple
    repo.put_category(category("banjir", "dpupr", "genangan"))
    assert repo.category("banjir") == category("banjir", "dpupr", "genangan")


def test_add_and_replace_category_hold_their_conditions(directory):
    repo = directory.repo
    assert repo.replace_category(category("pju", "dishub", "lampu")) is False
    assert repo.category("pju") is None
    assert repo.add_category(category("pju", "dishub", "lampu")) is True
    assert repo.add_category(category("pju", "dpupr")) is False
    assert repo.category("pju") == category("pju", "dishub", "lampu")
    assert repo.replace_category(category("pju", "dpupr", "lampu", "jalan", tier="ringan")) is True
    assert repo.category("pju") == category("pju", "dpupr", "lampu", "jalan", tier="ringan")
    assert [c.category_id for c in repo.categories()] == ["pju"]


# ------------------------------------------------------------------------------------- calendar
def test_extra_days_come_back_in_date_order_and_deleting_twice_is_harmless(directory):
    repo = directory.repo
    repo.put_extra_day(date(2026, 12, 24), "Cuti bersama Natal")
    repo.put_extra_day(date(2026, 8, 17), "HUT RI")
    repo.put_extra_day(date(2027, 1, 2), "Libur daerah")
    assert list(repo.extra_days().items()) == [
        (date(2026, 8, 17), "HUT RI"), (date(2026, 12, 24), "Cuti bersama Natal"), (date(2027, 1, 2), "Libur daerah"),
    ]
    repo.put_extra_day(date(2026, 8, 17), "HUT Kemerdekaan RI")  # a put overwrites the label
    assert repo.extra_days()[date(2026, 8, 17)] == "HUT Kemerdekaan RI"
    repo.delete_extra_day(date(2026, 12, 24))
    repo.delete_extra_day(date(2026, 12, 24))
    repo.delete_extra_day(date(2030, 1, 1))
    assert list(repo.extra_days()) == [date(2026, 8, 17), date(2027, 1, 2)]


def test_withdrawn_days_are_kept_apart_from_extra_days(directory):
    repo = directory.repo
    repo.put_extra_day(date(2026, 12, 24), "Cuti bersama")
    repo.put_withdrawn_day(date(2026, 12, 26), "Cuti bersama dibatalkan")
    repo.put_withdrawn_day(date(2026, 5, 15), "Dibatalkan SKB")
    assert repo.extra_days() == {date(2026, 12, 24): "Cuti bersama"}
    assert list(repo.withdrawn_days().items()) == [
        (date(2026, 5, 15), "Dibatalkan SKB"), (date(2026, 12, 26), "Cuti bersama dibatalkan"),
    ]
    repo.delete_withdrawn_day(date(2026, 12, 24))  # an extra day is not a withdrawn one
    assert repo.extra_days() == {date(2026, 12, 24): "Cuti bersama"}
    repo.delete_withdrawn_day(date(2026, 5, 15))
    repo.delete_withdrawn_day(date(2026, 5, 15))
    assert repo.withdrawn_days() == {date(2026, 12, 26): "Cuti bersama dibatalkan"}


# ------------------------------------------------------------------------------------- officers
def test_an_officer_comes_back_with_every_field_and_the_password_hash(directory):
    opd = unique("opd")
    repo, username = directory.repo, directory.username()
    full = officer(username, opd, Role.SUPERVISOR, phone="+6281234500001", line_user_id="U123",
                   alert_channel="email", email="kabid@kota.go.id", active=False, session_version=7,
                   must_change_password=True, alert_kinds=("eskalasi", "peringatan"), quiet_hours="21:00-06:00",
                   urgent_at_night=False, personal_with_group=True)
    repo.put_officer(full, "scrypt$hash-1")
    assert repo.officer(username) == full
    assert repo.officer_with_password_hash(username) == (full, "scrypt$hash-1")
    assert repo.officer(unique("tidak-ada")) is None
    assert repo.officer_with_password_hash(unique("tidak-ada")) is None


def test_an_officer_with_the_defaults_reads_back_the_defaults(directory):
    opd = unique("opd")
    repo, username = directory.repo, directory.username()
    plain = officer(username, opd)
    repo.put_officer(plain, "h")
    assert repo.officer(username) == plain  # every kind, the city's quiet hours, urgent at night, no group copy


def test_alert_kinds_are_stored_sorted_and_once_and_none_chosen_stays_none_chosen(directory):
    opd = unique("opd")
    repo, a, b = directory.repo, directory.username(), directory.username()
    repo.put_officer(officer(a, opd, alert_kinds=("peringatan", "eskalasi", "peringatan")), "h")
    repo.put_officer(officer(b, opd, alert_kinds=(), quiet_hours=""), "h")
    assert repo.officer(a).alert_kinds == ("eskalasi", "peringatan")
    assert (repo.officer(b).alert_kinds, repo.officer(b).quiet_hours) == ((), "")  # "none", not "the default"


def test_put_officer_replaces_the_whole_item(directory):
    opd = unique("opd")
    repo, username = directory.repo, directory.username()
    repo.put_officer(officer(username, opd, phone="+62811", line_user_id="U1"), "h1")
    repo.set_alert_preferences(username, kinds=("eskalasi",), quiet_hours="22:00-05:00", urgent_at_night=False,
                               personal_with_group=True)
    replacement = officer(username, unique("opd"), Role.ADMIN)
    repo.put_officer(replacement, "h2")
    assert repo.officer_with_password_hash(username) == (replacement, "h2")


def test_create_officer_refuses_a_taken_username_and_keeps_the_first(directory):
    opd = unique("opd")
    repo, username = directory.repo, directory.username()
    first = officer(username, opd, phone="+62811")
    assert repo.create_officer(first, "h1") is True
    assert repo.create_officer(officer(username, unique("opd"), Role.ADMIN), "h2") is False
    assert repo.officer_with_password_hash(username) == (first, "h1")


def test_create_officer_lets_exactly_one_of_racing_admins_win(directory):
    opd = unique("opd")
    repo, username = directory.repo, directory.username()
    start = threading.Barrier(6)

    def create(n: int) -> bool:
        start.wait()
        return repo.create_officer(officer(username, f"{opd}-{n}"), f"h{n}")

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(create, range(6)))
    assert results.count(True) == 1
    winner = results.index(True)
    assert repo.officer_with_password_hash(username) == (officer(username, f"{opd}-{winner}"), f"h{winner}")


def test_officers_of_an_agency_come_in_role_then_username_order_and_filter_by_role(directory):
    repo, agency_id, other = directory.repo, unique("opd"), unique("opd")
    names = sorted(directory.username() for _ in range(5))
    roles = [Role.SUPERVISOR, Role.OPD, Role.ADMIN, Role.OPD, Role.LEADERSHIP]
    for name, role in zip(reversed(names), roles, strict=True):
        repo.put_officer(officer(name, agency_id, role), "h")
    repo.put_officer(officer(directory.username(), other, Role.OPD), "h")
    listed = repo.officers_of(agency_id)
    assert [(o.role, o.username) for o in listed] == sorted(
        ((role, name) for name, role in zip(reversed(names), roles, strict=True)), key=lambda p: f"{p[0]}#{p[1]}")
    assert [o.role for o in listed] == [Role.ADMIN, Role.LEADERSHIP, Role.OPD, Role.OPD, Role.SUPERVISOR]
    assert [o.username for o in repo.officers_of(agency_id, Role.OPD)] == [names[1], names[3]]
    assert repo.officers_of(agency_id, Role.CITIZEN) == []
    assert [o.agency_id for o in repo.officers_of(other)] == [other]


def test_update_officer_profile_moves_the_officer_to_the_new_role_and_agency(directory):
    repo, username, old, new = directory.repo, directory.username(), unique("opd"), unique("opd")
    repo.put_officer(officer(username, old, Role.OPD, phone="+62811", email="a@kota.go.id", line_user_id="U1",
                             session_version=3), "h")
    assert repo.update_officer_profile(username, expected_role=Role.OPD, expected_agency=old,
                                       display_name="Kabid Baru", role=Role.SUPERVISOR, agency_id=new,
                                       phone="+62822", email="b@kota.go.id", end_sessions=True) is True
    moved = repo.officer(username)
    assert moved == Officer(username, "Kabid Baru", Role.SUPERVISOR, new, phone="+62822", line_user_id="U1",
                            email="b@kota.go.id", session_version=4)
    assert repo.officers_of(old) == []
    assert repo.officers_of(new, Role.SUPERVISOR) == [moved] and repo.officers_of(new, Role.OPD) == []
    assert repo.officer_with_password_hash(username)[1] == "h"  # the password is not the profile's


def test_update_officer_profile_removes_an_empty_phone_and_email_and_ends_sessions_only_when_asked(directory):
    opd = unique("opd")
    repo, username = directory.repo, directory.username()
    repo.put_officer(officer(username, opd, phone="+62811", email="a@kota.go.id", session_version=2), "h")
    assert repo.update_officer_profile(username, expected_role=Role.OPD, expected_agency=opd,
                                       display_name="Nama", role=Role.OPD, agency_id=opd, phone="", email=None,
                                       end_sessions=False) is True
    assert repo.officer(username) == Officer(username, "Nama", Role.OPD, opd, session_version=2)


def test_update_officer_profile_is_refused_when_the_role_or_agency_changed_meanwhile(directory):
    opd = unique("opd")
    repo, username = directory.repo, directory.username()
    before = officer(username, opd, Role.OPD, phone="+62811")
    repo.put_officer(before, "h")
    changes = dict(display_name="X", role=Role.ADMIN, agency_id=unique("opd"), phone=None, email=None,
                   end_sessions=True)
    assert repo.update_officer_profile(username, expected_role=Role.SUPERVISOR, expected_agency=opd,
                                       **changes) is False
    assert repo.update_officer_profile(username, expected_role=Role.OPD, expected_agency=unique("opd"),
                                       **changes) is False
    assert repo.officer(username) == before  # nothing written, not even the session version
    nobody = unique("tidak-ada")
    assert repo.update_officer_profile(nobody, expected_role=Role.OPD, expected_agency=opd, **changes) is False
    assert repo.officer(nobody) is None  # an update never creates an officer


def test_set_line_user_links_an_officer_and_refuses_an_unknown_one(directory):
    opd = unique("opd")
    repo, username = directory.repo, directory.username()
    repo.put_officer(officer(username, opd), "h")
    repo.set_line_user(username, "Uabc")
    repo.set_line_user(username, "Udef")
    assert repo.officer(username).line_user_id == "Udef"
    nobody = unique("tidak-ada")
    with pytest.raises(UpdateError) as refused:
        repo.set_line_user(nobody, "Uabc")
    assert conditional_failure(refused.value)
    assert repo.officer(nobody) is None


def test_alert_preferences_are_set_and_reset_in_one_write(directory):
    opd = unique("opd")
    repo, username = directory.repo, directory.username()
    base = officer(username, opd, phone="+62811")
    repo.put_officer(base, "h")
    repo.set_alert_preferences(username, kinds=("peringatan", "eskalasi", "eskalasi"), quiet_hours="21:00-06:00",
                               urgent_at_night=False, personal_with_group=True)
    got = repo.officer(username)
    assert (got.alert_kinds, got.quiet_hours, got.urgent_at_night, got.personal_with_group) == (
        ("eskalasi", "peringatan"), "21:00-06:00", False, True)
    repo.set_alert_preferences(username, kinds=(), quiet_hours="", urgent_at_night=True, personal_with_group=False)
    got = repo.officer(username)
    assert (got.alert_kinds, got.quiet_hours) == ((), "")  # every optional kind off; no quiet hours at all
    repo.set_alert_preferences(username, kinds=None, quiet_hours=None, urgent_at_night=True,
                               personal_with_group=False)
    assert repo.officer(username) == base  # back to the defaults
    assert repo.officers_of(opd) == [base]  # the index sees the same item


def test_alert_preferences_of_an_unknown_officer_are_refused(directory):
    nobody = unique("tidak-ada")
    with pytest.raises(UpdateError) as refused:
        directory.repo.set_alert_preferences(nobody, kinds=None, quiet_hours=None, urgent_at_night=True,
                                             personal_with_group=False)
    assert conditional_failure(refused.value)
    assert directory.repo.officer(nobody) is None


# ------------------------------------------------------------------------------------- city settings
def stored_settings_item(directory: Directory):
    """The raw settings item: who set it and when are stored, never returned by `city_settings()`."""
    from chalicelib.store.models import CitySettingsRecord

    if directory.backend == "memory":
        return CitySettingsRecord.from_raw_data(directory.repo.settings_item)
    return CitySettingsRecord.get(directory.repo.city_code, consistent_read=True)


def test_city_settings_round_trip_as_json_would(directory):
    repo = directory.repo
    sla = {"tiers": {"berkadar_pengawasan": {"verify": 1, "follow_up": (1, 2)}}, "cap_days": 60}
    repo.put_city_settings(StoredCitySettings(sla, 0, ""), by="admin.kominfo", at=NOW)
    assert repo.city_settings() == StoredCitySettings(
        {"cap_days": 60, "tiers": {"berkadar_pengawasan": {"follow_up": [1, 2], "verify": 1}}}, 0, "")  # tuple → list
    repo.put_city_settings(StoredCitySettings({}, 5, "21:00-06:00"), by="admin.kominfo", at=NOW)
    assert repo.city_settings() == StoredCitySettings({}, 5, "21:00-06:00")


def test_city_settings_put_replaces_the_whole_item_and_absent_values_read_none(directory):
    repo = directory.repo
    repo.put_city_settings(StoredCitySettings({"cap_days": 60}, 5, "21:00-06:00"), by="a", at=NOW)
    repo.put_city_settings(StoredCitySettings(), by="b", at=NOW)
    assert repo.city_settings() == StoredCitySettings(None, None, None)


def test_city_settings_item_records_who_set_it_and_when_in_utc(directory):
    repo = directory.repo
    wib = timezone(timedelta(hours=7))
    repo.put_city_settings(StoredCitySettings(None, 3, None), by="admin.kominfo", at=datetime(2026, 11, 30, 9, 0,
                                                                                               tzinfo=wib))
    item = stored_settings_item(directory)
    assert (item.updated_by, item.updated_at) == ("admin.kominfo", NOW)
    assert item.updated_at.tzinfo is not None and item.updated_at.utcoffset() == timedelta(0)
    repo.put_city_settings(StoredCitySettings(None, 3, None), by="berkas-kota", at=datetime(2026, 12, 1, 8, 30))
    item = stored_settings_item(directory)
    assert (item.updated_by, item.updated_at) == ("berkas-kota", datetime(2026, 12, 1, 8, 30, tzinfo=UTC))  # naive
    assert (item.sla, item.hold_limit_days, item.quiet_hours) == (None, 3, None)


def test_a_settings_item_written_by_hand_comes_back_raw_for_the_context_to_refuse(directory):
    """An item edited outside the app (an `sla` that is not JSON, "-" quiet hours) is returned, never an error."""
    from chalicelib.store.models import CitySettingsRecord

    record = CitySettingsRecord(directory.repo.city_code, sla="{bukan json", hold_limit_days=4, quiet_hours="-")
    if directory.backend == "memory":
        directory.repo.settings_item = record.serialize()
    else:
        record.save()
    assert directory.repo.city_settings() == StoredCitySettings("{bukan json", 4, "")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------- isolation
def test_reads_hand_out_fresh_objects(directory):
    repo, username = directory.repo, directory.username()
    repo.put_city_settings(StoredCitySettings({"tiers": {"biasa": {"verify": 3}}}, 5, ""), by="a", at=NOW)
    settings = repo.city_settings()
    settings.sla["tiers"]["biasa"]["verify"] = 99
    assert repo.city_settings().sla == {"tiers": {"biasa": {"verify": 3}}}
    repo.put_extra_day(date(2026, 12, 24), "Cuti")
    repo.extra_days()[date(2026, 12, 25)] = "Natal"
    repo.withdrawn_days()[date(2026, 12, 25)] = "Natal"
    assert repo.extra_days() == {date(2026, 12, 24): "Cuti"} and repo.withdrawn_days() == {}
    repo.put_agency(agency("dpupr"))
    repo.agencies().append(agency("dlhkp"))
    opd = unique("opd")
    repo.put_officer(officer(username, opd), "h")
    repo.officers_of(opd).clear()
    assert [a.agency_id for a in repo.agencies()] == ["dpupr"]
    assert repo.officers_of(opd) == [repo.officer(username)]


def test_another_city_sees_none_of_this_citys_directory(directory):
    repo = directory.repo
    if directory.backend == "memory":
        other = InMemoryDirectoryRepository(unique("kota"))
    else:
        other = DirectoryRepository(unique("kota"))
    repo.put_agency(agency("dpupr"))
    repo.put_category(category("jalan", "dpupr"))
    repo.put_extra_day(date(2026, 12, 24), "Cuti")
    repo.put_withdrawn_day(date(2026, 12, 26), "Batal")
    repo.put_city_settings(StoredCitySettings(None, 5, None), by="a", at=NOW)
    assert (other.agencies(), other.categories(), other.extra_days(), other.withdrawn_days()) == ([], [], {}, {})
    assert other.agency("dpupr") is None and other.city_settings() is None


def test_the_demo_citys_directory_reads_back_as_written_in_code_order(directory):
    from demo import kediri

    repo = directory.repo
    for a in kediri.AGENCIES:
        repo.put_agency(a)
    for c in kediri.CATEGORIES:
        repo.put_category(c)
    for day, label in kediri.EXTRA_NON_WORKING_DAYS.items():
        repo.put_extra_day(day, label)
    assert repo.agencies() == sorted(kediri.AGENCIES, key=lambda a: a.agency_id)
    assert repo.categories() == sorted(kediri.CATEGORIES, key=lambda c: c.category_id)
    assert repo.extra_days() == dict(sorted(kediri.EXTRA_NON_WORKING_DAYS.items()))


def test_the_fake_offers_every_public_method_of_the_real_repository_with_the_same_signature():
    for name, member in inspect.getmembers(DirectoryRepository, inspect.isfunction):
        if name.startswith("_"):
            continue
        assert inspect.signature(getattr(InMemoryDirectoryRepository, name)) == inspect.signature(member), name
