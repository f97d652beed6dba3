"""Many clients at once: searches never fail or see half a write, and no write is lost."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from semspace.client import Client


def test_concurrent_searches_and_upserts_lose_nothing(server) -> None:
    with Client(server.address) as setup:
        setup.create_space("busy", 8, "cosine")
        setup.upsert("busy", ["seed"], np.ones((1, 8)))

    def writer(worker: int) -> None:
        rng = np.random.default_rng(worker)
        with Client(server.address) as client:
            for batch in range(20):
                ids = [f"w{worker}-{batch}-{i}" for i in range(5)]
                client.upsert("busy", ids, rng.normal(size=(5, 8)) + 0.1)

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
        assert client.get_space("busy").count == 1 + 3 * 20 * 5
