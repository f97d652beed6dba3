from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Metric(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    METRIC_UNSPECIFIED: _ClassVar[Metric]
    METRIC_COSINE: _ClassVar[Metric]
    METRIC_L2: _ClassVar[Metric]
    METRIC_INNER_PRODUCT: _ClassVar[Metric]

class ArithmeticMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ARITHMETIC_METHOD_UNSPECIFIED: _ClassVar[ArithmeticMethod]
    ARITHMETIC_METHOD_COS_ADD: _ClassVar[ArithmeticMethod]
    ARITHMETIC_METHOD_COS_MUL: _ClassVar[ArithmeticMethod]

class InterpolationPath(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INTERPOLATION_PATH_UNSPECIFIED: _ClassVar[InterpolationPath]
    INTERPOLATION_PATH_LINEAR: _ClassVar[InterpolationPath]
    INTERPOLATION_PATH_SPHERICAL: _ClassVar[InterpolationPath]
METRIC_UNSPECIFIED: Metric
METRIC_COSINE: Metric
METRIC_L2: Metric
METRIC_INNER_PRODUCT: Metric
ARITHMETIC_METHOD_UNSPECIFIED: ArithmeticMethod
ARITHMETIC_METHOD_COS_ADD: ArithmeticMethod
ARITHMETIC_METHOD_COS_MUL: ArithmeticMethod
INTERPOLATION_PATH_UNSPECIFIED: InterpolationPath
INTERPOLATION_PATH_LINEAR: InterpolationPath
INTERPOLATION_PATH_SPHERICAL: InterpolationPath

class Vectors(_message.Message):
    __slots__ = ("dim", "data")
    DIM_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    dim: int
    data: bytes
    def __init__(self, dim: _Optional[int] = ..., data: _Optional[bytes] = ...) -> None: ...

class SpaceInfo(_message.Message):
    __slots__ = ("name", "kind", "dim", "metric", "count", "writable", "created", "description", "producer", "manifest_json", "index", "embed_inputs", "index_info", "version", "versions", "payload_fields", "aliases")
    class PayloadFieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DIM_FIELD_NUMBER: _ClassVar[int]
    METRIC_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    WRITABLE_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PRODUCER_FIELD_NUMBER: _ClassVar[int]
    MANIFEST_JSON_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    EMBED_INPUTS_FIELD_NUMBER: _ClassVar[int]
    INDEX_INFO_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELDS_FIELD_NUMBER: _ClassVar[int]
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: str
    dim: int
    metric: Metric
    count: int
    writable: bool
    created: str
    description: str
    producer: str
    manifest_json: str
    index: str
    embed_inputs: _containers.RepeatedScalarFieldContainer[str]
    index_info: IndexInfo
    version: int
    versions: _containers.RepeatedScalarFieldContainer[int]
    payload_fields: _containers.ScalarMap[str, str]
    aliases: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[str] = ..., dim: _Optional[int] = ..., metric: _Optional[_Union[Metric, str]] = ..., count: _Optional[int] = ..., writable: _Optional[bool] = ..., created: _Optional[str] = ..., description: _Optional[str] = ..., producer: _Optional[str] = ..., manifest_json: _Optional[str] = ..., index: _Optional[str] = ..., embed_inputs: _Optional[_Iterable[str]] = ..., index_info: _Optional[_Union[IndexInfo, _Mapping]] = ..., version: _Optional[int] = ..., versions: _Optional[_Iterable[int]] = ..., payload_fields: _Optional[_Mapping[str, str]] = ..., aliases: _Optional[_Iterable[str]] = ...) -> None: ...

class IndexSpec(_message.Message):
    __slots__ = ("kind", "params")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    KIND_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    kind: str
    params: _containers.ScalarMap[str, int]
    def __init__(self, kind: _Optional[str] = ..., params: _Optional[_Mapping[str, int]] = ...) -> None: ...

class IndexInfo(_message.Message):
    __slots__ = ("kind", "params", "memory_bytes", "recall_at_10", "trained", "tombstones", "read_from_cache")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    KIND_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    MEMORY_BYTES_FIELD_NUMBER: _ClassVar[int]
    RECALL_AT_10_FIELD_NUMBER: _ClassVar[int]
    TRAINED_FIELD_NUMBER: _ClassVar[int]
    TOMBSTONES_FIELD_NUMBER: _ClassVar[int]
    READ_FROM_CACHE_FIELD_NUMBER: _ClassVar[int]
    kind: str
    params: _containers.ScalarMap[str, int]
    memory_bytes: int
    recall_at_10: float
    trained: bool
    tombstones: int
    read_from_cache: bool
    def __init__(self, kind: _Optional[str] = ..., params: _Optional[_Mapping[str, int]] = ..., memory_bytes: _Optional[int] = ..., recall_at_10: _Optional[float] = ..., trained: _Optional[bool] = ..., tombstones: _Optional[int] = ..., read_from_cache: _Optional[bool] = ...) -> None: ...

class ListSpacesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListSpacesResponse(_message.Message):
    __slots__ = ("spaces",)
    SPACES_FIELD_NUMBER: _ClassVar[int]
    spaces: _containers.RepeatedCompositeFieldContainer[SpaceInfo]
    def __init__(self, spaces: _Optional[_Iterable[_Union[SpaceInfo, _Mapping]]] = ...) -> None: ...

class GetSpaceRequest(_message.Message):
    __slots__ = ("space",)
    SPACE_FIELD_NUMBER: _ClassVar[int]
    space: str
    def __init__(self, space: _Optional[str] = ...) -> None: ...

class GetSpaceResponse(_message.Message):
    __slots__ = ("space",)
    SPACE_FIELD_NUMBER: _ClassVar[int]
    space: SpaceInfo
    def __init__(self, space: _Optional[_Union[SpaceInfo, _Mapping]] = ...) -> None: ...

class CreateSpaceRequest(_message.Message):
    __slots__ = ("space", "dim", "metric", "description", "index")
    SPACE_FIELD_NUMBER: _ClassVar[int]
    DIM_FIELD_NUMBER: _ClassVar[int]
    METRIC_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    space: str
    dim: int
    metric: Metric
    description: str
    index: IndexSpec
    def __init__(self, space: _Optional[str] = ..., dim: _Optional[int] = ..., metric: _Optional[_Union[Metric, str]] = ..., description: _Optional[str] = ..., index: _Optional[_Union[IndexSpec, _Mapping]] = ...) -> None: ...

class CreateSpaceResponse(_message.Message):
    __slots__ = ("space",)
    SPACE_FIELD_NUMBER: _ClassVar[int]
    space: SpaceInfo
    def __init__(self, space: _Optional[_Union[SpaceInfo, _Mapping]] = ...) -> None: ...

class DropSpaceRequest(_message.Message):
    __slots__ = ("space",)
    SPACE_FIELD_NUMBER: _ClassVar[int]
    space: str
    def __init__(self, space: _Optional[str] = ...) -> None: ...

class DropSpaceResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class UpsertRequest(_message.Message):
    __slots__ = ("space", "ids", "vectors", "payloads_json")
    SPACE_FIELD_NUMBER: _ClassVar[int]
    IDS_FIELD_NUMBER: _ClassVar[int]
    VECTORS_FIELD_NUMBER: _ClassVar[int]
    PAYLOADS_JSON_FIELD_NUMBER: _ClassVar[int]
    space: str
    ids: _containers.RepeatedScalarFieldContainer[str]
    vectors: Vectors
    payloads_json: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, space: _Optional[str] = ..., ids: _Optional[_Iterable[str]] = ..., vectors: _Optional[_Union[Vectors, _Mapping]] = ..., payloads_json: _Optional[_Iterable[str]] = ...) -> None: ...

