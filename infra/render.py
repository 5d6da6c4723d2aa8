"""Render the CloudFormation template for what Chalice does not create (the DynamoDB tables and their
indexes, the media and mail buckets, the secrets, the log groups, the alarms and their SNS topic, the
operators' dashboard), and each stage's IAM policy.

Alarms (each notifies the `AlarmTopic`; the `AlarmEmail` parameter, when given, subscribes an address): failed
messages, a spike of webhook signature failures, a stuck inbound queue (the metrics of `chalicelib/metrics.py`,
namespace Aduan, dimension stage), errors of each scheduled job (Lambda's own `Errors`), throttled requests of
each table. The dashboard shows the same metrics; a unit test keeps every metric name here one the code emits.

The tables are rendered from the PynamoDB models themselves, so the deployed schema can never drift from
the code; a unit test fails if `infra/aduan-data.template.json` is stale. Regenerate with:

    .venv/bin/python -m infra.render > infra/aduan-data.template.json

The functions' least-privilege policy (`.chalice/policy-<stage>.json`, which Chalice uploads as it is) names
the region and the account in every ARN, so it is rendered for them; do it once per stage before deploying:

    .venv/bin/python -m infra.render policy dev --account 111122223333 > .chalice/policy-dev.json

(`--region`, default ap-southeast-3; `--mail-identity`, the SES identity replies are sent from). The
committed policies are rendered for AWS's documentation account 123456789012: deployed unchanged, the
functions can reach nothing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys

from chalicelib import metrics  # the metric names and namespace the code emits (stdlib only at import)

MEDIA_BACKSTOP_DAYS = 1095  # above the retention (730 days by default) plus the longest a case stays open
LOG_DAYS_DEV, LOG_DAYS_PROD = 14, 90  # CloudWatch log retention per stage (logs carry no personal data)
# Chalice's Lambda functions: "" is the API handler (aduan-<stage>); the rest aduan-<stage>-<name> (the app's
# scheduled jobs and pure functions; a test keeps this list equal to the app's)
FUNCTIONS = ("", "sync_aggregates", "sweep_inbound", "send_outbox", "escalate_overdue", "auto_close_silent",
             "morning_digest", "apply_retention", "receive_email", "apply_city_file")
TTL_ATTRIBUTES = {
    "inbound_events": "expires_at", "rate_limits": "expires_at", "link_codes": "expires_at",
    "sessions": "expires_at", "login_throttle": "expires_at", "rating_requests": "expires_at",
    "outbox": "expires_at",
}
# The inbound events table's stream starts processing as soon as a webhook's durable write lands; the cases
# table's brings the figures to a changed case within seconds (keys only: no personal data in the stream).
STREAMS = {"inbound_events": "KEYS_ONLY", "cases": "KEYS_ONLY"}
# The tables whose items the code deletes (a unit test keeps this equal to chalicelib/store); only these get
# dynamodb:DeleteItem.
DELETES = (
    "agencies", "agency_cases", "calendar_days", "line_groups", "login_throttle", "messages", "rating_requests",
    "reply_templates", "sessions",
)
# The scheduled jobs (a test keeps this equal to the app's schedules): each gets an alarm on its Lambda errors
SCHEDULED = ("sync_aggregates", "sweep_inbound", "send_outbox", "escalate_overdue", "auto_close_silent",
             "morning_digest", "apply_retention")
FAILED_MESSAGES_PERIOD = 900  # any message given up within 15 minutes
SIGNATURE_SPIKE = 20  # signature failures within SIGNATURE_SPIKE_PERIOD: a misconfigured secret, or someone probing
SIGNATURE_SPIKE_PERIOD = 300
STUCK_INBOUND_SECONDS = 600  # the oldest unprocessed inbound event older than this: processing has stopped
DEFAULT_REGION = "ap-southeast-3"  # Jakarta
EXAMPLE_ACCOUNT = "123456789012"  # AWS's documentation account: the committed policies are only examples
DEFAULT_MAIL_IDENTITY = "kedirikota.go.id"  # the SES identity (domain) replies are sent from


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("-", "_").split("_"))


def _projection(index_schema: dict) -> dict:
    projection = index_schema["projection"]
    out = {"ProjectionType": projection["ProjectionType"]}
    if projection.get("NonKeyAttributes"):
        out["NonKeyAttributes"] = sorted(projection["NonKeyAttributes"])
    return out


def _keys(key_schema: list[dict]) -> list[dict]:
    """HASH before RANGE, as CloudFormation requires (PynamoDB lists them in attribute order)."""
    ordered = sorted(key_schema, key=lambda k: k["KeyType"] != "HASH")
    return [{"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in ordered]


def table_resource(model) -> dict:
    schema = model._get_schema()
    logical = model.Meta.logical_name
    properties: dict = {
        "TableName": {"Fn::Sub": f"aduan-${{Stage}}-{logical}"},
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": a["AttributeName"], "AttributeType": a["AttributeType"]}
            for a in sorted(schema["attribute_definitions"], key=lambda a: a["AttributeName"])
        ],
        "KeySchema": _keys(schema["key_schema"]),
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
        "DeletionProtectionEnabled": {"Fn::If": ["IsProd", True, False]},
        "Tags": [{"Key": "app", "Value": "aduan"}, {"Key": "stage", "Value": {"Ref": "Stage"}}],
    }
    indexes = [
        {
            "IndexName": index["index_name"],
            "KeySchema": _keys(index["key_schema"]),
            "Projection": _projection(index),
        }
        for index in sorted(schema["global_secondary_indexes"], key=lambda i: i["index_name"])
    ]
    if indexes:
        properties["GlobalSecondaryIndexes"] = indexes
    if logical in STREAMS:
        properties["StreamSpecification"] = {"StreamViewType": STREAMS[logical]}
    if logical in TTL_ATTRIBUTES:
        properties["TimeToLiveSpecification"] = {"AttributeName": TTL_ATTRIBUTES[logical], "Enabled": True}
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": properties,
    }


def _bucket(purpose: str, expire_days: int | None) -> dict:
    """A private, encrypted bucket; incoming mail expires (the case keeps what matters)."""
    properties: dict = {
        "BucketName": {"Fn::Sub": f"aduan-${{Stage}}-{purpose}-${{AWS::AccountId}}"},
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
        },
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        ]},
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
    }
    rules: list[dict] = [{"Id": "abort-incomplete-uploads", "Status": "Enabled",
                          "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]
    if expire_days:
        rules.append({"Id": "expire", "Status": "Enabled", "ExpirationInDays": expire_days})
    properties["LifecycleConfiguration"] = {"Rules": rules}
    return {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": properties}


def _tls_only(bucket: str) -> dict:
    """Refuse every request to the bucket that does not come over TLS (whoever asks, even the account)."""
    return {
        "Sid": "TlsOnly",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [{"Fn::GetAtt": [bucket, "Arn"]}, {"Fn::Sub": f"${{{bucket}.Arn}}/*"}],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def render() -> dict:
    from chalicelib.store.models import ALL_MODELS

    resources: dict = {}
    outputs: dict = {}
    for model in ALL_MODELS:
        name = f"{_pascal(model.Meta.logical_name)}Table"
        resources[name] = table_resource(model)
        resources[f"{name}ThrottleAlarm"] = {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmDescription": {"Fn::Sub": f"Aduan ${{Stage}}: {model.Meta.logical_name} requests throttled"},
                "Namespace": "AWS/DynamoDB",
                "MetricName": "ThrottledRequests",
                "Dimensions": [{"Name": "TableName", "Value": {"Ref": name}}],
                "Statistic": "Sum",
                "Period": 300,
                "EvaluationPeriods": 1,
                "Threshold": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": [{"Ref": "AlarmTopic"}],
            },
        }
        outputs[name] = {"Value": {"Ref": name}}
        if model.Meta.logical_name in STREAMS:
            outputs[f"{name}StreamArn"] = {"Value": {"Fn::GetAtt": [name, "StreamArn"]}}
    resources["SessionSecret"] = {
        "Type": "AWS::SecretsManager::Secret",
        "Properties": {
            "Name": {"Fn::Sub": "aduan-${Stage}/session-secret"},
            "Description": "Signs officer sessions and list cursors",
            "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
        },
    }
    outputs["SessionSecret"] = {"Value": {"Ref": "SessionSecret"}}
    resources["ChannelSecrets"] = {
        "Type": "AWS::SecretsManager::Secret",
        "Properties": {
            "Name": {"Fn::Sub": "aduan-${Stage}/channels"},
            "Description": "Channel credentials as JSON (keys: the ChannelSettings field names); fill in after deploy",
            "SecretString": "{}",
        },
    }
    # a backstop to the retention job (docs/privacy.md), which erases a closed case's media long before this
    resources["MediaBucket"] = _bucket("media", expire_days=MEDIA_BACKSTOP_DAYS)
    resources["MediaBucketPolicy"] = {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": {"Ref": "MediaBucket"},
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [_tls_only("MediaBucket")]},
        },
    }
    resources["MailBucket"] = _bucket("mail", expire_days=90)
    resources["MailBucketPolicy"] = {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": {"Ref": "MailBucket"},
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [_tls_only("MailBucket"), {
                "Sid": "SesDelivers",
                "Effect": "Allow",
                "Principal": {"Service": "ses.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": {"Fn::Sub": "${MailBucket.Arn}/incoming/*"},
                "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
            }]},
        },
    }
    for function in FUNCTIONS:
        group = "aduan-${Stage}" + (f"-{function}" if function else "")
        resources[f"LogGroup{_pascal(function or 'api')}"] = {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Delete",
            "Properties": {"LogGroupName": {"Fn::Sub": f"/aws/lambda/{group}"},
                           "RetentionInDays": {"Fn::If": ["IsProd", LOG_DAYS_PROD, LOG_DAYS_DEV]}},
        }
    resources.update(alarm_resources())
    resources["Dashboard"] = {
        "Type": "AWS::CloudWatch::Dashboard",
        "Properties": {"DashboardName": {"Fn::Sub": "aduan-${Stage}"},
                       "DashboardBody": {"Fn::Sub": json.dumps(dashboard_body(), separators=(",", ":"))}},
    }
    outputs["MediaBucket"] = {"Value": {"Ref": "MediaBucket"}}
    outputs["MailBucket"] = {"Value": {"Ref": "MailBucket"}}
    outputs["AlarmTopic"] = {"Value": {"Ref": "AlarmTopic"}}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Aduan data layer: tables and indexes, media and mail buckets, secrets, log groups, alarms "
                       "and the operators' dashboard",
        "Parameters": {
            "Stage": {"Type": "String", "AllowedValues": ["dev", "prod"], "Default": "dev"},
            "AlarmEmail": {"Type": "String", "Default": "",
                           "Description": "An address the alarms are e-mailed to (it confirms once); empty: none"},
        },
        "Conditions": {
            "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
            "HasAlarmEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]},
        },
        "Resources": resources,
        "Outputs": outputs,
    }


def _alarm(description: str, metric: dict, threshold: float, operator: str, period: int,
           statistic: str = "Sum") -> dict:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": {"Fn::Sub": f"Aduan ${{Stage}}: {description}"},
            **metric,
            "Statistic": statistic,
            "Period": period,
            "EvaluationPeriods": 1,
            "Threshold": threshold,
            "ComparisonOperator": operator,
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": "AlarmTopic"}],
        },
    }


def _aduan(metric_name: str) -> dict:
    """A metric of chalicelib/metrics.py as the alarms read it: the stage alone (its EMF roll-up)."""
    return {"Namespace": metrics.NAMESPACE, "MetricName": metric_name,
            "Dimensions": [{"Name": "stage", "Value": {"Ref": "Stage"}}]}


def alarm_resources() -> dict:
    """The SNS topic (and the optional e-mail subscription) and every alarm but the tables' throttling ones."""
    resources: dict = {
        "AlarmTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {"TopicName": {"Fn::Sub": "aduan-${Stage}-alarms"},
                           "Tags": [{"Key": "app", "Value": "aduan"}, {"Key": "stage", "Value": {"Ref": "Stage"}}]},
        },
        "AlarmEmailSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Condition": "HasAlarmEmail",
            "Properties": {"TopicArn": {"Ref": "AlarmTopic"}, "Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}},
        },
        "FailedMessagesAlarm": _alarm(
            "messages given up (see the failed outbox)", _aduan(metrics.MESSAGES_FAILED), 0, "GreaterThanThreshold",
            FAILED_MESSAGES_PERIOD),
        "SignatureFailuresAlarm": _alarm(
            "a spike of webhook signature failures (a wrong channel secret, or probing)",
            _aduan(metrics.SIGNATURE_FAILURES), SIGNATURE_SPIKE, "GreaterThanOrEqualToThreshold",
            SIGNATURE_SPIKE_PERIOD),
        "StuckInboundAlarm": _alarm(
            "inbound events wait unprocessed (the stream and the sweeper are not keeping up)",
            _aduan(metrics.OLDEST_INBOUND_AGE), STUCK_INBOUND_SECONDS, "GreaterThanThreshold", 300, "Maximum"),
    }
    for job in SCHEDULED:
        resources[f"JobErrors{_pascal(job)}Alarm"] = _alarm(
            f"the scheduled job {job} failed", {
                "Namespace": "AWS/Lambda", "MetricName": "Errors",
                "Dimensions": [{"Name": "FunctionName", "Value": {"Fn::Sub": f"aduan-${{Stage}}-{job}"}}],
            }, 1, "GreaterThanOrEqualToThreshold", 300)
    return resources


