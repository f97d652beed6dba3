"""The word2vec text and binary formats (word2vec.c `-binary 0/1`), as gensim reads and writes them.

Both start with a "<count> <dim>\\n" header. Text: one "word v1 v2 ...\\n" line per word.
Binary: "word " then dim little-endian float32, then "\\n" (word2vec.c writes it, gensim does not;
the reader accepts both).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_word2vec(path: Path, words: list[str], vectors: np.ndarray, binary: bool) -> None:
    """Writes `vectors` (count, dim) for `words` in the word2vec format."""
    matrix = np.asarray(vectors, dtype="<f4")
    if matrix.ndim != 2 or len(words) != len(matrix):
        raise ValueError(f"{len(words)} words for vectors of shape {matrix.shape}")
    if any(not w or any(c.isspace() for c in w) for w in words):
        raise ValueError("word2vec format words must be non-empty and contain no whitespace")
    with Path(path).open("wb") as out:
        out.write(f"{len(words)} {matrix.shape[1]}\n".encode())
        if binary:
            for word, row in zip(words, matrix, strict=True):
                out.write(word.encode("utf-8") + b" " + row.tobytes() + b"\n")
        else:
            lines = np.char.mod("%.6g", matrix)
            for word, row in zip(words, lines, strict=True):
                out.write((word + " " + " ".join(row) + "\n").encode("utf-8"))


def read_word2vec(path: Path, binary: bool | None = None) -> tuple[list[str], np.ndarray]:
    """(words, float32 vectors) of a word2vec file; `binary` None guesses from the content."""
    data = Path(path).read_bytes()
    header_end = data.index(b"\n")
    count, dim = (int(x) for x in data[:header_end].split())
    body = data[header_end + 1 :]
    if binary is None:
        binary = _looks_binary(body[:4096])
    if not binary:
        lines = body.decode("utf-8").splitlines()[:count]
        words = [line.split(" ", 1)[0] for line in lines]
        values = " ".join(line.split(" ", 1)[1] for line in lines)
        vectors = np.array(values.split(), dtype=np.float32).reshape(count, dim)
        return words, vectors
    words, vectors, pos = [], np.empty((count, dim), dtype=np.float32), 0
    for i in range(count):
        while body[pos : pos + 1] in (b"\n", b" "):
            pos += 1
        space = body.index(b" ", pos)
        words.append(body[pos:space].decode("utf-8"))
        start = space + 1
        vectors[i] = np.frombuffer(body, dtype="<f4", count=dim, offset=start)
        pos = start + 4 * dim
    return words, vectors


def _looks_binary(sample: bytes) -> bool:
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return any(b < 9 for b in sample)
