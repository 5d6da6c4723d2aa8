"""Telling a lost conditional write (an expected outcome) from a real failure."""

from __future__ import annotations


def is_conditional_failure(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"
