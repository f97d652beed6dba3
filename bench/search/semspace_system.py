"""semspace as users run it: `semspace serve` in its own process, reached over loopback gRPC
from the Python client."""

from __future__ import annotations

import dataclasses
import inspect
import itertools
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from search.datasets import Dataset
from search.indexes import IndexConfig
from search.measure import SearchFn
from semspace.client import Client, SemspaceError

# The `semspace` command of the environment running the benchmark.
SEMSPACE = Path(sys.executable).parent / "semspace"
SPACE = "bench"
UPSERT_BATCH = 10_000
# A 10k batch into a 1M HNSW takes seconds; the server refuses deadlines past 300 s.
UPSERT_TIMEOUT = 300
SEARCH_KNOBS = {"hnsw": "ef_search", "ivf_flat": "nprobe", "ivf_pq": "nprobe"}
# fsync off and compaction pushed out of reach: the benchmark measures search, not the
# write-ahead log's disk.
SERVER_ENV = {"SEMSPACE_FSYNC_WRITES": "false", "SEMSPACE_WAL_COMPACT_BYTES": str(1 << 40)}


@dataclass
class RunningServer:
    process: subprocess.Popen[bytes]
    address: str
    command: list[str]
    env: dict[str, str]
    start_seconds: float

    def memory_kib(self) -> dict[str, int]:
        """VmRSS (now) and VmHWM (peak) of the server process, from /proc."""
        lines = Path(f"/proc/{self.process.pid}/status").read_text().splitlines()
        fields = dict(line.split(":", 1) for line in lines if ":" in line)
        return {name: int(fields[name].split()[0]) for name in ("VmRSS", "VmHWM")}

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (utime, stime in /proc/pid/stat)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_serving(address: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    with Client(address, timeout=1.0) as client:
        while time.perf_counter() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"semspace serve exited with {process.returncode}")
            try:
                if client.health() == "SERVING":
                    return
            except SemspaceError:
                pass
            time.sleep(0.05)
    raise TimeoutError(f"semspace serve on {address} not SERVING after {timeout:.0f} s")


@contextmanager
def serve(
    artifacts_dir: Path,
    log_path: Path,
    extra_env: dict[str, str] | None = None,
    timeout: float = 60,
) -> Iterator[RunningServer]:
    """A fresh server over `artifacts_dir`, with SERVER_ENV and `extra_env` (e.g.
    OMP_NUM_THREADS=1 to try a thread setting), on a free loopback port, SERVING within
    `timeout` seconds."""
    port = free_port()
    command = [str(SEMSPACE), "serve", "--host", "127.0.0.1", "--port", str(port)]
    env_changes = {"SEMSPACE_ARTIFACTS_DIR": str(artifacts_dir), **SERVER_ENV, **(extra_env or {})}
    began = time.perf_counter()
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(
            command, env={**os.environ, **env_changes}, stdout=log_file, stderr=log_file
        )
    server = RunningServer(process, f"127.0.0.1:{port}", command, env_changes, 0.0)
    try:
        wait_serving(server.address, process, timeout)
        server.start_seconds = time.perf_counter() - began
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def server_settings(extra_env: dict[str, str]) -> dict[str, Any]:
    """What every `serve` here runs with: defaults, this environment's SEMSPACE_*, SERVER_ENV
    and `extra_env` (micro-batching window, worker threads and limits included)."""
    from semspace.server.settings import ServerSettings

    overrides = {
        key.removeprefix("SEMSPACE_").lower(): value
        for key, value in {**SERVER_ENV, **extra_env}.items()
        if key.startswith("SEMSPACE_")
    }
    return ServerSettings(**overrides).model_dump(mode="json", exclude={"artifacts_dir", "port"})


def supports(method: str, keyword: str) -> bool:
    """Whether the installed client takes a keyword (index types land with issue 6)."""
    return keyword in inspect.signature(getattr(Client, method)).parameters


def unsupported_reason(config: IndexConfig) -> str | None:
    if config.kind == "flat":
        return None
    if not supports("create_space", "index"):
        return "this semspace client has no index types yet (create_space takes no index=)"
    return None


def load_space(client: Client, dataset: Dataset, config: IndexConfig) -> dict[str, Any]:
    """Creates the space and upserts every vector in batches; the seconds it took, and what the
    server says about its index."""
    extra: dict[str, Any] = {}
    if supports("create_space", "index"):
        extra = {"index": config.kind, "index_params": dict(config.params)}
    began = time.perf_counter()
    client.create_space(SPACE, dataset.dim, dataset.metric, timeout=60, **extra)
    for start in range(0, len(dataset.base), UPSERT_BATCH):
        stop = min(start + UPSERT_BATCH, len(dataset.base))
        ids = [str(i) for i in range(start, stop)]
        client.upsert(SPACE, ids, dataset.base[start:stop], timeout=UPSERT_TIMEOUT)
    seconds = time.perf_counter() - began
    info = client.get_space(SPACE)
    index_info = getattr(info, "index_info", None)
    if dataclasses.is_dataclass(index_info) and not isinstance(index_info, type):
        index_info = dataclasses.asdict(index_info)
    return {
        "load_seconds": round(seconds, 2),
        "count": info.count,
        "server_index": info.index,
        "index_info": index_info if isinstance(index_info, dict | None) else repr(index_info),
    }


class ClientPool:
    """Clients handed to threads: one shared channel, or one channel per thread. Per-thread
    clients are connected before timing, so no thread pays a TCP handshake inside the loop;
    `size` + 1 of them because the warm-up thread takes one too. `retries`: the clients' read
    retries where given (bench/client_retries.py compares settings), else the client's default,
    so that older clients without the keyword still run."""

    def __init__(
        self, address: str, per_thread: bool, size: int, retries: int | None = None
    ) -> None:
        count = size + 1 if per_thread else 1
        options = {} if retries is None else {"retries": retries}
        self._clients = [Client(address, timeout=30, **options) for _ in range(count)]
        for client in self._clients:
            client.health()
        self._next = itertools.count()
        self._local = threading.local()

    def client(self) -> Client:
        if not hasattr(self._local, "client"):
            self._local.client = self._clients[next(self._next) % len(self._clients)]
        return self._local.client

    def close(self) -> None:
        for client in self._clients:
            client.close()


def search_fn(pool: ClientPool, config: IndexConfig, k: int, knob: int | None = None) -> SearchFn:
    """One Search RPC per query; the ids come back as the row numbers they were upserted as."""
    options: dict[str, int] = {}
    if knob is not None:
        options[SEARCH_KNOBS[config.kind]] = knob

    def search(query: np.ndarray) -> np.ndarray:
        found = pool.client().search(SPACE, query, k, **options)
        return np.fromiter((int(i) for i in found.ids), dtype=np.int64, count=len(found.ids))

    return search
