"""The vectors searched: trained artifacts and a synthetic clustered set, each with held-out
queries and their exact top-k (the ground truth every recall figure is measured against)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from semspace.artifact import ArtifactError, load_artifact

log = logging.getLogger(__name__)

ARTIFACT_DATASETS = {"words": "words", "fashion-cnn": "fashion-cnn"}
DATASETS = (*ARTIFACT_DATASETS, "synthetic")


@dataclass(frozen=True)
class Dataset:
    """Base vectors (row i has id str(i)), held-out queries and the exact top-k row numbers."""

    name: str
    metric: str  # "cosine" | "l2" | "ip", as semspace names them
    base: np.ndarray  # float32 (n, dim), as stored: unnormalised
    queries: np.ndarray  # float32 (q, dim), never in `base`
    truth: np.ndarray  # int64 (q, k): exact neighbours of each query
    source: str
    artifact: Path | None = None  # the trained space's directory, for a cold-start measurement

    @property
    def dim(self) -> int:
        return int(self.base.shape[1])

    @property
    def raw_bytes(self) -> int:
        return int(self.base.nbytes)


def prepare(vectors: np.ndarray, metric: str) -> np.ndarray:
    """Vectors as FAISS should see them: unit length for cosine (then inner product ranks)."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if metric != "cosine":
        return vectors
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def faiss_metric(metric: str) -> int:
    return faiss.METRIC_L2 if metric == "l2" else faiss.METRIC_INNER_PRODUCT


def exact_top_k(base: np.ndarray, queries: np.ndarray, metric: str, k: int) -> np.ndarray:
    """Brute force in one batched FAISS call: the reference for recall@k."""
    index = faiss.IndexFlat(base.shape[1], faiss_metric(metric))
    index.add(prepare(base, metric))
    return index.search(prepare(queries, metric), k)[1]


def hold_out(vectors: np.ndarray, n_queries: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(base, queries): random rows taken out of the set, so no query is its own neighbour."""
    rng = np.random.default_rng(seed)
    chosen = np.zeros(len(vectors), dtype=bool)
    chosen[rng.choice(len(vectors), size=n_queries, replace=False)] = True
    return np.ascontiguousarray(vectors[~chosen]), np.ascontiguousarray(vectors[chosen])


def clustered_gaussians(n: int, dim: int, seed: int) -> np.ndarray:
    """A Gaussian mixture with low-rank clusters: about 1,000 points per cluster, each cluster
    spread along its own 16-d subspace plus small isotropic noise. Real embeddings have low
    intrinsic dimension; uniform noise in 128-d has none, and every index scores badly on it."""
    rng = np.random.default_rng(seed)
    n_clusters = max(8, n // 1000)
    centres = rng.normal(size=(n_clusters, dim)).astype(np.float32)
    labels = np.sort(rng.integers(0, n_clusters, size=n))
    out = np.empty((n, dim), dtype=np.float32)
    starts = np.searchsorted(labels, np.arange(n_clusters + 1))
    for c in range(n_clusters):
        lo, hi = starts[c], starts[c + 1]
        basis = rng.normal(size=(16, dim)).astype(np.float32) / 4.0
        spread = rng.normal(size=(hi - lo, 16)).astype(np.float32) @ basis
        noise = 0.05 * rng.normal(size=(hi - lo, dim)).astype(np.float32)
        out[lo:hi] = centres[c] + spread + noise
    return out[rng.permutation(n)]


def load_artifact_vectors(artifacts_dir: Path, name: str) -> tuple[np.ndarray, str] | None:
    """(vectors, metric) of a trained space, or None (with the reason logged) when missing."""
    directory = artifacts_dir / ARTIFACT_DATASETS[name]
    try:
        artifact = load_artifact(directory, verify=False)
    except (ArtifactError, FileNotFoundError, OSError) as error:
        log.warning(
            "skipping dataset %r: no artifact at %s (%s); train it first", name, directory, error
        )
        return None
    return np.asarray(artifact.vectors, dtype=np.float32), artifact.manifest.metric.value


def load_dataset(
    name: str,
    artifacts_dir: Path,
    synthetic_n: int,
    n_queries: int,
    k: int,
    seed: int,
    max_points: int | None = None,
) -> Dataset | None:
    """One dataset by name, or None when its artifact is missing; `max_points` keeps a random
    subset of an artifact (smoke runs)."""
    if name == "synthetic":
        vectors = clustered_gaussians(synthetic_n + n_queries, 128, seed)
        metric, source = "cosine", f"clustered Gaussian mixture, seed {seed}"
    else:
        loaded = load_artifact_vectors(artifacts_dir, name)
        if loaded is None:
            return None
        vectors, metric = loaded
        if max_points is not None and max_points < len(vectors):
            keep = np.random.default_rng(seed).choice(len(vectors), max_points, replace=False)
            vectors = vectors[np.sort(keep)]
        source = str(artifacts_dir / ARTIFACT_DATASETS[name])
    base, queries = hold_out(vectors, min(n_queries, len(vectors) // 10), seed)
    truth = exact_top_k(base, queries, metric, k)
    log.info("dataset %s: %d x %d %s, %d held-out queries", name, *base.shape, metric, len(queries))
    artifact = None if name == "synthetic" else artifacts_dir / ARTIFACT_DATASETS[name]
    return Dataset(name, metric, base, queries, truth, source, artifact)
