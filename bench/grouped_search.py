"""Cost of grouped search: single-query Search calls on a 200k x 128 space whose points carry
one of 1,000 or 20 brands (found by growing fetches) or of 5 (fewer than k: a filtered search
a brand), plain and grouped by brand (group_size 1 and 3), flat and HNSW, in a server in this
process.

    python bench/grouped_search.py [--points 200000] [--brands 1000 20 5] [--queries 50]

Writes bench/results/grouped-search.json: milliseconds a call per brand count, index and kind
of search.
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
    parser.add_argument("--brands", type=int, nargs="+", default=[1_000, 20, 5])
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
        for brands in args.brands:
            for index in ("flat", "hnsw"):
                space = f"{index}-{brands}"
                client.create_space(space, DIM, index=index)
                for start in range(0, args.points, BATCH):
                    rows = range(start, min(start + BATCH, args.points))
                    client.upsert(
                        space,
                        [str(i) for i in rows],
                        vectors[start : rows.stop],
                        [{"brand": f"b{i % brands}"} for i in rows],
                    )
                figures[f"{brands} brands, {index}"] = {
                    name: round(milliseconds_a_call(client, space, queries, options), 2)
                    for name, options in SEARCHES.items()
                }
                print(space, figures[f"{brands} brands, {index}"])
                client.drop_space(space)
    write_result(
        "grouped-search.json",
        {
            "command": f"python bench/grouped_search.py --points {args.points} "
            f"--brands {' '.join(map(str, args.brands))} --queries {args.queries}",
            "k": K,
            "milliseconds_a_call": figures,
            "machine": machine(),
        },
    )


if __name__ == "__main__":
    main()
