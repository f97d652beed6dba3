"""Payload filters: the same top-k as brute force over the matching points, on every index type,
down to filters that match a handful of points; scroll pages; filter mistakes named."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from semspace.artifact import Metric, Producer, writing_artifact
from semspace.client import AbortedError, Client, InvalidArgumentError
from semspace.client.filters import MAX_NESTING
from semspace.server.app import SemspaceServer
from semspace.server.validation import MAX_PAYLOAD_NESTING
from tests.conftest import wait_for_rebuild

DIM = 16
N = 4000
COLOURS = ["red", "green", "blue", "black"]
INDEXES = {
    "flat": {},
    "hnsw": {"m": 16, "ef_construction": 64},
    "ivf_flat": {"nlist": 16, "nprobe": 4},
    "ivf_pq": {"nlist": 16, "nprobe": 4, "pq_m": 8, "pq_bits": 6},
}


# A field some points hold a value in, and others do not: null, an empty list, absent.
DISCOUNTS = [3.0, None, [], [5.0, 10.0]]


def payload(i: int) -> dict:
    held = {
        "colour": COLOURS[i % 4],
        "price": float(i % 100),
        "tags": ["even" if i % 2 == 0 else "odd", f"decile{i % 10}"],
        "rare": i % 1000 == 7,
        "size": {"width": i % 7},
    }
    if i % 5 < len(DISCOUNTS):
        held["discount"] = DISCOUNTS[i % 5]
    return held


def holds(payload: dict, field: str) -> bool:
    return payload.get(field) not in (None, [])


def i7(payload: dict) -> bool:
    return any("cile7" in tag for tag in payload["tags"])


# Each filter with the same test written in Python, applied to the payload.
FILTERS = [
    ({"colour": "red"}, lambda p: p["colour"] == "red"),
    ({"colour": ["red", "blue"]}, lambda p: p["colour"] in ("red", "blue")),
    ({"price": {"gte": 10, "lt": 12}}, lambda p: 10 <= p["price"] < 12),
    (
        {"tags": "decile3", "colour": "black"},
        lambda p: "decile3" in p["tags"] and p["colour"] == "black",
    ),
    (
        {"$or": [{"colour": "red"}, {"price": {"gt": 97}}]},
        lambda p: p["colour"] == "red" or p["price"] > 97,
    ),
    ({"$not": {"colour": ["red", "green"]}}, lambda p: p["colour"] in ("blue", "black")),
    ({"rare": True}, lambda p: p["rare"]),
    ({"size.width": 3, "price": {"lte": 5}}, lambda p: p["size"]["width"] == 3 and p["price"] <= 5),
    ({"discount": {"exists": True}}, lambda p: holds(p, "discount")),
    (
        {"discount": {"exists": False}, "colour": "red"},
        lambda p: not holds(p, "discount") and p["colour"] == "red",
    ),
    ({"size.width": {"exists": True}, "rare": True}, lambda p: p["rare"]),
    ({"colour": {"contains": "re"}}, lambda p: "re" in p["colour"]),
    ({"tags": {"contains": "cile7"}, "price": {"lt": 50}}, lambda p: p["price"] < 50 and i7(p)),
]


@pytest.fixture
def points() -> tuple[list[str], np.ndarray, list[dict]]:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(10, DIM))
    vectors = centres[rng.integers(0, 10, N)] + 0.4 * rng.normal(size=(N, DIM))
    return [f"p{i}" for i in range(N)], vectors.astype(np.float32), [payload(i) for i in range(N)]


def brute_force(vectors: np.ndarray, ids: list[str], keep: np.ndarray, query: np.ndarray, k: int):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    scores = unit @ (query / np.linalg.norm(query))
    scores[~keep] = -np.inf
    order = np.argsort(-scores, kind="stable")[: min(k, int(keep.sum()))]
    return [ids[j] for j in order]


@pytest.mark.parametrize("exact_scan_points", [8192, 0])
@pytest.mark.parametrize("kind", list(INDEXES))
def test_filtered_top_k_matches_brute_force(
    start_server, points, kind: str, exact_scan_points: int
) -> None:
    """With exact_scan_points 0 every filtered search goes through the index with a selector
    (and falls back to a scan when a graph search comes back short)."""
    client = Client(start_server(filter_exact_scan_points=exact_scan_points).address)
    ids, vectors, payloads = points
    client.create_space("s", DIM, index=kind, index_params=INDEXES[kind])
    client.upsert("s", ids, vectors, payloads)
    # Queries near the data, as real ones are; between clusters any ANN index is unsure.
    noise = 0.1 * np.random.default_rng(1).normal(size=(5, DIM))
    queries = (vectors[:5] + noise).astype(np.float32)
    for where, test in FILTERS:
        keep = np.array([test(p) for p in payloads])
        for query in queries:
            found = client.search("s", query, k=10, where=where, with_payloads=True)
            expected = brute_force(vectors, ids, keep, query, 10)
            assert len(found.ids) == len(expected), where
            assert all(test(p) for p in found.payloads), where
            if kind == "flat" or keep.sum() <= exact_scan_points:
                # Exact: flat always, and small matching sets are scanned exactly anyway.
                assert found.ids == expected, where
            else:
                assert len(set(found.ids) & set(expected)) >= 0.8 * len(expected), where


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_filtered_arithmetic_is_the_brute_force_among_matching_points(
    start_server, points, kind: str
) -> None:
    """3CosAdd and 3CosMul keep only matching points, besides the inputs and excluded ids;
    exact_scan_points 0 sends the HNSW 3CosAdd through the graph with a selector."""
    client = Client(start_server(filter_exact_scan_points=0).address)
    ids, vectors, payloads = points
    client.create_space("s", DIM, index=kind, index_params=INDEXES[kind])
    client.upsert("s", ids, vectors, payloads)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    terms = unit[[1, 2, 3]]
    cosadd = unit @ (terms[0] + terms[1] - terms[2])
    similar = (1 + unit @ terms.T) / 2
    cosmul = similar[:, 0] * similar[:, 1] / (similar[:, 2] + 1e-3)
    for where, test in FILTERS:
        keep = np.array([test(p) for p in payloads])
        keep[[1, 2, 3, 4]] = False  # the inputs, and p4 excluded by id
        for method, objective in (("3cosadd", cosadd), ("3cosmul", cosmul)):
            found = client.arithmetic(
                "s",
                positive=["p1", "p2"],
                negative=["p3"],
                k=10,
                method=method,
                exclude_ids=["p4"],
                where=where,
                with_payloads=True,
            ).neighbors
            scores = np.where(keep, objective, -np.inf)
            expected = [ids[j] for j in np.argsort(-scores, kind="stable")[: min(10, keep.sum())]]
            assert len(found.ids) == len(expected), (where, method)
            assert all(test(p) for p in found.payloads), (where, method)
            if kind == "flat" or method == "3cosmul":
                assert found.ids == expected, (where, method)
            else:
                assert len(set(found.ids) & set(expected)) >= 0.8 * len(expected), where


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_id_filters_search_among_candidates(start_server, points, kind: str) -> None:
    """ "$id" alone, with a payload condition, under "$or" and "$not"; ids not in the space
    match nothing. exact_scan_points 0 sends the HNSW searches through the graph."""
    client = Client(start_server(filter_exact_scan_points=0).address)
    ids, vectors, payloads = points
    client.create_space("s", DIM, index=kind, index_params=INDEXES[kind])
    client.upsert("s", ids, vectors, payloads)
    candidates = np.random.default_rng(2).choice(N, 300, replace=False)
    named = {ids[i] for i in candidates}
    cases = [
        ({"$id": [*named, "no-such-id"]}, lambda i: ids[i] in named),
        ({"$id": list(named), "colour": "red"}, lambda i: ids[i] in named and i % 4 == 0),
        (
            {"$or": [{"$id": list(named)}, {"rare": True}]},
            lambda i: ids[i] in named or i % 1000 == 7,
        ),
        ({"$not": {"$id": list(named)}}, lambda i: ids[i] not in named),
        ({"$id": "p5"}, lambda i: i == 5),
    ]
    for where, test in cases:
        keep = np.array([test(i) for i in range(N)])
        found = client.search("s", vectors[0] + 0.05, k=10, where=where)
        expected = brute_force(vectors, ids, keep, vectors[0] + 0.05, 10)
        assert len(found.ids) == len(expected), where
        assert all(keep[ids.index(i)] for i in found.ids), where
        if kind == "flat" or keep.sum() <= 300:
            assert found.ids == expected, where
        else:
            assert len(set(found.ids) & set(expected)) >= 0.8 * len(expected), where
        assert client.count("s", where=where) == keep.sum(), where
    client.delete("s", where={"$id": ["p1", "p2", "no-such-id"]})
    assert client.count("s") == N - 2
    assert client.count("s", where={"$id": ["p1", "p3"]}) == 1


@pytest.mark.parametrize(
    ("where", "error", "message"),
    [
        ({"$id": 5}, TypeError, r'"\$id" takes an id or a list of ids'),
        ({"$id": ["a", 1]}, TypeError, r'"\$id" takes an id or a list of ids'),
        ({"$id": []}, InvalidArgumentError, r"filter\.must\[0\]\.has_id\.ids: is empty"),
        ({"$ids": ["a"]}, ValueError, r'operators are "\$or", "\$not" and "\$id"'),
    ],
)
def test_id_filter_mistakes_are_named(client: Client, where: dict, error, message: str) -> None:
    client.create_space("s", 2)
    client.upsert("s", ["a"], [[1, 0]])
    with pytest.raises(error, match=message):
        client.search("s", [1, 0], where=where)


def test_filter_with_k_above_matches_answers_all_matches(client: Client, points) -> None:
    ids, vectors, payloads = points
    client.create_space("s", DIM, index="hnsw")
    client.upsert("s", ids, vectors, payloads)
    found = client.search("s", vectors[0], k=50, where={"rare": True})
    assert sorted(found.ids) == sorted(ids[i] for i in range(7, N, 1000))


def test_filters_see_writes_and_deletes_at_once(client: Client, points) -> None:
    ids, vectors, payloads = points
    client.create_space("s", DIM)
    client.upsert("s", ids, vectors, payloads)
    client.delete("s", ["p7"])
    client.upsert("s", ["p1007"], vectors[:1], [{"colour": "white"}])
    found = client.search("s", vectors[0], k=10, where={"rare": True})
    assert sorted(found.ids) == ["p2007", "p3007"]
    assert client.search("s", vectors[0], k=5, where={"colour": "white"}).ids == ["p1007"]


def test_count_agrees_with_python_over_live_points(client: Client, points) -> None:
    ids, vectors, payloads = points
    client.create_space("s", DIM, index="hnsw")
    client.upsert("s", ids, vectors, payloads)
    client.delete("s", ids[:300])
    # Replaced points are counted by their new payloads (each takes the next point's).
    replaced = [payload(i + 1) for i in range(300, 310)]
    client.upsert("s", ids[300:310], vectors[:10], replaced)
    live = replaced + payloads[310:]
    assert client.count("s") == len(live) == N - 300
    for where, test in FILTERS:
        assert client.count("s", where=where) == sum(map(test, live)), where


def test_scroll_reads_every_matching_point_once(client: Client, points) -> None:
    ids, vectors, payloads = points
    client.create_space("s", DIM)
    client.upsert("s", ids, vectors, payloads)
    client.delete("s", ids[:100])
    seen: list[str] = []
    cursor = None
    while True:
        page = client.scroll("s", cursor, limit=300, where={"colour": "red"}, with_vectors=True)
        seen += page.ids
        assert page.vectors is not None and len(page.vectors) == len(page.ids)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [ids[i] for i in range(100, N) if i % 4 == 0]
    everything = client.scroll("s", limit=N, with_payloads=True)
    assert everything.next_cursor is None and len(everything.ids) == N - 100
    assert everything.payloads[0] == payloads[100]


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ({"colour2": "red"}, r"filter\.must\[0\]: no payload .* has field 'colour2'"),
        ({"colour": 3}, r"filter\.must\[0\]: field 'colour' holds text values .* not number"),
        ({"price": {"gt": "cheap"}}, None),
        ({"$and": [{"colour": "red"}]}, None),
        ({"colour": {"$in": ["red"]}}, None),
        ({"colour": {"gte": 1}}, r"filter\.must\[0\]\.range: a range needs numbers"),
        ({"price": {"gt": float("nan")}}, r"filter\.must\[0\]\.range\.gt: must be a finite"),
        ({"tags": []}, r"filter\.must\[0\]\.any_of: is empty"),
        ({"$not": {"nope": 1}}, r"filter\.must_not\[0\]\.filter\.must\[0\]: no payload"),
        ({"nope": {"exists": False}}, r"filter\.must\[0\]: no payload .* has field 'nope'"),
        ({"price": {"contains": "9"}}, r"filter\.must\[0\]: contains needs text"),
        ({"colour": {"contains": ""}}, r"filter\.must\[0\]\.contains: is empty"),
    ],
)
def test_filter_mistakes_are_named(client: Client, points, where: dict, message: str) -> None:
    ids, vectors, payloads = points
    client.create_space("s", DIM)
    client.upsert("s", ids[:10], vectors[:10], payloads[:10])
    if message is None:
        # Caught by the client before it sends: a bound must be a number, and the operators
        # are "$or" and "$not" (a list is one of several values).
        with pytest.raises((TypeError, ValueError), match=r"\$or|number|pass a list"):
            client.search("s", vectors[0], where=where)
        return
    with pytest.raises(InvalidArgumentError, match=message):
        client.search("s", vectors[0], where=where)


@pytest.mark.parametrize(
    ("test", "message"),
    [
        ({"contains": 3}, "contains takes one str alone"),
        ({"contains": "a", "gt": 1}, "contains takes one str alone"),
        ({"exists": 1}, "exists takes True or False alone"),
        ({"exists": True, "gt": 3}, "exists takes True or False alone"),
        ({"exists": None}, "exists takes True or False alone"),
    ],
)
def test_contains_and_exists_take_their_value_alone(client: Client, test: dict, message) -> None:
    """Refused by the client before it sends."""
    with pytest.raises(ValueError, match=message):
        client.search("s", [1.0, 0.0], where={"colour": test})


def test_exists_follows_writes_and_fields_whose_points_are_gone(client: Client) -> None:
    client.create_space("s", 2)
    client.upsert("s", ["a", "b", "c"], [[1, 0], [0, 1], [1, 1]], [{"x": 1}, {"x": []}, None])
    assert client.count("s", where={"x": {"exists": True}}) == 1
    assert sorted(client.scroll("s", where={"x": {"exists": False}}).ids) == ["b", "c"]
    client.set_payloads("s", ["a", "c"], [{"y": 2}, {"x": [0, 7]}])
    assert client.scroll("s", where={"x": {"exists": True}}).ids == ["c"]
    client.delete("s", ["c"])
    # No point holds x any more; the field stays known, so the filter is still answered.
    assert client.count("s", where={"x": {"exists": True}}) == 0
    assert sorted(client.scroll("s", where={"x": {"exists": False}}).ids) == ["a", "b"]


def test_filters_nest_to_the_documented_depth_and_no_further(client: Client, points) -> None:
    ids, vectors, payloads = points
    client.create_space("s", DIM)
    client.upsert("s", ids, vectors, payloads)
    plain = client.search("s", vectors[0], k=20, where={"colour": "red"}).ids
    # An "or" of one filter is that filter, nested one deeper; "or"s make the deepest messages.
    where: dict = {"colour": "red"}
    for _ in range(MAX_NESTING):
        where = {"$or": [where]}
    assert client.search("s", vectors[0], k=20, where=where).ids == plain
    with pytest.raises(ValueError, match=f"at most {MAX_NESTING} deep"):
        client.search("s", vectors[0], where={"$or": [where]})
    with pytest.raises(ValueError, match=f"at most {MAX_NESTING} deep"):
        client.search("s", vectors[0], where={"$not": {"$not": where}})


def test_a_payload_nested_to_the_limit_is_kept_and_filtered_on(client: Client) -> None:
    deepest: object = 7
    for _ in range(MAX_PAYLOAD_NESTING):
        deepest = {"a": deepest}
    client.create_space("s", DIM)
    vectors = np.eye(DIM, dtype=np.float32)[:2] + 0.1
    client.upsert("s", ["deep", "flat"], vectors, [deepest, {"a": 7}])
    path = ".".join(["a"] * MAX_PAYLOAD_NESTING)
    found = client.search("s", vectors[1], k=2, where={path: 7}, with_payloads=True)
    assert found.ids == ["deep"]
    assert found.payloads == [deepest]


def test_bad_cursor_is_named(client: Client) -> None:
    client.create_space("s", DIM)
    with pytest.raises(InvalidArgumentError, match="cursor"):
        client.scroll("s", "not-a-cursor")


def test_scroll_across_rebuilds_reads_every_untouched_point_once(client: Client) -> None:
    n = 6000
    ids = [f"p{i}" for i in range(n)]
    client.create_space("s", DIM)
    client.upsert("s", ids, np.random.default_rng(0).normal(size=(n, DIM)))
    seen, cursor = [], None

    def read_page() -> None:
        nonlocal cursor
        page = client.scroll("s", cursor, limit=1000)
        seen.extend(page.ids)
        cursor = page.next_cursor

    read_page()
    # Deletes that leave more dead rows than live ones rebuild the space, renumbering its rows.
    client.delete("s", ids[500:3600])
    read_page()
    client.delete("s", ids[3600:5100])
    wait_for_rebuild(client, "s")
    while cursor is not None:
        read_page()
    assert len(seen) == len(set(seen))
    assert set(ids[:500] + ids[5100:]) <= set(seen)


def hnsw_space_of(server: SemspaceServer, points) -> Client:
    """A client of `server`, whose HNSW space "s" holds `points`."""
    ids, vectors, payloads = points
    client = Client(server.address)
    client.create_space("s", DIM, index="hnsw")
    client.upsert("s", ids, vectors, payloads)
    return client


def test_delete_by_filter_removes_the_matching_points_for_good(
    start_server: Callable[..., SemspaceServer], points
) -> None:
    ids, vectors, payloads = points
    server = start_server()
    with hnsw_space_of(server, points) as client:
        result = client.delete("s", where={"colour": "red", "price": {"lt": 50}})
        doomed = {
            ids[i] for i, p in enumerate(payloads) if p["colour"] == "red" and p["price"] < 50
        }
        assert (result.deleted, result.missing_ids, result.count) == (
            len(doomed),
            [],
            N - len(doomed),
        )
        # Points written after the delete are not deleted by it, even where they match.
        client.upsert("s", ["late"], vectors[:1], [{"colour": "red", "price": 1.0}])
        assert client.count("s", where={"colour": "red"}) == N // 4 - len(doomed) + 1
        assert client.delete("s", where={"colour": "white"}).deleted == 0
    server.stop(0)
    with Client(start_server().address) as client:  # replayed from the log
        kept = set(client.scroll("s", limit=N).ids)
        assert kept == (set(ids) - doomed) | {"late"}
        found = client.search("s", vectors[0], k=20, where={"colour": "red"}, exact=True).ids
        assert "late" in found and not doomed & set(found)


def test_set_payloads_changes_what_filters_see_and_keeps_vectors(
    start_server: Callable[..., SemspaceServer], points
) -> None:
    ids, vectors, _ = points
    server = start_server()
    with hnsw_space_of(server, points) as client:
        before = client.get("s", ids[:3]).vectors
        assert client.set_payloads("s", ids[:3], [{"colour": "gold"}, None, {"rare": True}]) == 3
        assert client.count("s") == N
        assert client.search("s", vectors[0], k=5, where={"colour": "gold"}).ids == ids[:1]
        assert client.get("s", ids[:3], with_payloads=True).payloads == [
            {"colour": "gold"},
            None,
            {"rare": True},
        ]
        np.testing.assert_array_equal(client.get("s", ids[:3]).vectors, before)
    server.stop(0)
    with Client(start_server().address) as client:  # replayed from the log
        got = client.get("s", ids[:3], with_payloads=True)
        assert got.payloads == [{"colour": "gold"}, None, {"rare": True}]
        np.testing.assert_array_equal(got.vectors, before)
        rare = client.search("s", vectors[0], k=10, where={"rare": True}).ids
        assert sorted(rare) == sorted([ids[2], *(ids[i] for i in range(7, N, 1000))])


def test_scroll_cursor_from_before_a_restart_is_refused(
    start_server: Callable[..., SemspaceServer],
) -> None:
    server = start_server()
    with Client(server.address) as client:
        client.create_space("s", DIM)
        client.upsert("s", ["a", "b"], np.ones((2, DIM)))
        cursor = client.scroll("s", limit=1).next_cursor
    server.stop(0)
    with (
        Client(start_server().address) as client,
        pytest.raises(AbortedError, match=r"cursor: .*start the scroll again"),
    ):
        client.scroll("s", cursor)


def test_fields_stay_known_after_their_points_go(
    start_server: Callable[..., SemspaceServer],
) -> None:
    """A filter on a field that only deleted points held matches nothing, and keeps doing so
    through a rebuild and a restart, rather than turning into an unknown-field error."""
    server = start_server()
    n = 3000
    ids = [f"p{i}" for i in range(n)]
    payloads = [{"colour": "red"}] * (n - 1) + [{"discount": 5}]
    where = {"discount": {"gt": 1}}
    with Client(server.address) as client:
        client.create_space("s", DIM)
        client.upsert("s", ids, np.random.default_rng(0).normal(size=(n, DIM)), payloads)
        client.delete("s", ids[-1:])
        assert client.search("s", np.ones(DIM), where=where).ids == []
        client.delete("s", ids[:2000])  # more dead rows than live: rebuilt
        wait_for_rebuild(client, "s")
        assert client.search("s", np.ones(DIM), where=where).ids == []
    server.stop(0)
    with Client(start_server().address) as client:
        assert client.search("s", np.ones(DIM), where=where).ids == []
        assert client.get_space("s").payload_fields == {"colour": ["text"], "discount": ["number"]}


def test_integers_past_a_double_from_older_data_load_and_compare_as_infinities(
    start_server: Callable[..., SemspaceServer], tmp_path
) -> None:
    """Upsert refuses them now; a space stored before held them, and its load stopped the
    server with OverflowError."""
    huge = "1" + "0" * 400
    with writing_artifact(tmp_path / "artifacts", "old") as writer:
        writer.finish(
            kind="test-trainer",
            metric=Metric.COSINE,
            vectors=np.eye(3, DIM, dtype=np.float32),
            ids=["big", "small", "plain"],
            payloads=[f'{{"x": {huge}}}', f'{{"x": -{huge}}}', '{"x": 1}'],
            producer=Producer(name="tests"),
        )
    with Client(start_server().address) as client:
        assert client.search("old", np.ones(DIM), where={"x": {"gt": 1e308}}).ids == ["big"]
        assert client.search("old", np.ones(DIM), where={"x": {"lt": -1e308}}).ids == ["small"]
        assert client.get("old", ["big"], with_payloads=True).payloads == [{"x": int(huge)}]
