"""Test-set figures of an image space: k-NN accuracy against the stored training vectors, the
VAE's test loss, reconstruction error, and the CNN's classification accuracy.

k-NN: each test image is encoded, its 5 nearest training vectors are found with an exact FAISS
flat index, and the majority label wins (ties go to the class with the nearer neighbours).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import torch

from semspace.artifact import Metric, load_artifact, update_evaluation
from semspace.models.image_nets import VAE, Autoencoder, ConvClassifier, reconstruction_loss
from semspace.models.images import ImageModel, as_unit_images
from semspace.trainers.images.idx import load_split

log = logging.getLogger(__name__)

K = 5
BATCH = 1000


def knn_predict(
    train: np.ndarray, train_labels: np.ndarray, queries: np.ndarray, metric: Metric, k: int = K
) -> np.ndarray:
    """Majority label of each query's k nearest training rows (exact search)."""
    base = np.ascontiguousarray(train, dtype=np.float32)
    query = np.ascontiguousarray(queries, dtype=np.float32)
    if metric == Metric.L2:
        index = faiss.IndexFlatL2(base.shape[1])
    else:
        if metric == Metric.COSINE:
            base, query = base.copy(), query.copy()
            faiss.normalize_L2(base)
            faiss.normalize_L2(query)
        index = faiss.IndexFlatIP(base.shape[1])
    index.add(base)
    _, neighbours = index.search(query, k)
    votes = np.zeros((len(query), int(train_labels.max()) + 1))
    # Each vote is 1 plus a rank bonus far below 1: it only decides ties, for the nearer class.
    weights = 1.0 + (k - np.arange(k)) * 1e-3
    np.add.at(votes, (np.arange(len(query))[:, None], train_labels[neighbours]), weights)
    return votes.argmax(1)


def knn_accuracy(
    train: np.ndarray,
    train_labels: np.ndarray,
    queries: np.ndarray,
    labels: np.ndarray,
    metric: Metric,
) -> float:
    """Fraction of queries whose k-NN majority label is their true label."""
    return float((knn_predict(train, train_labels, queries, metric) == labels).mean())


def raw_pixel_figures(dataset: str, data_dir: Path, *, download: bool = False) -> dict[str, Any]:
    """The baseline: 5-NN on the 784 raw pixel intensities in [0, 1]."""
    train, train_labels = load_split(dataset, "train", data_dir, download=download)
    test, test_labels = load_split(dataset, "test", data_dir, download=download)
    flat = [as_unit_images(x).reshape(len(x), -1) for x in (train, test)]
    return {
        f"knn{K}_accuracy_{metric.value}": knn_accuracy(
            flat[0], train_labels, flat[1], test_labels, metric
        )
        for metric in (Metric.L2, Metric.COSINE)
    }


def stored_labels(payloads: list[str] | None) -> np.ndarray:
    """The "label" of each stored row's payload."""
    if payloads is None:
        raise ValueError("the space has no payloads, so its training labels are unknown")
    return np.array([json.loads(p)["label"] for p in payloads], dtype=np.int64)


def autoencoder_figures(
    net: Autoencoder | VAE, images: np.ndarray, beta: float, seed: int
) -> dict[str, float]:
    """Per-image test BCE (+ KL and the loss for the VAE), per-pixel MSE of the μ reconstruction.

    The VAE loss decodes a sampled z, like the test loss of pytorch/examples vae, so the two are
    comparable; the reconstruction errors decode μ, which is what `reconstruct` returns.
    """
    torch.manual_seed(seed)
    sums = {"bce": 0.0, "kl": 0.0, "loss": 0.0, "mse": 0.0, "floor": 0.0}
    with torch.inference_mode():
        for chunk in torch.from_numpy(as_unit_images(images)).split(BATCH):
            x = chunk[:, None]
            if isinstance(net, VAE):
                mu, logvar = net.encode(x)
                sampled = reconstruction_loss(net.decode(net.reparameterize(mu, logvar)), x, "bce")
                kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
                sums["kl"] += kl.item()
                sums["loss"] += (sampled + beta * kl).item()
                code = mu
            else:
                code = net.encode(x)
            logits = net.decode(code)
            sums["bce"] += reconstruction_loss(logits, x, "bce").item()
            sums["mse"] += reconstruction_loss(logits, x, "mse").item()
            # BCE against grey targets cannot reach 0: its minimum is the targets' own entropy.
            sums["floor"] += torch.special.entr(x).add(torch.special.entr(1 - x)).sum().item()
    n = len(images)
    figures = {
        "reconstruction_bce_per_image": sums["bce"] / n,
        "reconstruction_mse_per_pixel": sums["mse"] / (n * images[0].size),
        "reconstruction_bce_floor_per_image": sums["floor"] / n,
    }
    if isinstance(net, VAE):
        figures |= {"loss_per_image": sums["loss"] / n, "kl_per_image": sums["kl"] / n}
    return figures


def classifier_accuracy(net: ConvClassifier, images: np.ndarray, labels: np.ndarray) -> float:
    """Test accuracy of the CNN's own classification head."""
    with torch.inference_mode():
        chunks = torch.from_numpy(as_unit_images(images)).split(BATCH)
        predicted = torch.cat([net(chunk[:, None]).argmax(1) for chunk in chunks])
    return float((predicted.numpy() == labels).mean())


def evaluate_space(
    space_dir: Path,
    data_dir: Path,
    *,
    download: bool = False,
    device: str = "cpu",
    test_limit: int | None = None,
) -> dict[str, Any]:
    """Test figures of one image space (first `test_limit` test images when set); also merged
    into its manifest under "test"."""
    artifact = load_artifact(Path(space_dir))
    config = artifact.manifest.producer.config
    model = ImageModel.load(Path(space_dir), device=device)
    test, test_labels = load_split(config["dataset"], "test", data_dir, download=download)
    test, test_labels = test[:test_limit], test_labels[:test_limit]
    started = time.perf_counter()
    queries = model.encode(test)
    encode_seconds = time.perf_counter() - started
    train_labels = stored_labels(artifact.payloads)
    figures: dict[str, Any] = {
        "dataset": config["dataset"],
        "test_count": len(test),
        "train_count": len(train_labels),
        "metric": artifact.manifest.metric.value,
        "encode_images_per_second": round(len(test) / encode_seconds, 1),
    }
    for metric in (Metric.L2, Metric.COSINE):
        figures[f"knn{K}_accuracy_{metric.value}"] = knn_accuracy(
            np.asarray(artifact.vectors), train_labels, queries, test_labels, metric
        )
    figures[f"knn{K}_accuracy"] = figures[f"knn{K}_accuracy_{artifact.manifest.metric.value}"]
    net = model.net.cpu()
    if isinstance(net, Autoencoder | VAE):
        figures |= autoencoder_figures(net, test, config.get("beta", 1.0), config["seed"])
    if isinstance(net, ConvClassifier):
        figures["classifier_accuracy"] = classifier_accuracy(net, test, test_labels)
    update_evaluation(Path(space_dir), {"test": figures})
    log.info("%s: %s", artifact.manifest.name, figures)
    return figures
