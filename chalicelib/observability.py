"""The one Logger and Metrics of the service (Powertools).

Names and phone numbers never reach the logs: log case ids, actions, roles and counts only.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

SERVICE = "aduan"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace="Aduan", service=SERVICE)
