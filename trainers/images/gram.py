"""The Gram space: style-like statistics of a trained CNN's feature maps, reduced by PCA.

For each chosen conv block with c channels, G = F Fᵀ / (h w) is a c x c channel co-activation
matrix (Gatys et al. 2015); its upper triangle (c (c + 1) / 2 values, G is symmetric) is square-
rooted and the blocks are concatenated (32 + 64 channels: 528 + 2080 = 2608 values). A PCA fitted
on a seeded subset of the training features reduces that to `dim` (128); mean and components are
stored as buffers of the model, so queries are projected exactly like the stored vectors.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import torch

from semspace.artifact import read_manifest
from semspace.models.image_nets import GramEmbedder, GramNetConfig
from semspace.models.images import ImageModel, as_unit_images
from semspace.trainers.images.config import CnnConfig, GramConfig
from semspace.trainers.images.spaces import write_image_space
from semspace.trainers.images.training import load_training_data

log = logging.getLogger(__name__)

PCA_FIT_SIZE = 10_000  # 2608-d covariance: 10k rows estimate it well at a sixth of the cost


def fit_pca(features: torch.Tensor, dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean (D,), top-`dim` principal axes (dim, D)), signs fixed so the result is reproducible."""
    n, size = features.shape
    if dim > min(n, size):
        raise ValueError(f"gram dim {dim} needs at least {dim} images and Gram features, got {n}")
    mean = features.mean(0)
    centred = (features - mean).double()
    if n < size:
        # Few rows (tests, small subsets): the thin SVD of the data is cheaper than a D x D eigh.
        components = torch.linalg.svd(centred, full_matrices=False)[2][:dim]
    else:
        _, vectors = torch.linalg.eigh(centred.T @ centred)  # ascending eigenvalues
        components = vectors[:, -dim:].flip(1).T
    # An eigenvector's sign is arbitrary; make each one's largest entry positive.
    signs = torch.sign(components.gather(1, components.abs().argmax(1, keepdim=True)))
    return mean.float(), (components * signs).float()


def gram_raw_features(
    embedder: GramEmbedder, images: np.ndarray, batch: int = 1024
) -> torch.Tensor:
    """Unprojected Gram features (n, D) of uint8 images, in batches."""
    unit = torch.from_numpy(as_unit_images(images))
    with torch.inference_mode():
        parts = [embedder.raw_features(chunk[:, None]) for chunk in unit.split(batch)]
    return torch.cat(parts)


def build_gram_space(
    cnn_dir: Path,
    data_dir: Path,
    artifacts_dir: Path,
    name: str,
    gram: GramConfig | None = None,
    *,
    download: bool = False,
) -> Path:
    """Writes Gram space `name` from the trained CNN space in `cnn_dir` (its own training data)."""
    config = CnnConfig.model_validate(read_manifest(Path(cnn_dir)).producer.config)
    if gram is not None:
        config = config.model_copy(update={"gram": gram})
    cnn = ImageModel.load(cnn_dir)
    embedder = GramEmbedder(
        GramNetConfig(classifier=config.net, layers=config.gram.layers, dim=config.gram.dim)
    )
    embedder.classifier.load_state_dict(cnn.net.state_dict())
    embedder.eval()
    data = load_training_data(config, data_dir, download=download)
    started = time.perf_counter()
    rng = np.random.default_rng(config.seed)
    fit_rows = rng.permutation(len(data.images))[:PCA_FIT_SIZE]
    mean, components = fit_pca(
        gram_raw_features(embedder, data.images[np.sort(fit_rows)]), config.gram.dim
    )
    embedder.pca_mean.copy_(mean)
    embedder.pca_components.copy_(components)
    seconds = time.perf_counter() - started
    log.info("fitted the Gram PCA on %d images in %.1f s", len(fit_rows), seconds)
    return write_image_space(
        artifacts_dir=artifacts_dir,
        name=name,
        kind="gram",
        net=embedder,
        shape=embedder.config,
        data=data,
        config=config,
        evaluation={
            "training": {
                "source_space": Path(cnn_dir).name,
                "pca_seconds": round(seconds, 2),
                "pca_fit_size": len(fit_rows),
            }
        },
        description=f"PCA-{config.gram.dim} of square-rooted Gram matrices of CNN blocks "
        f"{list(config.gram.layers)} on the {config.dataset} training images",
    )
