"""Each client operation as (rpc name, request, parser): shared by Client and AsyncClient so that
the two never drift apart; only the transport differs."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from semspace.client.types import (
    ArithmeticResult,
    DeleteResult,
    Neighbors,
    Points,
    SpaceInfo,
    UpsertResult,
)
from semspace.v1 import semspace_pb2 as pb
from semspace.vectors import as_matrix, pack, unpack

T = TypeVar("T")
Operation = tuple[str, Any, Callable[[Any], T]]

# A query or arithmetic term: a point id, or a vector (any 1-D array-like of floats).
Target = str | Sequence[float] | np.ndarray
Payload = dict[str, Any] | None

METRICS = {"cosine": pb.METRIC_COSINE, "l2": pb.METRIC_L2, "ip": pb.METRIC_INNER_PRODUCT}
METRIC_NAMES = {value: key for key, value in METRICS.items()}
METHODS = {"3cosadd": pb.ARITHMETIC_METHOD_COS_ADD, "3cosmul": pb.ARITHMETIC_METHOD_COS_MUL}


def _vector_bytes(target: Sequence[float] | np.ndarray) -> bytes:
    return np.asarray(target, dtype="<f4").reshape(-1).tobytes()


def _query(target: Target) -> pb.Query:
    if isinstance(target, str):
        return pb.Query(id=target)
    return pb.Query(vector=_vector_bytes(target))


def _term(weight: float, target: Target) -> pb.Term:
    if isinstance(target, str):
        return pb.Term(weight=weight, id=target)
    return pb.Term(weight=weight, vector=_vector_bytes(target))


def _matrix(message: pb.Vectors) -> np.ndarray:
    if not message.data:
        return np.empty((0, message.dim), dtype=np.float32)
    return unpack(message.dim, message.data)


def _payloads(texts: Sequence[str]) -> list[Payload]:
    return [json.loads(text) if text else None for text in texts]


def _neighbors(message: pb.Neighbors, with_vectors: bool, with_payloads: bool) -> Neighbors:
    return Neighbors(
        ids=list(message.ids),
        scores=np.asarray(message.scores, dtype=np.float32),
        vectors=_matrix(message.vectors) if with_vectors else None,
        payloads=_payloads(message.payloads_json) if with_payloads else None,
    )


def _space(message: pb.SpaceInfo) -> SpaceInfo:
    return SpaceInfo(
        name=message.name,
        kind=message.kind,
        dim=message.dim,
        metric=METRIC_NAMES.get(message.metric, "unspecified"),
        count=message.count,
        writable=message.writable,
        created=message.created,
        description=message.description,
        producer=message.producer,
        index=message.index,
        embed_inputs=list(message.embed_inputs),
        manifest=json.loads(message.manifest_json) if message.manifest_json else {},
    )


def list_spaces() -> Operation[list[SpaceInfo]]:
    return "ListSpaces", pb.ListSpacesRequest(), lambda r: [_space(s) for s in r.spaces]


def get_space(space: str) -> Operation[SpaceInfo]:
    return "GetSpace", pb.GetSpaceRequest(space=space), lambda r: _space(r.space)


def create_space(space: str, dim: int, metric: str, description: str) -> Operation[SpaceInfo]:
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {sorted(METRICS)}, got {metric!r}")
    request = pb.CreateSpaceRequest(
        space=space, dim=dim, metric=METRICS[metric], description=description
    )
    return "CreateSpace", request, lambda r: _space(r.space)


def drop_space(space: str) -> Operation[None]:
    return "DropSpace", pb.DropSpaceRequest(space=space), lambda r: None


def upsert(
    space: str, ids: Sequence[str], vectors: Any, payloads: Sequence[Payload] | None
) -> Operation[UpsertResult]:
    dim, data = pack(as_matrix(vectors))
    request = pb.UpsertRequest(space=space, ids=list(ids), vectors=pb.Vectors(dim=dim, data=data))
    if payloads is not None:
        request.payloads_json.extend("" if p is None else json.dumps(p) for p in payloads)
    return "Upsert", request, lambda r: UpsertResult(r.inserted, r.updated, r.count)


def delete(space: str, ids: Sequence[str]) -> Operation[DeleteResult]:
    request = pb.DeleteRequest(space=space, ids=list(ids))
    return "Delete", request, lambda r: DeleteResult(r.deleted, list(r.missing_ids), r.count)


def get(space: str, ids: Sequence[str], with_payloads: bool) -> Operation[Points]:
    request = pb.GetRequest(space=space, ids=list(ids), with_payloads=with_payloads)
    return (
        "Get",
        request,
        lambda r: Points(
            ids=list(r.ids),
            vectors=_matrix(r.vectors),
            payloads=_payloads(r.payloads_json) if with_payloads else None,
        ),
    )


def search_batch(
    space: str,
    queries: Sequence[Target] | np.ndarray,
    k: int | None,
    exclude_ids: Sequence[str],
    with_vectors: bool,
    with_payloads: bool,
    include_query_ids: bool,
) -> Operation[list[Neighbors]]:
    request = pb.SearchRequest(
        space=space,
        queries=[_query(q) for q in queries],
        k=k,
        exclude_ids=list(exclude_ids),
        with_vectors=with_vectors,
        with_payloads=with_payloads,
        include_query_ids=include_query_ids,
    )
    return (
        "Search",
        request,
        lambda r: [_neighbors(n, with_vectors, with_payloads) for n in r.results],
    )


def arithmetic(
    space: str,
    terms: Sequence[tuple[float, Target]],
    method: str,
    k: int | None,
    include_inputs: bool,
    exclude_ids: Sequence[str],
    with_vectors: bool,
    with_payloads: bool,
) -> Operation[ArithmeticResult]:
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    request = pb.ArithmeticRequest(
        space=space,
        terms=[_term(weight, target) for weight, target in terms],
        method=METHODS[method],
        k=k,
        include_inputs=include_inputs,
        exclude_ids=list(exclude_ids),
        with_vectors=with_vectors,
        with_payloads=with_payloads,
    )
    return (
        "Arithmetic",
        request,
        lambda r: ArithmeticResult(
            neighbors=_neighbors(r.neighbors, with_vectors, with_payloads),
            query=_matrix(r.query)[0],
        ),
    )


def embed(space: str, texts: Sequence[str], images: Sequence[bytes]) -> Operation[np.ndarray]:
    request = pb.EmbedRequest(space=space, texts=list(texts), images=list(images))
    return "Embed", request, lambda r: _matrix(r.vectors)


def signed_terms(
    positive: Sequence[Target], negative: Sequence[Target]
) -> list[tuple[float, Target]]:
    """positive=[king, woman], negative=[man] -> [(+1, king), (+1, woman), (-1, man)]."""
    return [(1.0, t) for t in positive] + [(-1.0, t) for t in negative]
