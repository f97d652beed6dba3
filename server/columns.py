"""Per-row columns kept outside Python objects: a growing numpy array and packed UTF-8 texts.

A million ids or payloads as Python `str` objects in a list cost about 70 bytes of overhead
each (object header, pointer, and a dict entry for lookups); packed here they cost their UTF-8
bytes plus a 2-byte offset (4 or 8 for long texts), and a column of empty texts (points without
payloads) costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

# Offsets of texts within a block of BLOCK_ROWS rows, while its texts fit them: 128 ids of at
# most 256 bytes always do.
BLOCK_STEPS = np.uint16
BLOCK_ROWS = 128
# Offsets in the whole buffer once some block's texts outgrow BLOCK_STEPS, while the buffer fits
# them; past that they widen to int64.
NARROW_ENDS = np.uint32


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
    def dtype(self) -> np.dtype:
        return self._buffer.dtype

    def astype(self, dtype: np.dtype | type) -> GrowingArray:
        """The same items in a new array of `dtype` (e.g. wider offsets)."""
        wider = GrowingArray(dtype)
        wider.extend(self.view())
        return wider

    @property
    def nbytes(self) -> int:
        return self.size * self._buffer.itemsize


class TextEnds:
    """Where each row's text ends in its column's buffer (int64 offsets in, int64 out).

    Kept as a 2-byte step past the start of the row's block of BLOCK_ROWS rows, plus 8 bytes a
    block, while each block's texts span under 64 KiB: a million ids then cost 2.0 MiB of
    offsets, not 3.8 (4-byte offsets). The first block past that widens every offset to 4 bytes,
    and those widen to 8 past a 4 GiB buffer."""

    def __init__(self) -> None:
        self._bases: GrowingArray | None = GrowingArray(np.int64)  # None once widened
        self._steps = GrowingArray(BLOCK_STEPS)  # the offsets themselves once widened
        self.size = 0

    def extend(self, ends: np.ndarray) -> None:
        """Appends the ends of the next rows (ascending, none before the last end)."""
        if not len(ends):
            return
        if self._bases is not None:
            rows = np.arange(self.size, self.size + len(ends))
            block_starts = rows % BLOCK_ROWS == 0
            # A block's base: where the text of the row before its first row ends.
            before = np.concatenate(([self.last()], ends[:-1]))
            new_bases = before[block_starts]
            first_block = self.size // BLOCK_ROWS
            bases = np.concatenate((self._bases.view()[first_block:], new_bases))
            steps = ends - bases[rows // BLOCK_ROWS - first_block]
            if steps.max() <= np.iinfo(self._steps.dtype).max:
                self._bases.extend(new_bases)
                self._steps.extend(steps)
                self.size += len(ends)
                return
            self._widen()
        if ends[-1] > np.iinfo(self._steps.dtype).max:
            self._steps = self._steps.astype(np.int64)
        self._steps.extend(ends)
        self.size += len(ends)

    def _widen(self) -> None:
        everything = self.all()
        fits = not len(everything) or everything[-1] <= np.iinfo(NARROW_ENDS).max
        wide = GrowingArray(NARROW_ENDS if fits else np.int64)
        wide.extend(everything)
        self._bases, self._steps = None, wide

    def at(self, rows: np.ndarray) -> np.ndarray:
        """The ends of `rows` (int64, each in range)."""
        steps = self._steps.view()[rows].astype(np.int64)
        if self._bases is None:
            return steps
        return steps + self._bases.view()[rows // BLOCK_ROWS]

    def all(self) -> np.ndarray:
        """Every row's end (a new int64 array), each block's base added to its rows in place."""
        ends = self._steps.view().astype(np.int64)
        if self._bases is not None:
            bases = self._bases.view()
            whole = len(ends) // BLOCK_ROWS
            ends[: whole * BLOCK_ROWS].reshape(whole, BLOCK_ROWS)[:] += bases[:whole, None]
            ends[whole * BLOCK_ROWS :] += bases[whole] if whole < len(bases) else 0
        return ends

    def last(self) -> int:
        return int(self.at(np.array([self.size - 1]))[0]) if self.size else 0

    def copy(self) -> TextEnds:
        twin = TextEnds()
        twin._steps = self._steps.astype(self._steps.dtype)
        twin._bases = None if self._bases is None else self._bases.astype(np.int64)
        twin.size = self.size
        return twin

    @property
    def nbytes(self) -> int:
        return self._steps.nbytes + (self._bases.nbytes if self._bases is not None else 0)


class TextColumn:
    """Append-only texts, one per row, packed into one UTF-8 buffer with an end offset per row
    (`TextEnds`). Until the first non-empty text there is no buffer and no ends, only a row
    count: most spaces carry no payloads, and their offsets would all be 0."""

    def __init__(self) -> None:
        self._data = bytearray()
        self._ends: TextEnds | None = None
        self._rows = 0

    def __len__(self) -> int:
        return self._rows

    def extend(self, texts: Iterable[str]) -> None:
        texts = texts if isinstance(texts, list | tuple) else list(texts)
        data, lengths = packed(texts)
        if self._ends is None:
            if not data:
                self._rows += len(texts)
                return
            self._ends = TextEnds()
            self._ends.extend(np.zeros(self._rows, dtype=np.int64))
        self._ends.extend(len(self._data) + np.cumsum(lengths))
        self._data += data
        self._rows += len(texts)

    def place(self, texts: Sequence[str], rows: np.ndarray) -> None:
        """Appends the texts at `rows` (increasing, from `len(self)` on), "" at rows skipped."""
        if len(rows) and rows[-1] + 1 - self._rows != len(texts):
            texts = spread(np.array(texts, dtype=object), rows - self._rows, "").tolist()
        self.extend(texts)

    def pad(self, rows: int) -> None:
        """Empty texts up to `rows` rows."""
        self.extend([""] * (rows - self._rows))

    def __getitem__(self, row: int) -> str:
        if not 0 <= row < self._rows:
            raise IndexError(f"row {row} of {self._rows}")
        if self._ends is None:
            return ""
        starts, stops = self._spans(np.array([row]))
        return self._data[int(starts[0]) : int(stops[0])].decode()

    def take(self, rows: Iterable[int] | np.ndarray) -> list[str]:
        """The texts at `rows`, offsets looked up in one numpy step (1M ids: 0.3 s, against
        1.2 s one `self[row]` at a time, measured)."""
        rows = np.asarray(rows if isinstance(rows, np.ndarray) else list(rows), dtype=np.int64)
        if len(rows) and not (rows.min() >= 0 and rows.max() < self._rows):
            bad = rows[(rows < 0) | (rows >= self._rows)][0]
            raise IndexError(f"row {bad} of {self._rows}")
        if self._ends is None:
            return [""] * len(rows)
        starts, stops = self._spans(rows)
        data = self._data
        return [data[a:b].decode() for a, b in zip(starts.tolist(), stops.tolist(), strict=True)]

    def equals(self, rows: np.ndarray, wanted: PackedTexts, which: np.ndarray) -> np.ndarray:
        """Whether the text at each of `rows` is the `which`-th of `wanted`, compared as UTF-8
        bytes in numpy, with no `str` made (a probe for an absent id compares a few stored
        ones; one at a time in Python that was most of an insert)."""
        if self._ends is None:
            return wanted.lengths[which] == 0
        starts, stops = self._spans(rows)
        lengths = stops - starts
        same = lengths == wanted.lengths[which]
        if not same.any():
            return same
        pairs = np.flatnonzero(same)
        sizes = lengths[pairs]
        pair_of_byte = np.repeat(np.arange(len(pairs)), sizes)
        step = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        stored = np.frombuffer(self._data, dtype=np.uint8)[np.repeat(starts[pairs], sizes) + step]
        asked = wanted.data[np.repeat(wanted.starts[which[pairs]], sizes) + step]
        differing = np.bincount(pair_of_byte, weights=stored != asked, minlength=len(pairs))
        same[pairs] = differing == 0
        return same

    def _spans(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where the texts at `rows` start and stop in the buffer (int64), for a column that
        has one."""
        starts = np.where(rows > 0, self._ends.at(np.maximum(rows - 1, 0)), 0)
        return starts, self._ends.at(rows)

    def lines(self, rows: np.ndarray) -> str:
        """The texts at `rows` (ascending, distinct), each followed by a newline: one string,
        gathered with numpy, with no object per text (200k ids: 29 ms, against 187 ms for
        `take`, measured), for a snapshot's ids.txt and payloads.jsonl."""
        if self._ends is None:
            return "\n" * len(rows)
        lengths = np.diff(self._ends.all(), prepend=0)
        kept = np.zeros(self._rows, dtype=bool)
        kept[rows] = True
        data = np.frombuffer(self._data, dtype=np.uint8)
        texts = data[np.repeat(kept, lengths)]
        return np.insert(texts, np.cumsum(lengths[rows]), ord("\n")).tobytes().decode()

    def rows_containing(self, needle: str) -> np.ndarray:
        """Rows whose text has `needle` (not empty) in it, ascending (UTF-8 substrings are code
        point substrings). Every start of it in the buffer, overlapping ones too, by
        bytes.find; numpy then drops those running into the next text. (Numpy scalars a step
        took 3.7 s for 100k matches; a lookahead regex, 148 ms for one.)"""
        if self._ends is None:
            return np.empty(0, dtype=np.int64)
        wanted = needle.encode()
        found = []
        position = self._data.find(wanted)
        while position >= 0:
            found.append(position)
            position = self._data.find(wanted, position + 1)
        positions = np.array(found, dtype=np.int64)
        ends = self._ends.all()
        rows = np.searchsorted(ends, positions, side="right")
        return np.unique(rows[positions + len(wanted) <= ends[rows]])

    def copy(self) -> TextColumn:
        """An independent copy: two buffer copies, however many texts."""
        twin = TextColumn()
        twin._data = bytearray(self._data)
        twin._rows = self._rows
        twin._ends = None if self._ends is None else self._ends.copy()
        return twin

    @property
    def nbytes(self) -> int:
        return len(self._data) + (self._ends.nbytes if self._ends is not None else 0)


