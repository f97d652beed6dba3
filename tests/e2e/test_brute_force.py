"""Every metric's answers equal a numpy brute force over the same points."""

from __future__ import annotations

import numpy as np
import pytest

from semspace.client import Client, InvalidArgumentError
from semspace.server import index as index_module


def brute_force(
    points: np.ndarray, queries: np.ndarray, metric: str, k: int
) -> tuple[np.ndarray, np.ndarray]:
    if metric == "cosine":
        unit = points / np.linalg.norm(points, axis=1, keepdims=True)
        scores = (queries / np.linalg.norm(queries, axis=1, keepdims=True)) @ unit.T
        order = np.argsort(-scores, axis=1, kind="stable")
    elif metric == "ip":
        scores = queries @ points.T
        order = np.argsort(-scores, axis=1, kind="stable")
    else:
        scores = np.linalg.norm(queries[:, None, :] - points[None, :, :], axis=2)
        order = np.argsort(scores, axis=1, kind="stable")
    top = order[:, :k]
    return top, np.take_along_axis(scores, top, axis=1)


def filled_space(
    client: Client, name: str, seed: int, metric: str = "cosine", n: int = 200, dim: int = 6
) -> tuple[np.ndarray, list[str]]:
    """Space `name` of n normal random points p0, p1, ...; their vectors and ids."""
    points = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    ids = [f"p{i}" for i in range(n)]
    client.create_space(name, dim, metric)
    client.upsert(name, ids, points)
    return points, ids


@pytest.mark.parametrize("metric", ["cosine", "l2", "ip"])
def test_search_equals_numpy_brute_force(client: Client, metric: str) -> None:
    rng = np.random.default_rng(7)
    points = rng.normal(size=(500, 16)).astype(np.float32)
    queries = rng.normal(size=(25, 16)).astype(np.float32)
    ids = [f"p{i}" for i in range(len(points))]
    client.create_space("bf", 16, metric)
    client.upsert("bf", ids, points)

    answers = client.search_batch("bf", queries, k=10)
    expected_rows, expected_scores = brute_force(
        points.astype(np.float64), queries.astype(np.float64), metric, 10
    )
    for answer, rows, scores in zip(answers, expected_rows, expected_scores, strict=True):
        assert answer.ids == [ids[r] for r in rows]
        np.testing.assert_allclose(answer.scores, scores, rtol=1e-4, atol=1e-4)


# Per metric, thresholds from loose to strict: (cosine and ip: scores at least; l2: at most).
THRESHOLDS = {
    "cosine": [-1.0, 0.2, 0.6, 1.0],
    "ip": [-50.0, 2.0, 6.0, 30.0],
    "l2": [0.0, 4.0, 5.0, 99.0],
}


@pytest.mark.parametrize("metric", list(THRESHOLDS))
def test_score_threshold_keeps_the_brute_force_neighbours_that_pass(
    client: Client, metric: str
) -> None:
    rng = np.random.default_rng(11)
    points = rng.normal(size=(400, 16)).astype(np.float32)
    queries = rng.normal(size=(12, 16)).astype(np.float32)
    ids = [f"p{i}" for i in range(len(points))]
    client.create_space("t", 16, metric)
    client.upsert("t", ids, points, [{"even": i % 2 == 0} for i in range(len(points))])
    rows, scores = brute_force(points.astype(np.float64), queries.astype(np.float64), metric, 20)
    sizes = set()
    for threshold in THRESHOLDS[metric]:
        passing = scores <= threshold if metric == "l2" else scores >= threshold
        # Micro-batched, exact and filtered searches all apply it.
        for options in ({}, {"exact": True}, {"where": {"even": [True, False]}}):
            answers = client.search_batch("t", queries, k=20, score_threshold=threshold, **options)
            for answer, row, keep in zip(answers, rows, passing, strict=True):
                assert answer.ids == [ids[r] for r in row[keep]], (threshold, options)
                sizes.add(len(answer.ids))
    assert min(sizes) == 0 and max(sizes) == 20 and len(sizes) >= 4  # thresholds that bite


@pytest.mark.parametrize(
    ("metric", "threshold", "message"),
    [
        ("l2", -0.5, "distances, at least 0"),
        ("cosine", -1.01, r"\[-1, 1\]"),
        ("ip", 1e309, "finite"),
    ],
)
def test_score_thresholds_no_score_could_meet_are_named(
    client: Client, metric: str, threshold: float, message: str
) -> None:
    filled_space(client, "t", 0, metric)
    with pytest.raises(InvalidArgumentError, match=f"score_threshold: .*{message}"):
        client.search("t", "p0", score_threshold=threshold)


