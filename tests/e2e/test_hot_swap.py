"""Hot swap: a retrained space is loaded beside the serving one and swapped in under its name
while queries keep coming; none fails or sees a mix, and the old version stays reachable."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from semspace.artifact import Metric, Producer, update_index, writing_artifact
from semspace.client import Client, FailedPreconditionError, NotFoundError
from semspace.index_config import IndexConfig, IndexKind
from semspace.server.app import SemspaceServer
from tests.conftest import wait_until

DIM = 8
N = 500


def write_space(root: Path, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(N, DIM)).astype(np.float32)
    with writing_artifact(root, "vecs") as writer:
        writer.finish(
            kind="imported",
            metric=Metric.L2,
            vectors=vectors,
            ids=[f"v{i}" for i in range(N)],
            producer=Producer(name="test", config={"seed": seed}),
        )
    return vectors


def top_ids(vectors: np.ndarray, query: np.ndarray, k: int) -> list[str]:
    order = np.argsort(((vectors - query) ** 2).sum(axis=1), kind="stable")[:k]
    return [f"v{i}" for i in order]


def test_reload_swaps_under_load_without_errors(start_server, tmp_path: Path) -> None:
    root = tmp_path / "artifacts"
    old = write_space(root, seed=1)
    server: SemspaceServer = start_server()
    query = np.random.default_rng(9).normal(size=DIM).astype(np.float32)
    answers = {"old": top_ids(old, query, 10)}
    seen: list[list[str]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def hammer() -> None:
        with Client(server.address) as client:
            while not stop.is_set():
                try:
                    seen.append(client.search("vecs", query, k=10).ids)
                except Exception as error:  # any failure is the finding
                    errors.append(error)
                    return

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    with Client(server.address) as client:
        while len(seen) < 50:
            threading.Event().wait(0.01)
        new = write_space(root, seed=2)
        answers["new"] = top_ids(new, query, 10)
        changes = client.reload()
        before_stop = len(seen)
        while len(seen) < before_stop + 50:
            threading.Event().wait(0.01)
        stop.set()
        for thread in threads:
            thread.join()
        assert not errors
        assert [(c.space, c.action, c.version) for c in changes] == [("vecs", "replaced", 2)]
        assert all(ids in (answers["old"], answers["new"]) for ids in seen)
        assert seen[-1] == answers["new"] and answers["old"] in seen
        info = client.get_space("vecs")
        assert (info.version, info.versions) == (2, [1, 2])
        assert client.search("vecs@1", query, k=10).ids == answers["old"]
        assert client.get_space("vecs@1").version == 1


def test_versions_drop_and_reload_rules(start_server, tmp_path: Path) -> None:
    root = tmp_path / "artifacts"
    write_space(root, seed=1)
    server = start_server()
    with Client(server.address) as client:
        client.create_space("mine", DIM)
        assert {c.space: c.action for c in client.reload()} == {
            "mine": "skipped",
            "vecs": "unchanged",
        }
        # A new index is a new version too: the manifest changed.
        update_index(root / "vecs", IndexConfig(kind=IndexKind.HNSW, m=8))
        assert [c.action for c in client.reload(["vecs"])] == ["replaced"]
        info = client.get_space("vecs")
        assert info.index == "hnsw" and info.index_info.params["m"] == 8 and info.version == 2
        with pytest.raises(FailedPreconditionError, match="current version"):
            client.drop_space("vecs")
        client.drop_space("vecs@1")
        assert client.get_space("vecs").versions == [2]
        with pytest.raises(NotFoundError, match="no version 1"):
            client.search("vecs@1", np.zeros(DIM))
        with pytest.raises(NotFoundError, match="'nope'"):
            client.reload(["nope"])


def test_the_artifact_watch_swaps_in_retrained_spaces_and_keeps_serving_broken_ones(
    start_server, tmp_path: Path
) -> None:
    """With reload_interval_seconds set, a retrained space is served without a Reload call; a
    broken one leaves the old version serving until it is fixed."""
    root = tmp_path / "artifacts"
    first = write_space(root, seed=1)
    server = start_server(reload_interval_seconds=0.05)
    query = np.ones(DIM, dtype=np.float32)
    with Client(server.address) as client:
        assert client.search("vecs", query, k=3).ids == top_ids(first, query, 3)
        second = write_space(root, seed=2)
        wait_until(lambda: client.get_space("vecs").version == 2, "version 2 swapped in")
        assert client.search("vecs", query, k=3).ids == top_ids(second, query, 3)
        # A new manifest over vectors cut short: the load fails, version 2 serves on.
        update_index(root / "vecs", IndexConfig(kind=IndexKind.HNSW, m=8))
        vectors_file = root / "vecs" / "vectors.npy"
        vectors_file.write_bytes(vectors_file.read_bytes()[:-64])
        time.sleep(0.5)
        assert client.get_space("vecs").version == 2
        assert client.search("vecs", query, k=3).ids == top_ids(second, query, 3)
        third = write_space(root, seed=3)
        wait_until(lambda: client.get_space("vecs").version == 3, "version 3 swapped in")
        assert client.search("vecs", query, k=3).ids == top_ids(third, query, 3)
