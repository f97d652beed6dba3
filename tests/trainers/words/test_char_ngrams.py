"""Character n-grams are those of fastText and hash into the same buckets."""

from __future__ import annotations

import numpy as np
import pytest

from semspace.models.char_ngrams import char_ngrams, fnv1a_32, ngram_buckets

WORDS = ["where", "a", "café", "Brzęczyszczkiewicz", "東京", "🙂x"]


def test_fnv1a_matches_the_published_test_vectors_on_ascii() -> None:
    # FNV-1a 32 of "" and "a" (Fowler, Noll, Vo reference values).
    assert fnv1a_32([b"", b"a"]).tolist() == [0x811C9DC5, 0xE40C292C]


def test_ngrams_of_where_are_those_of_the_fasttext_paper() -> None:
    # Bojanowski et al. 2017 §3.2: the 3-grams of "where" are <wh, whe, her, ere, re>.
    assert [g for g in char_ngrams("where", 3, 3)] == [b"<wh", b"whe", b"her", b"ere", b"re>"]
    assert b"<where>" in char_ngrams("where", 3, 7)


@pytest.mark.parametrize("word", WORDS)
def test_ngrams_and_hashes_match_fasttext_as_gensim_reproduces_it(word: str) -> None:
    """gensim's `compute_ngrams_bytes` and `ft_hash_bytes` mirror fastText's C++, signed bytes
    included; a non-ASCII word fails here if the hash xors unsigned bytes."""
    fasttext_inner = pytest.importorskip("gensim.models.fasttext_inner")
    grams = char_ngrams(word, 3, 6)
    assert grams == fasttext_inner.compute_ngrams_bytes(word, 3, 6)
    assert fnv1a_32(grams).tolist() == [fasttext_inner.ft_hash_bytes(g) for g in grams]


def test_ngram_lengths_count_characters_not_bytes() -> None:
    grams = char_ngrams("東京", 3, 3)
    assert [g.decode() for g in grams] == ["<東京", "東京>"]


def test_buckets_of_many_words_equal_those_of_each_word_alone() -> None:
    ptr, ids = ngram_buckets(WORDS, 3, 6, 1000)
    for i, word in enumerate(WORDS):
        alone = fnv1a_32(char_ngrams(word, 3, 6)) % 1000
        np.testing.assert_array_equal(ids[ptr[i] : ptr[i + 1]], alone)
    assert ids.min() >= 0 and ids.max() < 1000
