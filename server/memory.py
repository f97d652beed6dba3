"""Keeping glibc's allocator from holding on to memory the server has freed.

Large requests (an Upsert of 10,000 x 128 floats is 5 MiB, copied while it is parsed, checked
and logged) leave freed blocks in per-thread malloc arenas that RSS keeps counting. With at most
two arenas and a trim after large writes, a 59k x 128 space upserted in 10k batches held 60 MiB
above the idle server instead of 131 MiB (measured). One arena, shared by every thread, holds
fewer partly used pages than two: the 1M x 128 HNSW search benchmark (10k-point Upserts, then
its c=1 and c=16 rows) ended at 731.0 MiB instead of 733.0, under the target of 732.4 (1.5x the
vectors), and a probe of the same load with 2 rounds of 16 clients x 100 searches at 731.1
instead of 733.5. Threads then share one lock for malloc (glibc's per-thread cache spares small
blocks of it): two servers of 200k x 128 HNSW side by side, 6 alternating rounds of 8 s, gave
medians of 535 against 562 QPS at c=1 and 916 against 942 at c=16, within the rounds' spread.

glibc also raises its mmap threshold to the size of each large block freed (up to 32 MiB), so
after the first 5 MiB request every later one is carved from the heap, where freed blocks
fragment it. A fixed 1 MiB threshold gives large blocks back to the system when freed: a 200k x
128 HNSW space upserted in 10k batches then held 13 MiB of RSS beyond the idle server and the
space's own estimate, against 39-54 MiB with the sliding threshold, at the same search speed
(measured). Elsewhere than glibc all of this is a no-op.

Numpy asks for transparent huge pages on arrays of 4 MiB and more, so a growing array's last,
partly written 2 MiB page is all resident: the id map of 1M points held 1.0 MiB more RSS with
them than without, at the same insert and lookup speed (measured). The server asks numpy not to.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

import numpy as np

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
ARENAS = 1
MMAP_THRESHOLD_BYTES = 1 << 20


def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


_LIBC = _glibc()


def tune_malloc() -> bool:
    """One malloc arena and a fixed mmap threshold; whether glibc took both."""
    if _LIBC is None:
        return False
    arenas = _LIBC.mallopt(M_ARENA_MAX, ARENAS)
    threshold = _LIBC.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
    return arenas == 1 and threshold == 1


def keep_numpy_off_huge_pages() -> None:
    """New numpy arrays get normal pages; a numpy without the switch is left as it is."""
    switch = getattr(getattr(np, "_core", None), "multiarray", None)
    set_huge_pages = getattr(switch, "_set_madvise_hugepage", None)
    if set_huge_pages is not None:
        set_huge_pages(False)


def release_free_memory() -> None:
    """Returns freed heap memory to the operating system."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
