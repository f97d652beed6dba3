"""Many clients at once: searches never fail or see half a write, and no write is lost."""

from __future__ import annotations

import itertools
import random
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from semspace.client import Client, NotFoundError

# Small IVF parameters so that the index trains in the middle of the writes.
INDEXES = {
    "flat": {},
    "hnsw": {"m": 8},
    "ivf_flat": {"nlist": 4},
    "ivf_pq": {"nlist": 4, "pq_m": 4, "pq_bits": 4},
}


@pytest.mark.parametrize("kind", list(INDEXES))
def test_concurrent_searches_upserts_and_deletes_lose_nothing(server, kind: str) -> None:
    with Client(server.address) as setup:
        setup.create_space("busy", 8, "cosine", index=kind, index_params=INDEXES[kind])
        setup.upsert("busy", ["seed"], np.ones((1, 8)))

    def writer(worker: int) -> None:
        rng = np.random.default_rng(worker)
        with Client(server.address) as client:
            for batch in range(20):
                ids = [f"w{worker}-{batch}-{i}" for i in range(12)]
                client.upsert("busy", ids, rng.normal(size=(12, 8)) + 0.1)
                # Delete one point of each batch, so deletes race the searches too.
                client.delete("busy", [ids[0]])

    def reader(worker: int) -> int:
        rng = np.random.default_rng(100 + worker)
        with Client(server.address) as client:
            for _ in range(40):
                hits = client.search("busy", rng.normal(size=8), k=5, with_vectors=True)
                assert 1 <= len(hits) <= 5
                assert np.all(np.diff(hits.scores) <= 1e-6)  # best first
                np.testing.assert_allclose(np.linalg.norm(hits.vectors, axis=1), 1, rtol=1e-5)
        return worker

    with ThreadPoolExecutor(max_workers=10) as pool:
        futures = [pool.submit(writer, w) for w in range(3)]
        futures += [pool.submit(reader, r) for r in range(7)]
        for future in futures:
            future.result()

    with Client(server.address) as client:
        info = client.get_space("busy")
        assert info.count == 1 + 3 * 20 * 11 and info.index_info.trained
        stored = client.scroll("busy", limit=1000)
        expected = {f"w{w}-{b}-{i}" for w in range(3) for b in range(20) for i in range(1, 12)}
        assert set(stored.ids) == expected | {"seed"}


