"""Every RPC of semspace.v1.Semspace as a read or a write, in one table for both sides.

The server lets read-only API keys call reads alone; the client sends reads again when the
server is unavailable and never resends a write. Framework-free, so the client can import it.
"""

from __future__ import annotations

import enum


class Access(enum.Enum):
    READ = "read"
    WRITE = "write"


# Every RPC of semspace.v1.Semspace; tests/server/test_auth.py fails when one is missing.
RPC_ACCESS: dict[str, Access] = {
    "ListSpaces": Access.READ,
    "GetSpace": Access.READ,
    "CreateSpace": Access.WRITE,
    "DropSpace": Access.WRITE,
    "Upsert": Access.WRITE,
    "Delete": Access.WRITE,
    "SetPayloads": Access.WRITE,
    "Get": Access.READ,
    "Search": Access.READ,
    "Arithmetic": Access.READ,
    "Embed": Access.READ,
    "Tokenize": Access.READ,
    "Similarity": Access.READ,
    "DoesntMatch": Access.READ,
    "Decode": Access.READ,
    "Reconstruct": Access.READ,
    "Sample": Access.READ,
    "Interpolate": Access.READ,
    "Scroll": Access.READ,
    "Count": Access.READ,
    # Reload swaps what every caller sees: an admin action, so it needs a read-write key.
    "Reload": Access.WRITE,
    # Moving an alias changes what every caller naming it reads.
    "SetAlias": Access.WRITE,
    "DeleteAlias": Access.WRITE,
    "ListAliases": Access.READ,
}
