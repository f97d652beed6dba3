"""The asyncio client: the same methods as Client, each returning an awaitable."""

from __future__ import annotations

from typing import Any

import grpc

from semspace.client import operations as ops
from semspace.client.api import SpaceApi
from semspace.client.errors import from_rpc_error


class AsyncClient(SpaceApi):
    """`async with AsyncClient(address) as client: await client.search(...)`."""

    _aio = True

    async def _run(self, operation: ops.Operation[Any], timeout: float | None) -> Any:
        name, request, parse = operation
        try:
            response = await self._rpc(name)(
                request, timeout=timeout or self.timeout, metadata=self._metadata
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        return parse(response)

    async def close(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