class UpsertResponse(_message.Message):
    __slots__ = ("inserted", "updated", "count")
    INSERTED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    inserted: int
    updated: int
    count: int
    def __init__(self, inserted: _Optional[int] = ..., updated: _Optional[int] = ..., count: _Optional[int] = ...) -> None: ...

class DeleteRequest(_message.Message):
    __slots__ = ("space", "ids", "filter")
    SPACE_FIELD_NUMBER: _ClassVar[int]
    IDS_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    space: str
    ids: _containers.RepeatedScalarFieldContainer[str]
    filter: Filter
    def __init__(self, space: _Optional[str] = ..., ids: _Optional[_Iterable[str]] = ..., filter: _Optional[_Union[Filter, _Mapping]] = ...) -> None: ...

class DeleteResponse(_message.Message):
    __slots__ = ("deleted", "missing_ids", "count")
    DELETED_FIELD_NUMBER: _ClassVar[int]
    MISSING_IDS_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    deleted: int
    missing_ids: _containers.RepeatedScalarFieldContainer[str]
    count: int
    def __init__(self, deleted: _Optional[int] = ..., missing_ids: _Optional[_Iterable[str]] = ..., count: _Optional[int] = ...) -> None: ...

class SetPayloadsRequest(_message.Message):
    __slots__ = ("space", "ids", "payloads_json")
    SPACE_FIELD_NUMBER: _ClassVar[int]
    IDS_FIELD_NUMBER: _ClassVar[int]
    PAYLOADS_JSON_FIELD_NUMBER: _ClassVar[int]
    space: str
    ids: _containers.RepeatedScalarFieldContainer[str]
    payloads_json: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, space: _Optional[str] = ..., ids: _Optional[_Iterable[str]] = ..., payloads_json: _Optional[_Iterable[str]] = ...) -> None: ...

