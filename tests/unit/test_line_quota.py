"""The LINE quota: pushes counted, replies free, LINE asked what is left, and the admin told once when low."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from urllib.parse import unquote_plus

import pytest

from chalicelib.domain.messages import OutboundMessage


@pytest.fixture
def month_of_our_own(clock):
    """These tests count messages in months no other test uses (the tables outlive each test)."""
    from chalicelib.services.quota import forget_quota

    clock.set(datetime(2047, 3, 4, 2, 0, tzinfo=UTC))  # Monday 4 March 2047, 09:00 WIB
    forget_quota()
    yield
    forget_quota()


def send_line(ctx, message_id, **options):
    from chalicelib.services.outbound import send_outbound

    ctx.outbox.enqueue(OutboundMessage(message_id=message_id, channel="line", recipient="U" + "a" * 32,
                                       body="Uji kuota", created_at=ctx.now(), options=options))
    return send_outbound(ctx, message_id)


def test_pushes_are_counted_and_replies_are_free(intake_ctx, provider, month_of_our_own):
    send_line(intake_ctx, "quota-test:push-1")
    send_line(intake_ctx, "quota-test:push-2")
    send_line(intake_ctx, "quota-test:reply-1", reply_token="token-1")
    assert intake_ctx.usage.counts("line", "2047-03") == (2, 1)
    assert len(provider.sent_to("/v2/bot/message/push")) == 2
    assert len(provider.sent_to("/v2/bot/message/reply")) == 1


def test_an_expired_reply_token_becomes_a_counted_push(intake_ctx, provider, month_of_our_own, clock):
    clock.set(datetime(2047, 4, 1, 2, 0, tzinfo=UTC))
    provider.script("/v2/bot/message/reply", (400, {"message": "Invalid reply token"}))
    assert send_line(intake_ctx, "quota-test:expired-reply", reply_token="old") == "sent"
    assert intake_ctx.usage.counts("line", "2047-04") == (1, 0)


def test_what_is_left_comes_from_line_itself(intake_ctx, provider, month_of_our_own):
    from chalicelib.services.quota import line_quota

    provider.script("/v2/bot/message/quota/consumption", (200, {"totalUsage": 180}))
    provider.script("/v2/bot/message/quota", (200, {"type": "limited", "value": 200}))
    status = line_quota(intake_ctx)
    assert (status.limit, status.used, status.remaining, status.source) == (200, 180, 20, "line")
    asked = [r for r in provider.requests if r.path.startswith("/v2/bot/message/quota")]
    assert {r.headers["authorization"] for r in asked} == {"Bearer line-test-token"}
    line_quota(intake_ctx)
    assert len([r for r in provider.requests if r.path.startswith("/v2/bot/message/quota")]) == 2  # cached


def test_an_unlimited_account_is_never_low(intake_ctx, provider, month_of_our_own):
    from chalicelib.services.quota import personal_alerts_held

    provider.script("/v2/bot/message/quota/consumption", (200, {"totalUsage": 99999}))
    provider.script("/v2/bot/message/quota", (200, {"type": "none"}))
    assert personal_alerts_held(intake_ctx) is False


def test_when_line_cannot_be_asked_our_own_count_is_used(intake_ctx, provider, month_of_our_own, clock):
    from chalicelib.services.quota import forget_quota, line_quota

    clock.set(datetime(2047, 5, 6, 2, 0, tzinfo=UTC))
    forget_quota()
    ctx = dataclasses.replace(intake_ctx, settings=dataclasses.replace(intake_ctx.settings, line_monthly_quota=500))
    provider.script("/v2/bot/message/quota", (503, {"message": "down"}))
    send_line(ctx, "quota-test:count-1")
    forget_quota()
    status = line_quota(ctx)
    assert (status.limit, status.used, status.source) == (500, 1, "count")


def test_below_the_floor_personal_alerts_wait_and_the_admin_is_told_once(intake_ctx, provider, month_of_our_own):
    from chalicelib.services.quota import personal_alerts_held

    provider.script("/v2/bot/message/quota/consumption", (200, {"totalUsage": 950}))
    provider.script("/v2/bot/message/quota", (200, {"type": "limited", "value": 1000}))
    # When the quota falls below the floor (100 left by default)
    assert personal_alerts_held(intake_ctx) is True
    assert personal_alerts_held(intake_ctx) is True
    # Then the admin koordinator hears of it once this month, whatever is asked again
    told = [m for m in provider.requests if m.method == "POST"]
    warnings = intake_ctx.outbox.get("quota-low:line:2047-03:admin.kominfo")
    assert warnings is not None and warnings.state == "sent"
    assert "Kuota pesan LINE bulan ini hampir habis: tersisa 50 dari 1000" in warnings.body
    assert len([r for r in told if "Kuota pesan LINE" in unquote_plus(r.body.decode())]) == 1


def test_while_the_quota_is_low_personal_line_alerts_wait_for_the_digest(intake_ctx, provider, month_of_our_own,
                                                                         admin):
    """A forward's personal LINE alert is held back; an urgent new-complaint alert still goes at once."""
    from chalicelib.domain.alerts import AlertKind
    from chalicelib.domain.case import Role
    from chalicelib.domain.officer import Officer
    from chalicelib.services import notify, workflow

    provider.script("/v2/bot/message/quota/consumption", (200, {"totalUsage": 995}))
    provider.script("/v2/bot/message/quota", (200, {"type": "limited", "value": 1000}))
    on_line = Officer(username="uji.kuota", display_name="Petugas Uji Kuota", role=Role.OPD, agency_id="dpupr",
                      line_user_id="U" + "9" * 32, alert_channel="line")
    case = workflow.create_case_from_entry(intake_ctx, admin, channel="telepon", idempotency_key="kuota-rendah-1",
                                           description="Lampu PJU mati sepanjang Jl. Hayam Wuruk")
    forwarded = notify._Alert(AlertKind.FORWARD, "2", "Laporan diteruskan ke OPD Anda.", "verifikasi_disposisi")
    urgent = notify._Alert(AlertKind.NEW, "1", "Laporan baru masuk.", "buat")
    assert notify._to_officers(intake_ctx, case, [on_line], forwarded) == []
    assert [q.message_id for q in notify._to_officers(intake_ctx, case, [on_line], urgent)] == [
        f"alert:{case.case_id}:1:uji.kuota"]
    assert intake_ctx.outbox.get("quota-low:line:2047-03:admin.kominfo") is not None
