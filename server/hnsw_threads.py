"""HNSW searches on a fixed pool of threads, whatever the number of gRPC workers.

FAISS (1.15) gives every thread that searches an HNSW graph a visited table of one byte per
point, kept for the thread's life and never shrunk (thread-local `VisitedTable::get_reusable`).
A batch of searches is led by whichever gRPC worker asked first, so under 16 concurrent clients
every worker came to hold one: 15 MiB more at 1M points (README, memory). Searches here run on
a pool of one thread a usable core, which is as many as can search at once anyway, so the
tables are that many. A search handed to the pool pays two thread wake-ups (about 0.1-0.2 ms);
letting the first callers search in place saved that only until the server had seen
concurrent calls, after which gRPC hands calls to its idle workers in turn (measured: 1,748 of
2,000 sequential searches then came from other threads).

The tables belong to threads, not to a server, so there is one pool per process
(`HNSW_THREADS`); a server sets its size and OpenMP threads when it starts (`configure`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import faiss

from semspace.server.settings import usable_cores

Result = TypeVar("Result")

_on_pool = threading.local()


def _start_pool_thread(omp_threads: int) -> None:
    _on_pool.searching = True
    faiss.omp_set_num_threads(omp_threads)


class HnswThreads:
    def __init__(self, threads: int, omp_threads: int = 1) -> None:
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self.configure(threads, omp_threads)

    def configure(self, threads: int, omp_threads: int) -> None:
        """The pool's size and OpenMP threads per search, for searches from now on."""
        if threads < 1 or omp_threads < 1:
            raise ValueError(f"threads {threads} and omp_threads {omp_threads} must be >= 1")
        with self._lock:
            self.threads, self._omp_threads = threads, omp_threads
            retired, self._pool = self._pool, None
        if retired is not None:
            retired.shutdown(wait=False)  # searches handed to it still finish

    def run(self, search: Callable[[], Result]) -> Result:
        if getattr(_on_pool, "searching", False):
            return search()  # already on a pool thread: queueing behind itself could deadlock
        with self._lock:
            pool = self._pool = self._pool or self._new_pool()
        return pool.submit(search).result()

    def _new_pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(
            max_workers=self.threads,
            thread_name_prefix="semspace-hnsw",
            initializer=_start_pool_thread,
            initargs=(self._omp_threads,),
        )


HNSW_THREADS = HnswThreads(usable_cores())
