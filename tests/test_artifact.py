"""The artifact format: written atomically, read memory-mapped, corruption detected."""

from __future__ import annotations

import json

import numpy as np
import pytest

from semspace.artifact import (
    ArtifactError,
    Metric,
    Producer,
    discover,
    load_artifact,
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
