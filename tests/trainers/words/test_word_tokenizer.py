"""BPE tokenizer: special ids, exact round trips for any Unicode string."""

from __future__ import annotations

from pathlib import Path

import pytest

from semspace.trainers.words.tokenizer import (
    EOS_ID,
    PAD_ID,
    SOS_ID,
    UNK_ID,
    Tokenizer,
    TokenizerConfig,
    train_tokenizer,
)


@pytest.fixture(scope="module")
def tokenizer(english_text: Path) -> Tokenizer:
    return train_tokenizer(english_text, TokenizerConfig(vocab_size=400, input_sentence_size=1000))


def test_special_ids_are_fixed(tokenizer: Tokenizer) -> None:
    assert (PAD_ID, UNK_ID, SOS_ID, EOS_ID) == (0, 1, 2, 3)
    pieces = [tokenizer.processor.id_to_piece(i) for i in range(4)]
    assert pieces == ["<pad>", "<unk>", "<s>", "</s>"]
    assert tokenizer.vocab_size == 400


@pytest.mark.parametrize(
    "text",
    [
        "the king rules",
        "Grzegorz Brzęczyszczkiewicz",
        "東京タワー",
        "emoji 😀🎉 ok",
        "  spaced  out ",
    ],
)
def test_round_trip_is_exact_without_unknowns(tokenizer: Tokenizer, text: str) -> None:
    pieces, ids = tokenizer.encode(text)
    assert UNK_ID not in ids
    assert len(pieces) == len(ids)
    assert tokenizer.decode(ids) == text


def test_sos_and_eos_wrap_the_ids(tokenizer: Tokenizer) -> None:
    pieces, ids = tokenizer.encode("the queen", add_sos=True, add_eos=True)
    assert ids[0] == SOS_ID and ids[-1] == EOS_ID
    assert pieces[0] == "<s>" and pieces[-1] == "</s>"
    assert tokenizer.decode(ids) == "the queen"


def test_model_bytes_reload(tokenizer: Tokenizer, tmp_path: Path) -> None:
    path = tmp_path / "tokenizer.model"
    path.write_bytes(tokenizer.processor.serialized_model_proto())
    assert Tokenizer.load(path).encode("kingdom") == tokenizer.encode("kingdom")


def test_a_corpus_too_small_for_the_vocabulary_gets_the_pieces_it_supports(caplog) -> None:
    sentences = (f"{word} {word}s" for word in ("hello", "world", "there"))  # read twice
    tokenizer = train_tokenizer(sentences, TokenizerConfig(vocab_size=8000))
    assert 259 < tokenizer.vocab_size < 8000  # 4 specials, 256 bytes, and a few merges
    assert "fewer than the 8000 asked for" in caplog.text
    pieces, ids = tokenizer.encode("hello worlds ę")
    assert "▁hello" in pieces and UNK_ID not in ids
    assert tokenizer.decode(ids) == "hello worlds ę"
