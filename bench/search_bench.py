"""Search speed and recall side by side: FAISS in-process (the limit), semspace over gRPC from the
Python client (server in its own process) and embedded milvus-lite, on the same vectors, the same
held-out queries, k = 10, for flat, HNSW and (on the synthetic set) IVF-PQ; plus an HNSW efSearch
sweep, the server's memory against raw vector bytes, and load times.

    python bench/search_bench.py                      # full (1M synthetic): about 35 min on 2 cores
    python bench/search_bench.py --quick              # smoke run: about 3 min
    python bench/search_bench.py --synthetic-n 200000 --tag medium

Writes bench/results/search[-TAG].json, .md and search-hnsw-sweep[-TAG].png.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import shlex
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from search import report
from search.datasets import DATASETS, Dataset, load_dataset
from search.indexes import (
    IndexConfig,
    build_faiss,
    faiss_search_fn,
    faiss_threads,
    index_configs,
)
from search.measure import Budget, Measurement, SearchFn, run
from search.milvus_system import MilvusLite
from search.recorder import MIB, Recorder, environment, git_commit, semspace_path
from search.semspace_system import (
    ClientPool,
    RunningServer,
    load_space,
    serve,
    supports,
    unsupported_reason,
)
from search.semspace_system import search_fn as semspace_search_fn

from semspace.client import Client
from semspace.index_config import IndexConfig as SemspaceIndexConfig
from semspace.locations import default_artifacts_dir

log = logging.getLogger("search_bench")
REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
K = 10


def measure(
    recorder: Recorder, search: SearchFn, dataset: Dataset, concurrency: int = 1
) -> Measurement:
    """One row's figures: the dataset's held-out queries under the run's time budget."""
    return run(search, dataset.queries, dataset.truth, recorder.budget, concurrency)


def sweeping(recorder: Recorder, dataset: Dataset, config: IndexConfig) -> bool:
    return (
        config.kind == "hnsw"
        and config.vector_bits == 32
        and dataset.name == recorder.args.sweep_dataset
    )


def bench_faiss(recorder: Recorder, dataset: Dataset, config: IndexConfig) -> float:
    """In-process FAISS rows (sequential) and its sweep points; returns its QPS, the yardstick."""
    log.info(
        "%s: building %s in-process (%d vectors)", dataset.name, config.label, len(dataset.base)
    )
    index, seconds = build_faiss(config, dataset)
    recorder.load(dataset, config, "faiss in-process", load_seconds=round(seconds, 2))
    # Builds use every core; single-query searches one thread by default: an OpenMP fork/join
    # per call costs more than it saves, and on a busy 2-core box it costs 30x (flat, 59k:
    # p50 50 ms with 2 threads, 1.3 ms with 1, measured while another job ran).
    with faiss_threads(recorder.args.faiss_threads):
        measured = measure(recorder, faiss_search_fn(index, config, dataset, K), dataset)
        recorder.row(dataset, config, "faiss in-process", 1, measured, measured.qps)
        if sweeping(recorder, dataset, config):
            for ef in recorder.args.ef_sweep:
                search = faiss_search_fn(index, config, dataset, K, ef)
                point = measure(recorder, search, dataset)
                recorder.sweep.append(sweep_point(dataset, "faiss in-process", ef, point))
    del index
    gc.collect()
    return measured.qps


def sweep_point(dataset: Dataset, system: str, ef: int, measured: Measurement) -> dict[str, Any]:
    return {"dataset": dataset.name, "system": system, "ef_search": ef, **measured.as_row()}


