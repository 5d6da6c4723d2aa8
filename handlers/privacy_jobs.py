"""Scheduled privacy work (UU PDP 27/2022): personal data of closed cases past the retention period is removed.

Daily at 02:00 WIB (19:00 UTC), outside office hours; bounded per run and resumable, so a run that stops is
continued by the next one. `python -m scripts.scheduler` fires it locally like the other jobs.
"""

from __future__ import annotations

from chalice import Blueprint, Cron

privacy_jobs = Blueprint(__name__)


@privacy_jobs.schedule(Cron(0, 19, "*", "*", "?", "*"), name="apply_retention")
def apply_retention(event) -> dict:
    """Anonymise closed cases older than ADUAN_RETENTION_DAYS (default 730 days)."""
    import dataclasses

    from chalicelib.services.context import get_context
    from chalicelib.services.privacy import apply_retention as run

    return dataclasses.asdict(run(get_context()))
