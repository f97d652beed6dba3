"""text8, the default corpus for real users: fetched from its canonical URL when missing.

Its publisher gives no checksum and none was available to pin here, so a download is checked by
its exact size (31,344,016 bytes, one member `text8` of 100,000,000 bytes) and its sha256 is
recorded in the space's manifest, as for every corpus.
"""

from __future__ import annotations

import logging
import urllib.request
import zipfile
from pathlib import Path

log = logging.getLogger(__name__)

URL = "http://mattmahoney.net/dc/text8.zip"
ZIP_BYTES = 31_344_016
MEMBER_BYTES = 100_000_000
TIMEOUT_SECONDS = 20


def fetch_text8(data_dir: Path) -> Path:
    """`<data_dir>/text8/text8.zip`, downloaded and size-checked when missing."""
    path = Path(data_dir) / "text8" / "text8.zip"
    if path.is_file():
        return path
    log.info("downloading text8 from %s (%d bytes)", URL, ZIP_BYTES)
    partial = path.with_suffix(".part")
    try:
        with urllib.request.urlopen(URL, timeout=TIMEOUT_SECONDS) as response:
            # Nothing touches the data dir until the bytes are here: a failed download leaves
            # no trace, not even an empty folder.
            data = response.read()
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(data)
        check_text8_zip(partial)
    except (OSError, ValueError) as error:
        partial.unlink(missing_ok=True)
        raise OSError(f"could not download text8 from {URL}: {error}") from error
    partial.replace(path)
    return path


def check_text8_zip(path: Path) -> None:
    """Raises ValueError unless `path` is the text8 zip: exact size, one 10^8-byte member."""
    size = path.stat().st_size
    if size != ZIP_BYTES:
        raise ValueError(f"{path} is {size} bytes, text8.zip is {ZIP_BYTES}")
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
    if len(members) != 1 or members[0].file_size != MEMBER_BYTES:
        raise ValueError(f"{path} does not hold the single 100,000,000-byte text8 file")
