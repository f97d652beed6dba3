"""Payload filters as the server understands them, and their evaluation to a mask over rows.

A payload is a JSON object; nested objects are addressed with dotted paths ("size.width") and a
list matches when any of its elements does ("tags": ["a", "b"] equals "a"). Values are text,
numbers or booleans. The index keeps, per field, the rows holding each value and the numbers
it holds as arrays, so a filter costs a few numpy operations, not a pass over the payloads.
"""

from __future__ import annotations

import json
import math
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from semspace.server.errors import InvalidArgument

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
# Rows of point ids, -1 where an id is not in the space (IdMap.rows_of).
RowsOf = Callable[[Sequence[str]], np.ndarray]


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


def _key(value: Scalar) -> tuple[str, Scalar]:
    kind = kind_of(value)
    return kind, _as_double(value) if kind == "number" else value


def _as_double(number: Scalar) -> float:
    """A payload number as the double filters compare; an integer past a double's range (Upsert
    refuses those, but older snapshots may hold one) as an infinity of its sign."""
    try:
        return float(number)
    except OverflowError:
        return math.inf if number > 0 else -math.inf


# Rows and numbers are kept in `array`s: 8 bytes an entry, where a list of Python ints or
# floats costs 32-36.
def _rows() -> array:
    return array("q")


def _as_rows(rows: array) -> np.ndarray:
    """A transient view: an `array` exporting its buffer cannot grow, so never keep it."""
    return np.frombuffer(rows, dtype=np.int64)


@dataclass
class _Numbers:
    rows: array = field(default_factory=_rows)
    values: array = field(default_factory=lambda: array("d"))
    arrays: tuple[np.ndarray, np.ndarray] | None = None

    def as_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        # Copied on first use after a write; concurrent readers may both build it, harmlessly.
        arrays = self.arrays
        if arrays is None or len(arrays[0]) != len(self.rows):
            arrays = (np.array(self.rows, dtype=np.int64), np.array(self.values, dtype=np.float64))
            self.arrays = arrays
        return arrays


