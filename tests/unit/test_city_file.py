"""The city file (docs/city-file.md), as an operator sees it: line-numbered errors, a plan, an idempotent
apply, one-time passwords that must be changed, and an export that imports back without a change.

Tables are shared by the whole session: every test uses its own city code, `uji-…` agencies and usernames,
and never touches the demo directory of Kota Kediri.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from chalicelib.domain.case import Role
from chalicelib.services.city_file import (
    CityFileError,
    apply_city_file,
    export_city_file,
    parse_city_file,
    plan_city_file,
    run_city_command,
)
from demo import kediri
from tests.unit.web_session import Browser, text_of

pytestmark = pytest.mark.real_store  # a second city's directory shares the officers table with the first (moto)

REPO = Path(__file__).resolve().parents[2]
KEDIRI_YAML = REPO / "demo" / "kediri.yaml"


def city_text(code: str, tag: str, *, extra_officer: str = "", admin_name: str = "Admin Uji",
              category_active: str = "true", agencies_extra: str = "") -> str:
    """A small valid city file; `tag` makes its agency codes and usernames unique in the shared tables."""
    return f"""\
version: 1
city:
  code: {code}
  name: Kota Uji {tag}
agencies:
  - code: uji-{tag}-kominfo
    name: Dinas Komunikasi dan Informatika
    short_name: Diskominfo
  - code: uji-{tag}-pupr
    name: Dinas Pekerjaan Umum
    short_name: DPUPR
    line_group: C0123456789abcdef0123456789abcd{tag[:2].ljust(2, "0")}
{agencies_extra}categories:
  - id: jalan
    name: Jalan Rusak
    opd: uji-{tag}-pupr
    tier: ringan
    keywords: [jalan rusak, lubang, aspal]
    active: {category_active}
officers:
  - username: uji.{tag}.admin
    name: {admin_name}
    role: admin
    opd: uji-{tag}-kominfo
    phone: "0812-9999-0001"
    alerts: sms
  - username: uji.{tag}.pupr
    name: Petugas PUPR
    role: opd
    opd: uji-{tag}-pupr
    email: pupr@uji.go.id
    alerts: email
{extra_officer}sla:
  verify_days: 3
  cap_starts: verified
  hold_limit_days: 14
quiet_hours: "21:00-06:00"
extra_days_off:
  - date: 2026-12-28
    label: Hari Jadi Kota Uji
