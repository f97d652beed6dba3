"""A trained word space served end to end: embed any string, search, arithmetic, tokenize."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from semspace.client import (
    Client,
    InvalidArgumentError,
    NotFoundError,
    ResourceExhaustedError,
    Text,
)
from semspace.server.app import create_server
from tests.conftest import settings_for
from tests.trainers.words.conftest import GRID, planted_sentences

pytest.importorskip("sentencepiece")


@pytest.fixture(scope="module")
def word_artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two spaces: `words` (plain skip-gram) and `subwords` (fastText-style character n-grams)."""
    from semspace.trainers.words.space import WordSpaceConfig, train_words, write_word_space
    from semspace.trainers.words.tokenizer import TokenizerConfig
    from semspace.trainers.words.word2vec import Word2VecConfig

    corpus = tmp_path_factory.mktemp("corpus") / "planted.txt"
    corpus.write_text("\n".join(planted_sentences(12_000)) + "\n", encoding="utf-8")
    artifacts = tmp_path_factory.mktemp("word-artifacts")
    settings = {"window": 2, "sample": 0, "min_count": 1, "threads": 1, "batch": 64, "pieces": 300}
    for name, extra in (
        ("words", {"dim": 24, "epochs": 4}),
        ("subwords", {"dim": 16, "epochs": 1, "subwords": True, "buckets": 5000}),
    ):
        config = WordSpaceConfig(
            corpus=str(corpus),
            word2vec=Word2VecConfig.model_validate(settings | extra),
            tokenizer=TokenizerConfig(input_sentence_size=5000),
            oov_holdout=0,
        )
        write_word_space(train_words(config, None), config, artifacts, name)
    return artifacts


@pytest.fixture(scope="module")
def word_server(word_artifacts: Path):
    server = create_server(settings_for(word_artifacts))
    server.load()
    yield server
    server.stop(0)


@pytest.fixture
def client(word_server):
    with Client(word_server.address, timeout=30) as connected:
        yield connected


def test_a_known_word_embeds_to_its_stored_vector(client) -> None:
    embedded = client.embed("words", ["w23"])
    assert embedded.composed == [False]
    np.testing.assert_allclose(embedded.vectors, client.get("words", ["w23"]).vectors, atol=1e-5)


def test_one_text_is_one_text_never_a_run_of_characters(client) -> None:
    assert client.embed("words", "w23").vectors.shape == (1, client.get_space("words").dim)
    assert [t.pieces for t in client.tokenize("words", "w23")] == [
        t.pieces for t in client.tokenize("words", ["w23"])
    ]


@pytest.mark.parametrize("text", ["Grzegorz Brzęczyszczkiewicz", "w99zz", "🙂🚀", "naïve café"])
def test_any_string_gets_a_finite_unit_vector_flagged_as_composed(client, text) -> None:
    embedded = client.embed("words", [text])
    assert embedded.composed == [True]
    vector = embedded.vectors[0]
    assert np.isfinite(vector).all()
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


def test_a_subword_space_composes_an_unseen_word_from_its_character_ngrams(
    client, word_artifacts: Path
) -> None:
    from semspace.models.char_ngrams import ngram_buckets

    embedded = client.embed("subwords", ["w23zz"])
    assert embedded.composed == [True]
    # The rows the trainer wrote for the word's n-grams, averaged: what the server must answer.
    ngrams = np.load(word_artifacts / "subwords" / "ngrams.npy")
    expected = ngrams[ngram_buckets(["w23zz"], 3, 6, 5000)[1]].mean(axis=0)
    expected /= np.linalg.norm(expected)
    np.testing.assert_allclose(embedded.vectors[0], expected, atol=1e-5)


def test_search_by_word_finds_words_of_the_same_row_or_column(client) -> None:
    grid = [f"w{x}{y}" for x in range(GRID) for y in range(GRID)]
    shares = 0
    for word in grid:
        nearest = next(i for i in client.search("words", word, k=20).ids if i in grid)
        shares += nearest[1] == word[1] or nearest[2] == word[2]
    assert shares / len(grid) >= 0.9


def test_search_by_text_matches_search_by_its_vector(client) -> None:
    by_text = client.search("words", Text("w12 w34"), k=5)
    vector = client.embed("words", ["w12 w34"]).vectors[0]
    assert by_text.ids == client.search("words", vector, k=5).ids


@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
def test_planted_analogies_come_back_first(client, method) -> None:
    # By construction w{x}{y} - w{x}{y'} + w{x'}{y'} = w{x'}{y}.
    hits = 0
    for x in range(GRID):
        for y in range(GRID):
            x2, y2 = (x + 2) % GRID, (y + 1) % GRID
            answer = client.analogy(
                "words", f"w{x}{y2}", f"w{x}{y}", f"w{x2}{y2}", k=50, method=method
            )
            grid_answers = [i for i in answer.ids if i.startswith("w")]
            hits += grid_answers[0] == f"w{x2}{y}"
    assert hits / GRID**2 >= 0.5


def test_tokenize_marks_start_and_end_of_sequence(client) -> None:
    plain, marked = (
        client.tokenize("words", ["w12 r34"]),
        client.tokenize("words", ["w12 r34"], add_sos=True, add_eos=True),
    )
    assert marked[0].ids == [2, *plain[0].ids, 3]
    assert marked[0].pieces[0] == "<s>" and marked[0].pieces[-1] == "</s>"
    unseen = client.tokenize("words", ["Grzegorz Brzęczyszczkiewicz 🙂"])[0]
    assert unseen.ids and 1 not in unseen.ids  # byte fallback: no <unk>


def test_similarity_and_odd_one_out(client) -> None:
    assert client.similarity("words", "w00", "w01") > client.similarity("words", "w00", "w55")
    odd = client.doesnt_match("words", ["w00", "w01", "w02", "w55"])
    assert odd.item == "w55"
    # Unit vectors in float32: some dot products land a hair past 1 unless clipped. Three
    # copies of each of 20 random vectors: 1.0000001 for several of them unclipped.
    rng = np.random.default_rng(0)
    for vector in rng.normal(size=(20, client.get_space("words").dim)):
        scores = client.doesnt_match("words", [vector] * 3).scores
        assert scores.max() <= 1.0 and client.similarity("words", vector, vector) <= 1.0


def test_bad_word_requests_name_the_field(client) -> None:
    with pytest.raises(InvalidArgumentError, match=r"^texts\[1\]"):
        client.embed("words", ["w00", "   "])
    with pytest.raises(NotFoundError, match="kingg"):
        client.search("words", "kingg")
    with pytest.raises(ResourceExhaustedError, match="32"):
        client.arithmetic("words", positive=["w00"] * 33)
    with pytest.raises(InvalidArgumentError, match="at least 3"):
        client.doesnt_match("words", ["w00", "w01"])
    assert client.health() == "SERVING"
