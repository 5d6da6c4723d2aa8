"""Local only: bring tables made by an older version of Aduan up to the current indexes.

dynalite cannot add an index to an existing table, so a table that lacks one is copied out, recreated
with the current schema and filled again. Runs before the tables are checked on `make run`; never on AWS,
where `infra/` owns the schema.
"""

from __future__ import annotations


def migrate_local_tables() -> list[str]:
    """Rebuild every table missing an index; returns the names rebuilt."""
    from chalicelib.store.models import ALL_MODELS
    from chalicelib.store.tables import bind_models, missing_indexes

    bind_models()
    rebuilt = []
    for model in ALL_MODELS:
        if not model.exists() or not missing_indexes(model):
            continue
        items = list(model.scan())  # a local copy of demo-sized data
        model.delete_table()
        _wait_until_gone(model)  # dynalite deletes asynchronously: a create before then races the delete
        model.create_table(wait=True, ignore_update_ttl_errors=True)
        with model.batch_write() as batch:
            for item in items:
                batch.save(item)
        rebuilt.append(model.Meta.table_name)
    return rebuilt


def _wait_until_gone(model, timeout_seconds: float = 30.0) -> None:
    import time

    deadline = time.monotonic() + timeout_seconds
    while model.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"table {model.Meta.table_name} was not deleted")
        time.sleep(0.05)
