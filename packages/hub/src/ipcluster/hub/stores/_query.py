"""MongoDB-style queries: checked once for every backend, evaluated here for those without a query language.

A query maps record keys to a value (equality) or to a dict of operators,
all of which must hold: ``{'completed': {'$ne': None}, 'engine_id': {'$in': [0, 1]}}``.
As in MongoDB, None equals only None and orders against nothing.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

from ipcluster.hub.stores._base import BUFFER_KEYS, RECORD_KEYS, Query, QueryError, Record

COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "$lt": operator.lt,
    "$lte": operator.le,
    "$gt": operator.gt,
    "$gte": operator.ge,
}
OPERATORS = ("$eq", "$ne", *COMPARISONS, "$in", "$nin")


def check_query(query: Any) -> None:
    """Raise QueryError naming the first thing wrong with `query`."""
    if not isinstance(query, dict):
        raise QueryError(f"a query is a dict such as {{'completed': None}}, not {type(query).__name__}")
    for key, condition in query.items():
        _check_key(key)
        if key in BUFFER_KEYS:
            raise QueryError(f"{key!r} holds binary buffers and cannot be queried")
        if not is_operators(condition):
            continue
        for name, argument in condition.items():
            if name not in OPERATORS:
                raise QueryError(f"unknown operator {name!r} on {key!r}: use one of {', '.join(OPERATORS)}")
            if name in ("$in", "$nin") and not isinstance(argument, list | tuple):
                raise QueryError(f"{name} on {key!r} takes a list, not {type(argument).__name__}")


def check_keys(keys: Sequence[str] | None) -> None:
    if keys is None:
        return
    if isinstance(keys, str) or not isinstance(keys, list | tuple):
        raise QueryError(f"keys is a list of record keys, not {keys!r}")
    for key in keys:
        _check_key(key)


def _check_key(key: Any) -> None:
    if key not in RECORD_KEYS:
        raise QueryError(f"unknown record key {key!r}: records have {', '.join(RECORD_KEYS)}")


def is_operators(condition: Any) -> bool:
    return isinstance(condition, dict) and any(str(name).startswith("$") for name in condition)


def named_ids(query: Query) -> list[str] | None:
    """The msg_ids a query is limited to (``{'msg_id': id}`` or ``{'msg_id': {'$in': ids}}``), so a store
    without indexes can look those up instead of scanning every record; None when it names none."""
    condition = query.get("msg_id")
    if isinstance(condition, str):
        return [condition]
    if isinstance(condition, dict) and isinstance(condition.get("$in"), list | tuple):
        return [msg_id for msg_id in dict.fromkeys(condition["$in"]) if isinstance(msg_id, str)]
    return None


def matches(record: Record, query: Query) -> bool:
    """Whether `record` satisfies every condition of a checked query."""
    for key, condition in query.items():
        value = record.get(key)
        if not is_operators(condition):
            if value != condition:
                return False
            continue
        for name, argument in condition.items():
            if not _holds(name, value, argument):
                return False
    return True


def _holds(name: str, value: Any, argument: Any) -> bool:
    if name == "$eq":
        return bool(value == argument)
    if name == "$ne":
        return bool(value != argument)
    if name == "$in":
        return value in argument
    if name == "$nin":
        return value not in argument
    if value is None or argument is None:
        return False
    try:
        return COMPARISONS[name](value, argument)
    except TypeError:  # a string against a number: MongoDB compares types apart, so nothing matches
        return False


def project(record: Record, keys: Sequence[str] | None) -> Record:
    """The asked-for fields of a record, msg_id always among them."""
    if keys is None:
        return dict(record)
    return {"msg_id": record["msg_id"], **{key: record[key] for key in keys}}
