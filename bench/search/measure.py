"""Timing of single-query calls, sequential or from many threads, and recall against exact."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# One search: a query row in, the row numbers of its neighbours out (best first).
SearchFn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Budget:
    """How long one row runs: at least one pass over the queries unless `max_seconds` ends it
    first, and at least `min_seconds` so that fast systems give a stable QPS."""

    min_seconds: float
    max_seconds: float
    warmup: int


@dataclass(frozen=True)
class Measurement:
    calls: int
    seconds: float
    qps: float
    p50_ms: float
    p99_ms: float
    recall_at_k: float
    queries_scored: int

    def as_row(self) -> dict[str, float | int]:
        return {
            "qps": round(self.qps, 1),
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "recall_at_10": round(self.recall_at_k, 4),
            "calls": self.calls,
            "seconds": round(self.seconds, 2),
            "queries_scored": self.queries_scored,
        }


def recall_at_k(answers: dict[int, np.ndarray], truth: np.ndarray) -> float:
    """Mean over answered queries of |found ∩ exact top-k| / k."""
    if not answers:
        return float("nan")
    k = truth.shape[1]
    hits = [len(np.intersect1d(found[:k], truth[q])) for q, found in answers.items()]
    return float(np.mean(hits)) / k


def _worker(
    search: SearchFn,
    queries: np.ndarray,
    tickets: itertools.count,
    stop: Callable[[int], bool],
    latencies: list[float],
    answers: dict[int, np.ndarray],
) -> None:
    """Takes query numbers from the shared counter until told to stop; `next()` on an
    itertools.count is atomic under the GIL, so no two threads send the same ticket."""
    while not stop(ticket := next(tickets)):
        q = ticket % len(queries)
        began = time.perf_counter()
        found = search(queries[q])
        latencies.append(time.perf_counter() - began)
        answers.setdefault(q, found)


def run(
    search: SearchFn,
    queries: np.ndarray,
    truth: np.ndarray,
    budget: Budget,
    concurrency: int = 1,
) -> Measurement:
    """QPS, latency percentiles and recall of `search` over the queries, cycling through them;
    each thread records its own latencies (lists appended by one thread need no lock)."""
    for q in range(min(budget.warmup, len(queries))):
        search(queries[q])
    began = time.perf_counter()

    def stop(ticket: int) -> bool:
        elapsed = time.perf_counter() - began
        return elapsed > budget.max_seconds or (
            ticket >= len(queries) and elapsed > budget.min_seconds
        )

    tickets = itertools.count()
    per_thread: list[list[float]] = [[] for _ in range(concurrency)]
    answers: dict[int, np.ndarray] = {}
    if concurrency == 1:
        # In this very thread: OpenMP thread counts are per thread, and a sequential loop
        # must run under the count its caller set (a new thread starts from the default).
        _worker(search, queries, tickets, stop, per_thread[0], answers)
    else:
        threads = [
            threading.Thread(target=_worker, args=(search, queries, tickets, stop, lat, answers))
            for lat in per_thread
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    seconds = time.perf_counter() - began
    ms = np.concatenate([np.asarray(lat) for lat in per_thread]) * 1e3
    return Measurement(
        calls=len(ms),
        seconds=seconds,
        qps=len(ms) / seconds,
        p50_ms=float(np.percentile(ms, 50)),
        p99_ms=float(np.percentile(ms, 99)),
        recall_at_k=recall_at_k(answers, truth),
        queries_scored=len(answers),
    )