def bench_semspace(
    recorder: Recorder, dataset: Dataset, config: IndexConfig, faiss_qps: float
) -> None:
    """A fresh server per index, so its RSS is this space's alone."""
    system = "semspace grpc"
    reason = unsupported_reason(config)
    if reason:
        recorder.skipped(dataset, config, system, reason)
        return
    artifacts = Path(tempfile.mkdtemp(prefix="semspace-", dir=recorder.workdir))
    log_path = recorder.workdir / "semspace-server.log"
    with serve(artifacts, log_path, recorder.args.server_env) as server:
        idle_kib = server.memory_kib()["VmRSS"]
        recorder.empty_server_rss_mib = idle_kib / 1024
        log.info(
            "%s: upserting %d vectors into semspace (%s)",
            dataset.name,
            len(dataset.base),
            config.label,
        )
        with Client(server.address, timeout=60) as client:
            loaded = load_space(client, dataset, config)
        memory = server.memory_kib()
        rss_mib = memory["VmRSS"] / 1024
        load_row = recorder.load(
            dataset,
            config,
            system,
            **loaded,
            start_seconds=round(server.start_seconds, 2),
            idle_rss_mib=idle_kib / 1024,
            rss_mib=rss_mib,
            peak_rss_mib=memory["VmHWM"] / 1024,
            rss_over_raw=rss_mib * MIB / dataset.raw_bytes,
            command=shlex.join(server.command),
            env=server.env,
        )
        semspace_rows(recorder, dataset, config, server, faiss_qps)
        # After every row, 16 concurrent clients included: what a server under load holds.
        searched_mib = server.memory_kib()["VmRSS"] / 1024
        load_row.update(
            rss_after_search_mib=searched_mib,
            rss_after_search_over_raw=searched_mib * MIB / dataset.raw_bytes,
        )


def semspace_rows(
    recorder: Recorder,
    dataset: Dataset,
    config: IndexConfig,
    server: RunningServer,
    faiss_qps: float,
) -> None:
    """Concurrency 1, then each higher concurrency with a shared channel and one per thread:
    16 threads on one channel is how most services share a client; one per thread is how a
    load generator keeps the client from being the bottleneck. Both are reported, with the CPU
    each side burned, which says whether the client or the server limited the row."""
    for concurrency in recorder.args.concurrency:
        modes = ["shared"] if concurrency == 1 else recorder.args.client_modes
        for mode in modes:
            pool = ClientPool(server.address, per_thread=mode == "per-thread", size=concurrency)
            client_cpu, server_cpu = cpu_seconds(), server.cpu_seconds()
            try:
                search = semspace_search_fn(pool, config, K)
                measured = measure(recorder, search, dataset, concurrency)
            finally:
                pool.close()
            cpu = {
                "client_cpu_pct": round(100 * (cpu_seconds() - client_cpu) / measured.seconds),
                "server_cpu_pct": round(
                    100 * (server.cpu_seconds() - server_cpu) / measured.seconds
                ),
            }
            label = "semspace grpc" if concurrency == 1 else f"semspace grpc ({mode} client)"
            note = f"CPU: client {cpu['client_cpu_pct']}%, server {cpu['server_cpu_pct']}%"
            recorder.row(dataset, config, label, concurrency, measured, faiss_qps, note, **cpu)
    if sweeping(recorder, dataset, config):
        semspace_sweep(recorder, dataset, config, server.address)


def semspace_sweep(recorder: Recorder, dataset: Dataset, config: IndexConfig, address: str) -> None:
    if not supports("search", "ef_search"):
        recorder.notes.append("semspace sweep skipped: Client.search takes no ef_search")
        return
    pool = ClientPool(address, per_thread=False, size=1)
    try:
        for ef in recorder.args.ef_sweep:
            point = measure(recorder, semspace_search_fn(pool, config, K, ef), dataset)
            recorder.sweep.append(sweep_point(dataset, "semspace grpc", ef, point))
    finally:
        pool.close()


def cpu_seconds() -> float:
    """CPU time of this process, all threads: the client side of a semspace row (the warm-up
    is inside the window, a few dozen calls)."""
    times = os.times()
    return times.user + times.system


def bench_milvus(
    recorder: Recorder,
    milvus: MilvusLite,
    dataset: Dataset,
    config: IndexConfig,
    faiss_qps: float,
    insert_seconds: float,
) -> None:
    log.info("%s: building milvus-lite's index for %s", dataset.name, config.label)
    try:
        milvus_type, seconds, refusals = milvus.build(config, dataset.metric)
    except (RuntimeError, TimeoutError) as error:
        # A peer that cannot build costs its own rows, not the run's other results.
        recorder.skipped(dataset, config, "milvus-lite", str(error)[:300])
        return
    note = f"milvus {milvus_type}"
    if refusals:
        note += f" (closest it builds; refused: {', '.join(r.split(':')[0] for r in refusals)})"
        recorder.notes.append(f"milvus-lite on {dataset.name}: {'; '.join(refusals)}")
    recorder.load(
        dataset,
        config,
        "milvus-lite",
        load_seconds=round(insert_seconds + seconds, 2),
        insert_seconds=round(insert_seconds, 2),
        index_seconds=round(seconds, 2),
        milvus_index=milvus_type,
        **milvus.layout(),
    )
    for concurrency in recorder.args.concurrency:
        measured = measure(recorder, milvus.search_fn(config, K), dataset, concurrency)
        recorder.row(dataset, config, "milvus-lite", concurrency, measured, faiss_qps, note)


