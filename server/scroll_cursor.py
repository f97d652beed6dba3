"""Scroll cursors that stay true while a space's rows are renumbered.

A scroll reads live rows in row order, and a cursor is the row where the next page starts. A
rebuild drops dead rows and renumbers the live ones, keeping their order: a live point's new row
is the number of live rows before its old one. The space keeps each rebuild's old live rows as a
bitmap (one bit a row), so a cursor given before a rebuild is carried into the new numbering and
the scroll misses no point that was there all along. A cursor names the space instance that gave
it: after a restart or reload the rows are laid out anew and its row means nothing there.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import numpy as np

from semspace.server.errors import Aborted, InvalidArgument

# Rebuilds a cursor can be carried across; each costs a bitmap of the rows it replaced (125 KiB
# at 1M rows). A scroll that slow past more rebuilds is refused, not answered wrongly.
KEPT_REBUILDS = 8


@dataclass(frozen=True)
class ScrollCursor:
    """Row `row` of space instance `instance`'s numbering after `rebuilds` rebuilds."""

    instance: str
    rebuilds: int
    row: int

    def __str__(self) -> str:
        return f"{self.instance}.{self.rebuilds}.{self.row}"


def parse_cursor(text: str, field: str = "cursor") -> ScrollCursor | None:
    """A cursor as a previous page gave it; None (the start) for an empty one."""
    if not text:
        return None
    parts = text.split(".")
    if len(parts) != 3 or not all(p.isascii() and p.isalnum() for p in parts) or len(text) > 60:
        raise InvalidArgument(
            f"{field}: '{text[:40]}' is not a cursor this server gave; pass next_cursor as is"
        )
    instance, rebuilds, row = parts
    if not (rebuilds.isdigit() and row.isdigit()):
        raise InvalidArgument(f"{field}: '{text[:40]}' is not a cursor this server gave")
    return ScrollCursor(instance, int(rebuilds), int(row))


class RowHistory:
    """One space instance's row numberings: the current one, and the live rows of the last
    KEPT_REBUILDS numberings that rebuilds replaced."""

    def __init__(self, space: str) -> None:
        self.space = space
        self.instance = secrets.token_hex(4)
        self.rebuilds = 0
        self._live_before: dict[int, np.ndarray] = {}

    def rebuilding(self, live: np.ndarray) -> None:
        """Called with the live-row mask of the numbering a rebuild is about to replace."""
        self._live_before[self.rebuilds] = np.packbits(live)
        self._live_before.pop(self.rebuilds - KEPT_REBUILDS, None)
        self.rebuilds += 1

    @property
    def nbytes(self) -> int:
        return sum(bits.nbytes for bits in self._live_before.values())

    def cursor(self, row: int) -> ScrollCursor:
        return ScrollCursor(self.instance, self.rebuilds, row)

    def row(self, cursor: ScrollCursor, field: str = "cursor") -> int:
        """The cursor's row in the current numbering."""
        if cursor.instance != self.instance:
            raise Aborted(
                f"{field}: space '{self.space}' was loaded again (a restart or reload) since "
                "this cursor was given; start the scroll again"
            )
        row = cursor.row
        for rebuild in range(cursor.rebuilds, self.rebuilds):
            live = self._live_before.get(rebuild)
            if live is None:
                raise Aborted(
                    f"{field}: space '{self.space}' was rebuilt more than {KEPT_REBUILDS} times "
                    "since this cursor was given; start the scroll again"
                )
            row = int(np.unpackbits(live, count=min(row, 8 * len(live))).sum())
        return row
