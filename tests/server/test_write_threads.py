"""Large writes get more OpenMP threads for their own thread, and give them back."""

from __future__ import annotations

from collections.abc import Iterator

import faiss
import pytest

from semspace.server.index import BULK_WRITE_POINTS, write_threads


@pytest.fixture(autouse=True)
def one_search_thread() -> Iterator[None]:
    """As in the server's workers; the test process's own setting is put back after."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    yield
    faiss.omp_set_num_threads(before)


def test_a_bulk_write_raises_the_threads_and_restores_them() -> None:
    with write_threads(BULK_WRITE_POINTS, 2):
        assert faiss.omp_get_max_threads() == 2
    assert faiss.omp_get_max_threads() == 1


def test_a_small_write_keeps_the_search_setting() -> None:
    with write_threads(BULK_WRITE_POINTS - 1, 2):
        assert faiss.omp_get_max_threads() == 1
    assert faiss.omp_get_max_threads() == 1
