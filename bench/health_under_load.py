"""Health-check latency while every worker is busy: 48 client threads run 64-query exact
searches on a 200k x 128 space for 20 s while a probe calls Health every 0.25 s, in a server
in this process with 16 workers.

    python bench/health_under_load.py [--points 200000] [--clients 48] [--seconds 20]

Writes bench/results/health-under-load.json: the probe's latencies (median, max) and how many
searches were done.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import grpc
import numpy as np
from grpc_health.v1 import health_pb2, health_pb2_grpc
from in_process import in_process_server
from machine import machine, write_result

from semspace.client import Client

DIM = 128
QUERIES = 64
PROBE_EVERY = 0.25
WORKERS = 16


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=48)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with (
        in_process_server(fsync_writes=False, workers=WORKERS) as server,
        Client(server.address, timeout=300) as client,
        grpc.insecure_channel(server.address) as channel,
    ):
        client.create_space("bench", DIM)
        for start in range(0, args.points, 50_000):
            ids = [str(i) for i in range(start, min(start + 50_000, args.points))]
            client.upsert("bench", ids, rng.normal(size=(len(ids), DIM)).astype(np.float32))
        queries = rng.normal(size=(QUERIES, DIM)).astype(np.float32)
        stop = threading.Event()
        done = [0] * args.clients

        def search(slot: int) -> None:
            while not stop.is_set():
                client.search_batch("bench", queries, 10, exact=True)
                done[slot] += 1

        threads = [threading.Thread(target=search, args=(i,)) for i in range(args.clients)]
        for thread in threads:
            thread.start()
        probe = health_pb2_grpc.HealthStub(channel)
        latencies = []
        ends = time.monotonic() + args.seconds
        while time.monotonic() < ends:
            began = time.perf_counter()
            probe.Check(health_pb2.HealthCheckRequest(), timeout=60)
            latencies.append((time.perf_counter() - began) * 1000)
            time.sleep(PROBE_EVERY)
        stop.set()
        for thread in threads:
            thread.join()
    result = {
        "command": f"python bench/health_under_load.py --points {args.points} "
        f"--clients {args.clients} --seconds {args.seconds:g}",
        "workers": WORKERS,
        "health_ms_median": round(statistics.median(latencies), 1),
        "health_ms_max": round(max(latencies), 1),
        "probes": len(latencies),
        "searches_done": sum(done),
        "machine": machine(),
    }
    print(result)
    write_result("health-under-load.json", result)


if __name__ == "__main__":
    main()
