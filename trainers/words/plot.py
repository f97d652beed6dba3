"""PCA projection of chosen word groups to 2-D, drawn to a PNG (countries vs capitals, numbers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

BUILTIN_GROUPS = {
    "countries": "france germany italy spain japan china russia england greece egypt",
    "capitals": "paris berlin rome madrid tokyo beijing moscow london athens cairo",
    "numbers": "one two three four five six seven eight nine ten",
    "family": "man woman king queen boy girl father mother son daughter",
}


def parse_groups(specs: list[str]) -> dict[str, list[str]]:
    """Built-in group names or `name=w1,w2,...` → {name: words}."""
    groups = {}
    for spec in specs:
        if "=" in spec:
            name, words = spec.split("=", 1)
            groups[name] = [w for w in words.split(",") if w]
        elif spec in BUILTIN_GROUPS:
            groups[spec] = BUILTIN_GROUPS[spec].split()
        else:
            raise ValueError(f"unknown group {spec!r}: use {sorted(BUILTIN_GROUPS)} or name=w1,w2")
    return groups


def pca_2d(matrix: np.ndarray) -> np.ndarray:
    """Rows projected on their first two principal components."""
    centred = matrix - matrix.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    return centred @ components[:2].T


def plot_groups(space_dir: Path, out: Path, specs: list[str]) -> None:
    """Draws the words of each group (unit vectors, PCA over all of them) into `out`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from semspace.models.words import WordModel

    model = WordModel.load(space_dir)
    groups = parse_groups(specs)
    labels = [(name, w) for name, words in groups.items() for w in words]
    vectors, _ = model.embed([w for _, w in labels])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    points = pca_2d(vectors)
    figure, axes = plt.subplots(figsize=(8, 6))
    for name in groups:
        rows = [i for i, (g, _) in enumerate(labels) if g == name]
        axes.scatter(points[rows, 0], points[rows, 1], label=name)
        for i in rows:
            axes.annotate(labels[i][1], points[i], fontsize=8)
    axes.legend()
    axes.set_title(f"{Path(space_dir).name}: PCA of {', '.join(groups)}")
    figure.savefig(out, dpi=120, bbox_inches="tight")
    plt.close(figure)
