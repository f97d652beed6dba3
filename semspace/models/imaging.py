"""Encoded images (PNG, JPEG) to and from the 28x28 greyscale arrays the image models take.

Pillow and numpy only: the server decodes requests here before it needs torch.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, UnidentifiedImageError

SIZE = (28, 28)
ACCEPTED_FORMATS = ("PNG", "JPEG")


def decode_image_bytes(data: bytes) -> np.ndarray:
    """uint8 (28, 28) from PNG or JPEG bytes; colour is converted to greyscale (Pillow's "L")."""
    try:
        with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
            size = image.size
            if size != SIZE:
                raise ValueError(
                    f"image is {size[0]}x{size[1]} pixels, expected {SIZE[0]}x{SIZE[1]}; "
                    "resize it before embedding"
                )
            # Palette and alpha images go through RGB(A) first; "L" is ITU-R 601-2 luma.
            array = np.asarray(image.convert("L"), dtype=np.uint8)
    except Image.DecompressionBombError as error:
        # Pillow refuses to open images past ~179M pixels, before any size check of ours.
        too_large = f"image is far larger than {SIZE[0]}x{SIZE[1]} pixels ({error})"
        raise ValueError(too_large) from error
    except UnidentifiedImageError:
        # Pillow's own message names only the BytesIO object and its address.
        raise ValueError(f"could not decode {len(data)} bytes as a PNG or JPEG image") from None
    except (OSError, SyntaxError) as error:
        raise ValueError(
            f"could not decode {len(data)} bytes as a PNG or JPEG image ({error})"
        ) from error
    return array.copy()


def encode_png(image: np.ndarray) -> bytes:
    """Lossless PNG bytes of a uint8 (28, 28) greyscale image."""
    array = np.asarray(image)
    if array.shape != SIZE or array.dtype != np.uint8:
        raise ValueError(f"expected a uint8 array of shape {SIZE}, got {array.dtype} {array.shape}")
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()
