"""Protobuf <-> domain for the search engine's own messages: index specs, knobs and filters."""

from __future__ import annotations

import math

from semspace.index_config import IndexConfig, IndexConfigError, IndexKind
from semspace.server.errors import InvalidArgument
from semspace.server.filters import (
    Clause,
    Condition,
    Contains,
    Equals,
    Exists,
    HasId,
    Range,
    Scalar,
)
from semspace.server.grouping import Grouping
from semspace.server.index import SearchKnobs
from semspace.server.space import Space
from semspace.v1 import semspace_pb2 as pb

MAX_EF_SEARCH = 4096
IVF_KINDS = (IndexKind.IVF_FLAT, IndexKind.IVF_PQ)


def index_config_from_pb(spec: pb.IndexSpec, dim: int, field: str = "index") -> IndexConfig:
    try:
        return IndexConfig.parse(spec.kind, dict(spec.params), dim, field)
    except IndexConfigError as error:
        raise InvalidArgument(str(error)) from None


def grouping_from_pb(
    request: pb.SearchRequest, space: Space, k: int, max_k: int
) -> Grouping | None:
    """The grouping a Search asks for (None: plain points): a field some payload holds, and
    k groups of group_size points within the k limit."""
    size = request.group_size if request.HasField("group_size") else None
    if not request.group_by:
        if size is not None:
            raise InvalidArgument("group_size: set group_by too, the payload field to group by")
        return None
    space.payload_index.field_kinds(request.group_by, "group_by")
    size = 1 if size is None else size
    if size < 1:
        raise InvalidArgument("group_size: must be at least 1, got 0")
    if k * size > max_k:
        raise InvalidArgument(
            f"k, group_size: {k} groups of {size} points is {k * size:,} points a query, over "
            f"the limit of {max_k:,} (max_k)"
        )
    return Grouping(request.group_by, size)


def index_info(space: Space) -> pb.IndexInfo:
    """The index's figures; recall first: measuring it may take seconds of writes going on,
    and the other figures are then those of the space after them."""
    recall = space.recall_at_10()
    index = space.index
    return pb.IndexInfo(
        kind=index.kind,
        params=index.config.params(),
        memory_bytes=space.memory_bytes,
        recall_at_10=recall,
        trained=getattr(index, "trained", True),
        tombstones=space.dead_rows,
        read_from_cache=space.index_restored,
    )


def knobs_from_pb(params: pb.SearchParams, space: Space, field: str = "params") -> SearchKnobs:
    """Per-request search effort, checked against the knobs the space's index has."""
    config = space.index.config
    ef_search = params.ef_search if params.HasField("ef_search") else None
    nprobe = params.nprobe if params.HasField("nprobe") else None
    if ef_search is not None:
        if config.kind is not IndexKind.HNSW:
            raise InvalidArgument(
                f"{field}.ef_search: space '{space.name}' has index type {config.kind.value}; "
                "ef_search applies to hnsw"
            )
        if not 1 <= ef_search <= MAX_EF_SEARCH:
            raise InvalidArgument(
                f"{field}.ef_search: must be between 1 and {MAX_EF_SEARCH}, got {ef_search}"
            )
    if nprobe is not None:
        if config.kind not in IVF_KINDS:
            raise InvalidArgument(
                f"{field}.nprobe: space '{space.name}' has index type {config.kind.value}; "
                "nprobe applies to ivf_flat and ivf_pq"
            )
        if not 1 <= nprobe <= config.nlist:
            raise InvalidArgument(
                f"{field}.nprobe: must be between 1 and nlist ({config.nlist}), got {nprobe}"
            )
    return SearchKnobs(ef_search=ef_search, nprobe=nprobe)


def filter_from_pb(message: pb.Filter, field: str = "filter") -> Clause:
    def conditions(group: str) -> tuple[Condition, ...]:
        return tuple(
            condition_from_pb(c, f"{field}.{group}[{i}]")
            for i, c in enumerate(getattr(message, group))
        )

    return Clause(conditions("must"), conditions("should"), conditions("must_not"), field)


def deletion_filter(request: pb.DeleteRequest) -> Clause:
    """The filter of a Delete by filter: given instead of ids, and with a condition (a filter
    without one matches every point; dropping the space says that plainly)."""
    if request.ids:
        raise InvalidArgument("ids, filter: give the ids to delete or a filter, not both")
    where = filter_from_pb(request.filter)
    if not (where.must or where.should or where.must_not):
        raise InvalidArgument(
            "filter: has no condition; to delete every point, drop the space (DropSpace)"
        )
    return where


def condition_from_pb(message: pb.Condition, where: str) -> Condition:
    test = message.WhichOneof("test")
    if test is None:
        raise InvalidArgument(
            f"{where}: set one of equals, any_of, range, exists, contains, has_id or filter"
        )
    if test in ("filter", "has_id") and message.field:
        raise InvalidArgument(f"{where}.field: {test} takes no field")
    if test == "filter":
        return filter_from_pb(message.filter, f"{where}.filter")
    if test == "has_id":
        if not message.has_id.ids:
            raise InvalidArgument(f"{where}.has_id.ids: is empty; give at least one id")
        return HasId(tuple(message.has_id.ids), where)
    if not message.field:
        raise InvalidArgument(f"{where}.field: name the payload field to test")
    if test == "contains":
        if not message.contains:
            raise InvalidArgument(f"{where}.contains: is empty; give the text to look for")
        return Contains(message.field, message.contains, where)
    if test == "exists":
        return Exists(message.field, message.exists, where)
    if test == "equals":
        return Equals(message.field, (value_from_pb(message.equals, f"{where}.equals"),), where)
    if test == "any_of":
        values = message.any_of.values
        if not values:
            raise InvalidArgument(f"{where}.any_of: is empty; give at least one value")
        return Equals(
            message.field,
            tuple(value_from_pb(v, f"{where}.any_of.values[{i}]") for i, v in enumerate(values)),
            where,
        )
    return range_from_pb(message.field, message.range, f"{where}.range")


def range_from_pb(field: str, message: pb.Range, where: str) -> Range:
    bounds = {
        name: getattr(message, name) if message.HasField(name) else None
        for name in ("gt", "gte", "lt", "lte")
    }
    if all(bound is None for bound in bounds.values()):
        raise InvalidArgument(f"{where}: give at least one of gt, gte, lt, lte")
    for name, bound in bounds.items():
        if bound is not None and not math.isfinite(bound):
            raise InvalidArgument(f"{where}.{name}: must be a finite number, got {bound}")
    return Range(field, where=where, **bounds)


def value_from_pb(message: pb.Value, where: str) -> Scalar:
    kind = message.WhichOneof("kind")
    if kind is None:
        raise InvalidArgument(f"{where}: set one of text, number or flag")
    if kind == "number" and not math.isfinite(message.number):
        raise InvalidArgument(f"{where}.number: must be finite, got {message.number}")
    return getattr(message, kind)
