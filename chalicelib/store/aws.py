"""AWS clients other than DynamoDB's (PynamoDB owns that one), built on first use and reused."""

from __future__ import annotations

from functools import cache


@cache
def s3_client():
    import boto3

    return boto3.client("s3")


@cache
def ses_client():
    import boto3

    return boto3.client("ses")
