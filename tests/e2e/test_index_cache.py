"""The index cache: a restart reads the HNSW graph or trained IVF index it built before, answers
exactly as the built one did, and writes on; a space that only gained points since starts from
it; a stale, damaged or unusable cache costs only a build, never a wrong answer."""

from __future__ import annotations

import json
import logging
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import faiss
import numpy as np
import pytest

from semspace.artifact import (
    VECTORS,
    Metric,
    Producer,
    read_manifest,
    update_index,
    vectors_sha256,
    writing_artifact,
)
from semspace.client import Client
from semspace.index_config import IndexConfig, IndexKind
from semspace.server import index_cache, space_store
from semspace.server.app import SemspaceServer, create_server
from semspace.server.index_cache import DEFAULT_DIRECTORY, IndexCache, RowsIdentity, cache_key
from tests.conftest import settings_for, wait_for_rebuild
from tests.e2e.processes import ServerProcess
from tests.e2e.test_index_types import INDEXES, SETUPS, clustered, exact_ids, recall
from tests.e2e.test_observability import scrape

N = 3000
DIM = 32
Start = Callable[..., SemspaceServer]


@contextmanager
def serving(start: Start, **overrides: object) -> Iterator[Client]:
    """A client of a server that is stopped on leaving: the next one restarts over its files."""
    server = start(**overrides)
    try:
        with Client(server.address) as client:
            yield client
    finally:
        server.stop(0)


