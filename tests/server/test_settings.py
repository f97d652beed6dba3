"""The server's settings: what 0 resolves to, and the README's table of them."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from semspace.server.settings import ServerSettings, usable_cores
from tests.conftest import REPO


def test_usable_cores_follow_the_affinity_mask() -> None:
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert usable_cores() == expected >= 1


@pytest.mark.parametrize(("given", "resolved"), [(0, None), (3, 3)])
def test_zero_means_one_a_usable_core(tmp_path: Path, given: int, resolved: int | None) -> None:
    settings = ServerSettings(
        artifacts_dir=tmp_path, batch_max_running=given, faiss_write_threads=given
    )
    assert settings.batches_running == settings.write_threads == (resolved or usable_cores())


def test_the_readme_documents_every_setting() -> None:
    readme = (REPO / "README.md").read_text()
    rows = re.findall(r"^\| ([a-z_, ]+) \| `SEMSPACE_", readme, flags=re.MULTILINE)
    documented = {name.strip() for row in rows for name in row.split(",")}
    assert set(ServerSettings.model_fields) - documented == set()
