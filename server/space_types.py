"""What a space takes and answers: targets (ids, vectors, raw inputs), neighbours, pages."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from semspace.artifact import Metric
from semspace.server.scroll_cursor import ScrollCursor


@dataclass(frozen=True)
class Text:
    """Raw text, embedded by the space's model."""

    value: str


@dataclass(frozen=True)
class Pixels:
    """One greyscale image (height, width), uint8 or floats in [0, 1], for the space's model."""

    image: np.ndarray


# A query, an arithmetic term or an item to compare: a stored point's id, a vector, raw input.
Target = str | np.ndarray | Text | Pixels


@dataclass(frozen=True)
class Neighbors:
    ids: list[str]
    scores: np.ndarray
    vectors: np.ndarray | None = None
    payloads: list[str] | None = None

    def within(self, threshold: float, metric: Metric) -> Neighbors:
        """The neighbours at least `threshold` similar: scores at least it, distances (l2) at
        most it. They come best first, so those are the first ones."""
        scores = self.scores.astype(np.float64)  # against the threshold as given, a double
        passing = scores <= threshold if metric is Metric.L2 else scores >= threshold
        n = len(passing) if passing.all() else int(np.argmin(passing))
        return Neighbors(
            self.ids[:n],
            self.scores[:n],
            None if self.vectors is None else self.vectors[:n],
            None if self.payloads is None else self.payloads[:n],
        )


@dataclass(frozen=True)
class Page:
    """One page of a scroll; `next_cursor` is where the next page starts (None: the end)."""

    ids: list[str]
    vectors: np.ndarray
    payloads: list[str]
    next_cursor: ScrollCursor | None


@dataclass(frozen=True, eq=False)
class Skip:
    """The rows one query leaves out: those of the request's excluded ids, one set shared by all
    its queries (so 50,000 excluded ids cost one set, not one a query), and the query's own
    point when it was given by id (-1: none)."""

    shared: frozenset[int]
    shared_rows: np.ndarray
    own: int = -1

    def __contains__(self, row: int) -> bool:
        return row == self.own or row in self.shared

    def __len__(self) -> int:
        return len(self.shared) + (self.own >= 0 and self.own not in self.shared)

    def leave_out(self, allowed: np.ndarray) -> None:
        """Clears the skipped rows in a mask over rows."""
        allowed[self.shared_rows] = False
        if self.own >= 0:
            allowed[self.own] = False


NO_SKIP = Skip(frozenset(), np.empty(0, dtype=np.int64))
