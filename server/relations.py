"""Relations between items of a space that need no index: pair similarity, the odd one out."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from semspace.server.errors import InvalidArgument
from semspace.server.index import as_cosines
from semspace.server.space import Space
from semspace.server.space_types import Target
from semspace.vectors import unit_rows


def similarity(space: Space, a: Sequence[Target], b: Sequence[Target]) -> np.ndarray:
    """Cosine similarity of each pair a[i], b[i]."""
    if len(a) != len(b):
        raise InvalidArgument(f"a, b: {len(a)} and {len(b)} items; pairs need equal counts")
    left = unit_rows(space.resolve(a, "a"), "a")
    right = unit_rows(space.resolve(b, "b"), "b")
    return as_cosines(np.einsum("ij,ij->i", left, right))


def doesnt_match(space: Space, items: Sequence[Target]) -> tuple[int, np.ndarray]:
    """The item least similar to the mean direction of all (gensim's doesnt_match)."""
    if len(items) < 3:
        raise InvalidArgument(f"items: {len(items)} given; the odd one out needs at least 3")
    unit = unit_rows(space.resolve(items, "items"), "items")
    mean = unit_rows(unit.mean(axis=0, keepdims=True), "items (mean)")[0]
    scores = as_cosines(unit @ mean)
    return int(np.argmin(scores)), scores