@pytest.mark.parametrize("metric", ["cosine", "l2"])
def test_arithmetic_3cosadd_equals_brute_force_on_the_combined_vector(
    client: Client, metric: str
) -> None:
    points, ids = filled_space(client, "ar", seed=3, metric=metric, n=300, dim=8)

    result = client.arithmetic("ar", positive=["p1", "p2"], negative=["p3"], k=5)
    terms = points[[1, 2, 3]].astype(np.float64)
    if metric == "cosine":
        terms /= np.linalg.norm(terms, axis=1, keepdims=True)
    combined = terms[0] + terms[1] - terms[2]
    rows, _ = brute_force(points.astype(np.float64), combined[None, :], metric, 8)
    expected = [ids[r] for r in rows[0] if r not in (1, 2, 3)][:5]
    assert result.neighbors.ids == expected
    if metric == "cosine":
        combined /= np.linalg.norm(combined)
    np.testing.assert_allclose(result.query, combined, rtol=1e-5, atol=1e-5)


def test_arithmetic_3cosmul_equals_the_levy_goldberg_formula(client: Client) -> None:
    points, ids = filled_space(client, "cm", seed=5)

    result = client.arithmetic(
        "cm", positive=["p10", "p11"], negative=["p12"], k=5, method="3cosmul"
    )
    objective = levy_goldberg_p10_p11_minus_p12(points)
    expected = [ids[r] for r in np.argsort(-objective)[:5]]
    assert result.neighbors.ids == expected
    np.testing.assert_allclose(result.neighbors.scores, np.sort(objective)[::-1][:5], rtol=1e-4)


def levy_goldberg_p10_p11_minus_p12(points: np.ndarray) -> np.ndarray:
    """3CosMul of every point for p10 + p11 - p12, the three terms themselves ruled out."""
    unit = points / np.linalg.norm(points, axis=1, keepdims=True)
    s = (1 + unit @ unit[[10, 11, 12]].T) / 2
    objective = s[:, 0] * s[:, 1] / (s[:, 2] + 1e-3)
    objective[[10, 11, 12]] = -np.inf
    return objective


