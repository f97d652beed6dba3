"""The server's one configuration model: env vars `SEMSPACE_*`; CLI flags map onto it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024


def usable_cores() -> int:
    """Cores this process may run on (its affinity mask where the OS has one, as on Linux)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class ServerSettings(BaseSettings):
    """Everything `semspace serve` can be told; tests build it directly with port=0."""

    # Empty variables count as unset: docker-compose passes `${VAR:-}` through as "".
    model_config = SettingsConfigDict(env_prefix="SEMSPACE_", extra="forbid", env_ignore_empty=True)

    host: str = Field("127.0.0.1", description="Address to bind; loopback by default.")
    port: int = Field(50051, ge=0, le=65535, description="Port; 0 picks a free one.")
    artifacts_dir: Path = Field(Path("artifacts"), description="One directory per space.")
    data_dir: Path | None = Field(None, description="Datasets for trainers (SEMSPACE_DATA_DIR).")
    workers: int = Field(16, ge=1, le=1024, description="gRPC handler threads.")
    verify_artifacts: bool = Field(True, description="Check sha256 of every file at load.")
    index_cache: bool = Field(
        True, description="Keep built HNSW/IVF indexes on disk and read them at the next load."
    )
    index_cache_dir: Path | None = Field(
        None,
        description="Where the index cache lives; default <artifacts_dir>/.index-cache. Servers"
        " may share one set here: each keeps its entries in a directory of its own in it.",
    )
    fsync_writes: bool = Field(True, description="fsync the write-ahead log before acking.")
    wal_compact_bytes: int = Field(
        64 * MIB, ge=0, description="Snapshot a space past this log size."
    )
    max_message_bytes: int = Field(64 * MIB, ge=1024, description="Largest request or answer.")
    max_k: int = Field(1000, ge=1, description="Largest k in Search and Arithmetic.")
    max_queries: int = Field(1024, ge=1, description="Queries in one Search.")
    max_points: int = Field(100_000, ge=1, description="Ids or vectors in one Upsert/Get/Delete.")
    max_terms: int = Field(32, ge=1, description="Terms in one Arithmetic.")
    max_images: int = Field(256, ge=1, description="Images in one Sample/Interpolate/Decode.")
    max_dim: int = Field(65_536, ge=1, description="Largest dimension of a new space.")
    max_spaces: int = Field(
        1000, ge=1, description="Spaces a server holds; CreateSpace past it is refused."
    )
    max_payload_bytes: int = Field(65_536, ge=2, description="Largest JSON payload of one point.")
    filter_exact_scan_points: int = Field(
        8192, ge=0, description="Filtered searches matching at most this many points scan them."
    )
    batch_window_ms: float = Field(
        2.0,
        ge=0,
        le=100,
        description="Longest wait for concurrent Search/Embed calls to share one batch; 0: off.",
    )
    batch_max_calls: int = Field(64, ge=1, le=4096, description="Calls in one batch at most.")
    batch_max_running: int = Field(
        0,
        ge=0,
        le=1024,
        description="Batches of one space (and search knobs) running at once; while they all "
        "run, further calls join the next batch. Also the threads every HNSW search runs on "
        "(server/hnsw_threads.py). 0: one a usable core.",
    )
    faiss_threads: int = Field(
        1,
        ge=1,
        le=256,
        description="OpenMP threads per FAISS call; calls already run side by side in workers.",
    )
    faiss_write_threads: int = Field(
        0,
        ge=0,
        le=256,
        description="OpenMP threads for a write of 1,024+ points (HNSW inserts, IVF training); "
        "0: every usable core.",
    )
    torch_threads: int = Field(1, ge=1, le=256, description="Threads per model call.")
    max_image_bytes: int = Field(
        1 * MIB, ge=64, description="Largest encoded image (PNG/JPEG) in any request."
    )
    max_deadline_seconds: float = Field(
        300.0, gt=0, description="Longest deadline a call may ask for; longer is refused."
    )
    grace_seconds: float = Field(10.0, ge=0, description="Drain time for in-flight calls on stop.")
    drain_delay_seconds: float = Field(
        1.0, ge=0, description="NOT_SERVING for this long, still answering, before draining."
    )
    reload_interval_seconds: float = Field(
        0.0,
        ge=0,
        description="Look for spaces changed on disk this often and swap them in, as Reload "
        "does; 0: only on Reload.",
    )
    # Security (server/auth.py, server/tls.py): see the README's section on auth and TLS.
    auth: Literal["auto", "on", "off"] = Field(
        "auto", description="auto: on when keys are given or the host is not loopback."
    )
    api_keys_file: Path | None = Field(
        None, description="Lines of 'read-only|read-write <sha256 hex of the key>'."
    )
    api_keys: str = Field(
        "", description="Comma-separated 'read-only:KEY' / 'read-write:KEY' (or sha256:HEX)."
    )
    tls_cert_file: Path | None = Field(None, description="PEM certificate chain of the server.")
    tls_key_file: Path | None = Field(None, description="PEM private key of the server.")
    tls_client_ca_file: Path | None = Field(
        None, description="PEM CA of client certificates: set it to require mTLS."
    )
    # Observability (server/metrics.py, server/logging_setup.py).
    metrics_port: int | None = Field(
        None, ge=0, le=65535, description="Prometheus /metrics over HTTP; off when unset."
    )
    metrics_host: str = Field("127.0.0.1", description="Address of the metrics endpoint.")
    log_format: Literal["text", "json"] = Field("text", description="Log lines as text or JSON.")
    access_log: Literal["all", "writes", "errors", "off"] = Field(
        "writes",
        description="Calls with an access line: all; writes and failures (reads are counted in "
        "metrics instead); failures; none. Slow calls are logged unless off.",
    )
    slow_call_ms: float = Field(
        1000.0, gt=0, description="Calls at least this long get an access line (access_log)."
    )

    @model_validator(mode="after")
    def _tls_files_come_in_pairs(self) -> Self:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("tls_cert_file and tls_key_file: set both to serve TLS, or neither")
        if self.tls_client_ca_file is not None and self.tls_cert_file is None:
            raise ValueError("tls_client_ca_file: mTLS needs tls_cert_file and tls_key_file too")
        return self

    # The settings where 0 means "one a usable core", resolved.

    @property
    def batches_running(self) -> int:
        return self.batch_max_running or usable_cores()

    @property
    def write_threads(self) -> int:
        return self.faiss_write_threads or usable_cores()
