"""API keys over the wire: who gets in, who may write, and what stays open."""

from __future__ import annotations

import grpc
import numpy as np
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from semspace.client import AsyncClient, AuthError, Client
from semspace.server.app import create_server
from semspace.server.auth import hash_key
from tests.conftest import settings_for

READ_KEY = "read-key-0123"
WRITE_KEY = "write-key-4567"


@pytest.fixture
def keyed(start_server, tmp_path):
    keys_file = tmp_path / "keys"
    keys_file.write_text(f"read-only {hash_key(READ_KEY)}\n")
    server = start_server(api_keys_file=keys_file, api_keys=f"read-write:{WRITE_KEY}")
    with Client(server.address, api_key=WRITE_KEY) as writer:
        writer.create_space("cities", 2, "l2")
        writer.upsert("cities", ["paris", "lyon"], [[0, 0], [1, 0]])
    return server


def test_a_call_without_a_key_is_unauthenticated(keyed, monkeypatch) -> None:
    monkeypatch.delenv("SEMSPACE_API_KEY", raising=False)
    with Client(keyed.address) as client, pytest.raises(AuthError) as raised:
        client.list_spaces()
    assert raised.value.code == "UNAUTHENTICATED"
    assert "Bearer" in raised.value.message


def test_a_wrong_key_is_unauthenticated(keyed) -> None:
    with Client(keyed.address, api_key="guess") as client, pytest.raises(AuthError) as raised:
        client.search("cities", "paris")
    assert raised.value.code == "UNAUTHENTICATED"
    assert "not known" in raised.value.message


@pytest.mark.parametrize(
    ("authorization", "words"),
    [
        ((f"Basic {WRITE_KEY}",), "'Bearer KEY'"),
        # A key sent bare: the message must not echo it (it would land in logs).
        ((WRITE_KEY,), "'Bearer KEY'"),
        # Which of two keys counts would be a guess: a read-only and a read-write one, say.
        ((f"Bearer {READ_KEY}", f"Bearer {WRITE_KEY}"), "send one authorization metadata, got 2"),
    ],
)
def test_a_malformed_authorization_header_is_unauthenticated(
    keyed, authorization: tuple[str, ...], words: str
) -> None:
    with grpc.insecure_channel(keyed.address) as channel:
        call = channel.unary_unary("/semspace.v1.Semspace/CreateSpace")
        metadata = tuple(("authorization", value) for value in authorization)
        with pytest.raises(grpc.RpcError) as raised:
            call(b"", metadata=metadata, timeout=5)
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert words in raised.value.details()
    assert WRITE_KEY not in raised.value.details()


def test_a_read_only_key_reads_but_may_not_write(keyed) -> None:
    with Client(keyed.address, api_key=READ_KEY) as reader:
        assert reader.search("cities", "paris", k=1).ids == ["lyon"]
        with pytest.raises(AuthError) as raised:
            reader.upsert("cities", ["rome"], [[5, 5]])
        assert raised.value.code == "PERMISSION_DENIED"
        assert "Upsert" in raised.value.message and "read-write" in raised.value.message
        with pytest.raises(AuthError):
            reader.drop_space("cities")
        assert reader.get_space("cities").count == 2


def test_the_key_can_come_from_the_environment(keyed, monkeypatch) -> None:
    monkeypatch.setenv("SEMSPACE_API_KEY", WRITE_KEY)
    with Client(keyed.address) as client:
        assert client.upsert("cities", ["rome"], [[5, 5]]).count == 3


async def test_the_async_client_sends_its_key(keyed) -> None:
    async with AsyncClient(keyed.address, api_key=READ_KEY) as client:
        hits = await client.search("cities", np.array([0.9, 0.0]), k=1)
        assert hits.ids == ["lyon"]
        with pytest.raises(AuthError):
            await client.delete("cities", ["lyon"])


def test_health_and_reflection_need_no_key(keyed) -> None:
    with grpc.insecure_channel(keyed.address) as channel:
        health = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=5
        )
        assert health.status == health_pb2.HealthCheckResponse.SERVING
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        answers = stub.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
        )
        names = {s.name for a in answers for s in a.list_services_response.service}
    assert "semspace.v1.Semspace" in names


def test_a_streaming_rpc_added_to_the_service_later_still_needs_a_key(tmp_path) -> None:
    """Auth fails closed: a streaming method under semspace.v1.Semspace that no table lists is
    refused without a key, and treated as a write."""

    def numbers(request: bytes, context: grpc.ServicerContext):
        yield b"1"
        yield b"2"

    handler = grpc.method_handlers_generic_handler(
        "semspace.v1.Semspace", {"Unlisted": grpc.unary_stream_rpc_method_handler(numbers)}
    )
    server = create_server(
        settings_for(tmp_path, api_keys=f"read-write:{WRITE_KEY},read-only:{READ_KEY}")
    )
    server.grpc_server.add_generic_rpc_handlers((handler,))
    server.load()
    try:
        with grpc.insecure_channel(server.address) as channel:
            unlisted = channel.unary_stream("/semspace.v1.Semspace/Unlisted")
            with pytest.raises(grpc.RpcError) as raised:
                list(unlisted(b"", timeout=5))
            assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED
            with pytest.raises(grpc.RpcError) as raised:
                list(unlisted(b"", metadata=(("authorization", f"Bearer {READ_KEY}"),), timeout=5))
            assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
            answer = unlisted(b"", metadata=(("authorization", f"Bearer {WRITE_KEY}"),), timeout=5)
            assert list(answer) == [b"1", b"2"]
    finally:
        server.stop(0)
