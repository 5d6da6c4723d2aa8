"""Binding the models to this stage's tables, and creating them (idempotently) for local runs and tests.

On AWS the tables come from `infra/` (CloudFormation); `create_tables` serves dynalite and moto.
"""

from __future__ import annotations

import time

from chalicelib.settings import Settings, get_settings

_bound_to: tuple | None = None


def bind_models(settings: Settings | None = None) -> None:
    """Point every model at this stage's table names and endpoint (cheap; repeated calls are no-ops)."""
    global _bound_to
    from chalicelib.store.models import ALL_MODELS  # PynamoDB pulls in botocore's client: keep it off import

    settings = settings or get_settings()
    key = (settings.table_prefix, settings.dynamodb_host, settings.region)
    if key == _bound_to:
        return
    for model in ALL_MODELS:
        model.Meta.table_name = settings.table_name(model.Meta.logical_name)
        model.Meta.host = settings.dynamodb_host
        model.Meta.region = settings.region
        model._connection = None
    _bound_to = key


def unbind_models() -> None:
    """Forget the binding (tests that switch settings call this)."""
    global _bound_to
    _bound_to = None


def create_tables(timeout_seconds: float = 30.0) -> list[str]:
    """Create every missing table with its indexes and wait until all are ACTIVE; return their names."""
    from chalicelib.store.models import ALL_MODELS

    bind_models()
    names = []
    for model in ALL_MODELS:
        if not model.exists():
            model.create_table(wait=False, ignore_update_ttl_errors=True)
        elif missing_indexes(model):
            raise RuntimeError(
                f"table {model.Meta.table_name} lacks indexes {missing_indexes(model)}: on AWS deploy infra/; "
                "locally `make run` rebuilds it (scripts/local_migrate.py)"
            )
        names.append(model.Meta.table_name)
    deadline = time.monotonic() + timeout_seconds
    for model in ALL_MODELS:
        while model.describe_table().get("TableStatus") != "ACTIVE":
            if time.monotonic() > deadline:
                raise TimeoutError(f"table {model.Meta.table_name} did not become ACTIVE")
            time.sleep(0.05)
    return names


def missing_indexes(model) -> list[str]:
    """Indexes the code queries that the existing table lacks or projects differently (an older version's)."""
    existing = {
        i["IndexName"]: _projection_key(i.get("Projection", {}))
        for i in model.describe_table().get("GlobalSecondaryIndexes", [])
    }
    return [
        i["index_name"]
        for i in model._get_schema()["global_secondary_indexes"]
        if existing.get(i["index_name"]) != _projection_key(i["projection"])
    ]


def _projection_key(projection: dict) -> tuple:
    return projection.get("ProjectionType"), tuple(sorted(projection.get("NonKeyAttributes", [])))


def dynamodb_answers() -> bool:
    """True when the cases table can be described (the endpoint answers and the table exists)."""
    from chalicelib.store.models import CaseRecord

    bind_models()
    try:
        CaseRecord.describe_table()
    except Exception:  # any failure means "not healthy"; the reason goes to the log, not the caller
        from chalicelib.observability import logger

        logger.warning("dynamodb health check failed", exc_info=True)
        return False
    return True
