"""A trained word space embeds any string; unseen words are composed from subwords."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from semspace.artifact import load_artifact
from semspace.models.words import NgramUnits, PieceUnits, WordModel
from semspace.trainers.words.space import WordSpaceConfig, train_words, write_word_space
from semspace.trainers.words.tokenizer import TokenizerConfig
from semspace.trainers.words.word2vec import Word2VecConfig

MODES = {
    "plain": {},
    "bpe-subwords": {"subwords": True, "subword_units": "bpe"},
    "ngram-subwords": {"subwords": True, "subword_units": "char-ngrams", "buckets": 5000},
}
COMPOSITION_FILE = {
    "plain": "pieces.npy",
    "bpe-subwords": "pieces.npy",
    "ngram-subwords": "ngrams.npy",
}


@pytest.fixture(scope="module", params=list(MODES))
def space(
    request: pytest.FixtureRequest, english_text: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    config = WordSpaceConfig(
        corpus=str(english_text),
        word2vec=Word2VecConfig(
            dim=16, epochs=1, min_count=1, threads=1, pieces=300, **MODES[request.param]
        ),
        tokenizer=TokenizerConfig(input_sentence_size=1000),
        oov_holdout=10,
    )
    trained = train_words(config, None)
    return write_word_space(trained, config, tmp_path_factory.mktemp("artifacts"), request.param)


def test_space_holds_tokenizer_subwords_and_figures(space: Path) -> None:
    artifact = load_artifact(space)
    assert artifact.manifest.kind == "word2vec"
    files = {f.path for f in artifact.manifest.files}
    composition_file = COMPOSITION_FILE[space.name]
    assert files >= {"tokenizer.model", composition_file, "counts.npy"}
    # One composition per space: a reader never has to guess which file wins.
    assert len(files & {"pieces.npy", "ngrams.npy"}) == 1
    holdout = artifact.manifest.evaluation["oov_holdout"]
    assert holdout["holdout_words"] == 10 and -1 <= holdout["mean_cosine"] <= 1
    assert artifact.manifest.producer.config["word2vec"]["dim"] == 16


def test_space_composes_with_the_units_it_was_trained_with(space: Path) -> None:
    model = WordModel.load(space)
    expected = NgramUnits if space.name == "ngram-subwords" else PieceUnits
    assert isinstance(model.units, expected)
    assert len(model.unit_vectors) == model.units.count


def test_composing_a_known_word_from_its_subwords_lands_near_its_vector(space: Path) -> None:
    """The served composition reads the rows training wrote: same n-grams, same buckets."""
    if space.name == "plain":
        pytest.skip("plain mode fits pieces afterwards; its hold-out figure covers it")
    model = WordModel.load(space)
    words = ["kingdom", "queendom", "players", "quickly", "countries"]
    # Centred: after one tiny epoch all vectors share a large common direction.
    centre = np.asarray(model.vectors).mean(axis=0)
    unit = lambda v: (v - centre) / np.linalg.norm(v - centre)  # noqa: E731
    true = [unit(model.vectors[model.words.index(w)]) for w in words]
    composed = [unit(model.unit_vectors[model.units.ids(w)].mean(axis=0)) for w in words]
    matched = np.mean([t @ c for t, c in zip(true, composed, strict=True)])
    shuffled = np.mean([t @ c for t, c in zip(true, composed[1:] + composed[:1], strict=True)])
    assert matched > 0.5 and matched > shuffled + 0.2


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