def bench_cold_start(recorder: Recorder, name: str, artifact: Path) -> None:
    """`semspace serve` over a copy of the trained artifact: seconds from process start to
    SERVING (imports, sha256 checks, mapping the vectors, loading the model) and the RSS then,
    against raw vector bytes plus the files beside them (the model)."""
    artifacts = Path(tempfile.mkdtemp(prefix="artifact-", dir=recorder.workdir))
    shutil.copytree(artifact, artifacts / artifact.name)
    files = sum(f.stat().st_size for f in artifact.iterdir() if f.is_file())
    log_path = recorder.workdir / "semspace-server.log"
    with serve(artifacts, log_path, recorder.args.server_env) as server:
        memory = server.memory_kib()
        with Client(server.address, timeout=60) as client:
            info = client.get_space(artifact.name)
    rss_mib = memory["VmRSS"] / 1024
    recorder.cold_starts.append(
        {
            "dataset": name,
            "count": info.count,
            "dim": info.dim,
            "server_index": info.index,
            "start_seconds": round(server.start_seconds, 2),
            "rss_mib": rss_mib,
            "vector_mib": info.count * info.dim * 4 / MIB,
            "artifact_mib": files / MIB,
            "rss_over_artifact": rss_mib * MIB / files,
            "empty_server_rss_mib": recorder.empty_server_rss_mib,
            "command": shlex.join(server.command),
        }
    )


