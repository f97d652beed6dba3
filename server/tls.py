"""TLS for the gRPC port: the server's certificate and key, and optionally a client CA (mTLS)."""

from __future__ import annotations

from pathlib import Path

import grpc

from semspace.server.settings import ServerSettings


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise OSError(f"{what}: cannot read {path} ({error.strerror})") from error


def server_credentials(settings: ServerSettings) -> grpc.ServerCredentials | None:
    """Credentials from the settings, or None for plaintext (no certificate configured)."""
    if settings.tls_cert_file is None or settings.tls_key_file is None:
        return None
    chain = _read(settings.tls_cert_file, "tls_cert_file")
    key = _read(settings.tls_key_file, "tls_key_file")
    client_ca = None
    if settings.tls_client_ca_file is not None:
        client_ca = _read(settings.tls_client_ca_file, "tls_client_ca_file")
    return grpc.ssl_server_credentials(
        [(key, chain)], root_certificates=client_ca, require_client_auth=client_ca is not None
    )


def describe(settings: ServerSettings) -> str:
    if settings.tls_cert_file is None:
        return "TLS off: plaintext gRPC"
    if settings.tls_client_ca_file is None:
        return f"TLS on ({settings.tls_cert_file})"
    ca = settings.tls_client_ca_file
    return f"mTLS on ({settings.tls_cert_file}; client certificates signed by {ca})"
