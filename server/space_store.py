"""The points of one space and how they change: loading, durable writes, snapshots and rebuilds.

Rows are append-only int64 labels: a replaced or deleted point leaves a dead row behind (its id,
payload and vector), which a rebuild compacts away once dead rows outnumber live ones. Ids and
payloads live in packed columns (`IdMap`, `TextColumn`), not Python objects, so a space costs
little more than its vectors. Reads share a lock, writes take it alone, so a search never sees
half a write. How a space is read (search, scroll, arithmetic) is `Space`, in space.py.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import NoReturn

import numpy as np

from semspace.artifact import (
    VECTORS,
    Artifact,
    ArtifactError,
    Metric,
    SpaceManifest,
    read_manifest,
)
from semspace.server.columns import TextColumn
from semspace.server.errors import FailedPrecondition, InvalidArgument, NotFound, Unavailable
from semspace.server.filters import Condition
from semspace.server.id_map import IdMap
from semspace.server.index import StoredIndexMismatch, VectorIndex, write_threads
from semspace.server.index_cache import RowsDigest
from semspace.server.indexes import build_index, measure_recall
from semspace.server.journal import USER_KIND, Journal, SnapshotCopy, write_snapshot
from semspace.server.memory import release_free_memory
from semspace.server.models import SpaceModel
from semspace.server.payload_index import PayloadIndex
from semspace.server.points_copy import IndexRows, PointsCopy
from semspace.server.rebuild import NewLayout, OldLayout
from semspace.server.rwlock import ReadWriteLock
from semspace.server.scroll_cursor import RowHistory
from semspace.server.wal import WalRecord
from semspace.vectors import (
    VectorError,
    as_matrix,
    check_finite,
    check_length,
    check_storable,
    unit_rows,
)

log = logging.getLogger(__name__)

# Rows loaded from an artifact at a time: 32 MiB at 128-d.
LOAD_BLOCK_ROWS = 65_536
# A rebuild's catching up with the writes made meanwhile ends, with writes held off, once a round
# has this few rows to add.
CATCH_UP_ROWS = 1024


@dataclass(frozen=True)
class PackedLabels:
    """Increasing labels as the bits of a mask."""

    bits: np.ndarray
    size: int

    @classmethod
    def of(cls, labels: np.ndarray) -> PackedLabels:
        size = int(labels[-1]) + 1 if len(labels) else 0
        mask = np.zeros(size, dtype=bool)
        mask[labels] = True
        return cls(np.packbits(mask), size)

    def labels(self) -> np.ndarray:
        return np.flatnonzero(np.unpackbits(self.bits, count=self.size)).astype(np.int64)


class SpaceStore:
    """A space's points over its index, its log and its threads; `Space` reads them."""

    def __init__(
        self,
        manifest: SpaceManifest,
        index: VectorIndex,
        *,
        journal: Journal | None = None,
        model: SpaceModel | None = None,
        exact_scan_points: int = 8192,
        write_threads: int = 1,
    ) -> None:
        self.manifest = manifest
        self.index = index
        self.journal = journal
        self.model = model or SpaceModel(manifest)
        self.lock = ReadWriteLock()
        # One write at a time, from its log record to where it is applied, and a snapshot's copy
        # of the points: that copy needs only the read lock, so searches go on meanwhile, and
        # writes go on while the copy is written to disk (server/journal.py).
        self._writes = threading.Lock()
        # Filtered searches matching at most this many points scan them exactly: cheap, and an
        # approximate index with a very selective filter may find fewer than k of them.
        self.exact_scan_points = exact_scan_points
        self.write_threads = write_threads
        self._ids = IdMap()
        self._payloads = TextColumn()
        self.payload_index = PayloadIndex(manifest.name)
        # The last recall@10 measured: (index built, point count, figure).
        self._recall: tuple[int, int, float] | None = None
        self._builds = 0  # one more each time a rebuild swaps a new index in
        self._recall_lock = threading.Lock()
        # One more at every write: rows a search resolved under an older layout must be looked
        # up again (a replaced point has a new row, a rebuild renumbers all, a deleted one has
        # none).
        self._layout = 0
        self._row_history = RowHistory(manifest.name)
        self._writes_ended: str | None = None
        self._snapshot_thread: threading.Thread | None = None
        self._rebuilding = False
        self._rebuild_thread: threading.Thread | None = None
        # Set by the registry: 1 at first load, one more at each reload that swaps it in.
        self.version = 1
        # Set by the registry: whether the index was read from the index cache at load.
        self.index_restored = False
        # The labels of the snapshot on disk, in its row order, as bits (1M labels: 122 KiB,
        # where an array of them took 7.6 MiB of RSS), under which numbering (rebuilds
        # renumber); None when unknown (an artifact that repeats an id).
        self._on_disk: tuple[int, PackedLabels] | None = None
        self._snapshots_written = 0
        # What the index cache holds of this space, as `_cache_state()` was then.
        self._cached: tuple[int, ...] | None = None
        # Set by the registry: makes the index cache's entry, if any, fit a snapshot just put in
        # place, given its rows' labels in the entry's numbering and its vectors file's sha256.
        self.refit_index_entry: Callable[[np.ndarray, str], None] | None = None

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def writable(self) -> bool:
        return self.journal is not None

    @property
    def count(self) -> int:
        return len(self._ids)

    @property
    def dead_rows(self) -> int:
        """Rows of deleted or replaced points, held until the next rebuild."""
        return self._ids.rows_total - self.count

    @property
    def memory_bytes(self) -> int:
        """Estimated: the index, ids, payloads, the payload index's rows and the row numberings
        kept for scroll cursors."""
        return int(
            self.index.memory_bytes
            + self._ids.nbytes
            + self._payloads.nbytes
            + self.payload_index.nbytes
            + self._row_history.nbytes
        )

    def load_rows(
        self,
        artifact: Artifact,
        held: np.ndarray | None = None,
        digest: RowsDigest | None = None,
    ) -> None:
        """Fills an empty space from an artifact's rows (trusted: written by us), a block at a
        time: a 1M x 128 space peaked at 1,247 MiB loaded whole from the memory map, since
        every page read stayed resident beside the index's copy (measured). An index restored
        from the index cache holds the first `len(held)` rows already, at the labels `held`
        (increasing: labels passed over are points deleted before it was stored), and only
        confirms them; the rest are added after its last label. `digest`, if given, is fed
        every row (and may check the held ones).

        A snapshot's vectors were prepared before they were logged: normalising them again
        moved a third of a cosine space's components by a float32 ulp at every restart
        (measured on 2,000 x 32), so they are only checked."""
        held = np.empty(0, dtype=np.int64) if held is None else held
        count = artifact.manifest.count
        payloads = artifact.payloads or [""] * count
        start = 0
        for block in artifact.vector_blocks(LOAD_BLOCK_ROWS):
            if digest is not None:
                digest.feed(block)
            if artifact.manifest.kind == USER_KIND:
                prepared = self._checked(block, "vectors")
            else:
                prepared = self._prepare(block, "vectors")
            stop = start + len(block)
            ids, block_payloads = artifact.ids[start:stop], payloads[start:stop]
            n_held = min(max(len(held) - start, 0), len(block))
            if n_held:
                labels = held[start : start + n_held]
                self._confirm(ids[:n_held], prepared[:n_held], block_payloads[:n_held], labels)
                if start + n_held == len(held):
                    # Dead labels after the last held one: new points are added past them.
                    self._ids.pad(self.index.live.size)
                    self._payloads.pad(self.index.live.size)
            if n_held < len(block):
                self._apply_upsert(ids[n_held:], prepared[n_held:], block_payloads[n_held:])
            start = stop
        self.payload_index.remember(artifact.manifest.payload_fields)

    def _confirm(
        self,
        ids: Sequence[str],
        vectors: np.ndarray,
        payloads: Sequence[str],
        labels: np.ndarray,
    ) -> None:
        """Rows the restored index holds already, at `labels`: ids and payloads only, the index
        checking."""
        if (self._ids.rows_of(ids) >= 0).any():
            # Where an artifact repeats an id, building replaces the earlier point.
            raise StoredIndexMismatch("an id repeats, so the index built has dead rows")
        self._append(ids, vectors, payloads, self.index.confirm, labels)

    def replay(self, record: WalRecord) -> None:
        if record.op == "upsert":
            assert record.vectors is not None
            self._apply_upsert(record.ids, record.vectors, record.payloads)
        else:
            self._apply_delete(record.ids)

    def snapshot_points(self) -> PointsCopy:
        """What a snapshot holds: the manifest, with every payload field seen, and the live
        points. The caller holds the read lock."""
        manifest = self.manifest.model_copy(update={"payload_fields": self.payload_index.schema()})
        rows = self.index.live.labels()
        vectors = IndexRows(self.index, rows, manifest.dim, self.lock)
        return PointsCopy(manifest, rows, vectors, self._ids.texts(), self._payloads.copy())

    def upsert(self, ids: list[str], vectors: np.ndarray, payloads: list[str]) -> tuple[int, int]:
        """(inserted, updated); durable in the log before it is visible."""
        journal = self._require_writable()
        prepared = self._prepare(vectors, "vectors")
        check_storable(prepared, self.index.vector_dtype, "vectors")
        if len(prepared) != len(ids):
            raise InvalidArgument(f"vectors: {len(prepared)} rows for {len(ids)} ids")
        with self._logged_write(journal):
            existing = self._ids.rows_of(ids)
            updated = int((existing >= 0).sum())
            journal.append(WalRecord("upsert", ids, payloads, prepared))
            self._replace(existing, ids, prepared, payloads)
        return len(ids) - updated, updated

    def set_payloads(self, ids: list[str], payloads: list[str]) -> None:
        """Replaces the points' payloads; their vectors stay as stored. Logged and applied as
        an upsert of the stored vectors, so replay and every index type take it as they take
        any replacement (the points move to new rows)."""
        journal = self._require_writable()
        with self._logged_write(journal):
            rows = self._rows_of(ids, "ids")
            vectors = self.index.reconstruct(rows)
            journal.append(WalRecord("upsert", ids, payloads, vectors))
            self._replace(rows, ids, vectors, payloads)

    def delete(self, ids: list[str]) -> tuple[int, list[str]]:
        """(deleted, missing ids); an id named twice is deleted once."""
        ids = list(dict.fromkeys(ids))

        def named() -> tuple[list[str], np.ndarray]:
            rows = self._ids.rows_of(ids)
            present = [i for i, row in zip(ids, rows, strict=True) if row >= 0]
            return present, rows[rows >= 0]

        gone = set(self._delete_found(named))
        return len(gone), [point_id for point_id in ids if point_id not in gone]

    def delete_matching(self, where: Condition) -> int:
        """Deletes every live point whose payload matches `where`; how many."""

        def matching() -> tuple[list[str], np.ndarray]:
            rows = np.flatnonzero(self.live_matching(where))
            return self._ids.ids_at(rows), rows

        return len(self._delete_found(matching))

    def live_matching(self, where: Condition | None) -> np.ndarray:
        """A fresh mask over rows, the caller's to change: the live points whose payloads match
        `where` (all when None). The caller holds the lock."""
        live = self.index.live.mask
        if where is None:
            return live.copy()
        return live & self.payload_index.mask(where, len(live), self._ids.rows_of)

    def _delete_found(self, find: Callable[[], tuple[list[str], np.ndarray]]) -> list[str]:
        """Deletes the points `find` names (ids, rows), looked up under the write lock; the ids.
        They are logged by id, so that a replay deletes exactly these, whatever a filter that
        found them would match by then."""
        journal = self._require_writable()
        with self._logged_write(journal):
            ids, rows = find()
            if ids:
                journal.append(WalRecord("delete", ids, [], None))
                self._remove_rows(rows)
        return ids

    @contextmanager
    def _logged_write(self, journal: Journal) -> Iterator[None]:
        """One write's passage: the write gate and the write lock around its log append and
        its change, then a rebuild or a snapshot if one is due (not after a write that failed)."""
        with self._writes:
            with self.lock.write():
                self._require_open()
                yield
            self._rebuild_if_due()
            self._snapshot_if_due(journal)

    def drop(self) -> None:
        """Ends the space's writes as the registry drops it. A write whose call fetched the space
        before is NOT_FOUND: its log is closed, and its directory may soon hold a new space."""
        self._end_writes(dropped=True)
        self._join_rebuild()

    def close(self) -> None:
        """Ends the space's writes as the server stops (after draining its calls), once a
        snapshot being written is in place."""
        snapshot = self._snapshot_thread
        if snapshot is not None:
            snapshot.join()
        self._end_writes(dropped=False)
        self._join_rebuild()

    def _end_writes(self, *, dropped: bool) -> None:
        # After the write in progress; a snapshot being written is abandoned (its copy is in the
        # log segments it leaves behind).
        with self._writes, self.lock.write():
            self._writes_ended = "dropped" if dropped else "stopped"
            if self.journal is not None:
                self.journal.close()

    def _require_open(self) -> None:
        if self._writes_ended == "dropped":
            raise NotFound(f"space: space '{self.name}' was dropped")
        if self._writes_ended:
            raise Unavailable(f"space: the server is stopping; write to '{self.name}' again")

    @property
    def rebuilding(self) -> bool:
        """Whether a rebuild without the dead rows is under way (metrics)."""
        return self._rebuilding

    @property
    def rebuild_due(self) -> bool:
        return self.dead_rows > max(1024, self.count)

    def _rebuild_if_due(self) -> None:
        """Under the write gate: once dead rows outnumber live ones (and 1,024), a fresh index
        of the live points, renumbered (server/rebuild.py). Built by a thread while reads and
        writes go on: 1M points in HNSW take minutes, and a 200k x 128 IVF-Flat space rebuilt
        here, under the write gate, held a one-point write for 1.8 s (bench/write_stalls.py)."""
        if self._rebuilding or not self.rebuild_due:
            return
        self._rebuilding = True
        self._rebuild_thread = threading.Thread(
            target=self._rebuild_meanwhile, name=f"rebuild-{self.name}"
        )
        self._rebuild_thread.start()

    def _rebuild_meanwhile(self) -> None:
        """Rebuilds until none is due: writes during one may have made the next due."""
        try:
            while self._rebuild_once():
                pass
        except Exception:
            log.exception("space %s: rebuild failed; its dead rows stay for now", self.name)
            with self._writes:
                self._rebuilding = False

    def _rebuild_once(self) -> bool:
        """One rebuild; whether another is due. Ends with `_rebuilding` reset otherwise."""
        old, layout = self._old_layout(), self._new_layout()
        # Writes go on: each round adds what came meanwhile, until little is left.
        while layout.catch_up(old, self.write_threads, self._closing) > CATCH_UP_ROWS:
            pass
        with self._writes:
            if not self._writes_ended:
                layout.catch_up(old, self.write_threads)
                self._swap_in(layout)
                if self.rebuild_due:
                    return True
            self._rebuilding = False
            return False

    def _join_rebuild(self) -> None:
        """Waits for a rebuild to notice the end of writes: one block of work at most."""
        rebuild = self._rebuild_thread
        if rebuild is not None:
            rebuild.join()

    def _closing(self) -> bool:
        return self._writes_ended is not None

    def _old_layout(self) -> OldLayout:
        return OldLayout(self.index, self._ids, self._payloads, self.lock)

    def _new_layout(self) -> NewLayout:
        index = build_index(self.index.config, self.manifest.dim, self.manifest.metric)
        return NewLayout(index, PayloadIndex(self.name))

    def _swap_in(self, layout: NewLayout) -> None:
        """Under the write gate, with `layout` mirroring the space: makes it the space's."""
        layout.payload_index.remember(self.payload_index.schema())
        with self.lock.write():
            self._row_history.rebuilding(layout.carried(self._ids.rows_total))
            self.index, self._ids = layout.index, layout.ids
            self._payloads, self.payload_index = layout.payloads, layout.payload_index
            self._layout += 1
            self._builds += 1
            self.index_restored = False

    def write_snapshot_now(self, artifacts_dir: Path, *, durable: bool) -> Path:
        """A snapshot of the points as they are, put in place at once, for a caller no write
        can overlap (creating the space, folding its log at load, stopping); its directory."""
        with self.lock.read():
            points = self.snapshot_points()
        directory = write_snapshot(artifacts_dir, points, durable=durable)
        self.note_snapshot_on_disk(points.rows)
        self._snapshots_written += 1
        return directory

    def note_snapshot_on_disk(self, labels: np.ndarray | None) -> None:
        """The registry's word on the artifact or snapshot a load read: its rows are these
        labels (None: not the index's live rows)."""
        self._on_disk = None if labels is None else (self._builds, PackedLabels.of(labels))

    def snapshot_on_disk(self) -> np.ndarray | None:
        """The labels of the snapshot on disk, in its row order, if known in this numbering."""
        on_disk = self._on_disk
        if on_disk is None or on_disk[0] != self._builds:
            return None
        return on_disk[1].labels()

    def note_index_cached(self) -> None:
        """The index cache now holds this index, for the snapshot on disk."""
        self._cached = self._cache_state()

    @property
    def index_cached(self) -> bool:
        return self._cached == self._cache_state()

    @property
    def _cached_builds(self) -> int | None:
        return None if self._cached is None else self._cached[0]

    def _cache_state(self) -> tuple[int, ...]:
        # Every write adds a label or kills one; a rebuild or a snapshot changes what fits.
        live = self.index.live
        return (self._builds, live.size, live.count, self._snapshots_written)

    def _snapshot_if_due(self, journal: Journal) -> None:
        """Under the write gate, so that the copy holds exactly the logged writes; a thread
        writes it out, so that neither this write's answer nor the next writes wait for it."""
        if self._writes_ended or not journal.wants_snapshot:
            return
        with self.lock.read():
            points = self.snapshot_points()
            builds = self._builds
        copy = journal.begin_snapshot(points)
        self._snapshot_thread = threading.Thread(
            target=self._write_snapshot,
            args=(journal, copy, builds),
            name=f"snapshot-{self.name}",
        )
        self._snapshot_thread.start()

    def _write_snapshot(self, journal: Journal, copy: SnapshotCopy, builds: int) -> None:
        """Writes the copy (of the index built `builds`-th) out, then puts it in place under
        the write gate. Every write is safe in the log either way: a failure here is logged,
        and a later write snapshots again."""
        staged, refit = None, None
        try:
            staged = journal.stage_snapshot(copy)
            with self._writes:
                if self._writes_ended:
                    journal.abandon_snapshot(staged, failed=False)
                else:
                    journal.finish_snapshot(copy, staged)
                    self._on_disk = (builds, PackedLabels.of(copy.points.rows))
                    self._snapshots_written += 1
                    # The cache's entry is in the numbering of the index it was taken from.
                    if self.refit_index_entry is not None and self._cached_builds == builds:
                        refit = self._refit_for(journal, copy.points.rows)
        except Exception:
            log.exception("space %s: snapshot failed; its log keeps growing", self.name)
            with self._writes:
                journal.abandon_snapshot(staged, failed=True)
            return
        if refit is not None:
            refit()

    def _refit_for(self, journal: Journal, labels: np.ndarray) -> Callable[[], None] | None:
        """Under the write gate, with a snapshot of `labels` just put in place: the refit of
        the index cache's entry to it, to run once the gate is open."""
        assert self.refit_index_entry is not None
        try:
            placed = read_manifest(journal.directory).listed_sha256(VECTORS)
        except (ArtifactError, OSError) as error:
            log.warning("space %s: index cache entry not refitted (%s)", self.name, error)
            return None
        return None if placed is None else partial(self.refit_index_entry, labels, placed)

    def _require_writable(self) -> Journal:
        if self.journal is None:
            raise FailedPrecondition(
                f"space '{self.name}' is read-only (produced by {self.manifest.kind}); "
                "create a user space to write points"
            )
        return self.journal

    def _apply_upsert(
        self, ids: Sequence[str], vectors: np.ndarray, payloads: Sequence[str]
    ) -> None:
        self._replace(self._ids.rows_of(ids), ids, vectors, payloads)

    def _replace(
        self,
        existing: np.ndarray,
        ids: Sequence[str],
        vectors: np.ndarray,
        payloads: Sequence[str],
    ) -> None:
        """Writes the points; `existing` holds each id's current row (-1: new)."""
        self._remove_rows(existing[existing >= 0])
        self._append(ids, vectors, payloads, self._add_to_index)

    def _append(
        self,
        ids: Sequence[str],
        vectors: np.ndarray,
        payloads: Sequence[str],
        place: Callable[[np.ndarray, np.ndarray], None],
        rows: np.ndarray | None = None,
    ) -> None:
        """New rows for the points (the next ones, or `rows`: increasing, from the next one on),
        their vectors `place`d in the index under those rows."""
        if rows is None:
            rows = self._ids.append(ids)
        else:
            self._ids.place(ids, rows)
        place(rows, vectors)
        self._payloads.place(payloads, rows)
        self.payload_index.add(rows, payloads)

    def _add_to_index(self, rows: np.ndarray, vectors: np.ndarray) -> None:
        with write_threads(len(rows), self.write_threads):
            self.index.add(rows, vectors)

    def _apply_delete(self, ids: Sequence[str]) -> None:
        rows = self._ids.rows_of(ids)
        self._remove_rows(rows[rows >= 0])

    def _remove_rows(self, rows: np.ndarray) -> None:
        """Every write starts here, even one that removes no row."""
        self._layout += 1
        self.index.remove(rows)
        self._ids.remove_rows(rows)

    def recall_at_10(self) -> float:
        """recall@10 of the index against exact search; measured again once the point count
        has moved by a tenth since the last measurement, or a rebuild has built a new index,
        one measurement at a time. Writes go on meanwhile: a 1M x 128 scan takes seconds."""
        with self._recall_lock:
            with self.lock.read():
                index, built, count = self.index, self._builds, self.count
            measured = self._recall
            if (
                measured is None
                or measured[0] != built
                or abs(count - measured[1]) > 0.1 * max(measured[1], 1)
            ):
                measured = (built, count, measure_recall(index, self.manifest.metric, self.lock))
                self._recall = measured
                # The brute-force scan's freed blocks would otherwise stay in this thread's
                # malloc arena: 2.8 MiB of RSS at 200k x 128 (measured).
                release_free_memory()
            return measured[2]

    def remember_recall(self, count: int, figure: float) -> None:
        """A recall@10 measured before on this very index over its first `count` points (kept
        by the index cache); measured again as `recall_at_10` says."""
        with self._recall_lock:
            self._recall = (self._builds, count, figure)

    def _prepare(self, vectors: np.ndarray, field: str) -> np.ndarray:
        """Checks dimension and finiteness; unit length for cosine spaces, a length that float32
        distances hold for the others."""
        matrix = self._checked(vectors, field)
        if self.manifest.metric is Metric.COSINE:
            return unit_rows(matrix, field)
        check_length(matrix, field)
        return matrix

    def _checked(self, vectors: np.ndarray, field: str) -> np.ndarray:
        """A float32 matrix of the space's dimension with finite components."""
        matrix = as_matrix(vectors, field)
        if matrix.shape[1] != self.manifest.dim:
            raise VectorError(
                field,
                f"has dimension {matrix.shape[1]}, space '{self.name}' has {self.manifest.dim}",
            )
        check_finite(matrix, field)
        return matrix

    def _rows_of(self, ids: Sequence[str], field: str) -> np.ndarray:
        rows = self._ids.rows_of(ids)
        missing = np.flatnonzero(rows < 0)
        if len(missing):
            self._missing(ids[int(missing[0])], f"{field}[{int(missing[0])}]")
        return rows

    def _row_of(self, point_id: str, field: str) -> int:
        row = self._ids.row_of(point_id)
        if row is None:
            self._missing(point_id, field)
        return row

    def _missing(self, point_id: str, field: str) -> NoReturn:
        raise NotFound(
            f"{field}: id '{point_id}' is not in space '{self.name}' ({self.count:,} points)"
        )
