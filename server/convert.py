"""Protobuf <-> domain conversions for the servicer; the only server module that knows pb types."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np

from semspace.artifact import Metric
from semspace.server.arithmetic import Method
from semspace.server.errors import InvalidArgument
from semspace.server.models import decode_images
from semspace.server.search_convert import index_info
from semspace.server.space import Space
from semspace.server.space_types import Neighbors, Pixels, Target, Text
from semspace.v1 import semspace_pb2 as pb
from semspace.vectors import pack, unpack

METRIC_TO_PB = {
    Metric.COSINE: pb.METRIC_COSINE,
    Metric.L2: pb.METRIC_L2,
    Metric.INNER_PRODUCT: pb.METRIC_INNER_PRODUCT,
}
METRIC_FROM_PB = {value: key for key, value in METRIC_TO_PB.items()}
METRIC_FROM_PB[pb.METRIC_UNSPECIFIED] = Metric.COSINE

METHOD_FROM_PB = {
    pb.ARITHMETIC_METHOD_UNSPECIFIED: Method.COS_ADD,
    pb.ARITHMETIC_METHOD_COS_ADD: Method.COS_ADD,
    pb.ARITHMETIC_METHOD_COS_MUL: Method.COS_MUL,
}


def metric_from_pb(value: int) -> Metric:
    if value not in METRIC_FROM_PB:
        raise InvalidArgument(f"metric: unknown value {value}; use COSINE, L2 or INNER_PRODUCT")
    return METRIC_FROM_PB[value]


def method_from_pb(value: int) -> Method:
    if value not in METHOD_FROM_PB:
        raise InvalidArgument(f"method: unknown value {value}; use COS_ADD or COS_MUL")
    return METHOD_FROM_PB[value]


def vectors_to_pb(matrix: np.ndarray, dim: int) -> pb.Vectors:
    if not len(matrix):
        return pb.Vectors(dim=dim)
    packed_dim, data = pack(matrix)
    return pb.Vectors(dim=packed_dim, data=data)


def vectors_from_pb(vectors: pb.Vectors, dim: int, field: str) -> np.ndarray:
    if vectors.dim != dim:
        raise InvalidArgument(f"{field}.dim: is {vectors.dim}, the space has dimension {dim}")
    return unpack(dim, vectors.data, field)


def single_vector(data: bytes, dim: int, field: str) -> np.ndarray:
    """One packed vector of exactly `dim` float32."""
    if len(data) != 4 * dim:
        raise InvalidArgument(
            f"{field}: {len(data)} bytes, expected {4 * dim} ({dim} little-endian float32)"
        )
    return unpack(dim, data, field)[0]


def target_from_pb(message: pb.Query | pb.Term, dim: int, field: str) -> Target:
    which = message.WhichOneof("target")
    if which == "id":
        return message.id
    if which == "vector":
        return single_vector(message.vector, dim, f"{field}.vector")
    if which == "text":
        return Text(message.text)
    if which == "image":
        return Pixels(decode_images([message.image], f"{field}.image")[0])
    raise InvalidArgument(f"{field}: set one of id, vector, text or image")


def targets_from_pb(messages: Sequence[pb.Query | pb.Term], dim: int, field: str) -> list[Target]:
    return [target_from_pb(m, dim, f"{field}[{i}]") for i, m in enumerate(messages)]


def neighbors_to_pb(neighbors: Neighbors, dim: int) -> pb.Neighbors:
    message = pb.Neighbors(ids=neighbors.ids, scores=neighbors.scores.tolist())
    if neighbors.vectors is not None:
        message.vectors.CopyFrom(vectors_to_pb(neighbors.vectors, dim))
    if neighbors.payloads is not None:
        message.payloads_json.extend(neighbors.payloads)
    return message


def space_info(space: Space, versions: list[int], aliases: list[str]) -> pb.SpaceInfo:
    index = index_info(space)  # first: its recall measurement may take seconds (see there)
    manifest = space.manifest
    summary = {
        "producer": manifest.producer.model_dump(mode="json"),
        "evaluation": manifest.evaluation,
    }
    return pb.SpaceInfo(
        name=manifest.name,
        kind=manifest.kind,
        dim=manifest.dim,
        metric=METRIC_TO_PB[manifest.metric],
        count=space.count,
        writable=space.writable,
        created=manifest.created.isoformat(),
        description=manifest.description,
        producer=f"{manifest.producer.name} {manifest.producer.version}".strip(),
        manifest_json=json.dumps(summary),
        index=space.index.kind,
        embed_inputs=list(space.model.inputs),
        index_info=index,
        version=space.version,
        versions=versions,
        payload_fields={
            path: ",".join(kinds) for path, kinds in space.payload_index.schema().items()
        },
        aliases=aliases,
    )
