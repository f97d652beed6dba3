"""The standard gRPC health service, answering Check on threads of its own.

gRPC runs every handler on the server's worker pool, so under load a probe waited behind the
searches queued before it: 48 clients running exact searches held Check for 1.2-1.6 s at 16
workers, long enough for a load balancer or Kubernetes to take a busy server for a dead one.
grpcio picks another pool for a handler that names one in `experimental_thread_pool` (the
health package sets it for Watch); Check gets its own pool here, per server instance.
"""

from __future__ import annotations

from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2

HEALTH_THREADS = 2


class HealthService(health.HealthServicer):
    def __init__(self) -> None:
        super().__init__(experimental_non_blocking=True)
        self.pool = futures.ThreadPoolExecutor(HEALTH_THREADS, thread_name_prefix="health")

        def check(
            request: health_pb2.HealthCheckRequest, context: grpc.ServicerContext
        ) -> health_pb2.HealthCheckResponse:
            return health.HealthServicer.Check(self, request, context)

        # An attribute of this instance's function, not of the class's: each server in a
        # process (tests run several) keeps its own pool.
        check.experimental_thread_pool = self.pool  # type: ignore[attr-defined]
        self.Check = check  # type: ignore[method-assign]

    def close(self) -> None:
        self.pool.shutdown(wait=True)
