"""Reading points and expressions from the command line: CSV/.npy files, `king - man + woman`."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

# What numpy.save writes first; np.load takes anything else for a pickle.
NPY_MAGIC = b"\x93NUMPY"


def read_csv_points(path: Path) -> tuple[list[str], np.ndarray]:
    """Rows of `id,x1,x2,...`; a first row whose x1 is not a number is a header and skipped."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle) if row and any(cell.strip() for cell in row)]
    if rows and not _is_number(rows[0][1] if len(rows[0]) > 1 else ""):
        rows = rows[1:]
    if not rows:
        raise ValueError(f"{path}: no data rows (expected id,x1,x2,...)")
    widths = {len(row) for row in rows}
    if len(widths) != 1:
        raise ValueError(f"{path}: rows have different numbers of columns {sorted(widths)}")
    ids = [row[0].strip() for row in rows]
    try:
        vectors = np.array([[float(cell) for cell in row[1:]] for row in rows], dtype=np.float32)
    except ValueError as error:
        raise ValueError(f"{path}: every column after the id must be a number ({error})") from None
    return ids, vectors


def read_npy_points(path: Path, ids_path: Path | None) -> tuple[list[str], np.ndarray]:
    """A (count, dim) .npy; ids one per line from `ids_path`, else row numbers."""
    with path.open("rb") as handle:
        if handle.read(len(NPY_MAGIC)) != NPY_MAGIC:
            raise ValueError(f"{path}: not a .npy file (it does not begin as numpy.save writes)")
    vectors = np.load(path)
    if vectors.ndim != 2:
        raise ValueError(f"{path}: expected a 2-D array (count, dim), got shape {vectors.shape}")
    if ids_path is None:
        return [str(i) for i in range(len(vectors))], vectors
    # "\n" alone ends a line: ids may hold other characters that splitlines() breaks at.
    ids = ids_path.read_text(encoding="utf-8").removesuffix("\n").split("\n")
    if len(ids) != len(vectors):
        raise ValueError(f"{ids_path}: {len(ids)} ids for {len(vectors)} vectors")
    return ids, vectors


def parse_expression(tokens: list[str]) -> list[tuple[float, str]]:
    """`king - man + woman` or `king -man +woman` or `2*king - man` -> weighted id terms."""
    terms: list[tuple[float, str]] = []
    sign = 1.0
    for token in tokens:
        if token in {"+", "-"}:
            sign = -1.0 if token == "-" else 1.0
            continue
        if token[0] in "+-" and len(token) > 1:
            sign, token = (-1.0 if token[0] == "-" else 1.0), token[1:]
        weight = 1.0
        if "*" in token:
            factor, token = token.split("*", 1)
            weight = float(factor)
        terms.append((sign * weight, token))
        sign = 1.0
    if not terms:
        raise ValueError("an expression needs at least one term, e.g. king - man + woman")
    return terms


def parse_vector(text: str) -> np.ndarray:
    return np.array([float(x) for x in text.replace(",", " ").split()], dtype=np.float32)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
