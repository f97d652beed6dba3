"""The direction of imports (STYLE.md): trainers -> artifact <- server <- (gRPC) <- client.

Checked on the source with `ast`, every import statement at any depth: the folders map onto
`semspace.*` through package-dir, which import-linter cannot follow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

CONTRACTS = [
    # (files, forbidden module prefixes, why)
    (
        "client",
        ("semspace.server", "semspace.trainers", "semspace.models", "torch", "faiss"),
        "the client installs alone",
    ),
    ("trainers", ("semspace.server",), "trainers never import the server"),
    (
        "semspace/artifact.py",
        ("torch", "faiss", "semspace.server", "semspace.trainers"),
        "the artifact format is framework-free",
    ),
    (
        "semspace/vectors.py",
        ("torch", "faiss", "semspace.server", "semspace.trainers"),
        "shared by client and server",
    ),
    ("semspace/models/imaging.py", ("torch",), "image decoding needs no torch"),
]


def imported_modules(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module))
    return found


def source_files(target: str) -> list[Path]:
    path = REPO / target
    return sorted(path.rglob("*.py")) if path.is_dir() else [path] if path.exists() else []


@pytest.mark.parametrize(("target", "forbidden", "why"), CONTRACTS, ids=[c[0] for c in CONTRACTS])
def test_import_direction(target: str, forbidden: tuple[str, ...], why: str) -> None:
    violations = [
        f"{path.relative_to(REPO)}:{line} imports {module}"
        for path in source_files(target)
        for line, module in imported_modules(path)
        if any(module == f or module.startswith(f + ".") for f in forbidden)
    ]
    assert not violations, f"{why}: " + "; ".join(violations)
