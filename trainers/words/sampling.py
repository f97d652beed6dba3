"""Frequent-word subsampling and the unigram^0.75 negative sampler (Mikolov et al. 2013b)."""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch

SubsampleFormula = Literal["word2vec.c", "paper"]
TABLE_SIZE = 10_000_000


def keep_probabilities(
    counts: np.ndarray, sample: float, formula: SubsampleFormula = "word2vec.c"
) -> np.ndarray:
    """Probability of keeping each occurrence of a word, float32, clipped to [0, 1].

    "word2vec.c" (the default, also gensim's): keep = (sqrt(f / t) + 1) * t / f with f the word's
    corpus frequency, so `sample = 1e-3` means the same as in gensim and word2vec.c.
    "paper": Mikolov et al. 2013b eq. (5), discard = 1 - sqrt(t / f), i.e. keep = sqrt(t / f).
    `sample = 0` keeps every word.
    """
    if sample <= 0:
        return np.ones(len(counts), dtype=np.float32)
    freq = counts.astype(np.float64) / counts.sum()
    ratio = sample / freq
    keep = np.sqrt(ratio) if formula == "paper" else np.sqrt(ratio) + ratio
    return np.minimum(keep, 1.0).astype(np.float32)


class NegativeSampler:
    """Draws negative word ids from the unigram distribution raised to `power` (0.75 in the paper).

    Like word2vec.c, sampling indexes a precomputed table in which each word fills a share of
    slots proportional to count^power: one random integer per sample, no search.
    """

    def __init__(
        self, counts: np.ndarray, power: float = 0.75, table_size: int = TABLE_SIZE
    ) -> None:
        weights = counts.astype(np.float64) ** power
        self.probabilities = weights / weights.sum()
        cdf = np.cumsum(self.probabilities)
        slots = (np.arange(table_size, dtype=np.float64) + 0.5) / table_size
        table = np.minimum(np.searchsorted(cdf, slots), len(counts) - 1)
        self.table = torch.from_numpy(table.astype(np.int64))

    def sample(self, shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
        """int64 word ids of the given shape."""
        slots = torch.randint(len(self.table), shape, generator=generator)
        return self.table[slots]
