"""Building an index from its config, and measuring how much of the exact answer it finds."""

from __future__ import annotations

import numpy as np

from semspace.artifact import Metric
from semspace.index_config import IndexConfig, IndexKind
from semspace.server.ann import HnswIndex, IvfIndex
from semspace.server.index import FlatIndex, VectorIndex, exact_search


def build_index(config: IndexConfig, dim: int, metric: Metric) -> VectorIndex:
    if config.kind is IndexKind.FLAT:
        return FlatIndex(dim, metric, config)
    if config.kind is IndexKind.HNSW:
        return HnswIndex(dim, metric, config)
    return IvfIndex(dim, metric, config)


def measure_recall(index: VectorIndex, metric: Metric, k: int = 10, sample: int = 200) -> float:
    """recall@k of the index against brute force, with up to `sample` stored points as queries
    (a fixed seed, so the figure is repeatable)."""
    if index.kind == "flat" or index.count == 0:
        return 1.0
    labels, vectors = index.exhaustive()
    chosen = np.random.default_rng(0).choice(len(labels), min(sample, len(labels)), replace=False)
    queries = np.ascontiguousarray(vectors[chosen], dtype=np.float32)
    _, truth = exact_search(queries, vectors, labels, k, metric)
    _, found = index.search(queries, k)
    hits = sum(len(set(t.tolist()) & set(f.tolist())) for t, f in zip(truth, found, strict=True))
    return hits / truth.size
