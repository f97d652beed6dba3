"""Metrics cost nothing until asked for: no prometheus_client in a server without a metrics port."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import sys
from semspace.server.app import create_server
from semspace.server.settings import ServerSettings
port = None if sys.argv[2] == "off" else 0
server = create_server(ServerSettings(port=0, artifacts_dir=sys.argv[1], metrics_port=port))
server.load()
server.stop(0)
print("prometheus_client" in sys.modules)
"""


@pytest.mark.parametrize(("metrics", "imported"), [("off", "False"), ("on", "True")])
def test_prometheus_is_imported_only_for_a_metrics_port(
    tmp_path: Path, metrics: str, imported: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path), metrics],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert done.stdout.strip() == imported
