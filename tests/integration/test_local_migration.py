"""A second `make run` after an upgrade: tables made by an older version gain today's indexes, data kept."""

from __future__ import annotations

import os
import uuid

import boto3
import pytest

from scripts.local_stack import app_environment

pytestmark = pytest.mark.integration


def test_an_outbox_table_without_the_failed_index_is_rebuilt_with_its_items(dynalite):
    from chalicelib.settings import reset_settings
    from chalicelib.store.tables import create_tables, unbind_models

    prefix = f"mig{uuid.uuid4().hex[:6]}-"
    saved = dict(os.environ)
    os.environ.update(app_environment(dynalite.url))
    os.environ["ADUAN_TABLE_PREFIX"] = prefix
    reset_settings()
    unbind_models()
    try:
        client = boto3.client("dynamodb", endpoint_url=dynalite.url, region_name="ap-southeast-3")
        client.create_table(  # the outbox as an older version made it: no failed-outbox index
            TableName=f"{prefix}outbox", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "message_id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "message_id", "KeyType": "HASH"}],
        )
        client.get_waiter("table_exists").wait(  # dynalite creates tables asynchronously
            TableName=f"{prefix}outbox", WaiterConfig={"Delay": 0.1, "MaxAttempts": 100})
        client.put_item(TableName=f"{prefix}outbox", Item={
            "message_id": {"S": "reply:line:OLD"}, "channel": {"S": "line"}, "recipient": {"S": "U1"},
            "body": {"S": "lama"}, "state": {"S": "sent"}, "attempts": {"N": "1"},
            "created_at": {"S": "2026-11-01T00:00:00.000000+0000"}})
        with pytest.raises(RuntimeError, match="lacks indexes"):
            create_tables()
        from scripts.local_migrate import migrate_local_tables

        assert migrate_local_tables() == [f"{prefix}outbox"]
        create_tables()
        indexes = {i["IndexName"] for i in client.describe_table(TableName=f"{prefix}outbox")["Table"][
            "GlobalSecondaryIndexes"]}
        assert {"due-outbox", "failed-outbox"} <= indexes
        kept = client.get_item(TableName=f"{prefix}outbox", Key={"message_id": {"S": "reply:line:OLD"}})
        assert kept["Item"]["body"]["S"] == "lama"
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_settings()
        unbind_models()
