"""Word-vector evaluation: analogies as gensim's `evaluate_word_analogies`, WordSim-353 Spearman.

Analogies follow gensim 4.x exactly: only the `restrict` most frequent words are candidates and
answers, comparison is case-insensitive (the most frequent spelling wins), a question with any
word outside that vocabulary is skipped and counted as OOV, the three input words are excluded
from the answer, and the total is correct / (questions answered) over all sections.
3CosAdd is `most_similar` (Mikolov et al. 2013c), 3CosMul is `most_similar_cosmul` (Levy &
Goldberg 2014, with cosines shifted to [0, 1] and ε = 1e-6).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

RESTRICT = 30_000
BATCH = 512


@dataclass
class AnalogySection:
    name: str
    correct: int = 0
    incorrect: int = 0

    @property
    def accuracy(self) -> float:
        answered = self.correct + self.incorrect
        return self.correct / answered if answered else 0.0


@dataclass
class AnalogyResult:
    method: str
    sections: list[AnalogySection] = field(default_factory=list)
    oov_questions: int = 0

    @property
    def correct(self) -> int:
        return sum(s.correct for s in self.sections)

    @property
    def answered(self) -> int:
        return sum(s.correct + s.incorrect for s in self.sections)

    @property
    def accuracy(self) -> float:
        return self.correct / self.answered if self.answered else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "accuracy": self.accuracy,
            "correct": self.correct,
            "answered": self.answered,
            "oov_questions": self.oov_questions,
            "sections": {s.name: round(s.accuracy, 4) for s in self.sections},
        }


def unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


def restricted_index(words: list[str], restrict: int) -> dict[str, int]:
    """Upper-cased word → row among the first `restrict` rows; the most frequent spelling wins."""
    return {w.upper(): i for i, w in reversed(list(enumerate(words[:restrict])))}


def read_analogies(path: Path) -> list[tuple[str, list[tuple[str, str, str, str]]]]:
    """Sections of questions-words.txt: [(section name, [(a, b, c, expected), ...]), ...]."""
    sections: list[tuple[str, list[tuple[str, str, str, str]]]] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith(":"):
            sections.append((line[1:].strip(), []))
        elif line.strip():
            a, b, c, d = line.upper().split()
            if not sections:
                raise ValueError(f"{path}: question before the first ': section' line")
            sections[-1][1].append((a, b, c, d))
    return sections


def _answers(unit_vectors: np.ndarray, questions: np.ndarray, method: str) -> np.ndarray:
    """Best row for each (a, b, c) row of `questions`, the three inputs excluded."""
    a, b, c = (unit_vectors[questions[:, i]] for i in range(3))
    if method == "3cosadd":
        scores = unit(b - a + c) @ unit_vectors.T
    else:
        cos = [(1.0 + x @ unit_vectors.T) / 2.0 for x in (a, b, c)]
        scores = cos[1] * cos[2] / (cos[0] + 1e-6)
    rows = np.arange(len(questions))[:, None]
    scores[rows, questions[:, :3]] = -np.inf
    return scores.argmax(axis=1)


def evaluate_analogies(
    vectors: np.ndarray,
    words: list[str],
    path: Path,
    restrict: int = RESTRICT,
    methods: tuple[str, ...] = ("3cosadd", "3cosmul"),
) -> dict[str, AnalogyResult]:
    """Analogy accuracy per section and in total, for each method, gensim-style."""
    index = restricted_index(words, restrict)
    unit_vectors = unit(np.asarray(vectors[: min(restrict, len(words))], dtype=np.float32))
    results = {m: AnalogyResult(m) for m in methods}
    for name, questions in read_analogies(path):
        known = [q for q in questions if all(w in index for w in q)]
        for result in results.values():
            result.sections.append(AnalogySection(name))
            result.oov_questions += len(questions) - len(known)
        if not known:
            continue
        rows = np.array([[index[w] for w in q] for q in known], dtype=np.int64)
        for method, result in results.items():
            for start in range(0, len(rows), BATCH):
                batch = rows[start : start + BATCH]
                hits = int((_answers(unit_vectors, batch, method) == batch[:, 3]).sum())
                result.sections[-1].correct += hits
                result.sections[-1].incorrect += len(batch) - hits
    return results


def rank_average(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given their average rank (as scipy.stats.rankdata)."""
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return ranks


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rho: Pearson correlation of average ranks."""
    rx, ry = rank_average(np.asarray(x, float)), rank_average(np.asarray(y, float))
    rx, ry = rx - rx.mean(), ry - ry.mean()
    return float((rx * ry).sum() / np.sqrt((rx * rx).sum() * (ry * ry).sum()))


def evaluate_wordsim(vectors: np.ndarray, words: list[str], path: Path) -> dict[str, Any]:
    """Spearman between human scores and cosines; pairs with an unknown word are skipped (OOV)."""
    index = {w.lower(): i for i, w in reversed(list(enumerate(words)))}
    human, model, oov, total = [], [], 0, 0
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        first, second, score = line.split("\t")[:3]
        total += 1
        i, j = index.get(first.lower()), index.get(second.lower())
        if i is None or j is None:
            oov += 1
            continue
        u, v = unit(np.asarray(vectors[[i, j]], dtype=np.float32))
        human.append(float(score))
        model.append(float(u @ v))
    rho = spearman(np.array(human), np.array(model)) if len(human) > 1 else float("nan")
    return {"spearman": rho, "pairs": total, "oov_pairs": oov}


def evaluate_space(
    vectors: np.ndarray, words: list[str], eval_dir: Path, restrict: int = RESTRICT
) -> dict[str, Any]:
    """All figures for a word space, as stored in the manifest's `evaluation`."""
    eval_dir = Path(eval_dir)
    analogies = evaluate_analogies(vectors, words, eval_dir / "questions-words.txt", restrict)
    return {
        "analogy_restrict": restrict,
        "analogy_3cosadd": analogies["3cosadd"].as_dict(),
        "analogy_3cosmul": analogies["3cosmul"].as_dict(),
        "wordsim353": evaluate_wordsim(vectors, words, eval_dir / "wordsim353.tsv"),
    }
