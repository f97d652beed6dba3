"""The blocking client."""

from __future__ import annotations

from typing import Any

import grpc
from grpc_health.v1 import health_pb2_grpc

from semspace.client import operations as ops
from semspace.client.api import DEFAULT_ADDRESS, DEFAULT_TIMEOUT, MAX_MESSAGE_BYTES, SpaceApi
from semspace.client.errors import from_rpc_error
from semspace.v1 import semspace_pb2_grpc as pb_grpc


def channel_options(max_message_bytes: int) -> list[tuple[str, int]]:
    return [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
    ]


class Client(SpaceApi):
    """Talks to a semspace server; numpy in and out; use as a context manager.

    >>> with Client("127.0.0.1:50051") as client:
    ...     client.analogy("words", "man", "king", "woman").ids[0]
    """

    def __init__(
        self,
        address: str = DEFAULT_ADDRESS,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
    ) -> None:
        self.address = address
        self.timeout = timeout
        self._channel = grpc.insecure_channel(address, options=channel_options(max_message_bytes))
        self._stubs = (
            pb_grpc.SemspaceStub(self._channel),
            health_pb2_grpc.HealthStub(self._channel),
        )

    def _run(self, operation: ops.Operation[Any], timeout: float | None) -> Any:
        name, request, parse = operation
        try:
            response = self._rpc(name)(request, timeout=timeout or self.timeout)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        return parse(response)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
