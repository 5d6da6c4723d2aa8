"""An OPD's LINE group has its own alert preferences: which kinds it takes and its quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain.alerts import AlertKind
from chalicelib.services import notify, workflow

GROUP = "C" + "7e" * 16


@pytest.fixture
def dpupr_group(ctx):
    ctx.line_groups.bind("dpupr", GROUP, "uji", ctx.now())
    yield GROUP
    ctx.line_groups.unbind("dpupr", GROUP)


def _alert(kind: AlertKind, key: str) -> notify._Alert:
    return notify._Alert(kind, key, f"[Aduan] uji {kind.value}", f"alert:{kind.value}")


def test_the_supervisor_sets_what_the_group_hears_and_when(ctx, clock, admin, dpupr_group, web_as):
    # Given DPUPR's LINE group, and its supervisor on the account page
    kabid = web_as("kabid.dpupr")
    page = kabid.get("/petugas/akun").body.decode()
    assert 'id="grup-preferensi-dpupr"' in page
    # When the group is set to hear only dispositions and escalations, quiet from 20:00 to 07:00
    done = kabid.post("/petugas/akun/grup-line/preferensi", [
        ("agency_id", "dpupr"), ("kinds", "disposisi"), ("quiet_start", "20:00"), ("quiet_end", "07:00")])
    assert done.status_code == 303 and done.headers["Location"] == "/petugas/akun?ok=grup"
    binding = ctx.line_groups.binding("dpupr")
    assert binding.alert_kinds == ("disposisi",) and binding.quiet_hours == "20:00-07:00"
    # Then a citizen's reply is not pushed to the group, and a disposition at 20:30 WIB waits for the morning
    clock.set(datetime(2026, 11, 24, 13, 30, tzinfo=UTC))  # Tuesday 20:30 WIB
    case = workflow.create_case_from_entry(ctx, admin, channel="telepon", idempotency_key="grup-pref-1",
                                           description="Saluran irigasi jebol di Kel. Mojoroto")
    assert notify._to_agency(ctx, case, "dpupr", _alert(AlertKind.CITIZEN, "m1")) == []
    [queued] = notify._to_agency(ctx, case, "dpupr", _alert(AlertKind.FORWARD, "2"))
    assert queued.message_id == f"alert:{case.case_id}:2:grup.dpupr"
    assert queued.due_at == datetime(2026, 11, 25, 0, 0, tzinfo=UTC)  # Wednesday 07:00 WIB


def test_a_supervisor_cannot_set_another_opds_group(ctx, dpupr_group, web_as):
    other = web_as("petugas.dlhkp")
    refused = other.post("/petugas/akun/grup-line/preferensi", [("agency_id", "dpupr"), ("kinds", "disposisi")])
    assert refused.status_code == 403
    assert ctx.line_groups.binding("dpupr").alert_kinds is None


def test_an_opd_without_a_group_gets_a_clear_answer(ctx, web_as):
    admin = web_as("admin.kominfo")
    response = admin.post("/petugas/akun/grup-line/preferensi", [("agency_id", "dlhkp"), ("kinds", "disposisi")])
    assert response.status_code == 404 and "belum memiliki grup LINE" in response.body.decode()
