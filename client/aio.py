"""The asyncio client: the same methods as Client, each returning an awaitable."""

from __future__ import annotations

from typing import Any

import grpc
from grpc_health.v1 import health_pb2_grpc

from semspace.client import operations as ops
from semspace.client.api import DEFAULT_ADDRESS, DEFAULT_TIMEOUT, MAX_MESSAGE_BYTES, SpaceApi
from semspace.client.errors import from_rpc_error
from semspace.client.sync import channel_options
from semspace.v1 import semspace_pb2_grpc as pb_grpc


class AsyncClient(SpaceApi):
    """`async with AsyncClient(address) as client: await client.search(...)`."""

    def __init__(
        self,
        address: str = DEFAULT_ADDRESS,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
    ) -> None:
        self.address = address
        self.timeout = timeout
        self._channel = grpc.aio.insecure_channel(
            address, options=channel_options(max_message_bytes)
        )
        self._stubs = (
            pb_grpc.SemspaceStub(self._channel),
            health_pb2_grpc.HealthStub(self._channel),
        )

    async def _run(self, operation: ops.Operation[Any], timeout: float | None) -> Any:
        name, request, parse = operation
        try:
            response = await self._rpc(name)(request, timeout=timeout or self.timeout)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        return parse(response)

    async def close(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
