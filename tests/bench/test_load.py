"""The load generator, short: a real server under concurrent search, embed and upsert, no errors.
Its speed is measured by `make soak`, not asserted here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_a_short_mixed_load_runs_without_errors_and_writes_its_results(tmp_path: Path) -> None:
    command = [sys.executable, str(REPO / "bench" / "load.py"), "--concurrency", "8"]
    command += ["--seconds", "60", "--max-requests", "600", "--out", str(tmp_path), "--tag", "ci"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((tmp_path / "load-ci.json").read_text())
    assert summary["errors"] == 0
    assert summary["requests"] == 600, "the request budget bounds the run"
    assert all(op["count"] > 0 for op in summary["operations"].values())
    assert "| all | 600 |" in (tmp_path / "load-ci.md").read_text()
