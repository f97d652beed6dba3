"""Search and write latency while a space's snapshots are written: one client searches without
pause, another upserts one point at a time without pause, and a third upserts 3,000 points every
1.5 s, each of those passing the log size that triggers a snapshot of the whole space (200k x 128
by default, 100 MB).

    python bench/snapshot_stall.py [--points 200000] [--dim 128] [--seconds 12]

Writes bench/results/snapshot-stall.json. Compare the longest search and the longest one-point
upsert with the time a snapshot takes: a call that waits for a snapshot takes about as long.
"""

from __future__ import annotations

import argparse
import itertools
import threading
import time

import numpy as np
from in_process import in_process_server
from machine import machine, write_result

from semspace.client import Client

LOAD_BATCH = 20_000
WRITE_POINTS = 3_000
WRITE_EVERY_S = 1.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--seconds", type=float, default=12.0)
    args = parser.parse_args()
    rng = np.random.default_rng(0)

    # A 1 MiB log: every write of WRITE_POINTS vectors (1.5 MB at 128-d) snapshots.
    with in_process_server(fsync_writes=False, wal_compact_bytes=1 << 20) as server:
        with Client(server.address, timeout=120) as client:
            client.create_space("bench", args.dim, "l2")
            for start in range(0, args.points, LOAD_BATCH):
                ids = [str(i) for i in range(start, start + LOAD_BATCH)]
                client.upsert("bench", ids, rng.normal(size=(LOAD_BATCH, args.dim)))
        searches, small_writes, writes = [], [], []
        stop = time.monotonic() + args.seconds

        def search() -> None:
            query = rng.normal(size=args.dim)
            with Client(server.address, timeout=120) as client:
                while time.monotonic() < stop:
                    began = time.perf_counter()
                    client.search("bench", query, 10)
                    searches.append(time.perf_counter() - began)

        def write_one_at_a_time() -> None:
            with Client(server.address, timeout=120) as client:
                for number in itertools.count():
                    if time.monotonic() >= stop:
                        return
                    began = time.perf_counter()
                    client.upsert("bench", [f"one-{number}"], rng.normal(size=(1, args.dim)))
                    small_writes.append(time.perf_counter() - began)

        def write() -> None:
            with Client(server.address, timeout=120) as client:
                for batch in range(int((args.seconds - 2) / WRITE_EVERY_S)):
                    time.sleep(WRITE_EVERY_S)
                    ids = [f"w{batch}-{i}" for i in range(WRITE_POINTS)]
                    began = time.perf_counter()
                    client.upsert("bench", ids, rng.normal(size=(WRITE_POINTS, args.dim)))
                    writes.append(time.perf_counter() - began)

        threads = [threading.Thread(target=work) for work in (search, write_one_at_a_time, write)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    ms = np.array(searches) * 1e3
    small_ms = np.array(small_writes) * 1e3
    result = {
        "command": f"python bench/snapshot_stall.py --points {args.points} --dim {args.dim} "
        f"--seconds {args.seconds:g}",
        "searches": len(ms),
        "search_p50_ms": round(float(np.percentile(ms, 50)), 2),
        "search_p99_ms": round(float(np.percentile(ms, 99)), 2),
        "search_max_ms": round(float(ms.max()), 2),
        "one_point_upserts": len(small_ms),
        "one_point_upsert_p50_ms": round(float(np.percentile(small_ms, 50)), 2),
        "one_point_upsert_p99_ms": round(float(np.percentile(small_ms, 99)), 2),
        "one_point_upsert_max_ms": round(float(small_ms.max()), 2),
        "upserts_with_snapshot_ms": [round(s * 1e3) for s in writes],
        "machine": machine(),
    }
    write_result("snapshot-stall.json", result)


if __name__ == "__main__":
    main()
