"""The on-disk format of a space, shared by the trainers (writers) and the server (reader).

A space is one directory named after it:

    <artifacts>/<name>/
        manifest.json     SpaceManifest: what, who made it and how, figures, files with sha256
        vectors.npy       float32 (count, dim), loaded memory-mapped
        ids.txt           one UTF-8 id per line, row order
        payloads.jsonl    optional: one JSON object per line (or an empty line), row order
        ...               anything else the producer needs: model.safetensors, tokenizer.model

Writers stage everything in a hidden sibling directory, fsync it, and rename it into place, so a
reader never sees half an artifact and a power cut never leaves one whose files were not yet on
disk. Replacing a space takes two renames (the old one aside, the new one in);
`recover_interrupted_swaps` puts the old one back when a writer died between them. No torch and
no faiss here.
"""

from __future__ import annotations

import enum
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel, Field

from semspace.index_config import IndexConfig

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
VECTORS = "vectors.npy"
IDS = "ids.txt"
PAYLOADS = "payloads.jsonl"
SPACE_NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
# Hidden siblings of a space being replaced, named with the writing process's id (for people
# reading the directory: whether the writer lives is told by a lock, see `_claim_staging`).
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<role>staging|retired)-(?P<pid>\d+)(-[^/]*)?$")

log = logging.getLogger(__name__)


class Metric(enum.StrEnum):
    COSINE = "cosine"
    L2 = "l2"
    INNER_PRODUCT = "ip"


class Producer(BaseModel):
    """What made the artifact, with the exact configuration it ran with."""

    name: str
    version: str = ""
    config: dict[str, Any] = Field(default_factory=dict)


class FileEntry(BaseModel):
    path: str
    bytes: int
    sha256: str


class SpaceManifest(BaseModel):
    format_version: int = FORMAT_VERSION
    name: str = Field(pattern=SPACE_NAME_PATTERN)
    kind: str
    dim: int = Field(gt=0)
    metric: Metric
    count: int = Field(ge=0)
    created: datetime
    description: str = ""
    producer: Producer
    evaluation: dict[str, Any] = Field(default_factory=dict)
    files: list[FileEntry] = Field(default_factory=list)
    # The index the server builds over the vectors; flat (exact) unless chosen otherwise.
    index: IndexConfig = Field(default_factory=IndexConfig)
    # Every payload field the space's points have held since it was created, with the kinds of
    # value ("text", "number", "bool"): filters on other fields are refused as typos, and these
    # stay valid after the points that held them are gone.
    payload_fields: dict[str, list[str]] = Field(default_factory=dict)

    def listed_sha256(self, path: str) -> str | None:
        """The sha256 the manifest lists for one of its files."""
        return next((entry.sha256 for entry in self.files if entry.path == path), None)


class ArtifactError(ValueError):
    """An artifact directory that is missing, malformed or corrupt (bad input, as a ValueError:
    the command line reports it without importing this module)."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def vectors_sha256(directory: Path, rows: int) -> str:
    """sha256 of the first `rows` rows of a space's vectors as stored (little-endian float32,
    the bytes after the .npy header), read from the file: through a memory map, every page
    read would stay resident until the map is closed."""
    path = Path(directory) / VECTORS
    stored = np.load(path, mmap_mode="r")  # the header only: no row is read
    layout_ok = stored.dtype == np.dtype("<f4") and stored.ndim == 2 and stored.flags.c_contiguous
    if not layout_ok or not 0 <= rows <= len(stored):
        raise ArtifactError(f"{path}: no {rows} float32 rows in {stored.shape}")
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        handle.seek(stored.offset)
        remaining = rows * stored.shape[1] * 4
        while remaining:
            block = handle.read(min(remaining, 1 << 20))
            if not block:
                raise ArtifactError(f"{path} ends early")
            digest.update(block)
            remaining -= len(block)
    return digest.hexdigest()


def fsync_directory(path: Path) -> None:
    """Makes a rename or a new file in `path` durable (POSIX needs the directory fsynced too)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def fsync_tree(directory: Path) -> None:
    """Puts every file under `directory`, and its directory entries, on disk."""
    for path in sorted(directory.rglob("*"), reverse=True):  # files before their directory
        if path.is_file():
            fsync_file(path)
        else:
            fsync_directory(path)
    fsync_directory(directory)


def write_json_atomic(path: Path, data: str) -> None:
    """Writes `data` to `path` through a fsynced temporary file and a rename."""
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, encoding="utf-8") as tmp:
        tmp.write(data)
        tmp.flush()
        os.fsync(tmp.fileno())
    os.replace(tmp.name, path)
    fsync_directory(path.parent)


