"""Conditional-write helpers: telling a lost condition (an expected outcome) from a real failure."""

from __future__ import annotations

from pynamodb.exceptions import PutError
from pynamodb.models import Model


def is_conditional_failure(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def put_new(record: Model) -> bool:
    """Put `record` only if no item has its key. True if written, False if the key was already taken."""
    hash_key = record._hash_key_attribute()
    try:
        record.save(condition=hash_key.does_not_exist())
    except PutError as error:
        if is_conditional_failure(error):
            return False
        raise
    return True
