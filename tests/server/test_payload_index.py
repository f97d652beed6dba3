"""The payload index against a plain Python reading of the same payloads, over random payloads
and conditions, written in batches as a space writes them."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from semspace.server.errors import InvalidArgument
from semspace.server.filters import Clause, Contains, Equals, Exists, HasId, Range, flatten
from semspace.server.payload_index import PayloadIndex

TEXTS = ["red", "green", "", "ünï", "red ", "gold"]
FIELDS = ["colour", "price", "flag", "tags", "size.width"]


def random_value(rng: random.Random) -> object:
    return rng.choice(
        [
            rng.choice(TEXTS),
            float(rng.randint(0, 9)),
            rng.randint(0, 9),
            rng.random() < 0.5,
            None,
            [],
            [rng.choice(TEXTS), rng.randint(0, 9)],
        ]
    )


def random_payload(rng: random.Random) -> dict | None:
    if rng.random() < 0.1:
        return None
    payload: dict = {}
    for field in FIELDS[:4]:
        if rng.random() < 0.7:
            payload[field] = random_value(rng)
    if rng.random() < 0.5:
        payload["size"] = {"width": random_value(rng)}
    return payload


def held(payload: dict | None, field: str) -> list:
    return [value for path, value in flatten(payload or {}) if path == field]


def same(a: object, b: object) -> bool:
    """Equality as filters mean it: booleans are not numbers."""
    return isinstance(a, bool) == isinstance(b, bool) and a == b


def reference(condition, payloads: list, ids: list[str]) -> np.ndarray:
    if isinstance(condition, Clause):
        selected = np.ones(len(payloads), dtype=bool)
        for c in condition.must:
            selected &= reference(c, payloads, ids)
        if condition.should:
            selected &= np.any([reference(c, payloads, ids) for c in condition.should], axis=0)
        for c in condition.must_not:
            selected &= ~reference(c, payloads, ids)
        return selected
    if isinstance(condition, HasId):
        return np.array([i in condition.ids for i in ids])
    values = [held(p, condition.field) for p in payloads]
    if isinstance(condition, Exists):
        return np.array([bool(v) == condition.present for v in values])
    if isinstance(condition, Contains):
        found = [any(isinstance(x, str) and condition.text in x for x in v) for v in values]
        return np.array(found)
    if isinstance(condition, Equals):
        return np.array([any(same(x, w) for x in v for w in condition.values) for v in values])
    bounds = [
        (condition.gt, lambda x, b: x > b),
        (condition.gte, lambda x, b: x >= b),
        (condition.lt, lambda x, b: x < b),
        (condition.lte, lambda x, b: x <= b),
    ]
    return np.array(
        [
            any(
                isinstance(x, int | float)
                and not isinstance(x, bool)
                and all(b is None or test(x, b) for b, test in bounds)
                for x in v
            )
            for v in values
        ]
    )


def random_condition(rng: random.Random, depth: int = 0):
    choice = rng.randint(-1, 5 if depth < 2 else 3)
    field = rng.choice(FIELDS)
    if choice == -1:
        return Contains(field, rng.choice(["re", "d", "ü", "ed ", "dg", "r"]), "w")
    if choice == 0:
        return Exists(field, rng.random() < 0.5, "w")
    if choice == 1:
        pool = rng.choice([[*TEXTS, "never"], [True, False], [2, 3.0, 4, 11]])
        values = tuple(rng.choice(pool) for _ in range(rng.randint(1, 3)))
        return Equals(field, values, "w")
    if choice == 2:
        return Range("price", float(rng.randint(0, 5)), None, None, float(rng.randint(4, 9)), "w")
    if choice == 3:
        return HasId(tuple(f"p{rng.randint(0, 400)}" for _ in range(20)), "w")
    parts = tuple(random_condition(rng, depth + 1) for _ in range(rng.randint(1, 3)))
    group = rng.choice(["must", "should", "must_not"])
    return Clause(**{group: parts}, where="w")


def test_masks_equal_a_python_reading_of_the_payloads() -> None:
    rng = random.Random(0)
    payloads = [random_payload(rng) for _ in range(400)]
    ids = [f"p{i}" for i in range(400)]
    index = PayloadIndex("s")
    for start in range(0, 400, 57):
        batch = payloads[start : start + 57]
        texts = ["" if p is None else json.dumps(p) for p in batch]
        index.add(np.arange(start, start + len(batch)), texts)

    def rows_of(names) -> np.ndarray:
        return np.array([ids.index(n) if n in ids else -1 for n in names], dtype=np.int64)

    checked = 0
    for _ in range(300):
        condition = random_condition(rng)
        try:
            mask = index.mask(condition, 400, rows_of)
        except InvalidArgument:
            continue  # a kind the field never held, e.g. text equality on a numbers-only field
        np.testing.assert_array_equal(mask, reference(condition, payloads, ids), str(condition))
        checked += 1
    assert checked > 200


def test_values_up_to_lists_each_distinct_value_once() -> None:
    index = PayloadIndex("s")
    payloads = [{"v": "a"}, {"v": ["b", "a", 2]}, {"v": True}, {"v": 2.0}, {"v": False}]
    index.add(np.arange(5), [json.dumps(p) for p in payloads])
    values = index.values_up_to("v", 5)
    assert values is not None and len(values) == 5
    assert {json.dumps(v) for v in values} == {'"a"', '"b"', "true", "false", "2.0"}
    assert index.values_up_to("v", 4) is None
    assert index.values_up_to("absent", 3) == []


def test_a_text_value_no_point_held_matches_nothing() -> None:
    index = PayloadIndex("s")
    index.add(np.arange(2), ['{"c": "red"}', '{"c": "blue"}'])
    mask = index.mask(Equals("c", ("green",), "w"), 2, lambda names: np.full(len(names), -1))
    assert not mask.any()
    with pytest.raises(InvalidArgument, match="holds text values"):
        index.mask(Equals("c", (3,), "w"), 2, lambda names: np.full(len(names), -1))


def test_fields_every_row_holds_once_answer_as_the_rest_then_after_a_gap() -> None:
    """While each row holds a field once, entry i is row i and hits are the mask itself; a
    point without the field, or with a list, ends that, and answers must not change."""
    payloads: list = [{"brand": f"b{i % 3}", "price": float(i % 7)} for i in range(50)]
    index = PayloadIndex("s")
    index.add(np.arange(50), [json.dumps(p) for p in payloads])
    conditions = [
        Equals("brand", ("b1",), "w"),
        Equals("brand", ("b0", "b2"), "w"),
        Equals("price", (3,), "w"),
        Range("price", 2.0, None, None, 5.0, "w"),
        Exists("brand", True, "w"),
        Exists("price", False, "w"),
    ]

    def check(size: int) -> None:
        for condition in conditions:
            mask = index.mask(condition, size, lambda names: np.full(len(names), -1))
            np.testing.assert_array_equal(mask, reference(condition, payloads, []), condition)

    check(50)
    later = [{"price": 3.0}, {"brand": ["b1", "b2"], "price": [1, 4]}, None, {"brand": "b0"}]
    payloads += later
    index.add(np.arange(50, 54), ["" if p is None else json.dumps(p) for p in later])
    check(54)


def test_contains_finds_substrings_within_one_text_only() -> None:
    index = PayloadIndex("s")
    texts = ['{"t": "ab"}', '{"t": "cd", "u": "xbcx"}', '{"t": ["", "bcbc"]}', '{"t": 1}']
    index.add(np.arange(4), texts)

    def rows(field: str, needle: str) -> list[int]:
        mask = index.mask(Contains(field, needle, "w"), 4, lambda names: np.full(len(names), -1))
        return np.flatnonzero(mask).tolist()

    assert rows("t", "bc") == [2]  # "ab" + "cd" meet as "abcd" in the table, not in a text
    assert rows("u", "bc") == [1]
    assert rows("t", "b") == [0, 2]
    assert rows("t", "zz") == []
