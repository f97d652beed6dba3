"""The default spaces `make serve` trains when they are missing (each family skips what exists)."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


def train_default_spaces(data_dir: Path, artifacts_dir: Path, *, allow_download: bool) -> list[str]:
    """Names of the default spaces now present; trains those that are missing."""
    from semspace.trainers.images.cli import train_default_spaces as train_image_defaults
    from semspace.trainers.words.cli import train_default_space as train_word_default

    made = []
    word_space = train_word_default(data_dir, artifacts_dir, allow_download=allow_download)
    if word_space is not None:
        made.append(word_space.name)
    made += [
        p.name for p in train_image_defaults(data_dir, artifacts_dir, allow_download=allow_download)
    ]
    return made
