"""What the client's read retries buy and cost: searches failed across a server restart, and
search QPS, with retries=4 (the default) against retries=0 in the same run.

    python bench/client_retries.py [--restarts 4] [--rounds 6]

A `semspace serve` process holds a 20k x 128 space. Restarts: one thread searches in a loop
while the server gets SIGTERM and a new process starts on the same port and loads the space
(restart seconds, calls answered and failed, slowest call). Cost: one pass of 2,000 searches
at concurrency 1 and 8 (search_bench's client pool and timing; every answer checked against
exact search), the two settings alternating which goes first each round.
Writes bench/results/client-retries.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from machine import machine, write_result
from search import measure
from search.datasets import exact_top_k
from search.semspace_system import SEMSPACE, ClientPool, free_port, wait_serving

from semspace.client import Client, SemspaceError

DIM = 128
POINTS = 20_000
SEARCHES = 2_000
SETTLE_SECONDS = 3.0
K = 10
# One pass over the queries, after a few unmeasured calls per setting.
BUDGET = measure.Budget(min_seconds=0, max_seconds=120, warmup=20)


class ServerProcess:
    """`semspace serve` over one artifacts directory and one port, restartable."""

    def __init__(self, artifacts: Path) -> None:
        self.address = f"127.0.0.1:{free_port()}"
        self._env = {**os.environ, "SEMSPACE_ARTIFACTS_DIR": str(artifacts)}
        self._process = self._start()

    def _start(self) -> subprocess.Popen:
        port = self.address.rsplit(":", 1)[1]
        command = [str(SEMSPACE), "serve", "--host", "127.0.0.1", "--port", port]
        process = subprocess.Popen(
            command, env=self._env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_serving(self.address, process, 60)
        return process

    def restart(self) -> float:
        """SIGTERM, then a new process serving; the seconds from the signal to SERVING."""
        began = time.perf_counter()
        self.stop()
        self._process = self._start()
        return time.perf_counter() - began

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=60)


@contextmanager
def searching(address: str, retries: int, query: np.ndarray) -> Iterator[dict]:
    """Searches in a loop on a thread while the block runs; what it saw."""
    seen = {"answered": 0, "failed": 0, "slowest_call_seconds": 0.0, "errors": []}
    stop = threading.Event()

    def loop() -> None:
        with Client(address, retries=retries, timeout=10) as client:
            while not stop.is_set():
                began = time.perf_counter()
                try:
                    client.search("bench", query, K)
                    seen["answered"] += 1
                except SemspaceError as error:
                    seen["failed"] += 1
                    seen["errors"].append(str(error)[:120])
                    time.sleep(0.01)
                took = time.perf_counter() - began
                seen["slowest_call_seconds"] = max(seen["slowest_call_seconds"], took)

    thread = threading.Thread(target=loop)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join()
    seen["slowest_call_seconds"] = round(seen["slowest_call_seconds"], 2)
    seen["errors"] = sorted(set(seen["errors"]))


def restarts(server: ServerProcess, count: int, query: np.ndarray) -> list[dict]:
    rows = []
    for retries in (0, 4):
        for _ in range(count):
            with searching(server.address, retries, query) as seen:
                time.sleep(1)
                restart_seconds = server.restart()
                time.sleep(SETTLE_SECONDS)
            rows.append({"retries": retries, "restart_seconds": round(restart_seconds, 2), **seen})
            print(rows[-1], flush=True)
    return rows


def qps(address: str, retries: int, threads: int, queries: np.ndarray, truth: np.ndarray) -> float:
    """Searches per second of `threads` clients sharing one pass over the queries; their
    answers must match exact search, retried or not."""
    pool = ClientPool(address, per_thread=True, size=threads, retries=retries)

    def search(query: np.ndarray) -> np.ndarray:
        found = pool.client().search("bench", query, K)
        return np.array([int(i) for i in found.ids], dtype=np.int64)

    try:
        measured = measure.run(search, queries, truth, BUDGET, concurrency=threads)
    finally:
        pool.close()
    if measured.recall_at_k < 1:
        raise RuntimeError(f"retries={retries}: recall@{K} {measured.recall_at_k}, not exact")
    return measured.qps


def costs(address: str, rounds: int, queries: np.ndarray, truth: np.ndarray) -> list[dict]:
    rows = []
    for threads in (1, 8):
        ratios = []
        for round_ in range(rounds):
            order = (0, 4) if round_ % 2 == 0 else (4, 0)
            measured = {
                retries: qps(address, retries, threads, queries, truth) for retries in order
            }
            ratios.append(measured[4] / measured[0])
        rows.append(
            {
                "concurrency": threads,
                "qps_ratio_retries_4_over_0": [round(r, 3) for r in ratios],
                "median_ratio": round(statistics.median(ratios), 3),
            }
        )
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--restarts", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((POINTS, DIM), dtype=np.float32)
    queries = vectors[:SEARCHES]
    truth = exact_top_k(vectors, queries, "cosine", K)
    with tempfile.TemporaryDirectory() as artifacts:
        server = ServerProcess(Path(artifacts))
        try:
            with Client(server.address, timeout=120) as client:
                client.create_space("bench", DIM, "cosine")
                for start in range(0, POINTS, 5_000):
                    ids = [str(i) for i in range(start, start + 5_000)]
                    client.upsert("bench", ids, vectors[start : start + 5_000])
            result = {
                "machine": machine(),
                "points": POINTS,
                "dim": DIM,
                "restarts": restarts(server, args.restarts, vectors[0]),
                "cost": costs(server.address, args.rounds, queries, truth),
            }
        finally:
            server.stop()
    write_result("client-retries.json", result)


if __name__ == "__main__":
    main()
