"""Command-line side of the image trainers: `train autoencoder|vae|cnn`, `eval images`,
`plot images`, wired into the top-level `semspace` CLI through `register`.

Handlers import torch and the trainers only when they run, so `semspace --help` stays fast.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from semspace.locations import default_artifacts_dir, default_data_dir

log = logging.getLogger(__name__)

DEFAULT_SPACES = ("fashion-vae", "fashion-cnn", "fashion-gram")


def add_data_flags(parser: argparse.ArgumentParser) -> None:
    """--data-dir and --offline."""
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=default_data_dir(),
        help="holds <dataset>/*.gz (env SEMSPACE_DATA_DIR, else ~/.cache/semspace/data)",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="never download; by default missing files come from their canonical URLs, "
        "checked by sha256",
    )


def add_training_flags(parser: argparse.ArgumentParser) -> None:
    """Flags every trainer shares; None means 'keep the preset's value'."""
    add_data_flags(parser)
    parser.add_argument("--preset", choices=["quick", "quality"], default="quick")
    parser.add_argument("--dataset", choices=["fashion-mnist", "mnist"])
    parser.add_argument(
        "--artifacts-dir",
        type=Path,
        default=default_artifacts_dir(),
        help="where the space is written (env SEMSPACE_ARTIFACTS_DIR, else ./artifacts)",
    )
    parser.add_argument("--name", help="space name (default: <fashion|mnist>-<model>)")
    parser.add_argument("--device", help="cpu (default) or cuda")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--lr", type=float, help="peak learning rate of the one-cycle schedule")
    parser.add_argument("--train-limit", type=int, help="use only the first N training images")


def add_autoencoder_flags(parser: argparse.ArgumentParser) -> None:
    """Network and loss flags of the autoencoder and the VAE."""
    parser.add_argument("--latent-dim", type=int)
    parser.add_argument("--hidden", type=int, help="width of the dense layer")
    parser.add_argument("--reconstruction", choices=["bce", "mse"])


