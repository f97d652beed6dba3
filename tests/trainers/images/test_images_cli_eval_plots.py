"""The command line, the evaluation figures and the plots, on tiny spaces."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from semspace.artifact import Metric, load_artifact
from semspace.trainers.images.cli import DEFAULT_SPACES, register, train_default_spaces
from semspace.trainers.images.evaluate import evaluate_space, knn_predict
from semspace.trainers.images.idx import DatasetError
from semspace.trainers.images.plots import plot_space


def top_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="semspace")
    groups = parser.add_subparsers(dest="command", required=True)
    train = groups.add_parser("train").add_subparsers(dest="trainer", required=True)
    evaluate = groups.add_parser("eval").add_subparsers(dest="what", required=True)
    plot = groups.add_parser("plot").add_subparsers(dest="what", required=True)
    register(train, evaluate, plot)
    return parser


def test_knn_predict_votes_by_majority_and_breaks_ties_by_rank() -> None:
    train = np.array([[0.0], [1.0], [2.0], [10.0], [11.0]], np.float32)
    labels = np.array([0, 0, 1, 1, 2])
    assert knn_predict(train, labels, np.array([[0.1]], np.float32), Metric.L2, k=3)[0] == 0
    # Neighbours of 10.4: 10 (1), 11 (2): a 1-1 tie that the nearer class wins.
    assert knn_predict(train, labels, np.array([[10.4]], np.float32), Metric.L2, k=2)[0] == 1


def test_cli_flags_map_onto_the_vae_config(tmp_path: Path, fashion_dir: Path) -> None:
    args = top_parser().parse_args(
        [
            *("train", "vae", "--offline", "--data-dir", str(fashion_dir)),
            *("--artifacts-dir", str(tmp_path), "--epochs", "1", "--train-limit", "128"),
            *("--latent-dim", "3", "--beta", "0.5", "--name", "cli-vae", "--seed", "7"),
        ]
    )
    assert args.func(args) == 0
    config = load_artifact(tmp_path / "cli-vae").manifest.producer.config
    assert config["net"]["latent_dim"] == 3 and config["beta"] == 0.5 and config["seed"] == 7
    assert config["net"]["hidden"] == 256  # untouched flags keep the preset's value


def test_cnn_command_names_the_gram_space_after_the_cnn_space() -> None:
    args = top_parser().parse_args(["train", "cnn", "--name", "mnist-cnn", "--channels", "8,16"])
    assert args.channels == (8, 16) and args.gram_name is None and not args.no_gram
    assert args.func.__name__ == "run_train_cnn"


def test_evaluation_is_merged_into_the_manifest(
    tiny_spaces: dict[str, Path], fashion_dir: Path
) -> None:
    figures = evaluate_space(tiny_spaces["vae"], fashion_dir, test_limit=2000)
    assert 0.1 < figures["knn5_accuracy"] <= 1.0
    assert figures["loss_per_image"] > figures["kl_per_image"] > 0
    floor = figures["reconstruction_bce_floor_per_image"]
    assert figures["reconstruction_bce_per_image"] > floor > 0
    stored = load_artifact(tiny_spaces["vae"]).manifest.evaluation
    assert stored["test"]["knn5_accuracy"] == figures["knn5_accuracy"]
    assert "training" in stored


def test_cnn_evaluation_reports_classifier_accuracy(
    tiny_spaces: dict[str, Path], fashion_dir: Path
) -> None:
    figures = evaluate_space(tiny_spaces["cnn"], fashion_dir, test_limit=2000)
    assert 0.3 < figures["classifier_accuracy"] <= 1.0
    assert figures["metric"] == "cosine"


def test_plots_are_written_as_pngs(
    tiny_spaces: dict[str, Path], fashion_dir: Path, tmp_path: Path
) -> None:
    args = top_parser().parse_args(
        [
            *(
                "plot",
                "images",
                "--offline",
                "--out",
                str(tmp_path),
                "--data-dir",
                str(fashion_dir),
            ),
            *("--space-dir", str(tiny_spaces["vae"]), str(tiny_spaces["cnn"])),
        ]
    )
    assert args.func(args) == 0
    names = sorted(p.name for p in tmp_path.glob("*.png"))
    assert names == [
        "tiny-cnn-projection.png",
        "tiny-vae-interpolation.png",
        "tiny-vae-projection.png",
        "tiny-vae-reconstructions.png",
        "tiny-vae-samples.png",
    ]
    with Image.open(tmp_path / "tiny-vae-samples.png") as image:
        assert image.size[0] > 200


def test_default_spaces_that_exist_are_not_retrained(tmp_path: Path) -> None:
    for name in DEFAULT_SPACES:
        (tmp_path / name).mkdir()
        (tmp_path / name / "manifest.json").write_text("{}")
    assert train_default_spaces(tmp_path / "no-data", tmp_path) == [
        tmp_path / n for n in DEFAULT_SPACES
    ]


def test_plot_space_needs_the_test_split(tiny_spaces: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"t10k-images-idx3-ubyte\.gz is missing"):
        plot_space(tiny_spaces["vae"], tmp_path, tmp_path / "out")