@dataclass(frozen=True)
class PackedTexts:
    """Texts as one UTF-8 byte array, with each one's start and length in it."""

    data: np.ndarray
    starts: np.ndarray
    lengths: np.ndarray

    @classmethod
    def of(cls, texts: Sequence[str]) -> PackedTexts:
        data, lengths = packed(texts)
        return cls(np.frombuffer(data, dtype=np.uint8), np.cumsum(lengths) - lengths, lengths)


def packed(texts: Sequence[str]) -> tuple[bytes, np.ndarray]:
    """The texts' UTF-8 bytes joined, and each one's length in bytes. ASCII texts (ids mostly)
    are joined and encoded once, their lengths counted in characters: a million ids took 0.66 s
    encoded one by one, most of a cached 1M-point restart's id work (cProfile)."""
    data = "".join(texts).encode()
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    if len(data) != int(lengths.sum()):  # some text is not ASCII: count its bytes
        lengths = np.fromiter((len(text.encode()) for text in texts), np.int64, len(texts))
    return data, lengths


def spread(values: np.ndarray, positions: np.ndarray, empty: object) -> np.ndarray:
    """`values` at `positions` (increasing, from 0), `empty` at the positions skipped: the rows
    of an index restored with dead rows among them."""
    if not len(positions) or positions[-1] + 1 == len(values):
        return values
    spread_out = np.full(int(positions[-1]) + 1, empty, dtype=values.dtype)
    spread_out[positions] = values
    return spread_out
