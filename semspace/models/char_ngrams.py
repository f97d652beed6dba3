"""fastText's hashed character n-grams of a word (numpy only, shared by trainer and server).

Bojanowski et al. 2017 §3.2: the word is wrapped in "<" and ">", its n-grams of minn..maxn
characters (Unicode characters, as fastText counts UTF-8 code points) are hashed with 32-bit
FNV-1a into `buckets` rows. The hash follows fastText's `Dictionary::hash`, which xors each byte
as a *signed* char, so bytes ≥ 0x80 (non-ASCII) enter sign-extended: an n-gram lands in the same
bucket as in fastText with the same bucket count.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

FNV_OFFSET = np.uint32(2166136261)
FNV_PRIME = np.uint32(16777619)
BOW, EOW = "<", ">"


def char_ngrams(word: str, minn: int, maxn: int) -> list[bytes]:
    """UTF-8 n-grams of "<word>" with minn..maxn characters, in fastText's order.

    As fastText, a lone "<" or ">" is never an n-gram (it only matters when minn is 1).
    """
    marked = BOW + word + EOW
    grams = []
    for start in range(len(marked)):
        for n in range(minn, min(maxn, len(marked) - start) + 1):
            if n == 1 and (start == 0 or start == len(marked) - 1):
                continue
            grams.append(marked[start : start + n].encode())
    return grams


def fnv1a_32(grams: Sequence[bytes]) -> np.ndarray:
    """fastText's FNV-1a hash of each byte string (uint32), vectorised over the strings."""
    lengths = np.fromiter((len(g) for g in grams), dtype=np.int64, count=len(grams))
    width = int(lengths.max()) if len(grams) else 0
    padded = np.zeros((len(grams), width), dtype=np.uint8)
    padded[np.arange(width) < lengths[:, None]] = np.frombuffer(b"".join(grams), dtype=np.uint8)
    # int8 then uint32: the sign extension of fastText's `uint32_t(int8_t(c))`.
    signed = padded.view(np.int8).astype(np.uint32)
    h = np.full(len(grams), FNV_OFFSET, dtype=np.uint32)
    for column in range(width):
        live = column < lengths
        # uint32 arithmetic wraps modulo 2^32, as the C++ does.
        h[live] = (h[live] ^ signed[live, column]) * FNV_PRIME
    return h


def ngram_buckets(
    words: Sequence[str], minn: int, maxn: int, buckets: int
) -> tuple[np.ndarray, np.ndarray]:
    """Buckets of every word's n-grams as CSR: word i has ids[ptr[i]:ptr[i + 1]] (int64)."""
    grams = [char_ngrams(w, minn, maxn) for w in words]
    lengths = np.fromiter((len(g) for g in grams), dtype=np.int64, count=len(grams))
    ptr = np.concatenate([[0], np.cumsum(lengths)])
    flat = [g for word_grams in grams for g in word_grams]
    return ptr, (fnv1a_32(flat) % np.uint32(buckets)).astype(np.int64)