class OwnPoints:
    """One client's points in a shared space (payload owner = the client's number), written and
    checked by that client alone while others replace, delete and rebuild around them."""

    def __init__(self, client: Client, owner: int) -> None:
        self.client, self.owner = client, owner
        self.rng = random.Random(owner)
        self.numbers = np.random.default_rng(owner)
        self.vectors: dict[str, np.ndarray] = {}

    def upsert(self) -> None:
        size = self.rng.choice([1, 20, 150])
        ids = list(dict.fromkeys(f"o{self.owner}-{self.rng.randint(0, 400)}" for _ in range(size)))
        vectors = self.numbers.normal(size=(len(ids), 8)).astype(np.float32)
        self.client.upsert("s", ids, vectors, [{"owner": self.owner}] * len(ids))
        self.vectors.update(zip(ids, vectors, strict=True))

    def delete(self) -> None:
        ids = self.rng.sample(list(self.vectors), self.rng.choice([1, len(self.vectors) // 2]))
        assert self.client.delete("s", ids).deleted == len(ids)
        for point_id in ids:
            del self.vectors[point_id]

    def search_own(self) -> None:
        """Exactly the nearest of its own points, by vector or by one of its ids, with two
        excluded: the query point and the excluded ones never come back."""
        query_id = self.rng.choice([None, *self.vectors])
        query = self.vectors[query_id] if query_id else self.numbers.normal(size=8)
        excluded = self.rng.sample(list(self.vectors), 2)
        found = self.client.search(
            "s",
            query_id or query,
            10,
            where={"owner": self.owner},
            exclude_ids=excluded,
            exact=self.rng.random() < 0.5,
        )
        candidates = set(self.vectors) - set(excluded) - {query_id}
        distances = {i: np.linalg.norm(self.vectors[i] - query) for i in candidates}
        assert set(found.ids) == set(sorted(candidates, key=distances.get)[:10])

    def search_unfiltered_by_id(self) -> None:
        query_id = self.rng.choice(list(self.vectors))
        assert query_id not in self.client.search("s", query_id, 5).ids


# The last set-up snapshots the space every 16 KiB of log, in the background, all along.
@pytest.mark.parametrize(
    ("kind", "compact_bytes"),
    [("flat", 1 << 26), ("hnsw", 1 << 26), ("flat", 1 << 14)],
    ids=["flat", "hnsw", "flat-snapshotting"],
)
def test_each_client_sees_exactly_its_own_points_while_others_rebuild(
    start_server, kind, compact_bytes
) -> None:
    """Searches are planned when their call arrives and run with a micro-batch: replacements and
    rebuilds by other clients in between must not let a query point or an excluded one back in,
    nor break a filtered search. After a restart every client's points are there, exactly."""
    server = start_server(wal_compact_bytes=compact_bytes)
    with Client(server.address) as setup:
        setup.create_space("s", 8, "l2", index=kind, index_params=INDEXES[kind])

    def work(owner: int) -> OwnPoints:
        with Client(server.address) as client:
            points = OwnPoints(client, owner)
            points.upsert()
            steps = {
                points.upsert: 35,
                points.delete: 15,
                points.search_own: 30,
                points.search_unfiltered_by_id: 20,
            }
            for _ in range(150):
                step = points.rng.choices(list(steps), list(steps.values()))[0]
                if len(points.vectors) < 5:
                    step = points.upsert
                step()
            return points

    with ThreadPoolExecutor(max_workers=8) as pool:
        owners = [future.result() for future in [pool.submit(work, o) for o in range(8)]]
    server.stop(0)
    with Client(start_server().address) as client:
        assert client.get_space("s").count == sum(len(points.vectors) for points in owners)
        for points in owners:
            stored = client.get("s", list(points.vectors))
            np.testing.assert_array_equal(stored.vectors, np.stack(list(points.vectors.values())))


def test_calls_racing_drop_and_recreate_get_answers_or_not_found(server) -> None:
    """Writes, searches and scrolls while the space is dropped and created again, over and over:
    each call answers or is NOT_FOUND; none fails inside the server."""
    with Client(server.address) as setup:
        setup.create_space("s", 8, "l2")
    stop = time.monotonic() + 3

    def call(worker: int) -> set[str]:
        rng = np.random.default_rng(worker)
        outcomes = set()
        with Client(server.address) as client:
            for i in itertools.count():
                if time.monotonic() > stop:
                    return outcomes
                try:
                    match i % 4:
                        case 0:
                            client.upsert("s", [f"{worker}-{i}"], rng.normal(size=(1, 8)))
                        case 1:
                            client.delete("s", [f"{worker}-{i - 1}"])
                        case 2:
                            client.search("s", rng.normal(size=8), 5)
                        case 3:
                            client.scroll("s", limit=10)
                    outcomes.add("OK")
                except NotFoundError:
                    outcomes.add("NOT_FOUND")

    def drop_and_recreate() -> None:
        with Client(server.address) as client:
            while time.monotonic() < stop:
                client.drop_space("s")
                client.create_space("s", 8, "l2")

    with ThreadPoolExecutor(max_workers=5) as pool:
        dropper = pool.submit(drop_and_recreate)
        outcomes = set().union(*pool.map(call, range(4)))
        dropper.result()
    assert outcomes == {"OK", "NOT_FOUND"}


def test_drops_racing_each_other_drop_once_and_the_rest_are_not_found(server) -> None:
    """Drops of one space that all found it before one took it out: the later ones failed with
    INTERNAL (KeyError) instead of NOT_FOUND. A CreateSpace of another space in each round holds
    the registry while it writes its first snapshot, so the drops pile up after finding it."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        clients = [Client(server.address) for _ in range(7)]

        def drop(client: Client) -> str:
            try:
                client.drop_space("s")
                return "OK"
            except NotFoundError:
                return "NOT_FOUND"

        for round_ in range(20):
            clients[0].create_space("s", 4)
            other = pool.submit(clients[0].create_space, f"other{round_}", 4)
            outcomes = list(pool.map(drop, clients[1:]))
            other.result()
            assert sorted(outcomes) == ["NOT_FOUND"] * 5 + ["OK"]
        for client in clients:
            client.close()