class SetPayloadsResponse(_message.Message):
    __slots__ = ("updated",)
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    updated: int
    def __init__(self, updated: _Optional[int] = ...) -> None: ...

class GetRequest(_message.Message):
    __slots__ = ("space", "ids", "with_payloads")
    SPACE_FIELD_NUMBER: _ClassVar[int]
    IDS_FIELD_NUMBER: _ClassVar[int]
    WITH_PAYLOADS_FIELD_NUMBER: _ClassVar[int]
    space: str
    ids: _containers.RepeatedScalarFieldContainer[str]
    with_payloads: bool
    def __init__(self, space: _Optional[str] = ..., ids: _Optional[_Iterable[str]] = ..., with_payloads: _Optional[bool] = ...) -> None: ...

class GetResponse(_message.Message):
    __slots__ = ("ids", "vectors", "payloads_json")
    IDS_FIELD_NUMBER: _ClassVar[int]
    VECTORS_FIELD_NUMBER: _ClassVar[int]
    PAYLOADS_JSON_FIELD_NUMBER: _ClassVar[int]
    ids: _containers.RepeatedScalarFieldContainer[str]
    vectors: Vectors
    payloads_json: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, ids: _Optional[_Iterable[str]] = ..., vectors: _Optional[_Union[Vectors, _Mapping]] = ..., payloads_json: _Optional[_Iterable[str]] = ...) -> None: ...

class Query(_message.Message):
    __slots__ = ("id", "vector", "text", "image")
    ID_FIELD_NUMBER: _ClassVar[int]
    VECTOR_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    id: str
    vector: bytes
    text: str
    image: bytes
    def __init__(self, id: _Optional[str] = ..., vector: _Optional[bytes] = ..., text: _Optional[str] = ..., image: _Optional[bytes] = ...) -> None: ...

