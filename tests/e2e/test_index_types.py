"""Every index type over gRPC: exact answers for flat, high recall for the approximate ones,
deletes that never come back, replacements, per-request knobs, and the index surviving restart."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import contextmanager

import numpy as np
import pytest

from semspace.client import Client, InvalidArgumentError
from semspace.server import indexes, rebuild, space_store
from semspace.server.ann import HnswIndex, IvfIndex
from semspace.server.app import SemspaceServer
from semspace.server.rwlock import ReadWriteLock
from tests.conftest import pause_at_second_block, wait_for_rebuild

DIM = 32
N = 3000
# Small IVF parameters so that 3,000 points are enough to train (39 per centroid).
INDEXES = {
    "flat": {},
    "hnsw": {"m": 32, "ef_construction": 200, "ef_search": 128},
    "ivf_flat": {"nlist": 16, "nprobe": 8},
    "ivf_pq": {"nlist": 16, "nprobe": 8, "pq_m": 16, "pq_bits": 6, "refine_factor": 8},
}
# Index set-ups under test: name -> (kind, params); HNSW over float16 vectors besides.
SETUPS = {kind: (kind, params) for kind, params in INDEXES.items()} | {
    "hnsw-float16": ("hnsw", {**INDEXES["hnsw"], "vector_bits": 16})
}


def clustered(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(20, DIM))
    return (centres[rng.integers(0, 20, n)] + 0.5 * rng.normal(size=(n, DIM))).astype(np.float32)


def exact_ids(data: np.ndarray, ids: list[str], queries: np.ndarray, metric: str, k: int):
    if metric == "l2":
        scores = -((queries[:, None, :] - data[None, :, :]) ** 2).sum(axis=2)
    elif metric == "cosine":
        unit = data / np.linalg.norm(data, axis=1, keepdims=True)
        scores = (queries / np.linalg.norm(queries, axis=1, keepdims=True)) @ unit.T
    else:
        scores = queries @ data.T
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return [[ids[j] for j in row] for row in order]


def recall(found: list[list[str]], truth: list[list[str]]) -> float:
    return sum(len(set(f) & set(t)) for f, t in zip(found, truth, strict=True)) / sum(
        len(t) for t in truth
    )


@pytest.mark.parametrize("setup", list(SETUPS))
@pytest.mark.parametrize("metric", ["cosine", "l2", "ip"])
def test_answers_match_brute_force(client: Client, setup: str, metric: str) -> None:
    kind, params = SETUPS[setup]
    data = clustered(N, seed=1)
    ids = [f"p{i}" for i in range(N)]
    client.create_space("s", DIM, metric, index=kind, index_params=params)
    for start in range(0, N, 1000):
        client.upsert("s", ids[start : start + 1000], data[start : start + 1000])
    queries = clustered(40, seed=2)
    found = [n.ids for n in client.search_batch("s", queries, k=10)]
    truth = exact_ids(data, ids, queries, metric, 10)
    info = client.get_space("s").index_info
    assert info is not None and info.kind == kind and info.trained
    if kind == "flat":
        assert found == truth
        assert info.recall_at_10 == 1.0
    else:
        assert recall(found, truth) >= 0.9
        assert info.recall_at_10 >= 0.9
        assert info.params == {**info.params, **params}
    # An exact request is exact whatever the index, over the vectors the space holds (float16
    # ones are rounded; cosine spaces hold unit vectors and rank by inner product).
    stored = client.get("s", ids).vectors
    if metric == "cosine":
        queries = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    held = exact_ids(stored, ids, queries, "ip" if metric == "cosine" else metric, 10)
    assert [n.ids for n in client.search_batch("s", queries, k=10, exact=True)] == held


@pytest.mark.parametrize("setup", list(SETUPS))
def test_deleted_and_replaced_points_never_come_back(client: Client, setup: str) -> None:
    kind, params = SETUPS[setup]
    data = clustered(N, seed=3)
    ids = [f"p{i}" for i in range(N)]
    client.create_space("s", DIM, "l2", index=kind, index_params=params)
    client.upsert("s", ids, data)
    deleted = ids[::3]
    client.delete("s", deleted)
    # Replace some points with vectors far from everything else.
    moved = ids[1:300:3]
    far = np.full((len(moved), DIM), 100.0, dtype=np.float32)
    client.upsert("s", moved, far)
    gone = set(deleted)
    for row in client.search_batch("s", data[:60], k=20):
        assert not gone & set(row.ids)
        assert not set(moved) & set(row.ids)
    near_far = client.search("s", far[0], k=len(moved), exact=True)
    assert set(near_far.ids) == set(moved)
    assert client.get_space("s").count == N - len(deleted)


@pytest.mark.parametrize("setup", list(SETUPS))
def test_dead_rows_are_compacted(client: Client, setup: str) -> None:
    kind, params = SETUPS[setup]
    data = clustered(N, seed=4)
    ids = [f"p{i}" for i in range(N)]
    client.create_space("s", DIM, "cosine", index=kind, index_params=params)
    client.upsert("s", ids, data)
    client.delete("s", ids[:1200])
    client.upsert("s", ids[1200:1400], data[1200:1400])  # replaced: the old rows die
    before = client.get_space("s").index_info
    assert before.tombstones == 1400
    client.delete("s", ids[1400:1700])
    # More dead than live: the write began a rebuild of the space without them.
    wait_for_rebuild(client, "s")
    info = client.get_space("s")
    assert info.index_info.tombstones == 0 and info.count == N - 1500
    assert info.index_info.memory_bytes < before.memory_bytes
    survivors = ids[1200:1400] + ids[1700:]
    row = client.search("s", data[-1], k=5)
    assert row.ids[0] == ids[-1] and set(row.ids) <= set(survivors)
    assert client.get("s", ids[1200:1205]).ids == ids[1200:1205]


@pytest.mark.parametrize(
    ("kind", "params", "points", "deleted", "k"),
    [
        # 990 dead rows stay (a rebuild waits for more than 1,024): the graph walk meets
        # almost only dead rows and finds 1-3 of the 10 live points.
        ("hnsw", {"m": 8}, 1000, 990, 50),
        # One probed list holds a few hundred of the 3,000 points.
        ("ivf_flat", {"nlist": 16, "nprobe": 1}, N, 0, 1000),
    ],
)
def test_search_answers_k_when_the_index_finds_fewer(
    client: Client, kind: str, params: dict, points: int, deleted: int, k: int
) -> None:
    data = clustered(points, seed=9)
    ids = [f"p{i}" for i in range(points)]
    client.create_space("s", DIM, "l2", index=kind, index_params=params)
    client.upsert("s", ids, data)
    if deleted:
        client.delete("s", ids[:deleted])
    assert client.get_space("s").index_info.tombstones == deleted
    queries = clustered(10, seed=10)
    truth = exact_ids(data[deleted:], ids[deleted:], queries, "l2", k)
    for found, want in zip(client.search_batch("s", queries, k), truth, strict=True):
        assert len(found.ids) == min(k, points - deleted)
        assert set(found.ids) == set(want)


@pytest.mark.parametrize("setup", ["flat", "hnsw", "ivf_flat"])
def test_thousands_of_excluded_ids_are_left_out_and_k_answered(client: Client, setup) -> None:
    """More excluded points than the index is asked to over-fetch: those queries go through a
    selector instead, and still answer the k nearest of the others."""
    kind, params = SETUPS[setup]
    data = clustered(N, seed=11)
    ids = [f"p{i}" for i in range(N)]
    client.create_space("s", DIM, "l2", index=kind, index_params=params)
    client.upsert("s", ids, data)
    excluded = ids[: 2 * N // 3]
    queries = clustered(8, seed=12)
    found = client.search_batch("s", queries, 10, exclude_ids=excluded)
    truth = exact_ids(data[2 * N // 3 :], ids[2 * N // 3 :], queries, "l2", 10)
    for row in found:
        assert len(row.ids) == 10 and not set(row.ids) & set(excluded)
    if kind == "flat":
        assert [row.ids for row in found] == truth
    else:
        assert recall([row.ids for row in found], truth) >= 0.9


def test_index_survives_restart(start_server: Callable[..., SemspaceServer]) -> None:
    server = start_server()
    data = clustered(N, seed=5)
    ids = [f"p{i}" for i in range(N)]
    with Client(server.address) as client:
        client.create_space("s", DIM, index="ivf_flat", index_params=INDEXES["ivf_flat"])
        client.upsert("s", ids, data)
        before = client.search("s", data[7], k=10).ids
    server.stop(0)
    with Client(start_server().address) as client:
        info = client.get_space("s").index_info
        assert info.kind == "ivf_flat" and info.params["nlist"] == 16 and info.trained
        assert client.search("s", data[7], k=10).ids == before


def test_float16_hnsw_holds_rounded_vectors_in_half_the_memory(
    start_server: Callable[..., SemspaceServer],
) -> None:
    server = start_server()
    data = clustered(N, seed=8)
    ids = [f"p{i}" for i in range(N)]
    with Client(server.address) as client:
        for name, bits in (("full", 32), ("half", 16)):
            client.create_space(name, DIM, "l2", index="hnsw", index_params={"vector_bits": bits})
            client.upsert(name, ids, data)
        assert np.array_equal(client.get("full", ids).vectors, data)
        held = client.get("half", ids).vectors
        # Each the float16 value IEEE rounding gives, ties to even (FAISS alone rounds them up).
        assert np.array_equal(held, data.astype(np.float16).astype(np.float32))
        assert not np.array_equal(held, data)
        hit = client.search("half", data[5], k=1, with_vectors=True)
        assert hit.ids == ["p5"] and np.array_equal(hit.vectors[0], held[5])
        full, half = (client.get_space(n).index_info for n in ("full", "half"))
        assert half.params["vector_bits"] == 16 and full.params["vector_bits"] == 32
        vector_bytes = N * DIM * 2  # what float16 saves
        assert full.memory_bytes - half.memory_bytes == pytest.approx(vector_bytes, rel=0.05)
    server.stop(0)
    # Replayed from the log after a restart: the same rounded vectors, the same index.
    with Client(start_server().address) as client:
        assert client.get_space("half").index_info.params["vector_bits"] == 16
        assert np.array_equal(client.get("half", ids).vectors, held)


def test_float16_rounds_ties_to_even_and_refuses_what_it_would_store_as_inf(
    client: Client,
) -> None:
    client.create_space("half16", 2, "l2", index="hnsw", index_params={"vector_bits": 16})
    tie = np.float32(1 + 2**-11)  # halfway between float16 1 and its successor
    largest = np.float32(65519)  # rounds to float16's largest, 65,504
    client.upsert("half16", ["tie", "big"], [[tie, -tie], [largest, -largest]])
    assert client.get("half16", ["tie", "big"]).vectors.tolist() == [
        [1.0, -1.0],
        [65504.0, -65504.0],
    ]
    for beyond in (65520.0, 1e6):  # 65,520 rounds to Inf
        with pytest.raises(InvalidArgumentError, match=r"vectors\[1\].*float16"):
            client.upsert("half16", ["ok", "inf"], [[1, 2], [0, beyond]])
    assert client.get_space("half16").count == 2
    assert client.search("half16", [1, -1], k=1).ids == ["tie"]


def test_knobs_change_the_effort(client: Client) -> None:
    data = clustered(N, seed=6)
    ids = [f"p{i}" for i in range(N)]
    client.create_space("h", DIM, index="hnsw", index_params={"m": 8, "ef_construction": 16})
    client.upsert("h", ids, data)
    queries = clustered(50, seed=7)
    truth = exact_ids(data, ids, queries, "cosine", 10)
    low = recall([n.ids for n in client.search_batch("h", queries, 10, ef_search=1)], truth)
    high = recall([n.ids for n in client.search_batch("h", queries, 10, ef_search=512)], truth)
    assert high > low and high >= 0.9


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        ("annoy", {}, "index.kind"),
        ("hnsw", {"nlist": 4}, "index.params.nlist"),
        ("hnsw", {"m": 1}, "index.params.m"),
        ("hnsw", {"vector_bits": 8}, "index.params.vector_bits"),
        ("flat", {"vector_bits": 16}, "index.params.vector_bits"),
        ("ivf_pq", {"pq_m": 5}, "index.params.pq_m"),
        ("ivf_flat", {"nlist": 8, "nprobe": 9}, "index.params.nprobe"),
    ],
)
def test_bad_index_specs_are_named(client: Client, kind: str, params: dict, field: str) -> None:
    with pytest.raises(InvalidArgumentError, match=field.replace(".", r"\.")):
        client.create_space("bad", DIM, index=kind, index_params=params)
    assert [s.name for s in client.list_spaces()] == []


@pytest.mark.parametrize(
    ("kind", "knobs", "field"),
    [
        ("flat", {"ef_search": 10}, "params.ef_search"),
        ("hnsw", {"ef_search": 5000}, "params.ef_search"),
        ("hnsw", {"nprobe": 2}, "params.nprobe"),
        ("ivf_flat", {"nprobe": 17}, "params.nprobe"),
    ],
)
def test_bad_knobs_are_named(client: Client, kind: str, knobs: dict, field: str) -> None:
    client.create_space("s", DIM, index=kind, index_params=INDEXES[kind])
    client.upsert("s", ["a"], np.ones((1, DIM)))
    with pytest.raises(InvalidArgumentError, match=field.replace(".", r"\.")):
        client.search("s", np.ones(DIM), **knobs)


# A rebuild of a small graph, or of small lists, is quick to hold and check.
SMALL_INDEX = {"hnsw": {"m": 8}, "ivf_flat": {"nlist": 16, "nprobe": 16}}


@pytest.mark.parametrize("kind", ["hnsw", "ivf_flat"])
def test_reads_and_writes_go_on_while_a_rebuild_builds_the_new_index(
    start_server: Callable[..., SemspaceServer], monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """A rebuild builds the new index beside the old one while the space is read and written
    (an HNSW rebuild of 1M points takes minutes), then catches up with the writes made meanwhile.
    The real rebuild runs, held after its first round: deletes, replacements and new points
    written then must all be in the index it swaps in, and nothing else."""
    first_round, go_on = threading.Event(), threading.Event()
    catch_up = rebuild.NewLayout.catch_up
    rounds = []

    def held_after_first_round(self, *args, **kwargs):
        if rounds:
            first_round.set()
            go_on.wait(30)
        rounds.append(1)
        return catch_up(self, *args, **kwargs)

    monkeypatch.setattr(rebuild.NewLayout, "catch_up", held_after_first_round)
    server = start_server()
    data = clustered(N, seed=9)
    ids = [f"p{i}" for i in range(N)]
    with Client(server.address, timeout=10) as client:
        client.create_space("s", DIM, "l2", index=kind, index_params=SMALL_INDEX[kind])
        client.upsert("s", ids, data)
        client.delete("s", ids[:1600], timeout=5)  # begins the rebuild, answered at once
        try:
            assert first_round.wait(10)
            assert client.get_space("s", timeout=5).index_info.tombstones == 1600
            assert server.registry.get("s").rebuilding
            # Meanwhile, on the old index: reads, and writes the rebuild must catch up with.
            assert client.search("s", data[2000], k=1, timeout=5).ids == ["p2000"]
            client.delete("s", ids[1600:1700], timeout=5)
            client.upsert("s", ids[1700:1710], data[:10], timeout=5)  # replaced
            client.upsert("s", ["new"], data[1:2], timeout=5)
            assert client.scroll("s", limit=3, timeout=5).ids == ids[1710:1713]
        finally:
            go_on.set()
        deadline = time.monotonic() + 20
        while client.get_space("s").index_info.tombstones > 110:
            assert time.monotonic() < deadline, "the rebuild never swapped in"
            time.sleep(0.05)
        info = client.get_space("s")
        # The new index: 1,400 points carried over, 110 of which died meanwhile, then 11 added.
        assert info.index_info.tombstones == 110 and info.count == N - 1700 + 1
        survivors = ids[1710:] + ids[1700:1710] + ["new"]
        assert client.scroll("s", limit=N).ids == survivors
        assert client.get("s", ids[1700:1710]).vectors.tolist() == data[:10].tolist()
        assert client.search("s", data[1], k=2).ids[0] in {"p1701", "new"}
        assert client.search("s", data[2000], k=1).ids == ["p2000"]


def get_space_while_writing(
    server: SemspaceServer,
    setup: str,
    paused: threading.Event,
    go_on: threading.Event,
    write: Callable[[Client, list[str], np.ndarray], None],
    before_get_space: Callable[[], None] = lambda: None,
):
    """A space of N clustered points; GetSpace in a thread, and once it has reached `paused`,
    `write` (whose calls must be answered meanwhile: their deadline is 5 s) before it goes on.
    GetSpace's answer."""
    kind, params = SETUPS[setup]
    data = clustered(N, seed=12)
    ids = [f"p{i}" for i in range(N)]
    answer = {}
    with Client(server.address, timeout=30) as client:
        client.create_space("s", DIM, "l2", index=kind, index_params=params)
        client.upsert("s", ids, data)
        before_get_space()
        reader = threading.Thread(target=lambda: answer.update(info=client.get_space("s")))
        reader.start()
        try:
            assert paused.wait(10)
            write(client, ids, data)
        finally:
            go_on.set()
            reader.join(30)
    return answer["info"]


