"""What the client returns: plain dataclasses over numpy arrays, never protobuf messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class SpaceInfo:
    name: str
    kind: str
    dim: int
    metric: str  # "cosine" | "l2" | "ip"
    count: int
    writable: bool
    created: str
    description: str
    producer: str
    index: str
    embed_inputs: list[str]
    manifest: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class Neighbors:
    """Neighbours of one query, best first. Scores: cosine/dot product (higher is better) or
    Euclidean distance for L2 spaces (lower is better)."""

    ids: list[str]
    scores: np.ndarray
    vectors: np.ndarray | None = None
    payloads: list[dict[str, Any] | None] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def pairs(self) -> list[tuple[str, float]]:
        return list(zip(self.ids, self.scores.tolist(), strict=True))


@dataclass(frozen=True)
class Points:
    """Points read by id, in the order asked."""

    ids: list[str]
    vectors: np.ndarray
    payloads: list[dict[str, Any] | None] | None = None


@dataclass(frozen=True)
class UpsertResult:
    inserted: int
    updated: int
    count: int


@dataclass(frozen=True)
class DeleteResult:
    deleted: int
    missing_ids: list[str]
    count: int


@dataclass(frozen=True)
class ArithmeticResult:
    neighbors: Neighbors
    query: np.ndarray  # the 3CosAdd combination, reusable in search()
