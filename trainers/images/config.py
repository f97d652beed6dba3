"""Configurations of the image trainers, one pydantic model each, with named presets.

The manifest of every space stores the exact config that produced it (`model_dump`).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from semspace.models.image_nets import (
    AutoencoderNetConfig,
    ClassifierNetConfig,
    Reconstruction,
)

DatasetName = Literal["fashion-mnist", "mnist"]
PresetName = Literal["quick", "quality"]


def merged(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """`base` updated by `overrides`, nested dicts merged rather than replaced."""
    out = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


class TrainingConfig(BaseModel):
    """What every image trainer shares: data, schedule, seed, device."""

    model_config = ConfigDict(extra="forbid")
    PRESETS: ClassVar[dict[str, dict[str, Any]]] = {}

    dataset: DatasetName = "fashion-mnist"
    epochs: int = Field(5, ge=1)
    batch_size: int = Field(128, ge=1)
    # Peak learning rate of the one-cycle schedule (Smith & Topin 2019), which reaches a given
    # accuracy in fewer epochs than a constant rate: the budget of the quick preset.
    lr: float = Field(2e-3, gt=0)
    seed: int = 0
    device: str = "cpu"
    # Train on the first N training images only (tests, quick looks); the space then holds N points.
    train_limit: int | None = Field(None, ge=1)

    @classmethod
    def preset(cls, name: PresetName, **overrides: Any) -> Self:
        """The named preset with `overrides` applied (nested dicts such as `net` are merged)."""
        if name not in cls.PRESETS:
            raise ValueError(
                f"unknown preset '{name}' for {cls.__name__}; known: {list(cls.PRESETS)}"
            )
        return cls.model_validate(merged(cls.PRESETS[name], overrides))


class AutoencoderConfig(TrainingConfig):
    """Convolutional autoencoder; the code is the embedding."""

    PRESETS: ClassVar[dict[str, dict[str, Any]]] = {
        "quick": {"epochs": 3},
        "quality": {"epochs": 20, "net": {"channels": (32, 64), "hidden": 512}},
    }

    net: AutoencoderNetConfig = AutoencoderNetConfig()
    reconstruction: Reconstruction = "bce"


class VaeConfig(AutoencoderConfig):
    """Variational autoencoder: loss = reconstruction + beta * KL (beta = 1 is the ELBO)."""

    PRESETS: ClassVar[dict[str, dict[str, Any]]] = {
        "quick": {"epochs": 3},
        "quality": {"epochs": 20, "net": {"channels": (32, 64), "hidden": 512}},
    }

    beta: float = Field(1.0, ge=0.0)


class GramConfig(BaseModel):
    """Gram-matrix space built from a trained CNN: which blocks, and the PCA output size."""

    model_config = ConfigDict(extra="forbid")

    layers: tuple[int, ...] = Field((0, 1), min_length=1)
    dim: int = Field(128, ge=1)


class CnnConfig(TrainingConfig):
    """CNN classifier; the penultimate layer is the embedding, the feature maps feed Gram."""

    PRESETS: ClassVar[dict[str, dict[str, Any]]] = {
        # The cheapest setting measured to reach 92 % 5-NN on Fashion-MNIST (see bench/results):
        # two strided blocks alone stopped at 91.9 % even after 8 epochs with flips.
        "quick": {"epochs": 6, "net": {"channels": (32, 64, 64)}},
        "quality": {
            "epochs": 15,
            "net": {"channels": (32, 64, 128), "embedding_dim": 256},
            "augment_flip": True,
        },
    }

    net: ClassifierNetConfig = ClassifierNetConfig()
    # A mirrored garment keeps its class: a free augment for Fashion-MNIST (not for digits).
    augment_flip: bool = False
    gram: GramConfig = GramConfig()