"""


@pytest.fixture
def city_ctx(ctx):
    """A context serving another city (its own directory partition), with the same tables and clock."""
    from chalicelib.store.directory import DirectoryRepository

    def _for(code: str, name: str = ""):
        settings = dataclasses.replace(ctx.settings, city_code=code, city_name=name or ctx.settings.city_name)
        return dataclasses.replace(ctx, settings=settings, directory=DirectoryRepository(code), _cache=None)

    return _for


# -------------------------------------------------------------------------------------- the Kediri demo file


def test_the_kediri_file_describes_the_same_directory_as_the_built_in_demo() -> None:
    city = parse_city_file(KEDIRI_YAML.read_text())

    assert (city.code, city.name) == (kediri.CITY_CODE, kediri.CITY_NAME)
    assert city.agencies == kediri.AGENCIES
    assert city.categories == kediri.CATEGORIES
    assert [(o.username, o.display_name, o.role.value, o.agency_id, o.phone, o.alert_channel)
            for o in city.officers] == [(d.username, d.display_name, d.role, d.agency_id, d.phone, d.alert_channel)
                                        for d in kediri.OFFICERS]
    assert city.days_off == kediri.EXTRA_NON_WORKING_DAYS


def test_the_kediri_file_plans_nothing_against_the_loaded_demo(ctx) -> None:
    plan = plan_city_file(ctx, parse_city_file(KEDIRI_YAML.read_text()))

    assert plan.changes == [] and plan.settings == []
    assert "nothing to change" in plan.lines()[0]


# -------------------------------------------------------------------------------------- invalid files

VALID = city_text("UJX", "x")

INVALID = [
    # (what is wrong, edit of the valid file, expected line, words of the reason)
    ("unknown key", ("    short_name: DPUPR\n", "    short_name: DPUPR\n    colour: red\n"), 12,
     "unknown key 'colour'"),
    ("wrong version", ("version: 1", "version: 2"), 1, "version must be 1"),
    ("duplicate agency", ("- code: uji-x-pupr", "- code: uji-x-kominfo"), 9, "'uji-x-kominfo' appears twice"),
    ("category to a missing OPD", ("    opd: uji-x-pupr\n    tier", "    opd: uji-x-dinkes\n    tier"), 16,
     "default OPD 'uji-x-dinkes' is not one of the agencies"),
    ("unknown tier", ("tier: ringan", "tier: darurat"), 17, "unknown tier 'darurat'"),
    ("filler keyword", ("lubang, aspal]", "lubang, yang]"), 18, "keyword 'yang' is only filler words"),
    ("keywords not a list", ("keywords: [jalan rusak, lubang, aspal]", "keywords: lubang"), 18,
     "keywords must be a list"),
    ("usernames differ only in case", ("uji.x.pupr\n", "UJI.X.Admin\n"), 27, "already used by 'uji.x.admin'"),
    ("unknown role", ("role: opd", "role: kepala"), 29, "unknown role 'kepala'"),
    ("OPD officer without OPD", ("    opd: uji-x-pupr\n    email", "    email"), 27, "needs an opd"),
    ("no active admin", ("role: admin", "role: supervisor"), 21, "at least one active admin"),
    ("bad phone", ('"0812-9999-0001"', "12345"), 25, "'12345' is not a valid phone number"),
    ("bad alert channel", ("alerts: email", "alerts: whatsapp"), 32, "alerts must be one of line, sms, email"),
    ("active not a boolean", ("active: true", "active: maybe"), 19, "must be true or false"),
    ("days not a number", ("verify_days: 3", "verify_days: tiga"), 34, "verify_days must be a whole number"),
    ("days out of range", ("hold_limit_days: 14", "hold_limit_days: 500"), 36, "from 1 to 366 days"),
    ("bad cap start", ("cap_starts: verified", "cap_starts: filed"), 35, "cap_starts must be one of"),
    ("bad quiet hours", ('"21:00-06:00"', "malam"), 37, "quiet_hours must look like 21:00-06:00"),
    ("bad date", ("date: 2026-12-28", "date: 2026-02-30"), 39, "'2026-02-30' is not a date"),
    ("missing key", ("    name: Petugas PUPR\n", ""), 27, "the key 'name' is missing"),
    ("not YAML", ("  code: UJX", "  code: [UJX"), 4, "not valid YAML"),
]


@pytest.mark.parametrize(("edit", "line", "reason"), [case[1:] for case in INVALID], ids=[c[0] for c in INVALID])
def test_an_invalid_file_names_the_line_and_the_reason(edit: tuple[str, str], line: int, reason: str) -> None:
    old, new = edit
    assert old in VALID, old
    with pytest.raises(CityFileError) as caught:
        parse_city_file(VALID.replace(old, new, 1))

    assert any(e.startswith(f"line {line}: ") and reason in e for e in caught.value.errors), caught.value.errors


def test_every_error_is_reported_at_once() -> None:
    text = VALID.replace("tier: ringan", "tier: darurat").replace("role: opd", "role: kepala")

    with pytest.raises(CityFileError) as caught:
        parse_city_file(text)

    assert len(caught.value.errors) == 2, caught.value.errors


def test_the_valid_file_parses() -> None:
    city = parse_city_file(VALID)

    assert [a.agency_id for a in city.agencies] == ["uji-x-kominfo", "uji-x-pupr"]
    assert city.officers[0].phone == "+6281299990001"  # written as the operator knows it, stored as E.164
    assert city.days_off == {date(2026, 12, 28): "Hari Jadi Kota Uji"}


# -------------------------------------------------------------------------------------- plan and apply


def test_apply_adds_the_city_and_a_second_apply_changes_nothing(city_ctx) -> None:
    ctx = city_ctx("UJA", "Kota Uji a")
    city = parse_city_file(city_text("UJA", "a"))

    first = apply_city_file(ctx, city)
    second = apply_city_file(ctx, city)

    assert {(c.kind, c.action) for c in first.plan.changes} == {
        ("agency", "add"), ("line_group", "bind"), ("category", "add"), ("officer", "add"), ("day_off", "add")}
    assert set(first.initial_passwords) == {"uji.a.admin", "uji.a.pupr"}
    assert "One-time initial passwords" in "\n".join(first.lines())
    assert second.plan.changes == [] and second.initial_passwords == {}
    assert second.lines()[0] == "Nothing changed: the stored directory already matched the file."
    assert ctx.line_groups.group_of("uji-a-pupr") == city.line_groups["uji-a-pupr"]
    assert ctx.categories["jalan"].agency_id == "uji-a-pupr"
    assert date(2026, 12, 28) in ctx.directory.extra_days()
    audited = [(e.outcome, e.detail) for e in ctx.audit.list("admin", "2026-11", limit=1000) if e.actor == "city-file"]
    assert ("city-file add", "officer:uji.a.admin") in audited and ("city-file add", "agency:uji-a-pupr") in audited


def test_a_new_officer_must_change_the_initial_password_at_first_sign_in(api, city_ctx) -> None:
    ctx = city_ctx("UJB", "Kota Uji b")
    result = apply_city_file(ctx, parse_city_file(city_text("UJB", "b")))
    password = result.initial_passwords["uji.b.pupr"]

    browser = Browser(api)
    assert browser.sign_in("uji.b.pupr", "not-the-password").status_code == 401
    answer = browser.sign_in("uji.b.pupr", password)

    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/petugas/akun?ganti=1")
    page = browser.follow(answer)
    assert "Silakan ganti kata sandi awal" in text_of(page)


def test_a_changed_officer_keeps_their_password_and_the_change_is_planned(api, city_ctx) -> None:
    ctx = city_ctx("UJC", "Kota Uji c")
    first = apply_city_file(ctx, parse_city_file(city_text("UJC", "c")))
    password = first.initial_passwords["uji.c.admin"]

    changed = parse_city_file(city_text("UJC", "c", admin_name="Admin Koordinator Uji")
                              .replace("lubang, aspal]", "lubang, jalan berlubang]"))
    plan = plan_city_file(ctx, changed)
    second = apply_city_file(ctx, changed)

    assert [c.describe() for c in plan.changes] == [
        "change     category jalan (keywords: +jalan berlubang, -aspal)",
        "change     officer uji.c.admin (name: Admin Uji → Admin Koordinator Uji)"]
    assert ctx.categories["jalan"].keywords == ("jalan rusak", "lubang", "jalan berlubang")
    assert second.initial_passwords == {}
    assert ctx.directory.officer("uji.c.admin").display_name == "Admin Koordinator Uji"
    assert Browser(api).sign_in("uji.c.admin", password).status_code == 303


def test_retiring_an_officer_in_the_file_ends_their_session(api, city_ctx) -> None:
    ctx = city_ctx("UJI", "Kota Uji i")
    text = city_text("UJI", "i")
    password = apply_city_file(ctx, parse_city_file(text)).initial_passwords["uji.i.pupr"]
    browser = Browser(api)
    assert browser.sign_in("uji.i.pupr", password).status_code == 303

    retired = text.replace("alerts: email\n", "alerts: email\n    active: false\n")
    result = apply_city_file(ctx, parse_city_file(retired))
    page = browser.get("/petugas/akun")

    assert [c.describe() for c in result.plan.changes] == ["retire     officer uji.i.pupr (active: True → False)"]
    assert page.status_code in (302, 303) and "/petugas/masuk" in page.headers["Location"]
    assert Browser(api).sign_in("uji.i.pupr", password).status_code == 401


def test_nothing_is_ever_deleted_and_retiring_is_a_change(city_ctx) -> None:
    ctx = city_ctx("UJD", "Kota Uji d")
    extra = "  - code: uji-d-dinkes\n    name: Dinas Kesehatan\n    short_name: Dinkes\n"
    apply_city_file(ctx, parse_city_file(city_text("UJD", "d", agencies_extra=extra)))

    smaller = parse_city_file(city_text("UJD", "d", category_active="false"))  # no dinkes, category retired
    result = apply_city_file(ctx, smaller)

    assert [c.describe() for c in result.plan.changes] == ["retire     category jalan (active: True → False)"]
    assert "agency uji-d-dinkes" in result.plan.kept
    assert "uji-d-dinkes" in ctx.agencies  # kept, not removed
    assert ctx.categories["jalan"].active is False


def test_service_levels_are_planned_and_applied_and_only_the_city_name_is_reported(city_ctx) -> None:
    ctx = city_ctx("UJE", "Kota Uji e")
    text = city_text("UJE", "e").replace("cap_starts: verified", "cap_starts: received")
    city = parse_city_file(text.replace("verify_days: 3", "verify_days: 2").replace("name: Kota Uji e", "name: X"))

    plan = plan_city_file(ctx, city)

    [levels] = [c for c in plan.changes if c.kind == "service_levels"]
    assert (levels.action, levels.key) == ("add", "UJE")
    assert "sla.verify_days: 3 → 2" in levels.details and "sla.cap_starts: verified → received" in levels.details
    assert [s for s in plan.settings if "ADUAN_CITY_NAME" in s] == plan.settings != []  # not stored: reported

    apply_city_file(ctx, city)

    assert (ctx.policy.verify_days, ctx.policy.cap_starts.value) == (2, "received")
    assert not [c for c in plan_city_file(ctx, city).changes if c.kind == "service_levels"]


def test_a_file_for_another_city_is_refused(ctx) -> None:
    with pytest.raises(CityFileError) as caught:
        plan_city_file(ctx, parse_city_file(city_text("UJF", "f")))

    assert "describes UJF but this stage serves KDR" in caught.value.errors[0]


def test_a_username_of_another_citys_officer_is_refused(city_ctx) -> None:
    ctx = city_ctx("UJG", "Kota Uji g")
    taken = city_text("UJG", "g").replace("uji.g.pupr", "petugas.dpupr")  # a Kediri demo officer

    with pytest.raises(CityFileError) as caught:
        apply_city_file(ctx, parse_city_file(taken))

    assert "petugas.dpupr" in caught.value.errors[0] and "another city" in caught.value.errors[0]
    assert ctx.directory.agencies() == []  # nothing was written


# -------------------------------------------------------------------------------------- export


def test_export_then_import_gives_the_same_directory(city_ctx) -> None:
    ctx = city_ctx("UJH", "Kota Uji h")
    original = parse_city_file(city_text("UJH", "h"))
    apply_city_file(ctx, original)

    exported = export_city_file(ctx)
    again = parse_city_file(exported)

    assert plan_city_file(ctx, again).changes == []
    assert plan_city_file(ctx, again).settings == []
    assert set(again.agencies) == set(original.agencies)
    assert again.categories == original.categories
    assert set(again.officers) == set(original.officers)
    assert again.line_groups == original.line_groups and again.days_off == original.days_off
    assert again.officers[0].role is Role.ADMIN


def test_the_kediri_demo_exports_and_imports_back_unchanged(ctx) -> None:
    again = parse_city_file(export_city_file(ctx))

    assert plan_city_file(ctx, again).changes == []
    assert set(kediri.AGENCIES) <= set(again.agencies)


# -------------------------------------------------------------------------------------- the commands


def test_the_packaged_lambda_plans_and_reports_errors(api, ctx) -> None:
    answer = api.lambda_.invoke("apply_city_file", {"action": "plan", "yaml": KEDIRI_YAML.read_text()}).payload
    broken = api.lambda_.invoke("apply_city_file", {"yaml": VALID.replace("role: opd", "role: kepala")}).payload

    assert answer["ok"] and answer["nothing_to_change"], answer
    assert broken == {"ok": False, "errors": ["line 29: officer 'uji.x.pupr': unknown role 'kepala' "
                                              "(expected one of: admin, opd, supervisor, leadership)"]}


def test_validate_needs_no_store_and_apply_needs_the_word() -> None:
    assert run_city_command(None, "validate", VALID)["ok"]
    assert run_city_command(None, "remove", VALID)["ok"] is False


def test_the_cli_validates_a_file_and_exits_non_zero_on_errors(tmp_path) -> None:
    bad = tmp_path / "city.yaml"
    bad.write_text(VALID.replace("tier: ringan", "tier: darurat"))

    good = subprocess.run([sys.executable, "-m", "scripts.city", "validate", str(KEDIRI_YAML)], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    failed = subprocess.run([sys.executable, "-m", "scripts.city", "validate", str(bad)], cwd=REPO,
                            capture_output=True, text=True, timeout=60)

    assert good.returncode == 0 and "KDR (Kota Kediri): valid" in good.stdout
    assert failed.returncode == 1 and "line 17: category 'jalan': unknown tier 'darurat'" in failed.stderr
