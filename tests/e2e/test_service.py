"""Health checking and reflection, as load balancers and grpcurl use them."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from semspace.server.app import SERVICE_NAME, create_server
from tests.conftest import settings_for


def test_health_reports_serving_for_the_server_and_the_service(server) -> None:
    with grpc.insecure_channel(server.address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for service in ("", SERVICE_NAME):
            response = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            assert response.status == health_pb2.HealthCheckResponse.SERVING


def test_health_is_not_serving_before_load_and_after_stop(tmp_path) -> None:
    server = create_server(settings_for(tmp_path))
    with grpc.insecure_channel(server.address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        check = health_pb2.HealthCheckRequest(service=SERVICE_NAME)
        assert stub.Check(check, timeout=5).status == health_pb2.HealthCheckResponse.NOT_SERVING
        server.load()
        assert stub.Check(check, timeout=5).status == health_pb2.HealthCheckResponse.SERVING
        server._set_health(health_pb2.HealthCheckResponse.NOT_SERVING)  # what stop() does first
        assert stub.Check(check, timeout=5).status == health_pb2.HealthCheckResponse.NOT_SERVING
    server.stop(0)


def test_reflection_lists_the_semspace_service_and_its_methods(server) -> None:
    with grpc.insecure_channel(server.address) as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        assert SERVICE_NAME in database.get_services()
        descriptor = database.FindFileContainingSymbol(SERVICE_NAME)
        methods = {m.name for m in descriptor.service[0].method}
        assert {"Search", "Arithmetic", "Upsert", "Embed"} <= methods
