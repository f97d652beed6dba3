"""Random writes and reads on every index type, each answer checked against a numpy model of the
space: upserts that replace, payloads set, deletes by id and by filter (mass ones force rebuilds),
searches by vector and by id with filters, exclusions, knobs and exact scans, gets, scrolls,
counts, and restarts from the log and from snapshots. Searches by an approximate index are held to
what any answer must be: k points when k match, only matching live points, their true scores, best
first."""

from __future__ import annotations

import operator
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pytest

from semspace.client import Client, InvalidArgumentError, NotFoundError
from semspace.client.types import Neighbors
from semspace.server.app import SemspaceServer

DIM = 8
STEPS = 250
LABELS = ["shirt", "shoe", "bag", "hat", "coat"]
TAGS = ["sale", "new", "eco", "old"]
# name -> (index, metric, params, seed). Small nlist so that a few hundred points train IVF;
# nprobe 1 and m 4 give approximate answers that often come back short.
SETUPS = {
    "flat-cosine": ("flat", "cosine", {}, 1),
    "hnsw-ip": ("hnsw", "ip", {"m": 4}, 2),
    "hnsw-l2-float16": ("hnsw", "l2", {"m": 8, "vector_bits": 16}, 3),
    "ivf_flat-l2": ("ivf_flat", "l2", {"nlist": 4, "nprobe": 1}, 4),
    "ivf_pq-cosine": ("ivf_pq", "cosine", {"nlist": 4, "nprobe": 2, "pq_m": 4, "pq_bits": 4}, 5),
}
# Per-request effort, sometimes lower than the space's default.
KNOBS = {"hnsw": {"ef_search": 16}, "ivf_flat": {"nprobe": 2}, "ivf_pq": {"nprobe": 1}}


def random_payload(rng: random.Random) -> dict | None:
    if rng.random() < 0.15:
        return None
    candidates = {
        "label": lambda: rng.choice(LABELS),
        "tags": lambda: rng.sample(TAGS, rng.randint(0, 3)),
        "price": lambda: rng.choice([rng.randint(0, 100), round(rng.uniform(0, 100), 2)]),
        "size": lambda: {"w": rng.randint(1, 5)},
        "flag": lambda: rng.random() < 0.5,
    }
    return {key: make() for key, make in candidates.items() if rng.random() < 0.6}


