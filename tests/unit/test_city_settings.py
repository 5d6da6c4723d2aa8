"""A city's stored service levels (issue 11): the city file sets the SLA, the hold limit and the quiet hours,
and the workflow and the alerts follow them instead of the stage's environment defaults.

Tables are shared by the whole session and every other test assumes Kediri's defaults (3/5/10/60, quiet hours
21:00-06:00): these tests store settings only for their own city codes (`UJS…`) and remove what they made.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, time

import pytest

from chalicelib.domain.alerts import AlertKind, deliver_at
from chalicelib.domain.calendar import WIB
from chalicelib.domain.case import Actor, Reporter, Role
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.sla import DeadlineKind, SlaPolicy
from chalicelib.services import workflow
from chalicelib.services.city_file import apply_city_file, export_city_file, parse_city_file, plan_city_file
from chalicelib.services.notify import notify_now
from chalicelib.store.directory import DirectoryRepository, StoredCitySettings

pytestmark = pytest.mark.real_store  # other cities' settings items and their request counts: on DynamoDB (moto)


def city_text(code: str, tag: str, *, sla: str = "", quiet: str = '"21:00-06:00"') -> str:
    """A small valid city file for `code`; `tag` keeps its agencies and usernames apart in the shared tables."""
    return f"""\
version: 1
city:
  code: {code}
  name: Kota Uji {tag}
agencies:
  - code: ujs-{tag}-kominfo
    name: Dinas Komunikasi dan Informatika
    short_name: Diskominfo
  - code: ujs-{tag}-pupr
    name: Dinas Pekerjaan Umum
    short_name: DPUPR
categories:
  - id: jalan
    name: Jalan Rusak
    opd: ujs-{tag}-pupr
    keywords: [jalan rusak, lubang, aspal]
officers:
  - username: ujs.{tag}.admin
    name: Admin Uji
    role: admin
    opd: ujs-{tag}-kominfo
    phone: "0812-9999-1001"
  - username: ujs.{tag}.pupr
    name: Petugas PUPR
    role: opd
    opd: ujs-{tag}-pupr
    phone: "0812-9999-1002"
