"""CLI commands that run here: the server, the trainers, evaluation and plots."""

from __future__ import annotations

import argparse
import importlib
import logging
from pathlib import Path

log = logging.getLogger(__name__)

# Trainer families, each a module with register(train, eval, plot) that adds its subcommands.
TRAINER_CLIS = ("semspace.trainers.images.cli", "semspace.trainers.words.cli")


def cmd_serve(args: argparse.Namespace) -> int:
    from semspace.server.logging_setup import configure_logging
    from semspace.server.settings import ServerSettings

    flags = ("host", "port", "artifacts_dir", "data_dir", "workers")
    overrides = {name: getattr(args, name) for name in flags if getattr(args, name) is not None}
    settings = ServerSettings(**overrides)
    configure_logging(settings.log_format, logging.getLogger().level or logging.INFO)
    # Imported after the logging set-up: importing FAISS already logs.
    from semspace.server.app import serve

    serve(settings)
    return 0


def cmd_train_defaults(args: argparse.Namespace) -> int:
    from semspace.trainers.defaults import train_default_spaces

    try:
        made = train_default_spaces(
            args.data_dir, args.artifacts_dir, allow_download=not args.offline
        )
    except ModuleNotFoundError as error:
        raise OSError(
            f"training needs the trainers' dependencies ({error}): pip install 'semspace[train]'"
        ) from None
    log.info("default spaces ready in %s: %s", args.artifacts_dir, ", ".join(made) or "none")
    return 0


def register(
    commands: argparse._SubParsersAction,
    data_dir: Path,
    artifacts_dir: Path,
    with_trainers: bool = True,
) -> None:
    p = commands.add_parser("serve", help="run the gRPC server (flags override SEMSPACE_* env)")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--artifacts-dir", type=Path)
    p.add_argument("--data-dir", type=Path)
    p.add_argument("--workers", type=int)
    p.set_defaults(func=cmd_serve)

    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument(
        "--data-dir", type=Path, default=data_dir, help="datasets (env SEMSPACE_DATA_DIR)"
    )
    shared.add_argument(
        "--artifacts-dir",
        type=Path,
        default=artifacts_dir,
        help="spaces (env SEMSPACE_ARTIFACTS_DIR)",
    )
    train = commands.add_parser("train", help="train spaces").add_subparsers(
        dest="trainer", required=True, metavar="TRAINER"
    )
    evaluate = commands.add_parser("eval", help="evaluate spaces").add_subparsers(
        dest="evaluation", required=True, metavar="KIND"
    )
    plot = commands.add_parser("plot", help="draw pictures of spaces").add_subparsers(
        dest="plot", required=True, metavar="KIND"
    )
    p = train.add_parser("defaults", parents=[shared], help="train every missing default space")
    p.add_argument("--offline", action="store_true", help="never download datasets")
    p.set_defaults(func=cmd_train_defaults)
    for module_name in TRAINER_CLIS if with_trainers else ():
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:  # a client-only install has no trainers
            log.debug("trainer commands of %s unavailable: %s", module_name, error)
            continue
        module.register(train, evaluate, plot)
        if hasattr(module, "register_io"):
            module.register_io(commands)
