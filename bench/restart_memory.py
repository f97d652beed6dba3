"""Start-up time and RSS of a `semspace serve` process loading one space from its artifact: the
first start builds the index and stores it in the index cache, the restart reads it back. By
default the search benchmark's synthetic 1M x 128 set (clustered Gaussians, cosine), HNSW at its
defaults; an empty server is measured too, in the same run.

    python bench/restart_memory.py [--points 1000000] [--dim 128] [--index hnsw]

Writes bench/results/restart-memory[-<tag>].json: seconds until SERVING, VmRSS and VmHWM in MiB,
and RSS over the raw float32 vectors (the target is at most 1.5x, no model here).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from load_space import write_space
from machine import machine, write_result
from search.datasets import clustered_gaussians, prepare
from search.semspace_system import serve

from semspace.client import Client
from semspace.index_config import IndexKind

MIB = 2**20
# A 1M x 128 HNSW build took 260-430 s on this 2-core host in `make bench-search` runs.
START_TIMEOUT_S = 1800


def start(artifacts: Path, log_path: Path, raw_bytes: int) -> dict[str, Any]:
    began = time.perf_counter()
    with serve(artifacts, log_path, timeout=START_TIMEOUT_S) as server:
        seconds = time.perf_counter() - began
        memory = server.memory_kib()
        figures: dict[str, Any] = {
            "seconds_to_serving": round(seconds, 2),
            "rss_mib": round(memory["VmRSS"] / 1024, 1),
            "peak_rss_mib": round(memory["VmHWM"] / 1024, 1),
        }
        if raw_bytes:
            figures["rss_over_raw"] = round(memory["VmRSS"] * 1024 / raw_bytes, 3)
            with Client(server.address, timeout=120) as client:
                info = client.get_space("bench").index_info
            figures["read_from_cache"] = info.read_from_cache
            figures["recall_at_10"] = round(info.recall_at_10, 4)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--index", default="hnsw", choices=["hnsw", "ivf_flat", "ivf_pq"])
    parser.add_argument("--tag", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        log_path = root / "server.log"
        empty = start(root / "empty", log_path, 0)
        vectors = prepare(clustered_gaussians(args.points, args.dim, seed=0), "cosine")
        write_space(root / "artifacts", vectors, IndexKind(args.index), "bench/restart_memory.py")
        raw = int(vectors.nbytes)
        del vectors
        first = start(root / "artifacts", log_path, raw)
        restart = start(root / "artifacts", log_path, raw)
    result = {
        "command": f"python bench/restart_memory.py --points {args.points} --dim {args.dim} "
        f"--index {args.index}" + (f" --tag {args.tag}" if args.tag else ""),
        "points": args.points,
        "dim": args.dim,
        "index": args.index,
        "raw_vector_mib": round(raw / MIB, 1),
        "empty_server": empty,
        "first_start_builds": first,
        "restart_reads_cache": restart,
        "machine": machine(),
    }
    write_result(f"restart-memory{'-' + args.tag if args.tag else ''}.json", result)


if __name__ == "__main__":
    main()
