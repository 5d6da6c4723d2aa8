"""Conditional writes under real concurrency, on dynalite (atomic per item, like DynamoDB; moto is not)."""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from scripts.local_stack import app_environment

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def store_on_dynalite(dynalite):
    """Bind the models to the session's dynalite under a private table prefix; restore everything after."""
    from chalicelib.settings import reset_settings
    from chalicelib.store.tables import create_tables, unbind_models

    saved = dict(os.environ)
    os.environ.update(app_environment(dynalite.url))
    os.environ["ADUAN_TABLE_PREFIX"] = f"conc{uuid.uuid4().hex[:6]}-"
    reset_settings()
    unbind_models()
    try:
        create_tables()
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_settings()
        unbind_models()


def test_ten_concurrent_deliveries_of_one_event_store_one_record(store_on_dynalite):
    from chalicelib.store.intake import InboundEventRepository

    events = InboundEventRepository()
    key = f"tg:{uuid.uuid4().int % 10**9}"
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda _: events.record_event(key, "telegram", "{}", NOW), range(10)))
    assert results.count(True) == 1


def test_concurrent_claims_of_one_outbox_message_let_one_sender_through(store_on_dynalite):
    from chalicelib.domain.messages import OutboundMessage
    from chalicelib.store.outbox import OutboxRepository

    outbox = OutboxRepository()
    msg = OutboundMessage(f"{uuid.uuid4().hex}#1#alert", "sms", "+6281234567890", "Pengingat", NOW)
    outbox.enqueue(msg)
    with ThreadPoolExecutor(max_workers=8) as pool:
        claims = list(pool.map(lambda _: outbox.claim(msg.message_id, NOW, timedelta(minutes=1)), range(8)))
    assert sum(c is not None for c in claims) == 1


def test_concurrent_saves_of_one_case_version_let_one_writer_through(store_on_dynalite):
    from chalicelib.domain.calendar import WorkingCalendar
    from chalicelib.domain.case import Action, Actor, Channel, Role
    from chalicelib.domain.errors import VersionConflict
    from chalicelib.domain.lifecycle import ActionRequest, apply_action, new_case
    from chalicelib.domain.sla import SlaPolicy
    from chalicelib.store.cases import CaseRepository

    cases, cal, policy = CaseRepository(), WorkingCalendar(lambda year: {}), SlaPolicy()
    admin = Actor("officer:admin", Role.ADMIN, "diskominfo")
    case = new_case(case_id=f"KDR-2611-{uuid.uuid4().hex[:7].upper()}", city_code="KDR", channel=Channel.PHONE,
                    description="Pohon tumbang", received_at=NOW, actor=admin, calendar=cal, policy=policy)
    cases.add(case)
    notes = [f"catatan {i}" for i in range(6)]

    def hold(note):
        request = ActionRequest(Action.HOLD, note=note, hold_until=NOW.date() + timedelta(days=3))
        updated = apply_action(case, request, admin, NOW, cal, policy)
        try:
            cases.save(updated)
            return note
        except VersionConflict:
            return None

    with ThreadPoolExecutor(max_workers=6) as pool:
        winners = [n for n in pool.map(hold, notes) if n]
    assert len(winners) == 1
    stored = cases.get(case.case_id)
    assert stored.version == 2 and stored.timeline[-1].note == winners[0]
