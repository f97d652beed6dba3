"""Write-ahead log of a user-made space: every acknowledged write is on disk before the answer.

Record = header (body length: uint32, crc32 of body: uint32, little-endian) + body.
Body = op (b"U" upsert | b"D" delete) + JSON header length (uint32) + JSON header
({"ids": [...], "payloads": [...]}) + the upsert's float32 rows. A crash can leave at most a torn
last record; replay stops at a last record that is short or fails its CRC and truncates it,
since no client was told it succeeded. A record failing its CRC with more log after it is damage,
not a crash: replay refuses (WalDamaged) and leaves the file alone.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

WAL_FILE = "wal.log"
_HEADER = struct.Struct("<II")
_JSON_LEN = struct.Struct("<I")


class WalDamaged(ValueError):
    """A record that fails its checksum with more log after it: damage on disk, not a write torn
    by a crash (appends complete one by one, and a failed one is undone), so the records after
    it were acknowledged. Replay refuses rather than cut them off; the file is left as it is."""

    def __init__(self, path: Path, offset: int, after: int) -> None:
        super().__init__(
            f"{path}: the record at byte {offset:,} fails its checksum, with {after:,} bytes of "
            f"log after it: the log is damaged, and the space is not loaded. Restore the file, "
            f"or keep only the writes before the damage by truncating it to {offset:,} bytes"
        )


@dataclass(frozen=True)
class WalRecord:
    op: str  # "upsert" | "delete"
    ids: list[str]
    payloads: list[str]
    vectors: np.ndarray | None


def _encode(record: WalRecord) -> bytes:
    header = json.dumps({"ids": record.ids, "payloads": record.payloads}).encode()
    op = b"U" if record.op == "upsert" else b"D"
    rows = b"" if record.vectors is None else record.vectors.astype("<f4").tobytes()
    body = op + _JSON_LEN.pack(len(header)) + header + rows
    return _HEADER.pack(len(body), zlib.crc32(body)) + body


def _decode(body: bytes, dim: int) -> WalRecord:
    (json_len,) = _JSON_LEN.unpack_from(body, 1)
    start = 1 + _JSON_LEN.size
    header = json.loads(body[start : start + json_len])
    if body[:1] == b"D":
        return WalRecord("delete", header["ids"], [], None)
    vectors = np.frombuffer(body[start + json_len :], dtype="<f4").reshape(-1, dim)
    return WalRecord("upsert", header["ids"], header["payloads"], vectors.astype(np.float32))


def replay(path: Path, dim: int) -> Iterator[WalRecord]:
    """Yields the intact records of a log, truncating a torn tail in place. Reads a record at a
    time: a log is as large as the writes since the last snapshot, which may be the space."""
    if not path.exists():
        return
    with path.open("r+b") as handle:
        size = handle.seek(0, os.SEEK_END)
        handle.seek(0)
        offset = 0
        while offset + _HEADER.size <= size:
            length, crc = _HEADER.unpack(handle.read(_HEADER.size))
            # A torn header may claim any length: past the end, it is torn.
            if length > size - offset - _HEADER.size:
                break
            body = handle.read(length)
            if zlib.crc32(body) != crc:
                end = offset + _HEADER.size + length
                if end < size:
                    raise WalDamaged(path, offset, size - end)
                break
            yield _decode(body, dim)
            offset += _HEADER.size + length
        if offset < size:
            log.warning("%s: dropping a torn record of %d bytes at %d", path, size - offset, offset)
            handle.truncate(offset)
            handle.flush()
            os.fsync(handle.fileno())


class WriteAheadLog:
    """Append-only, fsynced log file; callers serialise appends."""

    def __init__(self, path: Path, *, fsync: bool = True) -> None:
        self.path = path
        self._fsync = fsync
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        # Set when a failed append left part of its record behind: appending after it would
        # bury acknowledged writes behind a torn record, which a restart drops instead.
        self._torn = False

    def append(self, record: WalRecord) -> None:
        """Appends one record, or leaves the log as it was and raises (a full disk)."""
        if self._torn:
            raise OSError(errno.EIO, f"{self.path}: a failed write could not be undone; restart")
        data = memoryview(_encode(record))
        start = os.fstat(self._fd).st_size
        try:
            while data:
                data = data[os.write(self._fd, data) :]
            if self._fsync:
                os.fsync(self._fd)
        except BaseException:
            # A part written would be a torn record mid-log once a later append succeeds, and
            # replay stops at it, dropping every acknowledged write after it.
            try:
                os.ftruncate(self._fd, start)
            except OSError:
                self._torn = True
            raise

    @property
    def size(self) -> int:
        return os.fstat(self._fd).st_size

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
