"""docker-compose.yml cannot be run here (no Docker engine), so its commands are checked against
the real CLI, its environment against the real settings, and its shape against what Compose
requires."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from semspace.cli import build_parser
from semspace.client import AuthError, Client
from semspace.server.auth import AuthConfigError, load_key_store
from semspace.server.settings import ServerSettings
from tests.conftest import REPO
from tests.e2e.processes import ServerProcess

# Variables the CLI reads as a client (the health check), not server settings.
CLIENT_VARIABLES = {"SEMSPACE_CA_FILE", "SEMSPACE_API_KEY", "SEMSPACE_ADDRESS"}
INTERPOLATION = re.compile(r"\$\{(\w+)(?::([?-])([^}]*))?\}")


def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def semspace_services() -> dict[str, dict]:
    return {n: s for n, s in compose()["services"].items() if s.get("image") == "semspace:latest"}


def commands() -> list[tuple[str, list[str]]]:
    found = []
    for name, service in semspace_services().items():
        found.append((name, service["command"]))
        if "healthcheck" in service:
            found.append((f"{name}-healthcheck", service["healthcheck"]["test"][1:]))
    return found


def server_environment(shell: dict[str, str]) -> dict[str, str]:
    """The server's environment as Compose would fill it from `shell`."""

    def fill(match: re.Match[str]) -> str:
        name, kind, text = match.groups()
        if name in shell:
            return shell[name]
        if kind == "?":
            raise KeyError(f"compose refuses to start: {text}")
        return text or ""

    environment = compose()["services"]["server"]["environment"]
    return {key: INTERPOLATION.sub(fill, str(value)) for key, value in environment.items()}


def server_settings(environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> ServerSettings:
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    args = build_parser().parse_args(compose()["services"]["server"]["command"][1:])
    return ServerSettings(host=args.host, port=args.port, artifacts_dir=args.artifacts_dir)


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
    named = {v for v in trainer_volumes | server_volumes if not v.startswith(".")}
    assert set(compose()["volumes"]) >= named


def test_every_server_variable_is_a_setting_or_a_client_variable() -> None:
    fields = {f"SEMSPACE_{name.upper()}" for name in ServerSettings.model_fields}
    unknown = set(compose()["services"]["server"]["environment"]) - fields - CLIENT_VARIABLES
    assert not unknown, f"not semspace settings: {sorted(unknown)}"


def test_the_compose_server_refuses_to_start_without_api_keys(monkeypatch) -> None:
    with pytest.raises(KeyError, match="SEMSPACE_API_KEYS"):
        server_environment({})
    for key in list(server_environment({"SEMSPACE_API_KEYS": "x"})):
        monkeypatch.delenv(key, raising=False)
    settings = server_settings({}, monkeypatch)
    with pytest.raises(AuthConfigError):
        load_key_store(settings)


def test_the_compose_server_runs_with_keys_metrics_and_tls_from_the_environment(
    monkeypatch,
) -> None:
    shell = {
        "SEMSPACE_API_KEYS": "read-write:k1,read-only:k2",
        "SEMSPACE_TLS_CERT_FILE": "/certs/server.crt",
        "SEMSPACE_TLS_KEY_FILE": "/certs/server.key",
    }
    settings = server_settings(server_environment(shell), monkeypatch)
    assert load_key_store(settings).enabled
    assert settings.tls_cert_file == Path("/certs/server.crt")
    assert settings.tls_client_ca_file is None  # empty: unset, not Path(".")
    assert settings.log_format == "json"
    server = compose()["services"]["server"]
    assert f"{settings.metrics_port}:{settings.metrics_port}" in server["ports"]
    assert settings.metrics_host == "0.0.0.0"


def test_prometheus_is_optional_and_scrapes_the_servers_metrics_port(monkeypatch) -> None:
    prometheus = compose()["services"]["prometheus"]
    assert prometheus["profiles"] == ["monitoring"]
    source = prometheus["volumes"][0].split(":")[0]
    scrape = yaml.safe_load((REPO / source).read_text())
    targets = scrape["scrape_configs"][0]["static_configs"][0]["targets"]
    port = server_environment({"SEMSPACE_API_KEYS": "x"})["SEMSPACE_METRICS_PORT"]
    assert targets == [f"server:{port}"]


def test_the_dockerfile_installs_the_cpu_torch_and_copies_every_package() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    for folder in ("proto", "semspace", "server", "client", "trainers"):
        assert f"COPY {folder} {folder}" in dockerfile
    assert "whl/cpu" in dockerfile


def test_the_compose_commands_run_for_real_on_loopback(tmp_path, monkeypatch) -> None:
    """The server's command and environment from the compose file, with only the address made
    local (loopback, a free port, a temporary volume), then its health check and a keyed call."""
    environment = server_environment({"SEMSPACE_API_KEYS": "read-write:compose-key"})
    environment["SEMSPACE_METRICS_PORT"] = "0"
    environment["SEMSPACE_METRICS_HOST"] = "127.0.0.1"
    command = compose()["services"]["server"]["command"][1:]
    local = {"--host": "127.0.0.1", "--port": "0", "--artifacts-dir": str(tmp_path)}
    arguments = [local.get(command[i - 1], arg) if i else arg for i, arg in enumerate(command)]
    server = ServerProcess.from_arguments(arguments, environment)
    try:
        health = compose()["services"]["server"]["healthcheck"]["test"][1:]
        health[health.index("--address") + 1] = server.address
        probe = subprocess.run(
            [sys.executable, "-m", *health], capture_output=True, text=True, timeout=60
        )
        assert probe.returncode == 0, probe.stderr
        assert probe.stdout.strip() == "SERVING"
        with Client(server.address, api_key="compose-key") as client:
            assert client.list_spaces() == []
        with Client(server.address, api_key="") as client, pytest.raises(AuthError):
            client.list_spaces()
    finally:
        server.stop()
    assert any('"auth on: API keys required' in line for line in server.lines)
