"""Cost of grouped search: single-query Search calls on a 200k x 128 space whose points carry
one of 1,000 brands, plain and grouped by brand (group_size 1 and 3), flat and HNSW, in a
server in this process.

    python bench/grouped_search.py [--points 200000] [--brands 1000] [--queries 50]

Writes bench/results/grouped-search.json: milliseconds a call per index and kind of search.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from in_process import in_process_server
from machine import machine, write_result

from semspace.client import Client

DIM = 128
K = 10
BATCH = 10_000
WARM_UP = 5
SEARCHES = {
    "plain": {},
    "grouped, group_size 1": {"group_by": "brand"},
    "grouped, group_size 3": {"group_by": "brand", "group_size": 3},
}


def milliseconds_a_call(client: Client, space: str, queries: np.ndarray, options: dict) -> float:
    for query in queries[:WARM_UP]:
        client.search(space, query, K, **options)
    began = time.perf_counter()
    for query in queries:
        client.search(space, query, K, **options)
    return (time.perf_counter() - began) / len(queries) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--brands", type=int, default=1_000)
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((args.points, DIM)).astype(np.float32)
    queries = rng.standard_normal((args.queries, DIM)).astype(np.float32)
    figures: dict[str, dict[str, float]] = {}
    with (
        in_process_server(fsync_writes=False) as server,
        Client(server.address, timeout=300) as client,
    ):
        for index in ("flat", "hnsw"):
            client.create_space(index, DIM, index=index)
            for start in range(0, args.points, BATCH):
                rows = range(start, min(start + BATCH, args.points))
                client.upsert(
                    index,
                    [str(i) for i in rows],
                    vectors[start : rows.stop],
                    [{"brand": f"b{i % args.brands}"} for i in rows],
                )
            figures[index] = {
                name: round(milliseconds_a_call(client, index, queries, options), 2)
                for name, options in SEARCHES.items()
            }
            print(index, figures[index])
    write_result(
        "grouped-search.json",
        {
            "command": f"python bench/grouped_search.py --points {args.points} "
            f"--brands {args.brands} --queries {args.queries}",
            "k": K,
            "milliseconds_a_call": figures,
            "machine": machine(),
        },
    )


if __name__ == "__main__":
    main()
