"""What a snapshot writes: a space's live points at one moment, taken in milliseconds while its
writes wait, and read out afterwards while they go on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from semspace.artifact import Lines, SpaceManifest
from semspace.server.columns import TextColumn
from semspace.server.index import VectorIndex
from semspace.server.rwlock import ReadWriteLock

# 16k rows of 128 floats: 8 MiB held at a time, and a read lock held for milliseconds.
BLOCK_ROWS = 16_384


@dataclass(frozen=True)
class IndexRows:
    """The vectors at `rows` of an index (which keeps every row's vector), read a block at a
    time under the space's read lock: a snapshot then holds one block, not a second copy of the
    space. A rebuild meanwhile builds a new index and leaves this one as it was."""

    index: VectorIndex
    rows: np.ndarray
    dim: int
    lock: ReadWriteLock

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows), self.dim

    def blocks(self) -> Iterator[np.ndarray]:
        for start in range(0, len(self.rows), BLOCK_ROWS):
            with self.lock.read():
                block = self.index.reconstruct(self.rows[start : start + BLOCK_ROWS])
            yield block


@dataclass(frozen=True)
class PointsCopy:
    """The manifest, the live rows, their vectors (`IndexRows`, read later) and
    copies of the id and payload columns (two buffer copies each, no object per point), decoded
    into ids and payloads off the write path."""

    manifest: SpaceManifest
    rows: np.ndarray
    vectors: IndexRows
    id_column: TextColumn
    payload_column: TextColumn

    def ids(self) -> Lines:
        return Lines(self.id_column.lines(self.rows), len(self.rows))

    def payloads(self) -> Lines:
        return Lines(self.payload_column.lines(self.rows), len(self.rows))
