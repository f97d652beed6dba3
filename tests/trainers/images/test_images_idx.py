"""The IDX reader on crafted files, the dataset registry, and the real Fashion-MNIST files."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest

from semspace.trainers.images.idx import (
    DATASETS,
    DatasetError,
    dataset_spec,
    ensure_file,
    load_split,
    parse_idx,
    read_idx,
)


def idx_bytes(array: np.ndarray, type_code: int) -> bytes:
    header = bytes([0, 0, type_code, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def test_read_idx_reads_raw_and_gzipped_images(tmp_path: Path) -> None:
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    raw = tmp_path / "images-idx3-ubyte"
    raw.write_bytes(idx_bytes(images, 0x08))
    zipped = tmp_path / "images-idx3-ubyte.gz"
    zipped.write_bytes(gzip.compress(idx_bytes(images, 0x08)))
    np.testing.assert_array_equal(read_idx(raw), images)
    np.testing.assert_array_equal(read_idx(zipped), images)


def test_read_idx_reads_big_endian_int32_and_float32() -> None:
    ints = np.array([1, -2, 70000], dtype=np.int32)
    floats = np.array([[0.5, -1.25]], dtype=np.float32)
    np.testing.assert_array_equal(parse_idx(idx_bytes(ints, 0x0C)), ints)
    np.testing.assert_array_equal(parse_idx(idx_bytes(floats, 0x0D)), floats)


def test_read_idx_checks_the_sha256_of_the_decompressed_content(tmp_path: Path) -> None:
    content = idx_bytes(np.zeros(5, np.uint8), 0x08)
    path = tmp_path / "labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(content))
    assert read_idx(path, hashlib.sha256(content).hexdigest()).shape == (5,)
    with pytest.raises(DatasetError, match=r"labels-idx1-ubyte\.gz: sha256 .* expected 00"):
        read_idx(path, "00" * 32)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x01\x02\x08\x01", "bad magic"),
        (b"\x00\x00\x42\x01\x00\x00\x00\x01\x00", "unknown IDX type code 0x42"),
        (b"\x00\x00\x08\x02\x00\x00\x00\x02", "truncated inside its IDX header"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x03\x00", "holds 9 bytes but its header"),
    ],
)
def test_parse_idx_rejects_malformed_content(content: bytes, message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        parse_idx(content, "crafted")


def test_missing_file_error_names_the_file_and_its_url(tmp_path: Path) -> None:
    spec = dataset_spec("mnist")
    with pytest.raises(DatasetError) as caught:
        ensure_file(spec, "train-images", tmp_path, download=False)
    assert str(tmp_path / "mnist" / "train-images-idx3-ubyte.gz") in str(caught.value)
    assert "https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz" in str(
        caught.value
    )


def test_registry_uses_the_canonical_fashion_mnist_location() -> None:
    spec = DATASETS["fashion-mnist"]
    assert spec.url("test-labels") == (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/t10k-labels-idx1-ubyte.gz"
    )
    assert spec.classes[3] == "Dress"
    assert all(entry.sha256 for entry in spec.files.values())


def test_unknown_dataset_is_rejected_with_the_known_names() -> None:
    with pytest.raises(DatasetError, match="known: fashion-mnist, mnist"):
        dataset_spec("cifar")


def test_load_split_reads_and_verifies_fashion_mnist(fashion_dir: Path) -> None:
    images, labels = load_split("fashion-mnist", "test", fashion_dir)
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10_000,) and set(np.unique(labels)) == set(range(10))
