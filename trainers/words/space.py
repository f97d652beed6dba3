"""End to end: corpus → tokenizer → Word2Vec → piece vectors → evaluation → artifact.

Layout of a word space (besides the shared manifest.json, vectors.npy, ids.txt):
    tokenizer.model   SentencePiece BPE model (ids 0 <pad>, 1 <unk>, 2 <s>, 3 </s>)
    pieces.npy        float32 (pieces, dim): one vector per tokenizer id, for OOV composition
    counts.npy        int64 (words,): corpus count of each word, row order of ids.txt
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from semspace.artifact import Metric, Producer, writing_artifact
from semspace.models.tokenizer import UNK_ID, PieceBag
from semspace.trainers.words.corpus import EncodedCorpus, encode_corpus
from semspace.trainers.words.evaluate import evaluate_space
from semspace.trainers.words.subwords import (
    WordPieces,
    compose,
    fit_piece_vectors,
    oov_holdout_report,
    subword_bags,
)
from semspace.trainers.words.tokenizer import Tokenizer, TokenizerConfig, train_tokenizer
from semspace.trainers.words.word2vec import TrainStats, Word2VecConfig, Word2VecTrainer

log = logging.getLogger(__name__)

KIND = "word2vec"
TOKENIZER_FILE = "tokenizer.model"
PIECES_FILE = "pieces.npy"
COUNTS_FILE = "counts.npy"
VERSION = "0.1.0"


class WordSpaceConfig(BaseModel):
    """Everything that produced a word space, as stored in its manifest."""

    corpus: str
    word2vec: Word2VecConfig = Word2VecConfig()
    tokenizer: TokenizerConfig = TokenizerConfig()
    oov_holdout: int = 1000


class TrainedWords(BaseModel, arbitrary_types_allowed=True):
    """Word and piece vectors of a finished run, before they are written."""

    words: list[str]
    counts: np.ndarray
    vectors: np.ndarray
    piece_vectors: np.ndarray
    tokenizer_model: bytes
    stats: TrainStats
    evaluation: dict[str, Any]


def train_words(
    config: WordSpaceConfig, eval_dir: Path | None, corpus: EncodedCorpus | None = None
) -> TrainedWords:
    """Trains tokenizer and Word2Vec on `config.corpus`; evaluates when `eval_dir` is given."""
    w2v = config.word2vec
    corpus = corpus or encode_corpus(Path(config.corpus), w2v.min_count)
    tok_config = config.tokenizer.model_copy(update={"vocab_size": w2v.pieces})
    tokenizer = train_tokenizer(Path(config.corpus), tok_config)
    words, vocab_size = corpus.vocab.words, len(corpus.vocab)
    pieces = WordPieces.of(words, tokenizer, w2v.piece_bag)
    bags = subword_bags(pieces, vocab_size) if w2v.subwords else None
    model, stats = Word2VecTrainer(w2v, corpus, bags).train()
    vectors = model.word_vectors()
    started = time.perf_counter()
    if w2v.subwords:
        piece_vectors = model.inputs[vocab_size:]
        # Pieces never met in a vocabulary word keep their random init rows, as in fastText.
        piece_vectors = np.pad(
            piece_vectors, ((0, tokenizer.vocab_size - len(piece_vectors)), (0, 0))
        )
    else:
        piece_vectors = fit_piece_vectors(vectors, pieces, tokenizer.vocab_size, seed=w2v.seed)
    log.info("piece vectors ready in %.1f s", time.perf_counter() - started)
    evaluation: dict[str, Any] = {
        "train_seconds": round(stats.seconds, 2),
        "words_per_second": round(stats.words_per_second),
        "vocabulary": vocab_size,
        "corpus_words": corpus.raw_words,
    }
    if eval_dir is not None:
        evaluation |= evaluate_space(vectors, words, eval_dir)
    if config.oov_holdout:
        evaluation["oov_holdout"] = oov_holdout_report(
            vectors,
            pieces,
            piece_vectors if w2v.subwords else None,
            tokenizer.vocab_size,
            holdout=config.oov_holdout,
            seed=w2v.seed,
            whole_word=whole_word_pieces(words, tokenizer) if w2v.subwords else None,
        )
        evaluation["oov_holdout"]["pieces"] = (
            "trained jointly; held-out words were seen in training, their own word row and "
            "whole-word piece are left out of the composition"
            if w2v.subwords
            else "refit without the held-out words"
        )
    return TrainedWords(
        words=words,
        counts=corpus.vocab.counts,
        vectors=vectors,
        piece_vectors=piece_vectors,
        tokenizer_model=tokenizer.processor.serialized_model_proto(),
        stats=stats,
        evaluation=evaluation,
    )


def whole_word_pieces(words: list[str], tokenizer: Tokenizer) -> np.ndarray:
    """Id of the piece "▁word" for each word, −1 where the vocabulary has none."""
    ids = np.array([tokenizer.processor.piece_to_id("\u2581" + w) for w in words], dtype=np.int64)
    ids[ids == UNK_ID] = -1
    return ids


def write_word_space(
    trained: TrainedWords, config: WordSpaceConfig, artifacts_dir: Path, name: str
) -> Path:
    """Writes the space directory (see module docstring) atomically."""
    with writing_artifact(artifacts_dir, name) as writer:
        (writer.staging / TOKENIZER_FILE).write_bytes(trained.tokenizer_model)
        np.save(writer.staging / PIECES_FILE, trained.piece_vectors.astype(np.float32))
        np.save(writer.staging / COUNTS_FILE, trained.counts.astype(np.int64))
        mode = "word + BPE pieces" if config.word2vec.subwords else "plain"
        return writer.finish(
            kind=KIND,
            metric=Metric.COSINE,
            vectors=trained.vectors,
            ids=trained.words,
            producer=Producer(
                name="semspace.trainers.words",
                version=VERSION,
                config=config.model_dump(mode="json"),
            ),
            evaluation=trained.evaluation,
            description=f"Word2Vec {config.word2vec.architecture}, {mode}",
        )


def compose_oov(
    piece_vectors: np.ndarray, tokenizer: Tokenizer, word: str, bag: PieceBag = "segmentation"
) -> np.ndarray:
    """The vector of one word from its pieces alone."""
    ids = np.array(tokenizer.word_piece_ids(word, bag), dtype=np.int64)
    return compose(piece_vectors, WordPieces(np.array([0, len(ids)]), ids))[0]


def import_word2vec(path: Path, artifacts_dir: Path, name: str, binary: bool | None) -> Path:
    """A word space from vectors trained elsewhere; the tokenizer is trained on its words.

    The file's row order is kept (word2vec files are sorted by frequency), and piece vectors
    are fitted to the imported vectors so unseen words still compose.
    """
    from semspace.trainers.words.w2v_format import read_word2vec

    words, vectors = read_word2vec(path, binary)
    pieces_wanted = max(300, min(8000, len(words) // 4))
    tok_config = TokenizerConfig(vocab_size=pieces_wanted)
    tokenizer = train_tokenizer(iter(words), tok_config)
    pieces = WordPieces.of(words, tokenizer)
    piece_vectors = fit_piece_vectors(vectors, pieces, tokenizer.vocab_size)
    with writing_artifact(artifacts_dir, name) as writer:
        (writer.staging / TOKENIZER_FILE).write_bytes(tokenizer.processor.serialized_model_proto())
        np.save(writer.staging / PIECES_FILE, piece_vectors)
        return writer.finish(
            kind=KIND,
            metric=Metric.COSINE,
            vectors=vectors,
            ids=words,
            producer=Producer(
                name="semspace.trainers.words.import",
                version=VERSION,
                config={"source": str(path), "tokenizer": tok_config.model_dump(mode="json")},
            ),
            description=f"word2vec vectors imported from {Path(path).name}",
        )
