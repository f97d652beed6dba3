"""IDX files (the MNIST container format) and the image datasets that ship in it.

An IDX file is a 4-byte magic (two zero bytes, a type code, the number of dimensions), one
big-endian uint32 per dimension, then the values row-major and big-endian. Files may be gzipped.

Checksums are of the *decompressed* content: gzip headers differ between mirrors while the IDX
bytes do not (see the data README). MNIST's decompressed sha256 values are not recorded yet
(None): until they are, MNIST files are only checked for a well-formed header and shape, and the
first verified values should be filled in here.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

log = logging.getLogger(__name__)

Split = Literal["train", "test"]
DatasetName = Literal["fashion-mnist", "mnist"]

GZIP_MAGIC = b"\x1f\x8b"
# IDX type code -> big-endian numpy dtype (LeCun's format description).
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class DatasetError(ValueError):
    """A dataset file that is missing, corrupt or malformed; the message names file and fix."""


@dataclass(frozen=True)
class IdxFile:
    name: str
    sha256: str | None  # of the decompressed IDX bytes; None = not known yet


@dataclass(frozen=True)
class DatasetSpec:
    """Where a dataset's four IDX files come from and what their classes are called."""

    name: DatasetName
    base_url: str
    files: dict[str, IdxFile]  # keys: "train-images", "train-labels", "test-images", "test-labels"
    classes: tuple[str, ...]
    short_name: str  # prefix of default space names: "fashion" -> fashion-vae

    def url(self, role: str) -> str:
        """Canonical download URL of one file."""
        return f"{self.base_url}/{self.files[role].name}"


DATASETS: dict[str, DatasetSpec] = {
    "fashion-mnist": DatasetSpec(
        name="fashion-mnist",
        base_url="http://fashion-mnist.s3-website.eu-central-1.amazonaws.com",
        files={
            "train-images": IdxFile(
                "train-images-idx3-ubyte.gz",
                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            ),
            "train-labels": IdxFile(
                "train-labels-idx1-ubyte.gz",
                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            ),
            "test-images": IdxFile(
                "t10k-images-idx3-ubyte.gz",
                "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            ),
            "test-labels": IdxFile(
                "t10k-labels-idx1-ubyte.gz",
                "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            ),
        },
        classes=(
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
        short_name="fashion",
    ),
    "mnist": DatasetSpec(
        name="mnist",
        base_url="https://ossci-datasets.s3.amazonaws.com/mnist",
        files={
            "train-images": IdxFile("train-images-idx3-ubyte.gz", None),
            "train-labels": IdxFile("train-labels-idx1-ubyte.gz", None),
            "test-images": IdxFile("t10k-images-idx3-ubyte.gz", None),
            "test-labels": IdxFile("t10k-labels-idx1-ubyte.gz", None),
        },
        classes=tuple(str(digit) for digit in range(10)),
        short_name="mnist",
    ),
}


def dataset_spec(name: str) -> DatasetSpec:
    """The registry entry of `name`; DatasetError naming the known datasets otherwise."""
    try:
        return DATASETS[name]
    except KeyError:
        raise DatasetError(f"unknown dataset '{name}'; known: {', '.join(DATASETS)}") from None


def read_idx_bytes(path: Path) -> bytes:
    """The IDX content of `path`, gunzipped when it starts with the gzip magic."""
    raw = Path(path).read_bytes()
    if raw[:2] != GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError) as error:
        raise DatasetError(f"{path} is not a readable gzip file ({error}); delete it") from error


def parse_idx(content: bytes, source: str = "<bytes>") -> np.ndarray:
    """The array stored in IDX `content` in native byte order; `source` names it in errors."""
    if len(content) < 4 or content[:2] != b"\x00\x00":
        raise DatasetError(f"{source} is not an IDX file (bad magic {content[:4]!r})")
    type_code, ndim = content[2], content[3]
    if type_code not in IDX_DTYPES:
        raise DatasetError(f"{source} has unknown IDX type code 0x{type_code:02x}")
    header = 4 + 4 * ndim
    if len(content) < header:
        raise DatasetError(f"{source} is truncated inside its IDX header")
    shape = tuple(int(d) for d in np.frombuffer(content, ">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[type_code]
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(content) != expected:
        raise DatasetError(
            f"{source} holds {len(content)} bytes but its header {shape} needs {expected}"
        )
    values = np.frombuffer(content, dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))


def read_idx(path: Path, sha256: str | None = None) -> np.ndarray:
    """Reads an IDX file (gzip or raw), checking the decompressed bytes against `sha256`."""
    content = read_idx_bytes(path)
    if sha256 is not None:
        actual = hashlib.sha256(content).hexdigest()
        if actual != sha256:
            raise DatasetError(
                f"{path}: sha256 of the decompressed content is {actual}, expected {sha256}; "
                "the file is corrupt or a different version: delete it and download it again"
            )
    return parse_idx(content, str(path))


def ensure_file(spec: DatasetSpec, role: str, data_dir: Path, *, download: bool) -> Path:
    """Path of one dataset file under `<data_dir>/<dataset>/`, downloading it only if allowed."""
    entry = spec.files[role]
    path = Path(data_dir) / spec.name / entry.name
    if path.is_file():
        return path
    url = spec.url(role)
    if not download:
        raise DatasetError(
            f"{path} is missing; download it from {url} (or allow downloads: drop --offline)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    log.info("downloading %s to %s", url, path)
    try:
        urllib.request.urlretrieve(url, partial)
        read_idx(partial, entry.sha256)  # refuse to keep a corrupt download
    except (OSError, DatasetError) as error:
        partial.unlink(missing_ok=True)
        raise DatasetError(f"could not download {entry.name} from {url}: {error}") from error
    partial.replace(path)
    return path


def load_split(
    name: str, split: Split, data_dir: Path, *, download: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (n, 28, 28), labels int64 (n,)) of one split, checksums verified."""
    spec = dataset_spec(name)
    arrays = []
    for kind in ("images", "labels"):
        role = f"{split}-{kind}"
        path = ensure_file(spec, role, data_dir, download=download)
        arrays.append(read_idx(path, spec.files[role].sha256))
    images, labels = arrays
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DatasetError(
            f"{spec.name} {split}: images {images.shape} and labels {labels.shape} do not pair up"
        )
    return images.astype(np.uint8, copy=False), labels.astype(np.int64)
