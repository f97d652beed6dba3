"""Start-up time and RSS of a `semspace serve` process loading one space from its artifact: the
first start builds the index and stores it in the index cache, the restart reads it back. Then
three times `--churn` points among the stored rows are deleted and as many replaced: before a
stop (SIGTERM), which folds the log and stores the index with its dead labels, then the start
after it; before a kill (SIGKILL), then the start that replays the log onto the stored index,
folds it and stores the index, and the start after that; and with a snapshot written while
serving (past a small `wal_compact_bytes`) between the deletes and the replacements, which
refits the entry, then a kill and the start after it. By default the search
benchmark's synthetic 1M x 128 set (clustered Gaussians, cosine), HNSW at its defaults; an
empty server is measured too, in the same run.

    python bench/restart_memory.py [--points 1000000] [--dim 128] [--index hnsw] [--churn 1000]

Writes bench/results/restart-memory[-<tag>].json: seconds until SERVING, VmRSS and VmHWM in MiB,
and RSS over the raw float32 vectors (the target is at most 1.5x, no model here).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from load_space import write_space
from machine import machine, write_result
from search.datasets import clustered_gaussians, prepare
from search.semspace_system import serve

from semspace.client import Client
from semspace.index_config import IndexKind

MIB = 2**20


def point_id(row: int) -> str:
    """The search benchmark's ids (its Upserts name row i "i"), so that the two measure the
    same space. Up to e09202a this benchmark named them "point-i": 11.3 MiB of id text at 1M
    instead of 5.6, which was all it measured above the search benchmark (`/proc/<pid>/smaps`
    at a restart from the index cache: anonymous memory 686.4 MiB against 680.8)."""
    return str(row)


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
            figures["dead_rows"] = info.tombstones
    return figures


def churn(
    artifacts: Path,
    log_path: Path,
    vectors: np.ndarray,
    points: int,
    seed: int,
    kill: bool,
    snapshot: bool = False,
) -> float:
    """Deletes `points` points spread over the stored rows and replaces as many others (a
    replaced point's old row dies too), through a server over `artifacts`, which is then
    stopped (or killed); the seconds the stop took. With `snapshot`, the deletes are written
    to a snapshot, and the index cache's entry refitted to it, before the replacements."""
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(vectors), 2 * points, replace=False))
    deleted, replaced = rows[0::2], rows[1::2]
    # Each replaced point moves to the vector of another, jittered.
    moved = vectors[rng.permutation(replaced)] + 0.01 * rng.standard_normal(
        (points, vectors.shape[1]), dtype=np.float32
    )
    env = {"SEMSPACE_WAL_COMPACT_BYTES": "1024"} if snapshot else {}
    with (
        serve(artifacts, log_path, extra_env=env, timeout=START_TIMEOUT_S) as server,
        Client(server.address, timeout=120) as client,
    ):
        rows_before = entry_rows(artifacts)
        client.delete("bench", [point_id(i) for i in deleted])
        if snapshot:
            deadline = time.monotonic() + 600
            while entry_rows(artifacts) == rows_before:
                assert time.monotonic() < deadline, "the entry was never refitted"
                time.sleep(0.1)
        client.upsert("bench", [point_id(i) for i in replaced], moved)
        if kill:
            server.process.kill()
            server.process.wait()
        began = time.perf_counter()
    return time.perf_counter() - began


def entry_rows(artifacts: Path) -> int:
    """The rows of the space's index cache entry."""
    (description,) = (artifacts / ".index-cache" / "bench").glob("*.json")
    return int(json.loads(description.read_text())["rows"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--index", default="hnsw", choices=["hnsw", "ivf_flat", "ivf_pq"])
    parser.add_argument("--churn", type=int, default=1000)
    parser.add_argument("--tag", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        log_path = root / "server.log"
        empty = start(root / "empty", log_path, 0)
        vectors = prepare(clustered_gaussians(args.points, args.dim, seed=0), "cosine")
        write_space(
            root / "artifacts", vectors, IndexKind(args.index), "bench/restart_memory.py", point_id
        )
        raw = int(vectors.nbytes)
        first = start(root / "artifacts", log_path, raw)
        restart = start(root / "artifacts", log_path, raw)
        after_churn: dict[str, Any] = {}
        if args.churn:
            stop = churn(root / "artifacts", log_path, vectors, args.churn, seed=1, kill=False)
            after_churn["stop_folds_and_stores_seconds"] = round(stop, 2)
            after_churn["then"] = start(root / "artifacts", log_path, raw)
            churn(root / "artifacts", log_path, vectors, args.churn, seed=2, kill=True)
            after_churn["after_a_kill_folds_and_stores"] = start(root / "artifacts", log_path, raw)
            after_churn["then_again"] = start(root / "artifacts", log_path, raw)
            churn(
                root / "artifacts", log_path, vectors, args.churn, seed=3, kill=True, snapshot=True
            )
            del vectors
            after_churn["after_a_snapshot_and_a_kill"] = start(root / "artifacts", log_path, raw)
    result = {
        "command": f"python bench/restart_memory.py --points {args.points} --dim {args.dim} "
        f"--index {args.index} --churn {args.churn}" + (f" --tag {args.tag}" if args.tag else ""),
        "points": args.points,
        "dim": args.dim,
        "index": args.index,
        "raw_vector_mib": round(raw / MIB, 1),
        "empty_server": empty,
        "first_start_builds": first,
        "restart_reads_cache": restart,
        # Each time after `churn` deletes and `churn` replacements among the stored rows.
        "churn": args.churn,
        "after_churn": after_churn,
        "machine": machine(),
    }
    write_result(f"restart-memory{'-' + args.tag if args.tag else ''}.json", result)


if __name__ == "__main__":
    main()
