"""Grouped search: the best k groups by payload value, each with its best points, equal to the
same grouping done in Python over a numpy brute force, through the fetch-more retries."""

from __future__ import annotations

import json

import numpy as np
import pytest

from semspace.client import Client, InvalidArgumentError

DIM = 8
N = 3000
BRANDS: list[object] = [f"b{i}" for i in range(9)] + [7, 7.0, True]


def payload(i: int) -> dict | None:
    if i % 11 == 0:
        return None  # in no group
    if i % 17 == 0:
        return {"brand": [BRANDS[1 + i % 4], BRANDS[2 + i % 4]], "maker": {"country": "pl"}}
    # b0 is rare: filling its group takes far more candidates than the first fetch.
    brand = "b0" if i % 97 == 0 else BRANDS[1 + i % (len(BRANDS) - 1)]
    # 200 models, m0 rare as b0 is.
    model = "m0" if i % 89 == 0 else f"m{1 + i % 199}"
    return {"brand": brand, "maker": {"country": ["de", "fr", "it"][i % 3]}, "model": model}


def values(p: dict | None, field: str) -> list[str]:
    """The point's group values as the server writes them (JSON; 7 and 7.0 alike)."""
    if p is None:
        return []
    node: object = p
    for part in field.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    items = node if isinstance(node, list) else [node]
    found = [json.dumps(int(v) if isinstance(v, float) else v) for v in items if v is not None]
    return list(dict.fromkeys(found))


def expected(scores: np.ndarray, payloads: list, field: str, k: int, size: int) -> list[tuple]:
    """Every group's best `size` points, the k groups with the best best points (ties, as when
    one point leads two groups, by the value's JSON text), flattened."""
    groups: dict[str, list[int]] = {}
    for j in np.argsort(-scores, kind="stable"):
        for value in values(payloads[j], field):
            groups.setdefault(value, []).append(int(j))
    best = sorted(groups, key=lambda v: (-scores[groups[v][0]], v))[:k]
    return [(f"p{j}", json.loads(v)) for v in best for j in groups[v][:size]]


@pytest.fixture
def shop(client: Client) -> tuple[np.ndarray, list]:
    vectors = np.random.default_rng(3).normal(size=(N, DIM)).astype(np.float32)
    payloads = [payload(i) for i in range(N)]
    client.create_space("shop", DIM, "ip")
    client.upsert("shop", [f"p{i}" for i in range(N)], vectors, payloads)
    return vectors, payloads


@pytest.mark.parametrize(
    ("field", "k", "size"),
    [
        ("brand", 5, 3),  # growing fetches, then filtered searches to fill
        ("brand", 30, 2),  # 12 brands, fewer than k: a filtered search each
        ("maker.country", 2, 40),
        ("model", 5, 3),  # 200 models
        ("model", 40, 2),
    ],
)
def test_groups_equal_python_grouping_of_the_brute_force(
    client: Client, shop, field: str, k: int, size: int
) -> None:
    vectors, payloads = shop
    queries = np.random.default_rng(4).normal(size=(6, DIM)).astype(np.float32)
    answers = client.search_batch(
        "shop", queries, k=k, group_by=field, group_size=size, with_payloads=True
    )
    for query, answer in zip(queries, answers, strict=True):
        want = expected(vectors @ query, payloads, field, k, size)
        assert list(zip(answer.ids, answer.groups, strict=True)) == want
        assert answer.payloads == [payloads[int(i[1:])] for i in answer.ids]
        np.testing.assert_allclose(
            answer.scores, [vectors[int(i[1:])] @ query for i in answer.ids], rtol=1e-5
        )


def test_rare_groups_are_filled_and_1_and_1_0_and_true_stay_apart(client: Client, shop) -> None:
    vectors, _ = shop
    query = -vectors[0]
    found = client.search("shop", query, k=12, group_by="brand", group_size=4)
    assert sorted(map(json.dumps, set(found.groups))) == sorted(
        {json.dumps(b) for b in BRANDS if not isinstance(b, float)}  # 7.0 is 7
    )
    assert found.groups.count("b0") == 4  # b0's few points lie far down the ranking
    assert found.groups.count(7) == 4 and found.groups.count(True) == 4


def test_grouping_honours_filters_exclusions_and_thresholds(client: Client, shop) -> None:
    vectors, payloads = shop
    query = vectors[5]
    scores = vectors @ query
    keep = np.array([p is not None and p["maker"]["country"] == "fr" for p in payloads])
    keep[[1, 2, 3]] = False
    # Between the 40th and 41st best, so that float rounding cannot decide a tie.
    threshold = float(np.sort(scores[keep])[-41:-39].mean())
    kept = [p if keep[j] and scores[j] >= threshold else None for j, p in enumerate(payloads)]
    found = client.search(
        "shop",
        query,
        k=4,
        group_by="brand",
        group_size=3,
        where={"maker.country": "fr"},
        exclude_ids=["p1", "p2", "p3"],
        score_threshold=threshold,
    )
    assert list(zip(found.ids, found.groups, strict=True)) == expected(scores, kept, "brand", 4, 3)


def test_grouping_mistakes_are_named(client: Client, shop) -> None:
    with pytest.raises(InvalidArgumentError, match=r"group_by: no payload .* has field 'colour'"):
        client.search("shop", "p1", group_by="colour")
    with pytest.raises(InvalidArgumentError, match="group_size: set group_by too"):
        client.search("shop", "p1", group_size=2)
    with pytest.raises(InvalidArgumentError, match="k, group_size: 100 groups of 20 points"):
        client.search("shop", "p1", k=100, group_by="brand", group_size=20)


@pytest.mark.parametrize("index", ["flat", "hnsw"])
def test_l2_groups_come_nearest_first(client: Client, index: str) -> None:
    vectors = np.random.default_rng(5).normal(size=(N, DIM)).astype(np.float32)
    payloads = [payload(i) for i in range(N)]
    client.create_space("near", DIM, "l2", index=index)
    client.upsert("near", [f"p{i}" for i in range(N)], vectors, payloads)
    query = vectors[9] + 0.1
    distances = np.linalg.norm(vectors - query, axis=1)
    # A wide HNSW search: at 3,000 points it finds every true neighbour, so the test is exact.
    effort = {"ef_search": 1024} if index == "hnsw" else {}
    found = client.search("near", query, k=6, group_by="brand", group_size=3, **effort)
    assert list(zip(found.ids, found.groups, strict=True)) == expected(
        -distances, payloads, "brand", 6, 3
    )
    best = [found.scores[i] for i in range(0, len(found.ids), 3)]
    assert best == sorted(best)