@pytest.mark.parametrize("setup", ["hnsw", "ivf_pq"])
def test_writes_go_on_while_get_space_measures_recall(
    start_server: Callable[..., SemspaceServer], monkeypatch: pytest.MonkeyPatch, setup: str
) -> None:
    """GetSpace measures recall@10 against a brute-force scan that reads the points a block at
    a time: writes made meanwhile are answered at once, and the figure stays that of the points
    the index was searched over (deleting a third of them then would cost recall otherwise)."""
    paused = pause_at_second_block(monkeypatch, block_rows=500)
    server = start_server(wal_compact_bytes=1 << 30)  # no snapshot reads blocks meanwhile

    def write(client: Client, ids: list[str], data: np.ndarray) -> None:
        client.delete("s", ids[:1000], timeout=5)
        client.upsert("s", ids[:10], data[-10:], timeout=5)
        assert client.search("s", data[-1], k=1, timeout=5).ids in (["p9"], [ids[-1]])

    info = get_space_while_writing(server, setup, paused.second_block, paused.go_on, write)
    assert info.index_info.recall_at_10 >= 0.9


@pytest.mark.parametrize("setup", ["hnsw", "ivf_flat", "ivf_pq"])
def test_writes_go_on_between_the_searches_of_a_recall_measurement(
    start_server: Callable[..., SemspaceServer], monkeypatch: pytest.MonkeyPatch, setup: str
) -> None:
    """A recall measurement searches the index a few queries per hold of the read lock, over the
    points live when it began: writes between two holds are answered at once, and deleting two
    thirds of the points then (a rebuild begins) leaves the figure as it was."""
    monkeypatch.setattr(indexes, "RECALL_QUERIES_PER_LOCK", 50)
    first_turn, go_on = threading.Event(), threading.Event()
    measuring: dict[str, int | None] = {}
    index_class = HnswIndex if SETUPS[setup][0] == "hnsw" else IvfIndex
    search, read = index_class.search, ReadWriteLock.read

    def noting_search(self, *args, **kwargs):
        if measuring:  # GetSpace was called: the measurement is the only one searching
            measuring["thread"] = threading.get_ident()
        return search(self, *args, **kwargs)

    @contextmanager
    def pausing_read(self):
        with read(self):
            yield
        if measuring.get("thread") == threading.get_ident() and not first_turn.is_set():
            first_turn.set()  # the lock is released: wait here until the test has written
            go_on.wait(30)

    monkeypatch.setattr(index_class, "search", noting_search)
    monkeypatch.setattr(ReadWriteLock, "read", pausing_read)
    server = start_server(wal_compact_bytes=1 << 30)

    def write(client: Client, ids: list[str], data: np.ndarray) -> None:
        client.delete("s", ids[:2000], timeout=5)
        client.upsert("s", ids[:10], data[-10:], timeout=5)

    info = get_space_while_writing(
        server, setup, first_turn, go_on, write, lambda: measuring.update(thread=None)
    )
    assert info.index_info.recall_at_10 >= 0.9
    # The other figures are those of the space after the writes made meanwhile.
    assert info.count == N - 2000 + 10


def test_get_space_measures_recall_again_once_a_rebuild_built_a_new_index(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The figure is the serving index's: a rebuild builds a new graph, so the next GetSpace
    measures again, even when the point count has not moved (every point replaced twice)."""
    measured = []
    measure = space_store.measure_recall

    def counting_measure(*args, **kwargs):
        measured.append(measure(*args, **kwargs))
        return measured[-1]

    monkeypatch.setattr(space_store, "measure_recall", counting_measure)
    data = clustered(N, seed=14)
    ids = [f"p{i}" for i in range(N)]
    client.create_space("s", DIM, "l2", index="hnsw", index_params={"m": 8})
    client.upsert("s", ids, data)
    client.get_space("s")
    before = len(measured)
    client.get_space("s")
    assert len(measured) == before  # nothing changed since
    client.upsert("s", ids, data)
    client.upsert("s", ids, data)  # 6,000 dead rows past 3,000 live: a rebuild
    wait_for_rebuild(client, "s")
    assert client.get_space("s").index_info.recall_at_10 == measured[-1] >= 0.9
    assert len(measured) == before + 1
