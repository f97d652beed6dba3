"""`semspace serve` as a real child process, its stderr read in the background (a full pipe would
block the server) and kept for assertions about its log lines."""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from semspace.client import Client

LISTENING = re.compile(r"semspace listening on (\S+)")


class ServerProcess:
    def __init__(
        self,
        artifacts: Path,
        *,
        verbose: bool = False,
        rlimits: Mapping[int, tuple[int, int]] | None = None,
        **env: str,
    ) -> None:
        """`semspace [-v] serve --port 0 --artifacts-dir ARTIFACTS` with SEMSPACE_* from `env`,
        under `rlimits`: (soft, hard) by `resource.RLIMIT_*`, e.g. a lower limit on open files."""
        arguments = [*(["-v"] if verbose else []), "serve", "--port", "0"]
        self.start([*arguments, "--artifacts-dir", str(artifacts)], env, rlimits or {})

    @classmethod
    def from_arguments(cls, arguments: list[str], env: dict[str, str]) -> ServerProcess:
        """`semspace ARGUMENTS`, e.g. the command of a docker-compose service."""
        server = cls.__new__(cls)
        server.start(arguments, env)
        return server

    def start(
        self,
        arguments: list[str],
        env: dict[str, str],
        rlimits: Mapping[int, tuple[int, int]] | None = None,
    ) -> None:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("SEMSPACE_")}

        def set_rlimits() -> None:  # in the child, before it runs Python
            for kind, limits in (rlimits or {}).items():
                resource.setrlimit(kind, limits)

        self.process = subprocess.Popen(
            [sys.executable, "-m", "semspace", *arguments],
            stderr=subprocess.PIPE,
            text=True,
            env={**clean, **env},
            preexec_fn=set_rlimits if rlimits else None,
        )
        self.lines: list[str] = []
        self._address: str | None = None
        self._listening = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._listening.wait(60) or self._address is None:
            self.stop()
            raise AssertionError(f"server never listened:\n{''.join(self.lines)}")
        self.address = self._address
        wait_until_serving(self.address)

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            if not self._listening.is_set() and (match := LISTENING.search(line)):
                self._address = match.group(1)
                self._listening.set()
        self._listening.set()

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float = 30) -> int:
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=5)
        if self.process.stderr is not None and not self._reader.is_alive():
            self.process.stderr.close()
        return code

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.wait()


def wait_until_serving(address: str, seconds: float = 60) -> None:
    """Health is NOT_SERVING while spaces load; a client should wait for SERVING."""
    deadline = time.monotonic() + seconds
    with Client(address, timeout=5) as client:
        while client.health() != "SERVING":
            assert time.monotonic() < deadline, "server never reported SERVING"
            time.sleep(0.05)