class VectorBlocks(Protocol):
    """Vectors too many to copy at once: their (rows, dim) and the rows a block at a time."""

    @property
    def shape(self) -> tuple[int, int]: ...

    def blocks(self) -> Iterator[np.ndarray]: ...


def write_rows(
    directory: Path,
    vectors: np.ndarray | VectorBlocks,
    ids: Sequence[str] | Lines,
    payloads: Sequence[str] | Lines | None,
) -> None:
    """Writes vectors.npy, ids.txt and (when given) payloads.jsonl, row-aligned."""
    shape = _shape_of(vectors)
    if len(shape) != 2 or shape[0] != len(ids):
        raise ArtifactError(f"vectors {shape} do not match {len(ids)} ids")
    id_lines = as_lines(ids)
    if id_lines.count("\n") != len(ids) or "\r" in id_lines:
        raise ArtifactError("ids may not contain line breaks")
    save_vectors(directory / VECTORS, vectors)
    (directory / IDS).write_text(id_lines, encoding="utf-8")
    if payloads is not None:
        if len(payloads) != len(ids):
            raise ArtifactError(f"{len(payloads)} payloads for {len(ids)} ids")
        (directory / PAYLOADS).write_text(as_lines(payloads), encoding="utf-8")


def _is_blocks(vectors: object) -> bool:
    return hasattr(vectors, "blocks")


def _shape_of(vectors: np.ndarray | VectorBlocks) -> tuple[int, ...]:
    return tuple(vectors.shape) if _is_blocks(vectors) else np.shape(vectors)


def save_vectors(path: Path, vectors: np.ndarray | VectorBlocks) -> None:
    """A float32 .npy file, written a block at a time when given blocks (the file then never
    sits whole in memory, nor in this process's mapped pages)."""
    if not _is_blocks(vectors):
        np.save(path, np.ascontiguousarray(vectors, dtype=np.float32))
        return
    rows, dim = vectors.shape
    header = {"descr": np.dtype("<f4").str, "fortran_order": False, "shape": (rows, dim)}
    written = 0
    with path.open("wb") as handle:
        np.lib.format.write_array_header_1_0(handle, header)
        for block in vectors.blocks():
            if block.shape[1:] != (dim,):
                raise ArtifactError(f"a block of {block.shape} in vectors of {dim} columns")
            handle.write(np.ascontiguousarray(block, dtype="<f4").data)
            written += len(block)
    if written != rows:
        raise ArtifactError(f"{written} vector rows written, {rows} promised")


def as_lines(texts: Sequence[str] | Lines) -> str:
    """Each text followed by a newline (joined in C: a million ids take milliseconds)."""
    if isinstance(texts, Lines):
        return texts.text
    return "\n".join(texts) + "\n" if len(texts) else ""


@dataclass(frozen=True)
class Lines:
    """`count` texts joined already, each followed by a newline: a million ids as one string,
    not a million objects (a snapshot's ids and payloads)."""

    text: str
    count: int

    def __len__(self) -> int:
        return self.count


def list_files(directory: Path) -> list[FileEntry]:
    return [
        FileEntry(
            path=p.relative_to(directory).as_posix(), bytes=p.stat().st_size, sha256=sha256_of(p)
        )
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    ]


