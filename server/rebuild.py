"""Rebuilding a space without its dead rows while it is read and written.

A rebuild starts from the live rows, renumbered in order, and builds a new index, id map and
payload columns beside the old ones. Rows stay readable in an index once written
(`VectorIndex`), so the new layout is built a block at a time under the read lock while
writes go on, then caught up: rows that died since are marked dead in it, rows written since are
added. Each round mirrors the space as it was at one moment (its live rows, read under the read
lock), so no id is ever live twice in it. The last round runs with writes held off, and the swap
takes the write lock for an instant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from semspace.server.columns import GrowingArray, TextColumn
from semspace.server.id_map import IdMap
from semspace.server.index import VectorIndex, write_threads
from semspace.server.payload_index import PayloadIndex
from semspace.server.rwlock import ReadWriteLock

# Rows read under the read lock and added at a time: 4 MiB at 128-d, and a few seconds of HNSW
# inserts at most, so that a closing space's rebuild stops soon.
BLOCK_ROWS = 8192


@dataclass
class OldLayout:
    """What a rebuild reads: a space's index, ids and payloads, which only the rebuild's own
    swap replaces, and the lock its writes take."""

    index: VectorIndex
    ids: IdMap
    payloads: TextColumn
    lock: ReadWriteLock


@dataclass
class NewLayout:
    """The space being built: its structures, and the old row of each of its rows."""

    index: VectorIndex
    payload_index: PayloadIndex
    ids: IdMap = field(default_factory=IdMap)
    payloads: TextColumn = field(default_factory=TextColumn)
    old_rows: GrowingArray = field(default_factory=lambda: GrowingArray(np.int64))
    # Old rows below this one have been looked at.
    next_old_row: int = 0

    def catch_up(
        self, old: OldLayout, threads: int, stop: Callable[[], bool] = lambda: False
    ) -> int:
        """Mirrors the old layout as it is now: its rows that died since are marked dead here,
        its live rows written since are added. Returns how many were added. `stop()` true
        between blocks ends the round early (the space is closing)."""
        with old.lock.read():
            live = old.index.live.mask
            total = old.ids.rows_total
        old_rows = self.old_rows.view()
        alive_here = self.index.live.mask[: len(old_rows)]
        died = np.flatnonzero(alive_here & ~live[old_rows])
        if len(died):
            self.index.remove(died)
            self.ids.remove_rows(died)
        fresh = np.flatnonzero(live[self.next_old_row : total]) + self.next_old_row
        for start in range(0, len(fresh), BLOCK_ROWS):
            if stop():
                return 0
            block = fresh[start : start + BLOCK_ROWS]
            with old.lock.read():
                vectors = old.index.reconstruct(block)
                ids = old.ids.ids_at(block)
                texts = old.payloads.take(block.tolist())
            rows = self.ids.append(ids)
            with write_threads(len(rows), threads):
                self.index.add(rows, vectors)
            self.payloads.extend(texts)
            self.payload_index.add(rows, texts)
            self.old_rows.extend(block)
        self.next_old_row = total
        return len(fresh)

    def carried(self, old_rows_total: int) -> np.ndarray:
        """A mask over the old rows: those that have a row here, in the same order."""
        mask = np.zeros(old_rows_total, dtype=bool)
        mask[self.old_rows.view()] = True
        return mask
