"""Opening a channel (plaintext or TLS, mTLS) and the metadata each call carries (key, request id).

Shared by Client and AsyncClient, so that both connect and authenticate the same way.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2

from semspace.rpc_access import RPC_ACCESS, Access
from semspace.v1 import semspace_pb2 as pb

API_KEY_ENV = "SEMSPACE_API_KEY"
DEFAULT_PORT = 50051

SERVICE = pb.DESCRIPTOR.services_by_name["Semspace"].full_name
HEALTH_SERVICE = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name
# Reads change nothing, so sending one again is always safe. Writes are never resent: a call
# cut off after the server applied it fails UNAVAILABLE too, and a second Upsert would report
# its points as updated, a second delete-by-filter could take points written in between.
READ_METHODS = tuple(rpc for rpc, access in RPC_ACCESS.items() if access is Access.READ)
# gRPC allows 5 attempts at most; past that it quietly takes 5.
MAX_RETRIES = 4

_HOST = re.compile(r"[A-Za-z0-9_.-]+")  # a name or IPv4 address, without a port
_BARE_IPV6 = re.compile(r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")
_BRACKETED_IPV6 = re.compile(r"\[[0-9A-Za-z:.%]+\]")


def with_default_port(address: str) -> str:
    """The address with semspace's port added where it names a host alone: gRPC would
    otherwise go to 443, its default, and "localhost" would hang until the deadline. Addresses
    with a port, a scheme ("dns:///", "unix:", "ipv6:...") or anything else pass unchanged."""
    if _HOST.fullmatch(address) or _BRACKETED_IPV6.fullmatch(address):
        return f"{address}:{DEFAULT_PORT}"
    if _BARE_IPV6.fullmatch(address):
        return f"[{address}]:{DEFAULT_PORT}"
    return address


@dataclass(frozen=True)
class Security:
    """How to reach the server: TLS when `tls` or a CA is given; a client cert/key for mTLS."""

    tls: bool = False
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None

    @property
    def uses_tls(self) -> bool:
        return self.tls or self.ca_file is not None or self.cert_file is not None

    def credentials(self) -> grpc.ChannelCredentials:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file: give both for mTLS, or neither")
        return grpc.ssl_channel_credentials(
            root_certificates=_read(self.ca_file),  # None: the system's trusted roots
            private_key=_read(self.key_file),
            certificate_chain=_read(self.cert_file),
        )


def _read(path: Path | None) -> bytes | None:
    return None if path is None else Path(path).read_bytes()


def retry_policy(retries: int) -> str:
    """gRPC's service config: reads sent again on UNAVAILABLE (the server restarting, still
    loading its spaces, or a connection lost) and on CANCELLED (what a server shutting down
    answers to calls it had received but not started), `retries` times at most, after
    randomised exponential backoff (bench/client_retries.py: 0 searches failed across 2-4 s
    restarts, against 78-110 a restart without). Throttled: once about 50 more attempts on a
    channel failed than succeeded, failures are no longer resent."""
    if not 0 <= retries <= MAX_RETRIES:
        raise ValueError(f"retries: must be between 0 and {MAX_RETRIES}, got {retries}")
    if not retries:
        return json.dumps({"methodConfig": []})
    reads = [{"service": SERVICE, "method": method} for method in READ_METHODS]
    reads.append({"service": HEALTH_SERVICE, "method": "Check"})
    policy = {
        "maxAttempts": retries + 1,
        "initialBackoff": "0.25s",
        "maxBackoff": "5s",
        "backoffMultiplier": 3,
        "retryableStatusCodes": ["UNAVAILABLE", "CANCELLED"],
    }
    config = {
        "methodConfig": [{"name": reads, "retryPolicy": policy}],
        "retryThrottling": {"maxTokens": 100, "tokenRatio": 0.1},
    }
    return json.dumps(config)


def channel_options(max_message_bytes: int, retries: int) -> list[tuple[str, int | str]]:
    return [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
        ("grpc.enable_retries", int(retries > 0)),
        ("grpc.service_config", retry_policy(retries)),
    ]


def open_channel(
    address: str, security: Security, max_message_bytes: int, retries: int, *, aio: bool
) -> grpc.Channel | grpc.aio.Channel:
    options = channel_options(max_message_bytes, retries)
    module = grpc.aio if aio else grpc
    if security.uses_tls:
        return module.secure_channel(address, security.credentials(), options=options)
    return module.insecure_channel(address, options=options)


def call_metadata(api_key: str | None, request_id: str | None) -> tuple[tuple[str, str], ...]:
    """`authorization: Bearer KEY` (plain metadata, so it works without TLS on loopback too) and
    `x-request-id`, which the server echoes and writes into its log lines."""
    metadata: list[tuple[str, str]] = []
    if api_key:
        metadata.append(("authorization", f"Bearer {api_key}"))
    if request_id:
        metadata.append(("x-request-id", request_id))
    return tuple(metadata)