def random_filter(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    for _ in range(rng.randint(1, 2)):
        pick = rng.random()
        if pick < 0.25:
            spec["label"] = rng.choice(LABELS)
        elif pick < 0.4:
            spec["tags"] = rng.sample(TAGS, rng.randint(1, 2))
        elif pick < 0.6:
            low = rng.uniform(0, 100)
            spec["price"] = rng.choice([{"gte": low}, {"lt": low}, {"gt": low, "lte": low + 20}])
        elif pick < 0.7:
            spec["size.w"] = rng.randint(1, 5)
        elif pick < 0.75:
            spec["flag"] = rng.random() < 0.5
        elif pick < 0.87 and depth < 2:
            spec["$or"] = [random_filter(rng, depth + 1) for _ in range(rng.randint(1, 3))]
        elif depth < 2:
            spec["$not"] = random_filter(rng, depth + 1)
    return spec


def flattened(payload: dict | None, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted field, scalar) pairs; a list gives one pair per element."""
    for key, value in (payload or {}).items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                yield from flattened(item, f"{prefix}{key}.")
            else:
                yield f"{prefix}{key}", item


def same_value(held: Any, wanted: Any) -> bool:
    # Booleans are their own kind, not the numbers 0 and 1.
    return isinstance(held, bool) == isinstance(wanted, bool) and held == wanted


def in_range(value: Any, bounds: dict[str, float]) -> bool:
    tests = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return all(tests[op](float(value), bound) for op, bound in bounds.items())


def matches(payload: dict | None, spec: dict[str, Any]) -> bool:
    held = list(flattened(payload))
    for key, test in spec.items():
        if key == "$or":
            ok = any(matches(payload, option) for option in test)
        elif key == "$not":
            ok = not matches(payload, test)
        else:
            values = [value for path, value in held if path == key]
            if isinstance(test, dict):
                ok = any(in_range(value, test) for value in values)
            else:
                wanted = test if isinstance(test, list) else [test]
                ok = any(same_value(v, w) for v in values for w in wanted)
        if not ok:
            return False
    return True


def fields_of(spec: dict[str, Any]) -> set[str]:
    found = set()
    for key, test in spec.items():
        if key == "$or":
            found |= set().union(*(fields_of(option) for option in test))
        elif key == "$not":
            found |= fields_of(test)
        else:
            found.add(key)
    return found


@dataclass
class Model:
    """What the space should hold, as the space stores it (unit length under cosine, float16
    values for `vector_bits` 16)."""

    metric: str
    half: bool
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    payloads: dict[str, dict | None] = field(default_factory=dict)
    # Every payload field written since the space was created: filters on others are refused.
    fields_ever: set[str] = field(default_factory=set)

    def stored(self, vector: np.ndarray) -> np.ndarray:
        if self.metric == "cosine":
            vector = vector / np.linalg.norm(vector)
        return vector.astype(np.float16).astype(np.float32) if self.half else vector

    def matching(self, where: dict[str, Any] | None) -> set[str]:
        return {i for i, p in self.payloads.items() if where is None or matches(p, where)}

    def scores(self, query: np.ndarray) -> dict[str, float]:
        if self.metric == "cosine":
            query = query / np.linalg.norm(query)
        ids = list(self.vectors)
        matrix = np.stack([self.vectors[i] for i in ids])
        if self.metric == "l2":
            values = np.sqrt(((matrix - query) ** 2).sum(axis=1))
        else:
            values = matrix @ query
        return dict(zip(ids, values.tolist(), strict=True))

    def refuses(self, where: dict[str, Any] | None) -> bool:
        """Whether the server must refuse the filter: it names a field no point ever held."""
        return where is not None and bool(fields_of(where) - self.fields_ever)


def check_answer(
    model: Model, found: Neighbors, query: np.ndarray, k: int, allowed: set[str], exact: bool
) -> None:
    assert len(found.ids) == min(k, len(allowed))
    assert len(set(found.ids)) == len(found.ids) and set(found.ids) <= allowed
    truth = model.scores(query)
    assert found.scores == pytest.approx([truth[i] for i in found.ids], rel=1e-4, abs=1e-4)
    sign = 1 if model.metric == "l2" else -1  # L2: distances, lowest first
    assert (np.diff(sign * found.scores) >= -1e-5).all()
    if exact and found.ids:
        kth_best = sorted(sign * truth[i] for i in allowed)[len(found.ids) - 1]
        assert (sign * found.scores <= kth_best + 1e-4).all()
    assert found.payloads == [model.payloads[i] for i in found.ids]
    if found.ids:
        assert np.allclose(found.vectors, [model.vectors[i] for i in found.ids], atol=1e-6)


class Run:
    """One space driven by random operations, with the model beside it."""

    def __init__(self, start: Callable[..., SemspaceServer], setup: str) -> None:
        kind, metric, params, seed = SETUPS[setup]
        self.kind, self.start = kind, start
        self.rng, self.numbers = random.Random(seed), np.random.default_rng(seed)
        self.model = Model(metric, half=params.get("vector_bits") == 16)
        self.next_id = 0
        self.server: SemspaceServer | None = None
        self.client = self.connect()
        self.client.create_space("s", DIM, metric, index=kind, index_params=params)

    def connect(self) -> Client:
        # Snapshots after a few writes, and filters through the index as well as by scan.
        self.server = self.start(
            fsync_writes=False,
            wal_compact_bytes=self.rng.choice([2048, 1 << 26]),
            filter_exact_scan_points=self.rng.choice([0, 8192]),
        )
        return Client(self.server.address, timeout=60)

    def restart(self) -> None:
        self.client.close()
        self.server.stop(0)
        self.client = self.connect()

    def upsert(self) -> set[str]:
        live = list(self.model.vectors)
        size = self.rng.choice([1, 10, 40, 200])
        ids = list(
            dict.fromkeys(
                self.rng.choice(live) if live and self.rng.random() < 0.3 else self.new_id()
                for _ in range(size)
            )
        )
        vectors = self.numbers.standard_normal((len(ids), DIM)).astype(np.float32)
        payloads = [random_payload(self.rng) for _ in ids]
        inserted = sum(i not in self.model.vectors for i in ids)
        result = self.client.upsert("s", ids, vectors, payloads)
        for point_id, vector, payload in zip(ids, vectors, payloads, strict=True):
            self.model.vectors[point_id] = self.model.stored(vector)
            self.model.payloads[point_id] = payload
            self.model.fields_ever |= {path for path, _ in flattened(payload)}
        assert (result.inserted, result.updated) == (inserted, len(ids) - inserted)
        assert result.count == len(self.model.vectors)
        return set(ids)

    def new_id(self) -> str:
        self.next_id += 1
        return f"p{self.next_id}"

    def delete(self) -> set[str]:
        if self.rng.random() < 0.2:
            return self.delete_matching()
        live = list(self.model.vectors)
        if len(live) > 50 and self.rng.random() < 0.3:
            ids = self.rng.sample(live, len(live) // 2)  # dead rows pile up: rebuilds
        else:
            ids = [*self.rng.sample(live, min(len(live), self.rng.randint(0, 20))), "missing"]
        result = self.client.delete("s", ids)
        gone = [i for i in ids if i in self.model.vectors]
        assert result.deleted == len(gone)
        assert result.missing_ids == [i for i in ids if i not in self.model.vectors]
        for point_id in gone:
            del self.model.vectors[point_id], self.model.payloads[point_id]
        return set(gone)

    def delete_matching(self) -> set[str]:
        where = random_filter(self.rng)
        if self.model.refuses(where):
            with pytest.raises(InvalidArgumentError, match="has field"):
                self.client.delete("s", where=where)
            return set()
        gone = self.model.matching(where)
        result = self.client.delete("s", where=where)
        assert (result.deleted, result.missing_ids) == (len(gone), [])
        for point_id in gone:
            del self.model.vectors[point_id], self.model.payloads[point_id]
        assert result.count == len(self.model.vectors)
        return gone

    def set_payloads(self) -> set[str]:
        live = list(self.model.vectors)
        ids = self.rng.sample(live, min(len(live), self.rng.randint(1, 20)))
        payloads = [random_payload(self.rng) for _ in ids]
        if not ids or self.rng.random() < 0.1:  # one id missing: nothing may change
            with pytest.raises(NotFoundError, match="not in space"):
                self.client.set_payloads("s", [*ids, "missing"], [*payloads, None])
            return set()
        assert self.client.set_payloads("s", ids, payloads) == len(ids)
        for point_id, payload in zip(ids, payloads, strict=True):
            self.model.payloads[point_id] = payload
            self.model.fields_ever |= {path for path, _ in flattened(payload)}
        return set(ids)

    def search(self) -> None:
        live = list(self.model.vectors)
        if not live:
            return
        k = self.rng.choice([1, 5, 10, 50])
        where = random_filter(self.rng) if self.rng.random() < 0.6 else None
        scan = self.rng.random() < 0.3
        excluded = self.rng.sample(live, min(len(live), self.rng.randint(0, 3)))
        by_id = self.rng.random() < 0.25
        query_id = self.rng.choice(live) if by_id else None
        vector = self.numbers.standard_normal(DIM).astype(np.float32)
        query = self.model.vectors[query_id] if query_id else vector
        knobs = KNOBS.get(self.kind, {}) if self.rng.random() < 0.3 else {}
        search = partial(
            self.client.search,
            "s",
            query_id or vector,
            k,
            where=where,
            exact=scan,
            exclude_ids=excluded,
            with_payloads=True,
            with_vectors=True,
            **knobs,
        )
        if self.model.refuses(where):
            with pytest.raises(InvalidArgumentError, match="has field"):
                search()
            return
        found = search()
        allowed = self.model.matching(where) - set(excluded) - {query_id}
        check_answer(self.model, found, query, k, allowed, scan or self.kind == "flat")

    def arithmetic(self) -> None:
        """3CosAdd: the nearest points to a + b - c, the three inputs left out."""
        live = list(self.model.vectors)
        if len(live) < 3:
            return
        a, b, c = self.rng.sample(live, 3)
        k = self.rng.choice([1, 10, 50])
        found = self.client.arithmetic(
            "s", [a, b], [c], k, with_vectors=True, with_payloads=True
        ).neighbors
        query = self.model.vectors[a] + self.model.vectors[b] - self.model.vectors[c]
        allowed = set(live) - {a, b, c}
        check_answer(self.model, found, query, k, allowed, self.kind == "flat")

    def get(self) -> None:
        live = list(self.model.vectors)
        if not live:
            return
        ids = self.rng.sample(live, min(len(live), self.rng.randint(1, 10)))
        points = self.client.get("s", ids, with_payloads=True)
        assert points.ids == ids
        assert np.allclose(points.vectors, [self.model.vectors[i] for i in ids], atol=1e-6)
        assert points.payloads == [self.model.payloads[i] for i in ids]
        with pytest.raises(NotFoundError, match="missing"):
            self.client.get("s", [*ids, "missing"])

    def scroll(self) -> None:
        """Every page of a scroll, with writes between some pages: each point no write touched
        comes exactly once; a touched one may come again or not at all."""
        where = random_filter(self.rng) if self.rng.random() < 0.5 else None
        limit, cursor, seen, touched = self.rng.choice([5, 50, 200]), None, [], set()
        if self.model.refuses(where):
            with pytest.raises(InvalidArgumentError, match="has field"):
                self.client.scroll("s", cursor, limit, where=where)
            return
        while True:
            page = self.client.scroll("s", cursor, limit, where=where)
            seen += page.ids
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
            if self.rng.random() < 0.1:
                touched |= self.rng.choice([self.upsert, self.delete])()
        untouched = [i for i in seen if i not in touched]
        assert len(untouched) == len(set(untouched))
        assert set(untouched) == self.model.matching(where) - touched

    def count(self) -> None:
        assert self.client.get_space("s").count == len(self.model.vectors)
        assert self.client.count("s") == len(self.model.vectors)
        where = random_filter(self.rng)
        if self.model.refuses(where):
            with pytest.raises(InvalidArgumentError, match="has field"):
                self.client.count("s", where=where)
        else:
            assert self.client.count("s", where=where) == len(self.model.matching(where))


@pytest.mark.parametrize("setup", list(SETUPS))
def test_random_operations_agree_with_the_model(
    start_server: Callable[..., SemspaceServer], setup: str
) -> None:
    run = Run(start_server, setup)
    operations = {
        run.upsert: 30,
        run.delete: 10,
        run.set_payloads: 5,
        run.search: 35,
        run.arithmetic: 5,
        run.get: 6,
        run.scroll: 6,
        run.count: 3,
        run.restart: 2,
    }
    for _ in range(STEPS):
        run.rng.choices(list(operations), list(operations.values()))[0]()
    run.restart()
    run.count()
    run.client.close()
