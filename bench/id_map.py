"""The server's id map (string id -> row) against a Python dict, in the same run: a million ids
appended in batches as upserts add them, then looked up (hits) and probed for ids not there
(misses: what every upsert of new points asks first), and the memory each holds.

    python bench/id_map.py [--points 1000000] [--batch 10000] [--rounds 3]

Writes bench/results/id-map.json: best seconds of the rounds per operation, bytes a point
(`nbytes` of the map; for the dict, the RSS it grew by, its keys and values included).
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from machine import machine, rss_mib, write_result

from semspace.server.id_map import IdMap
from semspace.server.memory import keep_numpy_off_huge_pages, release_free_memory, tune_malloc


def batches(ids: list[str], size: int) -> list[list[str]]:
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def best_of(rounds: int, work: Callable[[], Any]) -> float:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return min(times)


def id_map_figures(ids: list[list[str]], missing: list[list[str]], rounds: int) -> dict:
    def build() -> IdMap:
        table = IdMap()
        for batch in ids:
            table.append(batch)
        return table

    insert_s = best_of(rounds, build)
    release_free_memory()
    before = rss_mib()
    table = build()
    release_free_memory()
    grown = (rss_mib() - before) * 2**20
    points = len(table)
    return {
        "insert_s": round(insert_s, 3),
        "lookup_s": round(best_of(rounds, lambda: [table.rows_of(b) for b in ids]), 3),
        "miss_s": round(best_of(rounds, lambda: [table.rows_of(b) for b in missing]), 3),
        "bytes_a_point": round(table.nbytes / points, 1),
        "rss_bytes_a_point": round(grown / points, 1),
    }


def dict_figures(ids: list[list[str]], missing: list[list[str]], rounds: int) -> dict:
    def build(copy_ids: bool) -> dict[str, int]:
        table: dict[str, int] = {}
        for batch in ids:
            # Copies for the memory figure: a server's dict would hold the only reference to
            # each id string parsed from a request.
            keys = [i.encode().decode() for i in batch] if copy_ids else batch
            start = len(table)
            table.update(zip(keys, range(start, start + len(batch)), strict=True))
        return table

    def look_up(wanted: list[list[str]]) -> None:
        for batch in wanted:
            np.fromiter((table.get(i, -1) for i in batch), dtype=np.int64, count=len(batch))

    insert_s = best_of(rounds, lambda: build(copy_ids=False))
    gc.collect()
    before = rss_mib()
    table = build(copy_ids=True)
    grown = (rss_mib() - before) * 2**20
    return {
        "insert_s": round(insert_s, 3),
        "lookup_s": round(best_of(rounds, lambda: look_up(ids)), 3),
        "miss_s": round(best_of(rounds, lambda: look_up(missing)), 3),
        "rss_bytes_a_point": round(grown / len(table), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tune_malloc()
    keep_numpy_off_huge_pages()  # as the server runs
    ids = batches([f"point-{i}" for i in range(args.points)], args.batch)
    missing = batches([f"other-{i}" for i in range(args.points)], args.batch)
    ours = id_map_figures(ids, missing, args.rounds)
    peer = dict_figures(ids, missing, args.rounds)
    result = {
        "command": f"python bench/id_map.py --points {args.points} --batch {args.batch} "
        f"--rounds {args.rounds}",
        "id_map": ours,
        "python_dict": peer,
        "id_map_over_dict": {
            name: round(ours[name] / peer[name], 2)
            for name in ("insert_s", "lookup_s", "miss_s", "rss_bytes_a_point")
        },
        "machine": machine(),
    }
    write_result("id-map.json", result)


if __name__ == "__main__":
    main()
