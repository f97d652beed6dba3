"""The training loop shared by the image trainers: data in memory, seeded shuffles, one-cycle Adam.

Each trainer supplies a `step` that turns a batch into (loss to minimise, per-batch sums to report).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from semspace.trainers.images.config import TrainingConfig
from semspace.trainers.images.idx import dataset_spec, load_split

log = logging.getLogger(__name__)

# (images float (b, 1, 28, 28) in [0, 1], labels (b,)) -> (loss, {name: sum over the batch})
Step = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, dict[str, float]]]


@dataclass
class TrainingData:
    """A split held in memory as uint8 (n, 28, 28) images and int64 labels."""

    images: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]


@dataclass
class TrainingLog:
    """Per-epoch means per image of every reported quantity, and the wall time."""

    epochs: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0


def resolve_device(name: str) -> torch.device:
    """cpu by default; cuda only when asked for and present (a clear error otherwise)."""
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device '{name}' requested but torch.cuda.is_available() is False")
    return device


def load_training_data(config: TrainingConfig, data_dir: Path, *, download: bool) -> TrainingData:
    """The training split of `config.dataset`, cut to `config.train_limit` when set."""
    images, labels = load_split(config.dataset, "train", data_dir, download=download)
    if config.train_limit is not None:
        images, labels = images[: config.train_limit], labels[: config.train_limit]
    return TrainingData(images, labels, dataset_spec(config.dataset).classes)


def as_batch(images: torch.Tensor, device: torch.device) -> torch.Tensor:
    """uint8 (b, 28, 28) -> float (b, 1, 28, 28) in [0, 1] on `device`."""
    return images.to(device, non_blocking=True).float().div_(255.0).unsqueeze(1)


def train_loop(
    net: nn.Module, config: TrainingConfig, data: TrainingData, step: Step, desc: str
) -> TrainingLog:
    """Runs `config.epochs` epochs of seeded mini-batches through `step` with one-cycle Adam."""
    device = resolve_device(config.device)
    net.to(device).train()
    images = torch.from_numpy(data.images)
    labels = torch.from_numpy(data.labels)
    generator = torch.Generator().manual_seed(config.seed)
    batches_per_epoch = -(-len(images) // config.batch_size)
    optimizer = torch.optim.Adam(net.parameters(), lr=config.lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=config.lr, total_steps=config.epochs * batches_per_epoch
    )
    history = TrainingLog()
    started = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        order = torch.randperm(len(images), generator=generator)
        sums: dict[str, float] = {}
        bar = tqdm(order.split(config.batch_size), desc=f"{desc} {epoch}/{config.epochs}")
        for seen, index in enumerate(bar, start=1):
            loss, stats = step(as_batch(images[index], device), labels[index].to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            for name, value in stats.items():
                sums[name] = sums.get(name, 0.0) + value
            if seen % 20 == 0 or seen == batches_per_epoch:
                count = min(seen * config.batch_size, len(images))
                bar.set_postfix(loss=f"{sums['loss'] / count:.4g}")
        means = {name: value / len(images) for name, value in sums.items()}
        history.epochs.append(means)
        log.info(
            "%s epoch %d: %s", desc, epoch, ", ".join(f"{k} {v:.4f}" for k, v in means.items())
        )
    history.seconds = time.perf_counter() - started
    net.eval()
    return history


def training_summary(history: TrainingLog, config: TrainingConfig) -> dict[str, Any]:
    """The manifest's "training" figures: wall time, device, threads, per-epoch means."""
    return {
        "training": {
            "seconds": round(history.seconds, 2),
            "device": config.device,
            "torch_threads": torch.get_num_threads(),
            "epochs": history.epochs,
        }
    }
