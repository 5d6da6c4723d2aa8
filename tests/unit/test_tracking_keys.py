"""Unguessable tracking numbers and throttled lookups (issue 10, item 5).

Tracking numbers used to be the plain SHA-256 of the source key (Telegram's counting update id, an app's
``loket-0001``), so anyone could compute the number of someone else's complaint, and nothing limited how
many numbers a client could try. Now the number is an HMAC under a key derived from the stage secret (a
retry still gets the same number), the tracking page answers a limited number of lookups per client address
per hour, and so does the chat ``STATUS`` command per sender. A ``STATUS`` answer about a *rahasia* case
names no agency.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime

import pytest

from chalicelib.channels.base import ParsedDelivery
from chalicelib.domain.case import Actor, Channel
from chalicelib.domain.messages import InboundMessage
from chalicelib.domain.tracking import (
    TRACKING_KEY_LABEL,
    new_tracking_number,
    normalize_tracking_number,
    tracking_key,
)
from chalicelib.services import intake, public, workflow

RECEIVED = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
_made: list[str] = []


@pytest.fixture(autouse=True)
def _forget_cases():
    yield
    from chalicelib.store.models import CaseRecord

    while _made:
        CaseRecord._get_connection().delete_item(_made.pop())  # below Model.delete: no version check


@pytest.fixture
def client_address(monkeypatch) -> str:
    """This test's own client address (the lookup limit is per address, and the tables are shared)."""
    from chalice.local import LambdaEventConverter

    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", address)
    return address


# ---------------------------------------------------------------- the keyed derivation (pure)


def test_the_tracking_key_is_the_stage_secret_under_its_own_label():
    assert TRACKING_KEY_LABEL == b"aduan:tracking-number:v1"
    assert tracking_key("s3cret") == hmac.new(b"s3cret", TRACKING_KEY_LABEL, hashlib.sha256).digest()
    assert tracking_key("s3cret") != tracking_key("other")
    with pytest.raises(ValueError):
        tracking_key("")


def test_a_keyed_number_is_stable_for_retries_and_unknown_without_the_key():
    key = tracking_key("stage-secret-for-tests")
    # Given Telegram's next update id, which anyone can guess
    number = new_tracking_number("KDR", RECEIVED, b"tg:900001", key=key)
    # Then a redelivery gets the same number, in the usual format (pinned: a deploy must not renumber)
    assert number == new_tracking_number("KDR", RECEIVED, bytearray(b"tg:900001"), key=key)
    assert normalize_tracking_number(number) == number
    assert number == "KDR-2611-9KDD53K"
    # But without the stage's key (or with another stage's) the number is another one
    assert number != new_tracking_number("KDR", RECEIVED, b"tg:900001")
    assert number != new_tracking_number("KDR", RECEIVED, b"tg:900001", key=tracking_key("other-stage"))
    # And a collision still moves on to the next attempt
    assert number != new_tracking_number("KDR", RECEIVED, b"tg:900001", 1, key=key)


def test_a_short_or_textual_key_is_refused():
    with pytest.raises(ValueError):
        new_tracking_number("KDR", RECEIVED, b"seed", key=b"short")
    with pytest.raises(ValueError):
        new_tracking_number("KDR", RECEIVED, b"seed", key="a text key of enough length")  # type: ignore[arg-type]


# ---------------------------------------------------------------- issued numbers


def telegram(ctx, text: str, chat: str, update_id: int | None = None) -> InboundMessage:
    update = update_id or 500_000_000 + uuid.uuid4().int % 100_000_000
    return InboundMessage(channel="telegram", event_key=f"tg:{update}", sender_id=chat, reply_to=chat,
                          received_at=ctx.now(), text=text)


def deliver(ctx, message: InboundMessage):
    fresh = intake.record_delivery(ctx, ParsedDelivery(messages=(message,)))
    outcomes = [intake.process_event(ctx, key) for key in fresh]
    for outcome in outcomes:
        if outcome and outcome.case_id and outcome.case_id not in _made:
            _made.append(outcome.case_id)
    return outcomes


def a_chat() -> str:
    return str(8_000_000 + uuid.uuid4().int % 1_000_000)


def test_a_telegram_complaint_gets_a_number_only_the_stage_secret_derives(intake_ctx):
    # Given a Telegram update whose id is the next in line
    update_id = 600_000_000 + uuid.uuid4().int % 100_000_000
    [opened] = deliver(intake_ctx, telegram(intake_ctx, "Lampu PJU mati di Jl. Dhoho", a_chat(), update_id))
    # Then its number is the keyed one; the plain hash of the update id (the old number) is not it
    seed = f"tg:{update_id}".encode()
    secret = intake_ctx.settings.session_secret
    assert opened.case_id == new_tracking_number("KDR", intake_ctx.now(), seed, key=tracking_key(secret))
    assert opened.case_id != new_tracking_number("KDR", intake_ctx.now(), seed)
    # And the case opened again from the same source (a retried attempt) is the same case
    again = workflow.open_case(intake_ctx, Actor.citizen("x"), channel=Channel.TELEGRAM,
                               description="Lampu PJU mati di Jl. Dhoho", source_key=f"tg:{update_id}")
    assert again.case_id == opened.case_id


def test_an_officer_entry_with_a_predictable_key_gets_an_unguessable_number(intake_ctx, admin):
    key = f"loket-{uuid.uuid4().int % 10_000:04d}"
    case = workflow.create_case_from_entry(intake_ctx, admin, channel="tatap_muka", idempotency_key=key,
                                           description="Antrean perizinan tidak tertib")
    _made.append(case.case_id)
    seed = f"entry:{admin.actor_id}:{key}".encode()
    assert case.case_id != new_tracking_number("KDR", intake_ctx.now(), seed)
    assert case.case_id == new_tracking_number("KDR", intake_ctx.now(), seed,
                                               key=tracking_key(intake_ctx.settings.session_secret))


