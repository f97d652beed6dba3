"""Built approximate indexes kept on disk between loads, so that a restart reads an HNSW graph
or a trained IVF index instead of building it again (100k x 100 HNSW: 35 s to build,
bench/load_space.py).

An index depends on its rows' vectors in order, on how they are prepared (the space's kind and
metric), on the index settings and on FAISS. An entry's key hashes all of those but the rows,
and the entry records how many rows it holds and the sha256 of their vectors as stored. FAISS
cannot remove a point from an HNSW graph, so an index keeps the labels of points deleted or
replaced until a rebuild: the entry lists them as dead, and its rows are its other labels in
order. It fits any artifact or snapshot whose first rows are those: the same one, or a later
snapshot of a space that only gained points since (or lost some past those rows), whose further
rows are then added to it. Entries live at `<cache>/<space>/<key>.faiss`, each beside a
`<key>.json` (rows, their sha256, the sha256 of the whole vectors file they were stored from,
the dead labels, the recall@10 measured, the file's size and sha256) written after it: a
half-written or damaged entry is a miss, never a wrong index. A load that has just checked the
vectors file against its manifest and finds that file's sha256 recorded needs no hash of the
rows (0.65 s at 1M x 128). A space keeps its newest entry only. The cache only ever saves work:
any failure to read or write it is logged, and the index built instead. Who stores what and
when is the registry's (server/registry.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from semspace.artifact import (
    VECTORS,
    ArtifactError,
    SpaceManifest,
    read_manifest,
    sha256_of,
    vectors_sha256,
)
from semspace.server.index import StoredIndexMismatch, labels_other_than

log = logging.getLogger(__name__)

# The cache's directory under the artifacts directory by default: hidden, so that it is never
# taken for a space (`discover`).
DEFAULT_DIRECTORY = ".index-cache"


def cache_root(artifacts_dir: Path, index_cache_dir: Path | None) -> Path:
    """Where a server over `artifacts_dir` keeps its entries: `<artifacts>/.index-cache`, or,
    in an `index_cache_dir` set by hand, a directory of its own named after the artifacts
    directory, so that servers sharing that directory never replace or prune each other's
    entries (a space keeps one entry, and a start prunes spaces it does not serve)."""
    if index_cache_dir is None:
        return artifacts_dir / DEFAULT_DIRECTORY
    resolved = artifacts_dir.resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    return index_cache_dir / f"{resolved.name}-{digest}"


# Bump when what an index holds for the same rows changes: how vectors are prepared for a metric
# (unit length for cosine, float16 rounding), or how labels are numbered. 3: cosine lengths are
# summed in float64, which moves most unit vectors of a trained space by an ulp.
CACHE_FORMAT = 3
# The files of an entry, and of one being written.
_ENTRY_FILE = re.compile(r"^([0-9a-f]{32}\.(faiss|json)|\.writing-.*\.(faiss|json))$")


def cache_key(manifest: SpaceManifest) -> str:
    """Identifies the index a space's rows get: everything it depends on but the rows."""
    identity = {
        "format": CACHE_FORMAT,
        "faiss": faiss.__version__,
        "kind": manifest.kind,  # user spaces' vectors are stored prepared, trained ones are not
        "index": manifest.index.model_dump(mode="json"),
        "metric": manifest.metric.value,
        "dim": manifest.dim,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:32]


@dataclass
class RowsDigest:
    """sha256 of a space's vectors as stored, fed a block of rows at a time while they load; the
    first `held_rows` must hash to `held_sha256` (the rows a stored index holds), else
    StoredIndexMismatch."""

    held_rows: int = 0
    held_sha256: str = ""
    _hash: Any = field(default_factory=hashlib.sha256)
    _fed: int = 0

    def feed(self, rows: np.ndarray) -> None:
        data = np.ascontiguousarray(rows, dtype="<f4")
        if self._fed < self.held_rows <= self._fed + len(data):
            cut = self.held_rows - self._fed
            self._hash.update(data[:cut])
            if self._hash.hexdigest() != self.held_sha256:
                raise StoredIndexMismatch(
                    f"the first {self.held_rows} rows are not the stored ones"
                )
            data, self._fed = data[cut:], self.held_rows
        self._hash.update(data)
        self._fed += len(data)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


