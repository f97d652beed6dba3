"""Image spaces end to end: train the quick presets, evaluate them on the test set, next to the
raw-pixel baseline. Each step runs as its own `semspace`-style command in a child process, so
its wall time and peak RSS are its own.

    python bench/images_eval.py --data-dir ../shared/data --artifacts-dir artifacts

Writes bench/results/images-eval.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def command_parser() -> argparse.ArgumentParser:
    """`train`, `eval` and `plot` groups with the image commands, as the top-level CLI has them."""
    from semspace.trainers.images.cli import register

    parser = argparse.ArgumentParser(prog="images_eval.py step")
    groups = parser.add_subparsers(dest="command", required=True)
    train = groups.add_parser("train").add_subparsers(dest="trainer", required=True)
    evaluate = groups.add_parser("eval").add_subparsers(dest="what", required=True)
    plot = groups.add_parser("plot").add_subparsers(dest="what", required=True)
    register(train, evaluate, plot)
    return parser


def run_step(argv: list[str]) -> dict[str, Any]:
    """Runs one command in a child process; its wall seconds and peak RSS (os.wait4)."""
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    child = subprocess.Popen([sys.executable, __file__, "step", *argv])
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"step failed ({child.returncode}): {' '.join(argv)}")
    return {
        "command": " ".join(argv),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),  # Linux reports KiB
        # The machine is shared: a 1-minute load above the 2 cores means the times are inflated.
        "load_average_1min": [load_before, round(os.getloadavg()[0], 2)],
    }


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "step":
        import logging

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
        args = command_parser().parse_args(sys.argv[2:])
        return args.func(args)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--artifacts-dir", type=Path, default=Path("artifacts"))
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--out", type=Path, default=RESULTS / "images-eval.json")
    args = parser.parse_args()
    data = ["--data-dir", str(args.data_dir), "--offline"]
    where = [*data, "--artifacts-dir", str(args.artifacts_dir), "--preset", args.preset]
    steps = {
        "train_vae": ["train", "vae", *where, "--latent-dim", "20", "--reconstruction", "bce"],
        "train_cnn": ["train", "cnn", *where],
        "train_autoencoder": ["train", "autoencoder", *where],
    }
    spaces = ["fashion-vae", "fashion-cnn", "fashion-gram", "fashion-autoencoder"]
    figures_path = args.out.with_suffix(".figures.json")
    steps["evaluate"] = [
        *("eval", "images", *data, "--raw-pixels", "--json-out", str(figures_path)),
        *("--space-dir", *(str(args.artifacts_dir / name) for name in spaces)),
    ]
    runs = {name: run_step(argv) for name, argv in steps.items()}
    figures = json.loads(figures_path.read_text("utf-8"))
    figures_path.unlink()
    for name in spaces:
        manifest = json.loads((args.artifacts_dir / name / "manifest.json").read_text("utf-8"))
        figures[name]["training"] = manifest["evaluation"].get("training", {})
    result = {
        "what": "Fashion-MNIST image spaces: test-set 5-NN against the training-set index, "
        f"{args.preset} presets",
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "steps": runs,
        "figures": figures,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
