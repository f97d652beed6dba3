"""Built approximate indexes kept on disk between loads, so that a restart reads an HNSW graph
or a trained IVF index instead of building it again (100k x 100 HNSW: 50 s to build,
bench/load_space.py).

An entry fits only the rows it was built from, in their order, with the same index settings, the
same preparation of the vectors and the same FAISS. So its key hashes the artifact's manifest
(which lists every file's sha256, and so the rows), the index config, the metric, FAISS's version
and `CACHE_FORMAT`. Entries live at `<cache>/<space>/<key>.faiss`, each beside a `<key>.json`
giving its size and sha256, written after it: a half-written or damaged entry is a miss, never a
wrong index. A space keeps its newest entry only. The cache only ever saves work: any failure to
read or write it is logged and the index is built as without it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import faiss

from semspace.artifact import SpaceManifest, sha256_of

log = logging.getLogger(__name__)

# The cache's directory under the artifacts directory by default: hidden, so that it is never
# taken for a space (`discover`).
DEFAULT_DIRECTORY = ".index-cache"
# Bump when what an index holds for the same rows changes: how vectors are prepared for a metric
# (unit length for cosine, float16 rounding), or how labels are numbered.
CACHE_FORMAT = 1


def cache_key(manifest: SpaceManifest) -> str:
    """Identifies the index built from an artifact's rows with its index settings."""
    identity = {
        "format": CACHE_FORMAT,
        "faiss": faiss.__version__,
        "manifest": hashlib.sha256(manifest.model_dump_json().encode()).hexdigest(),
        "index": manifest.index.model_dump(mode="json"),
        "metric": manifest.metric.value,
        "dim": manifest.dim,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:32]


class IndexCache:
    """Stored indexes under `root`, one directory per space."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def read(self, space: str, key: str) -> faiss.Index | None:
        """The index stored under `key`, or None when there is none or it is damaged."""
        data, info = self._paths(space, key)
        try:
            expected = json.loads(info.read_text("utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            log.warning("index cache: %s is unreadable (%s); building the index", info, error)
            return None
        try:
            if data.stat().st_size != expected.get("bytes") or sha256_of(data) != expected.get(
                "sha256"
            ):
                log.warning("index cache: %s does not match %s; building the index", data, info)
                return None
            return faiss.read_index(str(data))
        except (OSError, RuntimeError) as error:
            log.warning("index cache: cannot read %s (%s); building the index", data, error)
            return None

    def write(self, space: str, key: str, index: faiss.Index) -> None:
        """Stores `index` under `key`, replacing the space's older entries."""
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
            description = {"bytes": temporary.stat().st_size, "sha256": sha256_of(temporary)}
            info.unlink(missing_ok=True)
            temporary.replace(data)
            temporary = None
            # Last: the description makes the entry whole.
            info.write_text(json.dumps(description), "utf-8")
            # Older entries, and what a writer that died left (another server writing this
            # space's entry just now would log that it could not store it: harmless).
            for other in directory.iterdir():
                if other.stem != key:
                    other.unlink(missing_ok=True)
        except (OSError, RuntimeError) as error:
            log.warning("index cache: cannot store the index of %s (%s)", space, error)
        finally:
            if temporary is not None:
                temporary.unlink(missing_ok=True)

    def forget(self, space: str, key: str | None = None) -> None:
        """Removes one entry of a space, or all of them (a dropped space)."""
        if key is None:
            shutil.rmtree(self.root / space, ignore_errors=True)
            return
        for path in reversed(self._paths(space, key)):  # the description first
            path.unlink(missing_ok=True)

    def _paths(self, space: str, key: str) -> tuple[Path, Path]:
        return self.root / space / f"{key}.faiss", self.root / space / f"{key}.json"
