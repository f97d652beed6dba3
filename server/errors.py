"""Domain errors raised by handlers, and the one place that turns them into gRPC statuses."""

from __future__ import annotations

import errno
import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import grpc

from semspace.vectors import VectorError

log = logging.getLogger(__name__)


class SemspaceError(Exception):
    """Base of all errors a client may see; `code` is the gRPC status it maps to."""

    code = grpc.StatusCode.INTERNAL


class InvalidArgument(SemspaceError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(SemspaceError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(SemspaceError):
    code = grpc.StatusCode.ALREADY_EXISTS


class FailedPrecondition(SemspaceError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class Aborted(SemspaceError):
    """A concurrent change made the request meaningless (a stale scroll cursor): start over."""

    code = grpc.StatusCode.ABORTED


class ResourceExhausted(SemspaceError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class Unimplemented(SemspaceError):
    code = grpc.StatusCode.UNIMPLEMENTED


class Unavailable(SemspaceError):
    code = grpc.StatusCode.UNAVAILABLE


class Unauthenticated(SemspaceError):
    code = grpc.StatusCode.UNAUTHENTICATED


class PermissionDenied(SemspaceError):
    code = grpc.StatusCode.PERMISSION_DENIED


# Failures of the machine, not of the request: RESOURCE_EXHAUSTED, so that callers back off
# and retry, rather than INTERNAL, which reads as a bug.
EXHAUSTED_BY_ERRNO = {
    errno.EMFILE: "out of open files",
    errno.ENFILE: "out of open files",
    errno.ENOSPC: "out of disk space",
    errno.EDQUOT: "over its disk quota",
    errno.EFBIG: "at its limit on file size",
    errno.ENOMEM: "out of memory",
}

Handler = TypeVar("Handler", bound=Callable[..., Any])


def maps_errors(handler: Handler) -> Handler:
    """Aborts the call with the status of a domain error; anything else becomes INTERNAL.

    The traceback of an unexpected error stays in the server log; the client gets its type only.
    """

    @functools.wraps(handler)
    def wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return handler(self, request, context)
        except Exception as error:
            abort(context, error, handler.__name__)

    return wrapper  # type: ignore[return-value]


def abort(context: grpc.ServicerContext, error: Exception, where: str) -> None:
    """Ends the call with the status of `error`: the one error-to-status mapping of the server."""
    if isinstance(error, SemspaceError):
        context.abort(error.code, str(error))
    if isinstance(error, VectorError):
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
    if exhausted := _exhausted(error):
        log.error("%s: the server is %s", where, exhausted, exc_info=error)
        context.abort(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            f"the server is {exhausted}; retry later, or ask its operator",
        )
    log.exception("unexpected error in %s", where)
    context.abort(grpc.StatusCode.INTERNAL, f"internal error ({type(error).__name__})")


def _exhausted(error: Exception) -> str | None:
    """What the machine ran out of, when that is why `error` happened."""
    if isinstance(error, MemoryError):
        return "out of memory"
    if isinstance(error, OSError):
        return EXHAUSTED_BY_ERRNO.get(error.errno)
    return None