def add_cnn_flags(parser: argparse.ArgumentParser) -> None:
    """Network, augmentation and Gram-space flags of the CNN."""
    parser.add_argument("--embedding-dim", type=int, help="width of the penultimate layer")
    parser.add_argument(
        "--channels", type=lambda s: tuple(int(c) for c in s.split(",")), help="e.g. 32,64"
    )
    parser.add_argument("--dropout", type=float)
    parser.add_argument("--augment-flip", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--gram-name", help="Gram space name (default: <name> with -cnn -> -gram)")
    parser.add_argument("--no-gram", action="store_true", help="do not build the Gram space")
    parser.add_argument("--gram-dim", type=int, help="PCA output size of the Gram space")
    parser.add_argument(
        "--gram-layers", type=lambda s: tuple(int(c) for c in s.split(",")), help="e.g. 0,1"
    )


def config_overrides(args: argparse.Namespace, mapping: dict[str, str]) -> dict[str, Any]:
    """Nested config overrides from the flags that were given; mapping: flag -> 'a.b' path."""
    overrides: dict[str, Any] = {}
    for flag, dotted in mapping.items():
        value = getattr(args, flag, None)
        if value is None:
            continue
        *parents, leaf = dotted.split(".")
        target = overrides
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    return overrides


COMMON = {f: f for f in ("dataset", "device", "seed", "epochs", "batch_size", "lr", "train_limit")}
AUTOENCODER = COMMON | {
    "latent_dim": "net.latent_dim",
    "hidden": "net.hidden",
    "reconstruction": "reconstruction",
}
CNN = COMMON | {
    "embedding_dim": "net.embedding_dim",
    "channels": "net.channels",
    "dropout": "net.dropout",
    "augment_flip": "augment_flip",
    "gram_dim": "gram.dim",
    "gram_layers": "gram.layers",
}


def space_name(args: argparse.Namespace, dataset: str, model: str) -> str:
    """--name, else <short dataset name>-<model>: fashion-vae, mnist-cnn."""
    from semspace.trainers.images.idx import dataset_spec

    return args.name or f"{dataset_spec(dataset).short_name}-{model}"


def run_train_autoencoder(args: argparse.Namespace) -> int:
    """`train autoencoder`."""
    from semspace.trainers.images.autoencoders import train_autoencoder
    from semspace.trainers.images.config import AutoencoderConfig

    config = AutoencoderConfig.preset(args.preset, **config_overrides(args, AUTOENCODER))
    name = space_name(args, config.dataset, "autoencoder")
    path = train_autoencoder(
        config, args.data_dir, args.artifacts_dir, name, download=not args.offline
    )
    log.info("space written to %s", path)
    return 0


def run_train_vae(args: argparse.Namespace) -> int:
    """`train vae`."""
    from semspace.trainers.images.autoencoders import train_vae
    from semspace.trainers.images.config import VaeConfig

    overrides = config_overrides(args, AUTOENCODER | {"beta": "beta"})
    config = VaeConfig.preset(args.preset, **overrides)
    name = space_name(args, config.dataset, "vae")
    path = train_vae(config, args.data_dir, args.artifacts_dir, name, download=not args.offline)
    log.info("space written to %s", path)
    return 0


def run_train_cnn(args: argparse.Namespace) -> int:
    """`train cnn`, and its Gram space unless --no-gram."""
    from semspace.trainers.images.cnn import gram_space_name, train_cnn
    from semspace.trainers.images.config import CnnConfig

    config = CnnConfig.preset(args.preset, **config_overrides(args, CNN))
    name = space_name(args, config.dataset, "cnn")
    gram_name = None if args.no_gram else (args.gram_name or gram_space_name(name))
    path = train_cnn(
        config,
        args.data_dir,
        args.artifacts_dir,
        name,
        gram_name=gram_name,
        download=not args.offline,
    )
    log.info("space written to %s", path)
    return 0


def run_eval(args: argparse.Namespace) -> int:
    """`eval images`: figures per space (and raw pixels), merged into each manifest."""
    from semspace.trainers.images.evaluate import evaluate_space, raw_pixel_figures

    results: dict[str, Any] = {}
    for space_dir in args.space_dir:
        results[space_dir.name] = evaluate_space(
            space_dir, args.data_dir, download=not args.offline, device=args.device
        )
    if args.raw_pixels:
        results["raw-pixels"] = raw_pixel_figures(
            args.dataset, args.data_dir, download=not args.offline
        )
    text = json.dumps(results, indent=2)
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(text + "\n", encoding="utf-8")
    log.info("%s", text)
    return 0


def run_plot(args: argparse.Namespace) -> int:
    """`plot images`: PNGs per space into --out."""
    from semspace.trainers.images.plots import plot_space

    for space_dir in args.space_dir:
        plot_space(space_dir, args.data_dir, args.out, download=not args.offline)
    return 0


def register(
    train_parsers: argparse._SubParsersAction,
    eval_parsers: argparse._SubParsersAction,
    plot_parsers: argparse._SubParsersAction,
) -> None:
    """Adds `train autoencoder|vae|cnn`, `eval images` and `plot images` to the given groups."""
    for model, helptext, handler in (
        ("autoencoder", "convolutional autoencoder on Fashion-MNIST/MNIST", run_train_autoencoder),
        ("vae", "variational autoencoder on Fashion-MNIST/MNIST (vectors = μ)", run_train_vae),
        ("cnn", "CNN classifier (penultimate layer) and its Gram space", run_train_cnn),
    ):
        parser = train_parsers.add_parser(model, help=helptext)
        add_training_flags(parser)
        if model == "cnn":
            add_cnn_flags(parser)
        else:
            add_autoencoder_flags(parser)
        if model == "vae":
            parser.add_argument("--beta", type=float, help="weight of the KL term (1 = ELBO)")
        parser.set_defaults(func=handler)

    evaluator = eval_parsers.add_parser("images", help="test-set k-NN and model figures")
    evaluator.add_argument("--space-dir", type=Path, nargs="+", required=True)
    add_data_flags(evaluator)
    evaluator.add_argument("--device", default="cpu")
    evaluator.add_argument("--raw-pixels", action="store_true", help="add the raw-pixel baseline")
    evaluator.add_argument("--dataset", default="fashion-mnist", help="for --raw-pixels")
    evaluator.add_argument("--json-out", type=Path, help="also write the figures to this file")
    evaluator.set_defaults(func=run_eval)

    plotter = plot_parsers.add_parser("images", help="PNG figures of image spaces")
    plotter.add_argument("--space-dir", type=Path, nargs="+", required=True)
    plotter.add_argument("--out", type=Path, required=True, help="directory for the PNGs")
    add_data_flags(plotter)
    plotter.set_defaults(func=run_plot)


def train_default_spaces(
    data_dir: Path, artifacts_dir: Path, *, allow_download: bool = False
) -> list[Path]:
    """Trains the quick fashion-vae, fashion-cnn and fashion-gram spaces that are missing."""
    from semspace.artifact import MANIFEST
    from semspace.trainers.images.autoencoders import train_vae
    from semspace.trainers.images.cnn import train_cnn
    from semspace.trainers.images.config import CnnConfig, VaeConfig
    from semspace.trainers.images.gram import build_gram_space

    vae, cnn, gram = (Path(artifacts_dir) / name for name in DEFAULT_SPACES)
    if not (vae / MANIFEST).exists():
        train_vae(
            VaeConfig.preset("quick"), data_dir, artifacts_dir, vae.name, download=allow_download
        )
    if not (cnn / MANIFEST).exists():
        config = CnnConfig.preset("quick")
        train_cnn(
            config, data_dir, artifacts_dir, cnn.name, gram_name=gram.name, download=allow_download
        )
    elif not (gram / MANIFEST).exists():
        build_gram_space(cnn, data_dir, artifacts_dir, gram.name, download=allow_download)
    return [vae, cnn, gram]
