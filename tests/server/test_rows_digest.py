"""The sha256 a stored index's rows are checked by: fed a block at a time while a space loads, it
agrees with the one read from the file, and stops a load whose first rows are not the stored
ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from semspace.artifact import Metric, Producer, vectors_sha256, writing_artifact
from semspace.server.index import StoredIndexMismatch
from semspace.server.index_cache import RowsDigest


def test_blocks_fed_hash_like_the_file(tmp_path: Path) -> None:
    vectors = np.random.default_rng(0).normal(size=(1000, 12)).astype(np.float32)
    with writing_artifact(tmp_path, "v") as writer:
        writer.finish(
            kind="imported",
            metric=Metric.L2,
            vectors=vectors,
            ids=[str(i) for i in range(1000)],
            producer=Producer(name="test"),
        )
    held = RowsDigest(300, vectors_sha256(tmp_path / "v", 300))
    for start in range(0, 1000, 256):  # the held rows end inside a block
        held.feed(vectors[start : start + 256])
    assert held.hexdigest() == vectors_sha256(tmp_path / "v", 1000)
    assert vectors_sha256(tmp_path / "v", 300) != vectors_sha256(tmp_path / "v", 301)


def test_other_first_rows_stop_the_load() -> None:
    vectors = np.random.default_rng(1).normal(size=(100, 4)).astype(np.float32)
    expected = RowsDigest()
    expected.feed(vectors[:60])
    changed = vectors.copy()
    changed[59, 3] = np.nextafter(changed[59, 3], np.inf)  # one ulp, in the last held row
    digest = RowsDigest(60, expected.hexdigest())
    digest.feed(changed[:50])
    with pytest.raises(StoredIndexMismatch, match="first 60 rows"):
        digest.feed(changed[50:])
    RowsDigest(60, expected.hexdigest()).feed(vectors)  # the same rows pass
