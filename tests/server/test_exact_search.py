"""Exact search over float16 vectors, widened a block at a time, gives the answer of one scan."""

from __future__ import annotations

import numpy as np
import pytest

from semspace.artifact import Metric
from semspace.server import index as index_module
from semspace.server.index import exact_search


@pytest.mark.parametrize("metric", [Metric.L2, Metric.INNER_PRODUCT, Metric.COSINE])
def test_blockwise_scan_of_float16_vectors_matches_a_single_scan(monkeypatch, metric) -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(1003, 16)).astype(np.float16)
    labels = np.arange(5000, 6003, dtype=np.int64)
    queries = rng.normal(size=(7, 16)).astype(np.float32)
    whole = exact_search(queries, vectors.astype(np.float32), labels, 25, metric)
    # Blocks of 100 rows, the last one of 3: fewer rows than k.
    monkeypatch.setattr(index_module, "EXACT_BLOCK_ROWS", 100)
    blocks = exact_search(queries, vectors, labels, 25, metric)
    assert np.array_equal(blocks[1], whole[1])
    assert np.allclose(blocks[0], whole[0], rtol=1e-6)
