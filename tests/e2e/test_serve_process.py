"""`semspace serve` as a real process: starts, serves, logs JSON with request ids, and on SIGTERM
says NOT_SERVING first, drains in-flight calls and keeps its data; a port it cannot bind is a
one-line error."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time

import numpy as np

from semspace.client import Client
from tests.e2e.processes import ServerProcess


def test_serve_logs_json_says_not_serving_on_sigterm_while_answering_then_stops(tmp_path) -> None:
    # A long NOT_SERVING phase: on a loaded machine the signal may take seconds to be handled.
    server = ServerProcess(tmp_path, SEMSPACE_LOG_FORMAT="json", SEMSPACE_DRAIN_DELAY_SECONDS="6")
    try:
        with Client(server.address, timeout=10) as client:
            traced = client.with_request_id("req-create-1")
            traced.create_space("proc", 2, "l2")
            client.upsert("proc", ["a"], [[1, 2]])
            server.signal(signal.SIGTERM)
            deadline = time.monotonic() + 5
            while client.health() == "SERVING":
                assert time.monotonic() < deadline, "health never flipped to NOT_SERVING"
                time.sleep(0.01)
            # Balancers now move away, but a call that still arrives is answered.
            assert client.upsert("proc", ["late"], [[3, 4]]).count == 2
        assert server.wait() == 0
    finally:
        server.stop()
    records = [json.loads(line) for line in server.lines if line.startswith("{")]
    assert len(records) == len(server.lines), "every log line is one JSON object"
    traced_lines = [r for r in records if r["request_id"] == "req-create-1"]
    assert [(r["rpc"], r["code"]) for r in traced_lines] == [("CreateSpace", "OK")]
    assert {"time", "level", "logger", "message", "duration_ms"} <= set(traced_lines[0])

    server = ServerProcess(tmp_path)
    try:
        with Client(server.address, timeout=10) as client:
            assert client.health() == "SERVING"
            assert client.get("proc", ["a", "late"]).vectors.tolist() == [[1, 2], [3, 4]]
    finally:
        server.stop()


def test_sigterm_drains_a_call_in_flight_and_keeps_its_write(tmp_path) -> None:
    server = ServerProcess(tmp_path, verbose=True, SEMSPACE_DRAIN_DELAY_SECONDS="0")
    rows = 100_000
    vectors = np.random.default_rng(0).normal(size=(rows, 150)).astype(np.float32)
    ids = [f"p{i}" for i in range(rows)]
    outcome: dict[str, object] = {}
    try:
        with Client(server.address, timeout=60) as client:
            client.create_space("big", 150, "l2")

            def upsert() -> None:
                outcome["count"] = client.upsert("big", ids, vectors).count

            writer = threading.Thread(target=upsert)
            writer.start()
            # The server logs "Upsert started" as the call reaches its interceptor; the handler
            # then needs about a second for 100k x 150 floats (60 MB; the default limit is 64 MiB).
            deadline = time.monotonic() + 30
            while not any("Upsert started" in line for line in server.lines):
                assert time.monotonic() < deadline, "the upsert never reached the server"
                time.sleep(0.001)
            server.signal(signal.SIGTERM)
            writer.join(timeout=60)
        assert outcome.get("count") == rows, "the in-flight upsert failed instead of draining"
        assert server.wait() == 0
    finally:
        server.stop()
    log = "".join(server.lines)
    assert log.index("shutting down") < log.index("Upsert OK"), "the call ended before SIGTERM"

    server = ServerProcess(tmp_path)
    try:
        with Client(server.address, timeout=30) as client:
            assert client.get_space("big").count == rows
            np.testing.assert_array_equal(client.get("big", ["p99999"]).vectors, vectors[-1:])
    finally:
        server.stop()


def test_a_taken_port_is_a_one_line_error(tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = ["serve", "--port", str(port), "--artifacts-dir", str(tmp_path / "artifacts")]
        result = subprocess.run(
            [sys.executable, "-m", "semspace", *command],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2, result.stderr
    assert f"error: could not bind 127.0.0.1:{port}: is the port taken" in result.stderr
    assert "Traceback" not in result.stderr
