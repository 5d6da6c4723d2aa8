"""A private dynalite with this stage's tables, for one measurement: started, bound and torn down in one place."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager


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
