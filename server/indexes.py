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


# Queries a recall measurement searches per hold of the read lock: 16 IVF-Flat searches of a
# 200k x 128 space took 29-65 ms, where all 200 at once held a write for 0.6 s
# (bench/write_stalls.py).
RECALL_QUERIES_PER_LOCK = 16


def measure_recall(
    index: VectorIndex, metric: Metric, lock: ReadWriteLock, k: int = 10, sample: int = 200
) -> float:
    """recall@k of the index against brute force, with up to `sample` stored points as queries
    (evenly spaced over the labels, so the figure is repeatable), over the points live when it
    begins. Writes go on meanwhile: the index is searched a few queries per hold of the read
    lock, over those points even if some are deleted since (`with_dead`), and the brute force
    reads them a block at a time (`IndexRows`), so no second copy of the vectors is made either."""
    with lock.read():
        labels = index.live.labels()
        if index.kind == "flat" or not len(labels):
            return 1.0
        then_live = index.live.mask
        # Evenly spaced rather than random: numpy.random is otherwise never imported by the
        # server, and importing it costs 1.1 MiB of RSS (measured).
        sampled = np.unique(
            np.linspace(0, len(labels) - 1, min(sample, len(labels)), dtype=np.int64)
        )
        queries = index.reconstruct(labels[sampled])
    k = min(k, len(labels))
    found = []
    for start in range(0, len(queries), RECALL_QUERIES_PER_LOCK):
        with lock.read():
            chunk = queries[start : start + RECALL_QUERIES_PER_LOCK]
            found.append(index.search(chunk, k, allowed=then_live, with_dead=True)[1])
    rows = IndexRows(index, labels, queries.shape[1], lock)
    _, positions = knn_over_blocks(queries, rows.blocks(), k, metric)
    truth = labels[positions]
    hits = sum(
        len(set(t.tolist()) & set(f.tolist())) for t, f in zip(truth, np.vstack(found), strict=True)
    )
    return hits / truth.size
