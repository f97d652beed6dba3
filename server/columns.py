"""Per-row columns kept outside Python objects: a growing numpy array and packed UTF-8 texts.

A million ids or payloads as Python `str` objects in a list cost about 70 bytes of overhead
each (object header, pointer, and a dict entry for lookups); packed here they cost their UTF-8
bytes plus an 8-byte offset.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np


class GrowingArray:
    """A 1-D numpy array that is appended to in amortised O(1); `view()` shows the filled part.

    Capacity doubles, but pages a growth reserved and nothing wrote yet are not resident."""

    def __init__(self, dtype: np.dtype | type) -> None:
        self._buffer = np.empty(64, dtype=dtype)
        self.size = 0

    def extend(self, values: np.ndarray | Sequence) -> None:
        values = np.asarray(values, dtype=self._buffer.dtype)
        self.reserve(self.size + len(values))
        self._buffer[self.size : self.size + len(values)] = values
        self.size += len(values)

    def reserve(self, size: int) -> None:
        """Room for `size` items; the spare room is left untouched, so not resident."""
        if size > len(self._buffer):
            grown = np.empty(max(size, 2 * len(self._buffer)), dtype=self._buffer.dtype)
            grown[: self.size] = self._buffer[: self.size]
            self._buffer = grown

    def view(self) -> np.ndarray:
        """The filled part, uncopied: valid until the next `extend`."""
        return self._buffer[: self.size]

    @property
    def nbytes(self) -> int:
        return self.size * self._buffer.itemsize


class TextColumn:
    """Append-only texts, one per row, packed into one UTF-8 buffer with an end offset per row."""

    def __init__(self) -> None:
        self._data = bytearray()
        self._ends = GrowingArray(np.int64)

    def __len__(self) -> int:
        return self._ends.size

    def extend(self, texts: Iterable[str]) -> None:
        encoded = [text.encode() for text in texts]
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        self._ends.extend(len(self._data) + np.cumsum(lengths))
        self._data += b"".join(encoded)

    def __getitem__(self, row: int) -> str:
        ends = self._ends.view()
        start = int(ends[row - 1]) if row else 0
        return self._data[start : int(ends[row])].decode()

    def take(self, rows: Iterable[int]) -> list[str]:
        return [self[row] for row in rows]

    @property
    def nbytes(self) -> int:
        return len(self._data) + self._ends.nbytes
