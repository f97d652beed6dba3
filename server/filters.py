"""Payload filters as the server understands them (evaluated by `PayloadIndex`).

A payload is a JSON object; nested objects are addressed with dotted paths ("size.width") and a
list matches when any of its elements does ("tags": ["a", "b"] equals "a"). Values are text,
numbers or booleans.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

Scalar = str | float | bool


def kind_of(value: Scalar) -> str:
    # bool first: in Python it is also an int.
    if isinstance(value, bool):
        return "bool"
    return "number" if isinstance(value, int | float) else "text"


@dataclass(frozen=True)
class Equals:
    """The field holds one of `values` (one value: equality; several: in-set)."""

    field: str
    values: tuple[Scalar, ...]
    where: str


@dataclass(frozen=True)
class Range:
    """The field holds a number within the bounds given (None: unbounded)."""

    field: str
    gt: float | None
    gte: float | None
    lt: float | None
    lte: float | None
    where: str


@dataclass(frozen=True)
class Exists:
    """The field holds at least one value (`present`), or none: absent, null or an empty list."""

    field: str
    present: bool
    where: str


@dataclass(frozen=True)
class HasId:
    """The point's id is one of `ids`."""

    ids: tuple[str, ...]
    where: str


@dataclass(frozen=True)
class Clause:
    """All of `must`, at least one of `should` (when any), none of `must_not`."""

    must: tuple[Condition, ...] = ()
    should: tuple[Condition, ...] = ()
    must_not: tuple[Condition, ...] = ()
    where: str = "filter"


Condition = Equals | Range | Exists | HasId | Clause


def flatten(payload: dict, prefix: str = "") -> Iterator[tuple[str, Scalar]]:
    """(dotted field, scalar) pairs of a payload; lists give one pair per element."""
    for key, value in payload.items():
        path = f"{prefix}{key}"
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict):
                yield from flatten(item, f"{path}.")
            elif item is not None and not isinstance(item, list):
                yield path, item
