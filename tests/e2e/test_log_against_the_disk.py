"""The write-ahead log against the disk: a write the disk cannot hold (a limit on file size,
RLIMIT_FSIZE, fails it part-way as a full disk does) is refused alone, and the next ones are
kept; a log damaged before its last record is refused at the next start, not cut short."""

from __future__ import annotations

import resource
import signal
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


def test_a_log_damaged_before_its_last_record_keeps_its_space_out_and_intact(
    tmp_path: Path,
) -> None:
    artifacts = tmp_path / "artifacts"
    server = ServerProcess(artifacts)
    with Client(server.address, timeout=60) as client:
        for name in ("damaged", "other"):
            client.create_space(name, DIM, "l2")
            for prefix in "abc":  # three records in each log
                client.upsert(name, *batch(prefix, 2, seed=ord(prefix)))
    server.signal(signal.SIGKILL)  # no fold at stop: the writes stay in the logs
    server.wait()
    log = artifacts / "damaged" / "wal.log"
    damaged = bytearray(log.read_bytes())
    damaged[20] ^= 0xFF  # the first record's body; two acknowledged records follow
    log.write_bytes(bytes(damaged))

    restarted = ServerProcess(artifacts)
    try:
        with Client(restarted.address, timeout=60) as client:
            assert [space.name for space in client.list_spaces()] == ["other"]
            assert client.get_space("other").count == 6
        assert any("fails its checksum" in line for line in restarted.lines)
        assert log.read_bytes() == bytes(damaged)
    finally:
        restarted.stop()
