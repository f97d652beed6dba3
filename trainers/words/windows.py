"""Training examples from a chunk of word ids, built with numpy: subsampling + dynamic window.

A skip-gram example is (input bag of the centre word, its context words); a CBOW example is
(input bags of all context words, the centre word), kept as a span of the text (`Windows`).
In plain mode a word's bag is the word alone; in subword mode it is the word and its character
n-grams or BPE pieces (fastText's input, Bojanowski et al. 2017 §3.1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Bags:
    """Input rows of each word as CSR: word w reads rows items[ptr[w]:ptr[w + 1]]."""

    ptr: np.ndarray  # int64 (V + 1)
    items: np.ndarray  # int64
    size: int | None = None  # rows of the input table; None: the highest row read + 1

    @classmethod
    def words_only(cls, vocab_size: int) -> Bags:
        return cls(np.arange(vocab_size + 1, dtype=np.int64), np.arange(vocab_size, dtype=np.int64))

    @property
    def rows(self) -> int:
        """Rows of the input table, those no word reads included (unseen n-gram buckets)."""
        return self.size if self.size is not None else int(self.items.max()) + 1

    @property
    def singletons(self) -> bool:
        return len(self.items) == len(self.ptr) - 1

    def expand(self, words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows, owner): the input rows of every word in `words` and the index of its word."""
        if self.singletons:
            return self.items[words], np.arange(len(words), dtype=np.int64)
        starts, ends = self.ptr[words], self.ptr[words + 1]
        lengths = ends - starts
        owner = np.repeat(np.arange(len(words), dtype=np.int64), lengths)
        first = np.cumsum(lengths) - lengths
        rows = self.items[starts[owner] + np.arange(len(owner), dtype=np.int64) - first[owner]]
        return rows, owner


@dataclass(frozen=True)
class Examples:
    """One chunk's examples in text order; all index arrays are int64 and non-decreasing in owner.

    Example e averages the input rows `rows[owner == e]` into h and predicts every word of
    `target[target_owner == e]` (one for CBOW, the centre's contexts for skip-gram).
    """

    rows: np.ndarray
    owner: np.ndarray
    target: np.ndarray
    target_owner: np.ndarray

    def __len__(self) -> int:
        return int(self.target_owner[-1]) + 1 if len(self.target_owner) else 0


def window_pairs(
    ids: np.ndarray,
    sentence: np.ndarray,
    keep_prob: np.ndarray,
    window: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(centre ids, context ids, centre position) of every pair, ordered by centre position.

    Subsampling first (word2vec.c drops words before windowing, which widens the effective
    window), then each centre draws its window b uniformly from 1..window (the "dynamic window"
    of word2vec.c, weighting near contexts more), windows stay inside a line.
    """
    ids, sentence, reach = _subsample_and_reach(ids, sentence, keep_prob, window, rng)
    n = len(ids)
    offsets = np.concatenate([np.arange(-window, 0), np.arange(1, window + 1)])
    positions = np.arange(n)[:, None] + offsets[None, :]
    valid = (np.abs(offsets)[None, :] <= reach[:, None]) & (positions >= 0) & (positions < n)
    np.clip(positions, 0, max(n - 1, 0), out=positions)
    valid &= sentence[positions] == sentence[:, None]
    centre, column = np.nonzero(valid)
    return ids[centre].astype(np.int64), ids[positions[centre, column]].astype(np.int64), centre


def _subsample_and_reach(
    ids: np.ndarray,
    sentence: np.ndarray,
    keep_prob: np.ndarray,
    window: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The kept words, their line numbers and each one's dynamic window b in 1..window."""
    keep = rng.random(len(ids), dtype=np.float32) < keep_prob[ids]
    ids, sentence = ids[keep], sentence[keep]
    return ids, sentence, rng.integers(1, window + 1, size=len(ids), dtype=np.int8)


@dataclass(frozen=True)
class Windows:
    """CBOW examples of one chunk as spans of the kept text, not as lists of context words.

    Centre `centre[e]` is predicted from the words at positions lo[e]..hi[e]-1 except itself, so a
    minibatch reads each word of the text once (prefix sums give every window's sum, sgns.py)
    instead of once per window that holds it.
    """

    words: np.ndarray  # int64 kept word ids, text order
    centre: np.ndarray  # int64 positions of centres with at least one context word
    lo: np.ndarray  # int64 first position of the window
    hi: np.ndarray  # int64 end (exclusive) of the window

    def __len__(self) -> int:
        return len(self.centre)


def cbow_windows(
    ids: np.ndarray,
    sentence: np.ndarray,
    keep_prob: np.ndarray,
    window: int,
    rng: np.random.Generator,
) -> Windows:
    """Subsampled text and the window of every centre, with the sampling of window_pairs."""
    ids, sentence, reach = _subsample_and_reach(ids, sentence, keep_prob, window, rng)
    position = np.arange(len(ids))
    line_start = np.searchsorted(sentence, sentence, side="left")
    line_end = np.searchsorted(sentence, sentence, side="right")
    lo = np.maximum(position - reach, line_start)
    hi = np.minimum(position + reach + 1, line_end)
    has_context = hi - lo > 1
    return Windows(ids.astype(np.int64), position[has_context], lo[has_context], hi[has_context])


def _example_of_pair(position: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(example index of each pair, first pair of each example); one example per centre."""
    new = np.diff(position, prepend=-1) != 0
    return np.cumsum(new) - 1, np.flatnonzero(new)


def skipgram_examples(
    centres: np.ndarray, contexts: np.ndarray, position: np.ndarray, bags: Bags
) -> Examples:
    """One example per centre: its bag is read once and predicts each of its context words.

    word2vec.c loops over (context, centre) pairs one by one; grouping a centre's pairs lets a
    minibatch gather and update the centre's input rows once instead of once per pair.
    """
    example, first = _example_of_pair(position)
    rows, owner = bags.expand(centres[first])
    return Examples(rows, owner, contexts, example)
