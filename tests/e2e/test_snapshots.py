"""Snapshots of a user space while it is used: a snapshot copies the points, then writes them out
while reads and writes go on; a crash at any step, a failed disk write or a drop loses nothing
acknowledged. The real snapshot runs, held at a step by wrapping it (tests stop it there)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from semspace import artifact
from semspace.artifact import ArtifactWriter, load_artifact
from semspace.client import Client, NotFoundError
from semspace.server.journal import Journal
from tests.conftest import pause_at_second_block
from tests.e2e.test_observability import scrape


@contextmanager
def held(monkeypatch: pytest.MonkeyPatch, owner: type, method: str) -> Iterator[threading.Event]:
    """Holds every call of `owner.method` at its start until the block ends; yields an event set
    once a call is held."""
    reached, release = threading.Event(), threading.Event()
    real: Callable = getattr(owner, method)

    def holding(*args, **kwargs):
        reached.set()
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, method, holding)
    try:
        yield reached
    finally:
        release.set()


def fill(client: Client, name: str, ids: list[str], dim: int = 4) -> np.ndarray:
    vectors = np.random.default_rng(len(ids)).normal(size=(len(ids), dim)).astype(np.float32)
    client.upsert(name, ids, vectors, [{"i": i} for i in range(len(ids))])
    return vectors


def assert_holds(address: str, name: str, expected: dict[str, np.ndarray]) -> None:
    with Client(address, timeout=30) as client:
        assert client.get_space(name).count == len(expected)
        points = client.get(name, list(expected))
        np.testing.assert_array_equal(points.vectors, np.stack(list(expected.values())))


def copy_of_disk(root: Path, tmp_path: Path) -> Path:
    """The artifacts directory as a crash now would leave it."""
    crashed = tmp_path / "crashed"
    shutil.copytree(root, crashed, symlinks=True)
    return crashed


def wait_for_snapshots(server, space: str) -> tuple[float, float, float]:
    """(snapshots written, failed, log bytes) from the metrics, once none is running."""
    deadline = time.monotonic() + 10
    while True:
        samples = scrape(server)
        label = (("space", space),)
        if not samples[("semspace_snapshot_running", label)]:
            return (
                samples[("semspace_snapshots_total", label)],
                samples[("semspace_snapshot_failures_total", label)],
                samples[("semspace_log_bytes", label)],
            )
        assert time.monotonic() < deadline, "a snapshot never ended"
        time.sleep(0.02)


def crash_to(crashed: Path, root: Path) -> None:
    """Puts the disk back as the crash left it, for the next start."""
    shutil.rmtree(root)
    shutil.copytree(crashed, root, symlinks=True)


def test_reads_and_writes_go_on_while_a_snapshot_is_written(start_server, monkeypatch) -> None:
    server = start_server(wal_compact_bytes=1)  # every write snapshots
    with Client(server.address, timeout=10) as client:
        client.create_space("s", 2, "l2")
        with held(monkeypatch, Journal, "stage_snapshot") as reached:
            assert client.upsert("s", ["a"], [[1, 0]], timeout=5).count == 1
            assert reached.wait(10)
            assert client.search("s", [1, 0], k=1, timeout=5).ids == ["a"]
            assert client.get("s", ["a"], timeout=5).vectors.tolist() == [[1, 0]]
            # On the code before, this write waited for the held snapshot: DEADLINE_EXCEEDED.
            assert client.upsert("s", ["b"], [[0, 1]], timeout=5).count == 2
            assert client.delete("s", ["a"], timeout=5).deleted == 1
        assert client.upsert("s", ["c"], [[1, 1]], timeout=10).count == 2
    server.stop(0)
    with Client(start_server().address) as client:
        assert client.get("s", ["b", "c"]).vectors.tolist() == [[0, 1], [1, 1]]
        assert client.get_space("s").count == 2


def test_a_crash_while_a_snapshot_is_written_loses_no_write(
    start_server, monkeypatch, tmp_path
) -> None:
    """The old snapshot and every log segment are still there: a start replays them in order."""
    server = start_server(wal_compact_bytes=1)
    expected: dict[str, np.ndarray] = {}
    with Client(server.address, timeout=10) as client:
        client.create_space("s", 4, "l2")
        with held(monkeypatch, Journal, "stage_snapshot") as reached:
            first = fill(client, "s", ["a", "b", "c"])
            assert reached.wait(10)
            expected.update(zip(["a", "b", "c"], first, strict=True))
            later = fill(client, "s", ["b", "d"])  # b replaced after the copy
            client.delete("s", ["a"])
            expected.update(zip(["b", "d"], later, strict=True))
            del expected["a"]
            crashed = copy_of_disk(tmp_path / "artifacts", tmp_path)
    server.stop(0)
    crash_to(crashed, tmp_path / "artifacts")
    assert_holds(start_server().address, "s", expected)


def test_a_crash_just_before_the_snapshot_is_swapped_in_loses_no_write(
    start_server, monkeypatch, tmp_path
) -> None:
    """By then the staged snapshot holds the log segment of the writes made since its copy, and
    the old directory, still in place, holds every segment."""
    server = start_server(wal_compact_bytes=1)
    with Client(server.address, timeout=10) as client:
        client.create_space("s", 4, "l2")
        with held(monkeypatch, ArtifactWriter, "swap_in") as swapping:
            with held(monkeypatch, Journal, "stage_snapshot") as staging:
                vectors = fill(client, "s", ["a", "b"])
                assert staging.wait(10)
                more = fill(client, "s", ["c"])  # into the new segment
            assert swapping.wait(10)
            crashed = copy_of_disk(tmp_path / "artifacts", tmp_path)
    server.stop(0)
    crash_to(crashed, tmp_path / "artifacts")
    assert any(p.name.startswith(".s.staging-") for p in crashed.iterdir())
    expected = dict(zip(["a", "b", "c"], [*vectors, *more], strict=True))
    assert_holds(start_server().address, "s", expected)
    # The staging leftover is gone.
    assert sorted(p.name for p in (tmp_path / "artifacts").iterdir()) == ["s"]


def test_a_failed_snapshot_keeps_every_write_in_the_log(
    start_server, monkeypatch, tmp_path
) -> None:
    """A full disk while the snapshot is written: the write that began it was answered already,
    later writes go on, and the next write snapshots again."""
    write_rows = artifact.write_rows
    failures = []

    def full_disk_once(*args, **kwargs) -> None:
        if not failures:
            failures.append(1)
            raise OSError(28, "No space left on device")
        write_rows(*args, **kwargs)

    server = start_server(wal_compact_bytes=1, metrics_port=0)
    with Client(server.address, timeout=10) as client:
        client.create_space("s", 4, "l2")
        monkeypatch.setattr(artifact, "write_rows", full_disk_once)
        vectors = fill(client, "s", ["a", "b"])
        # Once the failed try has ended: a write while it runs begins no other snapshot, so
        # without this wait c and d could both come too early for one (1 run in 16 did).
        assert wait_for_snapshots(server, "s")[1] == 1
        more = fill(client, "s", ["c"])
        last = fill(client, "s", ["d"])
    server.stop(0)
    assert failures == [1]
    # A later write snapshotted again: a, b and c at least are in the snapshot itself.
    assert artifact.load_artifact(tmp_path / "artifacts" / "s").manifest.count >= 3
    expected = dict(zip("abcd", [*vectors, *more, *last], strict=True))
    assert_holds(start_server().address, "s", expected)


def test_a_space_dropped_while_its_snapshot_is_written_stays_dropped(
    start_server, monkeypatch, tmp_path
) -> None:
    server = start_server(wal_compact_bytes=1)
    with Client(server.address, timeout=10) as client:
        client.create_space("s", 4, "l2")
        with held(monkeypatch, Journal, "stage_snapshot") as reached:
            fill(client, "s", ["a"])
            assert reached.wait(10)
            client.drop_space("s")
            with pytest.raises(NotFoundError):
                client.get_space("s")
        client.create_space("s", 2, "l2")
        client.upsert("s", ["new"], [[1, 2]])
    server.stop(0)  # waits for the abandoned snapshot's thread
    with Client(start_server().address) as client:
        assert client.get_space("s").count == 1
        assert client.get("s", ["new"]).vectors.tolist() == [[1, 2]]
    assert sorted(p.name for p in (tmp_path / "artifacts").iterdir()) == ["s"]


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("flat", {}),
        ("hnsw", {"m": 8}),
        ("ivf_pq", {"nlist": 4, "pq_m": 2, "pq_bits": 4}),
        ("ivf_flat", {"nlist": 4}),
    ],
)
def test_a_snapshot_read_in_blocks_holds_the_points_as_they_were_at_its_copy(
    start_server, monkeypatch, tmp_path, kind, params
) -> None:
    """Snapshots read vectors from the index a block at a time while writes go on: deletes,
    replacements and a rebuild between two blocks must not change what the snapshot holds."""
    server = start_server(wal_compact_bytes=1 << 30)
    ids = [f"p{i}" for i in range(1500)]
    with Client(server.address, timeout=30) as client:
        client.create_space("s", 4, "l2", index=kind, index_params=params)
        vectors = fill(client, "s", ids)
    server.stop(0)
    # Every write snapshots, one at a time; no index cache, whose stop would fold the log into
    # one more snapshot.
    server = start_server(wal_compact_bytes=1, index_cache=False)

    paused = pause_at_second_block(monkeypatch, block_rows=100)
    with Client(server.address, timeout=30) as client:
        client.delete("s", ids[:1])  # begins a snapshot of the other 1,499
        assert paused.second_block.wait(10)
        client.delete("s", ids[1:1300])  # past 1,024 dead rows: a rebuild
        replaced = fill(client, "s", ids[1300:1400])
        paused.go_on.set()
        server.stop(0)  # once the snapshot is in place
    by_id = dict(zip(ids, vectors, strict=True))
    # The snapshot begun by the first delete, paused, is the last one.
    snapshot = load_artifact(tmp_path / "artifacts" / "s")
    assert snapshot.ids == ids[1:]
    np.testing.assert_array_equal(snapshot.vectors, np.stack([by_id[i] for i in ids[1:]]))
    expected = {**by_id, **dict(zip(ids[1300:1400], replaced, strict=True))}
    assert_holds(start_server().address, "s", {i: expected[i] for i in ids[1300:]})


def test_without_hard_links_the_new_segment_is_copied_and_writes_go_on(
    start_server, monkeypatch, tmp_path
) -> None:
    """Some file systems refuse hard links: the segment is copied into the snapshot instead,
    under the write gate, and the log reopened there."""

    def no_links(source, target) -> None:
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    server = start_server(wal_compact_bytes=1)
    expected: dict[str, np.ndarray] = {}
    with Client(server.address, timeout=10) as client:
        client.create_space("s", 4, "l2")
        with held(monkeypatch, Journal, "stage_snapshot") as reached:
            expected.update(zip("ab", fill(client, "s", ["a", "b"]), strict=True))
            assert reached.wait(10)
            expected.update(zip("c", fill(client, "s", ["c"]), strict=True))  # the segment
        for point_id in "def":  # after the swap, into the reopened log
            expected.update(zip(point_id, fill(client, "s", [point_id]), strict=True))
    server.stop(0)  # once the last snapshot is in place
    directory = tmp_path / "artifacts" / "s"
    assert load_artifact(directory).manifest.count >= 2
    assert not list(directory.glob("wal.next-*"))
    assert_holds(start_server().address, "s", expected)


def test_a_full_disk_is_retried_once_per_compaction_size_and_counted(
    start_server, monkeypatch, tmp_path
) -> None:
    """Every snapshot fails while the disk is full: each try would write the whole space, so the
    next waits for as much log again, not for the next write; the metrics count the failures,
    and once the disk has room a snapshot folds the log."""
    write_rows = artifact.write_rows
    disk_full = [True]

    def full_disk(*args, **kwargs) -> None:
        if disk_full[0]:
            raise OSError(28, "No space left on device")
        write_rows(*args, **kwargs)

    server = start_server(wal_compact_bytes=4096, metrics_port=0)
    with Client(server.address, timeout=10) as client:
        client.create_space("s", 4, "l2")
        monkeypatch.setattr(artifact, "write_rows", full_disk)
        for number in range(60):
            fill(client, "s", [f"p{number}-{i}" for i in range(20)])
        written, failed, _ = wait_for_snapshots(server, "s")
        logged = sum(p.stat().st_size for p in (tmp_path / "artifacts" / "s").glob("wal*.log"))
        # A try at every write past the first 4 KiB would be about 55 here.
        assert written == 0 and 3 <= failed <= logged // 4096 + 1
        disk_full[0] = False
        for number in range(60, 70):
            fill(client, "s", [f"p{number}-{i}" for i in range(20)])
        written, failed_later, log_bytes = wait_for_snapshots(server, "s")
        assert written >= 1 and failed_later == failed and log_bytes < logged
