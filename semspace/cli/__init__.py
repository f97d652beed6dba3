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

# Commands whose subcommands the trainer packages add.
TRAINER_GROUPS = frozenset({"train", "eval", "plot"})


def build_parser(with_trainers: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="semspace", description=__doc__)
    parser.add_argument("--version", action="version", version=f"semspace {__version__}")
    add_global_flags(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    remote.register(commands)
    index_commands.register(commands, default_artifacts_dir())
    admin.register(commands)
    local.register(commands, default_data_dir(), default_artifacts_dir(), with_trainers)
    return parser


def add_global_flags(parser: argparse.ArgumentParser) -> None:
    add_connection_flags(parser)
    parser.add_argument("-v", "--verbose", action="store_true")


def parser_for(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The parser without trainer commands, unless the command line may name one. Trainer
    commands import torch to describe their flags (~2 s and ~150 MiB), which `serve` and the
    client commands never need."""
    light = build_parser(with_trainers=False)
    return build_parser() if needs_trainers(argv, light) else light


def needs_trainers(argv: Sequence[str], light: argparse.ArgumentParser) -> bool:
    """Whether the command is a trainer command, or unknown to `light` (or missing: help)."""
    first = argparse.ArgumentParser(add_help=False)
    add_global_flags(first)
    first.add_argument("command", nargs="?")
    known, _ = first.parse_known_args(argv)
    subcommands = next(a for a in light._actions if isinstance(a, argparse._SubParsersAction))
    return (
        known.command is None
        or known.command in TRAINER_GROUPS
        or known.command not in subcommands.choices
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser_for(argv).parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args)
    except SemspaceError as error:
        print(f"error ({error.code}): {error.message}", file=sys.stderr)
        return 2
    except (ValueError, OSError) as error:  # an ArtifactError too
        print(f"error: {error}", file=sys.stderr)
        return 2
