"""The auth table and key parsing: every RPC classified, keys read only as hashes."""

from __future__ import annotations

from pathlib import Path

import pytest

from semspace.rpc_access import RPC_ACCESS, Access
from semspace.server.auth import (
    SERVICE,
    AuthConfigError,
    Role,
    hash_key,
    load_key_store,
    parse_keys_setting,
    read_keys_file,
)
from semspace.server.settings import ServerSettings


def test_every_rpc_of_the_service_is_classified_as_read_or_write() -> None:
    rpcs = {method.name for method in SERVICE.methods}
    assert set(RPC_ACCESS) == rpcs, "classify each new RPC in semspace/rpc_access.py"


def test_only_the_rpcs_that_change_data_are_writes() -> None:
    writes = {rpc for rpc, access in RPC_ACCESS.items() if access is Access.WRITE}
    assert writes == {
        "CreateSpace",
        "DropSpace",
        "Upsert",
        "SetPayloads",
        "Delete",
        "Reload",
        "SetAlias",
        "DeleteAlias",
    }


def test_the_keys_file_holds_hashes_with_roles_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    path.write_text(
        f"# ops\nread-only {hash_key('r1')}\n\nread-write sha256:{hash_key('w1')}  # ci\n"
    )
    assert read_keys_file(path) == {hash_key("r1"): Role.READ_ONLY, hash_key("w1"): Role.READ_WRITE}


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("read-only secret", ["keys:1", "sha256"]),
        (f"admin {hash_key('x')}", ["keys:1", "the role must be 'read-only' or 'read-write'"]),
        ("read-only", ["keys:1", "expected"]),
    ],
)
def test_a_bad_keys_file_line_is_named(tmp_path: Path, line: str, words: list[str]) -> None:
    path = tmp_path / "keys"
    path.write_text(line + "\n")
    with pytest.raises(AuthConfigError) as raised:
        read_keys_file(path)
    for word in words:
        assert word in str(raised.value)


def test_the_keys_setting_takes_clear_or_hashed_keys() -> None:
    keys = parse_keys_setting(f"read-write:w1, read-only:sha256:{hash_key('r1')}")
    assert keys == {hash_key("w1"): Role.READ_WRITE, hash_key("r1"): Role.READ_ONLY}


@pytest.mark.parametrize("setting", ["s3cret-key:read-write", "read-write:x,s3cret-key:read-only"])
def test_a_key_written_before_its_role_is_not_quoted_in_the_error(setting: str) -> None:
    with pytest.raises(AuthConfigError, match="role must be") as raised:
        parse_keys_setting(setting)
    assert "s3cret" not in str(raised.value)


def test_a_server_open_to_the_network_refuses_to_start_without_keys(tmp_path: Path) -> None:
    settings = ServerSettings(host="0.0.0.0", port=0, artifacts_dir=tmp_path)
    with pytest.raises(AuthConfigError, match="SEMSPACE_API_KEYS"):
        load_key_store(settings)


def test_auth_is_on_off_loopback_and_off_on_loopback_without_keys(tmp_path: Path) -> None:
    open_net = ServerSettings(
        host="0.0.0.0", port=0, artifacts_dir=tmp_path, api_keys="read-only:k"
    )
    assert load_key_store(open_net).enabled
    loopback = ServerSettings(host="127.0.0.1", port=0, artifacts_dir=tmp_path)
    assert not load_key_store(loopback).enabled
    forced = ServerSettings(
        host="::1", port=0, artifacts_dir=tmp_path, auth="on", api_keys="read-only:k"
    )
    assert load_key_store(forced).enabled
    explicit_off = ServerSettings(host="0.0.0.0", port=0, artifacts_dir=tmp_path, auth="off")
    assert not load_key_store(explicit_off).enabled
