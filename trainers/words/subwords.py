"""Words from subword vectors: fastText-style bags, least-squares piece fitting, OOV checks.

Subwords are fastText's hashed character n-grams (semspace.models.char_ngrams) or BPE pieces.
Two ways to give them vectors in the same space as the words:
* subword mode trains them jointly (a word's input is the mean of its own row and its subwords'
  rows, Bojanowski et al. 2017 eq. 2);
* plain mode fits BPE piece vectors afterwards: P minimises ||A P − W||² + λ||P||², where row w
  of A averages the pieces of word w, so that composing a word from its pieces (the mean) lands
  as close as possible to its Word2Vec vector. Solved by conjugate gradients on the normal
  equations, all dimensions at once.
Either way an unseen word's vector is the mean of its subword vectors.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from semspace.models.tokenizer import PieceBag, Tokenizer
from semspace.trainers.words.evaluate import unit
from semspace.trainers.words.windows import Bags

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WordPieces:
    """Subword ids (pieces or n-gram buckets) of every word as CSR: w has ids[ptr[w]:ptr[w + 1]]."""

    ptr: np.ndarray  # int64 (V + 1)
    ids: np.ndarray  # int64

    @classmethod
    def of(
        cls, words: list[str], tokenizer: Tokenizer, bag: PieceBag = "segmentation"
    ) -> WordPieces:
        lists = (
            tokenizer.processor.encode(words, out_type=int)
            if bag == "segmentation"
            else [tokenizer.word_piece_ids(w, bag) for w in words]
        )
        lengths = np.array([len(p) for p in lists], dtype=np.int64)
        ptr = np.concatenate([[0], np.cumsum(lengths)])
        return cls(ptr, np.fromiter((i for p in lists for i in p), np.int64, int(ptr[-1])))

    def without(self, excluded: np.ndarray) -> WordPieces:
        """The same words minus, for word w, the piece id excluded[w] (−1: none)."""
        owner = self.owners()
        keep = self.ids != excluded[owner]
        lengths = np.bincount(owner[keep], minlength=len(self.ptr) - 1)
        return WordPieces(np.concatenate([[0], np.cumsum(lengths)]), self.ids[keep])

    def owners(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.ptr) - 1), np.diff(self.ptr))

    def subset(self, rows: np.ndarray) -> WordPieces:
        lengths = np.diff(self.ptr)[rows]
        ptr = np.concatenate([[0], np.cumsum(lengths)])
        starts = self.ptr[rows]
        owner = np.repeat(np.arange(len(rows)), lengths)
        return WordPieces(ptr, self.ids[starts[owner] + np.arange(ptr[-1]) - ptr[owner]])


def subword_bags(pieces: WordPieces, vocab_size: int, n_pieces: int) -> Bags:
    """Input bags of subword mode: word w reads its own row w and rows V + piece id.

    The table has a row for each of the `n_pieces` ids, read by a word or not: an unseen word's
    n-gram may fall in a bucket no vocabulary word uses, and then gets its random initial row.
    """
    lengths = np.diff(pieces.ptr) + 1
    ptr = np.concatenate([[0], np.cumsum(lengths)])
    items = np.empty(ptr[-1], dtype=np.int64)
    items[ptr[:-1]] = np.arange(vocab_size)
    mask = np.ones(ptr[-1], dtype=bool)
    mask[ptr[:-1]] = False
    items[mask] = pieces.ids + vocab_size
    return Bags(ptr, items, vocab_size + n_pieces)


def compose(piece_vectors: np.ndarray, pieces: WordPieces) -> np.ndarray:
    """Mean piece vector of each word in `pieces` (float32, one row per word)."""
    owner = pieces.owners()
    summed = np.zeros((len(pieces.ptr) - 1, piece_vectors.shape[1]), dtype=np.float64)
    np.add.at(summed, owner, piece_vectors[pieces.ids])
    return (summed / np.maximum(np.diff(pieces.ptr), 1)[:, None]).astype(np.float32)


def fit_piece_vectors(
    word_vectors: np.ndarray,
    pieces: WordPieces,
    n_pieces: int,
    ridge: float = 1e-3,
    iterations: int = 100,
    seed: int = 1,
) -> np.ndarray:
    """Least-squares piece vectors whose means reproduce `word_vectors` (see module docstring).

    Pieces that occur in no word keep small random vectors (as fastText's untrained n-gram rows
    do), so a string made only of unseen bytes still gets a finite non-zero vector.
    """
    owner = pieces.owners()
    weight = (1.0 / np.diff(pieces.ptr))[owner][:, None]
    targets = np.asarray(word_vectors, dtype=np.float64)
    # Both products are segment sums over sorted keys: np.add.reduceat, no Python loop.
    by_piece = np.argsort(pieces.ids, kind="stable")
    piece_sorted = pieces.ids[by_piece]
    present = np.unique(piece_sorted)
    piece_starts = np.searchsorted(piece_sorted, present)

    def a_times(p: np.ndarray) -> np.ndarray:
        return np.add.reduceat(weight * p[pieces.ids], pieces.ptr[:-1], axis=0)

    def at_times(w: np.ndarray) -> np.ndarray:
        out = np.zeros((n_pieces, w.shape[1]))
        terms = (weight * w[owner])[by_piece]
        out[present] = np.add.reduceat(terms, piece_starts, axis=0)
        return out

    def normal(p: np.ndarray) -> np.ndarray:
        return at_times(a_times(p)) + ridge * p

    solution = np.zeros((n_pieces, targets.shape[1]))
    residual = at_times(targets)
    direction = residual.copy()
    rr = (residual * residual).sum(0)
    for _ in range(iterations):
        q = normal(direction)
        alpha = rr / np.maximum((direction * q).sum(0), 1e-30)
        solution += alpha * direction
        residual -= alpha * q
        rr_next = (residual * residual).sum(0)
        if np.sqrt(rr_next.max()) < 1e-6:
            break
        direction = residual + (rr_next / np.maximum(rr, 1e-30)) * direction
        rr = rr_next
    unused = np.bincount(pieces.ids, minlength=n_pieces) == 0
    rng = np.random.default_rng(seed)
    scale = np.abs(targets).mean()
    solution[unused] = rng.uniform(-scale, scale, (int(unused.sum()), targets.shape[1]))
    return solution.astype(np.float32)


def oov_holdout_report(
    word_vectors: np.ndarray,
    pieces: WordPieces,
    piece_vectors: np.ndarray | None,
    n_pieces: int,
    holdout: int = 1000,
    neighbours: int = 10,
    seed: int = 1,
    whole_word: np.ndarray | None = None,
) -> dict[str, float]:
    """How well pieces alone recover held-out in-vocabulary words.

    Holds out `holdout` random words; with `piece_vectors` None (plain mode) the pieces are
    refitted without them, so the figure is an honest out-of-vocabulary estimate. Reports mean
    cosine(composed, true) and the overlap of their `neighbours` nearest words (among all others).
    `whole_word` (piece id per word, −1 for none) drops the piece that spells the whole word: in
    subword mode it is trained by that word alone, so it would leak the answer.
    """
    rng = np.random.default_rng(seed)
    n_words = len(word_vectors)
    if n_words < 2 * (neighbours + 1):
        return {"holdout_words": 0, "skipped": f"{n_words} words are too few to hold some out"}
    held = np.sort(rng.choice(n_words, size=min(holdout, n_words // 2), replace=False))
    if piece_vectors is None:
        kept = np.setdiff1d(np.arange(n_words), held)
        piece_vectors = fit_piece_vectors(word_vectors[kept], pieces.subset(kept), n_pieces)
    if whole_word is not None:
        pieces = pieces.without(whole_word)
    composed = unit(compose(piece_vectors, pieces.subset(held)))
    true = unit(np.asarray(word_vectors, dtype=np.float32))
    cosine = float((composed * true[held]).sum(1).mean())
    overlap = []
    for start in range(0, len(held), 256):
        rows = held[start : start + 256]
        scores_true = true[rows] @ true.T
        scores_comp = composed[start : start + 256] @ true.T
        for s in (scores_true, scores_comp):
            s[np.arange(len(rows)), rows] = -np.inf
        top_true = np.argpartition(-scores_true, neighbours, axis=1)[:, :neighbours]
        top_comp = np.argpartition(-scores_comp, neighbours, axis=1)[:, :neighbours]
        overlap += [
            len(np.intersect1d(a, b)) / neighbours for a, b in zip(top_true, top_comp, strict=True)
        ]
    return {
        "holdout_words": len(held),
        "mean_cosine": cosine,
        f"neighbour_overlap_at_{neighbours}": float(np.mean(overlap)),
    }
