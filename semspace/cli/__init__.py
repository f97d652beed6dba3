"""The `semspace` command: serve, train, evaluate, and talk to a running server."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from semspace import __version__
from semspace.cli import admin, index_commands, local, remote
from semspace.cli.connect import add_connection_flags
from semspace.client import SemspaceError
from semspace.locations import default_artifacts_dir, default_data_dir


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="semspace", description=__doc__)
    parser.add_argument("--version", action="version", version=f"semspace {__version__}")
    add_connection_flags(parser)
    parser.add_argument("-v", "--verbose", action="store_true")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    remote.register(commands)
    index_commands.register(commands, default_artifacts_dir())
    admin.register(commands)
    local.register(commands, default_data_dir(), default_artifacts_dir())
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args)
    except SemspaceError as error:
        print(f"error ({error.code}): {error.message}", file=sys.stderr)
        return 2
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
