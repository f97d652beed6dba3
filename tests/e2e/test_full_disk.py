"""A write the disk cannot hold: the server runs under a limit on file size (RLIMIT_FSIZE), which
fails a write part-way as a full disk does, and must refuse that write alone, keep taking the
next ones, and lose none of them at a restart."""

from __future__ import annotations

import resource
from pathlib import Path

import numpy as np
import pytest

from semspace.client import Client, ResourceExhaustedError
from tests.e2e.processes import ServerProcess

DIM = 128
FILE_LIMIT = 1 << 20


def batch(prefix: str, rows: int, seed: int) -> tuple[list[str], np.ndarray]:
    vectors = np.random.default_rng(seed).normal(size=(rows, DIM)).astype(np.float32)
    return [f"{prefix}{i}" for i in range(rows)], vectors


def test_a_write_cut_short_by_a_full_disk_is_refused_and_the_log_stays_whole(
    tmp_path: Path,
) -> None:
    artifacts = tmp_path / "artifacts"
    before, after = batch("a", 10, 1), batch("c", 10, 3)
    too_big = batch("b", 4000, 2)  # 2 MB of rows: the log file stops at 1 MiB part-way in
    limited = ServerProcess(artifacts, rlimits={resource.RLIMIT_FSIZE: (FILE_LIMIT, FILE_LIMIT)})
    try:
        with Client(limited.address, timeout=60) as client:
            client.create_space("s", DIM, "l2")
            client.upsert("s", *before)
            with pytest.raises(ResourceExhaustedError, match="limit on file size"):
                client.upsert("s", *too_big)
            # The part of it written is gone, so the log has room, and the next write lands.
            client.upsert("s", *after)
            assert client.get_space("s").count == 20
    finally:
        limited.stop()
    restarted = ServerProcess(artifacts)
    try:
        with Client(restarted.address, timeout=60) as client:
            assert client.get_space("s").count == 20
            for ids, vectors in (before, after):
                np.testing.assert_array_equal(client.get("s", ids).vectors, vectors)
    finally:
        restarted.stop()
