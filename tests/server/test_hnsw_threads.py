"""HNSW searches run on a fixed pool of threads (FAISS keeps a visited table in each)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import faiss
import numpy as np
import pytest

from semspace.server.hnsw_threads import HnswThreads


def test_searches_from_many_threads_run_on_the_pool_only() -> None:
    threads = HnswThreads(threads=2)
    ran_on: set[int] = set()
    lock = threading.Lock()

    def search(value: int) -> int:
        with lock:
            ran_on.add(threading.get_ident())
        return value * value

    together = threading.Barrier(12)  # twelve distinct calling threads

    def caller(start: int) -> tuple[int, list[int]]:
        together.wait()
        return threading.get_ident(), [
            threads.run(lambda v=v: search(v)) for v in range(start, start + 200)
        ]

    starts = range(0, 12 * 1000, 1000)
    with ThreadPoolExecutor(12) as callers:
        answers = list(callers.map(caller, starts))
    # Every caller its own answers, in order, from threads none of them is.
    for start, (_, got) in zip(starts, answers, strict=True):
        assert got == [v * v for v in range(start, start + 200)]
    assert len(ran_on) <= 2, f"searches ran on {len(ran_on)} threads"
    assert not ran_on & {caller for caller, _ in answers}


def test_an_error_reaches_the_caller() -> None:
    threads = HnswThreads(threads=1)

    def fails() -> None:
        raise ValueError("bad query")

    with pytest.raises(ValueError, match="bad query"):
        threads.run(fails)
    assert threads.run(lambda: 7) == 7


def test_a_search_from_a_pool_thread_runs_in_place() -> None:
    threads = HnswThreads(threads=1)
    # With one pool thread, queueing the inner search behind the outer one would never end.
    outer, inner = threads.run(lambda: (threading.get_ident(), threads.run(threading.get_ident)))
    assert outer == inner != threading.get_ident()


def test_pool_threads_use_the_configured_openmp_threads() -> None:
    threads = HnswThreads(threads=1)
    threads.run(lambda: None)
    threads.configure(threads=1, omp_threads=3)  # a new pool, from the next search on
    assert threads.run(faiss.omp_get_max_threads) == 3


def test_a_search_of_a_real_graph_answers_the_same_on_the_pool() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(2000, 16)).astype(np.float32)
    graph = faiss.IndexHNSWFlat(16, 8)
    graph.add(vectors)
    pooled = HnswThreads(threads=2).run(lambda: graph.search(vectors[:50], 5))
    np.testing.assert_array_equal(pooled[1], graph.search(vectors[:50], 5)[1])
    np.testing.assert_array_equal(pooled[1][:, 0], np.arange(50))


@pytest.mark.parametrize(("threads", "omp_threads"), [(0, 1), (1, 0)])
def test_sizes_below_one_are_refused(threads: int, omp_threads: int) -> None:
    with pytest.raises(ValueError, match="must be >= 1"):
        HnswThreads(threads, omp_threads)
