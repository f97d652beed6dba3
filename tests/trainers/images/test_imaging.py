"""Decoding uploaded images: PNG and JPEG, grey or colour, and clear rejections."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from semspace.models.imaging import decode_image_bytes, encode_png
from tests.png_headers import png_header


def gradient() -> np.ndarray:
    return (np.arange(28 * 28) % 256).astype(np.uint8).reshape(28, 28)


def encoded(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def test_png_round_trip_is_exact() -> None:
    np.testing.assert_array_equal(decode_image_bytes(encode_png(gradient())), gradient())


def test_jpeg_decodes_close_to_the_original() -> None:
    flat = np.full((28, 28), 120, np.uint8)
    decoded = decode_image_bytes(encoded(Image.fromarray(flat), "JPEG"))
    assert decoded.shape == (28, 28) and decoded.dtype == np.uint8
    assert np.abs(decoded.astype(int) - 120).max() <= 2


def test_rgb_images_are_converted_to_greyscale() -> None:
    rgb = np.zeros((28, 28, 3), np.uint8)
    rgb[..., 0] = 255  # pure red: luma 0.299 * 255
    decoded = decode_image_bytes(encoded(Image.fromarray(rgb), "PNG"))
    assert decoded.shape == (28, 28)
    assert int(decoded[0, 0]) == 76


def test_corrupt_bytes_are_rejected_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match=r"^could not decode 9 bytes as a PNG or JPEG image$"):
        decode_image_bytes(b"not a png")
    truncated = encode_png(gradient())[:40]
    with pytest.raises(ValueError, match="could not decode"):
        decode_image_bytes(truncated)


def test_other_formats_are_rejected() -> None:
    with pytest.raises(ValueError, match="PNG or JPEG"):
        decode_image_bytes(encoded(Image.fromarray(gradient()), "BMP"))


def test_wrong_size_names_the_size_got_and_expected() -> None:
    with pytest.raises(ValueError, match="image is 32x30 pixels, expected 28x28"):
        decode_image_bytes(encoded(Image.new("L", (32, 30)), "PNG"))


def test_a_decompression_bomb_is_a_size_error() -> None:
    # 20000 x 20000 is past Pillow's limit, which it enforces on opening, before our size check.
    with pytest.raises(ValueError, match="far larger than 28x28 pixels"):
        decode_image_bytes(png_header(20_000, 20_000))


def test_encode_png_rejects_other_shapes() -> None:
    with pytest.raises(ValueError, match=r"uint8 array of shape \(28, 28\)"):
        encode_png(np.zeros((28, 27), np.uint8))


def test_imaging_does_not_import_torch() -> None:
    code = "import sys, semspace.models.imaging; print('torch' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
