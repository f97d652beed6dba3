"""A trained word space embeds any string; unseen words are composed from BPE pieces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from semspace.artifact import load_artifact
from semspace.models.words import WordModel
from semspace.trainers.words.space import WordSpaceConfig, train_words, write_word_space
from semspace.trainers.words.tokenizer import TokenizerConfig
from semspace.trainers.words.word2vec import Word2VecConfig


@pytest.fixture(scope="module", params=[False, True], ids=["plain", "subwords"])
def space(
    request: pytest.FixtureRequest, english_text: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    config = WordSpaceConfig(
        corpus=str(english_text),
        word2vec=Word2VecConfig(
            dim=16, epochs=1, min_count=1, threads=1, pieces=300, subwords=request.param
        ),
        tokenizer=TokenizerConfig(input_sentence_size=1000),
        oov_holdout=10,
    )
    trained = train_words(config, None)
    return write_word_space(trained, config, tmp_path_factory.mktemp("artifacts"), "words")


def test_space_holds_tokenizer_pieces_and_figures(space: Path) -> None:
    artifact = load_artifact(space)
    assert artifact.manifest.kind == "word2vec"
    assert {f.path for f in artifact.manifest.files} >= {
        "tokenizer.model",
        "pieces.npy",
        "counts.npy",
    }
    holdout = artifact.manifest.evaluation["oov_holdout"]
    assert holdout["holdout_words"] == 10 and -1 <= holdout["mean_cosine"] <= 1
    assert artifact.manifest.producer.config["word2vec"]["dim"] == 16


def test_known_word_uses_its_own_vector(space: Path) -> None:
    model = WordModel.load(space)
    vectors, composed = model.embed(["king", "King"])
    row = model.words.index("king")
    np.testing.assert_array_equal(vectors[0], model.vectors[row])
    np.testing.assert_array_equal(vectors[1], vectors[0])
    assert composed == [False, False]
    assert model.has_word("QUEEN") and not model.has_word("zebra")


@pytest.mark.parametrize("text", ["kingdoms", "Grzegorz Brzęczyszczkiewicz", "😀", "東京"])
def test_unseen_strings_get_finite_non_zero_vectors(space: Path, text: str) -> None:
    vectors, composed = WordModel.load(space).embed([text])
    assert composed == [True]
    assert np.isfinite(vectors).all() and np.linalg.norm(vectors[0]) > 0


def test_sentence_is_the_mean_of_unit_word_vectors(space: Path) -> None:
    model = WordModel.load(space)
    (sentence,), (composed,) = model.embed(["the king  rules"])
    words, _ = model.embed(["the", "king", "rules"])
    expected = (words / np.linalg.norm(words, axis=1, keepdims=True)).mean(axis=0)
    np.testing.assert_allclose(sentence, expected, rtol=1e-6)
    assert composed is False


@pytest.mark.parametrize("text", ["", "   \n\t"])
def test_empty_text_is_rejected(space: Path, text: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        WordModel.load(space).embed(["king", text])


def test_tokenize_adds_sos_and_eos(space: Path) -> None:
    pieces, ids = WordModel.load(space).tokenize("the king", add_sos=True, add_eos=True)
    assert ids[0] == 2 and ids[-1] == 3 and pieces[0] == "<s>"
