"""semspace client: `Client` and `AsyncClient`, numpy in and out, typed errors; no torch."""

from semspace.client.aio import AsyncClient
from semspace.client.errors import (
    AlreadyExistsError,
    AuthError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    ResourceExhaustedError,
    SemspaceError,
    UnavailableError,
    UnimplementedError,
)
from semspace.client.sync import Client
from semspace.client.types import (
    ArithmeticResult,
    DeleteResult,
    Neighbors,
    Points,
    SpaceInfo,
    UpsertResult,
)

__all__ = [
    "AlreadyExistsError",
    "ArithmeticResult",
    "AsyncClient",
    "AuthError",
    "Client",
    "DeleteResult",
    "FailedPreconditionError",
    "InvalidArgumentError",
    "Neighbors",
    "NotFoundError",
    "Points",
    "ResourceExhaustedError",
    "SemspaceError",
    "SpaceInfo",
    "UnavailableError",
    "UnimplementedError",
    "UpsertResult",
]
