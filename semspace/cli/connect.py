"""How the CLI reaches a server (address, deadline, retries, API key, TLS), for every command."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from semspace.client import Client
from semspace.client.api import DEFAULT_RETRIES
from semspace.client.channel import MAX_RETRIES


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None


def add_connection_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--address",
        default=os.environ.get("SEMSPACE_ADDRESS", "127.0.0.1:50051"),
        help="server address (env SEMSPACE_ADDRESS)",
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per call")
    parser.add_argument(
        "--retries",
        type=int,
        choices=range(MAX_RETRIES + 1),
        default=DEFAULT_RETRIES,
        help="times a read is sent again while the server is unavailable (restarting, loading)",
    )
    parser.add_argument(
        "--api-key", help="API key (default: env SEMSPACE_API_KEY); sent as a Bearer token"
    )
    parser.add_argument(
        "--ca-file",
        type=Path,
        default=_env_path("SEMSPACE_CA_FILE"),
        help="connect with TLS, trusting this PEM CA (env SEMSPACE_CA_FILE)",
    )
    parser.add_argument("--tls", action="store_true", help="TLS with the system's trusted roots")
    parser.add_argument(
        "--cert-file",
        type=Path,
        default=_env_path("SEMSPACE_CERT_FILE"),
        help="client certificate for mTLS (env SEMSPACE_CERT_FILE)",
    )
    parser.add_argument(
        "--key-file",
        type=Path,
        default=_env_path("SEMSPACE_KEY_FILE"),
        help="client private key for mTLS (env SEMSPACE_KEY_FILE)",
    )


def client_from(args: argparse.Namespace) -> Client:
    return Client(
        args.address,
        timeout=args.timeout,
        retries=args.retries,
        api_key=args.api_key,
        tls=args.tls,
        ca_file=args.ca_file,
        cert_file=args.cert_file,
        key_file=args.key_file,
    )
