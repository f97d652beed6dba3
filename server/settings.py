"""The server's one configuration model: env vars `SEMSPACE_*`; CLI flags map onto it."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024


class ServerSettings(BaseSettings):
    """Everything `semspace serve` can be told; tests build it directly with port=0."""

    model_config = SettingsConfigDict(env_prefix="SEMSPACE_", extra="forbid")

    host: str = Field("127.0.0.1", description="Address to bind; loopback by default.")
    port: int = Field(50051, ge=0, le=65535, description="Port; 0 picks a free one.")
    artifacts_dir: Path = Field(Path("artifacts"), description="One directory per space.")
    data_dir: Path | None = Field(None, description="Datasets for trainers (SEMSPACE_DATA_DIR).")
    workers: int = Field(16, ge=1, le=1024, description="gRPC handler threads.")
    verify_artifacts: bool = Field(True, description="Check sha256 of every file at load.")
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
    faiss_threads: int = Field(
        1,
        ge=1,
        le=256,
        description="OpenMP threads per FAISS call; calls already run side by side in workers.",
    )
    torch_threads: int = Field(1, ge=1, le=256, description="Threads per model call.")
    grace_seconds: float = Field(10.0, ge=0, description="Drain time for in-flight calls on stop.")
