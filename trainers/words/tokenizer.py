"""Trains the SentencePiece BPE vocabulary of a word space on its corpus (Sennrich et al. 2016).

The special ids and the inference wrapper live in `semspace.models.tokenizer` so the server can
use a tokenizer without the trainers.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

import sentencepiece as spm
from pydantic import BaseModel, Field

from semspace.models.tokenizer import EOS_ID, PAD_ID, SOS_ID, UNK_ID, Tokenizer
from semspace.trainers.words.corpus import read_blocks

log = logging.getLogger(__name__)

__all__ = [
    "EOS_ID",
    "PAD_ID",
    "SOS_ID",
    "UNK_ID",
    "Tokenizer",
    "TokenizerConfig",
    "train_tokenizer",
]


class TokenizerConfig(BaseModel):
    """SentencePiece BPE settings; the sentence cap bounds the trainer's memory."""

    vocab_size: int = Field(8000, ge=300)
    words_per_sentence: int = Field(64, ge=1, description="text8 has no sentences: cut every N")
    input_sentence_size: int = Field(
        200_000, ge=1000, description="sentences SentencePiece samples and keeps in memory"
    )
    seed: int = 1
    threads: int = Field(2, ge=1)


def corpus_sentences(path: Path, words_per_sentence: int) -> Iterator[str]:
    """Pseudo-sentences of the corpus: each line cut into runs of `words_per_sentence` words.

    SentencePiece skips sentences longer than `max_sentence_length` (4 KiB), and text8 is one
    100 MB line, so the stream is cut into short pieces.
    """
    for block, _ in read_blocks(path):
        for line in block.split(b"\n"):
            words = line.split()
            for start in range(0, len(words), words_per_sentence):
                yield b" ".join(words[start : start + words_per_sentence]).decode(
                    "utf-8", errors="replace"
                )


def train_tokenizer(corpus: Path | Iterable[str], config: TokenizerConfig) -> Tokenizer:
    """A BPE tokenizer with byte fallback trained on a corpus file or on given sentences.

    A corpus too small for `vocab_size` pieces gets as many as it supports, with a warning,
    rather than SentencePiece's RuntimeError."""
    if not isinstance(corpus, str | Path):
        corpus = list(corpus)  # read twice when the first try finds the corpus too small
    try:
        model = _trained_model(corpus, config, hard_vocab_limit=True)
    except RuntimeError as error:
        if "Vocabulary size too high" not in str(error):
            raise
        model = _trained_model(corpus, config, hard_vocab_limit=False)
    tokenizer = Tokenizer(model)
    if tokenizer.vocab_size < config.vocab_size:
        log.warning(
            "the corpus supports %d BPE pieces, fewer than the %d asked for",
            tokenizer.vocab_size,
            config.vocab_size,
        )
    log.info("trained BPE tokenizer: %d pieces", tokenizer.vocab_size)
    return tokenizer


def _trained_model(
    corpus: Path | Iterable[str], config: TokenizerConfig, *, hard_vocab_limit: bool
) -> bytes:
    model = io.BytesIO()
    sentences = (
        corpus_sentences(Path(corpus), config.words_per_sentence)
        if isinstance(corpus, str | Path)
        else iter(corpus)
    )
    spm.SentencePieceTrainer.train(
        sentence_iterator=sentences,
        model_writer=model,
        model_type="bpe",
        vocab_size=config.vocab_size,
        # Passed only when off: the default keeps the model bytes as they were.
        **({} if hard_vocab_limit else {"hard_vocab_limit": False}),
        pad_id=PAD_ID,
        unk_id=UNK_ID,
        bos_id=SOS_ID,
        eos_id=EOS_ID,
        byte_fallback=True,
        character_coverage=1.0,
        # Identity normalisation and kept whitespace make decode(encode(s)) == s.
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        input_sentence_size=config.input_sentence_size,
        shuffle_input_sentence=True,
        seed_sentencepiece_size=100_000,
        num_threads=config.threads,
        minloglevel=2,
    )
    return model.getvalue()
