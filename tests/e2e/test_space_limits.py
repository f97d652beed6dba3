"""How many spaces one server holds: `max_spaces`, and the open files that each writable space
keeps (its write-ahead log)."""

from __future__ import annotations

import re
import resource
from pathlib import Path

import numpy as np
import pytest

from semspace.client import Client, ResourceExhaustedError
from semspace.server.open_files import CEILING
from tests.e2e.processes import ServerProcess


def test_create_space_past_max_spaces_is_refused_until_one_is_dropped(
    start_server, tmp_path: Path
) -> None:
    server = start_server(max_spaces=3)
    with Client(server.address, timeout=60) as client:
        for name in ("a", "b", "c"):
            client.create_space(name, 2)
        with pytest.raises(ResourceExhaustedError, match=r"holds 3 spaces.*max_spaces 3.*'d'"):
            client.create_space("d", 2)
        assert [space.name for space in client.list_spaces()] == ["a", "b", "c"]
        assert not (tmp_path / "artifacts" / "d").exists()
        client.drop_space("b")
        client.create_space("d", 2)
        assert [space.name for space in client.list_spaces()] == ["a", "c", "d"]


def open_files_limit(pid: int) -> tuple[int, int]:
    """(soft, hard) limit on open files of a running process, from /proc."""
    limits = Path(f"/proc/{pid}/limits").read_text()
    found = re.search(r"Max open files\s+(\S+)\s+(\S+)", limits)
    assert found is not None, limits
    soft, hard = (resource.RLIM_INFINITY if v == "unlimited" else int(v) for v in found.groups())
    return soft, hard


def test_the_server_lifts_its_soft_open_files_limit_to_the_hard_one(tmp_path: Path) -> None:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    server = ServerProcess(tmp_path / "artifacts", rlimits={resource.RLIMIT_NOFILE: (64, hard)})
    try:
        lifted = CEILING if hard == resource.RLIM_INFINITY else min(hard, CEILING)
        assert open_files_limit(server.process.pid) == (lifted, hard)
        with Client(server.address, timeout=60) as client:
            for i in range(80):  # one log file open each: past the 64 the server started with
                client.create_space(f"s{i}", 2)
            assert len(client.list_spaces()) == 80
    finally:
        server.stop()


def test_running_out_of_open_files_is_resource_exhausted_and_loses_nothing(
    tmp_path: Path,
) -> None:
    server = ServerProcess(tmp_path / "artifacts", rlimits={resource.RLIMIT_NOFILE: (64, 64)})
    try:
        assert any("too few for max_spaces=1000" in line for line in server.lines)
        created: list[str] = []
        with Client(server.address, timeout=60) as client:
            with pytest.raises(ResourceExhaustedError, match="out of open files") as raised:
                for i in range(64):
                    client.create_space(f"s{i}", 2)
                    created.append(f"s{i}")
            assert "retry later" in str(raised.value)
            # The server goes on: the space it could not make is not half there, and the
            # others take writes (their logs are open already).
            assert sorted(s.name for s in client.list_spaces()) == sorted(created)
            for i, name in enumerate(created):
                client.upsert(name, ["p"], np.ones((1, 2)), {"i": i})
                assert client.get(name, ["p"], with_payloads=True).payloads == [{"i": i}]
            client.drop_space(created.pop())
            client.drop_space(created.pop())
            client.create_space("again", 2)
    finally:
        server.stop()
