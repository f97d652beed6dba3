"""Approximate indexes: HNSW and IVF (flat or product-quantised), behind `VectorIndex`.

Deletes only mark a label dead in a mask of live labels, which searches pass to FAISS as a
selector: FAISS's HNSW cannot remove points, and an IVF index that keeps them keeps every row's
vector readable until the space is rebuilt without its dead rows, as snapshots, rebuilds and
recall measurements, reading a block at a time while writes go on, need (`VectorIndex`).
IVF indexes gather points in an exact flat index until there are enough to train their
centroids (`IndexConfig.training_points`), and search exactly until then.
"""

from __future__ import annotations

import faiss
import numpy as np

from semspace.artifact import Metric
from semspace.index_config import IndexConfig, IndexKind
from semspace.server.hnsw_threads import HNSW_THREADS
from semspace.server.index import (
    NO_KNOBS,
    AppendOnlyIndex,
    FlatIndex,
    LiveLabels,
    SearchKnobs,
    StoredIndexMismatch,
    api_scores,
    check_confirmed,
    check_same_rows,
    check_stored,
    empty_answer,
    faiss_metric,
)


class HnswIndex(AppendOnlyIndex):
    kind = "hnsw"

    def __init__(self, dim: int, metric: Metric, config: IndexConfig) -> None:
        if config.vector_bits == 16:
            index = faiss.IndexHNSWSQ(
                dim, faiss.ScalarQuantizer.QT_fp16, config.m, faiss_metric(metric)
            )
            vector_dtype: type[np.floating] = np.float16
        else:
            index = faiss.IndexHNSWFlat(dim, config.m, faiss_metric(metric))
            vector_dtype = np.float32
        index.hnsw.efConstruction = config.ef_construction
        super().__init__(dim, metric, config, index, vector_dtype)

    def stored_form(self) -> faiss.Index | None:
        return self._index

    def restore(self, stored: faiss.Index, rows: int) -> None:
        super().restore(stored, rows)
        if stored.hnsw.nb_neighbors(0) != 2 * self.config.m:  # the base layer
            raise StoredIndexMismatch(f"stored HNSW graph is not of m {self.config.m}")
        # Inserts after the load link with the configured effort.
        stored.hnsw.efConstruction = self.config.ef_construction

    def _search_parameters(self, knobs: SearchKnobs) -> faiss.SearchParameters:
        params = faiss.SearchParametersHNSW()
        params.efSearch = knobs.ef_search or self.config.ef_search
        return params

    def _search(
        self, queries: np.ndarray, k: int, params: faiss.SearchParameters
    ) -> tuple[np.ndarray, np.ndarray]:
        # On the pool only: FAISS keeps a visited table in each searching thread (hnsw_threads).
        return HNSW_THREADS.run(lambda: self._index.search(queries, k, params=params))

    def _storage(self) -> faiss.IndexFlatCodes:
        return faiss.downcast_index(self._index.storage)

    @property
    def memory_bytes(self) -> int:
        # Vectors and live mask, plus about 2·m links of 4 bytes on the base layer and a little
        # for the upper layers (1/m of the nodes each); measured within ~10 % of RSS growth on
        # 100k × 128.
        links = int(self._index.ntotal) * self.config.m * 2 * 4 * 1.1
        return int(super().memory_bytes + links)