@dataclass(frozen=True)
class RowsIdentity:
    """What an index being stored was built over: every row of a vectors file, by the sha256 of
    the rows' vectors and the sha256 of the whole file (as its manifest lists it)."""

    rows_sha256: str
    file_sha256: str | None


@dataclass(frozen=True)
class StoredIndex:
    index: faiss.Index
    # The snapshot rows it holds: its live labels, in order.
    rows: int
    rows_sha256: str
    # Measured on this index over its rows when it was stored: searching them again with the
    # same settings finds the same (measure_recall samples its queries with a fixed seed).
    # None once a snapshot left some of those rows out (`refit`).
    recall_at_10: float | None
    # Labels of points deleted or replaced before it was stored (increasing), which FAISS
    # cannot remove: the rows are its other labels.
    dead_labels: np.ndarray

    @property
    def labels(self) -> int:
        return self.rows + len(self.dead_labels)

    def held_labels(self) -> np.ndarray:
        """The label of each of the rows it holds."""
        return labels_other_than(self.dead_labels, self.labels)

    def digest(self) -> RowsDigest:
        """What loading the rows checks this index against."""
        return RowsDigest(self.rows, self.rows_sha256)


class IndexCache:
    """Stored indexes under `root`, one directory per space."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        # Refits run in snapshot threads, which a next snapshot can overlap.
        self._refitting = threading.Lock()

    def read(
        self,
        space: str,
        key: str,
        directory: Path,
        count: int,
        checked_file_sha256: str | None = None,
    ) -> StoredIndex | None:
        """The index stored under `key` if it holds the first rows of the `count` in the space
        directory `directory`; None when there is none, it does not fit, or it is damaged.
        `checked_file_sha256`: the sha256 of the directory's vectors file, if this load has
        just checked it."""
        data, info = self._paths(space, key)
        try:
            entry = json.loads(info.read_text("utf-8"))
            rows, rows_sha256 = int(entry["rows"]), str(entry["rows_sha256"])
            recall = entry["recall_at_10"]
            recall = None if recall is None else float(recall)
            dead = np.array(entry.get("dead_labels", []), dtype=np.int64)
            if dead.ndim != 1 or (np.diff(dead) <= 0).any() or (dead[:1] < 0).any():
                raise ValueError("dead_labels are not increasing labels")
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning("index cache: %s is unreadable (%s); building the index", info, error)
            return None
        try:
            # Checked here too, not only while the rows load, so that an index that does not
            # fit is not read in vain (a retrained space, a point deleted since).
            same_file = (
                rows == count
                and checked_file_sha256 is not None
                and entry.get("vectors_file_sha256") == checked_file_sha256
            )
            if rows > count or (not same_file and vectors_sha256(directory, rows) != rows_sha256):
                log.info("index cache: %s holds other rows than %s; building it", data, directory)
                return None
            if data.stat().st_size != entry.get("bytes") or sha256_of(data) != entry.get("sha256"):
                log.warning("index cache: %s does not match %s; building the index", data, info)
                return None
            index = faiss.read_index(str(data))
            if index.ntotal != rows + len(dead) or (dead[-1:] >= index.ntotal).any():
                log.warning("index cache: %s does not match %s; building the index", data, info)
                return None
            return StoredIndex(index, rows, rows_sha256, recall, dead)
        except (ArtifactError, OSError, RuntimeError) as error:
            log.warning("index cache: cannot read %s (%s); building the index", data, error)
            return None

    def write(
        self,
        space: str,
        key: str,
        index: faiss.Index,
        built_over: RowsIdentity,
        recall_at_10: float,
        dead_labels: np.ndarray,
    ) -> bool:
        """Stores `index`, whose live labels are in order the rows of a vectors file (those
        `built_over`) and whose recall@10 over them was measured, under `key`, replacing the
        space's older entries. `dead_labels`: its other labels. Whether it was stored."""
        directory = self.root / space
        data, info = self._paths(space, key)
        temporary: Path | None = None
        try:
            directory.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=directory, prefix=".writing-", suffix=".faiss")
            os.fchmod(fd, 0o644)  # readable like the artifacts beside it, not mkstemp's 0600
            os.close(fd)
            temporary = Path(name)
            faiss.write_index(index, str(temporary))
            entry = {
                "rows": int(index.ntotal) - len(dead_labels),
                "dead_labels": dead_labels.tolist(),
                "rows_sha256": built_over.rows_sha256,
                "vectors_file_sha256": built_over.file_sha256,
                "recall_at_10": recall_at_10,
                "bytes": temporary.stat().st_size,
                "sha256": sha256_of(temporary),
            }
            info.unlink(missing_ok=True)
            temporary.replace(data)
            temporary = None
            # Last: the description makes the entry whole.
            info.write_text(json.dumps(entry), "utf-8")
            # Older entries, and what a writer that died left (another server writing this
            # space's entry just now would log that it could not store it: harmless).
            for other in directory.iterdir():
                if other.stem != key:
                    other.unlink(missing_ok=True)
            return True
        except (OSError, RuntimeError) as error:
            log.warning("index cache: cannot store the index of %s (%s)", space, error)
            return False
        finally:
            if temporary is not None:
                temporary.unlink(missing_ok=True)

    def refit(
        self, space: str, key: str, directory: Path, labels: np.ndarray, file_sha256: str
    ) -> None:
        """Makes the space's entry fit the snapshot just put in `directory` (its vectors file
        hashing to `file_sha256`), whose rows are the labels `labels` (increasing) of the
        entry's index or of one grown from it: the entry's rows become the snapshot's rows
        among its labels, which come first, and its other labels dead. Only the description is
        written again, not the index: a snapshot written while serving then leaves a server
        killed later an entry to start from. Nothing is written if a later snapshot replaced
        this one meanwhile (its own refit follows)."""
        _, info = self._paths(space, key)
        with self._refitting:
            self._refit(info, directory, labels, file_sha256)

    def _refit(self, info: Path, directory: Path, labels: np.ndarray, file_sha256: str) -> None:
        def still_there() -> bool:
            snapshot = read_manifest(directory)
            return snapshot.listed_sha256(VECTORS) == file_sha256 and snapshot.count == len(labels)

        try:
            entry = json.loads(info.read_text("utf-8"))
            held = int(entry["rows"]) + len(entry.get("dead_labels", []))
            kept = labels[: int(np.searchsorted(labels, held))]
            if len(kept) == entry["rows"]:
                return  # the entry's rows are still the snapshot's first: it fits as it is
            # Hashed between two looks at the manifest: the rows are this snapshot's.
            if not still_there():
                return
            rows_sha256 = vectors_sha256(directory, len(kept))
            if not still_there():
                return
            entry |= {
                "rows": len(kept),
                "rows_sha256": rows_sha256,
                "vectors_file_sha256": file_sha256 if len(kept) == len(labels) else None,
                "dead_labels": labels_other_than(kept, held).tolist(),
                "recall_at_10": None,  # measured over other rows
            }
            temporary = info.with_name(f".writing-{info.name}")
            temporary.write_text(json.dumps(entry), "utf-8")
            temporary.replace(info)
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError, ArtifactError) as error:
            log.warning("index cache: cannot refit %s to %s (%s)", info, directory, error)

    def forget(self, space: str, key: str | None = None) -> None:
        """Removes one entry of a space, or all of them (a dropped space)."""
        if key is None:
            shutil.rmtree(self.root / space, ignore_errors=True)
            return
        for path in reversed(self._paths(space, key)):  # the description first
            path.unlink(missing_ok=True)

    def prune(self, spaces: set[str]) -> None:
        """Removes the entries of spaces other than `spaces` (say, removed from the artifacts
        directory by hand). Only directories holding nothing but entries are touched, in case
        `index_cache_dir` names a directory that holds other things too."""
        try:
            directories = [d for d in self.root.iterdir() if d.is_dir() and d.name not in spaces]
        except OSError:
            return
        for directory in directories:
            try:
                if all(_ENTRY_FILE.match(f.name) for f in directory.iterdir()):
                    shutil.rmtree(directory)
            except OSError as error:
                log.warning("index cache: cannot remove %s (%s)", directory, error)

    def _paths(self, space: str, key: str) -> tuple[Path, Path]:
        return self.root / space / f"{key}.faiss", self.root / space / f"{key}.json"
