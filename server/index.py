"""The index layer: one small interface, FAISS behind it; the exact flat index and shared parts.

Points are addressed by int64 labels chosen by the caller (the space's row numbers, appended in
order and never reused), so that deletes and replacements never renumber anything. Filters reach
an index as a boolean mask over labels. Approximate indexes live in `ann.py`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import faiss
import numpy as np

from semspace.artifact import Metric
from semspace.index_config import IndexConfig


@dataclass(frozen=True)
class SearchKnobs:
    """Per-request overrides of an approximate index's search effort."""

    ef_search: int | None = None
    nprobe: int | None = None


NO_KNOBS = SearchKnobs()

# Flat scoring through BLAS pays from this many queries per call (micro-batches). FAISS decides
# by a global threshold, and its default keeps BLAS off for batches this small. Per query on
# 59k x 128, one thread: 1.35-1.43 ms without BLAS at any batch size; with BLAS 3.06 ms alone,
# 1.75 ms in twos, 0.87 in fours, 0.52 in eights, 0.37 in sixteens (measured). So it is
# lowered only while a batch of 4+ runs; a single query that starts meanwhile takes the BLAS
# path too: slower, never wrong.
BLAS_MIN_QUERIES = 4
_blas_lock = threading.Lock()
_blas_users = 0
_DEFAULT_BLAS_THRESHOLD = faiss.cvar.distance_compute_blas_threshold


@contextmanager
def blas_scoring(queries: int) -> Iterator[None]:
    global _blas_users
    if queries < BLAS_MIN_QUERIES:
        yield
        return
    with _blas_lock:
        _blas_users += 1
        faiss.cvar.distance_compute_blas_threshold = BLAS_MIN_QUERIES
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0:
                faiss.cvar.distance_compute_blas_threshold = _DEFAULT_BLAS_THRESHOLD


class VectorIndex(Protocol):
    """What a space needs from an index. Callers pass vectors already prepared for the metric
    (unit length for cosine) and serialise writes against reads. A label's vector stays
    readable once written, the point's deletion included (a rebuild makes a new index), so that
    snapshots, rebuilds and recall measurements can read rows a block at a time while writes go
    on."""

    kind: str
    config: IndexConfig
    # Which labels hold a live point: kept by the index, read by the space (filters, scroll).
    live: LiveLabels
    # How the index keeps the vectors: float32, or float16 (HNSW with vector_bits 16).
    vector_dtype: np.dtype

    def add(self, labels: np.ndarray, vectors: np.ndarray) -> None: ...

    def remove(self, labels: np.ndarray) -> None: ...

    def search(
        self,
        queries: np.ndarray,
        k: int,
        knobs: SearchKnobs = NO_KNOBS,
        allowed: np.ndarray | None = None,
        *,
        with_dead: bool = False,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, labels), each (n, k), best first; label -1 where fewer than k were found.
        `allowed`, a boolean mask over labels, restricts the answer to those labels; with
        `with_dead` it may name deleted points too, whose rows stay until a rebuild, so that a
        recall measurement answers over one moment's points a few queries at a time."""
        ...

    def reconstruct(self, labels: np.ndarray) -> np.ndarray: ...

    def exhaustive(self) -> tuple[np.ndarray, np.ndarray]:
        """(labels, vectors) of every live point, for exact scans such as 3CosMul."""
        ...

    def stored_form(self) -> faiss.Index | None:
        """What the index cache keeps of this index (server/index_cache.py): the FAISS index
        that takes time to build, or None (flat: reading it would cost what adding its rows
        does; an IVF index not trained yet)."""
        ...

    def restore(self, stored: faiss.Index, rows: int) -> None:
        """Makes `stored`, read from the index cache, this empty index's FAISS index: it must be
        of this index's kind and settings and hold `rows` rows (else StoredIndexMismatch). Its
        rows are dead until `confirm` receives them."""
        ...

    def confirm(self, labels: np.ndarray, vectors: np.ndarray) -> None:
        """For a restored index, what `add` does but the FAISS work: the labels must follow the
        last confirmed, in order (labels passed over stay dead), and every row must equal the
        stored one where the index keeps it (not IVF-PQ: product codes are lossy), else
        StoredIndexMismatch: the cache is then stale, e.g. vectors prepared differently."""
        ...

    @property
    def count(self) -> int: ...

    @property
    def tombstones(self) -> int:
        """Deleted points still taking room (compacted by rebuilding)."""
        ...

    @property
    def memory_bytes(self) -> int: ...


# A write this large spreads its index work (HNSW inserts, IVF assignment and training) over
# more OpenMP threads than a search gets. The setting is per thread, and the writer holds its
# space's write lock, so no search of that space shares the cores meanwhile. In 10k batches,
# one thread built a 200k x 128 HNSW (m 16, ef_construction 200) in 52 s, two in 33 s.
BULK_WRITE_POINTS = 1024


