"""Cost of a long exclusion list: one Search of 256 queries over a 100k x 16 HNSW space, all
excluding the same 50,000 ids, in a server in this process.

    python bench/exclusions.py [--points 100000] [--excluded 50000] [--queries 256]

Writes bench/results/exclusions.json: the call's time and how much this process's peak RSS
grew during it (server and client share the process).
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
from in_process import in_process_server
from machine import machine, write_result

from semspace.client import Client

DIM = 16


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--excluded", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=256)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    ids = [str(i) for i in range(args.points)]

    with (
        in_process_server(fsync_writes=False) as server,
        Client(server.address, timeout=300) as client,
    ):
        client.create_space("bench", DIM, "l2", index="hnsw")
        for start in range(0, args.points, 50_000):
            batch = ids[start : start + 50_000]
            client.upsert("bench", batch, rng.normal(size=(len(batch), DIM)))
        queries = rng.normal(size=(args.queries, DIM))
        excluded = ids[: args.excluded]
        before = peak_rss_mib()
        began = time.perf_counter()
        answers = client.search_batch("bench", queries, 10, exclude_ids=excluded)
        seconds = time.perf_counter() - began
        grown = peak_rss_mib() - before

    left_out = set(excluded)
    assert all(len(a.ids) == 10 and not left_out & set(a.ids) for a in answers)
    result = {
        "command": f"python bench/exclusions.py --points {args.points} "
        f"--excluded {args.excluded} --queries {args.queries}",
        "seconds": round(seconds, 2),
        "peak_rss_growth_mib": round(grown),
        "machine": machine(),
    }
    write_result("exclusions.json", result)


if __name__ == "__main__":
    main()
