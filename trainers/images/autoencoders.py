"""Training the convolutional autoencoder and the VAE; their codes (the VAE's μ) are the space."""

from __future__ import annotations

from pathlib import Path

import torch

from semspace.models.image_nets import VAE, Autoencoder, reconstruction_loss, vae_loss
from semspace.models.images import ImageModel
from semspace.trainers.images.config import AutoencoderConfig, VaeConfig
from semspace.trainers.images.spaces import write_image_space
from semspace.trainers.images.training import load_training_data, train_loop, training_summary


def train_autoencoder(
    config: AutoencoderConfig,
    data_dir: Path,
    artifacts_dir: Path,
    name: str,
    *,
    download: bool = False,
) -> Path:
    """Trains the autoencoder on the training split and writes space `name`; returns its path."""
    torch.manual_seed(config.seed)
    data = load_training_data(config, data_dir, download=download)
    net = Autoencoder(config.net)

    def step(x: torch.Tensor, _: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        logits, _code = net(x)
        recon = reconstruction_loss(logits, x, config.reconstruction)
        return recon / len(x), {"loss": recon.item()}

    history = train_loop(net, config, data, step, "autoencoder")
    codes = ImageModel("autoencoder", net, device=config.device).encode(data.images)
    with torch.no_grad():
        net.fit_prior(torch.from_numpy(codes).to(net.prior_mean.device))
    return write_image_space(
        artifacts_dir=artifacts_dir,
        name=name,
        kind="autoencoder",
        net=net,
        shape=config.net,
        data=data,
        config=config,
        evaluation=training_summary(history, config),
        description=f"convolutional autoencoder codes ({config.net.latent_dim}-d) of the "
        f"{config.dataset} training images",
        device=config.device,
    )


def train_vae(
    config: VaeConfig,
    data_dir: Path,
    artifacts_dir: Path,
    name: str,
    *,
    download: bool = False,
) -> Path:
    """Trains the VAE on the training split and writes space `name` (vectors = μ)."""
    torch.manual_seed(config.seed)
    data = load_training_data(config, data_dir, download=download)
    net = VAE(config.net)

    def step(x: torch.Tensor, _: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        logits, mu, logvar = net(x)
        loss, recon, kl = vae_loss(logits, x, mu, logvar, config.beta, config.reconstruction)
        # Per-image mean for the optimiser; the sums are reported per image per epoch.
        return loss / len(x), {"loss": loss.item(), "reconstruction": recon.item(), "kl": kl.item()}

    history = train_loop(net, config, data, step, "vae")
    return write_image_space(
        artifacts_dir=artifacts_dir,
        name=name,
        kind="vae",
        net=net,
        shape=config.net,
        data=data,
        config=config,
        evaluation=training_summary(history, config),
        description=f"VAE posterior means ({config.net.latent_dim}-d, beta {config.beta}) of the "
        f"{config.dataset} training images",
        device=config.device,
    )