class PayloadIndex:
    """Rows by field value (equality) and by number (ranges), for every payload field seen."""

    def __init__(self, space: str) -> None:
        self.space = space
        self._rows_by_value: dict[str, dict[tuple[str, Scalar], array]] = {}
        self._numbers: dict[str, _Numbers] = {}
        # The rows holding a value in a field, for `Exists`: built from the field's value lists
        # when a filter first names it, then kept up to date by `add`. Only fields tested so pay
        # for it (8 bytes a point; every field at once added 46% to a payload index).
        self._rows_with_field: dict[str, array] = {}
        self._kinds: dict[str, set[str]] = {}

    def add(self, rows: np.ndarray, payloads: Sequence[str]) -> None:
        if not any(payloads):
            # Most points carry no payload: 0.4 s of a 1M-point load went to parsing 'null's.
            return
        # One parse of all payloads as a JSON array: far fewer calls than one per payload.
        parsed = json.loads("[" + ",".join(text or "null" for text in payloads) + "]")
        for row, payload in zip(rows.tolist(), parsed, strict=True):
            if payload is None:
                continue
            pairs = list(flatten(payload))
            if self._rows_with_field:
                for path in {path for path, _ in pairs}.intersection(self._rows_with_field):
                    self._rows_with_field[path].append(row)
            for path, value in pairs:
                key = _key(value)
                self._kinds.setdefault(path, set()).add(key[0])
                self._rows_by_value.setdefault(path, {}).setdefault(key, _rows()).append(row)
                if key[0] == "number":
                    numbers = self._numbers.setdefault(path, _Numbers())
                    numbers.rows.append(row)
                    numbers.values.append(float(key[1]))

    @property
    def nbytes(self) -> int:
        rows = sum(
            len(rows) for by_value in self._rows_by_value.values() for rows in by_value.values()
        )
        numbers = sum(len(numbers.rows) for numbers in self._numbers.values())
        fields = sum(len(rows) for rows in self._rows_with_field.values())
        return 8 * rows + 16 * numbers + 8 * fields

    def values(self, path: str) -> list[Scalar]:
        """Every value the field has held (numbers as doubles), deleted points' included."""
        return [value for _, value in self._rows_by_value.get(path, {})]

    def schema(self) -> dict[str, list[str]]:
        """Each field seen and the kinds of value it held."""
        return {path: sorted(kinds) for path, kinds in sorted(self._kinds.items())}

    def remember(self, schema: dict[str, list[str]]) -> None:
        """Fields (and kinds) that points held before, known to filters though no row has them."""
        for path, kinds in schema.items():
            self._kinds.setdefault(path, set()).update(kinds)

    def mask(self, condition: Condition, size: int, rows_of: RowsOf) -> np.ndarray:
        """Rows (of `size`) whose payload satisfies the condition; dead rows are not excluded.
        `rows_of` finds the rows of ids for `HasId`."""
        if isinstance(condition, Clause):
            return self._clause(condition, size, rows_of)
        if isinstance(condition, HasId):
            rows = rows_of(condition.ids)
            selected = np.zeros(size, dtype=bool)
            selected[rows[rows >= 0]] = True
            return selected
        kinds = self.field_kinds(condition.field, condition.where)
        selected = np.zeros(size, dtype=bool)
        if isinstance(condition, Exists):
            selected[self._rows_holding(condition.field)] = True
            return selected if condition.present else ~selected
        if isinstance(condition, Equals):
            by_value = self._rows_by_value.get(condition.field, {})
            for value in condition.values:
                if kind_of(value) not in kinds:
                    raise InvalidArgument(
                        f"{condition.where}: field '{condition.field}' holds "
                        f"{'/'.join(sorted(kinds))} values in space '{self.space}', "
                        f"not {kind_of(value)} ({value!r})"
                    )
                rows = by_value.get(_key(value))
                if rows is not None:
                    selected[_as_rows(rows)] = True
            return selected
        if "number" not in kinds:
            raise InvalidArgument(
                f"{condition.where}: a range needs numbers, but field '{condition.field}' holds "
                f"{'/'.join(sorted(kinds))} values in space '{self.space}'"
            )
        rows, values = self._numbers.get(condition.field, _Numbers()).as_arrays()
        keep = np.ones(len(rows), dtype=bool)
        for bound, test in (
            (condition.gt, np.greater),
            (condition.gte, np.greater_equal),
            (condition.lt, np.less),
            (condition.lte, np.less_equal),
        ):
            if bound is not None:
                keep &= test(values, bound)
        selected[rows[keep]] = True
        return selected

    def _clause(self, clause: Clause, size: int, rows_of: RowsOf) -> np.ndarray:
        selected = np.ones(size, dtype=bool)
        for condition in clause.must:
            selected &= self.mask(condition, size, rows_of)
        if clause.should:
            any_of = np.zeros(size, dtype=bool)
            for condition in clause.should:
                any_of |= self.mask(condition, size, rows_of)
            selected &= any_of
        for condition in clause.must_not:
            selected &= ~self.mask(condition, size, rows_of)
        return selected

    def _rows_holding(self, path: str) -> np.ndarray:
        rows = self._rows_with_field.get(path)
        if rows is None:
            # Readers may build it at once (writers wait for them): the copies are equal.
            lists = [_as_rows(rows) for rows in self._rows_by_value.get(path, {}).values()]
            rows = _rows()
            if lists:
                rows.frombytes(np.unique(np.concatenate(lists)).tobytes())
            self._rows_with_field[path] = rows
        return _as_rows(rows)

    def field_kinds(self, path: str, where: str) -> set[str]:
        kinds = self._kinds.get(path)
        if kinds is None:
            known = ", ".join(sorted(self._kinds)[:20]) or "none: no point has a payload"
            raise InvalidArgument(
                f"{where}: no payload in space '{self.space}' has field '{path}' (fields: {known})"
            )
        return kinds
