"""Tiny real training runs: losses fall, the space round-trips, the model serves what was stored."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from semspace.artifact import Metric, load_artifact
from semspace.models.images import ImageModel, ImageModelError
from semspace.trainers.images.idx import load_split

TINY = 512  # the conftest's tiny spaces hold the first 512 training images


@pytest.mark.parametrize("kind", ["autoencoder", "vae", "cnn"])
def test_training_loss_decreases(tiny_spaces: dict[str, Path], kind: str) -> None:
    epochs = load_artifact(tiny_spaces[kind]).manifest.evaluation["training"]["epochs"]
    assert len(epochs) == 2
    assert epochs[1]["loss"] < epochs[0]["loss"]


def test_vae_training_reports_a_finite_positive_kl(tiny_spaces: dict[str, Path]) -> None:
    epochs = load_artifact(tiny_spaces["vae"]).manifest.evaluation["training"]["epochs"]
    assert all(np.isfinite(e["kl"]) and e["kl"] > 0 for e in epochs)


@pytest.mark.parametrize("kind", ["autoencoder", "vae", "cnn", "gram"])
def test_model_encodes_a_training_image_to_its_stored_vector(
    tiny_spaces: dict[str, Path], fashion_dir: Path, kind: str
) -> None:
    artifact = load_artifact(tiny_spaces[kind])
    model = ImageModel.load(tiny_spaces[kind])
    images, labels = load_split("fashion-mnist", "train", fashion_dir)
    row = 17
    assert artifact.manifest.kind == model.kind == kind
    assert artifact.manifest.count == TINY and model.dim == artifact.manifest.dim
    assert artifact.ids[row] == str(row)
    assert json.loads(artifact.payloads[row])["label"] == labels[row]
    np.testing.assert_allclose(
        model.encode(images[row : row + 1])[0], artifact.vectors[row], atol=1e-5
    )


def test_spaces_carry_config_metric_and_weights(tiny_spaces: dict[str, Path]) -> None:
    manifest = load_artifact(tiny_spaces["cnn"]).manifest
    assert manifest.metric == Metric.COSINE
    assert manifest.producer.config["train_limit"] == TINY
    assert any(f.path == "model.safetensors" for f in manifest.files)
    assert load_artifact(tiny_spaces["vae"]).manifest.metric == Metric.L2
    assert load_artifact(tiny_spaces["gram"]).manifest.metric == Metric.L2
    payload = json.loads(load_artifact(tiny_spaces["gram"]).payloads[0])
    assert payload == {"label": 9, "class": "Ankle boot"}


@pytest.mark.parametrize("kind", ["autoencoder", "vae"])
def test_decoders_return_uint8_images(tiny_spaces: dict[str, Path], kind: str) -> None:
    model = ImageModel.load(tiny_spaces[kind])
    assert model.can_decode
    images = load_artifact(tiny_spaces[kind]).vectors[:3]
    for out in (model.decode(images), model.sample(5, seed=1)):
        assert out.dtype == np.uint8 and out.shape[1:] == (28, 28)
    np.testing.assert_array_equal(model.sample(4, seed=3), model.sample(4, seed=3))
    recon = model.reconstruct(np.zeros((2, 28, 28), np.uint8))
    assert recon.shape == (2, 28, 28) and recon.dtype == np.uint8


def test_vae_interpolation_is_spherical_and_keeps_its_ends(tiny_spaces: dict[str, Path]) -> None:
    model = ImageModel.load(tiny_spaces["vae"])
    a, b = np.asarray(load_artifact(tiny_spaces["vae"]).vectors[:2])
    path = model.interpolate(a, b, steps=7)
    assert path.shape == (7, model.dim) and path.dtype == np.float32
    np.testing.assert_allclose(path[0], a, atol=1e-5)
    np.testing.assert_allclose(path[-1], b, atol=1e-5)
    straight = model.interpolate(a, b, steps=7, spherical=False)
    np.testing.assert_allclose(straight[3], (a + b) / 2, atol=1e-5)
    assert not np.allclose(path[3], straight[3])


def test_classifier_spaces_refuse_to_decode(tiny_spaces: dict[str, Path]) -> None:
    model = ImageModel.load(tiny_spaces["cnn"])
    assert not model.can_decode
    with pytest.raises(ImageModelError, match="cnn space has no decoder"):
        model.sample(2, seed=0)


def test_encode_rejects_wrong_shapes_and_out_of_range_floats(tiny_spaces: dict[str, Path]) -> None:
    model = ImageModel.load(tiny_spaces["vae"])
    with pytest.raises(ImageModelError, match=r"shape \(n, 28, 28\), got \(2, 28, 27\)"):
        model.encode(np.zeros((2, 28, 27), np.uint8))
    with pytest.raises(ImageModelError, match=r"in \[0, 1\]"):
        model.encode(np.full((1, 28, 28), 255.0))
    floats = np.full((1, 28, 28), 1.0, np.float32)
    np.testing.assert_allclose(
        model.encode(floats), model.encode(np.full((1, 28, 28), 255, np.uint8))
    )
