"""`semspace serve` as a real process: starts, serves, and on SIGTERM drains and keeps its data."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from semspace.client import Client

LISTENING = re.compile(r"semspace listening on (\S+)")


def start(artifacts: Path) -> tuple[subprocess.Popen[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEMSPACE_")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "semspace",
            "serve",
            "--port",
            "0",
            "--artifacts-dir",
            str(artifacts),
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if match := LISTENING.search(line):
            wait_until_serving(match.group(1))
            return process, match.group(1)
    raise AssertionError(f"server exited before listening (code {process.wait()})")


def wait_until_serving(address: str, seconds: float = 30) -> None:
    """Health is NOT_SERVING while spaces load; a client should wait for SERVING."""
    deadline = time.monotonic() + seconds
    with Client(address, timeout=5) as client:
        while client.health() != "SERVING":
            assert time.monotonic() < deadline, "server never reported SERVING"
            time.sleep(0.05)


def test_serve_answers_then_shuts_down_cleanly_on_sigterm(tmp_path) -> None:
    process, address = start(tmp_path)
    try:
        with Client(address, timeout=10) as client:
            client.create_space("proc", 2, "l2")
            client.upsert("proc", ["a"], [[1, 2]])
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        stop(process)

    process, address = start(tmp_path)
    try:
        with Client(address, timeout=10) as client:
            assert client.health() == "SERVING"
            assert client.get("proc", ["a"]).vectors.tolist() == [[1.0, 2.0]]
    finally:
        stop(process)


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=30)
    assert process.stderr is not None
    process.stderr.close()
