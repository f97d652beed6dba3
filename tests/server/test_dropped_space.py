"""A write whose call fetched a space just before it was dropped: NOT_FOUND, never an internal
error, and it lands in neither the dropped space nor a new one of the same name."""

from __future__ import annotations

import numpy as np
import pytest

from semspace.client import Client
from semspace.server.errors import NotFound


def test_a_write_racing_a_drop_is_not_found_and_lands_nowhere(start_server) -> None:
    server = start_server()
    with Client(server.address) as client:
        client.create_space("gone", 2, "l2")
        client.upsert("gone", ["a"], np.ones((1, 2)))
        fetched = server.registry.get("gone")  # as a handler holds it before its write
        client.drop_space("gone")
        client.create_space("gone", 2, "l2")
        with pytest.raises(NotFound, match="space 'gone' was dropped"):
            fetched.upsert(["b"], np.ones((1, 2), dtype=np.float32), [""])
        with pytest.raises(NotFound, match="space 'gone' was dropped"):
            fetched.delete(["a"])
        assert client.get_space("gone").count == 0
    server.stop(0)
    with Client(start_server().address) as client:
        assert client.get_space("gone").count == 0
