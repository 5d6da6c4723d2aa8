"""The local stack answers, and its data outlives a restart of dynalite (what a second `make run` sees)."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from scripts.local_stack import app_environment, seed, start_dynalite

pytestmark = pytest.mark.integration


def test_health_is_ok_with_dynamodb_reachable(http) -> None:
    response = http.get("/health")

    assert response.status == 200
    assert response.headers.get("Content-Type", "").startswith("application/json")
    body = response.json()
    assert body["status"] == "ok"
    assert body["dynamodb"] == "ok"
    assert body["stage"] == "local"
    assert body["version"]


def test_seeding_created_tables_and_demo_logins(seeded) -> None:
    assert seeded.tables
    assert seeded.logins
    for login in seeded.logins:
        assert login["username"] and login["password"] and login["role"]


def _snapshot(endpoint: str, tables: list[str]) -> dict[str, list[str]]:
    """Every item of every table, as sorted JSON lines (a full read; small demo tables only)."""
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="ap-southeast-3",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    present = set(client.get_paginator("list_tables").paginate().build_full_result()["TableNames"])
    snapshot = {}
    for table in tables:
        assert table in present, f"table {table} is missing"
        items = client.get_paginator("scan").paginate(TableName=table).build_full_result()["Items"]
        snapshot[table] = sorted(json.dumps(item, sort_keys=True) for item in items)
    return snapshot


def test_data_survives_a_dynalite_restart_and_seeding_again_adds_nothing(tmp_path: Path) -> None:
    data = tmp_path / "dynalite"
    first = start_dynalite(path=data, log_path=tmp_path / "first.log")
    try:
        port = first.extra["port"]
        seeded = seed(app_environment(first.url))
        before = _snapshot(first.url, seeded.tables)
    finally:
        first.stop()
    assert not first.running()
    assert any(before.values()), "the demo data wrote no item at all"

    second = start_dynalite(port=port, path=data, log_path=tmp_path / "second.log")
    try:
        after_restart = _snapshot(second.url, seeded.tables)
        again = seed(app_environment(second.url))  # what a second `make run` does
        after_reseed = _snapshot(second.url, again.tables)
    finally:
        second.stop()

    assert after_restart == before
    assert again.tables == seeded.tables
    counts_before = {table: len(items) for table, items in before.items()}
    assert {table: len(items) for table, items in after_reseed.items()} == counts_before
