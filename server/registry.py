"""All spaces of a server: loaded at start, created and dropped, reloaded and swapped in.

A name always means the space's current version. `Reload` loads a space whose artifact changed on
disk (retrained, or given another index) beside the one serving, then makes it current with one
assignment: a request that already holds the old version finishes on it, the next one gets the
new. Earlier versions stay reachable as `name@version` until dropped; they live in memory only
(their files were replaced), so a restart serves just the current one, as version 1.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from semspace.artifact import (
    MANIFEST,
    VECTORS,
    Artifact,
    ArtifactError,
    Metric,
    SpaceManifest,
    discover,
    load_artifact,
    read_manifest,
    recover_interrupted_swaps,
    vectors_sha256,
)
from semspace.index_config import IndexConfig, IndexKind
from semspace.server.aliases import AliasTable
from semspace.server.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
    Unavailable,
)
from semspace.server.index import StoredIndexMismatch, labels_other_than
from semspace.server.index_cache import (
    IndexCache,
    RowsDigest,
    RowsIdentity,
    StoredIndex,
    cache_key,
    cache_root,
)
from semspace.server.indexes import build_index
from semspace.server.journal import (
    USER_KIND,
    Journal,
    empty_manifest,
    log_segments,
)
from semspace.server.models import load_model
from semspace.server.settings import ServerSettings
from semspace.server.space import Space
from semspace.server.wal import replay

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReloadChange:
    space: str
    action: str  # "added", "replaced", "unchanged", "skipped"
    version: int
    detail: str = ""


def fingerprint(directory: Path) -> str:
    """Identifies an artifact's content: the manifest lists every file's sha256."""
    return hashlib.sha256((directory / MANIFEST).read_bytes()).hexdigest()


def split_version(reference: str) -> tuple[str, int | None]:
    """'words@2' -> ('words', 2); 'words' -> ('words', None). Checked by the servicer."""
    name, _, version = reference.partition("@")
    return name, int(version) if version else None


class SpaceRegistry:
    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.root = Path(settings.artifacts_dir)
        self._versions: dict[str, dict[int, Space]] = {}
        self._current: dict[str, Space] = {}
        self._fingerprints: dict[str, str] = {}
        self._lock = threading.Lock()
        # One reload at a time: two would load the same new artifact twice.
        self._reloading = threading.Lock()
        self._aliases = AliasTable(self.root)
        self.loaded = False
        self._index_cache = None
        if settings.index_cache:
            self._index_cache = IndexCache(cache_root(self.root, settings.index_cache_dir))

    def load_all(self) -> None:
        """Loads every space directory; a broken one is logged and skipped, not fatal."""
        self.root.mkdir(parents=True, exist_ok=True)
        recover_interrupted_swaps(self.root)
        self._aliases.load()
        for directory in discover(self.root):
            try:
                print_ = fingerprint(directory)
                space = self._load(directory)
            except (ArtifactError, OSError, ValueError) as error:
                log.error("skipping space at %s: %s", directory, error)
                continue
            except Exception:
                # A bug met by one space's data must not keep the others from being served.
                log.exception("skipping space at %s: unexpected error", directory)
                continue
            space.recall_at_10()
            self._install(space, print_)
            log.info(
                "loaded space %s (%s, %d x %d, %s, index %s)",
                space.name,
                space.manifest.kind,
                space.count,
                space.manifest.dim,
                space.manifest.metric,
                space.index.kind,
            )
        if self._index_cache is not None:
            self._index_cache.prune(set(self._current))
        for alias, target in self._aliases.items():
            if target not in self._current:
                log.warning(
                    "alias %s points at %s, which is not served: calls naming it are NOT_FOUND "
                    "until it is back or the alias is moved",
                    alias,
                    target,
                )
        self.loaded = True

    def reload(self, names: list[str]) -> list[ReloadChange]:
        """Loads spaces that are new or changed on disk (all, or those named) and makes them
        current; user spaces are always current already and are skipped."""
        self._require_loaded()
        with self._reloading:
            directories = {d.name: d for d in discover(self.root)}
            for name in names:
                if name not in directories and name not in self._current:
                    raise NotFound(f"spaces: '{name}' is neither loaded nor in {self.root}")
            return [
                self._reload_one(directories[name])
                for name in sorted(names or directories)
                if name in directories
            ]

    def reload_directory(self, directory: Path) -> ReloadChange:
        """As `reload` of that one space, for a caller that has just listed the directory (the
        artifact watch), so that N spaces are not listed N times."""
        self._require_loaded()
        with self._reloading:
            return self._reload_one(directory)

    def _reload_one(self, directory: Path) -> ReloadChange:
        name = directory.name
        current = self._current.get(name)
        if current is not None and current.writable:
            return ReloadChange(name, "skipped", current.version, "user spaces are always live")
        try:
            print_ = fingerprint(directory)
            if current is not None and self._fingerprints.get(name) == print_:
                return ReloadChange(name, "unchanged", current.version)
            space = self._load(directory)
        except (ArtifactError, OSError, ValueError) as error:
            log.error("reload of %s failed, still serving the old version: %s", name, error)
            raise FailedPrecondition(f"spaces: '{name}' could not be loaded: {error}") from error
        space.recall_at_10()
        self._install(space, print_)
        log.info("space %s: version %d is now current", name, space.version)
        return ReloadChange(name, "replaced" if current else "added", space.version)

    def _install(self, space: Space, print_: str) -> None:
        """Makes `space` current; `print_` is its artifact's fingerprint from before loading (a
        change racing the load is caught by the next reload). User spaces rewrite their own
        directory, but reload skips them, so theirs is never compared."""
        shadowed = self._aliases.target(space.name)
        if shadowed is not None:
            log.warning(
                "space %s takes the name of the alias of %s: calls naming it reach the space; "
                "delete the alias (DeleteAlias)",
                space.name,
                shadowed,
            )
        with self._lock:
            versions = self._versions.setdefault(space.name, {})
            space.version = max(versions, default=0) + 1
            versions[space.version] = space
            self._fingerprints[space.name] = print_
            # The swap: one assignment, atomic under the GIL, seen by the next lookup.
            self._current[space.name] = space

    def _load(self, directory: Path) -> Space:
        artifact = load_artifact(directory, verify=self.settings.verify_artifacts)
        manifest = artifact.manifest
        if manifest.name != directory.name:
            raise ArtifactError(f"manifest names '{manifest.name}' but lies in '{directory.name}'")
        key = cache_key(manifest)
        stored = self._stored_index(directory, manifest, key)
        try:
            space, digest = self._space_of(artifact, stored)
        except StoredIndexMismatch as error:
            log.warning("space %s: stored index is stale (%s); building it", manifest.name, error)
            self._forget_stored(manifest.name, key)
            stored = None
            space, digest = self._space_of(artifact, None)
        folded = manifest.kind == USER_KIND and self._replay_log(space, directory)
        held_dead = len(stored.dead_labels) if stored is not None else 0
        if not folded:
            # The rows loaded are the index's live labels unless a repeated id killed one.
            live = space.index.tombstones == held_dead
            space.note_snapshot_on_disk(space.index.live.labels() if live else None)

        def built_over(count: int) -> RowsIdentity:
            if digest is not None and not folded:  # the rows loaded, as hashed then
                return RowsIdentity(digest.hexdigest(), manifest.listed_sha256(VECTORS))
            return self._snapshot_rows(directory, count)

        unchanged = stored is not None and space.index.live.size == stored.labels
        if (unchanged and space.index.tombstones == held_dead) or self._store(space, built_over):
            space.note_index_cached()
        if manifest.kind == USER_KIND:
            space.journal = self._journal(directory)
            cache = self._cache_for(manifest)
            if cache is not None:
                space.refit_index_entry = partial(cache.refit, manifest.name, key, directory)
        return space

    def _space_of(
        self, artifact: Artifact, stored: StoredIndex | None
    ) -> tuple[Space, RowsDigest | None]:
        """The space of an artifact's rows, its index built, or `stored` from the index cache
        with any further rows added; and the sha256 of the rows' vectors, where the cache may
        need it."""
        manifest = artifact.manifest
        index = build_index(manifest.index, manifest.dim, manifest.metric)
        if stored is not None:
            index.restore(stored.index, stored.labels)
        digest = self._rows_digest(manifest, stored)
        model = None
        if manifest.kind != USER_KIND:
            model = load_model(artifact, self.settings.torch_threads)
        space = Space(manifest, index, model=model, **self._tuning)
        space.load_rows(artifact, stored.held_labels() if stored is not None else None, digest)
        if stored is not None:
            space.index_restored = True
            if stored.recall_at_10 is not None:
                space.remember_recall(stored.rows, stored.recall_at_10)
        return space, digest

    def _rows_digest(
        self, manifest: SpaceManifest, stored: StoredIndex | None
    ) -> RowsDigest | None:
        """What the load hashes its rows into: for storing an index built, or grown from a
        stored one (whose rows it checks again, in case the file changed since they were
        checked); nothing for a flat index, or one read whole (hashing 1M x 128 took 0.32 s)."""
        if stored is not None:
            return stored.digest() if stored.rows < manifest.count else None
        return RowsDigest() if self._cache_for(manifest) else None

    def _cache_for(self, manifest: SpaceManifest) -> IndexCache | None:
        """The index cache, where it may hold this space's index (flat indexes are not stored)."""
        return None if manifest.index.kind is IndexKind.FLAT else self._index_cache

    def _replay_log(self, space: Space, directory: Path) -> bool:
        """Applies a user space's logged writes; whether they were folded into a new snapshot."""
        replayed = 0
        segments = log_segments(directory)
        for segment in segments:
            for record in replay(segment, space.manifest.dim):
                space.replay(record)
                replayed += 1
        if not replayed and len(segments) <= 1:
            return False
        # Fold the log into a fresh snapshot so that start-up time stays bounded.
        space.write_snapshot_now(self.root, durable=self.settings.fsync_writes)
        log.info("space %s: replayed %d logged writes into a new snapshot", space.name, replayed)
        return True

    def _stored_index(
        self, directory: Path, manifest: SpaceManifest, key: str
    ) -> StoredIndex | None:
        cache = self._cache_for(manifest)
        if cache is None:
            return None
        checked = manifest.listed_sha256(VECTORS) if self.settings.verify_artifacts else None
        stored = cache.read(manifest.name, key, directory, manifest.count, checked)
        if stored is not None:
            log.info(
                "space %s: index of %d of its %d rows read from the index cache",
                manifest.name,
                stored.rows,
                manifest.count,
            )
        return stored

    def _store(self, space: Space, built_over: Callable[[int], RowsIdentity]) -> bool:
        """Keeps the space's index for later loads, for the snapshot or artifact on disk, whose
        rows are the labels `space.snapshot_on_disk()` (its other labels are stored as dead)
        and hash as `built_over(rows)` says: whether the cache now holds it. Not an index due
        for a rebuild: the next load builds it without its dead rows."""
        index = space.index.stored_form()
        labels = space.snapshot_on_disk()
        if index is None or labels is None or not self._storable(space):
            return False
        try:
            rows = built_over(len(labels))
        except (ArtifactError, OSError) as error:
            log.warning("space %s: index not stored: %s", space.name, error)
            return False
        dead = labels_other_than(labels, index.ntotal)
        assert self._index_cache is not None
        key = cache_key(space.manifest)
        return self._index_cache.write(space.name, key, index, rows, space.recall_at_10(), dead)

    def _storable(self, space: Space) -> bool:
        return (
            self._index_cache is not None
            and space.index.stored_form() is not None
            and space.count > 0
            and not space.rebuild_due
        )

    def _snapshot_rows(self, directory: Path, count: int) -> RowsIdentity:
        """The `count` rows of the snapshot in `directory`, hashed from the file."""
        snapshot = read_manifest(directory)
        if snapshot.count != count:
            raise ArtifactError(f"{directory} holds {snapshot.count} rows, not {count}")
        return RowsIdentity(vectors_sha256(directory, count), snapshot.listed_sha256(VECTORS))

    def _store_at_close(self, space: Space) -> None:
        """A user space's index, if writes changed it since the cache last held it, with the
        log folded into a snapshot first: the next start then reads both, with nothing to
        replay and no copy of the logged points in the index. Writes have ended, so neither
        changes meanwhile."""
        if space.index_cached or not self._storable(space):
            return
        began = time.perf_counter()
        directory = self.root / space.name
        try:
            # Also when the snapshot's labels are not known in this numbering (a rebuild since).
            logged = any(path.exists() and path.stat().st_size for path in log_segments(directory))
            if logged or space.snapshot_on_disk() is None:
                space.write_snapshot_now(self.root, durable=self.settings.fsync_writes)
        except (ArtifactError, OSError) as error:
            log.warning("space %s: no snapshot at stop (%s); its log stays", space.name, error)
            return
        if self._store(space, partial(self._snapshot_rows, directory)):
            space.note_index_cached()
            log.info("space %s: index stored in %.1f s", space.name, time.perf_counter() - began)

    def _forget_stored(self, name: str, key: str | None = None) -> None:
        if self._index_cache is not None:
            self._index_cache.forget(name, key)

    @property
    def _tuning(self) -> dict[str, int]:
        return {
            "exact_scan_points": self.settings.filter_exact_scan_points,
            "write_threads": self.settings.write_threads,
        }

    def _journal(self, directory: Path) -> Journal:
        return Journal(
            directory,
            fsync=self.settings.fsync_writes,
            compact_bytes=self.settings.wal_compact_bytes,
        )

    def _require_loaded(self) -> None:
        if not self.loaded:
            raise Unavailable("the server is still loading its spaces; retry shortly")

    def get(self, reference: str) -> Space:
        """The current version of a space, or an explicit one ('name@2')."""
        self._require_loaded()
        name, version = split_version(reference)
        if name not in self._current:
            name = self._aliases.target(name) or name
        if version is None:
            space = self._current.get(name)
        else:
            space = self._versions.get(name, {}).get(version)
        if space is None:
            if name in self._current:
                loaded = ", ".join(str(v) for v in sorted(self._versions[name]))
                raise NotFound(f"space: '{name}' has no version {version} (loaded: {loaded})")
            raise self._no_space(name)
        return space

    def _no_space(self, name: str) -> NotFound:
        known = ", ".join(sorted(self._current)) or "none"
        return NotFound(f"space: '{name}' does not exist (spaces: {known})")

    def versions(self, name: str) -> list[int]:
        return sorted(self._versions.get(name, {}))

    def all(self) -> list[Space]:
        self._require_loaded()
        return [self._current[name] for name in sorted(self._current)]

    def create(
        self, name: str, dim: int, metric: Metric, description: str, index: IndexConfig
    ) -> Space:
        self._require_loaded()
        with self._lock:
            if name in self._current or (self.root / name).exists():
                raise AlreadyExists(f"space: '{name}' already exists")
            target = self._aliases.target(name)
            if target is not None:
                raise AlreadyExists(f"space: '{name}' is an alias of '{target}'")
            if len(self._current) >= self.settings.max_spaces:
                raise ResourceExhausted(
                    f"space: the server holds {len(self._current):,} spaces, its limit "
                    f"(max_spaces {self.settings.max_spaces:,}); drop one to create '{name}'"
                )
            manifest = empty_manifest(name, dim, metric, description, index)
            space = Space(manifest, build_index(index, dim, metric), **self._tuning)
            directory = space.write_snapshot_now(self.root, durable=self.settings.fsync_writes)
            space.journal = self._journal(directory)
            space.version = 1
            self._versions[name] = {1: space}
            self._current[name] = space
            return space

    def drop(self, reference: str) -> None:
        """Drops an old version from memory, or a user space with its data."""
        space = self.get(reference)
        with self._lock:
            if self._versions.get(space.name, {}).get(space.version) is not space:
                # Another call dropped it (or replaced it) since `get` found it.
                raise NotFound(f"space: '{reference}' was dropped meanwhile")
            if space is not self._current.get(space.name):
                del self._versions[space.name][space.version]
                return
            if not space.writable:
                raise FailedPrecondition(
                    f"space: '{reference}' is the current version of a space produced by "
                    f"{space.manifest.kind}, which is read-only; drop older versions by "
                    f"'{space.name}@N', or remove {self.root / space.name} and restart"
                )
            aliases = self._aliases.pointing_at(space.name)
            if aliases:
                raise FailedPrecondition(
                    f"space: '{space.name}' is what alias {', '.join(map(repr, aliases))} "
                    "points at; point it elsewhere (SetAlias) or delete it (DeleteAlias) first"
                )
            del self._current[space.name], self._versions[space.name]
        space.drop()
        shutil.rmtree(self.root / space.name)
        self._forget_stored(space.name)

    def set_alias(self, alias: str, space: str) -> str | None:
        """Points `alias` at the space named `space`; the space it pointed at before."""
        self._require_loaded()
        with self._lock:
            if alias in self._current:
                raise AlreadyExists(f"alias: '{alias}' is a space's name; pick another")
            if space not in self._current:
                target = self._aliases.target(space)
                if target is not None:
                    raise InvalidArgument(
                        f"space: '{space}' is an alias (of '{target}'); point at a space"
                    )
                raise self._no_space(space)
            return self._aliases.point(alias, space)

    def delete_alias(self, alias: str) -> str:
        """Removes `alias`; the space it pointed at."""
        self._require_loaded()
        with self._lock:
            if self._aliases.target(alias) is None:
                known = ", ".join(name for name, _ in self._aliases.items()) or "none"
                raise NotFound(f"alias: '{alias}' does not exist (aliases: {known})")
            return self._aliases.remove(alias)

    def aliases_of(self, space: str) -> list[str]:
        return self._aliases.pointing_at(space)

    def aliases(self) -> list[tuple[str, str]]:
        """(alias, space) pairs, by alias."""
        self._require_loaded()
        return self._aliases.items()

    def close(self) -> None:
        for space in self._current.values():
            space.close()
            if space.writable:
                self._store_at_close(space)
