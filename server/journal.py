"""Durability of a user-made space: a snapshot artifact plus write-ahead log segments.

A write is appended (and fsynced) to the log before it is applied and acknowledged. When the log
passes a size, the space is snapshotted while its writes go on:

1. begin, under the space's write gate (no write half done): the points are copied, and later
   writes go to a new log segment, `wal.next-<n>.log`;
2. stage, holding nothing: the copy is written, and fsynced, as a sealed artifact in a staging
   directory;
3. finish, under the gate again, briefly: the new segment is hard-linked into the staging
   directory as its `wal.log`, and the staging directory replaces the space's.

A crash before 3 leaves the old snapshot with every segment, which a start replays in order; a
crash after it leaves the new snapshot with the segment of the writes made since its copy; a
crash inside the swap is repaired at start (`recover_interrupted_swaps`).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from semspace import __version__
from semspace.artifact import (
    ArtifactWriter,
    Metric,
    Producer,
    SpaceManifest,
    fsync_directory,
    fsync_file,
    writing_artifact,
)
from semspace.index_config import IndexConfig
from semspace.server.points_copy import PointsCopy
from semspace.server.wal import WAL_FILE, WalRecord, WriteAheadLog

USER_KIND = "user"
_SEGMENT = re.compile(r"^wal\.next-(\d+)\.log$")


@dataclass(frozen=True)
class SnapshotCopy:
    """The points as they were when a snapshot began, and the log segment begun then."""

    points: PointsCopy
    segment: Path


def log_segments(directory: Path) -> list[Path]:
    """A space's log files in the order they were written: wal.log, then wal.next-1.log, ..."""
    later = sorted(
        (int(match[1]), path)
        for path in directory.iterdir()
        if (match := _SEGMENT.match(path.name)) is not None
    )
    return [directory / WAL_FILE, *(path for _, path in later)]


@dataclass
class SnapshotStats:
    """What operators see of a space's snapshots (metrics)."""

    written: int = 0
    failed: int = 0
    last_seconds: float = 0.0


class Journal:
    def __init__(self, directory: Path, *, fsync: bool, compact_bytes: int) -> None:
        self.directory = directory
        self._fsync = fsync
        self._compact_bytes = compact_bytes
        self._wal = WriteAheadLog(directory / WAL_FILE, fsync=fsync)
        self._segments = 0
        self._snapshotting = False
        self._began = 0.0
        self.stats = SnapshotStats()

    def append(self, record: WalRecord) -> None:
        self._wal.append(record)

    @property
    def log_bytes(self) -> int:
        """Bytes in the log segment written now (what the next snapshot will fold)."""
        return self._wal.size

    @property
    def snapshotting(self) -> bool:
        return self._snapshotting

    @property
    def wants_snapshot(self) -> bool:
        # Each try begins a new segment: after a failure (a full disk) the next waits for as
        # much log again, where a try per write would rewrite the whole space each time.
        return not self._snapshotting and self._wal.size > self._compact_bytes

    def begin_snapshot(self, points: PointsCopy) -> SnapshotCopy:
        """Under the write gate, with the points just copied: later writes go to a new segment."""
        self._segments += 1
        segment = self.directory / f"wal.next-{self._segments}.log"
        self._wal.close()
        self._wal = WriteAheadLog(segment, fsync=self._fsync)
        if self._fsync:
            fsync_directory(self.directory)
        self._snapshotting = True
        self._began = time.perf_counter()
        return SnapshotCopy(points, segment)

    def stage_snapshot(self, copy: SnapshotCopy) -> ArtifactWriter:
        """Holding nothing: the copy as a sealed artifact, not yet in place."""
        writer = ArtifactWriter(
            self.directory.parent, copy.points.manifest.name, durable=self._fsync
        )
        try:
            seal_snapshot(writer, copy.points)
        except BaseException:
            writer.abort()
            raise
        return writer

    def finish_snapshot(self, copy: SnapshotCopy, writer: ArtifactWriter) -> None:
        """Under the write gate: the staged snapshot, with the segment of the writes made since
        its copy as its log, replaces the space's directory."""
        try:
            os.link(copy.segment, writer.staging / WAL_FILE)
            linked = True
        except OSError:  # a file system without hard links: copy, writes wait meanwhile
            shutil.copyfile(copy.segment, writer.staging / WAL_FILE)
            linked = False
        if self._fsync:
            # The staged snapshot is on disk already (seal), and a linked segment too (each
            # append fsyncs): only a copied log and the new directory entry are not.
            if not linked:
                fsync_file(writer.staging / WAL_FILE)
            fsync_directory(writer.staging)
        writer.swap_in()
        if linked:
            # The open segment is the new directory's wal.log now: the same file, linked there.
            self._wal.path = self.directory / WAL_FILE
        else:
            self._wal.close()
            self._wal = WriteAheadLog(self.directory / WAL_FILE, fsync=self._fsync)
        self._snapshotting = False
        self.stats.written += 1
        self.stats.last_seconds = time.perf_counter() - self._began

    def abandon_snapshot(self, writer: ArtifactWriter | None, *, failed: bool) -> None:
        """Under the write gate: writes go on into the current segment, and a later write
        snapshots again once that segment passes the compaction size."""
        if writer is not None:
            writer.abort()
        self._snapshotting = False
        self.stats.failed += failed

    def close(self) -> None:
        self._wal.close()


def write_snapshot(artifacts_dir: Path, points: PointsCopy, *, durable: bool = True) -> Path:
    """A snapshot of these points, with no log, in place at once."""
    with writing_artifact(artifacts_dir, points.manifest.name, durable=durable) as writer:
        seal_snapshot(writer, points)
        return writer.swap_in()


def seal_snapshot(writer: ArtifactWriter, points: PointsCopy) -> None:
    manifest = points.manifest
    writer.seal(
        kind=USER_KIND,
        metric=manifest.metric,
        vectors=points.vectors,
        ids=points.ids(),
        payloads=points.payloads(),
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
