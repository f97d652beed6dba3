"""Health checks answer while every worker is busy: load balancers and Kubernetes probes must
not take a loaded server for a dead one."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import grpc
import numpy as np
from grpc_health.v1 import health_pb2, health_pb2_grpc

from semspace.client import Client
from semspace.server.app import SemspaceServer

POINTS = 100_000
DIM = 64
QUERIES = 512  # an exact search of these over the space takes about half a second
CALLS = 6  # with 2 workers: 2 running, 4 queued


def test_a_health_check_answers_before_queued_searches_start(
    start_server: Callable[..., SemspaceServer],
) -> None:
    server = start_server(workers=2)
    rng = np.random.default_rng(0)
    with Client(server.address, timeout=120) as client:
        client.create_space("big", DIM, "l2")
        for start in range(0, POINTS, 50_000):
            ids = [str(i) for i in range(start, start + 50_000)]
            client.upsert("big", ids, rng.normal(size=(50_000, DIM)).astype(np.float32))
        queries = rng.normal(size=(QUERIES, DIM)).astype(np.float32)
        with ThreadPoolExecutor(CALLS) as pool, grpc.insecure_channel(server.address) as channel:
            searches = [
                pool.submit(client.search_batch, "big", queries, 10, exact=True)
                for _ in range(CALLS)
            ]
            time.sleep(0.2)  # the searches reach the server first and fill both workers
            answer = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=60
            )
            unfinished = sum(not search.done() for search in searches)
            for search in searches:
                assert len(search.result()) == QUERIES
    assert answer.status == health_pb2.HealthCheckResponse.SERVING
    # Queued behind the searches, the check would have waited for at least two to finish.
    assert unfinished == CALLS
