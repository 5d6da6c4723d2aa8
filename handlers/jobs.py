"""Scheduled functions. Each is a thin call into a service; rates are per stage in settings later."""

from __future__ import annotations

from chalice import Blueprint, Rate

jobs = Blueprint(__name__)


@jobs.schedule(Rate(1, unit=Rate.MINUTES), name="sync_aggregates")
def sync_aggregates(event) -> dict:
    from chalicelib.services.context import get_context
    from chalicelib.services.sync import sync_pending_cases

    report = sync_pending_cases(get_context())
    return {"synced": report.synced, "changed_meanwhile": report.changed_meanwhile}
