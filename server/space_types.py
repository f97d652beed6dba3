"""What a space takes and answers: targets (ids, vectors, raw inputs), neighbours, pages."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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


@dataclass(frozen=True)
class Page:
    """One page of a scroll; `next_cursor` is where the next page starts (None: the end)."""

    ids: list[str]
    vectors: np.ndarray
    payloads: list[str]
    next_cursor: ScrollCursor | None
