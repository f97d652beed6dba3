"""Shared fixtures: the Fashion-MNIST folder (skip when absent) and tiny trained spaces."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[3]
TINY = 512  # training images per tiny space: enough to see learning, seconds to train


def data_dir() -> Path:
    return Path(os.environ.get("SEMSPACE_DATA_DIR", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session", autouse=True)
def two_threads() -> None:
    # The test machine is shared: stay within two threads whatever torch would pick.
    torch.set_num_threads(min(2, torch.get_num_threads()))


@pytest.fixture(scope="session")
def fashion_dir() -> Path:
    root = data_dir()
    if not (root / "fashion-mnist" / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"Fashion-MNIST not found under {root} (set SEMSPACE_DATA_DIR)")
    return root


@pytest.fixture(scope="session")
def tiny_spaces(fashion_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """autoencoder, vae, cnn and gram spaces trained on the first 512 training images."""
    from semspace.trainers.images.autoencoders import train_autoencoder, train_vae
    from semspace.trainers.images.cnn import train_cnn
    from semspace.trainers.images.config import AutoencoderConfig, CnnConfig, GramConfig, VaeConfig

    artifacts = tmp_path_factory.mktemp("artifacts")
    small = {"epochs": 2, "train_limit": TINY, "batch_size": 64}
    paths = {
        "autoencoder": train_autoencoder(
            AutoencoderConfig(**small), fashion_dir, artifacts, "tiny-autoencoder"
        ),
        "vae": train_vae(VaeConfig(**small), fashion_dir, artifacts, "tiny-vae"),
        "cnn": train_cnn(
            CnnConfig(**small, gram=GramConfig(dim=32)),
            fashion_dir,
            artifacts,
            "tiny-cnn",
            gram_name="tiny-gram",
        ),
    }
    paths["gram"] = artifacts / "tiny-gram"
    return paths
