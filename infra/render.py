"""Render the CloudFormation template for what Chalice does not create: the DynamoDB tables and their
indexes, the session-signing secret, and alarms on throttling and failed jobs.

The tables are rendered from the PynamoDB models themselves, so the deployed schema can never drift from
the code; a unit test fails if `infra/aduan-data.template.json` is stale. Regenerate with:

    .venv/bin/python -m infra.render > infra/aduan-data.template.json
"""

from __future__ import annotations

import json
import sys

TTL_ATTRIBUTES = {
    "inbound_events": "expires_at", "rate_limits": "expires_at", "link_codes": "expires_at",
    "sessions": "expires_at", "login_throttle": "expires_at", "rating_requests": "expires_at",
}
# The inbound events table's stream starts processing as soon as a webhook's durable write lands.
STREAMS = {"inbound_events": "KEYS_ONLY"}


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
    if expire_days:
        properties["LifecycleConfiguration"] = {
            "Rules": [{"Id": "expire", "Status": "Enabled", "ExpirationInDays": expire_days}]
        }
    return {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": properties}


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
    resources["MediaBucket"] = _bucket("media", expire_days=None)
    resources["MailBucket"] = _bucket("mail", expire_days=90)
    resources["MailBucketPolicy"] = {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": {"Ref": "MailBucket"},
            "PolicyDocument": {"Statement": [{
                "Sid": "SesDelivers",
                "Effect": "Allow",
                "Principal": {"Service": "ses.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": {"Fn::Sub": "${MailBucket.Arn}/incoming/*"},
                "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
            }]},
        },
    }
    outputs["MediaBucket"] = {"Value": {"Ref": "MediaBucket"}}
    outputs["MailBucket"] = {"Value": {"Ref": "MailBucket"}}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Aduan data layer: tables and indexes, media and mail buckets, secrets, throttling alarms",
        "Parameters": {"Stage": {"Type": "String", "AllowedValues": ["dev", "prod"], "Default": "dev"}},
        "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}},
        "Resources": resources,
        "Outputs": outputs,
    }


def main() -> int:
    json.dump(render(), sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