class SearchRequest(_message.Message):
    __slots__ = ("space", "queries", "k", "exclude_ids", "with_vectors", "with_payloads", "include_query_ids", "filter", "params", "score_threshold", "group_by", "group_size")
    SPACE_FIELD_NUMBER: _ClassVar[int]
    QUERIES_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    EXCLUDE_IDS_FIELD_NUMBER: _ClassVar[int]
    WITH_VECTORS_FIELD_NUMBER: _ClassVar[int]
    WITH_PAYLOADS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_QUERY_IDS_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    SCORE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    GROUP_SIZE_FIELD_NUMBER: _ClassVar[int]
    space: str
    queries: _containers.RepeatedCompositeFieldContainer[Query]
    k: int
    exclude_ids: _containers.RepeatedScalarFieldContainer[str]
    with_vectors: bool
    with_payloads: bool
    include_query_ids: bool
    filter: Filter
    params: SearchParams
    score_threshold: float
    group_by: str
    group_size: int
    def __init__(self, space: _Optional[str] = ..., queries: _Optional[_Iterable[_Union[Query, _Mapping]]] = ..., k: _Optional[int] = ..., exclude_ids: _Optional[_Iterable[str]] = ..., with_vectors: _Optional[bool] = ..., with_payloads: _Optional[bool] = ..., include_query_ids: _Optional[bool] = ..., filter: _Optional[_Union[Filter, _Mapping]] = ..., params: _Optional[_Union[SearchParams, _Mapping]] = ..., score_threshold: _Optional[float] = ..., group_by: _Optional[str] = ..., group_size: _Optional[int] = ...) -> None: ...

class SearchParams(_message.Message):
    __slots__ = ("ef_search", "nprobe", "exact")
    EF_SEARCH_FIELD_NUMBER: _ClassVar[int]
    NPROBE_FIELD_NUMBER: _ClassVar[int]
    EXACT_FIELD_NUMBER: _ClassVar[int]
    ef_search: int
    nprobe: int
    exact: bool
    def __init__(self, ef_search: _Optional[int] = ..., nprobe: _Optional[int] = ..., exact: _Optional[bool] = ...) -> None: ...

class Filter(_message.Message):
    __slots__ = ("must", "should", "must_not")
    MUST_FIELD_NUMBER: _ClassVar[int]
    SHOULD_FIELD_NUMBER: _ClassVar[int]
    MUST_NOT_FIELD_NUMBER: _ClassVar[int]
    must: _containers.RepeatedCompositeFieldContainer[Condition]
    should: _containers.RepeatedCompositeFieldContainer[Condition]
    must_not: _containers.RepeatedCompositeFieldContainer[Condition]
    def __init__(self, must: _Optional[_Iterable[_Union[Condition, _Mapping]]] = ..., should: _Optional[_Iterable[_Union[Condition, _Mapping]]] = ..., must_not: _Optional[_Iterable[_Union[Condition, _Mapping]]] = ...) -> None: ...

class Condition(_message.Message):
    __slots__ = ("field", "equals", "any_of", "range", "filter", "exists", "has_id", "contains")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    EQUALS_FIELD_NUMBER: _ClassVar[int]
    ANY_OF_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    EXISTS_FIELD_NUMBER: _ClassVar[int]
    HAS_ID_FIELD_NUMBER: _ClassVar[int]
    CONTAINS_FIELD_NUMBER: _ClassVar[int]
    field: str
    equals: Value
    any_of: ValueList
    range: Range
    filter: Filter
    exists: bool
    has_id: IdList
    contains: str
    def __init__(self, field: _Optional[str] = ..., equals: _Optional[_Union[Value, _Mapping]] = ..., any_of: _Optional[_Union[ValueList, _Mapping]] = ..., range: _Optional[_Union[Range, _Mapping]] = ..., filter: _Optional[_Union[Filter, _Mapping]] = ..., exists: _Optional[bool] = ..., has_id: _Optional[_Union[IdList, _Mapping]] = ..., contains: _Optional[str] = ...) -> None: ...

class IdList(_message.Message):
    __slots__ = ("ids",)
    IDS_FIELD_NUMBER: _ClassVar[int]
    ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, ids: _Optional[_Iterable[str]] = ...) -> None: ...

