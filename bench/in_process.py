"""A real semspace server inside the benchmark's process, for benchmarks of the server's own
work (no second process to start, measure or clean up)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from semspace.server.app import SemspaceServer, create_server
from semspace.server.settings import ServerSettings


@contextmanager
def in_process_server(**settings: object) -> Iterator[SemspaceServer]:
    """A loaded server on a free loopback port over a throw-away artifacts directory, with
    these settings (e.g. fsync_writes=False); stopped at the end."""
    with tempfile.TemporaryDirectory() as artifacts:
        server = create_server(ServerSettings(port=0, artifacts_dir=Path(artifacts), **settings))
        server.load()
        try:
            yield server
        finally:
            server.stop(0)
