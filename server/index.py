"""The index layer: one small interface, FAISS behind it.

Points are addressed by int64 labels chosen by the caller (the space's row numbers), so that
deletes and replacements never renumber anything. Only the exact flat index exists today; HNSW
and IVF-PQ slot in behind the same interface.
"""

from __future__ import annotations

from typing import Protocol

import faiss
import numpy as np

from semspace.artifact import Metric


class VectorIndex(Protocol):
    """What a space needs from an index. Callers pass vectors already prepared for the metric
    (unit length for cosine) and serialise writes against reads."""

    kind: str

    def add(self, labels: np.ndarray, vectors: np.ndarray) -> None: ...

    def remove(self, labels: np.ndarray) -> None: ...

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, labels), each (n, k), best first; label -1 where fewer than k points exist."""
        ...

    def reconstruct(self, labels: np.ndarray) -> np.ndarray: ...

    def exhaustive(self) -> tuple[np.ndarray, np.ndarray]:
        """(labels, vectors) of every point, for exact scans such as 3CosMul."""
        ...

    @property
    def count(self) -> int: ...

    @property
    def memory_bytes(self) -> int: ...


class FlatIndex:
    """Exact search: inner product for cosine (unit vectors) and IP, squared L2 for L2."""

    kind = "flat"

    def __init__(self, dim: int, metric: Metric) -> None:
        self.dim = dim
        self.metric = metric
        self._flat = faiss.IndexFlatL2(dim) if metric is Metric.L2 else faiss.IndexFlatIP(dim)
        self._index = faiss.IndexIDMap2(self._flat)

    def add(self, labels: np.ndarray, vectors: np.ndarray) -> None:
        if len(labels):
            self._index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), labels.astype(np.int64)
            )

    def remove(self, labels: np.ndarray) -> None:
        if len(labels):
            self._index.remove_ids(faiss.IDSelectorBatch(labels.astype(np.int64)))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, self.count)
        if k == 0:
            empty = np.empty((len(queries), 0))
            return empty.astype(np.float32), empty.astype(np.int64)
        scores, labels = self._index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        if self.metric is Metric.L2:
            # FAISS ranks by squared distance; the API speaks Euclidean distance.
            scores = np.sqrt(np.maximum(scores, 0.0))
        return scores, labels

    def reconstruct(self, labels: np.ndarray) -> np.ndarray:
        if not len(labels):
            return np.empty((0, self.dim), dtype=np.float32)
        return self._index.reconstruct_batch(labels.astype(np.int64))

    def exhaustive(self) -> tuple[np.ndarray, np.ndarray]:
        n = self.count
        labels = faiss.vector_to_array(self._index.id_map).copy()
        # A zero-copy view of the flat codes: valid until the next write, which the caller's
        # lock excludes.
        vectors = faiss.rev_swig_ptr(self._flat.get_xb(), n * self.dim).reshape(n, self.dim)
        return labels, vectors

    @property
    def count(self) -> int:
        return int(self._index.ntotal)

    @property
    def memory_bytes(self) -> int:
        return self.count * (self.dim * 4 + 8 * 3)


def build_index(kind: str, dim: int, metric: Metric) -> VectorIndex:
    if kind != "flat":
        raise ValueError(f"unknown index type '{kind}'; available: flat")
    return FlatIndex(dim, metric)