class IvfIndex:
    """IVF-Flat, or IVF-PQ with exact re-ranking from a copy of the vectors."""

    def __init__(self, dim: int, metric: Metric, config: IndexConfig) -> None:
        self.dim = dim
        self.metric = metric
        self.config = config
        self.kind = config.kind.value
        self._quantised = config.kind is IndexKind.IVF_PQ
        self.vector_dtype = np.dtype(np.float32)
        self._pending: FlatIndex | None = FlatIndex(dim, metric)
        self._ivf: faiss.IndexIVF | None = None
        self._quantizer: faiss.Index | None = None
        self.live = LiveLabels()
        # IVF-PQ keeps the exact vectors too: Get, snapshots and re-ranking need them, and
        # codes alone would make every write lossy.
        self._exact = np.empty((0, dim), dtype=np.float32)

    @property
    def trained(self) -> bool:
        return self._ivf is not None

    def add(self, labels: np.ndarray, vectors: np.ndarray) -> None:
        if not len(labels):
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.live.add(labels)
        if self._quantised:
            self._keep_exact(labels, vectors)
        if self._pending is not None:
            self._pending.add(labels, vectors)
            if self._pending.count >= self.config.training_points:
                self._train()
        else:
            assert self._ivf is not None
            self._ivf.add_with_ids(vectors, labels.astype(np.int64))

    def _keep_exact(self, labels: np.ndarray, vectors: np.ndarray) -> None:
        needed = int(labels.max()) + 1
        if needed > len(self._exact):
            grown = np.empty((max(needed, 2 * len(self._exact)), self.dim), dtype=np.float32)
            grown[: len(self._exact)] = self._exact
            self._exact = grown
        self._exact[labels] = vectors

    def _train(self) -> None:
        assert self._pending is not None
        # Dead rows too, so that every row stays readable.
        labels = np.arange(self._pending.live.size, dtype=np.int64)
        vectors = self._pending.reconstruct(labels)
        metric = faiss_metric(self.metric)
        quantizer = faiss.IndexFlat(self.dim, metric)
        if self._quantised:
            ivf = faiss.IndexIVFPQ(
                quantizer,
                self.dim,
                self.config.nlist,
                self.config.pq_m,
                self.config.pq_bits,
                metric,
            )
        else:
            ivf = faiss.IndexIVFFlat(quantizer, self.dim, self.config.nlist, metric)
            # A hash map from label to list position makes reconstruct work.
            ivf.set_direct_map_type(faiss.DirectMap.Hashtable)
        ivf.train(np.ascontiguousarray(vectors))
        ivf.add_with_ids(np.ascontiguousarray(vectors), labels)
        self._ivf, self._quantizer, self._pending = ivf, quantizer, None

    def stored_form(self) -> faiss.Index | None:
        return self._ivf

    def restore(self, stored: faiss.Index, rows: int) -> None:
        expected = faiss.IndexIVFPQ if self._quantised else faiss.IndexIVFFlat
        fits = (
            isinstance(stored, expected)
            and stored.d == self.dim
            and stored.metric_type == faiss_metric(self.metric)
            and stored.nlist == self.config.nlist
        )
        check_stored(stored, expected.__name__, fits, rows)
        # The stored index owns its quantizer.
        self._ivf, self._quantizer, self._pending = stored, None, None
        self.live.restored(rows)

    def confirm(self, labels: np.ndarray, vectors: np.ndarray) -> None:
        assert self._ivf is not None
        check_confirmed(self.live, labels, int(self._ivf.ntotal))
        if not len(labels):
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if self._quantised:
            # Product codes are lossy: nothing to compare; re-ranking needs the exact rows.
            self._keep_exact(labels, vectors)
        else:
            # Every row (1M x 128 read back from the lists in 0.12 s).
            check_same_rows(labels, self._ivf.reconstruct_batch(labels), vectors)
        self.live.add(labels)

    def remove(self, labels: np.ndarray) -> None:
        if not len(labels):
            return
        self.live.remove(labels)
        if self._pending is not None:
            self._pending.remove(labels)

    def search(
        self,
        queries: np.ndarray,
        k: int,
        knobs: SearchKnobs = NO_KNOBS,
        allowed: np.ndarray | None = None,
        *,
        with_dead: bool = False,
    ) -> tuple[np.ndarray, np.ndarray]:
        if self._pending is not None:
            return self._pending.search(queries, k, allowed=allowed, with_dead=with_dead)
        assert self._ivf is not None
        k = min(k, self.live.size if with_dead else self.count)
        if k == 0:
            return empty_answer(len(queries))
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        params = faiss.SearchParametersIVF()
        params.nprobe = min(knobs.nprobe or self.config.nprobe, self.config.nlist)
        _bits = self.live.select(params, allowed, with_dead)
        fetch = k * self.config.refine_factor if self._quantised else k
        scores, labels = self._ivf.search(queries, fetch, params=params)
        if self._quantised:
            return self._rerank(queries, labels, k)
        return api_scores(scores, self.metric), labels

    def _rerank(
        self, queries: np.ndarray, candidates: np.ndarray, k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact scores for the PQ candidates, best k kept: recall up, scores exact."""
        vectors = self._exact[np.maximum(candidates, 0)]
        if self.metric is Metric.L2:
            exact = -((vectors - queries[:, None, :]) ** 2).sum(axis=2)
        else:
            exact = np.einsum("qcd,qd->qc", vectors, queries)
        exact[candidates < 0] = -np.inf
        order = np.argsort(-exact, axis=1, kind="stable")[:, :k]
        labels = np.take_along_axis(candidates, order, axis=1)
        scores = np.take_along_axis(exact, order, axis=1)
        labels[~np.isfinite(scores)] = -1
        if self.metric is Metric.L2:
            scores = np.sqrt(np.maximum(-scores, 0.0))
        return scores.astype(np.float32), labels

    def reconstruct(self, labels: np.ndarray) -> np.ndarray:
        if not len(labels):
            return np.empty((0, self.dim), dtype=np.float32)
        if self._quantised:
            return self._exact[labels]
        if self._pending is not None:
            return self._pending.reconstruct(labels)
        assert self._ivf is not None
        return self._ivf.reconstruct_batch(labels.astype(np.int64))

    def exhaustive(self) -> tuple[np.ndarray, np.ndarray]:
        labels = self.live.labels()
        return labels, self.reconstruct(labels)

    @property
    def count(self) -> int:
        return self.live.count

    @property
    def tombstones(self) -> int:
        return self.live.size - self.live.count

    @property
    def memory_bytes(self) -> int:
        n = self.live.size  # dead rows stay in the lists until a rebuild
        centroids = self.config.nlist * self.dim * 4 if self.trained else 0
        if self._quantised:
            codes = self.config.pq_m * self.config.pq_bits // 8
            # Rows written so far: the capacity beyond them is reserved, never touched.
            exact = self.live.size * self.dim * 4
            return int(exact + n * (codes + 8) + centroids)
        # Vectors and ids in the lists, and the label -> position hash map.
        return n * (self.dim * 4 + 8 + 16) + centroids