def test_3cosmul_over_float16_storage_scans_blocks_like_one_pass(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Blocks of 64 rows over 200 points (the last of 8): the scores are the formula's over the
    # float16 vectors the space holds, as if they were widened all at once.
    monkeypatch.setattr(index_module, "EXACT_BLOCK_ROWS", 64)
    rng = np.random.default_rng(6)
    ids = [f"p{i}" for i in range(200)]
    client.create_space("half", 6, "cosine", index="hnsw", index_params={"vector_bits": 16})
    client.upsert("half", ids, rng.normal(size=(200, 6)).astype(np.float32))
    held = client.get("half", ids).vectors.astype(np.float64)

    result = client.arithmetic(
        "half", positive=["p10", "p11"], negative=["p12"], k=5, method="3cosmul"
    )
    objective = levy_goldberg_p10_p11_minus_p12(held)
    assert result.neighbors.ids == [ids[r] for r in np.argsort(-objective)[:5]]
    np.testing.assert_allclose(result.neighbors.scores, np.sort(objective)[::-1][:5], rtol=1e-4)


def test_cosine_answers_do_not_depend_on_how_long_the_vectors_are(client: Client) -> None:
    """Lengths whose squares overflow or vanish in float32 (1e25, 1e-25) still give the
    direction: nothing is stored as zeros, refused as zero, or ranked from an Inf norm."""
    rng = np.random.default_rng(11)
    points = rng.normal(size=(200, 8)).astype(np.float32)
    queries = rng.normal(size=(6, 8)).astype(np.float32)
    scales = np.array([1e25, 1e-25, 1.0], dtype=np.float32)
    ids = [f"p{i}" for i in range(len(points))]
    client.create_space("long", 8, "cosine")
    client.upsert("long", ids, points * scales[np.arange(len(points)) % 3, None])

    unit = points / np.linalg.norm(points, axis=1, keepdims=True)
    np.testing.assert_allclose(client.get("long", ids).vectors, unit, rtol=1e-6, atol=1e-7)
    expected, _ = brute_force(points.astype(np.float64), queries.astype(np.float64), "cosine", 5)
    for query, rows in zip(queries, expected, strict=True):
        for scale in scales:
            assert client.search("long", query * scale, k=5).ids == [ids[r] for r in rows]


@pytest.mark.parametrize("metric", ["l2", "ip"])
def test_vectors_too_long_for_float32_distances_are_refused(client: Client, metric: str) -> None:
    client.create_space("far", 4, metric)
    client.upsert("far", ["a", "b"], np.eye(4, dtype=np.float32)[:2])
    long = np.full(4, 1e19, dtype=np.float32)  # squared length 4e38: float32 tops out at 3.4e38
    admissible = np.full(4, 1e18, dtype=np.float32)
    with pytest.raises(InvalidArgumentError, match=r"vectors\[1\]: has squared length"):
        client.upsert("far", ["c", "d"], np.stack([admissible, long]))
    with pytest.raises(
        InvalidArgumentError, match=r"queries\[0\]\.vector\[0\]: has squared length"
    ):
        client.search("far", long)
    with pytest.raises(InvalidArgumentError, match=r"terms \(weighted sum\)\[0\]: has squared"):
        client.arithmetic("far", terms=[(1e19, "a"), (1e19, "b")])
    assert client.get_space("far").count == 2
    client.upsert("far", ["c"], admissible[None])
    assert client.search("far", admissible, k=3).ids[0] == "c"


def test_arithmetic_takes_weights_of_any_size(client: Client) -> None:
    points, ids = filled_space(client, "w", seed=12)

    # 3CosAdd in a cosine space: only the direction of the sum counts.
    plain = client.arithmetic("w", positive=["p10", "p11"], negative=["p12"], k=5)
    huge = client.arithmetic("w", terms=[(1e30, "p10"), (1e30, "p11"), (-1e30, "p12")], k=5)
    assert huge.neighbors.ids == plain.neighbors.ids
    np.testing.assert_allclose(huge.query, plain.query, rtol=1e-5, atol=1e-6)

    # 3CosMul with exponents of 1e30: the negative term's s^1e30 vanishes beside epsilon, so the
    # ranking is the positive terms' product alone; every score is a number.
    result = client.arithmetic(
        "w", terms=[(1e30, "p10"), (1e30, "p11"), (-1e30, "p12")], k=5, method="3cosmul"
    )
    unit = points / np.linalg.norm(points, axis=1, keepdims=True)
    s = (1 + unit @ unit[[10, 11]].T) / 2
    product = s[:, 0] * s[:, 1]
    product[[10, 11, 12]] = -np.inf
    assert result.neighbors.ids == [ids[r] for r in np.argsort(-product)[:5]]
    assert np.isfinite(result.neighbors.scores).all()


def test_3cosmul_of_terms_that_cancel_answers_with_a_zero_query(client: Client) -> None:
    """3CosAdd has no direction to search here (INVALID_ARGUMENT); 3CosMul needs none."""
    points, _ = filled_space(client, "c", seed=13)
    terms = [(1.0, "p10"), (-1.0, "p10"), (1.0, "p11")]
    result = client.arithmetic("c", terms=terms[:2], k=3, method="3cosmul")
    assert len(result.neighbors.ids) == 3 and "p10" not in result.neighbors.ids
    assert not result.query.any()
    with pytest.raises(InvalidArgumentError, match=r"terms \(weighted sum\)\[0\]: is the zero"):
        client.arithmetic("c", terms=terms[:2], k=3)
    assert result.query.shape == points[0].shape
    assert client.arithmetic("c", terms=terms, k=3, method="3cosmul").query.any()


@pytest.mark.parametrize("index", ["flat", "hnsw"])
def test_cosine_scores_stay_within_one(client: Client, index: str) -> None:
    """float32 unit vectors found by themselves scored up to 1.0000005 unclipped (163 of 500
    in a flat space, 54 in HNSW)."""
    vectors = np.random.default_rng(0).normal(size=(500, 100)).astype(np.float32)
    client.create_space(index, 100, index=index)
    client.upsert(index, [str(i) for i in range(500)], vectors)
    found = client.search_batch(index, vectors, k=3)
    scores = np.concatenate([answer.scores for answer in found])
    assert scores.min() >= -1.0 and scores.max() <= 1.0
    assert [answer.ids[0] for answer in found] == [str(i) for i in range(500)]