def bench_dataset(recorder: Recorder, dataset: Dataset) -> None:
    args = recorder.args
    hnsw = {
        "m": args.hnsw_m,
        "ef_construction": args.hnsw_ef_construction,
        "ef_search": args.hnsw_ef_search,
    }
    configs = [
        config
        for config in index_configs(
            dataset, hnsw, ivf_pq=dataset.name == "synthetic", hnsw_bits=args.hnsw_vector_bits
        )
        if config.kind in args.indexes
    ]
    milvus = None
    if not args.skip_milvus:
        milvus = MilvusLite(recorder.workdir / f"milvus-{dataset.name}.db")
        log.info("%s: inserting %d vectors into milvus-lite", dataset.name, len(dataset.base))
        insert_seconds = milvus.insert(dataset)
    for config in configs:
        faiss_qps = bench_faiss(recorder, dataset, config)
        bench_semspace(recorder, dataset, config, faiss_qps)
        if milvus is None:
            continue
        if config.vector_bits != 32:
            # Its float16 HNSW needs a FLOAT16_VECTOR collection of its own; not measured.
            recorder.skipped(dataset, config, "milvus-lite", "float16 vectors not benchmarked")
            continue
        bench_milvus(recorder, milvus, dataset, config, faiss_qps, insert_seconds)
    if milvus is not None:
        milvus.close()
    if dataset.artifact is not None:
        bench_cold_start(recorder, dataset.name, dataset.artifact)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS))
    p.add_argument("--artifacts-dir", type=Path, default=default_artifacts_dir())
    p.add_argument("--synthetic-n", type=int, default=1_000_000)
    p.add_argument("--max-points", type=int, default=None, help="cap artifact datasets (rows)")
    p.add_argument("--queries", type=int, default=1_000, help="held-out queries per dataset")
    p.add_argument(
        "--duration",
        type=float,
        default=3.0,
        help="seconds each row runs at least (cycling the queries)",
    )
    p.add_argument("--max-seconds", type=float, default=30.0, help="hard cap per row")
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    p.add_argument(
        "--client-modes",
        nargs="+",
        choices=("shared", "per-thread"),
        default=["shared", "per-thread"],
    )
    # semspace's own defaults, so that every HNSW row is the index a user gets by default.
    hnsw_default = SemspaceIndexConfig.model_fields
    p.add_argument("--hnsw-m", type=int, default=hnsw_default["m"].default)
    p.add_argument(
        "--hnsw-ef-construction", type=int, default=hnsw_default["ef_construction"].default
    )
    p.add_argument("--hnsw-ef-search", type=int, default=hnsw_default["ef_search"].default)
    p.add_argument(
        "--hnsw-vector-bits",
        type=int,
        nargs="+",
        choices=(32, 16),
        default=[hnsw_default["vector_bits"].default],
        help="an HNSW row set per storage width (16: float16 vectors, semspace and FAISS only)",
    )
    p.add_argument(
        "--indexes",
        nargs="+",
        choices=("flat", "hnsw", "ivf_pq"),
        default=["flat", "hnsw", "ivf_pq"],
        help="index kinds to run (ivf_pq only on the synthetic set)",
    )
    p.add_argument("--ef-sweep", type=int, nargs="+", default=[16, 32, 64, 128, 256])
    p.add_argument("--sweep-dataset", default="fashion-cnn")
    p.add_argument(
        "--faiss-threads", type=int, default=1, help="OpenMP threads of in-process FAISS searches"
    )
    p.add_argument(
        "--server-env",
        type=lambda pair: tuple(pair.split("=", 1)),
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment of the semspace server (repeatable), e.g. OMP_NUM_THREADS=1",
    )
    p.add_argument("--skip-milvus", action="store_true")
    p.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tag", default="", help="suffix for the output files")
    args = p.parse_args(argv)
    args.server_env = dict(args.server_env)
    if args.quick:
        args.synthetic_n, args.max_points = min(args.synthetic_n, 20_000), args.max_points or 10_000
        args.queries, args.duration, args.max_seconds = min(args.queries, 200), 0.5, 5.0
        args.tag = args.tag or "quick"
    return args


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("faiss.loader").setLevel(logging.WARNING)
    args = parse_args()
    # A TERM (timeout, kill) unwinds like Ctrl-C, so the server subprocesses are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    load_before, began = os.getloadavg(), time.perf_counter()
    commit_at_start = git_commit(semspace_path())
    budget = Budget(args.duration, args.max_seconds, args.warmup)
    with tempfile.TemporaryDirectory(prefix="search-bench-") as workdir:
        recorder = Recorder(args, budget, Path(workdir))
        for name in args.datasets:
            dataset = load_dataset(
                name,
                args.artifacts_dir,
                args.synthetic_n,
                args.queries,
                K,
                args.seed,
                args.max_points,
            )
            if dataset is None:
                recorder.notes.append(
                    f"dataset {name}: no artifact in {args.artifacts_dir}; "
                    "skipped (train it, then rerun)"
                )
                continue
            try:
                bench_dataset(recorder, dataset)
            finally:
                # Whatever was measured is kept, even when a later row fails.
                seconds = time.perf_counter() - began
                write_results(recorder, load_before, seconds, commit_at_start)
            del dataset
            gc.collect()


def write_results(
    recorder: Recorder, load_before: tuple[float, ...], seconds: float, commit_at_start: str
) -> None:
    args = recorder.args
    suffix = f"-{args.tag}" if args.tag else ""
    result = {
        "benchmark": "single-query search: FAISS in-process, semspace over gRPC, milvus-lite",
        "tag": args.tag or "full",
        "command": shlex.join([sys.executable, *sys.argv]),
        "config": {**vars(args), "artifacts_dir": str(args.artifacts_dir), "k": K},
        "environment": {
            **environment(load_before, args.server_env, commit_at_start),
            "seconds": round(seconds, 1),
        },
        "rows": recorder.rows,
        "loads": recorder.loads,
        "sweep": recorder.sweep,
        "cold_starts": recorder.cold_starts,
        "notes": recorder.notes,
    }
    RESULTS.mkdir(exist_ok=True)
    report.write_json(RESULTS / f"search{suffix}.json", result)
    report.write_markdown(RESULTS / f"search{suffix}.md", result)
    if report.plot_sweep(RESULTS / f"search-hnsw-sweep{suffix}.png", recorder.sweep):
        log.info("sweep plot: %s", RESULTS / f"search-hnsw-sweep{suffix}.png")
    log.info("wrote %s (%.0f s)", RESULTS / f"search{suffix}.md", seconds)


if __name__ == "__main__":
    main()
