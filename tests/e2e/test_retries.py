"""The client sends reads again while the server cannot answer them, and never resends writes."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from semspace.cli import main
from semspace.client import AsyncClient, Client, SemspaceError, UnavailableError
from semspace.client.channel import retry_policy
from semspace.server.app import SemspaceServer, create_server
from semspace.server.prometheus_metrics import REGISTRY
from tests.conftest import settings_for, wait_until


def refusals(rpc: str) -> float:
    """Calls of `rpc` the server answered UNAVAILABLE, in this process so far."""
    labels = {"rpc": rpc, "code": "UNAVAILABLE"}
    return REGISTRY.get_sample_value("semspace_requests_total", labels) or 0.0


@pytest.fixture
def loading_server(tmp_path: Path):
    """Bound and answering, its spaces not loaded yet: every space call is UNAVAILABLE. Metrics
    on, for `refusals` to count."""
    server = create_server(settings_for(tmp_path / "artifacts", metrics_port=0))
    yield server
    server.stop(0)


def test_a_read_waits_out_a_server_still_loading(loading_server: SemspaceServer) -> None:
    before = refusals("ListSpaces")
    with Client(loading_server.address, timeout=30) as client, ThreadPoolExecutor(1) as pool:
        listing = pool.submit(client.list_spaces)
        wait_until(lambda: refusals("ListSpaces") > before, "a first refused attempt")
        loading_server.load()
        assert listing.result(timeout=30) == []


async def test_the_async_client_waits_it_out_too(loading_server: SemspaceServer) -> None:
    before = refusals("ListSpaces")
    async with AsyncClient(loading_server.address, timeout=30) as client:
        listing = asyncio.create_task(client.list_spaces())
        for _ in range(3000):  # 30 s at most
            if refusals("ListSpaces") > before:
                break
            await asyncio.sleep(0.01)
        loading_server.load()
        assert await listing == []


def searches_through_a_restart(tmp_path: Path, retries: int) -> list[Exception]:
    """Searches in a loop while the server stops and a new one starts on its port; the
    errors the searching client saw."""
    artifacts = tmp_path / "artifacts"
    first = create_server(settings_for(artifacts, grace_seconds=0.5))
    first.load()
    port = first.port
    with Client(first.address, timeout=30) as writer:
        writer.create_space("cities", 2, "l2")
        writer.upsert("cities", ["paris", "rome"], [[48.9, 2.4], [41.9, 12.5]])
    errors: list[Exception] = []
    served = threading.Event()
    stop = threading.Event()

    def search_loop() -> None:
        with Client(first.address, timeout=30, retries=retries) as client:
            while not stop.is_set():
                try:
                    assert client.search("cities", [48.0, 2.0], 1).ids == ["paris"]
                    served.set()
                except SemspaceError as error:
                    errors.append(error)
                    time.sleep(0.01)

    searcher = threading.Thread(target=search_loop)
    searcher.start()
    second = None
    try:
        assert served.wait(30)
        first.stop(0.5)
        second = create_server(settings_for(artifacts).model_copy(update={"port": port}))
        second.load()
        served.clear()
        assert served.wait(30), "no search answered by the new server"
    finally:
        stop.set()
        searcher.join()
        if second is not None:
            second.stop(0)
    return errors


def test_reads_ride_through_a_restart(tmp_path: Path) -> None:
    assert searches_through_a_restart(tmp_path, retries=4) == []


def test_without_retries_a_restart_fails_reads(tmp_path: Path) -> None:
    assert searches_through_a_restart(tmp_path, retries=0)


def test_without_retries_a_read_fails_at_once(loading_server: SemspaceServer) -> None:
    before = refusals("ListSpaces")
    with (
        Client(loading_server.address, timeout=30, retries=0) as client,
        pytest.raises(UnavailableError, match="still loading"),
    ):
        client.list_spaces()
    assert refusals("ListSpaces") == before + 1


def test_a_write_is_sent_once(loading_server: SemspaceServer) -> None:
    before = refusals("CreateSpace")
    with (
        Client(loading_server.address, timeout=30) as client,
        pytest.raises(UnavailableError, match="still loading"),
    ):
        client.create_space("cities", 2, "l2")
    assert refusals("CreateSpace") == before + 1


@pytest.mark.parametrize("retries", [-1, 5])
def test_retries_out_of_range_are_refused(retries: int) -> None:
    with pytest.raises(ValueError, match="retries: must be between 0 and 4"):
        retry_policy(retries)


def test_the_command_line_takes_retries(capsys, loading_server: SemspaceServer) -> None:
    code = main(["--address", loading_server.address, "--retries", "0", "aliases"])
    assert code == 2 and "still loading" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--address", loading_server.address, "--retries", "5", "aliases"])
    assert "--retries: invalid choice: 5" in capsys.readouterr().err
