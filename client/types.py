"""What the client returns: plain dataclasses over numpy arrays, never protobuf messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class IndexInfo:
    kind: str  # "flat" | "hnsw" | "ivf_flat" | "ivf_pq"
    params: dict[str, int]
    memory_bytes: int  # the server's estimate for the space: vectors, index, ids, payloads
    recall_at_10: float  # against exact search, measured by the server
    trained: bool
    tombstones: int  # rows of deleted or replaced points held until the space is rebuilt
    read_from_cache: bool = False  # whether the server read this index from its cache at load


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
    index_info: IndexInfo | None = None
    version: int = 1
    versions: list[int] = field(default_factory=list)
    payload_fields: dict[str, list[str]] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Neighbors:
    """Neighbours of one query, best first. Scores: cosine/dot product (higher is better) or
    Euclidean distance for L2 spaces (lower is better)."""

    ids: list[str]
    scores: np.ndarray
    vectors: np.ndarray | None = None
    payloads: list[dict[str, Any] | None] | None = None
    # With group_by: each point's group value (text, number or bool), in group order.
    groups: list[Any] | None = None

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
class Page:
    """One page of `scroll`; pass `next_cursor` back for the next (None: this was the last)."""

    ids: list[str]
    vectors: np.ndarray | None
    payloads: list[dict[str, Any] | None] | None
    next_cursor: str | None


@dataclass(frozen=True)
class SpaceChange:
    """What a reload did to one space: "added", "replaced", "unchanged" or "skipped"."""

    space: str
    action: str
    version: int
    detail: str = ""


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


@dataclass(frozen=True)
class Text:
    """Raw text as a query, term or item: the space's model embeds it (word spaces)."""

    value: str


@dataclass(frozen=True)
class Image:
    """An encoded image (PNG/JPEG bytes) as a query, term or item (image spaces)."""

    data: bytes


@dataclass(frozen=True)
class Embeddings:
    vectors: np.ndarray
    composed: list[bool]  # per text: a word was missing from the vocabulary and built from pieces


@dataclass(frozen=True)
class Tokens:
    pieces: list[str]
    ids: list[int]


@dataclass(frozen=True)
class Images:
    """Decoded images as PNG bytes, uint8 arrays (n, h, w) when Pillow is installed, and latents."""

    png: list[bytes]
    latents: np.ndarray | None = None

    def arrays(self) -> np.ndarray:
        import io

        from PIL import Image as PILImage

        return np.stack([np.asarray(PILImage.open(io.BytesIO(data))) for data in self.png])


@dataclass(frozen=True)
class OddOneOut:
    index: int
    item: object
    scores: np.ndarray
