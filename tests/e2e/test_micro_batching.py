"""Micro-batched Search over gRPC: many concurrent single-query calls share index calls, and every
caller gets exactly its own answer."""

from __future__ import annotations

import threading

import numpy as np

from semspace.client import Client

DIM = 24
N = 2000


def test_concurrent_single_queries_get_their_own_answers(start_server) -> None:
    server = start_server(batch_window_ms=50)
    rng = np.random.default_rng(0)
    data = rng.normal(size=(N, DIM)).astype(np.float32)
    queries = rng.normal(size=(64, DIM)).astype(np.float32)
    unit = data / np.linalg.norm(data, axis=1, keepdims=True)
    expected = np.argsort(-(queries @ unit.T), axis=1, kind="stable")[:, :5]
    with Client(server.address) as client:
        client.create_space("s", DIM)
        client.upsert("s", [f"p{i}" for i in range(N)], data)
    answers: dict[int, list[str]] = {}
    by_id: dict[int, list[str]] = {}
    start = threading.Barrier(16)

    def call(worker: int) -> None:
        with Client(server.address) as client:
            start.wait()
            for q in range(worker, 64, 16):
                answers[q] = client.search("s", queries[q], k=5).ids
                # Search by id joins batches too, and leaves the query point out.
                by_id[q] = client.search("s", f"p{q}", k=3).ids

    threads = [threading.Thread(target=call, args=(w,)) for w in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == {q: [f"p{i}" for i in expected[q]] for q in range(64)}
    neighbours_of_points = np.argsort(-(unit[:64] @ unit.T), axis=1, kind="stable")[:, 1:4]
    assert by_id == {q: [f"p{i}" for i in neighbours_of_points[q]] for q in range(64)}
    batcher = server.servicer.search_batcher
    assert batcher.calls >= 128 and batcher.largest_batch > 1
