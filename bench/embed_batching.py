"""Image Embed throughput with the micro-batcher's running-batch cap as configured (one batch a
core) and lifted, in alternating rounds: single 28x28 images on the trained fashion-cnn space,
from 1 and from 16 threads, each with its own client, over loopback to `semspace serve`.

    python bench/embed_batching.py [--rounds 3] [--calls 1200]

Needs the default spaces (`semspace train defaults`). Writes bench/results/embed-batching.json.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from machine import machine, write_result
from search.semspace_system import serve

from semspace.client import Client

SPACE = "fashion-cnn"
CONCURRENCY = (1, 16)
LIFTED = {"SEMSPACE_BATCH_MAX_RUNNING": "1000"}


def calls_per_second(address: str, pixels: np.ndarray, threads: int, calls: int) -> dict[str, Any]:
    """`calls` single-image Embed calls spread over `threads` threads; calls/s and latency."""
    clients = [Client(address, timeout=60) for _ in range(threads)]
    for client in clients:
        client.embed(SPACE, pixels=pixels[:1])  # connected and warm before timing
    per_thread = calls // threads
    latencies: list[float] = []

    def work(worker: int) -> None:
        for call in range(per_thread):
            image = pixels[(worker * per_thread + call) % len(pixels)][None]
            began = time.perf_counter()
            clients[worker].embed(SPACE, pixels=image)
            latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - began
    for client in clients:
        client.close()
    ms = np.array(latencies) * 1e3
    return {
        "calls_per_second": round(threads * per_thread / seconds, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=1200, help="calls per measurement")
    parser.add_argument("--artifacts-dir", type=Path, default=Path("artifacts"))
    args = parser.parse_args()
    source = (args.artifacts_dir / SPACE).resolve()
    if not source.is_dir():
        raise SystemExit(f"no {source}: run `semspace train defaults` first")
    pixels = np.random.default_rng(0).integers(0, 256, size=(2000, 28, 28), dtype=np.uint8)
    runs = []
    with tempfile.TemporaryDirectory(prefix="embed-batching-") as scratch:
        artifacts = Path(scratch) / "artifacts"
        artifacts.mkdir()
        (artifacts / SPACE).symlink_to(source)  # served read-only: nothing is written into it
        for round_number in range(args.rounds):
            for setting, env in (("capped", {}), ("lifted", LIFTED)):
                with serve(artifacts, Path(scratch) / "server.log", env) as server:
                    for threads in CONCURRENCY:
                        measured = calls_per_second(server.address, pixels, threads, args.calls)
                        runs.append(
                            {"round": round_number, "cap": setting, "threads": threads, **measured}
                        )
                        print(runs[-1], flush=True)
    result = {
        "benchmark": "embed-batching",
        "space": SPACE,
        "machine": machine(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "lifted_env": LIFTED,
        "runs": runs,
    }
    write_result("embed-batching.json", result)


if __name__ == "__main__":
    main()
