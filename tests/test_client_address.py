"""Where the client connects when the address leaves the port out."""

from __future__ import annotations

import pytest

from semspace.client import Client
from semspace.client.channel import DEFAULT_PORT, with_default_port
from semspace.server.settings import ServerSettings


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("localhost", f"localhost:{DEFAULT_PORT}"),
        ("semspace.internal", f"semspace.internal:{DEFAULT_PORT}"),
        ("my_host-1", f"my_host-1:{DEFAULT_PORT}"),
        ("10.0.0.7", f"10.0.0.7:{DEFAULT_PORT}"),
        ("[::1]", f"[::1]:{DEFAULT_PORT}"),
        ("::1", f"[::1]:{DEFAULT_PORT}"),
        ("fe80::1:2", f"[fe80::1:2]:{DEFAULT_PORT}"),
        ("localhost:6000", "localhost:6000"),
        ("10.0.0.7:443", "10.0.0.7:443"),
        ("[::1]:6000", "[::1]:6000"),
        ("dns:///semspace.internal:6000", "dns:///semspace.internal:6000"),
        ("unix:/run/semspace.sock", "unix:/run/semspace.sock"),
        ("ipv4:10.0.0.1:6000,10.0.0.2:6000", "ipv4:10.0.0.1:6000,10.0.0.2:6000"),
    ],
)
def test_a_host_alone_gets_the_servers_port(given: str, expected: str) -> None:
    assert with_default_port(given) == expected


def test_the_client_default_port_is_the_servers() -> None:
    assert ServerSettings().port == DEFAULT_PORT


def test_the_client_connects_to_the_completed_address() -> None:
    with Client("localhost") as client:
        assert client.address == f"localhost:{DEFAULT_PORT}"
