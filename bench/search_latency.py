"""Latency of one Search over gRPC (Python client, loopback) on a 10k x 100 space, next to the same
query against FAISS in-process, measured in the same run.

    python bench/search_latency.py [--points 10000] [--dim 100] [--queries 2000]

Writes bench/results/search-latency.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import faiss
import numpy as np
from in_process import in_process_server

from semspace.client import Client

RESULTS = Path(__file__).resolve().parent / "results"


def percentiles(samples_s: list[float]) -> dict[str, float]:
    ms = np.array(samples_s) * 1e3
    return {f"p{p}_ms": round(float(np.percentile(ms, p)), 4) for p in (50, 90, 99)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--metric", default="cosine", choices=("cosine", "l2", "ip"))
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    points = rng.normal(size=(args.points, args.dim)).astype(np.float32)
    queries = rng.normal(size=(args.queries, args.dim)).astype(np.float32)
    ids = [str(i) for i in range(args.points)]

    with in_process_server() as server, Client(server.address) as client:
        client.create_space("bench", args.dim, args.metric)
        for start in range(0, args.points, 5_000):
            client.upsert("bench", ids[start : start + 5_000], points[start : start + 5_000])
        for query in queries[:200]:  # warm-up: connection, caches
            client.search("bench", query, args.k)
        grpc_samples = []
        for query in queries:
            began = time.perf_counter()
            client.search("bench", query, args.k)
            grpc_samples.append(time.perf_counter() - began)

    unit = points / np.linalg.norm(points, axis=1, keepdims=True)
    index = faiss.IndexFlatIP(args.dim)
    index.add(unit)
    unit_queries = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    faiss_samples = []
    for query in unit_queries:
        began = time.perf_counter()
        index.search(query[None, :], args.k)
        faiss_samples.append(time.perf_counter() - began)

    result = {
        "benchmark": "single Search latency, sequential, loopback",
        "command": "python bench/search_latency.py",
        "config": vars(args),
        "machine": {"cpus": faiss.omp_get_max_threads(), "python": platform.python_version()},
        "semspace_grpc": percentiles(grpc_samples),
        "faiss_in_process": percentiles(faiss_samples),
    }
    result["grpc_over_faiss_p50"] = round(
        result["semspace_grpc"]["p50_ms"] / result["faiss_in_process"]["p50_ms"], 2
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "search-latency.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
