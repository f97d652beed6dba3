"""Inference for word spaces: a vector for every string (numpy + SentencePiece, no torch).

* one in-vocabulary word → its Word2Vec vector (the row of vectors.npy);
* one unseen word → the mean of its subword vectors, flagged as composed: its hashed character
  n-grams (ngrams.npy, spaces trained fastText-style) or else its BPE pieces (pieces.npy);
* several words → the mean of their L2-normalised word vectors (each found as above), so every
  word counts equally whatever its norm (frequent words have shorter Word2Vec vectors).
Lookup lower-cases and splits on whitespace, the text8 normalisation of the training corpora.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from semspace.artifact import Artifact, load_artifact
from semspace.models.char_ngrams import ngram_buckets
from semspace.models.tokenizer import PieceBag, Tokenizer

TOKENIZER_FILE = "tokenizer.model"
PIECES_FILE = "pieces.npy"
NGRAMS_FILE = "ngrams.npy"
SubwordUnits = Literal["char-ngrams", "bpe"]
# What unseen words are composed of; a space ships the file of its composition only.
Composition = SubwordUnits
COMPOSITION_FILES: dict[Composition, str] = {"char-ngrams": NGRAMS_FILE, "bpe": PIECES_FILE}


@dataclass(frozen=True)
class PieceUnits:
    """A word's BPE pieces: rows of pieces.npy, one per tokenizer id."""

    tokenizer: Tokenizer
    bag: PieceBag = "segmentation"

    @property
    def count(self) -> int:
        return self.tokenizer.vocab_size

    def ids(self, word: str) -> list[int]:
        return self.tokenizer.word_piece_ids(word, self.bag)


@dataclass(frozen=True)
class NgramUnits:
    """A word's character n-grams hashed as fastText does: rows of ngrams.npy, one per bucket."""

    ngram_min: int
    ngram_max: int
    buckets: int

    @property
    def count(self) -> int:
        return self.buckets

    def ids(self, word: str) -> np.ndarray:
        return ngram_buckets([word], self.ngram_min, self.ngram_max, self.buckets)[1]


class WordModel:
    """Embeds strings with a word space's vectors, composing unseen words from subwords."""

    def __init__(
        self,
        words: list[str],
        vectors: np.ndarray,
        tokenizer: Tokenizer,
        units: PieceUnits | NgramUnits,
        unit_vectors: np.ndarray,
    ) -> None:
        if len(unit_vectors) != units.count:
            raise ValueError(f"{len(unit_vectors)} subword vectors for {units.count} subwords")
        self.words = words
        self.vectors = vectors
        self.tokenizer = tokenizer
        self.units = units
        self.unit_vectors = unit_vectors
        self.index = {w: i for i, w in reversed(list(enumerate(words)))}

    @classmethod
    def load(cls, artifact_dir: Path) -> WordModel:
        """Loads a word space written by `semspace train word2vec` (vectors memory-mapped)."""
        return cls.from_artifact(load_artifact(Path(artifact_dir)))

    @classmethod
    def from_artifact(cls, artifact: Artifact) -> WordModel:
        """The model of an already loaded (and verified) word space, sharing its arrays.

        Spaces written before character n-grams existed hold pieces.npy only, and still load.
        """
        tokenizer = Tokenizer.load(artifact.file(TOKENIZER_FILE))
        settings = artifact.manifest.producer.config.get("word2vec", {})
        composition = composition_of(artifact)
        units: PieceUnits | NgramUnits = (
            NgramUnits(settings["ngram_min"], settings["ngram_max"], settings["buckets"])
            if composition == "char-ngrams"
            else PieceUnits(tokenizer, settings.get("piece_bag", "segmentation"))
        )
        vectors = np.load(artifact.file(COMPOSITION_FILES[composition]), mmap_mode="r")
        return cls(artifact.ids, artifact.vectors, tokenizer, units, vectors)

    @property
    def vocab_size(self) -> int:
        """Number of words with their own vector."""
        return len(self.words)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def has_word(self, word: str) -> bool:
        return word.lower() in self.index

    def tokenize(
        self, text: str, add_sos: bool = False, add_eos: bool = False
    ) -> tuple[list[str], list[int]]:
        """BPE (pieces, ids); <s> is id 2 and </s> id 3 when asked for."""
        return self.tokenizer.encode(text, add_sos=add_sos, add_eos=add_eos)

    def word_vector(self, word: str) -> tuple[np.ndarray, bool]:
        """(vector, composed) of one word; composed is True when built from subwords."""
        row = self.index.get(word.lower())
        if row is not None:
            return np.asarray(self.vectors[row], dtype=np.float32), False
        ids = self.units.ids(word.lower())
        return np.asarray(self.unit_vectors[ids], dtype=np.float32).mean(axis=0), True

    def embed(self, texts: list[str]) -> tuple[np.ndarray, list[bool]]:
        """(float32 (n, dim) vectors, composed flags); composed is True if any word was unseen."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        flags = []
        for i, text in enumerate(texts):
            words = text.split()
            if not words:
                raise ValueError(
                    f"text {i} is empty or whitespace only ({text!r}); give at least one word"
                )
            found = [self.word_vector(w) for w in words]
            if len(found) == 1:
                out[i] = found[0][0]
            else:
                stacked = np.stack([v for v, _ in found])
                norms = np.linalg.norm(stacked, axis=1, keepdims=True)
                out[i] = (stacked / np.maximum(norms, 1e-12)).mean(axis=0)
            flags.append(any(c for _, c in found))
        return out, flags


def composition_of(artifact: Artifact) -> Composition:
    """The subwords a space composes unseen words from, told by the file it ships."""
    files = {entry.path for entry in artifact.manifest.files}
    return "char-ngrams" if NGRAMS_FILE in files else "bpe"