class Value(_message.Message):
    __slots__ = ("text", "number", "flag")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    FLAG_FIELD_NUMBER: _ClassVar[int]
    text: str
    number: float
    flag: bool
    def __init__(self, text: _Optional[str] = ..., number: _Optional[float] = ..., flag: _Optional[bool] = ...) -> None: ...

class ValueList(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[Value]
    def __init__(self, values: _Optional[_Iterable[_Union[Value, _Mapping]]] = ...) -> None: ...

class Range(_message.Message):
    __slots__ = ("gt", "gte", "lt", "lte")
    GT_FIELD_NUMBER: _ClassVar[int]
    GTE_FIELD_NUMBER: _ClassVar[int]
    LT_FIELD_NUMBER: _ClassVar[int]
    LTE_FIELD_NUMBER: _ClassVar[int]
    gt: float
    gte: float
    lt: float
    lte: float
    def __init__(self, gt: _Optional[float] = ..., gte: _Optional[float] = ..., lt: _Optional[float] = ..., lte: _Optional[float] = ...) -> None: ...

class Neighbors(_message.Message):
    __slots__ = ("ids", "scores", "vectors", "payloads_json", "groups")
    IDS_FIELD_NUMBER: _ClassVar[int]
    SCORES_FIELD_NUMBER: _ClassVar[int]
    VECTORS_FIELD_NUMBER: _ClassVar[int]
    PAYLOADS_JSON_FIELD_NUMBER: _ClassVar[int]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    ids: _containers.RepeatedScalarFieldContainer[str]
    scores: _containers.RepeatedScalarFieldContainer[float]
    vectors: Vectors
    payloads_json: _containers.RepeatedScalarFieldContainer[str]
    groups: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, ids: _Optional[_Iterable[str]] = ..., scores: _Optional[_Iterable[float]] = ..., vectors: _Optional[_Union[Vectors, _Mapping]] = ..., payloads_json: _Optional[_Iterable[str]] = ..., groups: _Optional[_Iterable[str]] = ...) -> None: ...

class SearchResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[Neighbors]
    def __init__(self, results: _Optional[_Iterable[_Union[Neighbors, _Mapping]]] = ...) -> None: ...

class Term(_message.Message):
    __slots__ = ("weight", "id", "vector", "text", "image")
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    VECTOR_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    weight: float
    id: str
    vector: bytes
    text: str
    image: bytes
    def __init__(self, weight: _Optional[float] = ..., id: _Optional[str] = ..., vector: _Optional[bytes] = ..., text: _Optional[str] = ..., image: _Optional[bytes] = ...) -> None: ...

class ArithmeticRequest(_message.Message):
    __slots__ = ("space", "terms", "method", "k", "include_inputs", "exclude_ids", "with_vectors", "with_payloads", "filter")
    SPACE_FIELD_NUMBER: _ClassVar[int]
    TERMS_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_INPUTS_FIELD_NUMBER: _ClassVar[int]
    EXCLUDE_IDS_FIELD_NUMBER: _ClassVar[int]
    WITH_VECTORS_FIELD_NUMBER: _ClassVar[int]
    WITH_PAYLOADS_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    space: str
    terms: _containers.RepeatedCompositeFieldContainer[Term]
    method: ArithmeticMethod
    k: int
    include_inputs: bool
    exclude_ids: _containers.RepeatedScalarFieldContainer[str]
    with_vectors: bool
    with_payloads: bool
    filter: Filter
    def __init__(self, space: _Optional[str] = ..., terms: _Optional[_Iterable[_Union[Term, _Mapping]]] = ..., method: _Optional[_Union[ArithmeticMethod, str]] = ..., k: _Optional[int] = ..., include_inputs: _Optional[bool] = ..., exclude_ids: _Optional[_Iterable[str]] = ..., with_vectors: _Optional[bool] = ..., with_payloads: _Optional[bool] = ..., filter: _Optional[_Union[Filter, _Mapping]] = ...) -> None: ...

