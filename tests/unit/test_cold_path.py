"""The webhook path stays light (Lambda cold start): no pydantic, no provider SDK, no X-Ray, no template engine,
no Powertools (the Logger is built when a first line is logged; an acknowledged delivery logs none). `import app`
itself loads the handlers and no service, store, channel, web or domain model module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r'''
import base64, hashlib, hmac, json, os, sys, time
os.environ.update(AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="ap-southeast-3",
                  ADUAN_STAGE="local", ADUAN_TABLE_PREFIX="aduan-local-", ADUAN_INBOUND_DISPATCH="none")
os.environ.pop("ADUAN_DYNAMODB_HOST", None)
from moto import mock_aws
with mock_aws():
    from chalicelib.store.tables import create_tables
    create_tables()
    before = set(sys.modules)
    from chalice.test import Client
    before |= set(sys.modules)
    from app import app
    body = json.dumps({"destination": "U1", "events": [{"type": "message", "mode": "active",
        "timestamp": int(time.time() * 1000), "source": {"type": "user", "userId": "U" + "a" * 32},
        "webhookEventId": "01COLDPATH", "deliveryContext": {"isRedelivery": False}, "replyToken": "r",
        "message": {"id": "1", "type": "text", "quoteToken": "q", "text": "Jalan berlubang"}}]}).encode()
    secret = json.load(open(".chalice/config.json"))["stages"]["local"]["environment_variables"][
        "ADUAN_LINE_CHANNEL_SECRET"]
    sig = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    with Client(app, stage_name="local") as client:
        status = client.http.post("/webhooks/line", body=body,
                                  headers={"Content-Type": "application/json", "X-Line-Signature": sig}).status_code
    loaded = sorted(m for m in set(sys.modules) - before)
    print(json.dumps({"status": status, "loaded": loaded}))
'''

FORBIDDEN = ("pydantic", "linebot", "twilio", "aws_xray_sdk", "jinja2", "phonenumbers", "holidays",
             "aws_lambda_powertools")


def test_the_line_webhook_loads_no_heavy_module():
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    import json

    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == 200
    heavy = [m for m in result["loaded"] if m.split(".")[0] in FORBIDDEN]
    assert heavy == []


IMPORT_SCRIPT = r'''
import json, os, sys
os.environ.update(AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="ap-southeast-3",
                  ADUAN_STAGE="local")
import chalice
before = set(sys.modules)
from app import app
print(json.dumps({"routes": len(app.routes), "loaded": sorted(set(sys.modules) - before)}))
'''

# what every handler module needs at import: its blueprint, the error mapping, the jobs' schedules
IMPORT_APP_LOADS = {"chalicelib", "chalicelib.domain", "chalicelib.domain.errors", "chalicelib.settings"}


def test_import_app_registers_every_route_and_loads_no_service_store_or_domain_model():
    done = subprocess.run([sys.executable, "-c", IMPORT_SCRIPT], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    import json

    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["routes"] > 50
    ours = {m for m in result["loaded"] if m.split(".")[0] == "chalicelib"}
    assert ours == IMPORT_APP_LOADS
    heavy = [m for m in result["loaded"] if m.split(".")[0] in (*FORBIDDEN, "pynamodb", "botocore", "boto3")]
    assert heavy == []
