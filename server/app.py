"""Builds and runs the gRPC server: semspace service, health checking and reflection."""

from __future__ import annotations

import logging
import signal
import threading
import time
from concurrent import futures
from dataclasses import dataclass
from typing import TYPE_CHECKING

import faiss
import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from semspace.server import tls
from semspace.server.artifact_watch import ArtifactWatch
from semspace.server.auth import KeyStore, is_loopback, load_key_store
from semspace.server.health_service import HealthService
from semspace.server.hnsw_threads import HNSW_THREADS
from semspace.server.interceptors import RequestInterceptor
from semspace.server.memory import keep_numpy_off_huge_pages, release_free_memory, tune_malloc
from semspace.server.metrics import start_metrics
from semspace.server.open_files import lift_open_files_limit
from semspace.server.registry import SpaceRegistry
from semspace.server.servicer import SemspaceServicer
from semspace.server.settings import ServerSettings
from semspace.v1 import semspace_pb2 as pb
from semspace.v1 import semspace_pb2_grpc as pb_grpc

if TYPE_CHECKING:
    from semspace.server.prometheus_metrics import MetricsEndpoint

log = logging.getLogger(__name__)

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["Semspace"].full_name


@dataclass
class SemspaceServer:
    """A started gRPC server; `load` fills it and flips health to SERVING."""

    grpc_server: grpc.Server
    port: int
    registry: SpaceRegistry
    health: HealthService
    servicer: SemspaceServicer
    keys: KeyStore
    metrics: MetricsEndpoint | None = None
    watch: ArtifactWatch | None = None
    _stopped: bool = False

    @property
    def address(self) -> str:
        return f"{self.registry.settings.host}:{self.port}"

    def begin_drain(self) -> None:
        """Health says NOT_SERVING while calls are still answered, so balancers move away."""
        self._set_health(health_pb2.HealthCheckResponse.NOT_SERVING)

    def load(self) -> None:
        self.registry.load_all()
        release_free_memory()
        self._set_health(health_pb2.HealthCheckResponse.SERVING)
        interval = self.registry.settings.reload_interval_seconds
        if interval > 0:
            self.watch = ArtifactWatch(self.registry, interval)
            self.watch.start()

    def stop(self, grace: float | None = None) -> None:
        """NOT_SERVING first (load balancers stop sending), drain in-flight calls, close logs.
        Once: a second call (a test's own stop, then its fixture's) does nothing."""
        if self._stopped:
            return
        self._stopped = True
        self._set_health(health_pb2.HealthCheckResponse.NOT_SERVING)
        if self.watch is not None:
            self.watch.stop()
        if grace is None:
            grace = self.registry.settings.grace_seconds
        self.grpc_server.stop(grace).wait()
        self.health.close()
        self.registry.close()
        if self.metrics is not None:
            self.metrics.stop()

    def _set_health(self, status: int) -> None:
        for service in ("", SERVICE_NAME):
            self.health.set(service, status)


def create_server(settings: ServerSettings) -> SemspaceServer:
    """Binds and starts the server (health NOT_SERVING); call `load()` to serve spaces.

    Refuses (AuthConfigError) to bind a non-loopback address without API keys unless auth is
    explicitly off.
    """
    tune_malloc()
    keep_numpy_off_huge_pages()
    lift_open_files_limit(settings.max_spaces)
    keys = load_key_store(settings)
    credentials = tls.server_credentials(settings)
    registry = SpaceRegistry(settings)
    HNSW_THREADS.configure(settings.batches_running, settings.faiss_threads)
    server = grpc.server(
        futures.ThreadPoolExecutor(
            max_workers=settings.workers,
            thread_name_prefix="semspace",
            # One thread per FAISS call in the workers (OpenMP's setting is per thread):
            # concurrent calls already fill the cores, and OpenMP threads spinning against each
            # other made a single 60k x 128 flat query take 24 ms instead of 1.7 ms on a busy
            # 2-core machine (measured). Loading, on the main thread, keeps every core.
            initializer=faiss.omp_set_num_threads,
            initargs=(settings.faiss_threads,),
        ),
        interceptors=[RequestInterceptor(keys, settings)],
        options=[
            ("grpc.max_receive_message_length", settings.max_message_bytes),
            ("grpc.max_send_message_length", settings.max_message_bytes),
        ],
    )
    servicer = SemspaceServicer(registry, settings)
    pb_grpc.add_SemspaceServicer_to_server(servicer, server)
    health_servicer = HealthService()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    address = f"{settings.host}:{settings.port}"
    try:
        if credentials is None:
            port = server.add_insecure_port(address)
        else:
            port = server.add_secure_port(address, credentials)
    except RuntimeError:  # grpcio raises where older versions returned port 0
        port = 0
    if port == 0:
        tls_hint = " or do tls_cert_file and tls_key_file not match?" if credentials else ""
        raise OSError(
            f"could not bind {address}: is the port taken, or the host not this one?{tls_hint}"
        )
    # Metrics before start: if their port is taken, no gRPC server is left running.
    metrics = start_metrics(settings, registry)
    running = SemspaceServer(server, port, registry, health_servicer, servicer, keys, metrics)
    running._set_health(health_pb2.HealthCheckResponse.NOT_SERVING)
    server.start()
    return running


def serve(settings: ServerSettings) -> None:
    """Runs until SIGTERM or SIGINT, then drains gracefully."""
    running = create_server(settings)
    log.info("semspace listening on %s (artifacts: %s)", running.address, settings.artifacts_dir)
    log.info("%s; %s", running.keys.describe(), tls.describe(settings))
    if not running.keys.enabled and not is_loopback(settings.host):
        log.warning(
            "auth is off on %s: anyone who reaches this port may read and write every space",
            settings.host,
        )
    # Handlers before loading: a SIGTERM that arrives while loading, or right after SERVING,
    # still gets the graceful path rather than the default instant death.
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    running.load()
    log.info("serving %d spaces", len(running.registry.all()))
    # Timed waits: Python runs a signal's handler in the main thread, and an untimed wait is
    # woken only if the signal lands on that thread, not on one of gRPC's.
    while not stopping.wait(0.5):
        pass
    log.info(
        "shutting down: NOT_SERVING for %.1f s, then draining in-flight calls for up to %.0f s",
        settings.drain_delay_seconds,
        settings.grace_seconds,
    )
    running.begin_drain()
    time.sleep(settings.drain_delay_seconds)
    running.stop()
    log.info("stopped: calls drained, write-ahead logs closed")
