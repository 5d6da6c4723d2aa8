"""The case messages' contract, run against DynamoDB (moto) and the in-memory fake the service tests use:
a message is attached once, a case's conversation reads in key order, and a withdrawn message keeps only
that it existed."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib.domain.messages import CaseMessage
from chalicelib.services.repositories import Messages
from tests.support.memory.intake import InMemoryMessageRepository

NOW = datetime(2026, 11, 30, 2, 0, 0, 250000, tzinfo=UTC)
WIB = timezone(timedelta(hours=7))


@pytest.fixture(params=["dynamodb", "memory"])
def messages(request, aws) -> Messages:
    if request.param == "memory":
        return InMemoryMessageRepository()
    from chalicelib.store.intake import MessageRepository

    return MessageRepository()


def new_case() -> str:
    return f"KONTRAK-{uuid.uuid4().hex[:12]}"


def message(case_id: str, message_id: str, sent_at: datetime = NOW, **fields) -> CaseMessage:
    return CaseMessage(case_id, message_id, sent_at, fields.pop("direction", "in"), fields.pop("channel", "line"),
                       **fields)


def test_a_message_is_attached_once_and_the_first_one_stands(messages):
    case_id = new_case()
    assert messages.add(message(case_id, "m1", text="Jalan berlubang")) is True
    assert messages.add(message(case_id, "m1", text="Lain")) is False  # the same delivery again
    assert [m.text for m in messages.for_case(case_id)] == ["Jalan berlubang"]


def test_the_same_id_at_another_time_is_another_message(messages):
    """The key is time and id: only the same message at the same moment is a duplicate."""
    case_id = new_case()
    assert messages.add(message(case_id, "m1", NOW)) is True
    assert messages.add(message(case_id, "m1", NOW + timedelta(seconds=1))) is True
    assert [m.sent_at for m in messages.for_case(case_id)] == [NOW, NOW + timedelta(seconds=1)]


def test_every_field_reads_back_as_it_was_attached(messages):
    case_id = new_case()
    full = message(case_id, "m-full", NOW, direction="out", channel="whatsapp", kind="location", text="Di sini",
                   media_key="media/a.jpg", media_type="image/jpeg", latitude=-7.8166, longitude=112.0118,
                   author="officer:petugas.dpupr", provider_id="wamid.1")
    bare = message(case_id, "m-bare", NOW + timedelta(minutes=1))
    messages.add(full)
    messages.add(bare)
    assert messages.for_case(case_id) == [full, bare]


def test_an_unknown_case_has_no_messages(messages):
    assert messages.for_case(new_case()) == []


def test_a_conversation_reads_in_time_order_then_by_id_and_stops_at_its_limit(messages):
    case_id = new_case()
    sent = [(NOW + timedelta(minutes=2), "c"), (NOW, "b"), (NOW + timedelta(minutes=1), "a"), (NOW, "a")]
    for at, message_id in sent:
        messages.add(message(case_id, message_id, at))
    assert [m.message_id for m in messages.for_case(case_id)] == ["a", "b", "a", "c"]
    assert [(m.message_id, m.sent_at) for m in messages.for_case(case_id, limit=2)] == [("a", NOW), ("b", NOW)]
    assert messages.for_case(case_id, limit=0) == []


def test_messages_sort_by_the_text_of_their_time_as_given_not_by_the_instant(messages):
    """The sort key is the time's ISO text as the caller gave it: a WIB time sorts by its WIB digits (so after a
    later UTC one), though it reads back in UTC."""
    case_id = new_case()
    early_in_wib = NOW.astimezone(WIB)
    messages.add(message(case_id, "wib", early_in_wib))
    messages.add(message(case_id, "utc", NOW + timedelta(minutes=30)))
    read = messages.for_case(case_id)
    assert [m.message_id for m in read] == ["utc", "wib"]
    assert read[1].sent_at == NOW and read[1].sent_at.utcoffset() == timedelta(0)
    assert messages.add(message(case_id, "wib", NOW)) is True  # the same instant in UTC is another key


def test_a_withdrawn_message_keeps_only_that_it_existed(messages):
    case_id = new_case()
    withdrawn = message(case_id, "m1", NOW, kind="image", text="foto", media_key="media/x.jpg",
                        media_type="image/jpeg", latitude=1.5, longitude=2.5, author="warga", provider_id="P1")
    kept = message(case_id, "m2", NOW + timedelta(seconds=1), text="tetap", provider_id="P2")
    messages.add(withdrawn)
    messages.add(kept)
    assert messages.withdraw(case_id, "P1") is True
    first, second = messages.for_case(case_id)
    assert first == dataclasses.replace(withdrawn, text=None, media_key=None, latitude=None, longitude=None,
                                        withdrawn=True)
    assert second == kept
    assert messages.withdraw(case_id, "P1") is True  # still found: withdrawing again changes nothing
    assert messages.for_case(case_id)[0] == first


def test_withdrawing_blanks_every_message_with_that_provider_id(messages):
    case_id = new_case()
    messages.add(message(case_id, "m1", NOW, text="satu", provider_id="P1"))
    messages.add(message(case_id, "m1", NOW + timedelta(seconds=5), text="lagi", provider_id="P1"))
    assert messages.withdraw(case_id, "P1") is True
    assert [(m.text, m.withdrawn) for m in messages.for_case(case_id)] == [(None, True), (None, True)]


def test_withdrawing_finds_nothing_without_a_matching_message_in_that_case(messages):
    case_id, other = new_case(), new_case()
    messages.add(message(case_id, "m1", text="satu", provider_id="P1"))
    assert messages.withdraw(other, "P1") is False
    assert messages.withdraw(case_id, "P9") is False
    assert messages.withdraw(case_id, "") is False
    assert messages.withdraw(new_case(), "P1") is False
    assert messages.for_case(case_id)[0].text == "satu"