sla:
{sla or "  verify_days: 3"}
quiet_hours: {quiet}
"""


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


@pytest.fixture
def city_ctx(ctx):
    """A context serving another city (its own directory, settings item and admin OPD); the cases it made and
    their alerts are removed afterwards, so no later test finds them overdue or due."""
    from chalicelib.store.models import CaseRecord, OutboxRecord

    made: list[tuple[str, str]] = []

    def _for(code: str, tag: str):
        settings = dataclasses.replace(ctx.settings, city_code=code, city_name=f"Kota Uji {tag}",
                                       admin_agency=f"ujs-{tag}-kominfo")
        city = dataclasses.replace(ctx, settings=settings, directory=DirectoryRepository(code), _cache=None,
                                   _levels=None)
        city.made = lambda case_id: made.append((case_id, tag))  # type: ignore[attr-defined]
        return city

    yield _for
    for case_id, tag in made:
        CaseRecord._get_connection().delete_item(case_id)  # below Model.delete: no version check
        for seq in range(1, 5):
            for user in (f"ujs.{tag}.admin", f"ujs.{tag}.pupr"):
                OutboxRecord._get_connection().delete_item(f"alert:{case_id}:{seq}:{user}")


def new_case(ctx, actor: Actor):
    case = workflow.create_case_from_entry(ctx, actor, channel="telepon", description="Jalan berlubang di Jl. Uji",
                                           idempotency_key=uuid.uuid4().hex, reporter=Reporter(name="Ani"))
    ctx.made(case.case_id)
    return case


def admin_of(tag: str) -> Actor:
    return Actor(f"officer:ujs.{tag}.admin", Role.ADMIN, f"ujs-{tag}-kominfo")


# ------------------------------------------------------------------------------------------- the SLA


def test_a_stored_verify_deadline_of_two_days_is_what_a_new_case_gets(city_ctx, ctx) -> None:
    uji = city_ctx("UJSA", "a")
    apply_city_file(uji, parse_city_file(city_text("UJSA", "a", sla="  verify_days: 2")))

    case = new_case(uji, admin_of("a"))  # Monday 23 November 2026, 09:00 WIB

    assert uji.policy.verify_days == 2
    assert case.deadline.kind is DeadlineKind.VERIFIKASI
    assert case.deadline.due_at == wib(2026, 11, 25, 23, 59, 59).astimezone(UTC)  # Wednesday: 2 working days
    assert ctx.policy.verify_days == 3  # Kediri keeps the defaults


def test_a_hold_beyond_the_stored_limit_is_refused(city_ctx) -> None:
    uji = city_ctx("UJSB", "b")
    apply_city_file(uji, parse_city_file(city_text("UJSB", "b", sla="  hold_limit_days: 3")))
    case = new_case(uji, admin_of("b"))

    assert uji.settings.max_hold_working_days == 3
    with pytest.raises(ValidationFailed, match="paling lama 3 hari kerja"):
        workflow.hold_case(uji, admin_of("b"), case.case_id, case.version, note="Mohon foto.", until="2026-11-27")
    held = workflow.hold_case(uji, admin_of("b"), case.case_id, case.version, note="Mohon foto.", until="2026-11-26")
    assert held.status.value == "DITUNDA"


# ------------------------------------------------------------------------------------------- quiet hours


def test_stored_quiet_hours_hold_a_non_urgent_alert_until_they_end(city_ctx) -> None:
    uji = city_ctx("UJSC", "c")
    apply_city_file(uji, parse_city_file(city_text("UJSC", "c", quiet='"18:00-08:00"')))
    uji.clock.set(wib(2026, 11, 24, 19, 0))  # Tuesday 19:00: outside the default 21:00-06:00, inside the city's
    assert uji.settings.quiet_hours == "18:00-08:00"

    case = new_case(uji, admin_of("c"))
    case = workflow.forward_case(uji, admin_of("c"), case.case_id, case.version, lead_agency="ujs-c-pupr",
                                 category_id="jalan")
    notify_now(uji, case)

    key = f"alert:{case.case_id}:2:ujs.c.pupr"
    held = uji.outbox.get(key)
    expected = deliver_at(AlertKind.FORWARD, uji.now(), uji.calendar, time(18, 0), time(8, 0))
    assert expected > uji.now()  # the default quiet hours would have sent it at once
    assert deliver_at(AlertKind.FORWARD, uji.now(), uji.calendar, time(21, 0), time(6, 0)) == uji.now()
    assert held.state == "pending" and held.next_attempt_at == expected


# ------------------------------------------------------------------------------------------- the city file


def test_reapplying_the_file_changes_nothing_and_export_imports_back(city_ctx) -> None:
    uji = city_ctx("UJSD", "d")
    sla = ("  verify_days: 2\n  follow_up_days:\n    normatif: 7\n  auto_close_days: 12\n  cap_days: 45\n"
           "  cap_starts: received\n  hold_limit_days: 5")
    city = parse_city_file(city_text("UJSD", "d", sla=sla, quiet='""'))

    first = apply_city_file(uji, city)
    [levels] = [c for c in first.plan.changes if c.kind == "service_levels"]
    assert "sla.follow_up_days.normatif: 5 → 7" in levels.details and "quiet_hours: 21:00-06:00 → " in levels.details
    again = apply_city_file(uji, city)

    assert again.plan.changes == [] and "Nothing changed" in again.lines()[0]
    policy = uji.policy
    assert (policy.verify_days, policy.follow_up_days_for(None), policy.auto_close_days, policy.finish_cap_days,
            policy.cap_starts.value) == (2, 7, 12, 45, "received")
    settings = uji.settings
    assert (settings.max_hold_working_days, settings.quiet_hours, settings.cap_starts) == (5, "", "received")

    exported = parse_city_file(export_city_file(uji))
    assert (exported.sla, exported.hold_limit_days, exported.quiet_hours) == (city.sla, 5, "")
    assert plan_city_file(uji, exported).changes == []


def test_the_apply_of_service_levels_is_audited_without_values(city_ctx) -> None:
    uji = city_ctx("UJSE", "e")
    apply_city_file(uji, parse_city_file(city_text("UJSE", "e", sla="  verify_days: 4")))

    month = uji.now().astimezone(WIB).strftime("%Y-%m")
    from chalicelib.store.models import AuditRecord

    details = [r.detail for r in AuditRecord.query(f"admin#{month}") if r.actor == "city-file"]
    assert "service_levels:UJSE; sla.verify_days" in details


# ------------------------------------------------------------------------------------------- a bad stored item


def test_an_invalid_stored_mapping_falls_back_to_the_defaults_with_a_warning(city_ctx, monkeypatch) -> None:
    from chalicelib import observability

    warned: list[tuple[str, dict]] = []
    monkeypatch.setattr(observability.logger, "warning", lambda message, **kw: warned.append((message, kw)))
    uji = city_ctx("UJSF", "f")
    uji.directory.put_city_settings(StoredCitySettings({"verify_days": 0, "follow_up_days": {"darurat": 1}}, 0,
                                                       "malam"), by="test", at=uji.now())
    uji.forget_directory()

    assert uji.policy == SlaPolicy()
    assert (uji.settings.max_hold_working_days, uji.settings.quiet_hours) == (14, "21:00-06:00")
    messages = [m for m, _ in warned]
    assert any("stored SLA of the city is invalid" in m for m in messages), messages
    assert any("hold limit" in m for m in messages) and any("quiet hours" in m for m in messages)
    assert all(kw["extra"]["city"] == "UJSF" for _, kw in warned)  # the city and the reason, nothing personal
    case = new_case(uji, admin_of("f"))  # the app keeps working, on the defaults
    assert case.deadline.due_at == wib(2026, 11, 26, 23, 59, 59).astimezone(UTC)


def test_a_stored_item_that_is_not_json_is_ignored_and_the_file_rewrites_it(city_ctx) -> None:
    from chalicelib.store.models import CitySettingsRecord

    uji = city_ctx("UJSG", "g")
    CitySettingsRecord("UJSG", sla="{not json").save()
    uji.forget_directory()
    assert uji.policy == SlaPolicy()

    plan = plan_city_file(uji, parse_city_file(city_text("UJSG", "g")))
    assert [c.action for c in plan.changes if c.kind == "service_levels"] == ["change"]  # same values, bad item
    apply_city_file(uji, parse_city_file(city_text("UJSG", "g")))
    assert uji.directory.city_settings() == StoredCitySettings(SlaPolicy().to_mapping(), 14, "21:00-06:00")
    assert plan_city_file(uji, parse_city_file(city_text("UJSG", "g"))).changes == []


def test_the_settings_item_is_read_once_per_cache_lifetime_and_only_when_needed(city_ctx) -> None:
    from bench.metering import RequestCounter

    uji = city_ctx("UJSH", "h")
    apply_city_file(uji, parse_city_file(city_text("UJSH", "h", sla="  verify_days: 2")))
    assert uji.policy.verify_days == 2
    with RequestCounter() as counting:
        for _ in range(5):
            assert (uji.policy.verify_days, uji.settings.quiet_hours) == (2, "21:00-06:00")
    assert counting.total == 0, counting.calls
    uji.forget_directory()
    with RequestCounter() as counting:
        assert uji.settings.table_prefix and uji.settings.outbox_mode  # other settings never touch the store
    assert counting.total == 0, counting.calls
    with RequestCounter() as counting:
        assert uji.settings.quiet_hours == "21:00-06:00" and uji.policy.verify_days == 2
    assert counting.total == 1, counting.calls  # one GetItem, then cached with the directory
