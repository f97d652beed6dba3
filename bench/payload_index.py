"""Memory and speed of the payload index on shop-like payloads: a unique title and URL, a brand of
50, a price, two tags of 20 and a flag per point, added 10,000 at a time as upserts add them.

    python bench/payload_index.py [--points 1000000]

Each system runs in a fresh process, so its RSS growth is its own: semspace's PayloadIndex, and a
peer built the straightforward way (a dict from (field, value) to an `array` of rows, plus rows
and doubles per numeric field: the design semspace had until this bench). Writes
bench/results/payload-index.json: RSS growth, bytes a point, what the index reports as its
memory (GetSpace's figure), seconds to add, and milliseconds a mask (median of 5).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from array import array
from collections.abc import Callable

import numpy as np
from machine import machine, rss_mib, write_result

BATCH = 10_000
# Substrings for `contains`: of one title, and of every title.
RARE, COMMON = "number 123456 ", "catalogue"


def payload(i: int) -> str:
    return json.dumps(
        {
            "title": f"Product number {i} of the big catalogue",
            "url": f"https://shop.example.com/p/{i}",
            "brand": f"brand{i % 50}",
            "price": float(i % 1000) + 0.99,
            "tags": [f"tag{i % 20}", f"tag{(i * 7) % 20}"],
            "in_stock": i % 3 != 0,
        }
    )


class PostingLists:
    """The peer: rows per (field, value), in `array`s, and numbers per field for ranges."""

    def __init__(self) -> None:
        from semspace.server.filters import flatten, kind_of

        self._flatten, self._kind_of = flatten, kind_of
        self.by_value: dict[str, dict[tuple[str, object], array]] = {}
        self.numbers: dict[str, tuple[array, array]] = {}

    def add(self, rows: np.ndarray, payloads: list[str]) -> None:
        parsed = json.loads("[" + ",".join(payloads) + "]")
        for row, held in zip(rows.tolist(), parsed, strict=True):
            for path, value in self._flatten(held):
                key = (self._kind_of(value), value)
                self.by_value.setdefault(path, {}).setdefault(key, array("q")).append(row)
                if key[0] == "number":
                    numbers = self.numbers.setdefault(path, (array("q"), array("d")))
                    numbers[0].append(row)
                    numbers[1].append(float(value))

    @property
    def nbytes(self) -> int:
        rows = sum(len(a) for by_value in self.by_value.values() for a in by_value.values())
        return 8 * rows + 16 * sum(len(rows) for rows, _ in self.numbers.values())

    def masks(self, size: int) -> dict[str, Callable[[], np.ndarray]]:
        def equals(path: str, value: object) -> np.ndarray:
            selected = np.zeros(size, dtype=bool)
            rows = self.by_value[path].get(("text", value))
            if rows is not None:
                selected[np.frombuffer(rows, dtype=np.int64)] = True
            return selected

        def price_range() -> np.ndarray:
            held_rows, held_values = self.numbers["price"]
            rows = np.frombuffer(held_rows, dtype=np.int64)
            values = np.frombuffer(held_values, dtype=np.float64)
            selected = np.zeros(size, dtype=bool)
            selected[rows[(values >= 100) & (values < 200)]] = True
            return selected

        def contains(path: str, needle: str) -> np.ndarray:
            selected = np.zeros(size, dtype=bool)
            for (_, value), rows in self.by_value[path].items():
                if isinstance(value, str) and needle in value:
                    selected[np.frombuffer(rows, dtype=np.int64)] = True
            return selected

        return {
            "title contains, 1 match": lambda: contains("title", RARE),
            "title contains, every title": lambda: contains("title", COMMON),
            "brand equals": lambda: equals("brand", "brand7"),
            "title equals": lambda: equals("title", "Product number 12345 of the big catalogue"),
            "price range": price_range,
        }


def semspace_masks(index, size: int) -> dict[str, Callable[[], np.ndarray]]:
    from semspace.server.filters import Contains, Equals, Exists, Range

    def no_ids(ids):
        return np.full(len(ids), -1)

    title = "Product number 12345 of the big catalogue"
    conditions = {
        "title contains, 1 match": Contains("title", RARE, "w"),
        "title contains, every title": Contains("title", COMMON, "w"),
        "brand equals": Equals("brand", ("brand7",), "w"),
        "title equals": Equals("title", (title,), "w"),
        "price range": Range("price", None, 100.0, 200.0, None, "w"),
        "in_stock exists": Exists("in_stock", True, "w"),
    }
    return {
        name: (lambda c=condition: index.mask(c, size, no_ids))
        for name, condition in conditions.items()
    }


def run_system(system: str, points: int) -> dict:
    from semspace.server.payload_index import PayloadIndex

    texts = [payload(i) for i in range(points)]
    before = rss_mib()
    index = PayloadIndex("bench") if system == "semspace" else PostingLists()
    began = time.perf_counter()
    for start in range(0, points, BATCH):
        stop = min(start + BATCH, points)
        index.add(np.arange(start, stop), texts[start:stop])
    seconds = time.perf_counter() - began
    grown = rss_mib() - before
    masks = semspace_masks(index, points) if system == "semspace" else index.masks(points)
    mask_ms = {}
    for name, mask in masks.items():
        times = []
        for _ in range(5):
            began = time.perf_counter()
            mask()
            times.append((time.perf_counter() - began) * 1000)
        mask_ms[name] = round(statistics.median(times), 2)
    return {
        "rss_growth_mib": round(grown, 1),
        "bytes_a_point": round(grown * 2**20 / points),
        "reported_mib": round(index.nbytes / 2**20, 1),
        "add_seconds": round(seconds, 2),
        "mask_ms": mask_ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--system", choices=("semspace", "posting lists"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.system:
        print(json.dumps(run_system(args.system, args.points)))
        return
    systems = {}
    for system in ("semspace", "posting lists"):
        command = [sys.executable, __file__, "--points", str(args.points), "--system", system]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        systems[system] = json.loads(output)
    ours, peer = systems["semspace"], systems["posting lists"]
    payload_mib = sum(len(payload(i)) for i in range(args.points)) / 2**20
    write_result(
        "payload-index.json",
        {
            "command": f"python bench/payload_index.py --points {args.points}",
            "points": args.points,
            "payload_json_mib": round(payload_mib, 1),
            "systems": systems,
            "rss_growth_peer_over_semspace": round(
                peer["rss_growth_mib"] / ours["rss_growth_mib"], 2
            ),
            "machine": machine(),
        },
    )


if __name__ == "__main__":
    main()
