"""The artifact format: written atomically, read memory-mapped, corruption detected."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from semspace.artifact import (
    ArtifactError,
    Metric,
    Producer,
    discover,
    load_artifact,
    recover_interrupted_swaps,
    update_evaluation,
    writing_artifact,
)


def write_space(root, name="demo", rows=3):
    with writing_artifact(root, name) as writer:
        (writer.staging / "model.bin").write_bytes(b"weights")
        return writer.finish(
            kind="test",
            metric=Metric.L2,
            vectors=np.arange(rows * 2, dtype=np.float32).reshape(rows, 2),
            ids=[f"id{i}" for i in range(rows)],
            payloads=[json.dumps({"i": i}) for i in range(rows)],
            producer=Producer(name="tests", version="1", config={"lr": 0.1}),
            evaluation={"accuracy": 0.5},
        )


def test_written_space_loads_back_memory_mapped_with_its_manifest(tmp_path) -> None:
    directory = write_space(tmp_path)
    artifact = load_artifact(directory)
    assert isinstance(artifact.vectors, np.memmap)
    np.testing.assert_array_equal(artifact.vectors, [[0, 1], [2, 3], [4, 5]])
    assert artifact.ids == ["id0", "id1", "id2"]
    assert artifact.payloads == ['{"i": 0}', '{"i": 1}', '{"i": 2}']
    assert artifact.manifest.producer.config == {"lr": 0.1}
    assert artifact.file("model.bin").read_bytes() == b"weights"
    assert {f.path for f in artifact.manifest.files} == {
        "vectors.npy",
        "ids.txt",
        "payloads.jsonl",
        "model.bin",
    }
    assert discover(tmp_path) == [directory]


def test_a_corrupted_file_is_detected_by_its_sha256(tmp_path) -> None:
    directory = write_space(tmp_path)
    (directory / "model.bin").write_bytes(b"weightz")
    with pytest.raises(ArtifactError, match="sha256"):
        load_artifact(directory)


def test_a_failed_writer_leaves_no_half_written_space(tmp_path) -> None:
    with pytest.raises(RuntimeError), writing_artifact(tmp_path, "half") as writer:
        (writer.staging / "partial").write_text("x")
        raise RuntimeError("trainer crashed")
    assert list(tmp_path.iterdir()) == []


def test_rewriting_a_space_replaces_it_whole(tmp_path) -> None:
    write_space(tmp_path, rows=3)
    write_space(tmp_path, rows=5)
    assert load_artifact(tmp_path / "demo").manifest.count == 5
    assert [p.name for p in tmp_path.iterdir()] == ["demo"]


def test_evaluation_figures_are_merged_into_the_manifest(tmp_path) -> None:
    directory = write_space(tmp_path)
    update_evaluation(directory, {"knn5": 0.9})
    assert load_artifact(directory).manifest.evaluation == {"accuracy": 0.5, "knn5": 0.9}


def test_every_file_is_on_disk_before_the_space_is_swapped_in(tmp_path, monkeypatch) -> None:
    """A power cut after the swap must not find a space whose files never reached the disk:
    the old one, with its log, is gone by then."""
    events: list[tuple[str, str]] = []
    fsync, replace = os.fsync, os.replace

    def recording_fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        fsync(fd)

    def recording_replace(source, target) -> None:
        events.append(("replace", str(source)))
        replace(source, target)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    monkeypatch.setattr(os, "replace", recording_replace)
    directory = write_space(tmp_path)

    staging = next(
        path
        for kind, path in events
        if kind == "replace" and os.path.basename(path).startswith(".demo.staging-")
    )
    swap = events.index(("replace", staging))
    synced = {os.path.basename(path) for kind, path in events[:swap] if kind == "fsync"}
    assert {"vectors.npy", "ids.txt", "payloads.jsonl", "model.bin"} <= synced
    assert load_artifact(directory).manifest.count == 3


def test_a_space_set_aside_by_an_interrupted_swap_is_put_back(tmp_path) -> None:
    """A writer killed between its two renames leaves the old space only under a hidden name."""
    write_space(tmp_path, rows=3)
    script = (
        "import os, sys, numpy as np\n"
        "from semspace.artifact import Metric, Producer, writing_artifact\n"
        "replace = os.replace\n"
        "def dying_replace(source, target):\n"
        "    if os.path.basename(source).startswith('.demo.staging-'):\n"
        "        os._exit(9)  # killed between the renames\n"
        "    replace(source, target)\n"
        "os.replace = dying_replace\n"
        "with writing_artifact(sys.argv[1], 'demo') as writer:\n"
        "    writer.finish(kind='test', metric=Metric.L2, vectors=np.zeros((5, 2)),\n"
        "                  ids=[str(i) for i in range(5)], producer=Producer(name='tests'))\n"
    )
    died = subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=False)
    assert died.returncode == 9
    assert discover(tmp_path) == []  # the space is only under its hidden names now

    assert recover_interrupted_swaps(tmp_path) == ["demo"]
    assert load_artifact(tmp_path / "demo").manifest.count == 3
    # The dead writer's staging directory is cleaned up; nothing else is left.
    assert [p.name for p in tmp_path.iterdir()] == ["demo"]


def test_a_living_writers_staging_directory_is_left_alone(tmp_path) -> None:
    """Whether a writer lives is told by the lock on its staging directory, not by the process
    id in its name: a trainer in another container may carry the server's own id (each is pid 1
    there). Its writer here claims to be this process; a writer that died is cleaned up."""
    write_space(tmp_path)
    writer_script = (
        "import os, sys, time\n"
        "os.getpid = lambda: int(sys.argv[2])  # as another container's process may be\n"
        "from semspace.artifact import ArtifactWriter\n"
        "writer = ArtifactWriter(sys.argv[1], sys.argv[3])\n"
        "print(writer.staging.name, flush=True)\n"
        "time.sleep(60) if sys.argv[3] == 'busy' else os._exit(0)\n"
    )

    def start_writer(name: str) -> subprocess.Popen:
        command = [sys.executable, "-c", writer_script, str(tmp_path), str(os.getpid()), name]
        return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)

    with start_writer("busy") as busy_writer, start_writer("dead") as dead_writer:
        try:
            busy = tmp_path / busy_writer.stdout.readline().strip()
            dead = tmp_path / dead_writer.stdout.readline().strip()
            assert busy.name.startswith(f".busy.staging-{os.getpid()}-")
            assert dead_writer.wait(30) == 0 and dead.is_dir()
            assert recover_interrupted_swaps(tmp_path) == []
            assert busy.is_dir() and not dead.exists()
        finally:
            busy_writer.kill()
    assert recover_interrupted_swaps(tmp_path) == []
    assert not busy.exists()


class Blocks:
    """Vectors given a few rows at a time, as a snapshot gives them."""

    def __init__(self, matrix: np.ndarray, rows: int, block: int) -> None:
        self.matrix, self.rows, self.block = matrix, rows, block

    @property
    def shape(self) -> tuple[int, int]:
        return self.rows, self.matrix.shape[1]

    def blocks(self):
        for start in range(0, len(self.matrix), self.block):
            yield self.matrix[start : start + self.block]


def test_vectors_written_in_blocks_load_as_if_saved_whole(tmp_path) -> None:
    matrix = np.random.default_rng(0).normal(size=(103, 7)).astype(np.float32)
    with writing_artifact(tmp_path, "blocks") as writer:
        writer.finish(
            kind="test",
            metric=Metric.L2,
            vectors=Blocks(matrix, 103, 10),
            ids=[str(i) for i in range(103)],
            producer=Producer(name="tests"),
        )
    loaded = load_artifact(tmp_path / "blocks")
    assert loaded.manifest.dim == 7
    np.testing.assert_array_equal(loaded.vectors, matrix)


def test_blocks_short_of_the_promised_rows_are_refused(tmp_path) -> None:
    matrix = np.zeros((10, 3), dtype=np.float32)
    short = Blocks(matrix[:9], 10, 4)
    refused = pytest.raises(ArtifactError, match="9 vector rows written, 10 promised")
    with refused, writing_artifact(tmp_path, "short") as writer:
        writer.finish(
            kind="test",
            metric=Metric.L2,
            vectors=short,
            ids=[str(i) for i in range(10)],
            producer=Producer(name="tests"),
        )
    assert list(tmp_path.iterdir()) == []


def test_a_failed_swap_leaves_the_old_space_in_place(tmp_path, monkeypatch) -> None:
    write_space(tmp_path, rows=3)
    replace = os.replace

    def failing_replace(source, target) -> None:
        if os.path.basename(source).startswith(".demo.staging-"):
            raise OSError(2, "No such file or directory")  # e.g. the staging directory vanished
        replace(source, target)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        write_space(tmp_path, rows=5)
    assert load_artifact(tmp_path / "demo").manifest.count == 3
