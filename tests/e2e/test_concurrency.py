"""Many clients at once: searches never fail or see half a write, and no write is lost."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from semspace.client import Client

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
