"""Aliases: names that point at a space and move from one to another atomically.

Reload swaps in a new version of a trained space under its own name; a user space has no such
versions. An alias covers both: build "products-v2" beside "products-v1", then point
"products" at it, and every call naming "products" goes to the new space from the next lookup
on, with none failing meanwhile. The table is kept in `<artifacts>/.aliases.json` (hidden, so
never taken for a space), written whole through a temporary file and a rename, so that a crash
leaves either the old table or the new one.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from semspace.artifact import write_json_atomic

log = logging.getLogger(__name__)

ALIASES_FILE = ".aliases.json"


class AliasTable:
    def __init__(self, root: Path) -> None:
        self._path = root / ALIASES_FILE
        self._targets: dict[str, str] = {}

    def load(self) -> None:
        """The table as last written; an unreadable one is logged and served as empty (the
        spaces are all still reachable by their own names)."""
        try:
            targets = json.loads(self._path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as error:
            log.error("aliases: %s is unreadable (%s); serving without aliases", self._path, error)
            return
        if not isinstance(targets, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in targets.items()
        ):
            log.error("aliases: %s is not an object of names; serving without aliases", self._path)
            return
        self._targets = targets

    def target(self, alias: str) -> str | None:
        return self._targets.get(alias)

    def pointing_at(self, space: str) -> list[str]:
        return sorted(alias for alias, target in self._targets.items() if target == space)

    def items(self) -> list[tuple[str, str]]:
        return sorted(self._targets.items())

    def point(self, alias: str, space: str) -> str | None:
        """Points `alias` at `space`; the space it pointed at before, if any. On disk first:
        if the write fails, nothing changes."""
        before = self._targets.get(alias)
        self._save({**self._targets, alias: space})
        return before

    def remove(self, alias: str) -> str:
        """Removes `alias` (which exists); the space it pointed at."""
        target = self._targets[alias]
        self._save({name: space for name, space in self._targets.items() if name != alias})
        return target

    def _save(self, targets: dict[str, str]) -> None:
        write_json_atomic(self._path, json.dumps(targets, indent=1, sort_keys=True) + "\n")
        self._targets = targets
