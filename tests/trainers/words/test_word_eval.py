"""Analogy evaluation agrees with gensim on a handcrafted space; Spearman handles ties."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from semspace.trainers.words.evaluate import (
    evaluate_analogies,
    evaluate_wordsim,
    rank_average,
    spearman,
)

WORDS = ["man", "woman", "king", "queen", "paris", "france", "rome", "italy", "boy"]


def handcrafted() -> np.ndarray:
    """king − man + woman = queen and paris − france + italy = rome, by construction."""
    gender, royal, capital, fr, it = np.eye(5)
    rng = np.random.default_rng(0)
    noise = rng.normal(scale=0.01, size=(len(WORDS), 5))
    rows = [
        gender * 0,
        gender,
        royal,
        royal + gender,
        capital + fr,
        fr,
        capital + it,
        it,
        gender * 0.1,
    ]
    return (np.array(rows) + noise + 0.3).astype(np.float32)


@pytest.fixture
def questions(tmp_path: Path) -> Path:
    path = tmp_path / "questions.txt"
    path.write_text(
        ": family\nMan Woman King Queen\nman king woman queen\nman woman boy zebra\n"
        ": capitals\nfrance paris italy rome\n"
    )
    return path


def test_analogies_by_construction(questions: Path) -> None:
    results = evaluate_analogies(handcrafted(), WORDS, questions)
    for result in results.values():
        assert result.oov_questions == 1
        assert result.answered == 3
        assert result.accuracy == 1.0
        assert [s.name for s in result.sections] == ["family", "capitals"]


def test_analogies_agree_with_gensim(questions: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        keyed_vectors = pytest.importorskip("gensim.models").KeyedVectors
        kv = keyed_vectors(vector_size=5)
        kv.add_vectors(WORDS, handcrafted())
        score, sections = kv.evaluate_word_analogies(str(questions))
    ours = evaluate_analogies(handcrafted(), WORDS, questions)["3cosadd"]
    assert ours.accuracy == pytest.approx(score)
    assert ours.correct == len(sections[-1]["correct"])


def test_restrict_vocab_hides_rare_words(questions: Path) -> None:
    result = evaluate_analogies(handcrafted(), WORDS, questions, restrict=4)["3cosadd"]
    assert result.answered == 2 and result.oov_questions == 2


def test_spearman_with_ties() -> None:
    np.testing.assert_allclose(rank_average(np.array([3.0, 1.0, 3.0, 2.0])), [3.5, 1, 3.5, 2])
    assert spearman(np.array([1, 2, 3, 4]), np.array([10, 20, 30, 40])) == pytest.approx(1.0)
    # scipy.stats.spearmanr([1, 2, 2, 3], [1, 3, 2, 4]) = 0.9486832980505138
    assert spearman(np.array([1, 2, 2, 3]), np.array([1, 3, 2, 4])) == pytest.approx(0.9486833)


def test_wordsim_counts_oov_pairs(tmp_path: Path) -> None:
    path = tmp_path / "ws.tsv"
    path.write_text("# header\nking\tqueen\t8\nman\twoman\t7\nparis\trome\t3\nking\tzebra\t1\n")
    result = evaluate_wordsim(handcrafted(), WORDS, path)
    assert result["pairs"] == 4 and result["oov_pairs"] == 1
    assert -1.0 <= result["spearman"] <= 1.0
