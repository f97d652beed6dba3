"""Vector arithmetic over weighted terms: 3CosAdd and 3CosMul, as pure numpy functions."""

from __future__ import annotations

import enum

import numpy as np

# Levy & Goldberg (2014), "Linguistic Regularities in Sparse and Explicit Word Representations",
# eq. 4: epsilon keeps the division finite when a negative term points exactly away (s = 0).
COSMUL_EPSILON = 1e-3


class Method(enum.StrEnum):
    COS_ADD = "3cosadd"
    COS_MUL = "3cosmul"


def weighted_sum(weights: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """3CosAdd's query: sum_i w_i x_i (Mikolov et al. 2013, king - man + woman)."""
    return (weights[:, None] * vectors).sum(axis=0, dtype=np.float64).astype(np.float32)


def cosmul_log_scores(points: np.ndarray, weights: np.ndarray, terms: np.ndarray) -> np.ndarray:
    """log of the 3CosMul objective of every point: prod_{w>0} s^w / (prod_{w<0} s^|w| + eps).

    s = (1 + cos) / 2 maps cosines into [0, 1] so that the product is a sensible "and". In logs
    and float64, so that no weight, however large, overflows or underflows the ranking; exp()
    gives the objective back (0 where it underflows).
    """
    point_norms = np.linalg.norm(points, axis=1)
    point_norms[point_norms == 0] = np.inf  # a zero point is orthogonal to everything
    unit_terms = terms / np.linalg.norm(terms, axis=1, keepdims=True)
    cosines = (points @ unit_terms.T) / point_norms[:, None]
    shifted = np.clip((1.0 + cosines.astype(np.float64)) / 2.0, 0.0, 1.0)
    with np.errstate(divide="ignore"):  # log 0 = -inf: a point exactly opposite a term
        logs = np.log(shifted)
    positive = weights > 0
    weights = weights.astype(np.float64)
    # Every log is <= 0 and every factor > 0 here: sums of -inf and finite terms, never NaN.
    numerator = logs[:, positive] @ weights[positive]
    denominator = logs[:, ~positive] @ -weights[~positive]
    return numerator - np.logaddexp(denominator, np.log(COSMUL_EPSILON))


def top_k(scores: np.ndarray, k: int, allowed: np.ndarray) -> np.ndarray:
    """Positions of the k highest scores among allowed ones, best first."""
    candidates = np.flatnonzero(allowed)
    k = min(k, len(candidates))
    if k == 0:
        return candidates[:0]
    best = np.argpartition(-scores[candidates], k - 1)[:k]
    chosen = candidates[best]
    return chosen[np.argsort(-scores[chosen], kind="stable")]
