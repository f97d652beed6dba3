"""Metrics hooks for the rest of the server, and the switch that turns them on.

Metrics are off by default (`metrics_port` unset): the server then neither imports
prometheus_client (with its HTTP server) nor counts calls: an idle `semspace serve` held 79.6
MiB of RSS instead of 81.1 (three starts each, measured). Once a server of this process serves
/metrics, every call of every server in it is counted, as Prometheus clients keep one registry
a process.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from semspace.server.prometheus_metrics import MetricsEndpoint
    from semspace.server.registry import SpaceRegistry
    from semspace.server.settings import ServerSettings

# `prometheus_metrics`, once some server of this process serves /metrics.
_exporter: ModuleType | None = None


def observe_request(rpc: str, code: str, seconds: float) -> None:
    if _exporter is not None:
        _exporter.observe_request(rpc, code, seconds)


def observe_batch_size(rpc: str, space: str, size: int) -> None:
    """Records one batch handed to a space's index (called by the micro-batcher)."""
    if _exporter is not None:
        _exporter.observe_batch_size(rpc, space, size)


def start_metrics(settings: ServerSettings, registry: SpaceRegistry) -> MetricsEndpoint | None:
    """Starts /metrics on settings.metrics_host:metrics_port, or nothing when the port is unset."""
    global _exporter
    if settings.metrics_port is None:
        return None
    from semspace.server import prometheus_metrics

    _exporter = prometheus_metrics
    return prometheus_metrics.start_metrics(settings, registry, settings.metrics_port)
