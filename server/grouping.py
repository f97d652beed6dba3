"""Grouped search: the best k groups of points that share a payload value ("at most two shoes
per brand"), each group with its best `size` points, groups ordered by their best point.

The candidates are an ordinary search's answer (approximate indexes included), asked for more
neighbours until the answer is settled: once k distinct groups are among the best F points,
no other group can beat them (its best point is worse than all F), so they are the k groups;
each of them then needs its `size` best points among the F, or F must reach every point. A
point whose field holds a list joins the group of each value; a point without the field (or
with only objects under it) is in no group.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from semspace.server.filters import Scalar, flatten
from semspace.server.space_types import Neighbors

# Candidates per wanted point on the first try, and the growth of each retry.
FIRST_FETCH_FACTOR = 4
GROWTH = 4


@dataclass(frozen=True)
class Grouping:
    field: str
    size: int  # points per group


@dataclass(frozen=True)
class Grouped:
    """One query's groups flattened: their points in group order, and each point's group value
    (as JSON, so that 1 and "1" and true stay apart)."""

    neighbors: Neighbors
    groups: list[str]


def grouped_search(
    search: Callable[[int], list[Neighbors]], k: int, grouping: Grouping, points: int
) -> list[Grouped]:
    """`search(fetch)` answers every query with its best `fetch` candidates, payloads included
    (and cut by a score threshold, if any); `points` is how many the space holds."""
    fetch = min(max(k * grouping.size * FIRST_FETCH_FACTOR, 16), points)
    while True:
        answers = search(fetch)
        grouped = [_groups(answer, k, grouping) for answer in answers]
        # Fewer candidates than asked for means every point (that passes) was seen.
        if fetch >= points or all(
            done or len(answer.ids) < fetch
            for (_, done), answer in zip(grouped, answers, strict=True)
        ):
            return [result for result, _ in grouped]
        fetch = min(fetch * GROWTH, points)


def _groups(candidates: Neighbors, k: int, grouping: Grouping) -> tuple[Grouped, bool]:
    """The best k groups among the candidates (best first), and whether they are settled."""
    members: dict[str, list[int]] = {}
    for position, payload in enumerate(candidates.payloads or []):
        for value in _values(payload, grouping.field):
            if value in members or len(members) < k:
                members.setdefault(value, []).append(position)
    done = len(members) == k and all(len(m) >= grouping.size for m in members.values())
    positions, groups = [], []
    for value, at in members.items():
        positions += at[: grouping.size]
        groups += [value] * min(len(at), grouping.size)
    picked = np.asarray(positions, dtype=np.int64)
    neighbors = Neighbors(
        [candidates.ids[p] for p in positions],
        candidates.scores[picked],
        None if candidates.vectors is None else candidates.vectors[picked],
        [candidates.payloads[p] for p in positions] if candidates.payloads else [],
    )
    return Grouped(neighbors, groups), done


def _values(payload: str, field: str) -> list[str]:
    """The point's values of `field`, each once, as JSON; numbers as filters see them (1 and
    1.0 are one value, written 1)."""
    if not payload:
        return []
    found = (_as_json(value) for path, value in flatten(json.loads(payload)) if path == field)
    return list(dict.fromkeys(found))


def _as_json(value: Scalar) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        value = int(value)
    return json.dumps(value)
