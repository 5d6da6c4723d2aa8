"""Kota Kediri demo data: consistent enough that `make run` shows a working city on first start."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from chalicelib.domain.routing import index_categories, route_category, suggest_categories, tokenize
from chalicelib.domain.tracking import is_valid_tracking_number, new_tracking_number
from demo.kediri import (
    AGENCIES,
    CATEGORIES,
    CITY_CODE,
    CITY_NAME,
    EXTRA_NON_WORKING_DAYS,
    OFFICERS,
    SAMPLE_COMPLAINTS,
)

REPO = Path(__file__).resolve().parents[2]
AGENCY_IDS = {agency.agency_id for agency in AGENCIES}
TIERS = {"ringan", "normatif", "tidak_berkadar_pengawasan", "berkadar_pengawasan"}

# What the admin koordinator would pick for each sample complaint, written out by hand.
EXPECTED_SAMPLE_ROUTES = {
    0: ("jalan-jembatan", "dpupr"),
    1: ("kebersihan", "dlhkp"),
    2: ("penerangan-jalan", "dishub"),
    3: ("air-bersih", "pdam"),
    4: ("drainase", "dpupr"),
    5: ("ketertiban", "satpolpp"),
    6: ("pungli", "inspektorat"),
    7: ("adminduk", "dispendukcapil"),
    8: ("bansos", "dinsos"),
    9: ("hewan-pertanian", "dkpp"),
}


def test_the_city_identity_makes_valid_tracking_numbers() -> None:
    number = new_tracking_number(CITY_CODE, datetime(2026, 11, 3, tzinfo=UTC), b"demo")

    assert CITY_CODE == "KDR"
    assert CITY_NAME == "Kota Kediri"
    assert number.startswith("KDR-2611-")
    assert is_valid_tracking_number(number)


# -- agencies ---------------------------------------------------------------------------------------


def test_there_are_enough_agencies_and_their_ids_are_unique() -> None:
    assert len(AGENCIES) >= 12
    assert len(AGENCY_IDS) == len(AGENCIES)


@pytest.mark.parametrize(
    "agency_id",
    [
        "diskominfo", "inspektorat", "setda", "dpupr", "dlhkp", "dishub", "dispendukcapil", "disdik",
        "dinkes", "satpolpp", "dpmptsp", "dinsos", "bpbd", "dkpp", "disperdagin", "perkim",
    ],
)  # fmt: skip
def test_the_opds_a_kediri_officer_knows_are_present(agency_id: str) -> None:
    assert agency_id in AGENCY_IDS


def test_every_agency_has_a_slug_id_a_full_name_and_a_short_name() -> None:
    for agency in AGENCIES:
        assert re.fullmatch(r"[a-z][a-z0-9-]*", agency.agency_id), agency
        assert agency.name and agency.short_name and agency.active, agency


# -- categories -------------------------------------------------------------------------------------


def test_there_are_enough_categories_and_their_ids_are_unique() -> None:
    assert len(CATEGORIES) >= 15
    assert len(index_categories(CATEGORIES)) == len(CATEGORIES)


def test_every_category_routes_to_an_existing_active_agency() -> None:
    index = index_categories(CATEGORIES)
    active = {agency.agency_id for agency in AGENCIES if agency.active}

    for category in CATEGORIES:
        assert route_category(category.category_id, index) in active, category.category_id


def test_every_category_has_five_to_fifteen_keywords_and_a_known_tier() -> None:
    for category in CATEGORIES:
        assert 5 <= len(category.keywords) <= 15, category.category_id
        assert len(set(category.keywords)) == len(category.keywords), category.category_id
        assert category.default_tier in TIERS, category.category_id


def test_every_keyword_survives_the_text_pipeline() -> None:
    # A keyword made only of filler words ("sudah", "di") could never match anything.
    for category in CATEGORIES:
        for keyword in category.keywords:
            assert tokenize(keyword), (category.category_id, keyword)


def test_no_keyword_is_claimed_by_two_categories() -> None:
    owner: dict[tuple[str, ...], str] = {}
    for category in CATEGORIES:
        for keyword in category.keywords:
            stems = tokenize(keyword)
            assert owner.setdefault(stems, category.category_id) == category.category_id, keyword


@pytest.mark.parametrize(
    ("category_id", "tier"),
    [
        ("pungli", "berkadar_pengawasan"),
        ("penerangan-jalan", "ringan"),
        ("perizinan", "tidak_berkadar_pengawasan"),
        ("jalan-jembatan", "normatif"),
        ("kebersihan", "normatif"),
    ],
)
def test_default_tiers_follow_what_the_complaint_needs(category_id: str, tier: str) -> None:
    assert index_categories(CATEGORIES)[category_id].default_tier == tier


def test_each_category_name_suggests_its_own_category() -> None:
    # The name an officer reads in the drop-down is covered by the keywords the matcher uses.
    for category in CATEGORIES:
        suggestions = suggest_categories(category.name, CATEGORIES, limit=1)
        assert [s.category_id for s in suggestions] == [category.category_id], category.name


def test_water_complaints_go_to_the_water_utility_liaison() -> None:
    index = index_categories(CATEGORIES)
    agencies = {agency.agency_id: agency for agency in AGENCIES}

    assert route_category("air-bersih", index) == "pdam"
    assert "Perumda Air Minum" in agencies["pdam"].name


# -- sample complaints ------------------------------------------------------------------------------


def test_there_are_ten_distinct_sample_complaints() -> None:
    assert len(SAMPLE_COMPLAINTS) == 10
    assert len(set(SAMPLE_COMPLAINTS)) == 10
    assert set(EXPECTED_SAMPLE_ROUTES) == set(range(len(SAMPLE_COMPLAINTS)))


@pytest.mark.parametrize(("index", "expected"), sorted(EXPECTED_SAMPLE_ROUTES.items()))
def test_each_sample_complaint_is_suggested_to_the_intended_category(
    index: int, expected: tuple[str, str]
) -> None:
    category_id, agency_id = expected
    suggestions = suggest_categories(SAMPLE_COMPLAINTS[index], CATEGORIES)

    assert suggestions and suggestions[0].category_id == category_id, (SAMPLE_COMPLAINTS[index], suggestions)
    assert route_category(suggestions[0].category_id, index_categories(CATEGORIES)) == agency_id


# -- officers ---------------------------------------------------------------------------------------


def test_there_is_one_demo_login_per_role_plus_a_second_opd_officer() -> None:
    by_username = {officer.username: officer for officer in OFFICERS}

    assert len(by_username) == len(OFFICERS)
    assert {(o.username, o.role, o.agency_id) for o in OFFICERS} == {
        ("admin.kominfo", "admin", "diskominfo"),
        ("petugas.dpupr", "opd", "dpupr"),
        ("kabid.dpupr", "supervisor", "dpupr"),
        ("sekda", "leadership", "setda"),
        ("petugas.dlhkp", "opd", "dlhkp"),
    }


def test_demo_officers_have_usable_contact_details_and_non_trivial_passwords() -> None:
    phones = [officer.phone for officer in OFFICERS]

    assert len(set(phones)) == len(phones)
    for officer in OFFICERS:
        assert officer.agency_id in AGENCY_IDS
        assert re.fullmatch(r"\+628\d{8,11}", officer.phone), officer.phone
        assert officer.alert_channel in {"line", "sms"}
        assert officer.display_name
        assert len(officer.password) >= 12 and "password" not in officer.password.lower()
    assert {officer.alert_channel for officer in OFFICERS} == {"line", "sms"}  # both alert paths demoable


# -- calendar ---------------------------------------------------------------------------------------


def test_the_demo_regional_holiday_is_hari_jadi_kota_kediri() -> None:
    days = dict(EXTRA_NON_WORKING_DAYS)

    assert days == {date(2026, 7, 27): "Hari Jadi Kota Kediri", date(2027, 7, 27): "Hari Jadi Kota Kediri"}


def test_demo_data_routing_and_tracking_import_no_cloud_or_heavy_code() -> None:
    # Routing and tracking run in every Lambda, the demo in `make run`; a clean interpreter proves nothing heavy
    # comes along.
    probe = (
        "import sys, demo.kediri, chalicelib.domain.routing, chalicelib.domain.tracking; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'boto3', 'botocore', 'chalice', 'pynamodb', 'holidays', 'aws_lambda_powertools'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True, timeout=60
    )

    assert result.stdout.strip() == "[]"
