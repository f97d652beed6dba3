"""Point ids to row numbers: an open-addressing hash table in numpy arrays.

A Python dict of a million string ids costs about 190 bytes a point (the dict entry, the `str`
and the `int` objects); this table costs the id's UTF-8 bytes plus 8 to 20 bytes: a 2-byte
offset (`TextEnds`) and 3-byte slots at a load factor between 0.175 and 0.5 (4-byte slots past
16.7M rows). Lookups and inserts of a batch run as a few vectorised probing rounds (linear
probing), so bulk loads stay fast.

Rows are appended in order and never reused; a removed id leaves a DELETED slot, so that probes
for other ids walk past it, until the next resize drops it. An id's home slot comes from the low
bits of Python's `hash` of it (random per process: the table lives in memory only and is rebuilt
at every load; past 2^32 slots, some 1.5 billion ids, only the first 2^32 are homes). Probes
compare ids themselves, a round's candidates at once as UTF-8 bytes in numpy. Hashes are not
kept per row (4 bytes a point, 3.8 MiB at 1M): a resize or a removal hashes the ids again from
their texts, and a resize happens once each time the table doubles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from semspace.server.columns import PackedTexts, TextColumn

EMPTY = -1
DELETED = -2
# Probing stays short under half load; a resize leaves room to grow before the next one.
MAX_LOAD = 0.5
LOAD_AFTER_RESIZE = 0.35
# Slots hold rows in 3 bytes while they fit (1M ids: 6 MiB of slots, not 8), then as int32:
# two billion rows is past one machine anyway. The two top 3-byte values stand for EMPTY and
# DELETED.
NARROW_MAX_ROW = 2**24 - 3
MAX_ROWS = 2**31 - 1
REHASH_BLOCK = 65_536


def tags_of(ids: Sequence[str]) -> np.ndarray:
    """Each id's tag: its hash's low 32 bits (the cast wraps)."""
    return np.fromiter(map(hash, ids), dtype=np.int64, count=len(ids)).astype(np.uint32)


class IdMap:
    def __init__(self) -> None:
        self._ids = TextColumn()
        self._slots = Slots(1024, wide=False)
        self._used = 0  # slots not EMPTY: live rows and DELETED markers
        self._live = 0

    def __len__(self) -> int:
        return self._live

    @property
    def rows_total(self) -> int:
        """Rows ever given out, removed ones included."""
        return len(self._ids)

    def ids_at(self, rows: np.ndarray) -> list[str]:
        return self._ids.take(rows)

    def rows_containing(self, needle: str) -> np.ndarray:
        """Rows whose id has `needle` in it, removed ones included."""
        return self._ids.rows_containing(needle)

    def texts(self) -> TextColumn:
        """A copy of every row's id, removed ones included, to read while this map changes."""
        return self._ids.copy()

    def row_of(self, point_id: str) -> int | None:
        row = int(self.rows_of([point_id])[0])
        return None if row < 0 else row

    def rows_of(self, ids: Sequence[str]) -> np.ndarray:
        """Each id's row, or -1 where the id is not here."""
        if len(ids) == 0:
            # Most searches name no ids to exclude: skip the probe machinery.
            return np.empty(0, dtype=np.int64)
        return self._find(tags_of(ids), ids)[0]

    def append(self, ids: Sequence[str]) -> np.ndarray:
        """Gives the ids (distinct, none of them here) the next rows, which it returns."""
        first = len(self._ids)
        rows = np.arange(first, first + len(ids), dtype=np.int64)
        self.place(ids, rows)
        return rows

    def place(self, ids: Sequence[str], rows: np.ndarray) -> None:
        """Gives the ids (distinct, none of them here) these rows (increasing, from
        `rows_total` on); rows skipped hold no id, as a removed one's (an index restored from
        the index cache with dead rows)."""
        if len(rows) and rows[-1] >= MAX_ROWS:
            raise OverflowError(f"more than {MAX_ROWS:,} rows; rebuild the space to renumber")
        tags = tags_of(ids)
        self._ids.place(ids, rows)
        widen = bool(len(rows)) and rows[-1] > NARROW_MAX_ROW and not self._slots.wide
        if widen or (self._used + len(ids)) > MAX_LOAD * len(self._slots):
            self._resize(self._live + len(ids), wide=self._slots.wide or widen)
        self._insert(rows, tags)
        self._live += len(ids)

    def pad(self, rows: int) -> None:
        """Rows without ids up to `rows` rows in all."""
        self._ids.pad(rows)

    def remove_rows(self, rows: np.ndarray) -> None:
        """Forgets the ids at these live rows (each named once)."""
        if not len(rows):
            return
        tags = self._tags_at(rows)
        _, positions = self._probe(tags, lambda slots, pending: slots == rows[pending])
        if (positions < 0).any():
            raise KeyError(f"row {int(rows[positions < 0][0])} holds no live id")
        self._slots.put(positions, DELETED)
        self._live -= len(rows)

    @property
    def nbytes(self) -> int:
        return self._ids.nbytes + self._slots.nbytes

    # -- probing --------------------------------------------------------------------------

    def _tags_at(self, rows: np.ndarray) -> np.ndarray:
        """The tags of the ids at `rows`, hashed again from their texts a block at a time: a
        resize of a million rows then holds 65,536 `str` objects at once, not a million."""
        tags = np.empty(len(rows), dtype=np.uint32)
        for start in range(0, len(rows), REHASH_BLOCK):
            block = rows[start : start + REHASH_BLOCK]
            tags[start : start + len(block)] = tags_of(self._ids.take(block))
        return tags

    def _find(self, tags: np.ndarray, ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        wanted = PackedTexts.of(ids)

        def holds(slots: np.ndarray, pending: np.ndarray) -> np.ndarray:
            same = slots >= 0
            # Whole ids decide, a round's candidates compared at once as bytes.
            same[same] = self._ids.equals(slots[same], wanted, pending[same])
            return same

        return self._probe(tags, holds)

    def _probe(
        self, tags: np.ndarray, holds: Callable[[np.ndarray, np.ndarray], np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        """(row, slot position) per tag, found where `holds(slot values, key positions)`;
        row -1 and position -1 where an EMPTY slot ends the probe first."""
        rows = np.full(len(tags), -1, dtype=np.int64)
        positions = np.full(len(tags), -1, dtype=np.int64)
        pending = np.arange(len(tags))
        mask = len(self._slots) - 1
        probe = self._home(tags)
        while len(pending):
            slots = self._slots.get(probe)
            found = holds(slots, pending)
            rows[pending[found]] = slots[found]
            positions[pending[found]] = probe[found]
            going_on = ~found & (slots != EMPTY)
            pending, probe = pending[going_on], (probe[going_on] + 1) & mask
        return rows, positions

    def _home(self, tags: np.ndarray) -> np.ndarray:
        """Each tag's first slot (int64, so probing past it cannot wrap)."""
        return tags.astype(np.int64) & (len(self._slots) - 1)

    def _insert(self, rows: np.ndarray, tags: np.ndarray) -> None:
        """Each row into the first EMPTY slot from its hash on; when two want the same slot in
        a round, the first takes it and the other walks on."""
        mask = len(self._slots) - 1
        probe = self._home(tags)
        pending = np.arange(len(rows))
        while len(pending):
            free = self._slots.get(probe) == EMPTY
            candidates = np.flatnonzero(free)
            _, first = np.unique(probe[candidates], return_index=True)
            winners = candidates[first]
            self._slots.put(probe[winners], rows[pending[winners]])
            placed = np.zeros(len(pending), dtype=bool)
            placed[winners] = True
            stay = ~placed
            step = (~free)[stay].astype(np.int64)  # losers of a tie retry the same slot
            pending, probe = pending[stay], (probe[stay] + step) & mask
        self._used += len(rows)

    def _resize(self, live_after: int, wide: bool) -> None:
        """A table with room for `live_after` ids at under half load, DELETED slots dropped."""
        capacity = len(self._slots)
        while live_after > LOAD_AFTER_RESIZE * capacity:
            capacity *= 2
        live = self._slots.rows()
        tags = self._tags_at(live)
        self._slots = Slots(capacity, wide)
        self._used = 0
        self._insert(live, tags)


class Slots:
    """The table's slots, each a row, EMPTY or DELETED: 3 little-endian bytes each, or int32
    once `wide`. Narrow slots are read 4 bytes at a time through a view with a 3-byte stride
    (the 4th byte masked off; one spare byte at the end): 2.5x faster than gathering 3 bytes
    (measured)."""

    def __init__(self, capacity: int, wide: bool) -> None:
        self.wide = wide
        self._capacity = capacity
        if wide:
            self._int32 = np.full(capacity, EMPTY, dtype=np.int32)
            return
        # All bits set reads EMPTY.
        self._bytes = np.full(3 * capacity + 1, 0xFF, dtype=np.uint8)
        self._words = np.ndarray((capacity,), dtype="<u4", buffer=self._bytes, strides=(3,))

    def __len__(self) -> int:
        return self._capacity

    def get(self, positions: np.ndarray | slice) -> np.ndarray:
        """The slots at `positions` as int64 (EMPTY and DELETED negative, as in int32)."""
        if self.wide:
            return self._int32[positions].astype(np.int64)
        values = (self._words[positions] & 0xFFFFFF).astype(np.int64)
        values[values > NARROW_MAX_ROW] -= 1 << 24
        return values

    def put(self, positions: np.ndarray, values: np.ndarray | int) -> None:
        if self.wide:
            self._int32[positions] = values
            return
        values = np.asarray(values, dtype=np.int64)
        # Byte by byte: a 4-byte write would overwrite the next slot's first byte.
        first = 3 * np.asarray(positions, dtype=np.int64)
        for byte in range(3):
            self._bytes[first + byte] = (values >> (8 * byte)) & 0xFF

    def rows(self) -> np.ndarray:
        """The rows held, in slot order (int64), read a block at a time: widened whole, the
        2^21 slots of a million ids would pass through a 16 MiB int64 copy."""
        blocks = []
        for start in range(0, len(self), REHASH_BLOCK):
            values = self.get(slice(start, start + REHASH_BLOCK))
            blocks.append(values[values >= 0])
        return np.concatenate(blocks)

    @property
    def nbytes(self) -> int:
        return (self._int32 if self.wide else self._bytes).nbytes