@contextmanager
def write_threads(points: int, threads: int) -> Iterator[None]:
    before = faiss.omp_get_max_threads()
    if points < BULK_WRITE_POINTS or threads <= before:
        yield
        return
    faiss.omp_set_num_threads(threads)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def faiss_metric(metric: Metric) -> int:
    # Cosine spaces hold unit vectors, so inner product ranks them by cosine.
    return faiss.METRIC_L2 if metric is Metric.L2 else faiss.METRIC_INNER_PRODUCT


def api_scores(scores: np.ndarray, metric: Metric) -> np.ndarray:
    """FAISS ranks L2 by squared distance; the API speaks Euclidean distance. Cosines of unit
    vectors in float32 land up to a few ulps past 1 (a stored vector found by itself scored
    1.0000005), which no cosine is: they are clipped."""
    if metric is Metric.L2:
        return np.sqrt(np.maximum(scores, 0.0))
    return as_cosines(scores) if metric is Metric.COSINE else scores


def as_cosines(products: np.ndarray) -> np.ndarray:
    """Dot products of unit vectors as cosines, float32 rounding past ±1 clipped."""
    return np.clip(products, -1.0, 1.0)


def empty_answer(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.empty((n, 0), dtype=np.float32), np.empty((n, 0), dtype=np.int64)


def exact_search(
    queries: np.ndarray, vectors: np.ndarray, labels: np.ndarray, k: int, metric: Metric
) -> tuple[np.ndarray, np.ndarray]:
    """Brute force over the given points, with the index's conventions (API scores, labels).
    Vectors stored in another float type are widened a block at a time, not all at once."""
    k = min(k, len(labels))
    if k == 0:
        return empty_answer(len(queries))
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    if vectors.dtype == np.float32:
        scores, positions = faiss.knn(
            queries, np.ascontiguousarray(vectors), k, metric=faiss_metric(metric)
        )
    else:
        scores, positions = knn_over_blocks(queries, float32_blocks(vectors), k, metric)
    return api_scores(scores, metric), labels[positions]


# Rows widened to float32 at a time by a blockwise scan: 32 MiB at 128 dimensions.
EXACT_BLOCK_ROWS = 65_536


def float32_blocks(vectors: np.ndarray) -> Iterator[np.ndarray]:
    """Every EXACT_BLOCK_ROWS rows as float32, so that scans of float16 storage never widen it
    all at once (float32 blocks are views). At least one block, empty for no rows."""
    for start in range(0, max(len(vectors), 1), EXACT_BLOCK_ROWS):
        rows = vectors[start : start + EXACT_BLOCK_ROWS]
        yield np.ascontiguousarray(rows, dtype=np.float32)


def knn_over_blocks(
    queries: np.ndarray, blocks: Iterable[np.ndarray], k: int, metric: Metric
) -> tuple[np.ndarray, np.ndarray]:
    """faiss.knn's answer (raw scores, positions) over float32 blocks of consecutive rows (at
    least one, which may be empty)."""
    found_scores, found_positions = [], []
    start = 0
    for block in blocks:
        scores, positions = faiss.knn(
            queries, block, min(k, len(block)), metric=faiss_metric(metric)
        )
        found_scores.append(scores)
        found_positions.append(positions + start)
        start += len(block)
    scores, positions = np.hstack(found_scores), np.hstack(found_positions)
    # Squared L2: smaller is nearer; inner product: larger is.
    order = np.argsort(scores if metric is Metric.L2 else -scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, order, axis=1), np.take_along_axis(positions, order, axis=1)


class StoredIndexMismatch(Exception):
    """An index from the index cache that does not hold the rows being loaded."""


def check_stored(stored: faiss.Index, expected: str, fits: bool, rows: int) -> None:
    """Raises StoredIndexMismatch unless `stored` `fits` (its type and settings) and has `rows`."""
    if not fits or stored.ntotal != rows:
        raise StoredIndexMismatch(
            f"stored {type(stored).__name__} of {stored.ntotal} rows (d {stored.d}) is not "
            f"the expected {expected} of {rows} rows"
        )


def check_confirmed(live: LiveLabels, labels: np.ndarray, stored_rows: int) -> None:
    """Raises StoredIndexMismatch unless `labels` follow the rows of a restored index that were
    confirmed so far, in order, within the rows it holds (rows skipped stay dead)."""
    if not len(labels):
        return
    start = live.confirmed
    if labels[0] < start or labels[-1] >= stored_rows or (np.diff(labels) <= 0).any():
        raise StoredIndexMismatch(
            f"rows {labels[:1]}..{labels[-1:]} do not follow {start} in order within the "
            f"stored index's {stored_rows}"
        )
    live.confirmed = int(labels[-1]) + 1


def check_same_rows(labels: np.ndarray, stored: np.ndarray, given: np.ndarray) -> None:
    """Raises StoredIndexMismatch at the first of the rows `given` for `labels` that differs
    from the restored index's `stored` rows there."""
    different = np.flatnonzero((stored != given).any(axis=1))
    if len(different):
        raise StoredIndexMismatch(f"row {labels[different[0]]} differs from the stored index's")


def labels_other_than(kept: np.ndarray, total: int) -> np.ndarray:
    """The labels below `total` not in `kept`, ascending: the dead ones of an index whose live
    labels are `kept`."""
    return np.delete(np.arange(total, dtype=np.int64), kept)


class LiveLabels:
    """Which labels hold a live point: a growing bitmap, one bit a label, least significant bit
    first, which is the layout FAISS's IDSelectorBitmap reads, so a search skipping dead labels
    passes it as it is (dead labels keep their vectors in the index until a rebuild). A byte a
    label was 1 MiB of RSS at 1M points; the bits are 128 KiB."""

    def __init__(self) -> None:
        self._bits = np.zeros(128, dtype=np.uint8)
        self.size = 0
        self.count = 0
        # Of a restored index: labels below this were confirmed live or passed over (dead).
        self.confirmed = 0

    def restored(self, size: int) -> None:
        """The labels of an index read from the index cache: all dead until confirmed."""
        self._grow(size)
        self.size = size

    def add(self, labels: np.ndarray) -> None:
        if not len(labels):
            return
        needed = int(labels.max()) + 1
        self._grow(needed)
        self.count += len(labels) - int(self._are_live(labels).sum())
        np.bitwise_or.at(self._bits, labels >> 3, _bit_of(labels))
        self.size = max(self.size, needed)

    def remove(self, labels: np.ndarray) -> None:
        if len(labels):
            self.count -= int(self._are_live(labels).sum())
            np.bitwise_and.at(self._bits, labels >> 3, ~_bit_of(labels))

    def _are_live(self, labels: np.ndarray) -> np.ndarray:
        return (self._bits[labels >> 3] & _bit_of(labels)) != 0

    def _grow(self, needed: int) -> None:
        if needed > 8 * len(self._bits):
            grown = np.zeros(max((needed + 7) // 8, 2 * len(self._bits)), dtype=np.uint8)
            grown[: len(self._bits)] = self._bits
            self._bits = grown

    @property
    def mask(self) -> np.ndarray:
        """A new boolean array over the labels, True where live."""
        return np.unpackbits(self._bits, count=self.size, bitorder="little").view(bool)

    def select(
        self, params: faiss.SearchParameters, allowed: np.ndarray | None, with_dead: bool = False
    ) -> np.ndarray | None:
        """Makes a search with `params` skip dead labels (unless `with_dead`) and those outside
        `allowed` (a boolean mask over labels). Returns the bits FAISS reads, which the caller
        keeps alive until the search returns; None when every stored label qualifies."""
        if allowed is None:
            if self.count == self.size:
                return None
            bits = self._bits
        else:
            selected = np.zeros(self.size, dtype=bool)
            common = min(self.size, len(allowed))
            selected[:common] = allowed[:common]
            bits = np.packbits(selected, bitorder="little")
            if not with_dead:
                bits &= self._bits[: len(bits)]
        params.sel = faiss.IDSelectorBitmap(len(bits), faiss.swig_ptr(bits))
        return bits

    def labels(self) -> np.ndarray:
        return np.flatnonzero(self.mask).astype(np.int64)


def _bit_of(labels: np.ndarray) -> np.ndarray:
    """Each label's bit within its byte of the bitmap."""
    return np.left_shift(1, labels & 7).astype(np.uint8)


class AppendOnlyIndex:
    """A FAISS index that numbers points in insertion order (flat, HNSW): our labels are rows
    appended in order, so the two coincide and no id map is needed. Deletes only mark a label
    dead in a live mask, which searches pass to FAISS as a selector; the space rebuilds the
    index once dead labels outnumber live ones."""

    kind: str

    def __init__(
        self,
        dim: int,
        metric: Metric,
        config: IndexConfig,
        index: faiss.Index,
        vector_dtype: type[np.floating] = np.float32,
    ) -> None:
        self.dim = dim
        self.metric = metric
        self.config = config
        self._index = index
        # How the storage's codes hold each vector: float32 (IndexFlat) or float16 (fp16 SQ).
        self.vector_dtype = np.dtype(vector_dtype)
        self.live = LiveLabels()

    def add(self, labels: np.ndarray, vectors: np.ndarray) -> None:
        start = int(self._index.ntotal)
        if not np.array_equal(labels, np.arange(start, start + len(labels))):
            raise ValueError(f"{self.kind} labels must continue from {start} in order")
        if len(labels):
            if self.vector_dtype == np.float16:
                # Round half to even, as IEEE and numpy do; FAISS rounds halves up.
                vectors = vectors.astype(np.float16)
            self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))
            self.live.add(labels)

    def remove(self, labels: np.ndarray) -> None:
        self.live.remove(labels)

    def search(
        self,
        queries: np.ndarray,
        k: int,
        knobs: SearchKnobs = NO_KNOBS,
        allowed: np.ndarray | None = None,
        *,
        with_dead: bool = False,
    ) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, self.live.size if with_dead else self.count)
        if k == 0:
            return empty_answer(len(queries))
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        params = self._search_parameters(knobs)
        _bits = self.live.select(params, allowed, with_dead)
        scores, labels = self._search(queries, k, params)
        return api_scores(scores, self.metric), labels

    def stored_form(self) -> faiss.Index | None:
        return None

    def restore(self, stored: faiss.Index, rows: int) -> None:
        fresh = self._index
        fits = (
            type(stored) is type(fresh)
            and stored.d == fresh.d
            and stored.metric_type == fresh.metric_type
        )
        check_stored(stored, type(fresh).__name__, fits, rows)
        self._index = stored
        self.live.restored(rows)

    def confirm(self, labels: np.ndarray, vectors: np.ndarray) -> None:
        check_confirmed(self.live, labels, int(self._index.ntotal))
        if not len(labels):
            return
        # Every row, not a sample: a label map off by one row would answer with the wrong ids.
        # 1M x 128 float32 rows compare in 0.14 s (0.24 s where dead labels force a copy).
        stored = self._all_vectors()
        if labels[-1] - labels[0] + 1 == len(labels):
            stored = stored[labels[0] : labels[-1] + 1]  # no dead labels among them: a view
        else:
            stored = stored[labels]
        check_same_rows(labels, stored, vectors.astype(self.vector_dtype, copy=False))
        self.live.add(labels)

    def _search_parameters(self, knobs: SearchKnobs) -> faiss.SearchParameters:
        return faiss.SearchParameters()

    def _search(
        self, queries: np.ndarray, k: int, params: faiss.SearchParameters
    ) -> tuple[np.ndarray, np.ndarray]:
        return self._index.search(queries, k, params=params)

    def reconstruct(self, labels: np.ndarray) -> np.ndarray:
        if not len(labels):
            return np.empty((0, self.dim), dtype=np.float32)
        # Fancy indexing copies (safe past the next write); float16 storage is widened.
        return self._all_vectors()[labels].astype(np.float32, copy=False)

    def exhaustive(self) -> tuple[np.ndarray, np.ndarray]:
        labels = self.live.labels()
        vectors = self._all_vectors()
        # Without dead labels the storage itself is the answer, uncopied: valid until the next
        # write, which the caller's lock excludes. Float16 storage stays float16 here:
        # `exact_search` widens it a block at a time.
        return labels, vectors if len(labels) == len(vectors) else vectors[labels]

    def _storage(self) -> faiss.IndexFlatCodes:
        return self._index

    def _all_vectors(self) -> np.ndarray:
        """Every stored vector, live or dead, in label order, as stored (a view of the codes)."""
        n = int(self._index.ntotal)
        size = n * self.dim * self.vector_dtype.itemsize
        codes = faiss.rev_swig_ptr(self._storage().codes.data(), size)
        return codes.view(self.vector_dtype).reshape(n, self.dim)

    @property
    def count(self) -> int:
        return self.live.count

    @property
    def tombstones(self) -> int:
        return int(self._index.ntotal) - self.live.count

    @property
    def memory_bytes(self) -> int:
        # Vectors, and a byte of live mask per label.
        return int(self._index.ntotal) * (self.dim * self.vector_dtype.itemsize + 1)


class FlatIndex(AppendOnlyIndex):
    """Exact search: inner product for cosine (unit vectors) and IP, squared L2 for L2."""

    kind = "flat"

    def __init__(self, dim: int, metric: Metric, config: IndexConfig | None = None) -> None:
        flat = faiss.IndexFlatL2(dim) if metric is Metric.L2 else faiss.IndexFlatIP(dim)
        super().__init__(dim, metric, config or IndexConfig(), flat)

    def _search(
        self, queries: np.ndarray, k: int, params: faiss.SearchParameters
    ) -> tuple[np.ndarray, np.ndarray]:
        with blas_scoring(len(queries)):
            return self._index.search(queries, k, params=params)