class ArtifactWriter:
    """Stages a space in a hidden directory; `finish` seals it with a manifest and renames it in
    (`seal` and `swap_in` do the two halves, for a writer that adds files between them).

    Producers put extra files (weights, tokenizer) under `staging` before calling `finish`.
    `durable=False` skips the fsyncs, for a server told not to fsync its writes.
    """

    def __init__(self, artifacts_dir: Path, name: str, *, durable: bool = True) -> None:
        self.artifacts_dir = Path(artifacts_dir)
        self.name = name
        self.durable = durable
        self.artifacts_dir.mkdir(parents=True, exist_ok=True)
        self.staging, lock = _claim_staging(self.artifacts_dir, name)
        self._lock: int | None = lock  # None once released
        # mkdtemp makes it private (0700); a space is ordinary data, readable like its siblings.
        self.staging.chmod(0o755)

    def finish(
        self,
        *,
        kind: str,
        metric: Metric,
        vectors: np.ndarray,
        ids: Sequence[str],
        producer: Producer,
        payloads: Sequence[str] | None = None,
        evaluation: dict[str, Any] | None = None,
        description: str = "",
        created: datetime | None = None,
        index: IndexConfig | None = None,
        payload_fields: dict[str, list[str]] | None = None,
    ) -> Path:
        """Writes rows and manifest, then atomically replaces `<artifacts>/<name>`."""
        self.seal(
            kind=kind,
            metric=metric,
            vectors=vectors,
            ids=ids,
            producer=producer,
            payloads=payloads,
            evaluation=evaluation,
            description=description,
            created=created,
            index=index,
            payload_fields=payload_fields,
        )
        return self.swap_in()

    def seal(
        self,
        *,
        kind: str,
        metric: Metric,
        vectors: np.ndarray | VectorBlocks,
        ids: Sequence[str] | Lines,
        producer: Producer,
        payloads: Sequence[str] | Lines | None = None,
        evaluation: dict[str, Any] | None = None,
        description: str = "",
        created: datetime | None = None,
        index: IndexConfig | None = None,
        payload_fields: dict[str, list[str]] | None = None,
    ) -> SpaceManifest:
        """Writes rows and manifest into the staging directory, all on disk when durable."""
        write_rows(self.staging, vectors, ids, payloads)
        if self.durable:
            fsync_tree(self.staging)
        manifest = SpaceManifest(
            name=self.name,
            kind=kind,
            dim=int(_shape_of(vectors)[1]),
            metric=metric,
            count=len(ids),
            created=created or datetime.now(UTC),
            description=description,
            producer=producer,
            evaluation=evaluation or {},
            files=list_files(self.staging),
            index=index or IndexConfig(),
            payload_fields=payload_fields or {},
        )
        write_json_atomic(self.staging / MANIFEST, manifest.model_dump_json(indent=2))
        return manifest

    def swap_in(self) -> Path:
        """Replaces `<artifacts>/<name>` by the sealed staging directory."""
        final = self.artifacts_dir / self.name
        retired = None
        if final.exists():
            retired = self.artifacts_dir / f".{self.name}.retired-{os.getpid()}"
            os.replace(final, retired)
        # A crash here leaves the space only under `retired`: see recover_interrupted_swaps.
        try:
            os.replace(self.staging, final)
        except OSError:
            if retired is not None:
                os.replace(retired, final)  # the old space stays, and the error is raised
            raise
        fsync_directory(self.artifacts_dir)
        self._release()
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)
        return final

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)
        self._release()

    def _release(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # releases the lock
            self._lock = None


def _claim_staging(artifacts_dir: Path, name: str) -> tuple[Path, int]:
    """A new staging directory and an open descriptor of it holding an exclusive lock until the
    writer ends: a process id cannot tell whether its writer lives once processes run in other
    containers (each its own pid 1), a lock can. A cleaner removes a directory only while it
    holds its lock, so a directory the cleaner took first (between mkdtemp and flock) is no
    longer at its name: try again."""
    while True:
        staging = Path(
            tempfile.mkdtemp(prefix=f".{name}.staging-{os.getpid()}-", dir=artifacts_dir)
        )
        lock = os.open(staging, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.stat(staging).st_ino == os.fstat(lock).st_ino:
                return staging, lock
        except (BlockingIOError, FileNotFoundError):
            pass
        os.close(lock)


@contextmanager
def writing_artifact(
    artifacts_dir: Path, name: str, *, durable: bool = True
) -> Iterator[ArtifactWriter]:
    """An ArtifactWriter whose staging directory is removed if the block fails before `finish`."""
    writer = ArtifactWriter(artifacts_dir, name, durable=durable)
    try:
        yield writer
    finally:
        writer.abort()


@dataclass(frozen=True)
class Artifact:
    """A loaded space: manifest, memory-mapped vectors, ids and payloads in row order."""

    path: Path
    manifest: SpaceManifest
    vectors: np.ndarray
    ids: list[str]
    payloads: list[str] | None

    def vector_blocks(self, rows: int) -> Iterator[np.ndarray]:
        """The vectors, `rows` at a time, read from the file: a loader copying them elsewhere
        then holds one block, where reading through the memory map would keep every page it
        touched resident until the map is closed (a second copy of the space)."""
        assert isinstance(self.vectors, np.memmap)
        dim = self.manifest.dim
        with (self.path / VECTORS).open("rb") as handle:
            handle.seek(self.vectors.offset)
            for start in range(0, self.manifest.count, rows):
                count = min(rows, self.manifest.count - start) * dim
                yield np.fromfile(handle, dtype="<f4", count=count).reshape(-1, dim)

    def file(self, name: str) -> Path:
        """Path of an extra file listed in the manifest (weights, tokenizer)."""
        if self.manifest.listed_sha256(name) is None:
            raise ArtifactError(f"space '{self.manifest.name}' has no file '{name}'")
        return self.path / name


def read_manifest(directory: Path) -> SpaceManifest:
    try:
        return SpaceManifest.model_validate_json((directory / MANIFEST).read_text("utf-8"))
    except FileNotFoundError as error:
        raise ArtifactError(f"{directory} has no {MANIFEST}") from error
    except ValueError as error:
        raise ArtifactError(f"{directory / MANIFEST} is not a valid manifest: {error}") from error


def verify_files(directory: Path, manifest: SpaceManifest) -> None:
    """Checks every listed file's size and sha256; raises ArtifactError on the first mismatch."""
    for entry in manifest.files:
        path = directory / entry.path
        if not path.is_file():
            raise ArtifactError(f"{path} is listed in the manifest but missing")
        if path.stat().st_size != entry.bytes or sha256_of(path) != entry.sha256:
            raise ArtifactError(f"{path} does not match its sha256 in the manifest (corrupt?)")


def load_artifact(directory: Path, *, verify: bool = True) -> Artifact:
    """Loads a space directory; vectors stay memory-mapped (read-only)."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    if manifest.format_version > FORMAT_VERSION:
        raise ArtifactError(f"{directory} uses format {manifest.format_version}, too new")
    if verify:
        verify_files(directory, manifest)
    vectors = np.load(directory / VECTORS, mmap_mode="r")
    ids = (directory / IDS).read_text("utf-8").split("\n")[:-1]
    payloads_path = directory / PAYLOADS
    payloads = payloads_path.read_text("utf-8").split("\n")[:-1] if payloads_path.exists() else None
    if vectors.shape != (manifest.count, manifest.dim) or len(ids) != manifest.count:
        raise ArtifactError(
            f"{directory}: vectors {vectors.shape} / {len(ids)} ids disagree with the manifest "
            f"({manifest.count} x {manifest.dim})"
        )
    if payloads is not None and len(payloads) != manifest.count:
        raise ArtifactError(f"{directory}: {len(payloads)} payloads for {manifest.count} points")
    return Artifact(directory, manifest, vectors, ids, payloads)


def update_evaluation(directory: Path, figures: dict[str, Any]) -> SpaceManifest:
    """Merges evaluation figures into a sealed artifact's manifest (atomic rewrite)."""
    manifest = read_manifest(Path(directory))
    manifest.evaluation.update(json.loads(json.dumps(figures)))
    write_json_atomic(Path(directory) / MANIFEST, manifest.model_dump_json(indent=2))
    return manifest


def update_index(directory: Path, index: IndexConfig) -> SpaceManifest:
    """Sets the index a sealed artifact is served with (atomic rewrite; a reload applies it)."""
    manifest = read_manifest(Path(directory)).model_copy(update={"index": index})
    write_json_atomic(Path(directory) / MANIFEST, manifest.model_dump_json(indent=2))
    return manifest


def discover(artifacts_dir: Path) -> list[Path]:
    """Space directories under `artifacts_dir` (hidden staging directories are skipped)."""
    root = Path(artifacts_dir)
    if not root.is_dir():
        return []
    return sorted(
        p
        for p in root.iterdir()
        if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST).exists()
    )


def recover_interrupted_swaps(artifacts_dir: Path) -> list[str]:
    """Puts back each space a writer set aside and died before replacing (a crash between the
    two renames of `swap_in`), and removes what dead writers left half done. Run before this
    process writes there; a space set aside by a living writer is put back too, since a missing
    space is worse than that writer's swap failing. Returns the names put back."""
    root = Path(artifacts_dir)
    restored = []
    for path in sorted(root.iterdir()) if root.is_dir() else []:
        leftover = _LEFTOVER.match(path.name)
        if leftover is None or not path.is_dir():
            continue
        final = root / leftover["name"]
        if leftover["role"] == "retired" and not final.exists() and (path / MANIFEST).exists():
            log.warning("%s was set aside by an interrupted swap: putting it back", final)
            os.replace(path, final)
            fsync_directory(root)
            restored.append(final.name)
        elif leftover["role"] == "retired":
            # Its space is in place again: whoever set it aside is done with it, or about to
            # remove it too.
            shutil.rmtree(path, ignore_errors=True)
        else:
            _remove_if_abandoned(path)
    return restored


def _remove_if_abandoned(staging: Path) -> None:
    """Removes a staging directory whose writer has ended: no process holds its lock (the
    kernel releases a dead writer's, in whatever container it ran)."""
    try:
        lock = os.open(staging, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return  # gone already, or not ours to open: left as it is
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(lock)
        return  # a living writer's
    try:
        shutil.rmtree(staging, ignore_errors=True)
    finally:
        os.close(lock)
