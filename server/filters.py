"""Payload filters as the server understands them (evaluated by `PayloadIndex`).

A payload is a JSON object; nested objects are addressed with dotted paths ("size.width") and a
list matches when any of its elements does ("tags": ["a", "b"] equals "a"). Values are text,
numbers or booleans.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

Scalar = str | float | bool


# Kinds by exact type: payloads come from json.loads and filter values from protobuf, which
# make only these (bool has a key of its own, though it is also an int).
KINDS: dict[type, str] = {str: "text", bool: "bool", int: "number", float: "number"}


def kind_of(value: Scalar) -> str:
    return KINDS[type(value)]


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
class Contains:
    """The field holds a text with `text` in it (case-sensitive)."""

    field: str
    text: str
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


Condition = Equals | Range | Exists | Contains | HasId | Clause


def flatten(payload: dict, prefix: str = "") -> Iterator[tuple[str, Scalar]]:
    """(dotted field, scalar) pairs of a payload as json.loads gives it; lists give one pair per
    element. Exact type tests, scalars first: this runs for every value a space loads (a
    third of adding 100k shop payloads to the payload index went here, cProfile)."""
    for key, value in payload.items():
        path = prefix + key
        kind = type(value)
        if kind is list:
            for item in value:
                if type(item) is dict:
                    yield from flatten(item, path + ".")
                elif item is not None and type(item) is not list:
                    yield path, item
        elif kind is dict:
            yield from flatten(value, path + ".")
        elif value is not None:
            yield path, value
