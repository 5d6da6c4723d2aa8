"""Scheduled functions. Each is a thin call into a service (docs/architecture.md, Jobs)."""

from __future__ import annotations

from chalice import Blueprint, Cron, Rate

from chalicelib.settings import job_rate_minutes

jobs = Blueprint(__name__)


def _every(job: str, default_minutes: int) -> Rate:
    return Rate(job_rate_minutes(job, default_minutes), unit=Rate.MINUTES)


@jobs.schedule(_every("sync_aggregates", 1), name="sync_aggregates")
def sync_aggregates(event) -> dict:
    from chalicelib.services.context import get_context
    from chalicelib.services.sync import sync_pending_cases

    report = sync_pending_cases(get_context())
    return {"synced": report.synced, "changed_meanwhile": report.changed_meanwhile}


@jobs.schedule(_every("sweep_inbound", 1), name="sweep_inbound")
def sweep_inbound(event) -> dict:
    """Finish inbound events whose processing never ran or failed (the function died, media timed out)."""
    from chalicelib.services.context import get_context
    from chalicelib.services.intake import sweep_pending_events

    return sweep_pending_events(get_context())


@jobs.schedule(_every("send_outbox", 1), name="send_outbox")
def send_outbox(event) -> dict:
    """Send due outbound messages; retries with backoff, failures stay visible."""
    from chalicelib.services.context import get_context
    from chalicelib.services.outbound import send_due_messages

    return send_due_messages(get_context())


@jobs.schedule(_every("escalate_overdue", 5), name="escalate_overdue")
def escalate_overdue(event) -> dict:
    """Due-soon warnings and one ladder rung per missed step (officer, supervisor, admin, leadership)."""
    from chalicelib.services.context import get_context
    from chalicelib.services.escalation import escalate_overdue as run

    return run(get_context()).__dict__


@jobs.schedule(_every("auto_close_silent", 15), name="auto_close_silent")
def auto_close_silent(event) -> dict:
    """Close followed-up cases after the silence window; the citizen is told and asked for a rating."""
    from chalicelib.services.context import get_context
    from chalicelib.services.escalation import auto_close_silent as run

    return run(get_context()).__dict__


@jobs.schedule(Cron(0, 0, "*", "*", "?", "*"), name="morning_digest")
def morning_digest(event) -> dict:
    """07:00 WIB (00:00 UTC): each officer's cases due today and overdue, on their alert channel."""
    from chalicelib.services.context import get_context
    from chalicelib.services.digest import send_morning_digest

    return send_morning_digest(get_context())
