"""Tracking numbers: what a citizen gets back, types back, and what a redelivered webhook maps to."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chalicelib.domain.tracking import (
    ALPHABET,
    is_valid_tracking_number,
    new_tracking_number,
    normalize_tracking_number,
)

WIB = timezone(timedelta(hours=7))
RECEIVED = datetime(2026, 11, 3, 2, 15, tzinfo=UTC)  # 09:15 WIB, 3 November 2026
CANONICAL = re.compile(r"^[A-Z]{2,5}-[0-9]{2}(0[1-9]|1[0-2])-[0-9A-HJKMNP-TV-Z]{7}$")

prefixes = st.text(alphabet=string.ascii_uppercase, min_size=2, max_size=5)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2098, 12, 31), timezones=st.just(UTC)
)
seeds = st.binary(min_size=1, max_size=64)
attempts = st.integers(min_value=0, max_value=1000)
numbers = st.builds(new_tracking_number, prefixes, moments, seeds, attempts)


# -- issuing ---------------------------------------------------------------------------------------


def test_given_a_whatsapp_message_when_a_number_is_issued_then_it_has_the_city_prefix_and_wib_month() -> None:
    number = new_tracking_number("KDR", RECEIVED, b"wamid.HBgL")

    assert CANONICAL.match(number)
    assert number.startswith("KDR-2611-")
    assert len(number) == len("KDR-2611-") + 7


def test_numbers_are_pinned_so_a_replay_after_a_deploy_still_finds_its_case() -> None:
    # If these change, a webhook redelivered across a deploy would open a second case.
    assert new_tracking_number("KDR", RECEIVED, b"wamid.HBgL") == "KDR-2611-WWWPGDD"
    assert new_tracking_number("KDR", RECEIVED, b"wamid.HBgL", attempt=1) == "KDR-2611-CHATAHT"
    assert new_tracking_number("KDR", RECEIVED, b"wamid.demo-55") == "KDR-2611-Q10VFET"


@pytest.mark.parametrize(
    ("received_at", "month"),
    [
        (datetime(2026, 10, 31, 16, 59, 59, tzinfo=UTC), "2610"),  # 23:59:59 WIB on 31 October
        (datetime(2026, 10, 31, 17, 0, 0, tzinfo=UTC), "2611"),  # midnight WIB: already November
        (datetime(2026, 12, 31, 17, 30, tzinfo=UTC), "2701"),  # New Year in Kediri, not yet in London
        (datetime(2026, 11, 1, 0, 30, tzinfo=WIB), "2611"),
        (datetime(2026, 10, 31, 19, 0, tzinfo=timezone(timedelta(hours=-5))), "2611"),
    ],
)
def test_the_month_is_the_wib_month_of_receipt(received_at: datetime, month: str) -> None:
    number = new_tracking_number("KDR", received_at, b"seed")

    assert number.split("-")[1] == month


@pytest.mark.parametrize("prefix", ["", "K", "KEDIRI", "kdr", "Kdr", "K1R", "KD-R", "KDŘ", " KDR"])
def test_a_malformed_city_prefix_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        new_tracking_number(prefix, RECEIVED, b"seed")


def test_a_naive_time_is_refused_because_the_month_would_be_a_guess() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        new_tracking_number("KDR", datetime(2026, 10, 31, 23, 30), b"seed")


@pytest.mark.parametrize("attempt", [-1, 2**32, True])
def test_an_out_of_range_attempt_is_refused(attempt: int) -> None:
    with pytest.raises(ValueError, match="attempt"):
        new_tracking_number("KDR", RECEIVED, b"seed", attempt)


def test_an_empty_seed_is_refused_since_every_complaint_would_collide() -> None:
    with pytest.raises(ValueError, match="seed"):
        new_tracking_number("KDR", RECEIVED, b"")


def test_a_text_seed_is_refused_so_the_encoding_is_the_callers_explicit_choice() -> None:
    with pytest.raises(TypeError, match="bytes"):
        new_tracking_number("KDR", RECEIVED, "wamid.HBgL")  # type: ignore[arg-type]


@given(prefixes, moments, seeds, attempts)
def test_same_seed_and_attempt_give_the_same_number(
    prefix: str, received_at: datetime, seed: bytes, attempt: int
) -> None:
    first = new_tracking_number(prefix, received_at, seed, attempt)
    redelivered = new_tracking_number(prefix, received_at, bytearray(seed), attempt)

    assert redelivered == first


@given(prefixes, moments, seeds, seeds, attempts)
def test_different_seeds_give_different_numbers(
    prefix: str, received_at: datetime, seed: bytes, other: bytes, attempt: int
) -> None:
    assume(seed != other)

    # 30 random bits: a clash has probability 2**-30 per pair.
    assert new_tracking_number(prefix, received_at, seed, attempt) != new_tracking_number(
        prefix, received_at, other, attempt
    )


@given(prefixes, moments, seeds, attempts)
def test_a_retry_after_a_collision_gets_a_new_number(
    prefix: str, received_at: datetime, seed: bytes, attempt: int
) -> None:
    assert new_tracking_number(prefix, received_at, seed, attempt) != new_tracking_number(
        prefix, received_at, seed, attempt + 1
    )


def test_ten_thousand_complaints_in_a_month_almost_never_share_a_number() -> None:
    bodies = {new_tracking_number("KDR", RECEIVED, f"wamid.{i}".encode()) for i in range(10_000)}

    # Birthday bound for 10k draws from 2**30: about 0.05 expected clashes; the store retries the rest.
    assert len(bodies) >= 9_998


# -- reading back what citizens type ---------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "KDR-2611-Q10VFET",
        "kdr-2611-q10vfet",
        "KDR2611Q10VFET",
        "kdr 2611 q10vfet",
        "  KDR - 2611 - Q10V FET  ",
        "KDR-2611-QIOUFET",  # I for 1, O for 0, U for V
        "KDR-2611-QLOUFET",  # L for 1
        "KDR–2611—Q10VFET",  # dashes a phone keyboard autocorrected
        "KDR-2611-Q10VFET.",  # end of a sentence
        "ＫＤＲ－２６１１－Ｑ１０ＶＦＥＴ",  # full-width input method
        "KDR-26II-Q10VFET",  # look-alikes in the month too
    ],
)
def test_what_a_citizen_types_is_read_back_as_the_canonical_number(typed: str) -> None:
    assert normalize_tracking_number(typed) == "KDR-2611-Q10VFET"
    assert is_valid_tracking_number(typed)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "KDR",
        "KDR-2611-Q10VFE",  # a character short
        "KDR-2611-Q10VFETT",  # a character too many
        "KDR-2611-Q10VFEA",  # wrong check character
        "KDR-2613-Q10VFET",  # month 13
        "KDR-2600-Q10VFET",  # month 00
        "K-2611-Q10VFET",  # prefix too short
        "KEDIRI-2611-Q10VFET",  # prefix too long
        "K0R-2611-Q10VFET",  # digit in the prefix
        "KDR-2611-Q10VF#T",
        "STATUS KDR-2611-Q10VFET",  # the command word belongs to the chat parser, not here
        "KDR-2611-Q10VFET" + " " * 60,  # absurdly long input is not parsed at all
    ],
)
def test_malformed_or_mistyped_numbers_are_rejected(typed: str) -> None:
    assert normalize_tracking_number(typed) is None
    assert not is_valid_tracking_number(typed)


@pytest.mark.parametrize("value", [None, 123, b"KDR-2611-Q10VFET"])
def test_non_text_input_is_rejected_not_crashed_on(value: object) -> None:
    assert normalize_tracking_number(value) is None  # type: ignore[arg-type]
    assert not is_valid_tracking_number(value)  # type: ignore[arg-type]


@given(numbers)
def test_every_issued_number_is_canonical_and_round_trips(number: str) -> None:
    assert CANONICAL.match(number)
    assert normalize_tracking_number(number) == number


@given(numbers, st.sampled_from([" ", "", "  ", "-", " - "]), st.booleans())
def test_every_number_survives_sloppy_typing(number: str, separator: str, lower: bool) -> None:
    typed = separator.join(number.split("-"))
    typed = typed.lower() if lower else typed

    assert normalize_tracking_number(typed) == number


@given(numbers, st.data())
def test_look_alike_letters_in_month_and_body_are_folded_back(number: str, data: st.DataObject) -> None:
    prefix, rest = number[:-12], number[-12:]
    look_alikes = {"0": ["O", "o"], "1": ["I", "L", "i", "l"], "V": ["U", "u"]}
    typed = "".join(data.draw(st.sampled_from(look_alikes[c])) if c in look_alikes else c for c in rest)

    assert normalize_tracking_number(prefix + typed) == number


def _alternatives(compact: str, position: int) -> str:
    """Characters a typo could put at this position without changing the shape of the number."""
    prefix_length = len(compact) - 11
    if position < prefix_length:
        return string.ascii_uppercase
    if position < prefix_length + 4:
        return string.digits
    return ALPHABET


@settings(max_examples=60)
@given(numbers)
def test_every_single_character_typo_is_caught_by_the_check_character(number: str) -> None:
    compact = number.replace("-", "")
    for position, original in enumerate(compact):
        for typo in _alternatives(compact, position):
            if typo == original:
                continue
            mistyped = compact[:position] + typo + compact[position + 1 :]
            assert normalize_tracking_number(mistyped) is None, mistyped


@settings(max_examples=200)
@given(numbers)
def test_adjacent_swaps_are_caught_except_zero_and_z(number: str) -> None:
    compact = number.replace("-", "")
    for i in range(len(compact) - 1):
        a, b = compact[i], compact[i + 1]
        if a == b:
            continue
        swapped = compact[:i] + b + a + compact[i + 2 :]
        if {a, b} == {"0", "Z"}:
            continue  # the one blind spot of Luhn mod 32 (like 09 ↔ 90 in Luhn mod 10)
        assert normalize_tracking_number(swapped) is None, swapped


def test_the_alphabet_leaves_out_the_letters_people_confuse() -> None:
    assert len(ALPHABET) == 32
    assert len(set(ALPHABET)) == 32
    assert not set("ILOU") & set(ALPHABET)
