"""On AWS, the inbound events table's stream starts processing the moment a webhook's write lands.

Registered only when the stage names the stream (`ADUAN_INBOUND_STREAM_ARN`); locally a thread does the
same, and everywhere the `sweep_inbound` job catches what was missed.
"""

from __future__ import annotations

import os

from chalice import Blueprint

intake_stream = Blueprint(__name__)
STREAM_ARN = os.environ.get("ADUAN_INBOUND_STREAM_ARN", "")

if STREAM_ARN:

    @intake_stream.on_dynamodb_record(stream_arn=STREAM_ARN, batch_size=10, starting_position="LATEST")
    def process_inbound(event) -> None:
        from chalicelib.services.context import get_context
        from chalicelib.services.intake import process_events

        keys = [r.keys["event_key"]["S"] for r in event if r.event_name == "INSERT" and r.keys]
        process_events(get_context(), keys)
