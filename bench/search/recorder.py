"""Everything one run measures, in the order it was measured, and the machine it ran on."""

from __future__ import annotations

import argparse
import importlib.metadata
import logging
import os
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import faiss

from search.datasets import Dataset
from search.indexes import IndexConfig
from search.measure import Budget, Measurement
from search.semspace_system import server_settings

log = logging.getLogger("search_bench")
REPO = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024


@dataclass
class Recorder:
    """Everything a run measures, in the order it was measured."""

    args: argparse.Namespace
    budget: Budget
    workdir: Path
    rows: list[dict[str, Any]] = field(default_factory=list)
    loads: list[dict[str, Any]] = field(default_factory=list)
    sweep: list[dict[str, Any]] = field(default_factory=list)
    cold_starts: list[dict[str, Any]] = field(default_factory=list)
    empty_server_rss_mib: float | None = None  # a server holding no space: the interpreter's share
    notes: list[str] = field(default_factory=list)

    def row(
        self,
        dataset: Dataset,
        config: IndexConfig,
        system: str,
        concurrency: int,
        measured: Measurement,
        faiss_qps: float | None,
        note: str = "",
        **extra: Any,
    ) -> None:
        entry = {
            "dataset": dataset.name,
            "index": config.label,
            "index_kind": config.kind,
            "system": system,
            "concurrency": concurrency,
            **measured.as_row(),
            "note": note,
            # Other people's jobs on a shared box move every figure: keep the load beside it.
            "load1": round(os.getloadavg()[0], 2),
            **extra,
        }
        entry["ratio_vs_faiss"] = round(measured.qps / faiss_qps, 3) if faiss_qps else None
        self.rows.append(entry)
        log.info(
            "%-12s %-34s %-28s c=%-2d %8.0f QPS  p50 %.2f ms  p99 %.2f ms  recall %.3f",
            dataset.name,
            config.label,
            system,
            concurrency,
            measured.qps,
            measured.p50_ms,
            measured.p99_ms,
            measured.recall_at_k,
        )

    def skipped(self, dataset: Dataset, config: IndexConfig, system: str, reason: str) -> None:
        self.rows.append(
            {
                "dataset": dataset.name,
                "index": config.label,
                "index_kind": config.kind,
                "system": system,
                "note": f"skipped: {reason}",
            }
        )
        log.warning("%s %s %s skipped: %s", dataset.name, config.label, system, reason)

    def load(
        self, dataset: Dataset, config: IndexConfig, system: str, **figures: Any
    ) -> dict[str, Any]:
        """Records a load row; returned, for figures taken later (RSS after the searches)."""
        row = {
            "dataset": dataset.name,
            "index": config.label,
            "system": system,
            "count": len(dataset.base),
            "raw_mib": dataset.raw_bytes / MIB,
            **figures,
        }
        self.loads.append(row)
        return row


def versions() -> dict[str, str]:
    names = ("faiss-cpu", "pymilvus", "milvus-lite", "numpy", "grpcio", "semspace")
    found = {"faiss": faiss.__version__, "python": platform.python_version()}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def semspace_path() -> Path:
    """Where the client and the server subprocesses import semspace from (PYTHONPATH wins)."""
    import semspace

    return Path(semspace.__file__).resolve().parent


def environment(
    load_before: tuple[float, ...], server_env: dict[str, str], commit_at_start: str
) -> dict[str, Any]:
    """The machine, its load before and after, and exact versions of everything measured. Each
    server imports the code of the moment it starts, so a HEAD that moved during the run is
    recorded as such."""
    commit = git_commit(semspace_path())
    if commit != commit_at_start:
        commit = f"{commit_at_start} at the start, {commit} at the end"
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "faiss_omp_threads": faiss.omp_get_max_threads(),
        "faiss_compile_options": faiss.get_compile_options(),
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "platform": platform.platform(),
        "versions": versions(),
        "semspace_commit": commit,
        "semspace_path": str(semspace_path()),
        "server_settings": server_settings(server_env),
        "server_extra_env": server_env,
    }


def git_commit(semspace_path: Path) -> str:
    """HEAD, marked dirty when the working tree differs outside bench/results (which this run
    writes itself): the code measured may be uncommitted. Unknown when semspace is imported
    from elsewhere than this checkout."""
    if not semspace_path.is_relative_to(REPO):
        return f"unknown: semspace imported from {semspace_path}, not {REPO}"

    def git(*argv: str) -> str:
        return subprocess.run(
            ["git", "-C", str(REPO), *argv], capture_output=True, text=True, check=False
        ).stdout.strip()

    changed = git("status", "--porcelain", "--", ".", ":!bench/results")
    return git("rev-parse", "--short", "HEAD") + ("-dirty" if changed else "")
