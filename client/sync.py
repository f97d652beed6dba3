"""The blocking client."""

from __future__ import annotations

from typing import Any

import grpc

from semspace.client import operations as ops
from semspace.client.api import SpaceApi
from semspace.client.errors import from_rpc_error


class Client(SpaceApi):
    """Talks to a semspace server; numpy in and out; use as a context manager.

    >>> with Client("127.0.0.1:50051", api_key="...") as client:
    ...     client.analogy("words", "man", "king", "woman").ids[0]
    """

    def _run(self, operation: ops.Operation[Any], timeout: float | None) -> Any:
        name, request, parse = operation
        try:
            response = self._rpc(name)(
                request, timeout=timeout or self.timeout, metadata=self._metadata
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        return parse(response)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