def dashboard_body() -> dict:
    """The operators' CloudWatch dashboard (a `Fn::Sub` string: `${Stage}` and `${AWS::Region}` are filled in)."""

    def search(metric_name: str, breakdown: str, statistic: str = "Sum") -> list:
        expression = (f"SEARCH('{{{metrics.NAMESPACE},stage,{breakdown}}} MetricName=\"{metric_name}\" "
                      f"stage=\"${{Stage}}\"', '{statistic}', 300)")
        return [[{"expression": expression, "id": f"e_{metric_name}"}]]

    def totals(*metric_names: str) -> list:
        return [[metrics.NAMESPACE, name, "stage", "${Stage}"] for name in metric_names]

    def widget(x: int, y: int, title: str, metrics: list, stat: str = "Sum", annotation: dict | None = None) -> dict:
        properties: dict = {"title": title, "region": "${AWS::Region}", "view": "timeSeries", "stacked": False,
                            "period": 300, "stat": stat, "metrics": metrics}
        if annotation:
            properties["annotations"] = {"horizontal": [annotation]}
        return {"type": "metric", "x": x, "y": y, "width": 12, "height": 6, "properties": properties}

    jobs = [["AWS/Lambda", "Errors", "FunctionName", f"aduan-${{Stage}}-{job}"] for job in SCHEDULED]
    throttles = [[{"expression": f"SEARCH('{{AWS/DynamoDB,TableName}} MetricName=\"{name}\" aduan ${{Stage}}', "
                                 "'Sum', 300)", "id": f"e_{name.lower()}"}]
                 for name in ("ReadThrottleEvents", "WriteThrottleEvents")]
    widgets = [
        widget(0, 0, "Complaints by channel", search(metrics.COMPLAINTS, "channel")),
        widget(12, 0, "Messages sent / retried / failed",
               totals(metrics.MESSAGES_SENT, metrics.MESSAGES_RETRIED, metrics.MESSAGES_FAILED),
               annotation={"label": "any failed alarms", "value": 0}),
        widget(0, 6, "Alerts and replies failed, by kind", search(metrics.MESSAGES_FAILED, "kind")),
        widget(12, 6, "Escalations by rung", search(metrics.ESCALATIONS, "rung")),
        widget(0, 12, "Webhook signature failures and duplicates dropped",
               totals(metrics.SIGNATURE_FAILURES, metrics.DUPLICATES_DROPPED),
               annotation={"label": "signature spike", "value": SIGNATURE_SPIKE}),
        widget(12, 12, "Oldest unprocessed inbound event (s)", totals(metrics.OLDEST_INBOUND_AGE), stat="Maximum",
               annotation={"label": "stuck", "value": STUCK_INBOUND_SECONDS}),
        widget(0, 18, "Job durations (ms)", search(metrics.JOB_DURATION, "job", "Maximum"), stat="Maximum"),
        widget(12, 18, "Job errors (Lambda)", jobs),
        widget(0, 24, "DynamoDB throttled reads and writes", throttles),
    ]
    return {"widgets": widgets}


