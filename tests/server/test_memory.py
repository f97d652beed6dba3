"""The allocator hooks run where glibc exists and do nothing harmful elsewhere."""

from __future__ import annotations

import numpy as np

from semspace.server.memory import limit_malloc_arenas, release_free_memory


def test_trimming_after_large_frees_keeps_working_memory_intact() -> None:
    limit_malloc_arenas()
    kept = np.arange(1_000_000, dtype=np.float64)
    garbage = [np.ones(1 << 18) for _ in range(20)]
    del garbage
    release_free_memory()
    assert kept.sum() == 1_000_000 * 999_999 / 2
