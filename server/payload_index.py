"""The payload index: every payload field's values by row, in numpy arrays, for filters.

Each value a point holds in a field is one entry: its row and its value. Text and booleans are
stored as int32 codes (a text's number in one table of the distinct texts, `IdMap`; booleans as
two negative codes), numbers as doubles. An entry costs 12 bytes (16 for a number) and each
distinct text its UTF-8 bytes plus 12 to 27. The index this replaces kept a Python dict entry,
key tuple, str and array per distinct value: on 1M shop-like payloads (a unique title and URL
each) its RSS grew 692 MiB where this grows 224 (bench/payload_index.py). A condition scans its
field's entries (0.1 to 0.5 ms a million) rather than looking a posting list up: answers are
masks over all rows anyway.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence

import numpy as np

from semspace.server.columns import GrowingArray
from semspace.server.errors import InvalidArgument
from semspace.server.filters import (
    KINDS,
    Clause,
    Condition,
    Contains,
    Equals,
    Exists,
    HasId,
    Scalar,
    flatten,
    kind_of,
)
from semspace.server.id_map import IdMap

# Rows of point ids, -1 where an id is not in the space (IdMap.rows_of).
RowsOf = Callable[[Sequence[str]], np.ndarray]

# Codes of booleans; texts' codes count from 0.
FALSE_CODE = -1
TRUE_CODE = -2


def _bool_code(flag: Scalar) -> int:
    return TRUE_CODE if flag else FALSE_CODE


def _as_double(number: Scalar) -> float:
    """A payload number as the double filters compare; an integer past a double's range (Upsert
    refuses those, but older snapshots may hold one) as an infinity of its sign."""
    try:
        return float(number)
    except OverflowError:
        return math.inf if number > 0 else -math.inf


class _Entries:
    """(row, value) pairs of one field and kind, in the order written. While each row from 0 on
    holds exactly one (a brand, a price on every point: the common case, replaced points
    included, as they move to new rows), entry i is row i, and a test's hits are the mask
    itself: no gather and scatter (0.45 ms of a 0.5 ms test over 200k entries)."""

    def __init__(self, dtype: type) -> None:
        self.rows = GrowingArray(np.int64)
        self.values = GrowingArray(dtype)
        self.dense = True

    def add(self, rows: list[int], values: np.ndarray | list) -> None:
        start = self.rows.size
        self.rows.extend(rows)
        self.values.extend(values)
        if self.dense and rows:
            added = self.rows.view()[start:]
            self.dense = added[0] == start and bool((np.diff(added) == 1).all())

    def select(self, hits: np.ndarray, selected: np.ndarray) -> None:
        """Marks the rows of the entries `hits` picks (a mask over entries) in `selected`."""
        if self.dense:
            selected[: len(hits)] |= hits
        else:
            selected[self.rows.view()[hits]] = True

    @property
    def nbytes(self) -> int:
        return self.rows.nbytes + self.values.nbytes


class _Field:
    """One field's entries: codes for texts and booleans, doubles for numbers."""

    def __init__(self) -> None:
        self.coded = _Entries(np.int32)
        self.numbers = _Entries(np.float64)
        # (entries when counted, distinct codes, distinct numbers), for group_by.
        self._distinct: tuple[int, np.ndarray, np.ndarray] | None = None

    def distinct(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct codes and numbers held; counted again after writes (readers that count
        at once store equal answers)."""
        entries = self.coded.rows.size + self.numbers.rows.size
        if self._distinct is None or self._distinct[0] != entries:
            self._distinct = (
                entries,
                np.unique(self.coded.values.view()),
                np.unique(self.numbers.values.view()),
            )
        return self._distinct[1], self._distinct[2]

    @property
    def nbytes(self) -> int:
        return self.coded.nbytes + self.numbers.nbytes


def _any_equal(values: np.ndarray, wanted: list) -> np.ndarray:
    """Which of `values` are among `wanted`: a comparison each for a few (np.isin took 1.2 ms
    for one code over 200k entries, == 0.02)."""
    if len(wanted) > 8:
        return np.isin(values, wanted)
    hits = values == wanted[0]
    for value in wanted[1:]:
        hits |= values == value
    return hits


class PayloadIndex:
    """Each payload field's values by row (equality, ranges, presence) and the kinds they have."""

    def __init__(self, space: str) -> None:
        self.space = space
        self._fields: dict[str, _Field] = {}
        self._texts = IdMap()  # every distinct text value of every field, numbered
        self._kinds: dict[str, set[str]] = {}

    def add(self, rows: np.ndarray, payloads: Sequence[str]) -> None:
        if not any(payloads):
            # Most points carry no payload: 0.4 s of a 1M-point load went to parsing 'null's.
            return
        # One parse of all payloads as a JSON array: far fewer calls than one per payload.
        parsed = json.loads("[" + ",".join(text or "null" for text in payloads) + "]")
        # Per field, rows and values of each kind, stored a field at a time below.
        found: dict[tuple[str, str], tuple[list[int], list[Scalar]]] = {}
        for row, payload in zip(rows.tolist(), parsed, strict=True):
            if payload is None:
                continue
            for path, value in flatten(payload):
                # KINDS inline, not kind_of: a call a value shows in a 1M-payload load.
                key = (path, KINDS[type(value)])
                entries = found.get(key)
                if entries is None:
                    entries = found[key] = ([], [])
                entries[0].append(row)
                entries[1].append(value)
        for (path, kind), (entry_rows, values) in found.items():
            self._kinds.setdefault(path, set()).add(kind)
            field = self._fields.setdefault(path, _Field())
            if kind == "number":
                field.numbers.add(entry_rows, [_as_double(value) for value in values])
            elif kind == "bool":
                field.coded.add(entry_rows, [_bool_code(value) for value in values])
            else:
                field.coded.add(entry_rows, self._codes_adding(values))

    def _codes_adding(self, texts: list) -> np.ndarray:
        """The texts' codes, numbering those not seen before. Each distinct text is looked up
        once: a batch repeats a brand or a tag thousands of times, and every lookup that finds
        its text compares it in Python (0.5 s of 5 for 100k shop payloads, cProfile)."""
        distinct = list(dict.fromkeys(texts))
        codes = self._texts.rows_of(distinct)
        new = np.flatnonzero(codes < 0)
        if len(new):
            codes[new] = self._texts.append([distinct[i] for i in new])
        code_of = dict(zip(distinct, codes.tolist(), strict=True))
        return np.fromiter((code_of[text] for text in texts), dtype=np.int32, count=len(texts))

    @property
    def nbytes(self) -> int:
        return self._texts.nbytes + sum(field.nbytes for field in self._fields.values())

    def values_up_to(self, path: str, most: int) -> list[Scalar] | None:
        """Every value the field has held (numbers as doubles), deleted points' included, if
        there are at most `most` of them; None if more."""
        field = self._fields.get(path)
        if field is None:
            return []
        codes, numbers = field.distinct()
        if len(codes) + len(numbers) > most:
            return None
        flags = [code == TRUE_CODE for code in codes[codes < 0].tolist()]
        return [*self._texts.ids_at(codes[codes >= 0]), *flags, *numbers.tolist()]

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
        selected = np.zeros(size, dtype=bool)
        if isinstance(condition, HasId):
            rows = rows_of(condition.ids)
            selected[rows[rows >= 0]] = True
            return selected
        kinds = self.field_kinds(condition.field, condition.where)
        field = self._fields.get(condition.field, _Field())
        if isinstance(condition, Exists):
            for entries in (field.coded, field.numbers):
                entries.select(np.ones(entries.rows.size, dtype=bool), selected)
            return selected if condition.present else ~selected
        if isinstance(condition, Equals):
            self._equals(condition, kinds, field, selected)
            return selected
        if isinstance(condition, Contains):
            if "text" not in kinds:
                raise InvalidArgument(
                    f"{condition.where}: contains needs text, but field '{condition.field}' "
                    f"holds {'/'.join(sorted(kinds))} values in space '{self.space}'"
                )
            # Texts of every field share the table: codes of other fields' texts hit nothing.
            codes = self._texts.rows_containing(condition.text)
            field.coded.select(np.isin(field.coded.values.view(), codes), selected)
            return selected
        if "number" not in kinds:
            raise InvalidArgument(
                f"{condition.where}: a range needs numbers, but field '{condition.field}' holds "
                f"{'/'.join(sorted(kinds))} values in space '{self.space}'"
            )
        values = field.numbers.values.view()
        keep = np.ones(len(values), dtype=bool)
        for bound, test in (
            (condition.gt, np.greater),
            (condition.gte, np.greater_equal),
            (condition.lt, np.less),
            (condition.lte, np.less_equal),
        ):
            if bound is not None:
                keep &= test(values, bound)
        field.numbers.select(keep, selected)
        return selected

    def _equals(
        self, condition: Equals, kinds: set[str], field: _Field, selected: np.ndarray
    ) -> None:
        codes, numbers = [], []
        for value in condition.values:
            kind = kind_of(value)
            if kind not in kinds:
                raise InvalidArgument(
                    f"{condition.where}: field '{condition.field}' holds "
                    f"{'/'.join(sorted(kinds))} values in space '{self.space}', "
                    f"not {kind} ({value!r})"
                )
            if kind == "number":
                numbers.append(_as_double(value))
            elif kind == "bool":
                codes.append(_bool_code(value))
            else:
                code = self._texts.row_of(str(value))
                if code is not None:  # a text no point ever held matches nothing
                    codes.append(code)
        if codes:
            field.coded.select(_any_equal(field.coded.values.view(), codes), selected)
        if numbers:
            field.numbers.select(_any_equal(field.numbers.values.view(), numbers), selected)

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

    def field_kinds(self, path: str, where: str) -> set[str]:
        kinds = self._kinds.get(path)
        if kinds is None:
            known = ", ".join(sorted(self._kinds)[:20]) or "none: no point has a payload"
            raise InvalidArgument(
                f"{where}: no payload in space '{self.space}' has field '{path}' (fields: {known})"
            )
        return kinds