class ArithmeticResponse(_message.Message):
    __slots__ = ("neighbors", "query")
    NEIGHBORS_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    neighbors: Neighbors
    query: Vectors
    def __init__(self, neighbors: _Optional[_Union[Neighbors, _Mapping]] = ..., query: _Optional[_Union[Vectors, _Mapping]] = ...) -> None: ...

class EmbedRequest(_message.Message):
    __slots__ = ("space", "texts", "images", "pixels")
    SPACE_FIELD_NUMBER: _ClassVar[int]
    TEXTS_FIELD_NUMBER: _ClassVar[int]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    PIXELS_FIELD_NUMBER: _ClassVar[int]
    space: str
    texts: _containers.RepeatedScalarFieldContainer[str]
    images: _containers.RepeatedScalarFieldContainer[bytes]
    pixels: Vectors
    def __init__(self, space: _Optional[str] = ..., texts: _Optional[_Iterable[str]] = ..., images: _Optional[_Iterable[bytes]] = ..., pixels: _Optional[_Union[Vectors, _Mapping]] = ...) -> None: ...

class EmbedResponse(_message.Message):
    __slots__ = ("vectors", "composed")
    VECTORS_FIELD_NUMBER: _ClassVar[int]
    COMPOSED_FIELD_NUMBER: _ClassVar[int]
    vectors: Vectors
    composed: _containers.RepeatedScalarFieldContainer[bool]
    def __init__(self, vectors: _Optional[_Union[Vectors, _Mapping]] = ..., composed: _Optional[_Iterable[bool]] = ...) -> None: ...

class TokenizeRequest(_message.Message):
    __slots__ = ("space", "texts", "add_sos", "add_eos")
    SPACE_FIELD_NUMBER: _ClassVar[int]
    TEXTS_FIELD_NUMBER: _ClassVar[int]
    ADD_SOS_FIELD_NUMBER: _ClassVar[int]
    ADD_EOS_FIELD_NUMBER: _ClassVar[int]
    space: str
    texts: _containers.RepeatedScalarFieldContainer[str]
    add_sos: bool
    add_eos: bool
    def __init__(self, space: _Optional[str] = ..., texts: _Optional[_Iterable[str]] = ..., add_sos: _Optional[bool] = ..., add_eos: _Optional[bool] = ...) -> None: ...

class Tokens(_message.Message):
    __slots__ = ("pieces", "ids")
    PIECES_FIELD_NUMBER: _ClassVar[int]
    IDS_FIELD_NUMBER: _ClassVar[int]
    pieces: _containers.RepeatedScalarFieldContainer[str]
    ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, pieces: _Optional[_Iterable[str]] = ..., ids: _Optional[_Iterable[int]] = ...) -> None: ...

class TokenizeResponse(_message.Message):
    __slots__ = ("tokens", "pad_id", "unk_id", "sos_id", "eos_id")
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    PAD_ID_FIELD_NUMBER: _ClassVar[int]
    UNK_ID_FIELD_NUMBER: _ClassVar[int]
    SOS_ID_FIELD_NUMBER: _ClassVar[int]
    EOS_ID_FIELD_NUMBER: _ClassVar[int]
    tokens: _containers.RepeatedCompositeFieldContainer[Tokens]
    pad_id: int
    unk_id: int
    sos_id: int
    eos_id: int
    def __init__(self, tokens: _Optional[_Iterable[_Union[Tokens, _Mapping]]] = ..., pad_id: _Optional[int] = ..., unk_id: _Optional[int] = ..., sos_id: _Optional[int] = ..., eos_id: _Optional[int] = ...) -> None: ...

