"""Shared fixtures: a real server on 127.0.0.1 with an ephemeral port, over a temporary artifacts
directory, and clients connected to it."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from semspace.client import Client
from semspace.server import points_copy
from semspace.server.app import SemspaceServer, create_server
from semspace.server.settings import ServerSettings

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


def data_dir() -> Path:
    """Datasets for tests: SEMSPACE_DATA_DIR, else ../shared/data beside the repository."""
    return Path(os.environ.get("SEMSPACE_DATA_DIR", REPO.parent / "shared" / "data"))


def settings_for(artifacts_dir: Path, **overrides: object) -> ServerSettings:
    return ServerSettings(host="127.0.0.1", port=0, artifacts_dir=artifacts_dir, **overrides)


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., SemspaceServer]]:
    """Starts servers over tmp_path/artifacts (same directory each call, to test restarts)."""
    running: list[SemspaceServer] = []

    def start(**overrides: object) -> SemspaceServer:
        server = create_server(settings_for(tmp_path / "artifacts", **overrides))
        server.load()
        running.append(server)
        return server

    yield start
    for server in running:
        server.stop(0)


@pytest.fixture
def server(start_server: Callable[..., SemspaceServer]) -> SemspaceServer:
    return start_server()


@pytest.fixture
def client(server: SemspaceServer) -> Iterator[Client]:
    # Generous: a deadline here guards against hangs, not slowness on a busy machine.
    with Client(server.address, timeout=60) as connected:
        yield connected


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    """Polls `condition` until it holds; fails naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {seconds:g} s"
        time.sleep(0.02)


def wait_for_rebuild(client: Client, space: str, tombstones: int = 0, seconds: float = 30) -> None:
    """Waits for a space's background rebuild to swap in: its dead rows down to `tombstones`."""
    wait_until(
        lambda: client.get_space(space).index_info.tombstones <= tombstones,
        f"space {space} rebuilt",
        seconds,
    )


@dataclass(frozen=True)
class PausedBlocks:
    """Set when a block-at-a-time read (`IndexRows`) reaches its second block; it waits there
    until `go_on` is set (30 s at most)."""

    second_block: threading.Event = field(default_factory=threading.Event)
    go_on: threading.Event = field(default_factory=threading.Event)


def pause_at_second_block(monkeypatch: pytest.MonkeyPatch, block_rows: int) -> PausedBlocks:
    """Makes every `IndexRows` read `block_rows` rows a block and pause before its second block,
    so that a test can write while a snapshot, a rebuild or a recall measurement is half read."""
    monkeypatch.setattr(points_copy, "BLOCK_ROWS", block_rows)
    paused = PausedBlocks()
    blocks = points_copy.IndexRows.blocks

    def pausing_blocks(self: points_copy.IndexRows) -> Iterator:
        for number, block in enumerate(blocks(self)):
            if number == 1:
                paused.second_block.set()
                paused.go_on.wait(30)
            yield block

    monkeypatch.setattr(points_copy.IndexRows, "blocks", pausing_blocks)
    return paused
