"""The deployed data layer matches the code: the committed template is what the models render."""

from __future__ import annotations

import json
from pathlib import Path

from infra.render import render

ROOT = Path(__file__).resolve().parents[2]


def test_committed_template_matches_the_models():
    committed = json.loads((ROOT / "infra" / "aduan-data.template.json").read_text())
    assert committed == json.loads(json.dumps(render())), (
        "infra/aduan-data.template.json is stale: run `.venv/bin/python -m infra.render > "
        "infra/aduan-data.template.json`"
    )


def test_every_index_the_code_queries_is_deployed():
    tables = {
        r["Properties"]["TableName"]["Fn::Sub"].split("}-", 1)[1]: r["Properties"]
        for r in render()["Resources"].values()
        if r["Type"] == "AWS::DynamoDB::Table"
    }
    cases = {i["IndexName"] for i in tables["cases"]["GlobalSecondaryIndexes"]}
    assert cases == {"open-by-due", "agency-status", "status", "reporter", "pending-sync"}
    assert tables["inbound_events"]["TimeToLiveSpecification"]["AttributeName"] == "expires_at"
    assert all(t["BillingMode"] == "PAY_PER_REQUEST" for t in tables.values())


def test_stage_policies_grant_only_the_stage_tables_and_no_scan():
    for stage in ("dev", "prod"):
        policy = json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())
        data = next(s for s in policy["Statement"] if s["Sid"] == "CaseData")
        assert "dynamodb:Scan" not in data["Action"]
        assert all(f"aduan-{stage}-" in arn for arn in data["Resource"])
