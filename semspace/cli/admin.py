"""Operator commands: a running server's status, and new API keys."""

from __future__ import annotations

import argparse
import hashlib
import re
import secrets
import time
import urllib.request

from semspace.cli.connect import client_from
from semspace.cli.output import table

_BUILD = re.compile(r'^semspace_build_info\{version="([^"]*)"\}', re.MULTILINE)
_STARTED = re.compile(r"^process_start_time_seconds (\S+)$", re.MULTILINE)


def _uptime(seconds: float) -> str:
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h {minutes} min" if days else f"{hours} h {minutes} min"


def _server_facts(metrics_url: str, timeout: float) -> list[tuple[str, str]]:
    """Version and uptime from the server's Prometheus endpoint (the gRPC API does not carry
    them)."""
    with urllib.request.urlopen(metrics_url, timeout=timeout) as response:
        text = response.read().decode()
    facts = []
    if version := _BUILD.search(text):
        facts.append(("version", version.group(1)))
    if started := _STARTED.search(text):
        facts.append(("uptime", _uptime(time.time() - float(started.group(1)))))
    return facts


def cmd_status(args: argparse.Namespace) -> int:
    """Health, then spaces; exit 0 only when the server is SERVING."""
    with client_from(args) as client:
        health = client.health()
        print(f"server   {args.address}  {health}")
        if args.metrics_url:
            for name, value in _server_facts(args.metrics_url, args.timeout):
                print(f"{name:<8} {value}")
        spaces = client.list_spaces()
        aliases = client.list_aliases()
    total = sum(s.count for s in spaces)
    print(f"spaces   {len(spaces)}, {total:,} vectors")
    rows = [
        (s.name, s.kind, s.dim, s.metric, f"{s.count:,}", s.index, "yes" if s.writable else "no")
        for s in spaces
    ]
    if rows:
        print(table(("space", "kind", "dim", "metric", "count", "index", "writable"), rows))
    if aliases:
        print("aliases  " + ", ".join(f"{alias} -> {space}" for alias, space in aliases.items()))
    return 0 if health == "SERVING" else 1


def cmd_keygen(args: argparse.Namespace) -> int:
    """A new random key, and the line for the server's keys file (which holds only its hash)."""
    key = secrets.token_urlsafe(32)
    digest = hashlib.sha256(key.encode()).hexdigest()
    print(f"key   {key}")
    print(f"line  {args.role} {digest}")
    print(
        "Give the key to the client (SEMSPACE_API_KEY); append the line to SEMSPACE_API_KEYS_FILE."
    )
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("status", help="summary of a running server: health, spaces, counts")
    p.add_argument(
        "--metrics-url", help="the server's /metrics URL, to show its version and uptime too"
    )
    p.set_defaults(func=cmd_status)
    p = commands.add_parser("keygen", help="make an API key and its line for the keys file")
    p.add_argument("--role", choices=("read-only", "read-write"), default="read-only")
    p.set_defaults(func=cmd_keygen)
