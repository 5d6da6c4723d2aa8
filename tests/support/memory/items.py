"""Items as DynamoDB holds them, for the in-memory repositories: what PynamoDB writes (`Model.serialize`) and
reads back, UpdateItem's actions, sparse index partitions, and the PynamoDB errors DynamoDB's refusals become
(an empty key value, a lost condition), raised with the same type and `cause_response_code` as the real ones.
"""

from __future__ import annotations

import copy
from collections.abc import Hashable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from botocore.exceptions import ClientError
from pynamodb.attributes import TTLAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

Raw = dict[str, dict[str, Any]]  # one item as DynamoDB stores it: {attribute name: {type: value}}
M = TypeVar("M", bound=Model)


def wire(model: type[Model], name: str, value: Any) -> Any:
    """What PynamoDB sends for `value` in attribute `name`, in an action or a condition (None: nothing)."""
    return None if value is None else model.get_attributes()[name].serialize(value)


def stored(raw: Raw | None, model: type[Model], name: str) -> Any:
    """The stored value of attribute `name` (a string for S and N, a bool for BOOL), None when absent."""
    attribute = model.get_attributes()[name]
    entry = (raw or {}).get(attribute.attr_name)
    return None if entry is None else entry.get(attribute.attr_type)


def number(value: Any) -> Decimal:
    """A DynamoDB number, compared as DynamoDB compares numbers (exactly, not as floats)."""
    return Decimal(str(value))


def load(model: type[M], raw: Raw) -> M:
    """A fresh record from a stored item: mutating it never changes the store."""
    return model.from_raw_data(copy.deepcopy(raw))


def serialized(record: Model) -> Raw:
    """A whole item as `save` writes it (refusing a missing required attribute, as `save` does)."""
    return record.serialize()


def update(
    items: dict[Hashable, Raw],
    key: Hashable,
    model: type[Model],
    new_item: Raw,
    *,
    set_: Mapping[str, Any] | None = None,
    remove: tuple[str, ...] = (),
    add: Mapping[str, int] | None = None,
) -> Raw:
    """UpdateItem's actions: SET (a None value removes, as PynamoDB's `set(None)` does), REMOVE and ADD; a
    missing item is created from `new_item` (its key attributes), as DynamoDB does."""
    attributes = model.get_attributes()
    wired = {name: wire(model, name, value) for name, value in (set_ or {}).items()}  # raises before any write
    raw = items.get(key)
    if raw is None:
        raw = items[key] = copy.deepcopy(new_item)
    for name, value in wired.items():
        attribute = attributes[name]
        if value is None:
            raw.pop(attribute.attr_name, None)
        else:
            raw[attribute.attr_name] = {attribute.attr_type: value}
    for name in remove:
        raw.pop(attributes[name].attr_name, None)
    for name, delta in (add or {}).items():
        attribute = attributes[name]
        current = stored(raw, model, name)
        total = (number(current) if current is not None else Decimal(0)) + number(delta)
        raw[attribute.attr_name] = {attribute.attr_type: str(total)}
    return raw


def hash_item(model: type[Model], key: str) -> Raw:
    """The item UpdateItem creates for a missing string hash key: the key alone."""
    return {model._hash_key_attribute().attr_name: {"S": key}}


def index_rows(items: Mapping[Hashable, Raw], model: type[Model], hash_name: str, shard: str,
               range_name: str) -> list[tuple[str, Hashable]]:
    """(range value, table key) of the items on a sparse string index partition, in the index's order; ties
    follow the table key (DynamoDB leaves their order unspecified)."""
    return sorted(
        (stored(raw, model, range_name), key)
        for key, raw in items.items()
        if stored(raw, model, hash_name) == shard and stored(raw, model, range_name) is not None
    )


def limited(rows: list, limit: int) -> list:
    """The first `limit` rows; PynamoDB asks for nothing at a limit of 0."""
    return rows[:max(limit, 0)]


_UTC_TIME = UTCDateTimeAttribute()
_TTL = TTLAttribute()


def stored_time(value: datetime) -> datetime:
    """`value` as a UTCDateTimeAttribute gives it back: the same instant in UTC (naive taken as UTC)."""
    return _UTC_TIME.deserialize(_UTC_TIME.serialize(value))


def ttl_epoch(value: datetime) -> int:
    """A TTL attribute's stored value; ValueError for a naive time, as the model raises before any write."""
    return int(_TTL.serialize(value))


def validation_error(error_class: type[Exception], operation: str, message: str) -> Exception:
    """The PynamoDB error DynamoDB's ValidationException becomes (what callers test `cause_response_code` on)."""
    cause = ClientError({"Error": {"Code": "ValidationException", "Message": message}}, operation)
    return error_class(f"Failed to {operation}: {message}", cause)


def require_key(value: object, error_class: type[Exception], operation: str) -> None:
    """DynamoDB refuses an empty string as a key value (moto does for some operations only): raise the
    operation's PynamoDB error, as the real one does."""
    if not isinstance(value, str) or not value:
        raise validation_error(error_class, operation, "One or more parameter values are not valid. The "
                               "AttributeValue for a key attribute cannot contain an empty string value.")


def conditional_failure(error_class: type[Exception], operation: str) -> Exception:
    """The error a write raises when its condition fails: PynamoDB's type and `cause_response_code`, so
    `is_conditional_failure` tells it apart the same way."""
    cause = ClientError({"Error": {"Code": "ConditionalCheckFailedException",
                                   "Message": "The conditional request failed"}}, operation)
    return error_class("Failed to update item", cause=cause)
