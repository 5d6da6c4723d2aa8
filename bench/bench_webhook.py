"""The LINE webhook's acknowledgement path against a bare Chalice route that does one put, same backend.

Both run in-process through Chalice's test client against the same dynalite, alternating request by
request, so the ratio shows what verification, parsing and the dedupe write cost over the minimum any
webhook must pay. DynamoDB requests are counted with botocore's hooks on every webhook call.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import statistics
import time
import uuid

REQUESTS = 300


def _line_body() -> bytes:
    return json.dumps({
        "destination": "U0123456789abcdef0123456789abcdef",
        "events": [{
            "type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
            "source": {"type": "user", "userId": "U" + uuid.uuid4().hex},
            "webhookEventId": "01" + uuid.uuid4().hex[:24].upper(),
            "deliveryContext": {"isRedelivery": False}, "replyToken": uuid.uuid4().hex,
            "message": {"id": str(time.time_ns()), "type": "text", "quoteToken": "q",
                        "text": "Jalan berlubang di Jl. Dhoho depan toko, bahaya untuk motor"},
        }],
    }).encode()


def _bare_app():
    """The floor: a Chalice route that parses JSON and does one conditional put, nothing else."""
    from chalice import Chalice

    from chalicelib.store.models import InboundEventRecord

    bare = Chalice(app_name="bare")

    @bare.route("/bare", methods=["POST"])
    def one_put():
        body = bare.current_request.raw_body
        key = "bare:" + uuid.uuid4().hex
        InboundEventRecord(key, channel="bench", received_at=_now(), payload=body.decode()).save(
            condition=InboundEventRecord.event_key.does_not_exist()
        )
        return {"ok": True}

    return bare


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


def measure_webhook(requests: int = REQUESTS) -> dict:
    from scripts.local_stack import app_environment, start_dynalite

    dynalite = start_dynalite()
    saved = dict(os.environ)
    try:
        env = app_environment(dynalite.url)
        os.environ.update(env)
        os.environ["ADUAN_INBOUND_DISPATCH"] = "none"  # as on AWS: the stream, not the request, processes
        secret = env["ADUAN_LINE_CHANNEL_SECRET"]
        from chalice.test import Client

        from app import app
        from bench.metering import RequestCounter
        from chalicelib.services.context import set_context
        from chalicelib.settings import reset_channel_settings, reset_settings
        from chalicelib.store.tables import create_tables, unbind_models

        reset_settings()
        reset_channel_settings()
        unbind_models()
        set_context(None)
        create_tables()
        webhook_ms: list[float] = []
        bare_ms: list[float] = []
        per_webhook: list[int] = []
        with Client(app, stage_name="local") as client, Client(_bare_app()) as bare:
            for _ in range(20):  # warm both paths: imports, connections, caches
                _post_line(client, secret)
                bare.http.post("/bare", headers={"Content-Type": "application/json"}, body=_line_body())
            with RequestCounter() as counter:
                for i in range(requests):
                    order = ("line", "bare") if i % 2 == 0 else ("bare", "line")
                    for which in order:
                        body = _line_body()
                        if which == "line":
                            counter.reset()
                            started = time.perf_counter()
                            status = _post_line(client, secret, body)
                            webhook_ms.append((time.perf_counter() - started) * 1000)
                            per_webhook.append(counter.total)
                        else:
                            started = time.perf_counter()
                            status = bare.http.post("/bare", headers={"Content-Type": "application/json"},
                                                    body=body).status_code
                            bare_ms.append((time.perf_counter() - started) * 1000)
                        if status != 200:
                            raise RuntimeError(f"{which} answered {status}")
    finally:
        os.environ.clear()
        os.environ.update(saved)
        dynalite.stop()
    webhook = statistics.median(webhook_ms)
    floor = statistics.median(bare_ms)
    return {
        "webhook_ms": round(webhook, 2),
        "bare_put_ms": round(floor, 2),
        "webhook_latency_ratio": round(webhook / floor, 2),
        "ddb_requests_per_webhook": max(per_webhook),
    }


def _post_line(client, secret: str, body: bytes | None = None) -> int:
    body = body or _line_body()
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    response = client.http.post("/webhooks/line", body=body,
                                headers={"Content-Type": "application/json", "X-Line-Signature": signature})
    return response.status_code
