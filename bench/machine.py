"""What every benchmark records about the machine it ran on (and this process's RSS), and where
results go."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    """CPUs, the 1-minute load average (the machines are shared) and the Python version."""
    return {
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
    }


def write_result(file_name: str, result: dict[str, Any]) -> None:
    """Writes `result` as bench/results/<file_name> and prints it."""
    RESULTS.mkdir(exist_ok=True)
    text = json.dumps(result, indent=2) + "\n"
    (RESULTS / file_name).write_text(text)
    print(text, end="")


def rss_mib() -> float:
    """This process's resident memory now (VmRSS), in MiB."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024
