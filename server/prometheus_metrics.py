"""Prometheus metrics: calls by RPC and status, latency, batch sizes, vectors, index memory, log
size and snapshots per space, process memory, served over HTTP. Imported only once a server of
this process sets `metrics_port` (see `metrics.py`).

The metric objects are process-wide, as Prometheus clients expect one exporter per process; the
spaces of a running server are read at scrape time by a collector that the server registers.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.exposition import start_http_server

from semspace import __version__
from semspace.server.journal import Journal
from semspace.server.registry import SpaceRegistry
from semspace.server.settings import ServerSettings
from semspace.server.space import Space

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry()
# process_resident_memory_bytes, process_cpu_seconds_total, process_start_time_seconds, ...
ProcessCollector(registry=REGISTRY)

REQUESTS = Counter(
    "semspace_requests",
    "Calls answered, by RPC and gRPC status code (errors are the codes other than OK).",
    ["rpc", "code"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "semspace_request_seconds",
    "Time from a call's arrival to its answer, by RPC.",
    ["rpc"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
BATCH_SIZE = Histogram(
    "semspace_batch_size",
    "Queries per index call, by RPC and space: how much the micro-batcher merged.",
    ["rpc", "space"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
    registry=REGISTRY,
)


def observe_request(rpc: str, code: str, seconds: float) -> None:
    _requests(rpc, code).inc()
    _latency(rpc).observe(seconds)


# Labelled children looked up once: `labels()` takes a lock and builds a key on every call.
@functools.cache
def _requests(rpc: str, code: str) -> Counter:
    return REQUESTS.labels(rpc, code)


@functools.cache
def _latency(rpc: str) -> Histogram:
    return LATENCY.labels(rpc)


def observe_batch_size(rpc: str, space: str, size: int) -> None:
    """Records one batch handed to a space's index (called by the micro-batcher)."""
    BATCH_SIZE.labels(rpc, space).observe(size)


def _journal_value(read: Callable[[Journal], float]) -> Callable[[Space], float | None]:
    """A figure of a user space's journal; trained spaces have none."""
    return lambda space: None if space.journal is None else read(space.journal)


Family = type[GaugeMetricFamily] | type[CounterMetricFamily]
# Per-space metrics read at each scrape: name, help, family, the value for a space (None: none).
PER_SPACE: list[tuple[str, str, Family, Callable[[Space], float | None]]] = [
    ("semspace_space_vectors", "Live points of a space.", GaugeMetricFamily, lambda s: s.count),
    (
        "semspace_index_memory_bytes",
        "Estimated memory of a space's index.",
        GaugeMetricFamily,
        lambda s: s.index.memory_bytes,
    ),
    (
        "semspace_index_read_from_cache",
        "1 when a space's index was read from the index cache at load, 0 when it was built.",
        GaugeMetricFamily,
        lambda s: int(s.index_restored),
    ),
    (
        "semspace_rebuild_running",
        "1 while a space is rebuilt without its dead rows (reads and writes go on).",
        GaugeMetricFamily,
        lambda s: int(s.rebuilding),
    ),
    (
        "semspace_log_bytes",
        "Bytes of a user space's write-ahead log that its next snapshot will fold.",
        GaugeMetricFamily,
        _journal_value(lambda journal: journal.log_bytes),
    ),
    (
        "semspace_snapshots",
        "Snapshots of a user space put in place.",
        CounterMetricFamily,
        _journal_value(lambda journal: journal.stats.written),
    ),
    (
        "semspace_snapshot_failures",
        "Snapshots of a user space that failed (the log keeps every write; see the log).",
        CounterMetricFamily,
        _journal_value(lambda journal: journal.stats.failed),
    ),
    (
        "semspace_snapshot_seconds",
        "How long a user space's last snapshot took, from its copy to its swap.",
        GaugeMetricFamily,
        _journal_value(lambda journal: journal.stats.last_seconds),
    ),
    (
        "semspace_snapshot_running",
        "1 while a user space's snapshot is written.",
        GaugeMetricFamily,
        _journal_value(lambda journal: int(journal.snapshotting)),
    ),
]


class SpacesCollector:
    """Vectors and index memory per space, read from the registry at each scrape."""

    def __init__(self, registry: SpaceRegistry) -> None:
        self.registry = registry

    def describe(self) -> list[Metric]:
        # Nothing to declare up front: a test process may run several servers, each with its own
        # collector, and declared names would clash on registration.
        return []

    def collect(self) -> Iterator[Metric]:
        info = InfoMetricFamily("semspace_build", "Version of the running server.")
        info.add_metric([], {"version": __version__})
        yield info
        loaded = self.registry.loaded
        spaces = self.registry.all() if loaded else []
        for name, help_text, family_type, value_of in PER_SPACE:
            family = family_type(name, help_text, labels=["space"])
            for space in spaces:
                value = value_of(space)
                if value is not None:
                    family.add_metric([space.name], value)
            yield family
        yield GaugeMetricFamily(
            "semspace_spaces_loaded", "1 once the spaces are loaded and served.", value=int(loaded)
        )


@dataclass
class MetricsEndpoint:
    """The HTTP /metrics server of one semspace server."""

    httpd: WSGIServer
    collector: SpacesCollector

    @property
    def port(self) -> int:
        return int(self.httpd.server_port)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        REGISTRY.unregister(self.collector)


def start_metrics(settings: ServerSettings, registry: SpaceRegistry, port: int) -> MetricsEndpoint:
    """Starts /metrics on settings.metrics_host:port."""
    collector = SpacesCollector(registry)
    REGISTRY.register(collector)
    # The server thread is a daemon; stop() shuts its loop down.
    httpd, _ = start_http_server(port, addr=settings.metrics_host, registry=REGISTRY)
    endpoint = MetricsEndpoint(httpd, collector)
    log.info("metrics on http://%s:%d/metrics", settings.metrics_host, endpoint.port)
    return endpoint
