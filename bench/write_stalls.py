"""How long a one-point upsert waits while the server does a space's heavy work: GetSpace
measuring recall@10 (a brute-force scan of every point), and deleting 60 % of the points in
50k batches, which begins a rebuild without the dead rows. One client upserts a point every
10 ms throughout each phase; the longest wait is the write stall a user would see.

    python bench/write_stalls.py [--points 200000] [--dim 128] [--kinds flat hnsw ivf_flat]

Writes bench/results/write-stalls.json (or write-stalls-<label>.json with --label, to compare
an older commit's server run by the same script). HNSW uses m 8 and ef_construction 40 and the
IVF indexes nlist 256, so the loads stay short; the stalls come from the scans and rebuilds,
which those parameters barely change.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable

import numpy as np
from in_process import in_process_server
from machine import machine, write_result

from semspace.client import Client
from semspace.server.app import SemspaceServer

LOAD_BATCH = 10_000
DELETE_BATCH = 50_000
DELETED_SHARE = 0.6
UPSERT_EVERY_S = 0.01
PARAMS = {"flat": {}, "hnsw": {"m": 8, "ef_construction": 40}, "ivf_flat": {"nlist": 256}}


class OnePointWriter:
    """A thread that upserts one point every UPSERT_EVERY_S and records how long each took."""

    def __init__(self, client: Client, vector: np.ndarray, prefix: str) -> None:
        self.waits_ms: list[float] = []
        # New ids each phase: a replaced point would leave a dead row the rebuild waits out.
        self._client, self._vector, self._prefix = client, vector[None, :], prefix
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._write)

    def _write(self) -> None:
        number = 0
        while not self._stop.is_set():
            began = time.perf_counter()
            self._client.upsert("bench", [f"{self._prefix}-{number}"], self._vector)
            self.waits_ms.append((time.perf_counter() - began) * 1e3)
            number += 1
            time.sleep(UPSERT_EVERY_S)

    def __enter__(self) -> OnePointWriter:
        self._thread.start()
        time.sleep(0.3)  # writes already going when the heavy work begins
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def phase(
    client: Client, vector: np.ndarray, name: str, work: Callable[[], None]
) -> dict[str, float]:
    """The work's own time and the one-point upserts' waits while it runs."""
    with OnePointWriter(client, vector, name) as writer:
        began = time.perf_counter()
        work()
        took = time.perf_counter() - began
    waits = np.array(writer.waits_ms)
    return {
        "work_s": round(took, 2),
        "one_point_upserts": len(waits),
        "one_point_upsert_p50_ms": round(float(np.percentile(waits, 50)), 1),
        "one_point_upsert_max_ms": round(float(waits.max()), 1),
    }


def wait_for_rebuild(server: SemspaceServer) -> None:
    """Until the rebuild the deletes began has swapped in (read in process: GetSpace would
    measure recall again, the other phase's work)."""
    space = server.registry.get("bench")
    while space.rebuilding or space.index.tombstones:
        time.sleep(0.05)


def measure(kind: str, points: int, dim: int) -> dict[str, object]:
    vectors = np.random.default_rng(0).normal(size=(points, dim)).astype(np.float32)
    ids = [str(i) for i in range(points)]
    deleted = ids[: int(points * DELETED_SHARE)]
    with (
        in_process_server(fsync_writes=False) as server,
        Client(server.address, timeout=300) as client,
        Client(server.address) as writer,
    ):
        client.create_space("bench", dim, "l2", index=kind, index_params=PARAMS[kind])
        for start in range(0, points, LOAD_BATCH):
            stop = start + LOAD_BATCH
            client.upsert("bench", ids[start:stop], vectors[start:stop])

        def delete_and_rebuild() -> None:
            for start in range(0, len(deleted), DELETE_BATCH):
                client.delete("bench", deleted[start : start + DELETE_BATCH])
            wait_for_rebuild(server)

        row: dict[str, object] = {"index": kind, "params": PARAMS[kind]}
        for name, work in (
            ("get_space_measuring_recall", lambda: client.get_space("bench")),
            ("delete_60_percent_and_rebuild", delete_and_rebuild),
        ):
            row[name] = phase(writer, vectors[0], name, work)
        return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--kinds", nargs="+", default=list(PARAMS), choices=list(PARAMS))
    parser.add_argument("--label", default="", help="names the result file, e.g. a commit")
    args = parser.parse_args()
    rows = [measure(kind, args.points, args.dim) for kind in args.kinds]
    result = {
        "command": f"python bench/write_stalls.py --points {args.points} --dim {args.dim} "
        f"--kinds {' '.join(args.kinds)}" + (f" --label {args.label}" if args.label else ""),
        "rows": rows,
        "machine": machine(),
    }
    name = f"write-stalls-{args.label}.json" if args.label else "write-stalls.json"
    write_result(name, result)


if __name__ == "__main__":
    main()