# ---------------------------------------------------------------- throttled lookups: the tracking page


def test_the_tracking_page_answers_a_limited_number_of_lookups_per_client(api, intake_ctx, client_address):
    # Given a client that looked up the hourly allowance's worth of numbers (most of them made up)
    for n in range(public.LOOKUPS_PER_HOUR):
        assert api.http.get(f"/lacak/KDR-2611-{n:06d}0").status_code in (200, 404)
    # When it asks once more
    page = api.http.get("/lacak/KDR-2611-7K3M9Q3")
    # Then it gets a polite Indonesian page with 429 and when to come back
    assert page.status_code == 429
    assert "Terlalu banyak pencarian" in page.body.decode()
    assert 0 < int(page.headers["Retry-After"]) <= 3600
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    # And a program asking for JSON gets the machine-readable error body
    answer = api.http.get("/lacak/KDR-2611-7K3M9Q3", headers={"Accept": "application/json"})
    assert answer.status_code == 429
    assert answer.json_body["error"]["code"] == "too_many_attempts"
    # While another client is still answered, and this one again in the next hour
    from chalice.local import LambdaEventConverter

    LambdaEventConverter.LOCAL_SOURCE_IP = client_address + "1"
    assert api.http.get("/lacak/KDR-2611-7K3M9Q3").status_code == 404
    LambdaEventConverter.LOCAL_SOURCE_IP = client_address
    intake_ctx.clock.advance(hours=1)
    assert api.http.get("/lacak/KDR-2611-7K3M9Q3").status_code == 404


def test_lookups_are_counted_by_a_hash_of_the_address_never_the_address(intake_ctx):
    hashed = public.hashed_client(intake_ctx, "203.0.113.7")
    assert "203.0.113.7" not in hashed and len(hashed) == 32
    assert hashed == public.hashed_client(intake_ctx, "203.0.113.7")
    assert hashed != public.hashed_client(intake_ctx, "203.0.113.8")


# ---------------------------------------------------------------- throttled lookups: the chat STATUS command


def answers_to(provider, chat: str) -> list[str]:
    return [r.json()["text"] for r in provider.sent_to("/sendMessage") if r.json()["chat_id"] == chat]


def test_status_is_answered_a_limited_number_of_times_per_sender(intake_ctx, provider):
    prober, citizen = a_chat(), a_chat()
    # Given a sender who asked the status of the hourly allowance's worth of numbers
    for n in range(intake.STATUS_LOOKUPS_PER_HOUR):
        [outcome] = deliver(intake_ctx, telegram(intake_ctx, f"STATUS KDR-2611-{n:06d}0", prober))
        assert outcome.kind == "status"
    # When they ask twice more
    outcomes = [deliver(intake_ctx, telegram(intake_ctx, "STATUS KDR-2611-7K3M9Q3", prober))[0] for _ in range(2)]
    # Then the first gets one polite answer, the next nothing at all
    assert [o.kind for o in outcomes] == ["rate_limited", "rate_limited"]
    answers = answers_to(provider, prober)
    assert len(answers) == intake.STATUS_LOOKUPS_PER_HOUR + 1
    assert answers[-1].startswith("Mohon maaf") and "KDR-2611-7K3M9Q3" not in answers[-1]
    # While another sender is answered as usual
    deliver(intake_ctx, telegram(intake_ctx, "STATUS KDR-2611-7K3M9Q3", citizen))
    assert "tidak ditemukan" in answers_to(provider, citizen)[-1]
    # And the prober again in the next hour
    intake_ctx.clock.advance(hours=1)
    [later] = deliver(intake_ctx, telegram(intake_ctx, "STATUS KDR-2611-7K3M9Q3", prober))
    assert later.kind == "status"


def test_status_of_a_rahasia_case_names_no_agency_nor_content(intake_ctx, provider, admin):
    # Given a confidential case forwarded to DPUPR
    case = workflow.create_case_from_entry(
        intake_ctx, admin, channel="tatap_muka", idempotency_key=uuid.uuid4().hex, confidential=True,
        description="Dugaan pungli di loket perizinan", title="Pungli perizinan")
    _made.append(case.case_id)
    workflow.forward_case(intake_ctx, admin, case.case_id, 1, lead_agency="dpupr")
    # When someone asks its status on a chat
    chat = a_chat()
    deliver(intake_ctx, telegram(intake_ctx, f"STATUS {case.case_id}", chat))
    # Then the answer gives the status only
    [answer] = answers_to(provider, chat)
    assert case.case_id in answer and "Terverifikasi" in answer
    assert "Dinas" not in answer and "Pekerjaan Umum" not in answer
    assert "pungli" not in answer.lower() and "perizinan" not in answer.lower()
    # And the public view (the page's data) carries no agency either
    assert public.public_case_view(intake_ctx, case.case_id)["agency_name"] is None


def test_the_web_forms_limit_answers_429_with_the_field(api, intake_ctx, client_address):
    import json

    def post():
        body = {"idempotency_key": uuid.uuid4().hex, "description": "Jalan berlubang di depan SDN Banjaran 2"}
        response = api.http.post("/api/complaints", headers={"Content-Type": "application/json"},
                                 body=json.dumps(body))
        if response.status_code == 201:
            _made.append(response.json_body["tracking_number"])
        return response

    for _ in range(public.WEB_SUBMISSIONS_PER_HOUR):
        assert post().status_code == 201
    refused = post()
    assert refused.status_code == 429
    assert refused.json_body["error"]["details"]["field"] == "rate_limit"
    assert int(refused.headers["Retry-After"]) > 0

