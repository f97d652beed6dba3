"""Training the CNN classifier: its penultimate layer is the space; its feature maps feed Gram."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from semspace.models.image_nets import ConvClassifier
from semspace.trainers.images.config import CnnConfig
from semspace.trainers.images.gram import build_gram_space
from semspace.trainers.images.spaces import write_image_space
from semspace.trainers.images.training import load_training_data, train_loop, training_summary


def gram_space_name(cnn_name: str) -> str:
    """fashion-cnn -> fashion-gram; any other name gets '-gram' appended."""
    return cnn_name.removesuffix("-cnn") + "-gram"


def train_cnn(
    config: CnnConfig,
    data_dir: Path,
    artifacts_dir: Path,
    name: str,
    *,
    gram_name: str | None = None,
    download: bool = False,
) -> Path:
    """Trains the classifier, writes space `name`, and the Gram space `gram_name` when given."""
    torch.manual_seed(config.seed)
    data = load_training_data(config, data_dir, download=download)
    net = ConvClassifier(config.net)
    flips = torch.Generator().manual_seed(config.seed + 1)

    def step(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        if config.augment_flip:
            mirror = (torch.rand(len(x), generator=flips) < 0.5).to(x.device)
            x = torch.where(mirror[:, None, None, None], x.flip(3), x)
        logits = net(x)
        loss = F.cross_entropy(logits, y)
        correct = (logits.argmax(1) == y).sum().item()
        return loss, {"loss": loss.item() * len(x), "accuracy": float(correct)}

    history = train_loop(net, config, data, step, "cnn")
    path = write_image_space(
        artifacts_dir=artifacts_dir,
        name=name,
        kind="cnn",
        net=net,
        shape=config.net,
        data=data,
        config=config,
        evaluation=training_summary(history, config),
        description=f"CNN penultimate-layer features ({config.net.embedding_dim}-d) of the "
        f"{config.dataset} training images",
        device=config.device,
    )
    if gram_name is not None:
        build_gram_space(path, data_dir, artifacts_dir, gram_name, download=download)
    return path
