"""The allocator hooks run where glibc exists and do nothing harmful elsewhere."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from semspace.server.memory import _LIBC, release_free_memory, tune_malloc

# In a fresh process: free a 4 MiB block (glibc then raises its mmap threshold past 2 MiB),
# optionally tune, then hold a 2 MiB block and print how many bytes glibc holds in mmaps.
PROBE = """
import ctypes, sys
from semspace.server.memory import tune_malloc
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]
libc.mallinfo2.restype = Info
libc.free(libc.malloc(4 << 20))
if sys.argv[1] == "tuned":
    assert tune_malloc()
before = libc.mallinfo2().hblkhd
block = libc.malloc(2 << 20)
print(libc.mallinfo2().hblkhd - before)
"""


def mmapped_bytes_of_a_2_mib_block(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True
    )
    return int(done.stdout)


@pytest.mark.skipif(_LIBC is None, reason="glibc only")
def test_large_blocks_go_back_to_the_system_once_tuned() -> None:
    assert mmapped_bytes_of_a_2_mib_block("default") == 0  # glibc's sliding threshold
    assert mmapped_bytes_of_a_2_mib_block("tuned") >= 2 << 20


def test_trimming_after_large_frees_keeps_working_memory_intact() -> None:
    tune_malloc()
    kept = np.arange(1_000_000, dtype=np.float64)
    garbage = [np.ones(1 << 18) for _ in range(20)]
    del garbage
    release_free_memory()
    assert kept.sum() == 1_000_000 * 999_999 / 2
