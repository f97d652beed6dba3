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
    Embeddings,
    Image,
    Images,
    Neighbors,
    OddOneOut,
    Points,
    SpaceInfo,
    Text,
    Tokens,
    UpsertResult,
)

__all__ = [
    "AlreadyExistsError",
    "ArithmeticResult",
    "AsyncClient",
    "AuthError",
    "Client",
    "DeleteResult",
    "Embeddings",
    "FailedPreconditionError",
    "Image",
    "Images",
    "InvalidArgumentError",
    "Neighbors",
    "NotFoundError",
    "OddOneOut",
    "Points",
    "ResourceExhaustedError",
    "SemspaceError",
    "SpaceInfo",
    "Text",
    "Tokens",
    "UnavailableError",
    "UnimplementedError",
    "UpsertResult",
]
