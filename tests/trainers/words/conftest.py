"""Tiny synthetic corpora with planted structure, shared by the word tests."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

GRID = 6  # words w{x}{y} with x, y in 0..GRID-1
ENGLISH = (
    "the king rules the kingdom and the queen rules the queendom while kings and queens "
    "walk slowly quickly happily sadly through towns cities countries playing played "
    "plays player players running runner runs ran one two three four five six seven"
)


def planted_sentences(n: int, seed: int = 0) -> list[str]:
    """Each line pairs a grid word w{x}{y} with context words of its row x and its column y.

    A word's contexts are those of its row plus those of its column, so its vector is close to
    row(x) + col(y): w00 - w01 + w11 ≈ w10 holds by construction, and words of one row are
    each other's neighbours.
    """
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(n):
        x, y = rng.integers(GRID, size=2)
        rows = [f"r{x}{k}" for k in rng.integers(4, size=2)]
        cols = [f"c{y}{k}" for k in rng.integers(4, size=2)]
        words = [rows[0], cols[0], f"w{x}{y}", rows[1], cols[1]]
        lines.append(" ".join(words))
    return lines


@pytest.fixture(scope="session")
def planted_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "planted.txt"
    path.write_text("\n".join(planted_sentences(12_000)) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def english_text(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small English-like text8 file (one line) for tokenizer and space tests."""
    words = ENGLISH.split()
    rng = np.random.default_rng(1)
    text = " ".join(rng.choice(words, size=40_000))
    path = tmp_path_factory.mktemp("text8") / "mini8"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def data_dir() -> Path:
    default = Path(__file__).resolve().parents[4] / "shared" / "data"
    path = Path(os.environ.get("SEMSPACE_DATA_DIR", default))
    if not (path / "eval" / "questions-words.txt").is_file():
        pytest.skip(f"shared data not found at {path}")
    return path
