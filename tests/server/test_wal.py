"""The write-ahead log: records round-trip, a torn or corrupt tail is cut off, damage before
the tail is refused."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from semspace.server.wal import WalDamaged, WalRecord, WriteAheadLog, replay


def test_records_round_trip_in_order(tmp_path) -> None:
    wal = WriteAheadLog(tmp_path / "wal.log")
    wal.append(WalRecord("upsert", ["a", "b"], ['{"x":1}', ""], np.ones((2, 3), dtype=np.float32)))
    wal.append(WalRecord("delete", ["a"], [], None))
    wal.close()
    records = list(replay(tmp_path / "wal.log", 3))
    assert [(r.op, r.ids) for r in records] == [("upsert", ["a", "b"]), ("delete", ["a"])]
    assert records[0].payloads == ['{"x":1}', ""]
    np.testing.assert_array_equal(records[0].vectors, np.ones((2, 3)))


def test_a_flipped_byte_in_the_last_record_truncates_it(tmp_path) -> None:
    path = tmp_path / "wal.log"
    wal = WriteAheadLog(path)
    wal.append(WalRecord("upsert", ["a"], [""], np.zeros((1, 2), dtype=np.float32)))
    size_after_first = wal.size
    wal.append(WalRecord("upsert", ["b"], [""], np.zeros((1, 2), dtype=np.float32)))
    wal.close()
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    assert [r.ids for r in replay(path, 2)] == [["a"]]
    assert path.stat().st_size == size_after_first


def test_a_torn_header_claiming_gigabytes_is_cut_off_without_reading_them(tmp_path) -> None:
    path = tmp_path / "wal.log"
    wal = WriteAheadLog(path)
    wal.append(WalRecord("upsert", ["a"], [""], np.zeros((1, 2), dtype=np.float32)))
    size_after_first = wal.size
    wal.close()
    with path.open("ab") as handle:
        handle.write(struct.pack("<II", 3 << 30, 0) + b"torn")
    assert [r.ids for r in replay(path, 2)] == [["a"]]
    assert path.stat().st_size == size_after_first


def test_a_flipped_byte_before_the_last_record_is_damage_and_nothing_is_cut(tmp_path) -> None:
    path = tmp_path / "wal.log"
    wal = WriteAheadLog(path)
    for point in "abc":
        wal.append(WalRecord("upsert", [point], [""], np.zeros((1, 2), dtype=np.float32)))
    wal.close()
    data = bytearray(path.read_bytes())
    data[12] ^= 0xFF  # in the first record's body: "b" and "c" after it were acknowledged
    path.write_bytes(bytes(data))
    with pytest.raises(WalDamaged, match=r"record at byte 0 fails its checksum.* to 0 bytes"):
        list(replay(path, 2))
    assert path.read_bytes() == bytes(data)