class SimilarityRequest(_message.Message):
    __slots__ = ("space", "a", "b")
    SPACE_FIELD_NUMBER: _ClassVar[int]
    A_FIELD_NUMBER: _ClassVar[int]
    B_FIELD_NUMBER: _ClassVar[int]
    space: str
    a: _containers.RepeatedCompositeFieldContainer[Query]
    b: _containers.RepeatedCompositeFieldContainer[Query]
    def __init__(self, space: _Optional[str] = ..., a: _Optional[_Iterable[_Union[Query, _Mapping]]] = ..., b: _Optional[_Iterable[_Union[Query, _Mapping]]] = ...) -> None: ...

class SimilarityResponse(_message.Message):
    __slots__ = ("scores",)
    SCORES_FIELD_NUMBER: _ClassVar[int]
    scores: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, scores: _Optional[_Iterable[float]] = ...) -> None: ...

class DoesntMatchRequest(_message.Message):
    __slots__ = ("space", "items")
    SPACE_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    space: str
    items: _containers.RepeatedCompositeFieldContainer[Query]
    def __init__(self, space: _Optional[str] = ..., items: _Optional[_Iterable[_Union[Query, _Mapping]]] = ...) -> None: ...

class DoesntMatchResponse(_message.Message):
    __slots__ = ("index", "scores")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    SCORES_FIELD_NUMBER: _ClassVar[int]
    index: int
    scores: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, index: _Optional[int] = ..., scores: _Optional[_Iterable[float]] = ...) -> None: ...

class ImagesResponse(_message.Message):
    __slots__ = ("png", "latents")
    PNG_FIELD_NUMBER: _ClassVar[int]
    LATENTS_FIELD_NUMBER: _ClassVar[int]
    png: _containers.RepeatedScalarFieldContainer[bytes]
    latents: Vectors
    def __init__(self, png: _Optional[_Iterable[bytes]] = ..., latents: _Optional[_Union[Vectors, _Mapping]] = ...) -> None: ...

class DecodeRequest(_message.Message):
    __slots__ = ("space", "latents")
    SPACE_FIELD_NUMBER: _ClassVar[int]
    LATENTS_FIELD_NUMBER: _ClassVar[int]
    space: str
    latents: Vectors
    def __init__(self, space: _Optional[str] = ..., latents: _Optional[_Union[Vectors, _Mapping]] = ...) -> None: ...

class ReconstructRequest(_message.Message):
    __slots__ = ("space", "images", "pixels")
    SPACE_FIELD_NUMBER: _ClassVar[int]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    PIXELS_FIELD_NUMBER: _ClassVar[int]
    space: str
    images: _containers.RepeatedScalarFieldContainer[bytes]
    pixels: Vectors
    def __init__(self, space: _Optional[str] = ..., images: _Optional[_Iterable[bytes]] = ..., pixels: _Optional[_Union[Vectors, _Mapping]] = ...) -> None: ...

class SampleRequest(_message.Message):
    __slots__ = ("space", "n", "seed")
    SPACE_FIELD_NUMBER: _ClassVar[int]
    N_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    space: str
    n: int
    seed: int
    def __init__(self, space: _Optional[str] = ..., n: _Optional[int] = ..., seed: _Optional[int] = ...) -> None: ...

class InterpolateRequest(_message.Message):
    __slots__ = ("space", "start", "end", "steps", "path")
    SPACE_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    space: str
    start: Query
    end: Query
    steps: int
    path: InterpolationPath
    def __init__(self, space: _Optional[str] = ..., start: _Optional[_Union[Query, _Mapping]] = ..., end: _Optional[_Union[Query, _Mapping]] = ..., steps: _Optional[int] = ..., path: _Optional[_Union[InterpolationPath, str]] = ...) -> None: ...

class ScrollRequest(_message.Message):
    __slots__ = ("space", "cursor", "limit", "filter", "with_vectors", "with_payloads")
    SPACE_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    WITH_VECTORS_FIELD_NUMBER: _ClassVar[int]
    WITH_PAYLOADS_FIELD_NUMBER: _ClassVar[int]
    space: str
    cursor: str
    limit: int
    filter: Filter
    with_vectors: bool
    with_payloads: bool
    def __init__(self, space: _Optional[str] = ..., cursor: _Optional[str] = ..., limit: _Optional[int] = ..., filter: _Optional[_Union[Filter, _Mapping]] = ..., with_vectors: _Optional[bool] = ..., with_payloads: _Optional[bool] = ...) -> None: ...

