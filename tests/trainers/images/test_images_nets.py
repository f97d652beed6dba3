"""The networks and the VAE loss on synthetic inputs: the maths a broken gradient would fail."""

from __future__ import annotations

import pytest
import torch

from semspace.models.image_nets import (
    VAE,
    AutoencoderNetConfig,
    ClassifierNetConfig,
    ConvClassifier,
    GramEmbedder,
    GramNetConfig,
    gram_feature_size,
    gram_features,
    reconstruction_loss,
    slerp,
    vae_loss,
)

SMALL = AutoencoderNetConfig(latent_dim=4, channels=(4, 8), hidden=16)


def images(n: int = 8, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))


def test_vae_kl_is_finite_and_positive() -> None:
    torch.manual_seed(0)
    x = images()
    logits, mu, logvar = VAE(SMALL)(x)
    loss, recon, kl = vae_loss(logits, x, mu, logvar, beta=1.0)
    assert torch.isfinite(kl) and kl > 0
    assert torch.isclose(loss, recon + kl)


def test_kl_vanishes_for_the_standard_normal_posterior() -> None:
    x, logits = images(2), torch.zeros(2, 1, 28, 28)
    zeros = torch.zeros(2, 4)
    _, _, kl = vae_loss(logits, x, zeros, zeros)
    assert kl.abs() < 1e-6


def test_beta_scales_only_the_kl_term() -> None:
    x, logits = images(2), torch.zeros(2, 1, 28, 28)
    mu, logvar = torch.ones(2, 4), torch.zeros(2, 4)
    loss1, recon, kl = vae_loss(logits, x, mu, logvar, beta=1.0)
    loss4, _, _ = vae_loss(logits, x, mu, logvar, beta=4.0)
    assert torch.isclose(loss4 - loss1, 3 * kl)
    assert torch.isclose(recon, reconstruction_loss(logits, x, "bce"))


def test_reparameterisation_passes_gradients_to_mu_and_sigma() -> None:
    torch.manual_seed(0)
    net, x = VAE(SMALL), images()
    mu, logvar = net.encode(x)
    mu.retain_grad()
    logvar.retain_grad()
    # Reconstruction alone: sigma can only get a gradient through z = mu + sigma * eps.
    reconstruction_loss(net.decode(net.reparameterize(mu, logvar)), x, "bce").backward()
    assert mu.grad.abs().sum() > 0 and logvar.grad.abs().sum() > 0
    last = net.encoder.layers[-1].weight.grad
    assert last[: SMALL.latent_dim].abs().sum() > 0  # rows producing mu
    assert last[SMALL.latent_dim :].abs().sum() > 0  # rows producing log sigma^2


def test_mse_reconstruction_is_summed_over_pixels() -> None:
    x = torch.full((1, 1, 28, 28), 0.25)
    assert torch.isclose(reconstruction_loss(torch.zeros_like(x), x, "mse"), torch.tensor(49.0))


def test_gram_features_are_root_upper_triangles_of_channel_products() -> None:
    fmap = torch.rand(2, 3, 4, 5, generator=torch.Generator().manual_seed(1))
    flat = fmap.reshape(2, 3, 20)
    gram = torch.einsum("nci,ndi->ncd", flat, flat) / 20
    expected = torch.stack([gram[:, i, j] for i in range(3) for j in range(i, 3)], dim=1).sqrt()
    torch.testing.assert_close(gram_features([fmap]), expected)


def test_gram_embedder_projects_to_the_configured_size() -> None:
    config = GramNetConfig(classifier=ClassifierNetConfig(channels=(4, 8)), dim=6)
    embedder = GramEmbedder(config)
    assert embedder.raw_features(images(3)).shape == (3, gram_feature_size(config))
    assert embedder(images(3)).shape == (3, 6)
    with pytest.raises(ValueError, match="blocks the classifier lacks"):
        GramEmbedder(GramNetConfig(classifier=ClassifierNetConfig(channels=(4,)), layers=(1,)))


def test_classifier_embedding_is_the_penultimate_layer() -> None:
    net = ConvClassifier(ClassifierNetConfig(channels=(4, 8), embedding_dim=12)).eval()
    x = images(3)
    torch.testing.assert_close(net.head(net.embed(x)), net(x))
    assert net.embed(x).shape == (3, 12)


def test_slerp_keeps_the_ends_and_the_norm_between_equal_norm_vectors() -> None:
    a, b = torch.tensor([3.0, 0.0]), torch.tensor([0.0, 3.0])
    path = slerp(a, b, torch.linspace(0, 1, 5))
    torch.testing.assert_close(path[0], a)
    torch.testing.assert_close(path[-1], b)
    torch.testing.assert_close(path.norm(dim=1), torch.full((5,), 3.0))
