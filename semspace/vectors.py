"""Packed float32 vectors as they travel on the wire, and the checks every vector must pass.

Shared by client and server, so numpy only.
"""

from __future__ import annotations

import numpy as np

WIRE_DTYPE = np.dtype("<f4")
# A quarter of float32's largest value: with |q|^2 and |x|^2 at most this, |q - x|^2 and q.x
# stay finite (a length of about 9.2e18).
MAX_SQUARED_LENGTH = float(np.finfo(np.float32).max) / 4


class VectorError(ValueError):
    """A vector that cannot be used; `field` names where it came from."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


# Booleans, integers and floats. Complex numbers would lose their imaginary part (with only a
# warning), and numpy would parse text ("1.5") as numbers.
REAL_KINDS = "biuf"
OTHER_KINDS = {"c": "complex numbers", "U": "text", "S": "bytes", "O": "Python objects"}


def real_array(values: object, field: str, what: str) -> np.ndarray:
    """float32 numbers of `values` (any shape); `what` names the shape expected in errors."""
    try:
        array = np.asarray(values)
    except (TypeError, ValueError) as error:  # ragged rows
        raise VectorError(field, f"is not {what} of numbers ({error})") from None
    if array.dtype.kind not in REAL_KINDS:
        holds = OTHER_KINDS.get(array.dtype.kind, str(array.dtype))
        raise VectorError(field, f"is not {what} of real numbers (it holds {holds})")
    return array.astype(np.float32, copy=False)


def as_matrix(vectors: object, field: str = "vectors") -> np.ndarray:
    """A 2-D float32 C-contiguous copy-if-needed of `vectors` (a 1-D vector becomes one row)."""
    array = real_array(vectors, field, "a matrix")
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise VectorError(field, f"expected a 2-D array (count, dim), got shape {array.shape}")
    return np.ascontiguousarray(array)


def pack(vectors: np.ndarray) -> tuple[int, bytes]:
    """(dim, little-endian float32 bytes) of a 2-D array."""
    matrix = as_matrix(vectors)
    return matrix.shape[1], matrix.astype(WIRE_DTYPE, copy=False).tobytes()


def unpack(dim: int, data: bytes, field: str = "vectors") -> np.ndarray:
    """The (count, dim) float32 array packed in `data`; raises VectorError on a ragged buffer."""
    if dim <= 0:
        raise VectorError(f"{field}.dim", f"must be positive, got {dim}")
    row_bytes = 4 * dim
    if len(data) % row_bytes:
        raise VectorError(
            f"{field}.data",
            f"{len(data)} bytes is not a whole number of rows of {dim} float32 ({row_bytes} bytes)",
        )
    return np.frombuffer(data, dtype=WIRE_DTYPE).reshape(-1, dim).astype(np.float32, copy=False)


def check_finite(matrix: np.ndarray, field: str) -> None:
    """Rejects NaN and ±Inf, naming the first bad row."""
    bad = ~np.isfinite(matrix).all(axis=1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise VectorError(f"{field}[{row}]", "contains NaN or Inf; every component must be finite")


def check_storable(matrix: np.ndarray, stored_as: np.dtype, field: str) -> None:
    """Rejects rows that storage of `stored_as` (float16: ±65,504 at most) would turn into Inf,
    naming the first."""
    if stored_as != np.float16:
        return
    with np.errstate(over="ignore"):  # the overflow is what this looks for
        overflow = ~np.isfinite(matrix.astype(np.float16)).all(axis=1)
    if overflow.any():
        row = int(np.flatnonzero(overflow)[0])
        raise VectorError(
            f"{field}[{row}]",
            "has a component beyond ±65,504: the space stores float16 (vector_bits 16), "
            "which would make it Inf",
        )


def squared_lengths(matrix: np.ndarray) -> np.ndarray:
    """Each row's squared length, summed in float64: in float32, squares of components past
    about 1.8e19 overflow to Inf and those under about 1e-23 vanish."""
    return np.einsum("ij,ij->i", matrix, matrix, dtype=np.float64)


def check_length(matrix: np.ndarray, field: str) -> None:
    """Rejects rows too long for float32 distances (L2 and inner-product spaces), naming the
    first: FAISS computes |q|^2 + |x|^2 - 2 q.x in float32, which overflows into Inf, and then
    ranks nothing, past MAX_SQUARED_LENGTH."""
    squared = squared_lengths(matrix)
    too_long = squared > MAX_SQUARED_LENGTH
    if too_long.any():
        row = int(np.flatnonzero(too_long)[0])
        raise VectorError(
            f"{field}[{row}]",
            f"has squared length {squared[row]:.3g}, over {MAX_SQUARED_LENGTH:.3g}, past which "
            "float32 distances overflow; scale the vectors down",
        )


def unit_rows(matrix: np.ndarray, field: str) -> np.ndarray:
    """Rows scaled to unit length, whatever their finite length; a zero row has no direction
    and is rejected."""
    norms = np.sqrt(squared_lengths(matrix))[:, None]
    zero = norms[:, 0] == 0.0
    if zero.any():
        row = int(np.flatnonzero(zero)[0])
        raise VectorError(f"{field}[{row}]", "is the zero vector, which has no cosine direction")
    return (matrix / norms).astype(np.float32)
