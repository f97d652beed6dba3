"""The word vocabulary: words sorted by corpus frequency, with their counts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Vocabulary:
    """Words in descending count order (id 0 is the most frequent) and their raw counts.

    The order matters: the gensim-style analogy evaluation restricts itself to the first 30,000
    ids, i.e. the 30,000 most frequent words.
    """

    words: list[str]
    counts: np.ndarray  # int64, aligned with `words`

    def __post_init__(self) -> None:
        if len(self.words) != len(self.counts):
            raise ValueError(f"{len(self.words)} words but {len(self.counts)} counts")

    def __len__(self) -> int:
        return len(self.words)

    @property
    def total(self) -> int:
        """Number of corpus tokens covered by the vocabulary."""
        return int(self.counts.sum())

    def index(self) -> dict[str, int]:
        """word → id."""
        return {word: i for i, word in enumerate(self.words)}

    @classmethod
    def from_counts(cls, counts: dict[str, int], min_count: int) -> Vocabulary:
        """Keeps words seen at least `min_count` times, most frequent first (ties by word)."""
        kept = sorted(
            ((w, c) for w, c in counts.items() if c >= min_count), key=lambda wc: (-wc[1], wc[0])
        )
        words = [w for w, _ in kept]
        return cls(words, np.array([c for _, c in kept], dtype=np.int64))

    def save(self, path: Path) -> None:
        """One `word<TAB>count` line per word, in id order."""
        lines = "".join(f"{w}\t{c}\n" for w, c in zip(self.words, self.counts, strict=True))
        Path(path).write_text(lines, encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Vocabulary:
        words, counts = [], []
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            word, count = line.rsplit("\t", 1)
            words.append(word)
            counts.append(int(count))
        return cls(words, np.array(counts, dtype=np.int64))
