"""Figures of an image space as PNGs: reconstructions, an interpolation, samples, a 2-D projection.

Uses matplotlib's object API (`Figure`) with the Agg canvas: no display, no pyplot global state.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from semspace.artifact import Metric, load_artifact
from semspace.models.images import ImageModel
from semspace.trainers.images.idx import dataset_spec, load_split

log = logging.getLogger(__name__)

PROJECTION_POINTS = 5000


def image_grid(
    rows: list[np.ndarray], titles: list[str] | None = None, scale: float = 0.9
) -> Figure:
    """One row of 28x28 tiles per array in `rows`, with an optional title on each row's left."""
    width = max(len(row) for row in rows)
    figure = Figure(figsize=(width * scale, len(rows) * scale + 0.2), layout="constrained")
    axes = figure.subplots(len(rows), width, squeeze=False)
    for r, row in enumerate(rows):
        for c in range(width):
            axis = axes[r][c]
            axis.set_xticks([])
            axis.set_yticks([])
            if c < len(row):
                axis.imshow(row[c], cmap="gray", vmin=0, vmax=255)
            else:
                axis.set_axis_off()
        if titles:
            axes[r][0].set_ylabel(titles[r], fontsize=8)
    return figure


def plot_reconstructions(model: ImageModel, images: np.ndarray, path: Path) -> Path:
    """Inputs (top) and their reconstructions (bottom)."""
    figure = image_grid([images, model.reconstruct(images)], ["input", "output"])
    figure.savefig(path, dpi=100)
    return path


def plot_interpolation(model: ImageModel, a: np.ndarray, b: np.ndarray, path: Path) -> Path:
    """Decoded latents on the path from image a to image b, the two inputs at the ends."""
    codes = model.encode(np.stack([a, b]))
    strip = model.decode(model.interpolate(codes[0], codes[1], steps=10))
    mode = "slerp" if model.kind == "vae" else "linear"
    figure = image_grid([np.concatenate([a[None], strip, b[None]])], [mode])
    figure.savefig(path, dpi=100)
    return path


def plot_samples(model: ImageModel, path: Path, seed: int = 0, side: int = 8) -> Path:
    """side x side decoded draws from the prior (the fitted Gaussian for an autoencoder)."""
    samples = model.sample(side * side, seed=seed)
    figure = image_grid([samples[r * side : (r + 1) * side] for r in range(side)])
    figure.savefig(path, dpi=100)
    return path


def pca_2d(vectors: np.ndarray) -> np.ndarray:
    """Coordinates of the rows on their first two principal axes."""
    centred = vectors - vectors.mean(0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    return centred @ axes[:2].T


def plot_projection(
    vectors: np.ndarray, labels: np.ndarray, classes: tuple[str, ...], title: str, path: Path
) -> Path:
    """First two principal components of the vectors, one colour per class."""
    points = pca_2d(vectors)
    figure = Figure(figsize=(7.5, 6), layout="constrained")
    axis = figure.subplots()
    for label, name in enumerate(classes):
        mine = labels == label
        axis.scatter(*points[mine].T, s=3, alpha=0.6, color=f"C{label}", label=name)
    axis.set_title(title)
    axis.set_xlabel("PC 1")
    axis.set_ylabel("PC 2")
    axis.legend(markerscale=4, fontsize=8, loc="best")
    figure.savefig(path, dpi=100)
    return path


def plot_space(
    space_dir: Path, data_dir: Path, out_dir: Path, *, download: bool = False
) -> list[Path]:
    """All figures that apply to the space's kind, from test images; returns the PNG paths."""
    artifact = load_artifact(Path(space_dir))
    name = artifact.manifest.name
    dataset = artifact.manifest.producer.config["dataset"]
    model = ImageModel.load(Path(space_dir))
    test, labels = load_split(dataset, "test", data_dir, download=download)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    if model.can_decode:
        paths.append(
            plot_reconstructions(model, test[:12], out_dir / f"{name}-reconstructions.png")
        )
        # Two different classes (an ankle boot and a pullover in Fashion-MNIST's test order).
        other = int(np.flatnonzero(labels != labels[0])[0])
        paths.append(
            plot_interpolation(model, test[0], test[other], out_dir / f"{name}-interpolation.png")
        )
        paths.append(plot_samples(model, out_dir / f"{name}-samples.png"))
    rows = np.random.default_rng(0).permutation(len(test))[:PROJECTION_POINTS]
    vectors = model.encode(test[rows])
    if artifact.manifest.metric == Metric.COSINE:
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    title = f"{name}: PCA of {len(rows)} test embeddings ({artifact.manifest.metric.value})"
    classes = dataset_spec(dataset).classes
    paths.append(
        plot_projection(vectors, labels[rows], classes, title, out_dir / f"{name}-projection.png")
    )
    log.info("wrote %s", ", ".join(str(p) for p in paths))
    return paths
