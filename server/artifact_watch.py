"""Swapping in spaces whose artifacts change on disk without a Reload call: a thread polls the
artifacts directory every `reload_interval_seconds` and reloads what a Reload would.

Polling rather than file events: a trainer replaces a space's directory with two renames
(`swap_in`), after which the manifest, whose hash the registry compares, says whether anything
changed; a poll of N spaces reads N small manifests. A space that fails to load keeps its old
version serving; the same content is tried again only after RETRY_SECONDS, so a broken
artifact is logged once a minute, not at every poll.
"""

from __future__ import annotations

import logging
import threading
import time

from semspace.artifact import discover
from semspace.server.errors import SemspaceError
from semspace.server.registry import ReloadChange, SpaceRegistry, fingerprint

log = logging.getLogger(__name__)

RETRY_SECONDS = 60.0


class ArtifactWatch:
    def __init__(self, registry: SpaceRegistry, interval: float) -> None:
        self._registry = registry
        self._interval = interval
        self._stopping = threading.Event()
        # Space name -> (fingerprint of the content that failed, when).
        self._failed: dict[str, tuple[str, float]] = {}
        self._thread = threading.Thread(target=self._run, name="artifact-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                self.poll()
            except Exception:  # the watch must outlive any one bad poll
                log.exception("artifact watch: poll failed; trying again in %s s", self._interval)

    def poll(self) -> list[ReloadChange]:
        """Reloads each space whose artifact changed since it was loaded; the changes made."""
        changes = []
        for directory in discover(self._registry.root):
            name = directory.name
            try:
                content = fingerprint(directory)
            except OSError:
                continue  # being replaced: the next poll sees the new one
            failed = self._failed.get(name)
            if failed and failed[0] == content and time.monotonic() - failed[1] < RETRY_SECONDS:
                continue
            try:
                change = self._registry.reload_directory(directory)
            except SemspaceError:  # logged by the registry; the old version keeps serving
                self._failed[name] = (content, time.monotonic())
                continue
            self._failed.pop(name, None)
            if change.action in ("added", "replaced"):
                changes.append(change)
        return changes
