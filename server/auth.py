"""API keys: who may call what. Keys are kept only as sha256 hashes; each has a role.

Every RPC of the semspace service is classified once, in semspace.rpc_access, as a read or a
write; a read-only key may call reads, a read-write key everything. Health checking and
reflection stay open: probes must work without secrets, and reflection only tells what the
public .proto says.
"""

from __future__ import annotations

import enum
import hashlib
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from semspace.rpc_access import RPC_ACCESS, Access
from semspace.server.errors import PermissionDenied, Unauthenticated
from semspace.server.settings import ServerSettings
from semspace.v1 import semspace_pb2 as pb

SERVICE = pb.DESCRIPTOR.services_by_name["Semspace"]
SERVICE_PREFIX = f"/{SERVICE.full_name}/"
SHA256_PREFIX = "sha256:"


class Role(enum.Enum):
    READ_ONLY = "read-only"
    READ_WRITE = "read-write"

    def allows(self, access: Access) -> bool:
        return self is Role.READ_WRITE or access is Access.READ


class AuthConfigError(ValueError):
    """Keys that cannot be read, or a server that would be open to the network without them."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _parse_hash(text: str, where: str) -> str:
    digest = text.removeprefix(SHA256_PREFIX).lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise AuthConfigError(f"{where}: expected a sha256 hex digest (64 hex digits)")
    return digest


def _parse_role(text: str, where: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        # Not echoed: in SEMSPACE_API_KEYS, a key written before its role would be quoted.
        raise AuthConfigError(f"{where}: the role must be 'read-only' or 'read-write'") from None


def read_keys_file(path: Path) -> dict[str, Role]:
    """Lines of `ROLE SHA256HEX`; '#' starts a comment. The file never holds the keys themselves."""
    keys: dict[str, Role] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        where = f"{path}:{number}"
        if len(fields) != 2:
            raise AuthConfigError(f"{where}: expected 'read-only|read-write <sha256 hex>'")
        keys[_parse_hash(fields[1], where)] = _parse_role(fields[0], where)
    return keys


def parse_keys_setting(text: str) -> dict[str, Role]:
    """`read-write:KEY,read-only:sha256:HEX`: keys in the clear (env secrets) or hashed."""
    keys: dict[str, Role] = {}
    for position, entry in enumerate(e.strip() for e in text.split(",")):
        if not entry:
            continue
        where = f"api_keys[{position}]"
        role_text, sep, secret = entry.partition(":")
        if not sep or not secret:
            raise AuthConfigError(f"{where}: expected 'read-only:KEY' or 'read-write:KEY'")
        role = _parse_role(role_text, where)
        digest = (
            _parse_hash(secret, where) if secret.startswith(SHA256_PREFIX) else hash_key(secret)
        )
        keys[digest] = role
    return keys


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class KeyStore:
    """The server's keys by hash; `enabled` False means every caller is read-write."""

    enabled: bool
    keys: dict[str, Role]

    def check(self, method: str, metadata: Iterable[tuple[str, str]]) -> None:
        """Raises UNAUTHENTICATED or PERMISSION_DENIED for a semspace RPC; others are open."""
        if not self.enabled or not method.startswith(SERVICE_PREFIX):
            return
        rpc = method.removeprefix(SERVICE_PREFIX)
        # An RPC missing from the table is treated as a write: a new RPC fails closed.
        access = RPC_ACCESS.get(rpc, Access.WRITE)
        given = [value for name, value in metadata if name == "authorization"]
        if len(given) > 1:
            # Which one counts would be a guess (a read-only key and a read-write one, say).
            raise Unauthenticated(f"{rpc}: send one authorization metadata, got {len(given)}")
        authorization = given[0] if given else ""
        if not authorization:
            raise Unauthenticated(
                f"{rpc}: this server needs an API key; send metadata 'authorization: Bearer KEY' "
                "(Client(api_key=...) or SEMSPACE_API_KEY)"
            )
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            # Not echoed: what came instead of a scheme may be the key itself.
            raise Unauthenticated(
                f"{rpc}: the authorization metadata must be 'Bearer KEY' (the word Bearer, a "
                "space, then the key)"
            )
        # Looking up a hash rather than comparing keys leaks nothing useful by timing.
        role = self.keys.get(hash_key(key.strip()))
        if role is None:
            raise Unauthenticated(f"{rpc}: the API key is not known to this server")
        if not role.allows(access):
            raise PermissionDenied(
                f"{rpc}: is a write and the API key is {role.value}; use a read-write key"
            )

    def describe(self) -> str:
        if not self.enabled:
            return "auth off: every caller may read and write"
        roles = [role.value for role in self.keys.values()]
        counts = ", ".join(f"{roles.count(r.value)} {r.value}" for r in Role)
        return f"auth on: API keys required ({counts})"


def load_key_store(settings: ServerSettings) -> KeyStore:
    """The keys from the settings; refuses to leave a non-loopback server open by accident."""
    keys: dict[str, Role] = {}
    if settings.api_keys_file is not None:
        keys.update(read_keys_file(settings.api_keys_file))
    keys.update(parse_keys_setting(settings.api_keys))
    if settings.auth == "off":
        return KeyStore(enabled=False, keys={})
    enabled = settings.auth == "on" or bool(keys) or not is_loopback(settings.host)
    if enabled and not keys:
        raise AuthConfigError(
            f"auth is on (host {settings.host} is not loopback, or SEMSPACE_AUTH=on) but no API "
            "keys are set: set SEMSPACE_API_KEYS_FILE or SEMSPACE_API_KEYS (see `semspace "
            "keygen`), or SEMSPACE_AUTH=off to serve without keys on a trusted network"
        )
    return KeyStore(enabled=enabled, keys=keys)
