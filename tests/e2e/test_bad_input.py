"""Every malformed request gets its status and a message naming the field; nothing changes and the
server keeps serving."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import numpy as np
import pytest

from semspace.artifact import Metric, Producer, writing_artifact
from semspace.server.app import SemspaceServer
from semspace.v1 import semspace_pb2 as pb
from semspace.v1 import semspace_pb2_grpc as pb_grpc

MAX_MESSAGE = 1 << 20
Code = grpc.StatusCode


def f32(*values: float) -> bytes:
    return np.array(values, dtype="<f4").tobytes()


def vectors(*rows: tuple[float, ...]) -> pb.Vectors:
    return pb.Vectors(dim=len(rows[0]), data=b"".join(f32(*r) for r in rows))


GOOD = vectors((1, 0, 0), (0, 1, 0))

# (rpc, request, status, words the message must contain)
CASES = [
    (
        "Search",
        pb.SearchRequest(space="nope", queries=[pb.Query(id="a")]),
        Code.NOT_FOUND,
        ["space", "nope"],
    ),
    ("GetSpace", pb.GetSpaceRequest(space="nope"), Code.NOT_FOUND, ["nope"]),
    ("DropSpace", pb.DropSpaceRequest(space="nope"), Code.NOT_FOUND, ["nope"]),
    (
        "Upsert",
        pb.UpsertRequest(space="nope", ids=["a"], vectors=vectors((1, 0, 0))),
        Code.NOT_FOUND,
        ["nope"],
    ),
    ("GetSpace", pb.GetSpaceRequest(space="Bad Name!"), Code.INVALID_ARGUMENT, ["space", "valid"]),
    ("CreateSpace", pb.CreateSpaceRequest(space="s", dim=3), Code.ALREADY_EXISTS, ["'s'"]),
    (
        "CreateSpace",
        pb.CreateSpaceRequest(space="t", dim=0),
        Code.INVALID_ARGUMENT,
        ["dim", "65536"],
    ),
    (
        "CreateSpace",
        pb.CreateSpaceRequest(space="t", dim=3, metric=9),
        Code.INVALID_ARGUMENT,
        ["metric"],
    ),
    (
        "Upsert",
        pb.UpsertRequest(space="s", ids=["x"], vectors=vectors((1, 0))),
        Code.INVALID_ARGUMENT,
        ["vectors.dim", "3"],
    ),
    (
        "Upsert",
        pb.UpsertRequest(space="s", ids=["x"], vectors=vectors((np.nan, 0, 0))),
        Code.INVALID_ARGUMENT,
        ["vectors[0]", "NaN"],
    ),
    (
        "Upsert",
        pb.UpsertRequest(space="s", ids=["x"], vectors=vectors((np.inf, 0, 0))),
        Code.INVALID_ARGUMENT,
        ["vectors[0]", "Inf"],
    ),
    (
        "Upsert",
        pb.UpsertRequest(space="s", ids=["x", "y"], vectors=vectors((1, 0, 0), (0, 0, 0))),
        Code.INVALID_ARGUMENT,
        ["vectors[1]", "zero"],
    ),
    (
        "Upsert",
        pb.UpsertRequest(space="s", ids=[], vectors=pb.Vectors(dim=3)),
        Code.INVALID_ARGUMENT,
        ["ids", "empty"],
    ),
    (
        "Upsert",
        pb.UpsertRequest(space="s", ids=["x", "x"], vectors=GOOD),
        Code.INVALID_ARGUMENT,
        ["ids[1]", "twice"],
    ),
    (
        "Upsert",
        pb.UpsertRequest(space="s", ids=["x", "y"], vectors=vectors((1, 0, 0))),
        Code.INVALID_ARGUMENT,
        ["vectors", "1 rows", "2 ids"],
    ),
    (
        "Upsert",
        pb.UpsertRequest(space="s", ids=["x"], vectors=pb.Vectors(dim=3, data=b"\0" * 10)),
        Code.INVALID_ARGUMENT,
        ["vectors.data", "10 bytes"],
    ),
    (
        "Upsert",
        pb.UpsertRequest(space="s", ids=["x", "y"], vectors=GOOD, payloads_json=['{"a": 1', ""]),
        Code.INVALID_ARGUMENT,
        ["payloads_json[0]", "JSON"],
    ),
    (
        "Upsert",
        pb.UpsertRequest(space="s", ids=["x", "y"], vectors=GOOD, payloads_json=["[1, 2]", ""]),
        Code.INVALID_ARGUMENT,
        ["payloads_json[0]", "object"],
    ),
    (
        "Upsert",
        pb.UpsertRequest(space="s", ids=["x", "y"], vectors=GOOD, payloads_json=['{"a": NaN}', ""]),
        Code.INVALID_ARGUMENT,
        ["payloads_json[0]", "NaN"],
    ),
    (
        "Upsert",
        pb.UpsertRequest(space="s", ids=["x", "y"], vectors=GOOD, payloads_json=["{}"]),
        Code.INVALID_ARGUMENT,
        ["payloads_json", "1 payloads", "2 ids"],
    ),
    (
        "Upsert",
        pb.UpsertRequest(space="s", ids=["", "y"], vectors=GOOD),
        Code.INVALID_ARGUMENT,
        ["ids[0]", "non-empty"],
    ),
    (
        "Upsert",
        pb.UpsertRequest(space="s", ids=["a\nb", "y"], vectors=GOOD),
        Code.INVALID_ARGUMENT,
        ["ids[0]", "line breaks"],
    ),
    (
        "Upsert",
        pb.UpsertRequest(space="frozen", ids=["x"], vectors=vectors((1, 0, 0))),
        Code.FAILED_PRECONDITION,
        ["frozen", "read-only"],
    ),
    (
        "Delete",
        pb.DeleteRequest(space="frozen", ids=["a"]),
        Code.FAILED_PRECONDITION,
        ["read-only"],
    ),
    ("DropSpace", pb.DropSpaceRequest(space="frozen"), Code.FAILED_PRECONDITION, ["read-only"]),
    ("Get", pb.GetRequest(space="s", ids=["a", "ghost"]), Code.NOT_FOUND, ["ids[1]", "ghost"]),
    ("Get", pb.GetRequest(space="s"), Code.INVALID_ARGUMENT, ["ids", "empty"]),
    ("Search", pb.SearchRequest(space="s"), Code.INVALID_ARGUMENT, ["queries", "empty"]),
    (
        "Search",
        pb.SearchRequest(space="s", queries=[pb.Query()]),
        Code.INVALID_ARGUMENT,
        ["queries[0]", "one of id, vector, text or image"],
    ),
    (
        "Search",
        pb.SearchRequest(space="s", queries=[pb.Query(id="ghost")]),
        Code.NOT_FOUND,
        ["queries[0].id", "ghost"],
    ),
    (
        "Search",
        pb.SearchRequest(space="s", queries=[pb.Query(vector=f32(1, 0))]),
        Code.INVALID_ARGUMENT,
        ["queries[0].vector", "8 bytes", "12"],
    ),
    (
        "Search",
        pb.SearchRequest(space="s", queries=[pb.Query(vector=f32(0, np.nan, 0))]),
        Code.INVALID_ARGUMENT,
        ["queries[0].vector", "NaN"],
    ),
    (
        "Search",
        pb.SearchRequest(space="s", queries=[pb.Query(vector=f32(0, 0, 0))]),
        Code.INVALID_ARGUMENT,
        ["queries[0].vector", "zero"],
    ),
    (
        "Search",
        pb.SearchRequest(space="s", queries=[pb.Query(id="a")], k=0),
        Code.INVALID_ARGUMENT,
        ["k", "1 and 1000", "got 0"],
    ),
    (
        "Search",
        pb.SearchRequest(space="s", queries=[pb.Query(id="a")], k=-3),
        Code.INVALID_ARGUMENT,
        ["k", "got -3"],
    ),
    (
        "Search",
        pb.SearchRequest(space="s", queries=[pb.Query(id="a")], k=1001),
        Code.INVALID_ARGUMENT,
        ["k", "1000"],
    ),
    (
        "Search",
        pb.SearchRequest(space="s", queries=[pb.Query(id="a")] * 1025),
        Code.RESOURCE_EXHAUSTED,
        ["queries", "1024"],
    ),
    (
        "Search",
        pb.SearchRequest(space="s", queries=[pb.Query(vector=b"\0" * (MAX_MESSAGE + 8))]),
        Code.RESOURCE_EXHAUSTED,
        ["larger than max"],
    ),
    ("Arithmetic", pb.ArithmeticRequest(space="s"), Code.INVALID_ARGUMENT, ["terms", "empty"]),
    (
        "Arithmetic",
        pb.ArithmeticRequest(space="s", terms=[pb.Term(id="ghost")]),
        Code.NOT_FOUND,
        ["terms[0].id", "ghost"],
    ),
    (
        "Arithmetic",
        pb.ArithmeticRequest(space="s", terms=[pb.Term(id="a", weight=float("nan"))]),
        Code.INVALID_ARGUMENT,
        ["terms[0].weight", "finite"],
    ),
    (
        "Arithmetic",
        pb.ArithmeticRequest(space="s", terms=[pb.Term(id="a")] * 33),
        Code.RESOURCE_EXHAUSTED,
        ["terms", "32"],
    ),
    (
        "Arithmetic",
        pb.ArithmeticRequest(
            space="s", terms=[pb.Term(id="a", weight=-1)], method=pb.ARITHMETIC_METHOD_COS_MUL
        ),
        Code.INVALID_ARGUMENT,
        ["3CosMul", "positive"],
    ),
    (
        "Arithmetic",
        pb.ArithmeticRequest(space="s", terms=[pb.Term(id="a"), pb.Term(id="a", weight=-1)]),
        Code.INVALID_ARGUMENT,
        ["terms", "zero"],
    ),
    (
        "Arithmetic",
        pb.ArithmeticRequest(space="s", terms=[pb.Term(id="a")], method=7),
        Code.INVALID_ARGUMENT,
        ["method"],
    ),
    (
        "Embed",
        pb.EmbedRequest(space="s", texts=["hello"]),
        Code.UNIMPLEMENTED,
        ["'s'", "cannot embed text"],
    ),
]


@pytest.fixture
def stub(start_server) -> Iterator[tuple[pb_grpc.SemspaceStub, SemspaceServer]]:
    server: SemspaceServer = start_server(max_message_bytes=MAX_MESSAGE)
    with writing_artifact(server.registry.root, "frozen") as writer:
        writer.finish(
            kind="test-trainer",
            metric=Metric.COSINE,
            vectors=np.eye(3, dtype=np.float32),
            ids=["a", "b", "c"],
            producer=Producer(name="tests"),
        )
    server.stop(0)
    server = start_server(max_message_bytes=MAX_MESSAGE)
    with grpc.insecure_channel(server.address) as channel:
        stub = pb_grpc.SemspaceStub(channel)
        stub.CreateSpace(pb.CreateSpaceRequest(space="s", dim=3))
        stub.Upsert(pb.UpsertRequest(space="s", ids=["a", "b"], vectors=GOOD))
        yield stub, server


def snapshot(stub: pb_grpc.SemspaceStub) -> list[tuple[str, int]]:
    return [(s.name, s.count) for s in stub.ListSpaces(pb.ListSpacesRequest()).spaces]


@pytest.mark.parametrize(
    ("rpc", "request_", "code", "words"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_bad_request_gets_its_status_and_a_message_naming_the_field(
    stub, rpc, request_, code, words
) -> None:
    raw, _ = stub
    before = snapshot(raw)
    with pytest.raises(grpc.RpcError) as raised:
        getattr(raw, rpc)(request_, timeout=10)
    assert raised.value.code() == code, raised.value.details()
    for word in words:
        assert word in raised.value.details()
    assert snapshot(raw) == before
    hits = raw.Search(pb.SearchRequest(space="s", queries=[pb.Query(vector=f32(1, 0.1, 0))], k=1))
    assert list(hits.results[0].ids) == ["a"]
