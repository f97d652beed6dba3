"""word2vec text/binary files round-trip through gensim in both directions."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from semspace.trainers.words.w2v_format import read_word2vec, write_word2vec

WORDS = ["the", "king", "zażółć", "queen"]


def keyed_vectors() -> type:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pytest.importorskip("gensim.models").KeyedVectors


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_loads_what_we_write(tmp_path: Path, binary: bool) -> None:
    vectors = np.random.default_rng(0).normal(size=(4, 7)).astype(np.float32)
    path = tmp_path / "vectors.w2v"
    write_word2vec(path, WORDS, vectors, binary=binary)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kv = keyed_vectors().load_word2vec_format(str(path), binary=binary)
    assert kv.index_to_key == WORDS
    np.testing.assert_allclose(kv.vectors, vectors, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("binary", [False, True])
def test_we_read_what_gensim_writes(tmp_path: Path, binary: bool) -> None:
    vectors = np.random.default_rng(1).normal(size=(4, 5)).astype(np.float32)
    kv = keyed_vectors()(vector_size=5)
    kv.add_vectors(WORDS, vectors)
    path = tmp_path / "gensim.w2v"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kv.save_word2vec_format(str(path), binary=binary)
    words, read = read_word2vec(path)
    assert words == WORDS
    np.testing.assert_allclose(read, vectors, rtol=1e-5, atol=1e-6)


def test_words_with_spaces_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="whitespace"):
        write_word2vec(tmp_path / "x", ["new york"], np.zeros((1, 2)), binary=False)
