"""Inference for word spaces: a vector for every string (numpy + SentencePiece, no torch).

* one in-vocabulary word → its Word2Vec vector (the row of vectors.npy);
* one unseen word → the mean of its BPE piece vectors (pieces.npy), flagged as composed;
* several words → the mean of their L2-normalised word vectors (each found as above), so every
  word counts equally whatever its norm (frequent words have shorter Word2Vec vectors).
Lookup lower-cases and splits on whitespace, the text8 normalisation of the training corpora.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from semspace.artifact import Artifact, load_artifact
from semspace.models.tokenizer import PieceBag, Tokenizer

TOKENIZER_FILE = "tokenizer.model"
PIECES_FILE = "pieces.npy"


class WordModel:
    """Embeds strings with a word space's vectors, composing unseen words from pieces."""

    def __init__(
        self,
        words: list[str],
        vectors: np.ndarray,
        pieces: np.ndarray,
        tokenizer: Tokenizer,
        piece_bag: PieceBag = "segmentation",
    ) -> None:
        if len(pieces) != tokenizer.vocab_size:
            raise ValueError(
                f"{len(pieces)} piece vectors for a tokenizer of {tokenizer.vocab_size} pieces"
            )
        self.words = words
        self.vectors = vectors
        self.pieces = pieces
        self.tokenizer = tokenizer
        self.piece_bag: PieceBag = piece_bag
        self.index = {w: i for i, w in reversed(list(enumerate(words)))}

    @classmethod
    def load(cls, artifact_dir: Path) -> WordModel:
        """Loads a word space written by `semspace train word2vec` (vectors memory-mapped)."""
        return cls.from_artifact(load_artifact(Path(artifact_dir)))

    @classmethod
    def from_artifact(cls, artifact: Artifact) -> WordModel:
        """The model of an already loaded (and verified) word space, sharing its arrays."""
        tokenizer = Tokenizer.load(artifact.file(TOKENIZER_FILE))
        pieces = np.load(artifact.file(PIECES_FILE), mmap_mode="r")
        settings = artifact.manifest.producer.config.get("word2vec", {})
        bag = settings.get("piece_bag", "segmentation")
        return cls(artifact.ids, artifact.vectors, pieces, tokenizer, bag)

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
        """(vector, composed) of one word; composed is True when built from pieces."""
        row = self.index.get(word.lower())
        if row is not None:
            return np.asarray(self.vectors[row], dtype=np.float32), False
        ids = self.tokenizer.word_piece_ids(word.lower(), self.piece_bag)
        return np.asarray(self.pieces[ids], dtype=np.float32).mean(axis=0), True

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
