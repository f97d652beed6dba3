"""How long a server takes to load a space from its artifact: sha256 checks of its files, the
memory-mapped vectors read into the index a block at a time (or, for HNSW, the graph read from
the index cache that the first load filled), the ids into the id table, and the first recall
measurement. Against FAISS in-process in the same run: the same vectors from the same
`vectors.npy` into the same index, and that index read back from a file by `faiss.read_index`.

    python bench/load_space.py [--points 100000] [--dim 100] [--indexes flat hnsw] [--rounds 3]

Writes bench/results/load-space.json: the best and the median of the rounds, in seconds.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np
from machine import machine, write_result

from semspace.artifact import Metric, Producer, load_artifact, writing_artifact
from semspace.index_config import IndexConfig, IndexKind
from semspace.server.app import create_server
from semspace.server.journal import USER_KIND
from semspace.server.settings import ServerSettings


def write_space(
    root: Path,
    vectors: np.ndarray,
    kind: IndexKind,
    producer: str,
    point_id: Callable[[int], str] = "point-{}".format,
) -> None:
    """A cosine user space "bench" of these unit vectors, as a snapshot of one would be, the
    point of row i named `point_id(i)`."""
    with writing_artifact(root, "bench") as writer:
        writer.finish(
            kind=USER_KIND,
            metric=Metric.COSINE,
            vectors=vectors,
            ids=[point_id(i) for i in range(len(vectors))],
            producer=Producer(name=producer),
            index=IndexConfig(kind=kind),
        )


def timed(work: Callable[[], object]) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def server_load(root: Path, verify: bool) -> float:
    """Seconds for `load()` of a server over `root` (every space, then SERVING)."""
    settings = ServerSettings(port=0, artifacts_dir=root, verify_artifacts=verify)
    server = create_server(settings)
    try:
        return timed(server.load)
    finally:
        server.stop(0)


def faiss_build(root: Path, kind: IndexKind) -> faiss.Index:
    """vectors.npy read whole and added to the same FAISS index in-process."""
    vectors = np.load(root / "bench" / "vectors.npy")
    if kind is IndexKind.HNSW:
        config = IndexConfig(kind=kind)
        index = faiss.IndexHNSWFlat(vectors.shape[1], config.m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = config.ef_construction
    else:
        index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    return index


def summary(seconds: list[float]) -> dict[str, float]:
    return {"best_s": round(min(seconds), 3), "median_s": round(statistics.median(seconds), 3)}


def measure(kind: IndexKind, points: int, dim: int, rounds: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        vectors = np.random.default_rng(0).normal(size=(points, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        write_space(root, vectors, kind, "bench/load_space.py")
        # The first load builds the index and stores it (HNSW); the later ones read it. Each
        # round reads files the page cache holds: the first load pays the disk once.
        first_load = server_load(root, True)
        checks = [timed(lambda: load_artifact(root / "bench", verify=True)) for _ in range(rounds)]
        builds = []
        for _ in range(rounds):
            began = time.perf_counter()
            index = faiss_build(root, kind)
            builds.append(time.perf_counter() - began)
        stored = root / "faiss.index"
        faiss.write_index(index, str(stored))
        return {
            "index": kind.value,
            "points": points,
            "dim": dim,
            "vector_mib": round(points * dim * 4 / 2**20, 1),
            "semspace_server_first_load": round(first_load, 3),
            "semspace_server_load": summary([server_load(root, True) for _ in range(rounds)]),
            "semspace_server_load_without_sha256": summary(
                [server_load(root, False) for _ in range(rounds)]
            ),
            "artifact_open_with_sha256": summary(checks),
            "faiss_in_process_build": summary(builds),
            "faiss_in_process_read_index": summary(
                [timed(lambda: faiss.read_index(str(stored))) for _ in range(rounds)]
            ),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--indexes", nargs="+", default=["flat"], choices=["flat", "hnsw"])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rows = [measure(IndexKind(k), args.points, args.dim, args.rounds) for k in args.indexes]
    result = {
        "command": f"python bench/load_space.py --points {args.points} --dim {args.dim} "
        f"--indexes {' '.join(args.indexes)} --rounds {args.rounds}",
        "rows": rows,
        "machine": machine(),
    }
    write_result("load-space.json", result)


if __name__ == "__main__":
    main()