def count_recall_measurements(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Lists the point count of each recall@10 measurement made from now on."""
    measured: list[int] = []
    measure = space_store.measure_recall

    def counting(index, *args, **kwargs):  # type: ignore[no-untyped-def]
        measured.append(index.count)
        return measure(index, *args, **kwargs)

    monkeypatch.setattr(space_store, "measure_recall", counting)
    return measured


def filled_space(client: Client, seed: int, setup: str = "hnsw") -> tuple[np.ndarray, list[str]]:
    """Space "s": N clustered points p0, p1, ... in an L2 index of the set-up (HNSW by
    default); their vectors and ids."""
    kind, params = SETUPS[setup]
    data, ids = clustered(N, seed), [f"p{i}" for i in range(N)]
    client.create_space("s", DIM, "l2", index=kind, index_params=params)
    client.upsert("s", ids, data)
    return data, ids


def cache_entries(root: Path, space: str) -> list[str]:
    directory = root / DEFAULT_DIRECTORY / space
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def write_artifact(root: Path, vectors: np.ndarray, index: IndexConfig) -> None:
    """A space as a trainer or an import would leave it: no log, read-only when served."""
    with writing_artifact(root, "vecs") as writer:
        writer.finish(
            kind="imported",
            metric=Metric.COSINE,
            vectors=vectors,
            ids=[f"p{i}" for i in range(len(vectors))],
            producer=Producer(name="test"),
            index=index,
        )


def answers(client: Client, space: str, queries: np.ndarray) -> list[tuple[list[str], list]]:
    return [(n.ids, np.round(n.scores, 5).tolist()) for n in client.search_batch(space, queries)]


@pytest.mark.parametrize("setup", [s for s in SETUPS if s != "flat"])
def test_a_restart_reads_the_index_and_answers_as_the_built_one(
    start_server: Start, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setup: str
) -> None:
    kind, params = SETUPS[setup]
    queries = clustered(20, seed=2)
    with serving(start_server) as client:
        data, ids = filled_space(client, seed=1, setup=setup)
        built = answers(client, "s", queries)
        stored_p5 = client.get("s", ["p5"]).vectors[0]
        info = client.get_space("s").index_info
        assert not info.read_from_cache
        built_recall = info.recall_at_10
    # Stopping folded the log into a snapshot and kept the index built over its rows.
    assert len(cache_entries(tmp_path / "artifacts", "s")) == 2  # the index and its description
    measured = count_recall_measurements(monkeypatch)
    with serving(start_server) as client:
        info = client.get_space("s").index_info
        assert info.read_from_cache and info.kind == kind and info.trained
        # The same index over the same points: its recall was stored with it, not measured.
        assert info.recall_at_10 == built_recall and measured == []
        assert info.params == {**info.params, **params}
        assert answers(client, "s", queries) == built
        found = [n.ids for n in client.search_batch("s", queries, k=10)]
        assert recall(found, exact_ids(data, ids, queries, "l2", 10)) >= 0.9
        np.testing.assert_array_equal(client.get("s", ["p5"]).vectors[0], stored_p5)
        # It takes writes as the built one does: new points, replacements, deletes.
        client.upsert("s", ["new", "p1"], [queries[0], queries[1]])
        client.delete("s", ["p2"])
        assert client.search("s", queries[0], k=1).ids == ["new"]
        assert client.search("s", queries[1], k=1).ids == ["p1"]
        assert "p2" not in client.search("s", data[2], k=10).ids
        assert client.get_space("s").count == N


def test_a_trained_artifact_is_built_once_then_read(start_server: Start, tmp_path: Path) -> None:
    root = tmp_path / "artifacts"
    data = clustered(N, seed=3)
    write_artifact(root, data, IndexConfig(kind=IndexKind.HNSW, m=16))
    with serving(start_server) as client:
        assert not client.get_space("vecs").index_info.read_from_cache
        built = answers(client, "vecs", data[:20])
    with serving(start_server) as client:
        assert client.get_space("vecs").index_info.read_from_cache
        assert answers(client, "vecs", data[:20]) == built
        # Other index settings are another index: built, and the old entry replaced.
        old_entries = cache_entries(root, "vecs")
        update_index(root / "vecs", IndexConfig(kind=IndexKind.HNSW, m=8))
        client.reload(["vecs"])
        info = client.get_space("vecs").index_info
        assert not info.read_from_cache and info.params["m"] == 8
        entries = cache_entries(root, "vecs")
        assert len(entries) == 2 and not set(entries) & set(old_entries)
    # Operators see it too.
    metered = start_server(metrics_port=0)
    assert scrape(metered)[("semspace_index_read_from_cache", (("space", "vecs"),))] == 1


def test_a_load_that_checked_the_vectors_file_hashes_no_rows_again(
    start_server: Start, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry records the sha256 of the vectors file it was stored from; a load that has just
    checked that file against its manifest needs no second hash of the rows to trust the entry.
    Without the check (verify_artifacts off), the rows are hashed."""
    root = tmp_path / "artifacts"
    write_artifact(root, clustered(N, seed=12), IndexConfig(kind=IndexKind.HNSW))
    with serving(start_server):
        pass
    (description,) = (root / DEFAULT_DIRECTORY / "vecs").glob("*.json")
    listed = read_manifest(root / "vecs").listed_sha256(VECTORS)
    assert json.loads(description.read_text())["vectors_file_sha256"] == listed
    hashed: list[int] = []
    rows_hash = index_cache.vectors_sha256

    def counting(directory: Path, rows: int) -> str:
        hashed.append(rows)
        return rows_hash(directory, rows)

    monkeypatch.setattr(index_cache, "vectors_sha256", counting)
    for verify, hashes in ((True, []), (False, [N])):
        hashed.clear()
        with serving(start_server, verify_artifacts=verify) as client:
            assert client.get_space("vecs").index_info.read_from_cache
        assert hashed == hashes


def test_a_damaged_entry_is_rebuilt_and_replaced(start_server: Start, tmp_path: Path) -> None:
    root = tmp_path / "artifacts"
    data = clustered(N, seed=4)
    write_artifact(root, data, IndexConfig(kind=IndexKind.HNSW))
    with serving(start_server) as client:
        built = answers(client, "vecs", data[:20])
    (stored,) = (root / DEFAULT_DIRECTORY / "vecs").glob("*.faiss")
    damaged = bytearray(stored.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    stored.write_bytes(bytes(damaged))
    with serving(start_server) as client:
        assert not client.get_space("vecs").index_info.read_from_cache
        assert answers(client, "vecs", data[:20]) == built
    with serving(start_server) as client:
        assert client.get_space("vecs").index_info.read_from_cache


def test_an_entry_of_other_rows_under_the_right_key_is_caught(
    start_server: Start, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """As if the vectors were prepared differently than when the entry was stored: the rows
    loaded are checked against the stored ones."""
    root = tmp_path / "artifacts"
    data = clustered(N, seed=5)
    write_artifact(root, data, IndexConfig(kind=IndexKind.HNSW))
    other = faiss.IndexHNSWFlat(DIM, IndexConfig().m, faiss.METRIC_INNER_PRODUCT)
    rows = clustered(N, seed=6)
    other.add(rows / np.linalg.norm(rows, axis=1, keepdims=True))
    # Filed under the real rows' key, sha256 and vectors file, so only loading the rows can tell.
    manifest = read_manifest(root / "vecs")
    IndexCache(root / DEFAULT_DIRECTORY).write(
        "vecs",
        cache_key(manifest),
        other,
        RowsIdentity(vectors_sha256(root / "vecs", N), manifest.listed_sha256(VECTORS)),
        recall_at_10=0.5,
        dead_labels=np.empty(0, dtype=np.int64),
    )
    with caplog.at_level(logging.WARNING), serving(start_server) as client:
        assert not client.get_space("vecs").index_info.read_from_cache
        queries = clustered(20, seed=7)
        found = [n.ids for n in client.search_batch("vecs", queries, k=10)]
        truth = exact_ids(data, [f"p{i}" for i in range(N)], queries, "cosine", 10)
        assert recall(found, truth) >= 0.9
    assert "stale" in caplog.text
    with serving(start_server) as client:
        assert client.get_space("vecs").index_info.read_from_cache


def entry(root: Path, space: str) -> dict:
    (description,) = (root / DEFAULT_DIRECTORY / space).glob("*.json")
    return json.loads(description.read_text())


@pytest.mark.parametrize("setup", [s for s in SETUPS if s != "flat"])
def test_points_deleted_and_replaced_among_the_stored_rows_keep_the_entry_in_use(
    start_server: Start, tmp_path: Path, setup: str
) -> None:
    """FAISS cannot remove a point from an HNSW graph, so a restored index keeps the labels of
    points deleted since: the entry stored as the server stops, with the log folded into a
    snapshot first, records them as dead, and the snapshot's rows are its other labels in
    order. Restarts read it, and answer as the server did before them."""
    root = tmp_path / "artifacts"
    queries = clustered(20, seed=9)
    with serving(start_server) as client:
        data, ids = filled_space(client, seed=8, setup=setup)
    with serving(start_server) as client:
        assert client.get_space("s").index_info.read_from_cache
        client.delete("s", ["p5"])
        client.upsert("s", ["p7", "new"], queries[:2])  # p7 replaced: its old row dies
        before = answers(client, "s", queries)
        p7 = client.get("s", ["p7"]).vectors[0]
    with serving(start_server) as client:
        info = client.get_space("s").index_info
        assert info.read_from_cache and info.tombstones == 2
        assert answers(client, "s", queries) == before
    stored = entry(root, "s")
    assert stored["dead_labels"] == [5, 7] and stored["rows"] == N
    for _ in range(2):  # the entry as stored, then once more after further writes
        with serving(start_server) as client:
            info = client.get_space("s")
            assert info.index_info.read_from_cache and info.count == N
            assert answers(client, "s", queries) == before
            assert client.search("s", queries[0], k=1).ids == ["p7"]
            assert client.search("s", queries[1], k=1).ids == ["new"]
            assert "p5" not in client.search("s", data[5], k=20).ids
            np.testing.assert_array_equal(client.get("s", ["p7"]).vectors[0], p7)
            found = [n.ids for n in client.search_batch("s", data[100:120], k=10)]
            live = [i for i in range(N) if i not in (5, 7)]
            truth = exact_ids(data[live], [ids[i] for i in live], data[100:120], "l2", 10)
            assert recall(found, truth) >= 0.9
            client.upsert("s", ["later"], queries[2:3])
            client.delete("s", ["later"])
    # Each round's point, folded and stored as the server stopped.
    assert entry(root, "s")["dead_labels"] == [5, 7, N + 2, N + 3]


def test_semspace_serve_stopped_by_sigterm_stores_the_index(tmp_path: Path) -> None:
    """The process a container runtime stops: SIGTERM drains, folds the log and stores."""
    root = tmp_path / "artifacts"
    server = ServerProcess(root)
    try:
        with Client(server.address) as client:
            data, _ = filled_space(client, seed=21)
            client.delete("s", ["p5"])
    finally:
        server.stop()
    assert entry(root, "s")["dead_labels"] == [5]
    again = ServerProcess(root)
    try:
        with Client(again.address) as client:
            assert client.get_space("s").index_info.read_from_cache
            assert client.search("s", data[6], k=1).ids == ["p6"]
    finally:
        again.stop()


def test_a_killed_server_s_log_is_replayed_onto_the_stored_index_and_stored_again(
    start_server: Start, tmp_path: Path
) -> None:
    """No entry is stored at a kill: the next start reads the last one, replays the log's
    deletes and replacements onto it, folds the log and stores the index, dead labels and all.
    A start that changes nothing stores nothing."""
    root = tmp_path / "artifacts"
    with serving(start_server) as client:
        data, _ = filled_space(client, seed=16)
    (stored,) = (root / DEFAULT_DIRECTORY / "s").glob("*.faiss")
    killed = ServerProcess(root)
    with Client(killed.address) as client:
        client.delete("s", ["p5"])
        client.upsert("s", ["p7"], data[8:9])
    killed.signal(signal.SIGKILL)
    killed.wait()
    assert entry(root, "s")["dead_labels"] == []
    with serving(start_server) as client:
        info = client.get_space("s").index_info
        assert info.read_from_cache and info.tombstones == 2
    assert entry(root, "s")["dead_labels"] == [5, 7]
    written = stored.stat().st_mtime_ns
    with serving(start_server) as client:
        assert client.get_space("s").index_info.read_from_cache
        assert set(client.search("s", data[8], k=2).ids) == {"p7", "p8"}
        assert "p5" not in client.search("s", data[5], k=20).ids
    assert stored.stat().st_mtime_ns == written


def test_a_snapshot_written_while_serving_keeps_the_entry_fitting_for_a_kill(
    start_server: Start, tmp_path: Path
) -> None:
    """A snapshot written past `wal_compact_bytes` leaves out points deleted or replaced among
    the entry's rows: the entry's description is made to fit it (those labels dead, its rows
    the snapshot's first), so a server killed after it still starts from the stored index."""
    root = tmp_path / "artifacts"
    with serving(start_server) as client:
        data, _ = filled_space(client, seed=17)
    killed = ServerProcess(root, SEMSPACE_WAL_COMPACT_BYTES="4096")
    with Client(killed.address) as client:
        client.delete("s", ["p5"])
        fresh = clustered(100, seed=18)
        client.upsert("s", ["p7", *(f"q{i}" for i in range(99))], fresh)  # past 4 KiB: snapshot
        deadline = time.monotonic() + 30
        while entry(root, "s")["dead_labels"] != [5, 7]:
            assert time.monotonic() < deadline, "the entry was never refitted"
            time.sleep(0.05)
        client.delete("s", ["p9"])  # in the log only
    killed.signal(signal.SIGKILL)
    killed.wait()
    refitted = entry(root, "s")
    assert refitted["rows"] == N - 2 and refitted["recall_at_10"] is None
    with serving(start_server) as client:
        info = client.get_space("s")
        assert info.index_info.read_from_cache and info.count == N + 97
        assert client.search("s", fresh[0], k=1).ids == ["p7"]
        assert client.search("s", data[8], k=1).ids == ["p8"]
        for gone in (5, 9):
            assert f"p{gone}" not in client.search("s", data[gone], k=20).ids
    assert entry(root, "s")["dead_labels"] == [5, 7, 9]


def test_an_index_rebuilt_while_serving_is_stored_at_the_stop(
    start_server: Start, tmp_path: Path
) -> None:
    """A rebuild renumbers the points: the stop writes a snapshot in the new numbering, even
    with nothing left in the log, and stores the rebuilt index for it."""
    root = tmp_path / "artifacts"
    with serving(start_server) as client:
        data, ids = filled_space(client, seed=19)
    with serving(start_server, wal_compact_bytes=1024) as client:
        client.delete("s", ids[: N - 1000])  # more dead rows than live: a rebuild
        wait_for_rebuild(client, "s")
    assert entry(root, "s") | {"recall_at_10": 0} == entry(root, "s") | {
        "rows": 1000,
        "dead_labels": [],
        "recall_at_10": 0,
    }
    with serving(start_server) as client:
        info = client.get_space("s")
        assert info.index_info.read_from_cache and info.count == 1000
        assert info.index_info.tombstones == 0
        assert client.search("s", data[N - 1], k=1).ids == [ids[N - 1]]


def test_a_refit_for_a_snapshot_already_replaced_writes_nothing(
    start_server: Start, tmp_path: Path
) -> None:
    """A refit runs after its snapshot is in place, while writes go on: if a later snapshot
    replaced it meanwhile, hashing the rows on disk would describe other rows."""
    root = tmp_path / "artifacts"
    with serving(start_server) as client:
        filled_space(client, seed=20)
    manifest = read_manifest(root / "s")
    cache, key = IndexCache(root / DEFAULT_DIRECTORY), cache_key(manifest)
    # As if the snapshot on disk had lost p5: its rows would be these labels.
    labels = np.delete(np.arange(N), [5])
    before = entry(root, "s")
    cache.refit("s", key, root / "s", labels, "the sha256 of a snapshot replaced since")
    assert entry(root, "s") == before
    # The snapshot there holds N rows, not these N - 1.
    cache.refit("s", key, root / "s", labels, manifest.listed_sha256(VECTORS) or "")
    assert entry(root, "s") == before


@pytest.mark.parametrize("setup", ["hnsw", "ivf_flat"])
def test_dead_labels_that_misplace_the_rows_are_caught(
    start_server: Start, tmp_path: Path, caplog: pytest.LogCaptureFixture, setup: str
) -> None:
    """Every restored row is compared with the stored one: an entry whose dead labels are off
    by one would give row 5 the vector of another point."""
    root = tmp_path / "artifacts"
    with serving(start_server) as client:
        data, _ = filled_space(client, seed=15, setup=setup)
    with serving(start_server) as client:
        client.delete("s", ["p5", "p7"])
    with serving(start_server):
        pass
    (description,) = (root / DEFAULT_DIRECTORY / "s").glob("*.json")
    stored = json.loads(description.read_text())
    assert stored["dead_labels"] == [5, 7]
    description.write_text(json.dumps(stored | {"dead_labels": [6, 7]}))
    with caplog.at_level(logging.WARNING), serving(start_server) as client:
        assert not client.get_space("s").index_info.read_from_cache
        assert client.search("s", data[6], k=1).ids == ["p6"]
        assert "p5" not in client.search("s", data[5], k=20).ids
    assert "stale" in caplog.text


def test_an_index_due_for_a_rebuild_is_not_stored_and_the_next_load_builds_it_compact(
    start_server: Start, tmp_path: Path
) -> None:
    root = tmp_path / "artifacts"
    with serving(start_server) as client:
        data, ids = filled_space(client, seed=14)
    with serving(start_server):
        pass
    with serving(start_server) as client:
        client.delete("s", ids[: N - 1000])  # more dead rows than live: due for a rebuild
    with serving(start_server) as client:
        info = client.get_space("s").index_info
        assert info.read_from_cache and info.tombstones == N - 1000
    assert entry(root, "s")["rows"] == N  # the entry read, as it was
    with serving(start_server) as client:
        info = client.get_space("s").index_info
        assert not info.read_from_cache and info.tombstones == 0
    assert entry(root, "s") | {"recall_at_10": 0} == entry(root, "s") | {
        "rows": 1000,
        "dead_labels": [],
        "recall_at_10": 0,
    }
    with serving(start_server) as client:
        assert client.get_space("s").index_info.read_from_cache
        assert client.search("s", data[N - 1], k=1).ids == [ids[N - 1]]
        assert client.get_space("s").count == 1000
        client.drop_space("s")
    assert not (root / DEFAULT_DIRECTORY / "s").exists()


def test_an_unusable_cache_only_costs_the_build(
    start_server: Start, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "artifacts"
    data = clustered(N, seed=9)
    write_artifact(root, data, IndexConfig(kind=IndexKind.IVF_FLAT, nlist=16, nprobe=16))
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    with caplog.at_level(logging.WARNING), serving(start_server, index_cache_dir=blocked) as client:
        assert client.search("vecs", data[3], k=1).ids == ["p3"]
    assert "cannot store the index of vecs" in caplog.text
    with serving(start_server, index_cache=False) as client:
        assert client.search("vecs", data[3], k=1).ids == ["p3"]
    assert not (root / DEFAULT_DIRECTORY).exists()


def entry_rows(root: Path, space: str) -> int:
    (description,) = (root / DEFAULT_DIRECTORY / space).glob("*.json")
    return int(json.loads(description.read_text())["rows"])


def test_a_space_that_gained_points_starts_from_the_stored_index(
    start_server: Start, tmp_path: Path
) -> None:
    """Past `wal_compact_bytes` a snapshot is written while the space serves; a server killed
    then leaves no entry for it, and the next start loads it, not the snapshot the entry was
    stored for: the entry's rows come first in it, so they are read, and only the points added
    since are inserted."""
    root = tmp_path / "artifacts"
    data, queries = clustered(N, seed=10), clustered(20, seed=11)
    ids = [f"p{i}" for i in range(N)]
    with serving(start_server) as client:
        client.create_space("s", DIM, "l2", index="hnsw", index_params=INDEXES["hnsw"])
        client.upsert("s", ids[:2000], data[:2000])
    killed = ServerProcess(root, SEMSPACE_WAL_COMPACT_BYTES="1024")
    with Client(killed.address) as client:
        client.upsert("s", ids[2000:2500], data[2000:2500])
        client.delete("s", ["p2400"])  # dead rows after the entry's rows keep it fitting
        for start in range(2500, N, 100):
            client.upsert("s", ids[start : start + 100], data[start : start + 100])
    killed.signal(signal.SIGKILL)
    killed.wait()
    assert entry_rows(root, "s") == 2000
    with serving(start_server) as client:
        info = client.get_space("s")
        assert info.index_info.read_from_cache and info.count == N - 1
        found = [n.ids for n in client.search_batch("s", queries, k=10)]
        alive = [i for i in range(N) if i != 2400]
        truth = exact_ids(data[alive], [ids[i] for i in alive], queries, "l2", 10)
        assert recall(found, truth) >= 0.9
        assert client.search("s", data[2999], k=1).ids == ["p2999"]
    # The index of all of them is stored in turn, once a snapshot holds exactly its rows.
    assert entry_rows(root, "s") == N - 1


def test_entries_of_spaces_gone_from_disk_are_removed_at_start(
    start_server: Start, tmp_path: Path
) -> None:
    root = tmp_path / "artifacts"
    write_artifact(root, clustered(N, seed=13), IndexConfig(kind=IndexKind.HNSW))
    with serving(start_server):
        pass
    assert cache_entries(root, "vecs")
    foreign = root / DEFAULT_DIRECTORY / "notes"  # not ours: left alone
    foreign.mkdir()
    (foreign / "todo.txt").write_text("keep me")
    shutil.rmtree(root / "vecs")  # by hand, with the server stopped
    with serving(start_server):
        pass
    assert not (root / DEFAULT_DIRECTORY / "vecs").exists()
    assert (foreign / "todo.txt").read_text() == "keep me"


def test_servers_sharing_a_cache_directory_keep_their_own_entries(tmp_path: Path) -> None:
    """Two artifacts directories hold a space of the same name, and a third none, all with one
    `index_cache_dir`: neither replaces the other's entry, and the third prunes neither."""
    shared = tmp_path / "shared-cache"
    data = {"a": clustered(N, seed=21), "b": clustered(N, seed=22)}
    for name, vectors in data.items():
        write_artifact(tmp_path / name, vectors, IndexConfig(kind=IndexKind.HNSW))
    for second_round in (False, True):
        for name in ("a", "empty", "b"):
            server = create_server(settings_for(tmp_path / name, index_cache_dir=shared))
            try:
                server.load()
                if name in data:
                    with Client(server.address) as client:
                        assert client.get_space("vecs").index_info.read_from_cache == second_round
                        assert client.search("vecs", data[name][5], k=1).ids == ["p5"]
            finally:
                server.stop(0)
    assert sorted(d.name.split("-")[0] for d in shared.iterdir()) == ["a", "b"]
