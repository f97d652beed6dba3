"""Building an index from its config, and measuring how much of the exact answer it finds."""

from __future__ import annotations

import numpy as np

from semspace.artifact import Metric
from semspace.index_config import IndexConfig, IndexKind
from semspace.server.ann import HnswIndex, IvfIndex
from semspace.server.index import FlatIndex, VectorIndex, knn_over_blocks
from semspace.server.points_copy import IndexRows
from semspace.server.rwlock import ReadWriteLock


def build_index(config: IndexConfig, dim: int, metric: Metric) -> VectorIndex:
    if config.kind is IndexKind.FLAT:
        return FlatIndex(dim, metric, config)
    if config.kind is IndexKind.HNSW:
        return HnswIndex(dim, metric, config)
    return IvfIndex(dim, metric, config)


def measure_recall(
    index: VectorIndex, metric: Metric, lock: ReadWriteLock, k: int = 10, sample: int = 200
) -> float:
    """recall@k of the index against brute force, with up to `sample` stored points as queries
    (a fixed seed, so the figure is repeatable). Only the index's search holds the read lock;
    the brute force then reads the points live at that moment a block at a time (`IndexRows`),
    so writes go on meanwhile and no second copy of the vectors is made."""
    with lock.read():
        labels = index.live.labels()
        if index.kind == "flat" or not len(labels):
            return 1.0
        sampled = np.random.default_rng(0).choice(len(labels), min(sample, len(labels)), False)
        queries = index.reconstruct(labels[sampled])
        _, found = index.search(queries, k)
    rows = IndexRows(index, labels, queries.shape[1], lock)
    _, positions = knn_over_blocks(queries, rows.blocks(), min(k, len(labels)), metric)
    truth = labels[positions]
    hits = sum(len(set(t.tolist()) & set(f.tolist())) for t, f in zip(truth, found, strict=True))
    return hits / truth.size
