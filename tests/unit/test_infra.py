"""The deployed data layer matches the code: the committed template is what the models render."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from infra.render import render, render_policy

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


# ---------------------------------------------------------------- the functions' IAM policy (.chalice/policy-*.json)

STAGES = ("dev", "prod")
ARN = re.compile(r"^arn:aws:(?P<service>[a-z0-9-]+):(?P<region>[^:]*):(?P<account>[^:]*):(?P<resource>.+)$")


def _policy(stage: str) -> dict:
    return json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())


def _resources(statement: dict) -> list[str]:
    resource = statement["Resource"]
    return [resource] if isinstance(resource, str) else list(resource)


def _actions(statement: dict) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def _granted(policy: dict, action: str) -> list[str]:
    return [r for s in policy["Statement"] if s["Effect"] == "Allow" and action in _actions(s) for r in _resources(s)]


def _code() -> str:
    return "\n".join(p.read_text() for p in sorted((ROOT / "chalicelib").rglob("*.py")))


def _tables_the_code_deletes_from() -> set[str]:
    """Logical tables of every `XRecord(...).delete(...)` / `XRecord._get_connection().delete_item(...)` call."""
    from chalicelib.store import models

    names = set(re.findall(r"\b([A-Z]\w*Record)\b[^\n]*?\.delete(?:_item)?\(", _code()))
    assert "batch_write" not in _code(), "a batch writer may delete too: teach this test to find its tables"
    return {getattr(models, name).Meta.logical_name for name in names}


def test_committed_policies_are_what_infra_render_gives_for_their_account_and_region():
    for stage in STAGES:
        policy = _policy(stage)
        [send] = _granted(policy, "ses:SendEmail")
        region, account, identity = re.fullmatch(r"arn:aws:ses:([^:]+):(\d{12}):identity/(.+)", send).groups()
        assert policy == json.loads(json.dumps(render_policy(stage, account, region, identity))), (
            f".chalice/policy-{stage}.json is stale: run `.venv/bin/python -m infra.render policy {stage} "
            f"--account <id> > .chalice/policy-{stage}.json`"
        )


def test_every_arn_names_its_region_and_account():
    for stage in STAGES:
        for statement in _policy(stage)["Statement"]:
            for resource in _resources(statement):
                if resource == "*":
                    continue
                arn = ARN.match(resource)
                assert arn, resource
                if arn["service"] == "s3":  # bucket ARNs carry neither; the bucket name carries the account
                    assert (arn["region"], arn["account"]) == ("", "") and re.search(r"-\d{12}/", resource)
                    continue
                assert re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", arn["region"]), resource
                assert re.fullmatch(r"\d{12}", arn["account"]), resource


def test_only_metrics_are_granted_on_every_resource_and_only_within_aduans_namespace():
    for stage in STAGES:
        wide = [s for s in _policy(stage)["Statement"] if "*" in _resources(s)]
        assert [(_actions(s), s["Condition"]) for s in wide] == [
            (["cloudwatch:PutMetricData"], {"StringEquals": {"cloudwatch:namespace": "Aduan"}})
        ]


def test_mail_is_sent_only_from_the_citys_own_ses_identity():
    for stage in STAGES:
        policy = _policy(stage)
        assert all(not a.startswith("ses:") or a == "ses:SendEmail"
                   for s in policy["Statement"] for a in _actions(s))
        [identity] = _granted(policy, "ses:SendEmail")
        assert re.fullmatch(r"arn:aws:ses:[a-z0-9-]+:\d{12}:identity/[^*/]+", identity)


def test_delete_item_is_granted_exactly_on_the_tables_the_code_deletes_from():
    deleted = _tables_the_code_deletes_from()
    assert {"agency_cases", "sessions"} <= deleted  # the scan finds what we know is there
    for stage in STAGES:
        policy = _policy(stage)
        granted = {r.rsplit(f"table/aduan-{stage}-", 1)[1] for r in _granted(policy, "dynamodb:DeleteItem")}
        assert granted == deleted
        assert all(a not in ("dynamodb:*", "dynamodb:Scan", "dynamodb:BatchWriteItem")
                   for s in policy["Statement"] for a in _actions(s))


def test_media_objects_may_be_deleted_only_if_the_code_deletes_them():
    deletes_media = "delete_object(" in _code()
    for stage in STAGES:
        granted = _granted(_policy(stage), "s3:DeleteObject")
        assert granted == ([f"arn:aws:s3:::aduan-{stage}-media-123456789012/*"] if deletes_media else [])


def test_render_policy_refuses_a_wildcard_or_malformed_account_or_region():
    for account, region in (("*", "ap-southeast-3"), ("12345", "ap-southeast-3"), ("123456789012", "*"),
                            ("123456789012", "")):
        with pytest.raises(ValueError):
            render_policy("dev", account, region)


# ---------------------------------------------------------------- buckets


def test_media_and_mail_buckets_refuse_every_request_without_tls():
    resources = render()["Resources"]
    for bucket in ("MediaBucket", "MailBucket"):
        [policy] = [r["Properties"] for r in resources.values()
                    if r["Type"] == "AWS::S3::BucketPolicy" and r["Properties"]["Bucket"] == {"Ref": bucket}]
        deny = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
        assert deny == [{
            "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [{"Fn::GetAtt": [bucket, "Arn"]}, {"Fn::Sub": f"${{{bucket}.Arn}}/*"}],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }]


def test_every_lambda_function_has_a_log_group_with_a_retention_per_stage():
    from app import app
    from infra.render import FUNCTIONS, LOG_DAYS_DEV, LOG_DAYS_PROD, render

    names = {"", *(s.name for s in app.event_sources), *(f.name for f in app.pure_lambda_functions)}
    assert set(FUNCTIONS) == names  # a new job or function gets its log group (and retention) here
    groups = [r["Properties"] for r in render()["Resources"].values() if r["Type"] == "AWS::Logs::LogGroup"]
    assert len(groups) == len(names)
    assert all(g["RetentionInDays"] == {"Fn::If": ["IsProd", LOG_DAYS_PROD, LOG_DAYS_DEV]} for g in groups)
    assert {"Fn::Sub": "/aws/lambda/aduan-${Stage}"} in [g["LogGroupName"] for g in groups]


def test_the_media_bucket_expires_what_the_retention_job_missed_and_aborts_stale_uploads():
    from infra.render import MEDIA_BACKSTOP_DAYS, render

    rules = render()["Resources"]["MediaBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert {"Id": "expire", "Status": "Enabled", "ExpirationInDays": MEDIA_BACKSTOP_DAYS} in rules
    assert any(r.get("AbortIncompleteMultipartUpload") == {"DaysAfterInitiation": 1} for r in rules)
    assert MEDIA_BACKSTOP_DAYS > 730 + 60  # the default retention plus the 60-day cap


# ---------------------------------------------------------------- alarms and the dashboard (issue 13 item 4)


def _of_type(kind: str) -> dict:
    return {name: r for name, r in render()["Resources"].items() if r["Type"] == kind}


def _dashboard() -> dict:
    [dashboard] = _of_type("AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    return json.loads(body.replace("${Stage}", "dev").replace("${AWS::Region}", "ap-southeast-3"))


def _aduan_metrics_in(widget: dict) -> set[str]:
    """The Aduan metric names a dashboard widget shows (plain metric rows and SEARCH expressions)."""
    from chalicelib import metrics

    names = set()
    for row in widget["properties"]["metrics"]:
        if isinstance(row[0], dict):
            names |= set(re.findall(rf"\{{{metrics.NAMESPACE},[^}}]*\}} MetricName=\"(\w+)\"", row[0]["expression"]))
        elif row[0] == metrics.NAMESPACE:
            names.add(row[1])
    return names


def test_every_alarm_on_aduans_metrics_names_a_metric_the_code_emits_under_the_stage_alone():
    from chalicelib import metrics

    alarms = _of_type("AWS::CloudWatch::Alarm")
    ours = {name: a["Properties"] for name, a in alarms.items() if a["Properties"]["Namespace"] == metrics.NAMESPACE}
    assert {p["MetricName"] for p in ours.values()} == {
        metrics.MESSAGES_FAILED, metrics.SIGNATURE_FAILURES, metrics.OLDEST_INBOUND_AGE}
    for properties in ours.values():
        _unit, breakdown, rollup, _counted = metrics.METRICS[properties["MetricName"]]
        assert breakdown is None or rollup  # the code emits it under [stage] alone, which is what the alarm reads
        assert properties["Dimensions"] == [{"Name": "stage", "Value": {"Ref": "Stage"}}]
    failed = ours["FailedMessagesAlarm"]
    assert (failed["Statistic"], failed["Period"], failed["Threshold"], failed["ComparisonOperator"]) == (
        "Sum", 900, 0, "GreaterThanThreshold")  # any failed message within 15 minutes
    stuck = ours["StuckInboundAlarm"]
    assert stuck["Statistic"] == "Maximum" and stuck["Threshold"] == 600  # seconds, as the sweeper reports it
    assert ours["SignatureFailuresAlarm"]["Threshold"] > 1  # a spike, not one stray request


def test_each_scheduled_job_and_each_table_has_an_alarm_and_every_alarm_notifies_the_topic():
    from chalice.app import ScheduledEventConfig

    from app import app
    from chalicelib.store.models import ALL_MODELS
    from infra.render import SCHEDULED

    assert set(SCHEDULED) == {s.name for s in app.event_sources if isinstance(s, ScheduledEventConfig)}
    alarms = [a["Properties"] for a in _of_type("AWS::CloudWatch::Alarm").values()]
    job_errors = {a["Dimensions"][0]["Value"]["Fn::Sub"] for a in alarms
                  if (a["Namespace"], a["MetricName"]) == ("AWS/Lambda", "Errors")}
    assert job_errors == {f"aduan-${{Stage}}-{job}" for job in SCHEDULED}
    throttled = [a for a in alarms if (a["Namespace"], a["MetricName"]) == ("AWS/DynamoDB", "ThrottledRequests")]
    assert len(throttled) == len(ALL_MODELS)
    assert all(a["AlarmActions"] == [{"Ref": "AlarmTopic"}] for a in alarms)
    assert all(a["TreatMissingData"] == "notBreaching" for a in alarms)


def test_alarms_go_to_an_sns_topic_with_an_optional_email_subscription():
    template = render()
    [topic] = _of_type("AWS::SNS::Topic")
    assert topic == "AlarmTopic" and template["Outputs"]["AlarmTopic"] == {"Value": {"Ref": "AlarmTopic"}}
    [subscription] = _of_type("AWS::SNS::Subscription").values()
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"] == {"TopicArn": {"Ref": "AlarmTopic"}, "Protocol": "email",
                                          "Endpoint": {"Ref": "AlarmEmail"}}
    assert template["Parameters"]["AlarmEmail"]["Default"] == ""
    assert template["Conditions"]["HasAlarmEmail"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}


def test_the_dashboard_shows_every_metric_the_code_emits_and_nothing_it_does_not():
    from chalicelib import metrics
    from infra.render import SCHEDULED

    widgets = _dashboard()["widgets"]
    shown = set().union(*(_aduan_metrics_in(w) for w in widgets))
    assert shown == set(metrics.METRICS)
    for widget in widgets:
        for row in widget["properties"]["metrics"]:
            if isinstance(row[0], dict):  # a SEARCH by the breakdown dimension the code really emits
                for name, dimension in re.findall(r"\{Aduan,stage,(\w+)\} MetricName=\"(\w+)\"", row[0]["expression"]):
                    assert metrics.METRICS[dimension][1] == name
            elif row[0] == metrics.NAMESPACE:  # a total: the stage alone, emitted as a roll-up
                assert row[2:] == ["stage", "dev"]
                _unit, breakdown, rollup, _counted = metrics.METRICS[row[1]]
                assert breakdown is None or rollup
    errors = [row for w in widgets for row in w["properties"]["metrics"] if row[:2] == ["AWS/Lambda", "Errors"]]
    assert {row[3] for row in errors} == {f"aduan-dev-{job}" for job in SCHEDULED}


def test_every_metric_has_a_caller_in_the_code():
    """Named in the template is not enough: each intent-named function is called by a service or the middleware."""
    from chalicelib import metrics

    callers = {
        metrics.COMPLAINTS: "count_complaint(", metrics.SIGNATURE_FAILURES: "count_signature_failure(",
        metrics.DUPLICATES_DROPPED: "count_duplicate(", metrics.ESCALATIONS: "count_escalation(",
        metrics.MESSAGES_SENT: "count_message(", metrics.MESSAGES_RETRIED: "count_message(",
        metrics.MESSAGES_FAILED: "count_message(", metrics.JOB_DURATION: "record_job_duration(",
        metrics.OLDEST_INBOUND_AGE: "record_oldest_inbound_age(",
    }
    assert set(callers) == set(metrics.METRICS)
    code = "\n".join(p.read_text() for p in sorted((ROOT / "chalicelib").rglob("*.py")) if p.name != "metrics.py")
    assert all(f"metrics.{call}" in code for call in callers.values())
