"""The contract and the packaging promises: fresh stubs, a client without torch or faiss."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from grpc_tools import protoc

from tests.conftest import REPO

PROTO_DIR = REPO / "proto"


def test_generated_stubs_match_the_proto(tmp_path: Path) -> None:
    sources = sorted(str(p.relative_to(PROTO_DIR)) for p in PROTO_DIR.rglob("*.proto"))
    status = protoc.main(
        [
            "protoc",
            f"-I{PROTO_DIR}",
            f"--python_out={tmp_path}",
            f"--grpc_python_out={tmp_path}",
            f"--pyi_out={tmp_path}",
            *sources,
        ]
    )
    assert status == 0
    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*_pb2*.py*"))
    assert generated, "protoc produced nothing"
    for relative in generated:
        committed = PROTO_DIR / relative
        assert committed.exists(), f"{relative} is not committed: run `make proto`"
        assert committed.read_text() == (tmp_path / relative).read_text(), (
            f"{relative} is stale: run `make proto`"
        )


def heavy_modules_after_import(module: str, candidates: tuple[str, ...]) -> list[str]:
    code = f"import sys, {module}; print(','.join(m for m in {candidates!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return [m for m in result.stdout.strip().split(",") if m]


def test_importing_the_client_loads_neither_torch_faiss_nor_the_server() -> None:
    candidates = ("torch", "faiss", "semspace.server", "semspace.trainers")
    assert heavy_modules_after_import("semspace.client", candidates) == []


def test_starting_the_cli_loads_neither_torch_nor_faiss() -> None:
    assert heavy_modules_after_import("semspace.cli", ("torch", "faiss")) == []
