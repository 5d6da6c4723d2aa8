"""A private dynalite with this stage's tables, for one measurement: started, bound and torn down in one place."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def bench_tables() -> Iterator[None]:
    """dynalite on loopback, the app's environment pointed at it (outbox captured, media in /tmp), tables created;
    the environment restored and dynalite stopped afterwards, whatever happened."""
    from scripts.local_stack import app_environment, start_dynalite

    dynalite = start_dynalite()
    saved = dict(os.environ)
    try:
        os.environ.update(app_environment(dynalite.url, overrides={"ADUAN_TABLE_PREFIX": "aduan-local-"}))
        os.environ["ADUAN_OUTBOX_MODE"] = "capture"
        os.environ["ADUAN_MEDIA_DIR"] = os.path.join("/tmp", f"aduan-bench-{uuid.uuid4().hex[:8]}", "media")
        from chalicelib.settings import reset_channel_settings, reset_settings
        from chalicelib.store.tables import create_tables, unbind_models

        reset_settings()
        reset_channel_settings()
        unbind_models()
        create_tables()
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        dynalite.stop()


@contextmanager
def local_stack(work: str, overrides: dict[str, str] | None = None) -> Iterator[tuple[dict[str, str], str]]:
    """dynalite + demo data + `chalice local` (stage local) on loopback, as `make run` starts them; yields the
    app's environment and the API's base URL. Both processes are stopped by their own pid, whatever happened."""
    from scripts.local_stack import app_environment, seed, start_chalice_local, start_dynalite

    dynalite = start_dynalite()
    api = None
    try:
        env = app_environment(dynalite.url, overrides={
            "ADUAN_MEDIA_DIR": os.path.join(work, "media"), "POWERTOOLS_LOG_LEVEL": "WARNING", **(overrides or {}),
        })
        seed(env)
        api = start_chalice_local(env, log_path=Path(work) / "chalice.log")
        yield env, api.url
    finally:
        if api is not None:
            api.stop()
        dynalite.stop()


@contextmanager
def app_environment_in_process(env: dict[str, str]) -> Iterator[None]:
    """This process's store pointed at the stack (to read what the app wrote); everything reset afterwards."""
    from chalicelib.services.context import set_context
    from chalicelib.settings import reset_channel_settings, reset_settings
    from chalicelib.store.tables import unbind_models

    saved = dict(os.environ)

    def reset() -> None:
        reset_settings()
        reset_channel_settings()
        unbind_models()
        set_context(None)

    try:
        os.environ.update(env)
        reset()
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset()