class ScrollResponse(_message.Message):
    __slots__ = ("ids", "vectors", "payloads_json", "next_cursor")
    IDS_FIELD_NUMBER: _ClassVar[int]
    VECTORS_FIELD_NUMBER: _ClassVar[int]
    PAYLOADS_JSON_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    ids: _containers.RepeatedScalarFieldContainer[str]
    vectors: Vectors
    payloads_json: _containers.RepeatedScalarFieldContainer[str]
    next_cursor: str
    def __init__(self, ids: _Optional[_Iterable[str]] = ..., vectors: _Optional[_Union[Vectors, _Mapping]] = ..., payloads_json: _Optional[_Iterable[str]] = ..., next_cursor: _Optional[str] = ...) -> None: ...

class CountRequest(_message.Message):
    __slots__ = ("space", "filter")
    SPACE_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    space: str
    filter: Filter
    def __init__(self, space: _Optional[str] = ..., filter: _Optional[_Union[Filter, _Mapping]] = ...) -> None: ...

class CountResponse(_message.Message):
    __slots__ = ("count",)
    COUNT_FIELD_NUMBER: _ClassVar[int]
    count: int
    def __init__(self, count: _Optional[int] = ...) -> None: ...

class SetAliasRequest(_message.Message):
    __slots__ = ("alias", "space")
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    SPACE_FIELD_NUMBER: _ClassVar[int]
    alias: str
    space: str
    def __init__(self, alias: _Optional[str] = ..., space: _Optional[str] = ...) -> None: ...

class SetAliasResponse(_message.Message):
    __slots__ = ("previous_space",)
    PREVIOUS_SPACE_FIELD_NUMBER: _ClassVar[int]
    previous_space: str
    def __init__(self, previous_space: _Optional[str] = ...) -> None: ...

class DeleteAliasRequest(_message.Message):
    __slots__ = ("alias",)
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    alias: str
    def __init__(self, alias: _Optional[str] = ...) -> None: ...

class DeleteAliasResponse(_message.Message):
    __slots__ = ("space",)
    SPACE_FIELD_NUMBER: _ClassVar[int]
    space: str
    def __init__(self, space: _Optional[str] = ...) -> None: ...

class ListAliasesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Alias(_message.Message):
    __slots__ = ("alias", "space")
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    SPACE_FIELD_NUMBER: _ClassVar[int]
    alias: str
    space: str
    def __init__(self, alias: _Optional[str] = ..., space: _Optional[str] = ...) -> None: ...

class ListAliasesResponse(_message.Message):
    __slots__ = ("aliases",)
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    aliases: _containers.RepeatedCompositeFieldContainer[Alias]
    def __init__(self, aliases: _Optional[_Iterable[_Union[Alias, _Mapping]]] = ...) -> None: ...

class ReloadRequest(_message.Message):
    __slots__ = ("spaces",)
    SPACES_FIELD_NUMBER: _ClassVar[int]
    spaces: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, spaces: _Optional[_Iterable[str]] = ...) -> None: ...

class SpaceChange(_message.Message):
    __slots__ = ("space", "action", "version", "detail")
    SPACE_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    space: str
    action: str
    version: int
    detail: str
    def __init__(self, space: _Optional[str] = ..., action: _Optional[str] = ..., version: _Optional[int] = ..., detail: _Optional[str] = ...) -> None: ...

class ReloadResponse(_message.Message):
    __slots__ = ("changes",)
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[SpaceChange]
    def __init__(self, changes: _Optional[_Iterable[_Union[SpaceChange, _Mapping]]] = ...) -> None: ...
