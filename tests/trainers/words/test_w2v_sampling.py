"""Subsampling keeps words at the word2vec.c rate; negatives follow unigram^0.75."""

from __future__ import annotations

import numpy as np
import torch

from semspace.trainers.words.sampling import NegativeSampler, keep_probabilities
from semspace.trainers.words.windows import cbow_windows, window_pairs


def test_keep_probability_matches_word2vec_c_formula() -> None:
    counts = np.array([600, 300, 90, 10])
    keep = keep_probabilities(counts, sample=0.01)
    freq = counts / counts.sum()
    expected = np.minimum((np.sqrt(freq / 0.01) + 1) * 0.01 / freq, 1.0)
    np.testing.assert_allclose(keep, expected, rtol=1e-6)
    assert keep[-1] == 1.0 and keep[0] < keep[1] < 1.0


def test_paper_formula_and_no_sampling() -> None:
    counts = np.array([900, 100])
    np.testing.assert_allclose(
        keep_probabilities(counts, 0.01, "paper"), np.sqrt(0.01 / np.array([0.9, 0.1])), rtol=1e-6
    )
    assert (keep_probabilities(counts, 0.0) == 1.0).all()


def test_subsampling_drops_frequent_words_at_their_rate() -> None:
    rng = np.random.default_rng(0)
    ids = rng.choice(3, size=200_000, p=[0.7, 0.2, 0.1]).astype(np.int32)
    keep = keep_probabilities(np.bincount(ids), sample=0.01)
    centres, _, _ = window_pairs(ids, np.zeros(len(ids), np.int32), keep, 1, rng)
    # With window 1 every kept word (except at the ends) is a centre of 2 pairs.
    kept = np.bincount(centres, minlength=3) / 2
    np.testing.assert_allclose(kept / np.bincount(ids), keep, atol=0.01)


def test_windows_stay_inside_lines_and_within_reach() -> None:
    rng = np.random.default_rng(0)
    ids = np.arange(40, dtype=np.int32)
    sentence = np.repeat(np.arange(4, dtype=np.int32), 10)
    centres, contexts, _ = window_pairs(ids, sentence, np.ones(40, np.float32), 3, rng)
    assert (centres // 10 == contexts // 10).all()
    assert (np.abs(centres - contexts) <= 3).all() and (centres != contexts).all()


def test_cbow_windows_hold_the_same_pairs_as_window_pairs() -> None:
    ids = np.random.default_rng(1).integers(0, 50, size=300).astype(np.int32)
    sentence = np.repeat(np.arange(30, dtype=np.int32), 10)
    keep = np.full(50, 0.7, np.float32)
    centres, contexts, _ = window_pairs(ids, sentence, keep, 4, np.random.default_rng(2))
    spans = cbow_windows(ids, sentence, keep, 4, np.random.default_rng(2))
    pairs = [
        (spans.words[c], spans.words[p])
        for c, lo, hi in zip(spans.centre, spans.lo, spans.hi, strict=True)
        for p in range(lo, hi)
        if p != c
    ]
    assert pairs == list(zip(centres, contexts, strict=True))


def test_negative_sampler_follows_unigram_to_the_three_quarters() -> None:
    counts = np.array([1000, 100, 10, 1])
    sampler = NegativeSampler(counts, table_size=1_000_000)
    draws = sampler.sample((200_000,), torch.Generator().manual_seed(0)).numpy()
    expected = counts**0.75 / (counts**0.75).sum()
    np.testing.assert_allclose(np.bincount(draws, minlength=4) / len(draws), expected, atol=0.005)
