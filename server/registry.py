"""All spaces of a server: loaded from the artifacts directory at start, created and dropped."""

from __future__ import annotations

import logging
import shutil
import threading
from pathlib import Path

import numpy as np

from semspace.artifact import ArtifactError, Metric, discover, load_artifact
from semspace.server.errors import AlreadyExists, FailedPrecondition, NotFound, Unavailable
from semspace.server.index import build_index
from semspace.server.journal import USER_KIND, Journal, empty_manifest, write_snapshot
from semspace.server.models import load_model
from semspace.server.settings import ServerSettings
from semspace.server.space import Space
from semspace.server.wal import WAL_FILE, replay

log = logging.getLogger(__name__)


class SpaceRegistry:
    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.root = Path(settings.artifacts_dir)
        self._spaces: dict[str, Space] = {}
        self._lock = threading.Lock()
        self.loaded = False

    def load_all(self) -> None:
        """Loads every space directory; a broken one is logged and skipped, not fatal."""
        self.root.mkdir(parents=True, exist_ok=True)
        for directory in discover(self.root):
            try:
                space = self._load(directory)
            except (ArtifactError, OSError, ValueError) as error:
                log.error("skipping space at %s: %s", directory, error)
                continue
            self._spaces[space.name] = space
            log.info(
                "loaded space %s (%s, %d x %d, %s)",
                space.name,
                space.manifest.kind,
                space.count,
                space.manifest.dim,
                space.manifest.metric,
            )
        self.loaded = True

    def _load(self, directory: Path) -> Space:
        artifact = load_artifact(directory, verify=self.settings.verify_artifacts)
        manifest = artifact.manifest
        if manifest.name != directory.name:
            raise ArtifactError(f"manifest names '{manifest.name}' but lies in '{directory.name}'")
        if manifest.kind != USER_KIND:
            space = Space(
                manifest,
                build_index("flat", manifest.dim, manifest.metric),
                model=load_model(artifact),
            )
            space.load_rows(artifact)
            return space
        space = Space(manifest, build_index("flat", manifest.dim, manifest.metric))
        space.load_rows(artifact)
        replayed = 0
        for record in replay(directory / WAL_FILE, manifest.dim):
            space.replay(record)
            replayed += 1
        if replayed:
            # Fold the log into a fresh snapshot so that start-up time stays bounded.
            write_snapshot(self.root, manifest, *space.live_rows())
            log.info(
                "space %s: replayed %d logged writes into a new snapshot", space.name, replayed
            )
        space.journal = self._journal(directory)
        return space

    def _journal(self, directory: Path) -> Journal:
        return Journal(
            directory,
            fsync=self.settings.fsync_writes,
            compact_bytes=self.settings.wal_compact_bytes,
        )

    def _require_loaded(self) -> None:
        if not self.loaded:
            raise Unavailable("the server is still loading its spaces; retry shortly")

    def get(self, name: str) -> Space:
        self._require_loaded()
        space = self._spaces.get(name)
        if space is None:
            known = ", ".join(sorted(self._spaces)) or "none"
            raise NotFound(f"space: '{name}' does not exist (spaces: {known})")
        return space

    def all(self) -> list[Space]:
        self._require_loaded()
        return [self._spaces[name] for name in sorted(self._spaces)]

    def create(self, name: str, dim: int, metric: Metric, description: str) -> Space:
        self._require_loaded()
        with self._lock:
            if name in self._spaces or (self.root / name).exists():
                raise AlreadyExists(f"space: '{name}' already exists")
            manifest = empty_manifest(name, dim, metric, description)
            directory = write_snapshot(
                self.root, manifest, [], np.empty((0, dim), dtype=np.float32), []
            )
            space = Space(
                manifest, build_index("flat", dim, metric), journal=self._journal(directory)
            )
            self._spaces[name] = space
            return space

    def drop(self, name: str) -> None:
        with self._lock:
            space = self.get(name)
            if not space.writable:
                raise FailedPrecondition(
                    f"space: '{name}' was produced by {space.manifest.kind} and is read-only; "
                    f"remove {self.root / name} and restart to retire it"
                )
            del self._spaces[name]
        with space.lock.write():
            assert space.journal is not None
            space.journal.close()
            shutil.rmtree(self.root / name)

    def close(self) -> None:
        for space in self._spaces.values():
            if space.journal is not None:
                with space.lock.write():
                    space.journal.close()
