"""One space in memory, read: searches (planned, then answered in micro-batches), filters,
skips, scroll, vector arithmetic and embedding, over the points `SpaceStore` holds and writes.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from semspace.artifact import Metric
from semspace.server.arithmetic import Method, cosmul_log_scores, top_k, weighted_sum
from semspace.server.errors import InvalidArgument
from semspace.server.filters import Condition, Scalar
from semspace.server.index import NO_KNOBS, SearchKnobs, exact_search, float32_blocks
from semspace.server.scroll_cursor import ScrollCursor
from semspace.server.space_store import SpaceStore
from semspace.server.space_types import NO_SKIP, Neighbors, Page, Pixels, Skip, Target, Text
from semspace.vectors import VectorError

# Extra neighbours fetched per query to make up for the points it skips. Fetching past 50,000
# skipped ids cost 256 HNSW queries 9 s and 1.6 GB (measured); past this bound the skips go to
# FAISS as a selector instead.
MAX_OVERFETCH = 256


@dataclass(frozen=True)
class SearchJob:
    """A search with its queries resolved. Its queries skip the points `exclude_ids` names, and
    each query given by id (`query_ids`, None for the others) skips its own point; `skips` holds
    their live rows as of row layout `layout` (a write before the job runs makes those stale)."""

    matrix: np.ndarray
    exclude_ids: tuple[str, ...]
    query_ids: list[str | None]
    skips: list[Skip]
    layout: int
    k: int
    with_vectors: bool
    with_payloads: bool
    knobs: SearchKnobs


class Space(SpaceStore):
    """A space: its points (`SpaceStore`), searched, scrolled and combined."""

    def get(self, ids: Sequence[str], field: str = "ids") -> tuple[np.ndarray, list[str]]:
        with self.lock.read():
            rows = self._rows_of(ids, field)
            return self.index.reconstruct(rows), self._payloads.take(rows)

    def search(
        self,
        queries: Sequence[Target],
        k: int,
        *,
        exclude_ids: Sequence[str] = (),
        include_query_ids: bool = False,
        with_vectors: bool = False,
        with_payloads: bool = False,
        knobs: SearchKnobs = NO_KNOBS,
        exact: bool = False,
        where: Condition | None = None,
    ) -> list[Neighbors]:
        """k nearest points per query; `where` restricts them to payloads matching a filter,
        `exact` scans instead of asking an approximate index."""
        job = self.plan_search(
            queries,
            k,
            exclude_ids=exclude_ids,
            include_query_ids=include_query_ids,
            with_vectors=with_vectors,
            with_payloads=with_payloads,
            knobs=knobs,
        )
        if where is None and not exact:
            return self.run_searches([job])[0]
        with self.lock.read():
            matching = self.live_matching(where)
            answers = []
            for query, skip in zip(job.matrix, self._current_skips(job), strict=True):
                allowed = matching.copy()
                skip.leave_out(allowed)
                scores, labels = self._search_within(query[None, :], allowed, k, knobs, exact)
                answers.append(
                    self._neighbors(scores, labels, NO_SKIP, k, with_vectors, with_payloads)
                )
            return answers

    def plan_search(
        self,
        queries: Sequence[Target],
        k: int,
        *,
        exclude_ids: Sequence[str] = (),
        include_query_ids: bool = False,
        with_vectors: bool = False,
        with_payloads: bool = False,
        knobs: SearchKnobs = NO_KNOBS,
    ) -> SearchJob:
        """A search resolved to vectors, to run later (with others: micro-batching). Each query
        given by id skips that point unless include_query_ids."""
        excluded = tuple(exclude_ids)
        query_ids = [
            query if isinstance(query, str) and not include_query_ids else None for query in queries
        ]
        with self.lock.read():
            matrix, query_rows = self._resolve(queries, "queries")
            skips = self._resolve_skips(excluded, query_ids, query_rows)
            layout = self._layout
        return SearchJob(
            matrix, excluded, query_ids, skips, layout, k, with_vectors, with_payloads, knobs
        )

    def run_searches(self, jobs: Sequence[SearchJob]) -> list[list[Neighbors]]:
        """Planned searches with the same knobs, answered by one index call."""
        with self.lock.read():
            return self._run_searches(jobs)

    def _run_searches(self, jobs: Sequence[SearchJob]) -> list[list[Neighbors]]:
        matrix = np.concatenate([job.matrix for job in jobs])
        skips = [self._current_skips(job) for job in jobs]
        # Fetch past the skipped points, up to a bound: a query skipping more may come back
        # short, and is then answered through a selector that leaves its skips out.
        fetch = max(
            job.k + min(max(map(len, query_skips)), MAX_OVERFETCH)
            for job, query_skips in zip(jobs, skips, strict=True)
        )
        scores, labels = self.index.search(matrix, fetch, jobs[0].knobs)
        answers, row = [], 0
        for job, query_skips in zip(jobs, skips, strict=True):
            answers.append(
                [
                    self._answer(matrix[row + i], scores[row + i], labels[row + i], skip, job)
                    for i, skip in enumerate(query_skips)
                ]
            )
            row += len(query_skips)
        return answers

    def _current_skips(self, job: SearchJob) -> list[Skip]:
        """What each query of `job` skips, looked up again if a write came since it was planned.
        The caller holds the read lock."""
        if job.layout == self._layout:
            return job.skips
        return self._resolve_skips(job.exclude_ids, job.query_ids, {})

    def _resolve_skips(
        self, exclude_ids: tuple[str, ...], query_ids: list[str | None], known: dict[str, int]
    ) -> list[Skip]:
        """Per query, the live rows it skips: one id lookup for all of them, none for the rows
        `known` already."""
        named = [
            i for i in dict.fromkeys((*exclude_ids, *filter(None, query_ids))) if i not in known
        ]
        row_of = dict(known)
        row_of.update(zip(named, self._ids.rows_of(named).tolist(), strict=True))
        excluded = NO_SKIP
        if exclude_ids:
            rows = np.array(sorted({row_of[i] for i in exclude_ids} - {-1}), dtype=np.int64)
            excluded = Skip(frozenset(rows.tolist()), rows)
        return [
            excluded
            if query_id is None
            else Skip(excluded.shared, excluded.shared_rows, row_of[query_id])
            for query_id in query_ids
        ]

    def _answer(
        self,
        query: np.ndarray,
        scores: np.ndarray,
        labels: np.ndarray,
        skip: Skip,
        job: SearchJob,
    ) -> Neighbors:
        """The index's answer to one query, or, when it found fewer than k of the points there
        are (an HNSW walk stranded among deleted rows, IVF probes holding under k points), the
        query searched again as a filtered search is: never fewer than k when k exist."""
        found = self._neighbors(scores, labels, skip, job.k, job.with_vectors, job.with_payloads)
        if len(found.ids) >= min(job.k, self.count - len(skip)):
            return found
        allowed = self.index.live.mask
        skip.leave_out(allowed)
        scores, labels = self._search_within(query[None, :], allowed, job.k, job.knobs, False)
        return self._neighbors(scores, labels, NO_SKIP, job.k, job.with_vectors, job.with_payloads)

    def _search_within(
        self, query: np.ndarray, allowed: np.ndarray, k: int, knobs: SearchKnobs, exact: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top k of one query among the allowed rows: always k when k of them exist."""
        eligible = int(allowed.sum())
        if not exact and eligible > self.exact_scan_points:
            scores, labels = self.index.search(query, k, knobs, allowed)
            if (labels[0] >= 0).sum() >= min(k, eligible):
                return scores[0], labels[0]
            # A very selective filter can strand a graph search; the exact scan cannot miss.
        rows = np.flatnonzero(allowed)
        if eligible == self.count:
            rows, vectors = self.index.exhaustive()
        else:
            vectors = self.index.reconstruct(rows)
        scores, labels = exact_search(query, vectors, rows, k, self.manifest.metric)
        return scores[0], labels[0]

    def scroll(
        self,
        cursor: ScrollCursor | None,
        limit: int,
        *,
        where: Condition | None = None,
        with_vectors: bool,
    ) -> Page:
        """Up to `limit` live points matching `where`, in row order from the cursor on (from the
        first row without one)."""
        with self.lock.read():
            start = 0 if cursor is None else self._row_history.row(cursor)
            rows = np.flatnonzero(self.live_matching(where)[start:])[: limit + 1] + start
            page, more = rows[:limit], len(rows) > limit
            return Page(
                ids=self._ids.ids_at(page),
                vectors=self.index.reconstruct(page)
                if with_vectors
                else np.empty((0, self.manifest.dim), dtype=np.float32),
                payloads=self._payloads.take(page),
                next_cursor=self._row_history.cursor(int(page[-1]) + 1) if more else None,
            )

    def values_up_to(self, field: str, most: int) -> list[Scalar] | None:
        """Every value the payload field has held if at most `most` (else None), read under
        the lock: writes grow the arrays it counts."""
        with self.lock.read():
            return self.payload_index.values_up_to(field, most)

    def count_matching(self, where: Condition | None) -> int:
        """Live points whose payloads match `where` (all of them when None)."""
        with self.lock.read():
            return int(np.count_nonzero(self.live_matching(where)))

    def arithmetic(
        self,
        weights: Sequence[float],
        targets: Sequence[Target],
        method: Method,
        k: int,
        *,
        include_inputs: bool = False,
        exclude_ids: Sequence[str] = (),
        with_vectors: bool = False,
        with_payloads: bool = False,
        where: Condition | None = None,
    ) -> tuple[Neighbors, np.ndarray]:
        """Nearest points to a weighted combination of terms, and the 3CosAdd query vector;
        `where` restricts them to payloads matching a filter."""
        w = np.asarray(weights, dtype=np.float32)
        if method is Method.COS_MUL and not (w > 0).any():
            raise InvalidArgument("terms: 3CosMul needs at least one term with a positive weight")
        with self.lock.read():
            terms, input_rows = self._resolve(targets, "terms")
            excluded = (*exclude_ids, *(() if include_inputs else input_rows))
            skips = self._resolve_skips(excluded, [None], input_rows)
            allowed = None
            if where is not None or method is Method.COS_MUL:
                allowed = self.live_matching(where)
                skips[0].leave_out(allowed)
            if method is Method.COS_MUL:
                try:
                    query = self._cosadd_query(w, terms)
                except VectorError:  # terms that cancel, or too long a sum: 3CosMul needs none
                    query = np.zeros(self.manifest.dim, dtype=np.float32)
                return self._cosmul(w, terms, allowed, k, with_vectors, with_payloads), query
            query = self._cosadd_query(w, terms)
            if allowed is not None:
                scores, labels = self._search_within(query[None, :], allowed, k, NO_KNOBS, False)
                return self._neighbors(
                    scores, labels, NO_SKIP, k, with_vectors, with_payloads
                ), query
            job = SearchJob(
                query[None, :],
                excluded,
                [None],
                skips,
                self._layout,
                k,
                with_vectors,
                with_payloads,
                NO_KNOBS,
            )
            return self._run_searches([job])[0][0], query

    def _cosadd_query(self, weights: np.ndarray, terms: np.ndarray) -> np.ndarray:
        """The weighted sum, checked and prepared as any query. In cosine spaces only its
        direction counts, so weights scaled to at most 1 keep it finite however large they are."""
        if self.manifest.metric is Metric.COSINE:
            weights = weights / np.abs(weights).max()
        return self._prepare(weighted_sum(weights, terms), "terms (weighted sum)")[0]

    def _cosmul(
        self,
        weights: np.ndarray,
        terms: np.ndarray,
        allowed: np.ndarray,
        k: int,
        with_vectors: bool,
        with_payloads: bool,
    ) -> Neighbors:
        """Exact 3CosMul over every live point, the best k of the `allowed` rows."""
        labels, points = self.index.exhaustive()
        # A block at a time: float16 storage is never widened whole.
        log_scores = np.concatenate(
            [cosmul_log_scores(block, weights, terms) for block in float32_blocks(points)]
        )
        best = top_k(log_scores, k, allowed[labels])
        scores = np.exp(log_scores[best]).astype(np.float32)
        return self._neighbors(scores, labels[best], NO_SKIP, k, with_vectors, with_payloads)

    def embed(self, texts: Sequence[str], images: np.ndarray) -> tuple[np.ndarray, list[bool]]:
        """Vectors of texts then images as the space stores them (unit length in cosine spaces),
        and per text whether a word of it was composed from subword pieces."""
        parts, composed = [], []
        if len(texts):
            vectors, composed = self.model.embed_texts(texts, "texts")
            parts.append(self._prepare(vectors, "texts"))
        if len(images):
            parts.append(self._prepare(self.model.embed_images(images, "images"), "images"))
        return np.concatenate(parts) if parts else np.empty((0, self.manifest.dim)), composed

    def resolve(self, targets: Sequence[Target], field: str | Sequence[str]) -> np.ndarray:
        """Vectors of ids, vectors and raw inputs alike, as the space stores them. `field`
        names the list ("items": items[0], items[1], ...) or each target ("start", "end")."""
        with self.lock.read():
            return self._resolve(targets, field)[0]

    def _resolve(
        self, targets: Sequence[Target], field: str | Sequence[str]
    ) -> tuple[np.ndarray, dict[str, int]]:
        """Vectors of id and vector targets alike, and the rows of the ids."""
        fields = [f"{field}[{i}]" for i in range(len(targets))] if isinstance(field, str) else field
        matrix = np.empty((len(targets), self.manifest.dim), dtype=np.float32)
        rows: dict[str, int] = {}
        for position, target in enumerate(targets):
            if isinstance(target, str):
                rows[target] = self._row_of(target, f"{fields[position]}.id")
                matrix[position] = self.index.reconstruct(np.array([rows[target]]))[0]
                continue
            if isinstance(target, Text):
                name = f"{fields[position]}.text"
                vector = self.model.embed_texts([target.value], name)[0]
            elif isinstance(target, Pixels):
                name = f"{fields[position]}.image"
                vector = self.model.embed_images(target.image[None], name)
            else:
                name, vector = f"{fields[position]}.vector", target
            matrix[position] = self._prepare(vector, name)[0]
        return matrix, rows

    def _neighbors(
        self,
        scores: np.ndarray,
        labels: np.ndarray,
        skip: Skip,
        k: int,
        with_vectors: bool,
        with_payloads: bool,
    ) -> Neighbors:
        kept = (i for i, label in enumerate(labels.tolist()) if label >= 0 and label not in skip)
        keep = list(itertools.islice(kept, k))
        rows = labels[keep].astype(np.int64)
        return Neighbors(
            ids=self._ids.ids_at(rows),
            scores=scores[keep].astype(np.float32),
            vectors=self.index.reconstruct(rows) if with_vectors else None,
            payloads=self._payloads.take(rows) if with_payloads else None,
        )
