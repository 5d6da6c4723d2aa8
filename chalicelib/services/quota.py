"""The city's LINE message quota: what a month's pushes cost, what is left, and what happens when it runs low.

LINE counts push messages against the official account's monthly quota; replies with a reply token are free.
Every send on every channel is counted here per month (for LINE, pushes and replies apart). What is left comes
from LINE itself (`GET /v2/bot/message/quota` and `/quota/consumption`, asked at most every ten minutes per
container), or —
when LINE cannot be asked (a local run, an outage) — from our own count against `ADUAN_LINE_MONTHLY_QUOTA`.
Below `ADUAN_LINE_QUOTA_FLOOR` pushes left, personal non-urgent alerts stop being pushed one by one (the
morning digest carries the work instead) and the admin koordinator is told, once a month.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from chalicelib.domain.calendar import WIB
from chalicelib.observability import logger
from chalicelib.services.context import Context

CHECK_SECONDS = 600.0
_checked: dict[str, tuple[float, QuotaStatus]] = {}
_warned: set[str] = set()  # months in which this container knows the admin was told


@dataclass(frozen=True)
class QuotaStatus:
    limit: int | None  # None: no limit, or not known
    used: int
    source: str  # "line" (asked LINE) | "count" (our own count)

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.used, 0)


def this_month(ctx: Context) -> str:
    return ctx.now().astimezone(WIB).strftime("%Y-%m")


def record_send(ctx: Context, channel: str, by_reply: bool) -> None:
    """Count one message sent (never fails the send: a lost count only makes the estimate a little low)."""
    try:
        ctx.usage.count(channel, this_month(ctx), "reply" if by_reply else "push")
    except Exception:
        logger.warning("usage not counted", exc_info=True)


def line_quota(ctx: Context) -> QuotaStatus:
    """What LINE says of this month's quota, or our own count when LINE cannot be asked."""
    month = this_month(ctx)
    cached = _checked.get(month)
    if cached and time.monotonic() - cached[0] < CHECK_SECONDS:
        return cached[1]
    status = _ask_line(ctx) or _counted(ctx, month)
    _checked.clear()
    _checked[month] = (time.monotonic(), status)
    return status


def forget_quota() -> None:
    _checked.clear()
    _warned.clear()


def quota_low(ctx: Context) -> bool:
    remaining = line_quota(ctx).remaining
    return remaining is not None and remaining < ctx.settings.line_quota_floor


def personal_alerts_held(ctx: Context) -> bool:
    """True while the LINE quota is below the floor; the first time in a month, the admin is told (once)."""
    if not quota_low(ctx):
        return False
    month = this_month(ctx)
    if month not in _warned:  # this container already saw the admin told: no write per alert
        if ctx.usage.warn_once("line", month, ctx.now()):
            _tell_admins(ctx, month, line_quota(ctx))
        _warned.add(month)
    return True


def _counted(ctx: Context, month: str) -> QuotaStatus:
    pushes, _ = ctx.usage.counts("line", month)
    return QuotaStatus(limit=ctx.settings.line_monthly_quota or None, used=pushes, source="count")


def _ask_line(ctx: Context) -> QuotaStatus | None:
    if ctx.settings.outbox_mode == "capture" or not ctx.channels.line_access_token:
        return None
    from chalicelib.channels.http import TooLargeResponse, TransportError, perform
    from chalicelib.channels.line import quota_consumption_request, quota_request

    try:
        quota = perform(quota_request(ctx.channels))
        used = perform(quota_consumption_request(ctx.channels))
        if quota.status != 200 or used.status != 200:
            return None
        limit_body, used_body = json.loads(quota.body), json.loads(used.body)
        limit = int(limit_body["value"]) if limit_body.get("type") == "limited" else None
        return QuotaStatus(limit=limit, used=int(used_body["totalUsage"]), source="line")
    except (TransportError, TooLargeResponse, ValueError, KeyError, TypeError, AttributeError):
        logger.warning("LINE quota not read; using our own count")
        return None


def _tell_admins(ctx: Context, month: str, status: QuotaStatus) -> None:
    from chalicelib.services.notify import queue_for_admins, send_now

    text = (f"[Aduan] Kuota pesan LINE bulan ini hampir habis: tersisa {status.remaining} dari {status.limit}. "
            "Peringatan pribadi yang tidak mendesak kini dikirim lewat ringkasan pagi; laporan baru dan "
            "peringatan grup OPD tetap dikirim.")
    send_now(ctx, queue_for_admins(ctx, f"quota-low:line:{month}", text, "quota_low"))
