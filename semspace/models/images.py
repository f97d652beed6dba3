"""`ImageModel`: the inference side of an image space (encode, decode, sample, interpolate).

The weights live in the space's `model.safetensors`; its metadata names the kind and the network
shape, so the file alone rebuilds the network. Trainers write it with `save_image_model`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import numpy as np
import torch  # noqa: TID253 - imported lazily by the server, only for spaces with an image model
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import nn  # noqa: TID253

from semspace.models.image_nets import (
    VAE,
    Autoencoder,
    ConvClassifier,
    ImageKind,
    build_net,
    slerp,
)

MODEL_FILE = "model.safetensors"
FORMAT = "semspace-image-model/1"
SIDE = 28
BATCH = 1024  # rows per forward pass: bounds peak memory for large encode calls


class ImageModelError(ValueError):
    """A request the image model cannot serve (wrong shape, no decoder); the message says why."""


def save_image_model(path: Path, kind: ImageKind, net: nn.Module, shape: dict) -> None:
    """Writes the net's weights and buffers plus the metadata `ImageModel.load` needs."""
    tensors = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    metadata = {"format": FORMAT, "kind": kind, "shape": json.dumps(shape)}
    save_file(tensors, str(path), metadata=metadata)


def as_unit_images(images: np.ndarray) -> np.ndarray:
    """float32 (n, 28, 28) in [0, 1] from uint8 (0..255) or float ([0, 1]) images."""
    array = np.asarray(images)
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.shape[1:] != (SIDE, SIDE):
        raise ImageModelError(f"expected images of shape (n, 28, 28), got {array.shape}")
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    if not np.issubdtype(array.dtype, np.floating):
        raise ImageModelError(f"expected uint8 or float images, got {array.dtype}")
    if array.size and not (np.isfinite(array).all() and array.min() >= 0 and array.max() <= 1):
        raise ImageModelError("float images must hold finite intensities in [0, 1]; pass uint8")
    return array.astype(np.float32)


def to_uint8(probabilities: torch.Tensor) -> np.ndarray:
    """(n, 1, 28, 28) intensities in [0, 1] -> uint8 (n, 28, 28), rounded."""
    scaled = (probabilities[:, 0] * 255.0).round().clamp(0, 255)
    return scaled.to(torch.uint8).cpu().numpy()


class ImageModel:
    """Encodes 28x28 greyscale images into a space's vectors; decodes when the net can."""

    def __init__(self, kind: ImageKind, net: nn.Module, device: str = "cpu") -> None:
        self.kind = kind
        self.device = torch.device(device)
        self.net = net.to(self.device).eval()
        self.can_decode = kind in ("autoencoder", "vae")
        with torch.inference_mode():
            probe = torch.zeros(1, 1, SIDE, SIDE, device=self.device)
            self.dim = int(self._encode_batch(probe).shape[1])

    @classmethod
    def load(cls, artifact_dir: Path, device: str = "cpu") -> ImageModel:
        """The model stored in `<artifact_dir>/model.safetensors`."""
        path = Path(artifact_dir) / MODEL_FILE
        if not path.is_file():
            raise FileNotFoundError(f"{artifact_dir} has no {MODEL_FILE}: not an image space")
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise ImageModelError(f"device '{device}' requested but CUDA is not available")
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
        if metadata.get("format") != FORMAT:
            raise ImageModelError(f"{path} is not a {FORMAT} file (metadata {metadata})")
        kind = cast(ImageKind, metadata["kind"])
        net = build_net(kind, json.loads(metadata["shape"]))
        net.load_state_dict(load_file(str(path), device="cpu"))
        return cls(kind, net, device)

    def _encode_batch(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "vae":
            return cast(VAE, self.net).encode(x)[0]  # the mean: deterministic, what k-NN wants
        if self.kind == "autoencoder":
            return cast(Autoencoder, self.net).encode(x)
        if self.kind == "cnn":
            return cast(ConvClassifier, self.net).embed(x)
        return self.net(x)

    def encode(self, images: np.ndarray) -> np.ndarray:
        """float32 (n, dim) vectors of uint8 or [0, 1] float images (n, 28, 28); VAE gives μ."""
        unit = as_unit_images(images)
        out = np.empty((len(unit), self.dim), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(unit), BATCH):
                chunk = torch.from_numpy(unit[start : start + BATCH]).to(self.device)
                out[start : start + BATCH] = self._encode_batch(chunk[:, None]).cpu().numpy()
        return out

    def _decoder(self) -> Autoencoder | VAE:
        if not self.can_decode:
            raise ImageModelError(f"a {self.kind} space has no decoder; use an autoencoder or vae")
        return cast(Autoencoder | VAE, self.net)

    def decode(self, latents: np.ndarray) -> np.ndarray:
        """uint8 (n, 28, 28) images of latent vectors (n, dim)."""
        decoder = self._decoder()
        z = np.array(latents, dtype=np.float32)  # a copy: torch wants writable memory
        if z.ndim == 1:
            z = z[None]
        if z.ndim != 2 or z.shape[1] != self.dim or not np.isfinite(z).all():
            raise ImageModelError(
                f"expected finite latents of shape (n, {self.dim}), got {z.shape}"
            )
        parts = []
        with torch.inference_mode():
            for start in range(0, len(z), BATCH):
                chunk = torch.from_numpy(z[start : start + BATCH]).to(self.device)
                parts.append(to_uint8(torch.sigmoid(decoder.decode(chunk))))
        return np.concatenate(parts) if parts else np.zeros((0, SIDE, SIDE), np.uint8)

    def reconstruct(self, images: np.ndarray) -> np.ndarray:
        """decode(encode(images)): uint8 (n, 28, 28)."""
        self._decoder()
        return self.decode(self.encode(images))

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """n new images: the VAE draws z ~ N(0, I); the autoencoder draws from the Gaussian
        fitted to its training codes (stored with the weights)."""
        decoder = self._decoder()
        generator = torch.Generator().manual_seed(seed)
        eps = torch.randn(n, self.dim, generator=generator)
        if isinstance(decoder, Autoencoder):
            eps = decoder.prior_mean.cpu() + eps @ decoder.prior_scale_tril.cpu().T
        return self.decode(eps.numpy())

    def interpolate(
        self, a_latent: np.ndarray, b_latent: np.ndarray, steps: int, spherical: bool | None = None
    ) -> np.ndarray:
        """float32 (steps, dim) from a to b inclusive; spherical (slerp) by default for the VAE."""
        if steps < 2:
            raise ImageModelError(f"steps must be at least 2 (both ends), got {steps}")
        a = torch.tensor(np.array(a_latent, dtype=np.float32).reshape(-1))
        b = torch.tensor(np.array(b_latent, dtype=np.float32).reshape(-1))
        if a.shape != (self.dim,) or b.shape != (self.dim,):
            raise ImageModelError(
                f"expected two latents of size {self.dim}, got {a.shape}/{b.shape}"
            )
        t = torch.linspace(0.0, 1.0, steps)
        if spherical if spherical is not None else self.kind == "vae":
            return slerp(a, b, t).numpy().astype(np.float32)
        return ((1 - t[:, None]) * a + t[:, None] * b).numpy().astype(np.float32)
