"""The models behind trained spaces, seen from the server: embed raw inputs, decode latents.

Torch is imported here lazily, and only when a space that needs a model is loaded.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from semspace.artifact import Artifact, SpaceManifest
from semspace.server.errors import InvalidArgument, Unimplemented

IMAGE_KINDS = ("autoencoder", "vae", "cnn", "gram")
WORD_KINDS = ("word2vec",)
IMAGE_SIDE = 28


class SpaceModel:
    """A model-less space: every capability answers UNIMPLEMENTED, naming what would work."""

    inputs: tuple[str, ...] = ()
    can_decode = False

    def __init__(self, manifest: SpaceManifest) -> None:
        self.space = manifest.name
        self.kind = manifest.kind

    def _missing(self, what: str, needs: str) -> Unimplemented:
        return Unimplemented(
            f"space '{self.space}' ({self.kind}) cannot {what}; that needs {needs}"
        )

    def embed_texts(self, texts: Sequence[str], field: str) -> tuple[np.ndarray, list[bool]]:
        raise self._missing("embed text", "a word space")

    def embed_images(self, pixels: np.ndarray, field: str) -> np.ndarray:
        raise self._missing("embed images", "an image space")

    def tokenize(self, text: str, add_sos: bool, add_eos: bool) -> tuple[list[str], list[int]]:
        raise self._missing("tokenize", "a word space with a BPE vocabulary")

    def special_ids(self) -> dict[str, int]:
        raise self._missing("tokenize", "a word space with a BPE vocabulary")

    def decode(self, latents: np.ndarray) -> np.ndarray:
        raise self._missing("decode", "an autoencoder or vae space")

    def sample(self, n: int, seed: int) -> np.ndarray:
        raise self._missing("sample", "an autoencoder or vae space")

    def interpolate(
        self, a: np.ndarray, b: np.ndarray, steps: int, spherical: bool | None
    ) -> np.ndarray:
        raise self._missing("interpolate", "an autoencoder or vae space")


class ImageSpaceModel(SpaceModel):
    inputs = ("image",)

    def __init__(self, artifact: Artifact, torch_threads: int = 1) -> None:
        super().__init__(artifact.manifest)
        import torch

        from semspace.models.images import ImageModel

        # Set on purpose: torch's default of one thread per core fights the gRPC threads, which
        # already run calls side by side.
        torch.set_num_threads(torch_threads)

        self.model = ImageModel.load(artifact.path)
        self.can_decode = self.model.can_decode

    def embed_images(self, pixels: np.ndarray, field: str) -> np.ndarray:
        return self.model.encode(pixels)

    def decode(self, latents: np.ndarray) -> np.ndarray:
        if not self.can_decode:
            return super().decode(latents)
        return self.model.decode(latents)

    def sample(self, n: int, seed: int) -> np.ndarray:
        if not self.can_decode:
            return super().sample(n, seed)
        return self.model.sample(n, seed)

    def interpolate(
        self, a: np.ndarray, b: np.ndarray, steps: int, spherical: bool | None
    ) -> np.ndarray:
        if not self.can_decode:
            return super().interpolate(a, b, steps, spherical)
        return self.model.interpolate(a, b, steps, spherical)


class WordSpaceModel(SpaceModel):
    inputs = ("text",)

    def __init__(self, artifact: Artifact) -> None:
        super().__init__(artifact.manifest)
        from semspace.models.words import WordModel

        # The registry has loaded and verified the artifact: share it rather than read it again.
        self.model = WordModel.from_artifact(artifact)

    def embed_texts(self, texts: Sequence[str], field: str) -> tuple[np.ndarray, list[bool]]:
        for position, text in enumerate(texts):
            if not text.strip():
                raise InvalidArgument(f"{field}[{position}]: empty or blank text has no embedding")
        try:
            vectors, composed = self.model.embed(list(texts))
        except ValueError as error:
            raise InvalidArgument(f"{field}: {error}") from error
        return np.asarray(vectors, dtype=np.float32), list(composed)

    def tokenize(self, text: str, add_sos: bool, add_eos: bool) -> tuple[list[str], list[int]]:
        return self.model.tokenize(text, add_sos=add_sos, add_eos=add_eos)

    def special_ids(self) -> dict[str, int]:
        from semspace.models.tokenizer import EOS_ID, PAD_ID, SOS_ID, UNK_ID

        return {"pad": PAD_ID, "unk": UNK_ID, "sos": SOS_ID, "eos": EOS_ID}


def load_model(artifact: Artifact, torch_threads: int = 1) -> SpaceModel:
    """The model for a space's kind; user-made and unknown kinds get the model-less one."""
    kind = artifact.manifest.kind
    if kind in IMAGE_KINDS:
        return ImageSpaceModel(artifact, torch_threads)
    if kind in WORD_KINDS:
        return WordSpaceModel(artifact)
    return SpaceModel(artifact.manifest)


def decode_images(images: Sequence[bytes], field: str) -> np.ndarray:
    """uint8 (n, 28, 28) from PNG/JPEG bytes; a bad image names its position."""
    from semspace.models.imaging import decode_image_bytes

    decoded = np.empty((len(images), IMAGE_SIDE, IMAGE_SIDE), dtype=np.uint8)
    for position, data in enumerate(images):
        try:
            decoded[position] = decode_image_bytes(data)
        except ValueError as error:
            raise InvalidArgument(f"{field}[{position}]: {error}") from error
    return decoded


def pixels_to_images(pixels: np.ndarray, field: str) -> np.ndarray:
    """(n, 784) float rows in [0, 1] -> (n, 28, 28)."""
    if pixels.shape[1] != IMAGE_SIDE * IMAGE_SIDE:
        raise InvalidArgument(
            f"{field}.dim: is {pixels.shape[1]}, expected {IMAGE_SIDE * IMAGE_SIDE} "
            f"({IMAGE_SIDE}x{IMAGE_SIDE} pixels)"
        )
    if not np.isfinite(pixels).all() or pixels.min(initial=0) < 0 or pixels.max(initial=0) > 1:
        raise InvalidArgument(f"{field}: pixel values must be finite and within [0, 1]")
    return pixels.reshape(-1, IMAGE_SIDE, IMAGE_SIDE)


def encode_pngs(images: np.ndarray) -> list[bytes]:
    from semspace.models.imaging import encode_png

    return [encode_png(image) for image in images]
