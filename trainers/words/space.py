"""End to end: corpus → tokenizer → Word2Vec → subword vectors → evaluation → artifact.

Layout of a word space (besides the shared manifest.json, vectors.npy, ids.txt):
    tokenizer.model   SentencePiece BPE model (ids 0 <pad>, 1 <unk>, 2 <s>, 3 </s>)
    ngrams.npy        float32 (buckets, dim): one vector per n-gram hash bucket, for OOV
                      composition; in spaces trained with character n-grams
    pieces.npy        float32 (pieces, dim): one vector per tokenizer id, for OOV composition;
                      in the other spaces (plain mode, BPE subwords, imported vectors)
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
from semspace.models.char_ngrams import BOW, EOW, fnv1a_32, ngram_buckets
from semspace.models.tokenizer import UNK_ID
from semspace.models.words import COMPOSITION_FILES, PIECES_FILE, TOKENIZER_FILE
from semspace.trainers.words.corpus import EncodedCorpus, encode_corpus
from semspace.trainers.words.evaluate import evaluate_space
from semspace.trainers.words.subwords import (
    WordPieces,
    fit_piece_vectors,
    oov_holdout_report,
    subword_bags,
)
from semspace.trainers.words.tokenizer import Tokenizer, TokenizerConfig, train_tokenizer
from semspace.trainers.words.word2vec import TrainStats, Word2VecConfig, Word2VecTrainer

log = logging.getLogger(__name__)

KIND = "word2vec"
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
    subword_vectors: np.ndarray  # n-gram buckets or BPE pieces: config.word2vec.composition
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
    units, n_units = word_units(words, tokenizer, w2v)
    bags = subword_bags(units, vocab_size, n_units) if w2v.subwords else None
    model, stats = Word2VecTrainer(w2v, corpus, bags).train()
    vectors = model.word_vectors()
    started = time.perf_counter()
    if w2v.subwords:
        # Subwords no vocabulary word holds keep their random initial rows, as in fastText.
        subword_vectors = model.inputs[vocab_size:]
    else:
        subword_vectors = fit_piece_vectors(vectors, units, n_units, seed=w2v.seed)
    log.info("subword vectors ready in %.1f s", time.perf_counter() - started)
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
            units,
            subword_vectors if w2v.subwords else None,
            n_units,
            holdout=config.oov_holdout,
            seed=w2v.seed,
            whole_word=whole_word_units(words, tokenizer, w2v) if w2v.subwords else None,
        )
        evaluation["oov_holdout"]["subwords"] = (
            f"{w2v.composition} trained jointly; held-out words were seen in training, their own "
            "word row and whole-word subword are left out of the composition"
            if w2v.subwords
            else "bpe pieces refit without the held-out words"
        )
    return TrainedWords(
        words=words,
        counts=corpus.vocab.counts,
        vectors=vectors,
        subword_vectors=subword_vectors,
        tokenizer_model=tokenizer.processor.serialized_model_proto(),
        stats=stats,
        evaluation=evaluation,
    )


def word_units(
    words: list[str], tokenizer: Tokenizer, w2v: Word2VecConfig
) -> tuple[WordPieces, int]:
    """Each word's subword ids and how many ids there are (rows of the subword table)."""
    if w2v.composition == "char-ngrams":
        ptr, ids = ngram_buckets(words, w2v.ngram_min, w2v.ngram_max, w2v.buckets)
        return WordPieces(ptr, ids), w2v.buckets
    return WordPieces.of(words, tokenizer, w2v.piece_bag), tokenizer.vocab_size


def whole_word_units(words: list[str], tokenizer: Tokenizer, w2v: Word2VecConfig) -> np.ndarray:
    """Id of the subword that spells the whole word, −1 where there is none.

    The BPE piece "▁word", or the n-gram "<word>" when it is short enough to be one.
    """
    if w2v.composition == "char-ngrams":
        marked = [BOW + w + EOW for w in words]
        ids = (fnv1a_32([m.encode() for m in marked]) % np.uint32(w2v.buckets)).astype(np.int64)
        fits = np.array([w2v.ngram_min <= len(m) <= w2v.ngram_max for m in marked], dtype=bool)
        return np.where(fits, ids, -1)
    ids = np.array([tokenizer.processor.piece_to_id("\u2581" + w) for w in words], dtype=np.int64)
    ids[ids == UNK_ID] = -1
    return ids


def write_word_space(
    trained: TrainedWords, config: WordSpaceConfig, artifacts_dir: Path, name: str
) -> Path:
    """Writes the space directory (see module docstring) atomically."""
    with writing_artifact(artifacts_dir, name) as writer:
        w2v = config.word2vec
        (writer.staging / TOKENIZER_FILE).write_bytes(trained.tokenizer_model)
        np.save(
            writer.staging / COMPOSITION_FILES[w2v.composition],
            trained.subword_vectors.astype(np.float32),
        )
        np.save(writer.staging / COUNTS_FILE, trained.counts.astype(np.int64))
        mode = (
            "plain, unseen words from BPE pieces"
            if not w2v.subwords
            else f"word + character {w2v.ngram_min}-{w2v.ngram_max}-grams, {w2v.buckets:,} buckets"
            if w2v.composition == "char-ngrams"
            else "word + BPE pieces"
        )
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