def render_policy(stage: str, account: str, region: str = DEFAULT_REGION,
                  mail_identity: str = DEFAULT_MAIL_IDENTITY) -> dict:
    """The functions' IAM policy for one stage: each table, secret, bucket and log group by name, in this
    region and account; DeleteItem only where the code deletes, SES only from the city's own identity."""
    from chalicelib.store.models import ALL_MODELS

    if not re.fullmatch(r"\d{12}", account or ""):
        raise ValueError("the account is the 12-digit AWS account id")
    if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region or ""):
        raise ValueError("the region is an AWS region name, e.g. ap-southeast-3")
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", stage or ""):
        raise ValueError("the stage is a name like dev or prod")
    if not mail_identity or "*" in mail_identity or "/" in mail_identity:
        raise ValueError("the mail identity is the verified SES domain or address replies are sent from")
    dynamodb = f"arn:aws:dynamodb:{region}:{account}:table/aduan-{stage}-"
    data = []
    for model in sorted(ALL_MODELS, key=lambda m: m.Meta.logical_name):
        data.append(f"{dynamodb}{model.Meta.logical_name}")
        if model._get_schema()["global_secondary_indexes"]:
            data.append(f"{dynamodb}{model.Meta.logical_name}/index/*")
    secret = f"arn:aws:secretsmanager:{region}:{account}:secret:aduan-{stage}"
    bucket = f"arn:aws:s3:::aduan-{stage}-{{}}-{account}"
    statements = [
        {
            "Sid": "CaseData",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                       "dynamodb:Query", "dynamodb:DescribeTable"],
            "Resource": data,
        },
        {
            "Sid": "DeleteItems",
            "Effect": "Allow",
            "Action": "dynamodb:DeleteItem",
            "Resource": [f"{dynamodb}{logical}" for logical in DELETES],
        },
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            # the API function's group is aduan-<stage> (no suffix); the others aduan-<stage>-<function>
            "Resource": [f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/aduan-{stage}:*",
                         f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/aduan-{stage}-*"],
        },
        {
            "Sid": "Metrics",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",  # PutMetricData has no resource; the namespace condition is what limits it
            "Condition": {"StringEquals": {"cloudwatch:namespace": "Aduan"}},
        },
        {
            "Sid": "SessionSecret",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            # Secrets Manager appends six random characters to a secret's name in its ARN
            "Resource": [f"{secret}/session-secret-??????", f"{secret}/channels-??????"],
        },
        {
            "Sid": "Streams",
            "Effect": "Allow",
            "Action": ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                       "dynamodb:ListStreams"],
            "Resource": [f"{dynamodb}inbound_events/stream/*", f"{dynamodb}cases/stream/*"],
        },
        {
            "Sid": "Media",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
            "Resource": bucket.format("media") + "/*",
        },
        {
            "Sid": "Mail",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": bucket.format("mail") + "/incoming/*",
        },
        {
            "Sid": "SendMail",
            "Effect": "Allow",
            "Action": "ses:SendEmail",
            "Resource": f"arn:aws:ses:{region}:{account}:identity/{mail_identity}",
        },
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.render", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="what")
    policy = sub.add_parser("policy", help="a stage's IAM policy for .chalice/policy-<stage>.json")
    policy.add_argument("stage")
    policy.add_argument("--account", required=True, help="the 12-digit AWS account id")
    policy.add_argument("--region", default=DEFAULT_REGION)
    policy.add_argument("--mail-identity", default=DEFAULT_MAIL_IDENTITY, help="verified SES domain or address")
    args = parser.parse_args(argv)
    if args.what == "policy":
        try:
            document = render_policy(args.stage, args.account, args.region, args.mail_identity)
        except ValueError as error:
            parser.error(str(error))
    else:
        document = render()
    json.dump(document, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
