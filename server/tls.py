"""TLS for the gRPC port: the server's certificate and key, and optionally a client CA (mTLS)."""

from __future__ import annotations

from pathlib import Path

import grpc

from semspace.server.settings import ServerSettings

CERTIFICATE = b"-----BEGIN CERTIFICATE-----"
PRIVATE_KEY = b"PRIVATE KEY-----"  # "BEGIN PRIVATE KEY", "BEGIN RSA PRIVATE KEY", "BEGIN EC ..."


def _read(path: Path, what: str, marker: bytes) -> bytes:
    """The PEM file's bytes; gRPC itself only says that its handshaker could not be made."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise OSError(f"{what}: cannot read {path} ({error.strerror})") from error
    if marker not in data:
        raise ValueError(f"{what}: {path} is not PEM holding '{marker.decode()}'")
    return data


def server_credentials(settings: ServerSettings) -> grpc.ServerCredentials | None:
    """Credentials from the settings, or None for plaintext (no certificate configured)."""
    if settings.tls_cert_file is None or settings.tls_key_file is None:
        return None
    chain = _read(settings.tls_cert_file, "tls_cert_file", CERTIFICATE)
    key = _read(settings.tls_key_file, "tls_key_file", PRIVATE_KEY)
    client_ca = None
    if settings.tls_client_ca_file is not None:
        client_ca = _read(settings.tls_client_ca_file, "tls_client_ca_file", CERTIFICATE)
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
