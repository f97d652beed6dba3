"""Each client operation as (rpc name, request, parser): shared by Client and AsyncClient so that
the two never drift apart; only the transport differs."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
from grpc_health.v1 import health_pb2

from semspace.client.filters import filter_to_pb
from semspace.client.types import (
    ArithmeticResult,
    DeleteResult,
    Embeddings,
    Image,
    Images,
    IndexInfo,
    Neighbors,
    OddOneOut,
    Page,
    Points,
    SpaceChange,
    SpaceInfo,
    Text,
    Tokens,
    UpsertResult,
)
from semspace.v1 import semspace_pb2 as pb
from semspace.vectors import WIRE_DTYPE, VectorError, as_matrix, pack, real_array, unpack

T = TypeVar("T")
Operation = tuple[str, Any, Callable[[Any], T]]

# A query, term or item: a point id, a vector (any 1-D array-like of floats), or raw input.
Target = str | Sequence[float] | np.ndarray | Text | Image
Payload = dict[str, Any] | None

METRICS = {"cosine": pb.METRIC_COSINE, "l2": pb.METRIC_L2, "ip": pb.METRIC_INNER_PRODUCT}
METRIC_NAMES = {value: key for key, value in METRICS.items()}
METHODS = {"3cosadd": pb.ARITHMETIC_METHOD_COS_ADD, "3cosmul": pb.ARITHMETIC_METHOD_COS_MUL}


def _items(values: Any) -> list[Any]:
    """`values` as a list; one str or bytes is one item, never a run of characters or bytes
    (delete(space, "p12") would otherwise delete points "p", "1" and "2")."""
    return [values] if isinstance(values, str | bytes) else list(values)


def _strings(values: Any, field: str) -> list[str]:
    """`values` as a list of str (one str is one item); any other item is named."""
    items = _items(values)
    for position, item in enumerate(items):
        if not isinstance(item, str):
            kind = type(item).__name__
            raise TypeError(f"{field}[{position}]: must be a str, got {kind} {item!r:.40}")
    return items


def _vector_bytes(target: Sequence[float] | np.ndarray, field: str) -> bytes:
    vector = real_array(target, field, "a vector")
    if vector.ndim == 2 and len(vector) == 1:  # one row of a matrix
        vector = vector[0]
    if vector.ndim != 1:
        raise VectorError(field, f"expected one vector, got shape {vector.shape}")
    return vector.astype(WIRE_DTYPE, copy=False).tobytes()


def _target(target: Target, field: str) -> dict[str, Any]:
    if isinstance(target, str):
        return {"id": target}
    if isinstance(target, Text):
        return {"text": target.value}
    if isinstance(target, Image):
        return {"image": target.data}
    return {"vector": _vector_bytes(target, field)}


def _query(target: Target, field: str) -> pb.Query:
    return pb.Query(**_target(target, field))


def _term(weight: float, target: Target, field: str) -> pb.Term:
    return pb.Term(weight=weight, **_target(target, field))


def _pixels(pixels: Any) -> pb.Vectors | None:
    """uint8 (0..255) or float (0..1) images (n, h, w) -> rows of floats in [0, 1]."""
    if pixels is None:
        return None
    array = real_array(pixels, "pixels", "an array of images")
    if array.ndim != 3:
        raise VectorError(
            "pixels",
            f"expected images as (count, height, width), got shape {array.shape}; "
            "one image is pixels[None]",
        )
    if not len(array):
        raise VectorError("pixels", "holds no image; send at least one")
    scaled = array / 255.0 if np.asarray(pixels).dtype == np.uint8 else array
    dim, data = pack(scaled.reshape(len(array), -1))
    return pb.Vectors(dim=dim, data=data)


def _images(message: pb.ImagesResponse) -> Images:
    return Images(
        png=list(message.png), latents=_matrix(message.latents) if message.latents.data else None
    )


def _matrix(message: pb.Vectors) -> np.ndarray:
    if not message.data:
        return np.empty((0, message.dim), dtype=np.float32)
    return unpack(message.dim, message.data)


def _payloads(texts: Sequence[str]) -> list[Payload]:
    return [json.loads(text) if text else None for text in texts]


def _neighbors(
    message: pb.Neighbors, with_vectors: bool, with_payloads: bool, grouped: bool = False
) -> Neighbors:
    return Neighbors(
        ids=list(message.ids),
        scores=np.asarray(message.scores, dtype=np.float32),
        vectors=_matrix(message.vectors) if with_vectors else None,
        payloads=_payloads(message.payloads_json) if with_payloads else None,
        groups=[json.loads(value) for value in message.groups] if grouped else None,
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
        index_info=IndexInfo(
            kind=message.index_info.kind,
            params=dict(message.index_info.params),
            memory_bytes=message.index_info.memory_bytes,
            recall_at_10=message.index_info.recall_at_10,
            trained=message.index_info.trained,
            tombstones=message.index_info.tombstones,
            read_from_cache=message.index_info.read_from_cache,
        ),
        version=message.version,
        versions=list(message.versions),
        payload_fields={k: v.split(",") for k, v in message.payload_fields.items()},
        aliases=list(message.aliases),
    )


def list_spaces() -> Operation[list[SpaceInfo]]:
    return "ListSpaces", pb.ListSpacesRequest(), lambda r: [_space(s) for s in r.spaces]


def get_space(space: str) -> Operation[SpaceInfo]:
    return "GetSpace", pb.GetSpaceRequest(space=space), lambda r: _space(r.space)


def create_space(
    space: str,
    dim: int,
    metric: str,
    description: str,
    index: str = "flat",
    index_params: dict[str, int] | None = None,
) -> Operation[SpaceInfo]:
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {sorted(METRICS)}, got {metric!r}")
    request = pb.CreateSpaceRequest(
        space=space,
        dim=dim,
        metric=METRICS[metric],
        description=description,
        index=pb.IndexSpec(kind=index, params=index_params or {}),
    )
    return "CreateSpace", request, lambda r: _space(r.space)


def drop_space(space: str) -> Operation[None]:
    return "DropSpace", pb.DropSpaceRequest(space=space), lambda r: None


def upsert(
    space: str, ids: Sequence[str], vectors: Any, payloads: Sequence[Payload] | Payload
) -> Operation[UpsertResult]:
    dim, data = pack(as_matrix(vectors))
    request = pb.UpsertRequest(
        space=space, ids=_strings(ids, "ids"), vectors=pb.Vectors(dim=dim, data=data)
    )
    if payloads is not None:
        request.payloads_json.extend(_payloads_json(payloads))
    return "Upsert", request, lambda r: UpsertResult(r.inserted, r.updated, r.count)


def _payloads_json(payloads: Sequence[Payload] | Payload) -> list[str]:
    """Each payload as JSON, "" for None; one dict is the payload of one point."""
    if payloads is None or isinstance(payloads, Mapping):
        payloads = [payloads]
    return ["" if p is None else json.dumps(p) for p in payloads]


def set_payloads(
    space: str, ids: Sequence[str], payloads: Sequence[Payload] | Payload
) -> Operation[int]:
    request = pb.SetPayloadsRequest(
        space=space, ids=_strings(ids, "ids"), payloads_json=_payloads_json(payloads)
    )
    return "SetPayloads", request, lambda r: int(r.updated)


def delete(space: str, ids: Sequence[str], where: dict[str, Any] | None) -> Operation[DeleteResult]:
    if where is None:
        request = pb.DeleteRequest(space=space, ids=_strings(ids, "ids"))
    elif ids:
        raise ValueError("ids, where: give the ids to delete or a filter, not both")
    else:
        request = pb.DeleteRequest(space=space, filter=filter_to_pb(where))
    return "Delete", request, lambda r: DeleteResult(r.deleted, list(r.missing_ids), r.count)


def get(space: str, ids: Sequence[str], with_payloads: bool) -> Operation[Points]:
    request = pb.GetRequest(space=space, ids=_strings(ids, "ids"), with_payloads=with_payloads)
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
    *,
    where: dict[str, Any] | None = None,
    ef_search: int | None = None,
    nprobe: int | None = None,
    exact: bool = False,
    score_threshold: float | None = None,
    group_by: str | None = None,
    group_size: int | None = None,
) -> Operation[list[Neighbors]]:
    request = pb.SearchRequest(
        space=space,
        queries=[_query(q, f"queries[{i}]") for i, q in enumerate(_items(queries))],
        k=k,
        exclude_ids=_strings(exclude_ids, "exclude_ids"),
        with_vectors=with_vectors,
        with_payloads=with_payloads,
        include_query_ids=include_query_ids,
        filter=None if where is None else filter_to_pb(where),
        params=pb.SearchParams(ef_search=ef_search, nprobe=nprobe, exact=exact),
        score_threshold=score_threshold,
        group_by=group_by or "",
        group_size=group_size,
    )
    grouped = group_by is not None
    return (
        "Search",
        request,
        lambda r: [_neighbors(n, with_vectors, with_payloads, grouped) for n in r.results],
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
    where: dict[str, Any] | None = None,
) -> Operation[ArithmeticResult]:
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    request = pb.ArithmeticRequest(
        space=space,
        terms=[_term(weight, target, f"terms[{i}]") for i, (weight, target) in enumerate(terms)],
        method=METHODS[method],
        k=k,
        include_inputs=include_inputs,
        exclude_ids=_strings(exclude_ids, "exclude_ids"),
        with_vectors=with_vectors,
        with_payloads=with_payloads,
        filter=None if where is None else filter_to_pb(where),
    )
    return (
        "Arithmetic",
        request,
        lambda r: ArithmeticResult(
            neighbors=_neighbors(r.neighbors, with_vectors, with_payloads),
            query=_matrix(r.query)[0],
        ),
    )


def embed(
    space: str, texts: Sequence[str], images: Sequence[bytes], pixels: Any
) -> Operation[Embeddings]:
    request = pb.EmbedRequest(
        space=space, texts=_strings(texts, "texts"), images=_items(images), pixels=_pixels(pixels)
    )
    return "Embed", request, lambda r: Embeddings(_matrix(r.vectors), list(r.composed))


def tokenize(
    space: str, texts: Sequence[str], add_sos: bool, add_eos: bool
) -> Operation[list[Tokens]]:
    request = pb.TokenizeRequest(
        space=space, texts=_strings(texts, "texts"), add_sos=add_sos, add_eos=add_eos
    )
    return "Tokenize", request, lambda r: [Tokens(list(t.pieces), list(t.ids)) for t in r.tokens]


def similarity(space: str, a: Sequence[Target], b: Sequence[Target]) -> Operation[np.ndarray]:
    request = pb.SimilarityRequest(
        space=space,
        a=[_query(x, f"a[{i}]") for i, x in enumerate(a)],
        b=[_query(x, f"b[{i}]") for i, x in enumerate(b)],
    )
    return "Similarity", request, lambda r: np.asarray(r.scores, dtype=np.float32)


def doesnt_match(space: str, items: Sequence[Target]) -> Operation[OddOneOut]:
    items = _items(items)
    items_pb = [_query(x, f"items[{i}]") for i, x in enumerate(items)]
    request = pb.DoesntMatchRequest(space=space, items=items_pb)
    return (
        "DoesntMatch",
        request,
        lambda r: OddOneOut(r.index, items[r.index], np.asarray(r.scores, dtype=np.float32)),
    )


def decode(space: str, latents: Any) -> Operation[Images]:
    dim, data = pack(as_matrix(latents))
    request = pb.DecodeRequest(space=space, latents=pb.Vectors(dim=dim, data=data))
    return "Decode", request, _images


def reconstruct(space: str, images: Sequence[bytes], pixels: Any) -> Operation[Images]:
    request = pb.ReconstructRequest(space=space, images=_items(images), pixels=_pixels(pixels))
    return "Reconstruct", request, _images


def sample(space: str, n: int | None, seed: int) -> Operation[Images]:
    if not 0 <= seed < 2**64:  # the protocol's uint64
        raise ValueError(f"seed: must be between 0 and 2**64 - 1, got {seed}")
    return "Sample", pb.SampleRequest(space=space, n=n, seed=seed), _images


PATHS = {
    None: pb.INTERPOLATION_PATH_UNSPECIFIED,
    "linear": pb.INTERPOLATION_PATH_LINEAR,
    "spherical": pb.INTERPOLATION_PATH_SPHERICAL,
}


def interpolate(
    space: str, start: Target, end: Target, steps: int | None, path: str | None
) -> Operation[Images]:
    if path not in PATHS:
        raise ValueError(f"path must be 'linear', 'spherical' or None, got {path!r}")
    request = pb.InterpolateRequest(
        space=space,
        start=_query(start, "start"),
        end=_query(end, "end"),
        steps=steps,
        path=PATHS[path],
    )
    return "Interpolate", request, _images


def signed_terms(
    positive: Sequence[Target], negative: Sequence[Target]
) -> list[tuple[float, Target]]:
    """positive=[king, woman], negative=[man] -> [(+1, king), (+1, woman), (-1, man)]."""
    return [(1.0, t) for t in positive] + [(-1.0, t) for t in negative]


def scroll(
    space: str,
    cursor: str | None,
    limit: int | None,
    where: dict[str, Any] | None,
    with_vectors: bool,
    with_payloads: bool,
) -> Operation[Page]:
    request = pb.ScrollRequest(
        space=space,
        cursor=cursor or "",
        limit=limit,
        filter=None if where is None else filter_to_pb(where),
        with_vectors=with_vectors,
        with_payloads=with_payloads,
    )
    return (
        "Scroll",
        request,
        lambda r: Page(
            ids=list(r.ids),
            vectors=_matrix(r.vectors) if with_vectors else None,
            payloads=_payloads(r.payloads_json) if with_payloads else None,
            next_cursor=r.next_cursor or None,
        ),
    )


def count(space: str, where: dict[str, Any] | None) -> Operation[int]:
    request = pb.CountRequest(space=space, filter=None if where is None else filter_to_pb(where))
    return "Count", request, lambda r: int(r.count)


def set_alias(alias: str, space: str) -> Operation[str | None]:
    request = pb.SetAliasRequest(alias=alias, space=space)
    return "SetAlias", request, lambda r: r.previous_space or None


def delete_alias(alias: str) -> Operation[str]:
    return "DeleteAlias", pb.DeleteAliasRequest(alias=alias), lambda r: r.space


def list_aliases() -> Operation[dict[str, str]]:
    return (
        "ListAliases",
        pb.ListAliasesRequest(),
        lambda r: {a.alias: a.space for a in r.aliases},
    )


def reload(spaces: Sequence[str]) -> Operation[list[SpaceChange]]:
    return (
        "Reload",
        pb.ReloadRequest(spaces=_strings(spaces, "spaces")),
        lambda r: [SpaceChange(c.space, c.action, c.version, c.detail) for c in r.changes],
    )


def health() -> Operation[str]:
    """grpc.health.v1 Check of the whole server ("Check" is the health service's RPC)."""
    return (
        "Check",
        health_pb2.HealthCheckRequest(),
        lambda r: health_pb2.HealthCheckResponse.ServingStatus.Name(r.status),
    )
