"""The client's exceptions: each gRPC failure becomes one of these, keeping the server's message."""

from __future__ import annotations

import grpc


class SemspaceError(Exception):
    """Base of every error the client raises; `code` is the gRPC status name."""

    code: str = "UNKNOWN"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidArgumentError(SemspaceError, ValueError):
    """The request was malformed; the message names the field and the limit."""

    code = "INVALID_ARGUMENT"


class NotFoundError(SemspaceError, KeyError):
    """A space or a point id does not exist."""

    code = "NOT_FOUND"

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


class AlreadyExistsError(SemspaceError):
    code = "ALREADY_EXISTS"


class ResourceExhaustedError(SemspaceError):
    """A request above a server limit (batch size, message size)."""

    code = "RESOURCE_EXHAUSTED"


class FailedPreconditionError(SemspaceError):
    """The space cannot do this in its state, e.g. writing to a trained, read-only space."""

    code = "FAILED_PRECONDITION"


class AbortedError(SemspaceError):
    """A concurrent change on the server made the call meaningless, e.g. a scroll cursor from
    before a restart: start the operation again from its beginning."""

    code = "ABORTED"


class UnimplementedError(SemspaceError):
    code = "UNIMPLEMENTED"


class AuthError(SemspaceError):
    """Missing or wrong credentials (UNAUTHENTICATED) or not allowed (PERMISSION_DENIED)."""


class UnavailableError(SemspaceError):
    """The server could not be reached, is loading, or the deadline passed; safe to retry reads."""


_BY_CODE: dict[grpc.StatusCode, type[SemspaceError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.OUT_OF_RANGE: InvalidArgumentError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExistsError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhaustedError,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPreconditionError,
    grpc.StatusCode.ABORTED: AbortedError,
    grpc.StatusCode.UNIMPLEMENTED: UnimplementedError,
    grpc.StatusCode.UNAUTHENTICATED: AuthError,
    grpc.StatusCode.PERMISSION_DENIED: AuthError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.DEADLINE_EXCEEDED: UnavailableError,
}


def from_rpc_error(error: grpc.RpcError) -> SemspaceError:
    """The one translation of a gRPC error into the client's own exception."""
    status: grpc.StatusCode = error.code()  # type: ignore[attr-defined]
    message = error.details() or status.name  # type: ignore[attr-defined]
    return _BY_CODE.get(status, SemspaceError)(message, code=status.name)
