"""docker-compose.yml cannot be run here (no Docker engine), so its commands are checked against
the real CLI and its shape against what Compose requires."""

from __future__ import annotations

import shlex

import pytest
import yaml

from semspace.cli import build_parser
from tests.conftest import REPO


def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def commands() -> list[tuple[str, list[str]]]:
    found = []
    for name, service in compose()["services"].items():
        found.append((name, service["command"]))
        if "healthcheck" in service:
            found.append((f"{name}-healthcheck", service["healthcheck"]["test"][1:]))
    return found


@pytest.mark.parametrize(("name", "command"), commands(), ids=[n for n, _ in commands()])
def test_every_compose_command_is_a_valid_semspace_command(name: str, command: list[str]) -> None:
    assert command[0] == "semspace", f"{name}: {shlex.join(command)}"
    args = build_parser().parse_args(command[1:])
    assert callable(args.func)


def test_the_server_starts_after_the_trainer_and_shares_its_volume() -> None:
    services = compose()["services"]
    assert (
        services["server"]["depends_on"]["trainer"]["condition"] == "service_completed_successfully"
    )
    trainer_volumes = {v.split(":")[0] for v in services["trainer"]["volumes"]}
    server_volumes = {v.split(":")[0] for v in services["server"]["volumes"]}
    assert "artifacts" in trainer_volumes & server_volumes
    assert set(compose()["volumes"]) >= trainer_volumes | server_volumes


def test_the_dockerfile_installs_the_cpu_torch_and_copies_every_package() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    for folder in ("proto", "semspace", "server", "client", "trainers"):
        assert f"COPY {folder} {folder}" in dockerfile
    assert "whl/cpu" in dockerfile
