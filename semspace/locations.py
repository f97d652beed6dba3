"""Where datasets and spaces live by default: one answer for every command.

Only command-line entry points call these (they read the environment); library code takes paths.
"""

from __future__ import annotations

import os
from pathlib import Path


def default_data_dir() -> Path:
    """$SEMSPACE_DATA_DIR, else ~/.cache/semspace/data (where downloads land)."""
    return Path(os.environ.get("SEMSPACE_DATA_DIR") or Path.home() / ".cache" / "semspace" / "data")


def default_artifacts_dir() -> Path:
    """$SEMSPACE_ARTIFACTS_DIR, else ./artifacts: where `semspace serve` looks too."""
    return Path(os.environ.get("SEMSPACE_ARTIFACTS_DIR") or "artifacts")
