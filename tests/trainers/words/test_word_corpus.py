"""The corpus reader: text8 in a zip, plain text with lines, vocabulary in frequency order."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from semspace.trainers.words.corpus import encode_corpus


def test_zip_and_plain_text8_give_the_same_ids(tmp_path: Path) -> None:
    text = "b a c a b a d " * 50
    plain = tmp_path / "t8"
    plain.write_text(text)
    with zipfile.ZipFile(tmp_path / "t8.zip", "w") as archive:
        archive.write(plain, "t8")
    a = encode_corpus(plain, min_count=1, block_bytes=64)
    b = encode_corpus(tmp_path / "t8.zip", min_count=1)
    assert a.vocab.words == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(a.ids, b.ids)
    assert a.raw_words == 350
    assert [a.vocab.words[i] for i in a.ids[:7]] == text.split()[:7]


def test_rare_words_are_dropped_and_lines_kept(tmp_path: Path) -> None:
    path = tmp_path / "plain.txt"
    path.write_text("x y rare\ny x\nx y x\n")
    corpus = encode_corpus(path, min_count=2)
    assert corpus.vocab.words == ["x", "y"]
    assert corpus.raw_words == 8
    assert corpus.ids.dtype == np.int32 and len(corpus.ids) == 7
    np.testing.assert_array_equal(corpus.sentence_ends, [2, 4, 7])
    np.testing.assert_array_equal(corpus.sentence_index(), [0, 0, 1, 1, 2, 2, 2])
