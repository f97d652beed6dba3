"""Durability of a user-made space: a snapshot artifact plus a write-ahead log, compacted.

A write is appended (and fsynced) to `wal.log` before it is applied and acknowledged. When the
log passes a size, the live points are written as a new snapshot artifact that replaces the
directory atomically, with an empty log: a crash leaves either the old snapshot and its log or the
new snapshot, never a mix.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from semspace import __version__
from semspace.artifact import Metric, Producer, SpaceManifest, writing_artifact
from semspace.index_config import IndexConfig
from semspace.server.wal import WAL_FILE, WalRecord, WriteAheadLog

USER_KIND = "user"


class Journal:
    def __init__(self, directory: Path, *, fsync: bool, compact_bytes: int) -> None:
        self.directory = directory
        self._fsync = fsync
        self._compact_bytes = compact_bytes
        self._wal = WriteAheadLog(directory / WAL_FILE, fsync=fsync)

    def append(self, record: WalRecord) -> None:
        self._wal.append(record)

    @property
    def wants_snapshot(self) -> bool:
        return self._wal.size > self._compact_bytes

    def snapshot(
        self, manifest: SpaceManifest, ids: list[str], vectors: np.ndarray, payloads: list[str]
    ) -> None:
        """Replaces the space directory by one holding exactly these points and an empty log."""
        self._wal.close()
        write_snapshot(self.directory.parent, manifest, ids, vectors, payloads)
        self._wal = WriteAheadLog(self.directory / WAL_FILE, fsync=self._fsync)

    def close(self) -> None:
        self._wal.close()


def write_snapshot(
    artifacts_dir: Path,
    manifest: SpaceManifest,
    ids: list[str],
    vectors: np.ndarray,
    payloads: list[str],
) -> Path:
    with writing_artifact(artifacts_dir, manifest.name) as writer:
        return writer.finish(
            kind=USER_KIND,
            metric=manifest.metric,
            vectors=vectors.reshape(-1, manifest.dim),
            ids=ids,
            payloads=payloads,
            producer=Producer(name="semspace.server", version=__version__),
            description=manifest.description,
            created=manifest.created,
            index=manifest.index,
            payload_fields=manifest.payload_fields,
        )


def empty_manifest(
    name: str, dim: int, metric: Metric, description: str, index: IndexConfig
) -> SpaceManifest:
    return SpaceManifest(
        name=name,
        kind=USER_KIND,
        dim=dim,
        metric=metric,
        count=0,
        created=datetime.now(UTC),
        description=description,
        producer=Producer(name="semspace.server", version=__version__),
        index=index,
    )
