"""What operators see: Prometheus metrics, request ids echoed and logged, `semspace status`."""

from __future__ import annotations

import logging
import urllib.request

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

from semspace.cli import main
from semspace.client import AsyncClient, Client, NotFoundError
from semspace.server.app import create_server
from semspace.server.metrics import observe_batch_size
from semspace.v1 import semspace_pb2 as pb
from semspace.v1 import semspace_pb2_grpc as pb_grpc
from tests.conftest import settings_for


@pytest.fixture(scope="module")
def watched(tmp_path_factory: pytest.TempPathFactory):
    server = create_server(
        settings_for(tmp_path_factory.mktemp("watched"), metrics_port=0, access_log="all")
    )
    server.load()
    with Client(server.address) as client:
        client.create_space("cities", 2, "l2")
        client.upsert("cities", ["paris", "lyon", "rome"], [[0, 0], [1, 0], [9, 9]])
    yield server
    server.stop(0)


def scrape(server) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    url = f"http://127.0.0.1:{server.metrics.port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_count_calls_by_rpc_and_status_and_time_them(watched) -> None:
    with Client(watched.address) as client:
        client.search("cities", "paris", k=1)
        with pytest.raises(NotFoundError):
            client.search("cities", "nowhere", k=1)
    samples = scrape(watched)
    assert samples[("semspace_requests_total", (("code", "OK"), ("rpc", "Search")))] >= 1
    assert samples[("semspace_requests_total", (("code", "NOT_FOUND"), ("rpc", "Search")))] >= 1
    assert samples[("semspace_request_seconds_count", (("rpc", "Search"),))] >= 2
    assert ("semspace_request_seconds_bucket", (("le", "0.01"), ("rpc", "Search"))) in samples


def test_metrics_report_each_space_index_memory_and_process_memory(watched) -> None:
    samples = scrape(watched)
    assert samples[("semspace_space_vectors", (("space", "cities"),))] == 3
    assert samples[("semspace_index_memory_bytes", (("space", "cities"),))] > 0
    assert samples[("semspace_rebuild_running", (("space", "cities"),))] == 0
    assert samples[("semspace_index_read_from_cache", (("space", "cities"),))] == 0
    assert samples[("semspace_snapshot_failures_total", (("space", "cities"),))] == 0
    assert samples[("process_resident_memory_bytes", ())] > 10_000_000
    assert samples[("semspace_spaces_loaded", ())] == 1


def test_batch_sizes_observed_by_the_batcher_are_exported(watched) -> None:
    observe_batch_size("Search", "cities", 6)
    samples = scrape(watched)
    assert samples[("semspace_batch_size_count", (("rpc", "Search"), ("space", "cities")))] >= 1
    bucket = ("semspace_batch_size_bucket", (("le", "8.0"), ("rpc", "Search"), ("space", "cities")))
    assert samples[bucket] >= 1


def test_the_server_echoes_the_callers_request_id_even_on_errors(watched) -> None:
    with grpc.insecure_channel(watched.address) as channel:
        stub = pb_grpc.SemspaceStub(channel)
        _, call = stub.ListSpaces.with_call(
            pb.ListSpacesRequest(), metadata=(("x-request-id", "trace-42"),), timeout=5
        )
        assert ("x-request-id", "trace-42") in call.trailing_metadata()
        with pytest.raises(grpc.RpcError) as raised:
            stub.GetSpace(
                pb.GetSpaceRequest(space="ghost"), metadata=(("x-request-id", "trace-43"),)
            )
        assert ("x-request-id", "trace-43") in raised.value.trailing_metadata()


def test_the_server_makes_a_request_id_when_the_caller_sends_none(watched) -> None:
    with grpc.insecure_channel(watched.address) as channel:
        stub = pb_grpc.SemspaceStub(channel)
        ids = []
        for _ in range(2):
            _, call = stub.ListSpaces.with_call(pb.ListSpacesRequest(), timeout=5)
            ids += [value for key, value in call.trailing_metadata() if key == "x-request-id"]
    assert len(ids) == 2 and ids[0] != ids[1] and all(len(i) == 32 for i in ids)


def test_the_access_log_carries_the_clients_request_id(watched, caplog) -> None:
    caplog.set_level(logging.INFO, logger="semspace.access")
    with Client(watched.address) as client:
        client.with_request_id("checkout-7").search("cities", "paris", k=1)
    lines = [r for r in caplog.records if getattr(r, "request_id", None) == "checkout-7"]
    assert [(r.rpc, r.code) for r in lines] == [("Search", "OK")]


async def test_the_async_client_passes_request_ids_too(watched, caplog) -> None:
    caplog.set_level(logging.INFO, logger="semspace.access")
    async with AsyncClient(watched.address) as client:
        await client.with_request_id("async-9").get_space("cities")
    lines = [r for r in caplog.records if getattr(r, "request_id", None) == "async-9"]
    assert [(r.rpc, r.code) for r in lines] == [("GetSpace", "OK")]


def test_by_default_the_access_log_has_writes_and_failures_not_successful_reads(
    tmp_path, caplog
) -> None:
    caplog.set_level(logging.INFO, logger="semspace.access")
    server = create_server(settings_for(tmp_path))
    server.load()
    try:
        with Client(server.address) as client:
            client.create_space("towns", 2, "l2")
            client.upsert("towns", ["a", "b"], [[0, 0], [1, 1]])
            client.search("towns", "a", k=1)
            client.health()
            with pytest.raises(NotFoundError):
                client.search("towns", "ghost", k=1)
    finally:
        server.stop(0)
    logged = [(r.rpc, r.code) for r in caplog.records if r.name == "semspace.access"]
    assert logged == [("CreateSpace", "OK"), ("Upsert", "OK"), ("Search", "NOT_FOUND")]


def test_slow_calls_are_logged_even_when_they_are_reads(tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="semspace.access")
    server = create_server(settings_for(tmp_path, access_log="errors", slow_call_ms=1e-6))
    server.load()
    try:
        with Client(server.address) as client:
            client.list_spaces()
    finally:
        server.stop(0)
    logged = [(r.rpc, r.code) for r in caplog.records if r.name == "semspace.access"]
    assert ("ListSpaces", "OK") in logged


def test_status_prints_health_spaces_counts_aliases_version_and_uptime(watched, capsys) -> None:
    with Client(watched.address) as client:
        client.set_alias("towns", "cities")
    url = f"http://127.0.0.1:{watched.metrics.port}/metrics"
    assert main(["--address", watched.address, "status", "--metrics-url", url]) == 0
    out = capsys.readouterr().out
    assert "SERVING" in out
    assert "spaces   1, 3 vectors" in out
    assert "cities" in out and "l2" in out
    assert "version  0.1.0" in out and "uptime" in out
    assert "aliases  towns -> cities" in out
