"""Health check use case."""

from __future__ import annotations

from chalicelib.settings import get_settings
from chalicelib.store import tables


def check_health() -> dict:
    settings = get_settings()
    return {
        "status": "ok",
        "version": settings.version,
        "stage": settings.stage,
        "dynamodb": "ok" if tables.dynamodb_answers() else "unreachable",
    }
