"""Loopback load: a real `semspace serve` process, many concurrent AsyncClient calls mixing
search (a user space), embed (a tiny word space trained here) and upsert, bounded by time and
by request count. Any error fails the run.

    python bench/load.py --concurrency 64 --seconds 60        # make soak
    python bench/load.py --concurrency 8 --seconds 3 --out /tmp/x --tag ci

Writes <out>/load-<tag>.json and .md: per operation count, p50/p99 latency, errors, and the
overall throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
from machine import machine

from semspace.client import AsyncClient, Client, SemspaceError

RESULTS = Path(__file__).resolve().parent / "results"
LISTENING = re.compile(r"semspace listening on (\S+)")
DIM = 32
SEED_POINTS = 10_000
UPSERT_BATCH = 4
VOCABULARY = [
    f"{stem}{n}" for stem in ("red", "blue", "cat", "dog", "sun", "sea") for n in range(8)
]


def train_word_space(artifacts: Path) -> None:
    """A tiny but real Word2Vec + BPE word space, so that Embed runs the served model."""
    from semspace.trainers.words.space import WordSpaceConfig, train_words, write_word_space
    from semspace.trainers.words.tokenizer import TokenizerConfig
    from semspace.trainers.words.word2vec import Word2VecConfig

    rng = np.random.default_rng(0)
    corpus = artifacts.parent / "corpus.txt"
    lines = (" ".join(rng.choice(VOCABULARY, size=6)) for _ in range(3000))
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = WordSpaceConfig(
        corpus=str(corpus),
        word2vec=Word2VecConfig(
            dim=16, window=2, sample=0, min_count=1, epochs=1, threads=1, pieces=300
        ),
        tokenizer=TokenizerConfig(input_sentence_size=3000),
        oov_holdout=0,
    )
    write_word_space(train_words(config, None), config, artifacts, "words")


def start_server(artifacts: Path, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`semspace serve` on 127.0.0.1, port 0; its log goes to a file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEMSPACE_")}
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "semspace",
            "serve",
            "--port",
            "0",
            "--artifacts-dir",
            str(artifacts),
        ],
        stderr=log,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if match := LISTENING.search(log_path.read_text(errors="replace")):
            address = match.group(1)
            with Client(address, timeout=5) as client:
                while client.health() != "SERVING":
                    time.sleep(0.05)
            return process, address
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"the server did not start:\n{log_path.read_text(errors='replace')}")


class Recorder:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = {"search": [], "embed": [], "upsert": []}
        self.errors: Counter[str] = Counter()


async def worker(
    client: AsyncClient,
    number: int,
    recorder: Recorder,
    stop_at: float,
    budget: list[int],
    mix: dict[str, float],
) -> None:
    rng = np.random.default_rng(1000 + number)
    operations, weights = list(mix), np.array(list(mix.values()))
    written = 0
    while time.monotonic() < stop_at and budget[0] > 0:
        budget[0] -= 1
        operation = operations[rng.choice(len(operations), p=weights / weights.sum())]
        began = time.perf_counter()
        try:
            if operation == "search":
                hits = await client.search("load", rng.normal(size=DIM), k=10)
                assert len(hits) == 10
            elif operation == "embed":
                words = rng.choice(VOCABULARY, size=3)
                result = await client.embed("words", [str(words[0]), " ".join(words)])
                assert result.vectors.shape == (2, 16)
            else:
                ids = [f"w{number}-{written + i}" for i in range(UPSERT_BATCH)]
                await client.upsert("load", ids, rng.normal(size=(UPSERT_BATCH, DIM)))
                written += UPSERT_BATCH
        except (SemspaceError, AssertionError) as error:
            recorder.errors[f"{operation}: {type(error).__name__}: {error}"[:200]] += 1
            continue
        recorder.latencies[operation].append(time.perf_counter() - began)


async def run_load(address: str, args: argparse.Namespace, recorder: Recorder) -> float:
    mix = {"search": args.search, "embed": args.embed, "upsert": args.upsert}
    budget = [args.max_requests]
    async with AsyncClient(address, timeout=30) as client:
        await client.search("load", np.ones(DIM), k=10)  # connect before the clock starts
        began = time.monotonic()
        stop_at = began + args.seconds
        await asyncio.gather(
            *(worker(client, n, recorder, stop_at, budget, mix) for n in range(args.concurrency))
        )
        return time.monotonic() - began


def summarise(recorder: Recorder, seconds: float, args: argparse.Namespace) -> dict:
    operations = {}
    for name, samples in recorder.latencies.items():
        ms = np.array(samples) * 1e3
        operations[name] = {
            "count": len(samples),
            "p50_ms": round(float(np.percentile(ms, 50)), 3) if len(ms) else None,
            "p99_ms": round(float(np.percentile(ms, 99)), 3) if len(ms) else None,
        }
    everything = np.concatenate([np.array(s) for s in recorder.latencies.values()]) * 1e3
    total = len(everything)
    return {
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "concurrency": args.concurrency,
        "seconds": round(seconds, 2),
        "requests": total,
        "errors": sum(recorder.errors.values()),
        "error_kinds": dict(recorder.errors),
        "throughput_per_s": round(total / seconds, 1) if seconds else 0.0,
        "p50_ms": round(float(np.percentile(everything, 50)), 3) if total else None,
        "p99_ms": round(float(np.percentile(everything, 99)), 3) if total else None,
        "operations": operations,
        "machine": machine(),
    }


def markdown(summary: dict) -> str:
    lines = [
        f"# Load: concurrency {summary['concurrency']}, {summary['seconds']} s",
        "",
        f"`{summary['command']}`: {summary['requests']:,} requests, "
        f"{summary['throughput_per_s']:,} per second, {summary['errors']} errors "
        f"(client and server on one machine: {summary['machine']['cpus']} CPUs, "
        f"load average {summary['machine']['load_average_1m']}).",
        "",
        "| operation | requests | p50 ms | p99 ms |",
        "|---|---|---|---|",
    ]
    for name, figures in summary["operations"].items():
        lines.append(
            f"| {name} | {figures['count']:,} | {figures['p50_ms']} | {figures['p99_ms']} |"
        )
    lines.append(f"| all | {summary['requests']:,} | {summary['p50_ms']} | {summary['p99_ms']} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0, help="stop after this long")
    parser.add_argument("--max-requests", type=int, default=1_000_000, help="or after this many")
    parser.add_argument("--search", type=float, default=0.6, help="share of searches")
    parser.add_argument("--embed", type=float, default=0.2, help="share of embeds")
    parser.add_argument("--upsert", type=float, default=0.2, help="share of upserts")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--tag", default="load")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        artifacts = Path(scratch) / "artifacts"
        artifacts.mkdir()
        train_word_space(artifacts)
        process, address = start_server(artifacts, Path(scratch) / "server.log")
        try:
            with Client(address, timeout=60) as client:
                client.create_space("load", DIM, "cosine")
                points = np.random.default_rng(0).normal(size=(SEED_POINTS, DIM))
                client.upsert("load", [f"seed{i}" for i in range(SEED_POINTS)], points)
            recorder = Recorder()
            seconds = asyncio.run(run_load(address, args, recorder))
        finally:
            process.terminate()
            process.wait(timeout=60)
    summary = summarise(recorder, seconds, args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"load-{args.tag}.json").write_text(json.dumps(summary, indent=2) + "\n")
    (args.out / f"load-{args.tag}.md").write_text(markdown(summary))
    print(markdown(summary))
    for kind, count in recorder.errors.items():
        print(f"error x{count}: {kind}", file=sys.stderr)
    return 1 if summary["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
