"""A user-made space through its whole life, with the sync and the async client."""

from __future__ import annotations

import numpy as np
import pytest

from semspace.client import AsyncClient, Client, NotFoundError


def test_create_upsert_search_get_delete_drop(client: Client) -> None:
    info = client.create_space("points", 4, "cosine", description="unit test")
    assert (info.name, info.dim, info.metric, info.count, info.writable) == (
        "points",
        4,
        "cosine",
        0,
        True,
    )

    vectors = np.array([[1, 0, 0, 0], [0, 2, 0, 0], [0, 0, 3, 0], [1, 1, 0, 0]], dtype=np.float32)
    result = client.upsert(
        "points", ["a", "b", "c", "ab"], vectors, [{"tag": "x"}, None, None, {"n": 2}]
    )
    assert (result.inserted, result.updated, result.count) == (4, 0, 4)

    hits = client.search("points", [1, 0.2, 0, 0], k=2, with_payloads=True)
    assert hits.ids == ["a", "ab"]
    assert hits.payloads == [{"tag": "x"}, {"n": 2}]
    assert hits.scores[0] == pytest.approx(1 / np.sqrt(1.04), rel=1e-5)

    points = client.get("points", ["b", "a"], with_payloads=True)
    assert points.ids == ["b", "a"]
    np.testing.assert_allclose(points.vectors, [[0, 1, 0, 0], [1, 0, 0, 0]])  # stored unit length
    assert points.payloads == [None, {"tag": "x"}]

    replaced = client.upsert("points", ["a"], [[0, 0, 0, 5]], [{"tag": "y"}])
    assert (replaced.inserted, replaced.updated, replaced.count) == (0, 1, 4)
    assert client.search("points", [0, 0, 0, 1], k=1).ids == ["a"]

    deleted = client.delete("points", ["a", "nope"])
    assert (deleted.deleted, deleted.missing_ids, deleted.count) == (1, ["nope"], 3)
    assert "a" not in client.search("points", [0, 0, 0, 1], k=3).ids
    with pytest.raises(NotFoundError, match="'a'"):
        client.get("points", ["a"])

    client.drop_space("points")
    assert [s.name for s in client.list_spaces()] == []


def test_search_by_id_leaves_the_query_point_out_unless_asked(client: Client) -> None:
    client.create_space("s", 2, "l2")
    client.upsert("s", ["o", "x", "far"], [[0, 0], [1, 0], [10, 10]])
    assert client.search("s", "o", k=1).ids == ["x"]
    assert client.search("s", "o", k=1, include_query_id=True).ids == ["o"]
    assert client.search("s", "o", k=3, exclude_ids=["x"]).ids == ["far"]


def test_search_batch_mixes_ids_and_vectors_in_query_order(client: Client) -> None:
    client.create_space("s", 2, "l2")
    client.upsert("s", ["o", "x", "y"], [[0, 0], [1, 0], [0, 1]])
    answers = client.search_batch("s", ["o", [0.1, 0.9], np.array([0.9, 0.0])], k=1)
    assert [a.ids for a in answers] == [["x"], ["y"], ["x"]]


def test_k_larger_than_the_space_returns_every_other_point(client: Client) -> None:
    client.create_space("s", 2, "ip")
    client.upsert("s", ["a", "b"], [[1, 0], [0, 1]])
    assert sorted(client.search("s", [1, 1], k=50).ids) == ["a", "b"]


def test_writes_are_visible_to_the_very_next_read(client: Client) -> None:
    client.create_space("s", 3, "cosine")
    for i in range(20):
        client.upsert("s", [f"p{i}"], [[1.0, i, 0.5]])
        assert client.search("s", [1.0, i, 0.5], k=1).ids == [f"p{i}"]


