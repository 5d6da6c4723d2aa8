"""On AWS, the cases table's stream brings the figures (and supporting OPDs' inboxes) to a changed case
within seconds.

Registered only when the stage names the stream (`ADUAN_CASES_STREAM_ARN`); locally a thread does the same
(`services/local_sync.py`), and everywhere the `sync_aggregates` job catches what was missed. Only cases
still flagged are synced: clearing the flag is itself a change the stream reports, and must end there.
"""

from __future__ import annotations

import os

from chalice import Blueprint

case_stream = Blueprint(__name__)
STREAM_ARN = os.environ.get("ADUAN_CASES_STREAM_ARN", "")

if STREAM_ARN:

    @case_stream.on_dynamodb_record(stream_arn=STREAM_ARN, batch_size=25, starting_position="LATEST")
    def sync_changed_cases(event) -> None:
        from chalicelib.services.context import get_context
        from chalicelib.services.sync import sync_flagged_cases

        ids = [r.keys["case_id"]["S"] for r in event if r.event_name in ("INSERT", "MODIFY") and r.keys]
        sync_flagged_cases(get_context(), list(dict.fromkeys(ids)))
