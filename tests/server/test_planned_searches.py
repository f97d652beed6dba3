"""A search is planned (its queries resolved) when its call arrives and run when its micro-batch
is: a write can come between. The points it must skip are the ones named, wherever that write
moved them: a replaced point has a new row, and a rebuild renumbers every row."""

from __future__ import annotations

import numpy as np

from semspace.client import Client
from semspace.server.app import SemspaceServer
from tests.conftest import wait_for_rebuild

DIM = 4


def line_of_points(n: int) -> np.ndarray:
    """Point i at (i + i²/10, 0, 0, 0): spacing grows along the line, so the neighbours of point
    j by L2 come without ties: j-1, j+1, j-2, j+2, ..."""
    points = np.zeros((n, DIM), dtype=np.float32)
    points[:, 0] = np.arange(n) + np.arange(n) ** 2 / 10
    return points


def test_points_replaced_after_planning_are_still_skipped(
    server: SemspaceServer, client: Client
) -> None:
    ids = [f"p{i}" for i in range(10)]
    client.create_space("s", DIM, "l2")
    client.upsert("s", ids, line_of_points(10))
    space = server.registry.get("s")
    job = space.plan_search(["p5"], 2, exclude_ids=["p4"])
    # Same vectors, new rows.
    client.upsert("s", ["p5", "p4"], line_of_points(10)[[5, 4]])
    (answer,) = space.run_searches([job])[0]
    assert answer.ids == ["p6", "p3"]


def test_points_renumbered_by_a_rebuild_after_planning_are_still_skipped(
    server: SemspaceServer, client: Client
) -> None:
    n = 3000
    ids = [f"p{i}" for i in range(n)]
    client.create_space("s", DIM, "l2")
    client.upsert("s", ids, line_of_points(n))
    space = server.registry.get("s")
    job = space.plan_search(["p2500"], 2, exclude_ids=["p2501"])
    # 1,600 dead rows outnumber the 1,400 live ones: this delete rebuilds the space, and every
    # surviving point moves 1,600 rows down.
    client.delete("s", ids[:1600])
    wait_for_rebuild(client, "s")
    (answer,) = space.run_searches([job])[0]
    assert answer.ids == ["p2499", "p2498"]