async def test_async_client_round_trip(server) -> None:
    async with AsyncClient(server.address) as client:
        await client.create_space("async", 3, "l2")
        await client.upsert("async", ["a", "b"], [[0, 0, 0], [3, 4, 0]])
        hits = await client.search("async", [0, 0, 0], k=2)
        assert hits.ids == ["a", "b"]
        np.testing.assert_allclose(hits.scores, [0.0, 5.0])  # Euclidean distance
        result = await client.arithmetic("async", ["b"], ["a"], k=1, include_inputs=True)
        assert result.neighbors.ids == ["b"]
        assert [s.name for s in await client.list_spaces()] == ["async"]
        assert await client.health() == "SERVING"
        with pytest.raises(NotFoundError):
            await client.search("missing", [0, 0, 0])


def test_an_id_named_twice_in_a_delete_is_deleted_once(client: Client) -> None:
    client.create_space("twice", 2, "l2")
    client.upsert("twice", ["a", "b"], np.array([[0, 0], [1, 1]], dtype=np.float32))
    answer = client.delete("twice", ["a", "a", "zz", "zz"])
    assert (answer.deleted, answer.missing_ids) == (1, ["zz"])
    assert client.get_space("twice").count == 1
    assert client.search("twice", [0, 0], k=5).ids == ["b"]


def test_one_str_is_one_id_never_a_run_of_characters(client: Client) -> None:
    """Ids that are also the characters of another id: a str taken as a sequence would act on
    "p", "1" and "2" instead of "p12"."""
    client.create_space("chars", 3)
    ids = ["p", "1", "2", "p12"]
    client.upsert("chars", ids, np.eye(4, 3, dtype=np.float32) + 0.1)
    client.upsert("chars", "solo", [0.3, 0.2, 0.1], payloads={"one": True})

    assert client.get("chars", "p12").ids == ["p12"]
    assert client.get("chars", "solo", with_payloads=True).payloads == [{"one": True}]
    assert sorted(client.search("chars", "p", k=5, exclude_ids="p12").ids) == ["1", "2", "solo"]
    (answer,) = client.search_batch("chars", "p12", k=1)
    assert answer.ids != ["p12"]
    assert client.delete("chars", "p12").deleted == 1
    assert sorted(client.scroll("chars").ids) == ["1", "2", "p", "solo"]


def test_malformed_client_input_is_named_before_it_is_sent(client: Client) -> None:
    client.create_space("typed", 3)
    with pytest.raises(ValueError, match=r"^vectors: is not a matrix of numbers"):
        client.upsert("typed", ["a", "b"], [[1.0, 2.0, 3.0], [1.0, 2.0]])
    with pytest.raises(
        ValueError, match=r"^vectors: is not a matrix of real numbers \(it holds text"
    ):
        client.upsert("typed", ["a"], [["x", "y", "z"]])
    # numpy would keep the real part of complex numbers (with a warning) and parse text.
    with pytest.raises(ValueError, match=r"^vectors: .* real numbers \(it holds complex numbers"):
        client.upsert("typed", ["a"], np.ones((1, 3), dtype=np.complex64))
    with pytest.raises(ValueError, match=r"^vectors: is not a matrix of real numbers"):
        client.upsert("typed", ["a"], [["1", "2", "3"]])
    with pytest.raises(ValueError, match=r"^queries\[1\]: is not a vector of real numbers"):
        client.search_batch("typed", [[1.0, 0.0, 0.0], [1j, 0, 0]])
    with pytest.raises(ValueError, match=r"^terms\[0\]: is not a vector of numbers"):
        client.arithmetic("typed", positive=[[1.0, [2.0]]])
    # A 2 x 2 matrix as one query used to be flattened into a 4-vector.
    with pytest.raises(ValueError, match=r"^queries\[0\]: expected one vector, got shape \(2, 2\)"):
        client.search("typed", [[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(TypeError, match=r"^ids\[1\]: must be a str, got int 7"):
        client.upsert("typed", ["a", 7], np.ones((2, 3)))
    with pytest.raises(TypeError, match=r"^exclude_ids\[0\]: must be a str"):
        client.search("typed", [1.0, 0.0, 0.0], exclude_ids=[None])
    assert client.get_space("typed").count == 0
