"""Word2Vec benchmark on english-mix: ours vs gensim (plain) and ours (subwords) vs fastText.

Same hyper-parameters for all (100-d, window 5, negative 5, sample 1e-3, min_count 5, 5 epochs,
2 threads). Each system trains in its own subprocess, so peak RSS is its own (os.wait4: the
largest process of its tree; our two worker processes share the tables and count once). words/s is
raw corpus words × epochs / training seconds (vocabulary building excluded where the library lets
us time it apart; fastText's single call includes it). Writes bench/results/w2v.json and w2v.md.

    python bench/bench_w2v.py [--data-dir ../shared/data] [--only ours-sg gensim-sg ...]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

log = logging.getLogger("bench_w2v")
RESULTS = Path(__file__).parent / "results"
HYPER = {"dim": 100, "window": 5, "negative": 5, "sample": 1e-3, "min_count": 5, "epochs": 5}
SYSTEMS = [
    "ours-sg", "gensim-sg", "ours-cbow", "gensim-cbow",
    "ours-subword-sg", "fasttext-sg", "ours-subword-cbow", "fasttext-cbow",
]  # fmt: skip


def figures(vectors: Any, words: list[str], eval_dir: Path) -> dict[str, Any]:
    from semspace.trainers.words.evaluate import evaluate_space

    ev = evaluate_space(vectors, words, eval_dir)
    return {
        "analogy_3cosadd": ev["analogy_3cosadd"]["accuracy"],
        "analogy_3cosmul": ev["analogy_3cosmul"]["accuracy"],
        "analogy_answered": ev["analogy_3cosadd"]["answered"],
        "wordsim353": ev["wordsim353"]["spearman"],
    }


def run_ours(name: str, corpus: Path, eval_dir: Path, extra: dict[str, Any]) -> dict[str, Any]:
    from semspace.trainers.words.space import WordSpaceConfig, train_words
    from semspace.trainers.words.word2vec import Word2VecConfig

    architecture = "cbow" if name.endswith("cbow") else "skipgram"
    preset = ("subword-" if "subword" in name else "plain-") + architecture
    w2v = Word2VecConfig.from_preset(preset, **HYPER, threads=2, **extra)
    config = WordSpaceConfig(corpus=str(corpus), word2vec=w2v)
    trained = train_words(config, None)
    out = {"train_seconds": trained.stats.seconds, "oov_holdout": trained.evaluation["oov_holdout"]}
    out |= figures(trained.vectors, trained.words, eval_dir)
    out["config"] = w2v.model_dump(mode="json")
    return out


def run_gensim(name: str, text: Path, eval_dir: Path) -> dict[str, Any]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from gensim.models import Word2Vec
        from gensim.models.word2vec import Text8Corpus

    sentences = list(Text8Corpus(str(text)))
    model = Word2Vec(
        vector_size=HYPER["dim"], window=HYPER["window"], negative=HYPER["negative"],
        sample=HYPER["sample"], min_count=HYPER["min_count"], workers=2,
        sg=int(name.endswith("sg")), seed=1,
    )  # fmt: skip
    model.build_vocab(sentences)
    started = time.perf_counter()
    model.train(sentences, total_examples=model.corpus_count, epochs=HYPER["epochs"])
    seconds = time.perf_counter() - started
    return {"train_seconds": seconds} | figures(model.wv.vectors, model.wv.index_to_key, eval_dir)


def run_fasttext(name: str, text: Path, eval_dir: Path) -> dict[str, Any]:
    import fasttext
    import numpy as np

    started = time.perf_counter()
    model = fasttext.train_unsupervised(
        str(text), model="skipgram" if name.endswith("sg") else "cbow", dim=HYPER["dim"],
        ws=HYPER["window"], neg=HYPER["negative"], t=HYPER["sample"], minCount=HYPER["min_count"],
        epoch=HYPER["epochs"], thread=2, verbose=0,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    words = model.get_words()
    vectors = np.stack([model.get_word_vector(w) for w in words])
    return {"train_seconds": seconds} | figures(vectors, words, eval_dir)


def child(name: str, data_dir: Path, text: Path, out: Path, extra: dict[str, Any]) -> None:
    eval_dir = data_dir / "eval"
    if name.startswith("ours"):
        result = run_ours(name, data_dir / "english-mix" / "english-mix.zip", eval_dir, extra)
    elif name.startswith("gensim"):
        result = run_gensim(name, text, eval_dir)
    else:
        result = run_fasttext(name, text, eval_dir)
    out.write_text(json.dumps(result))


def run_child(name: str, args: argparse.Namespace, text: Path, scratch: Path) -> dict[str, Any]:
    out = scratch / f"{name}.json"
    command = [sys.executable, __file__, "--child", name, "--data-dir", str(args.data_dir)]
    command += ["--text", str(text), "--out", str(out), "--extra", json.dumps(args.extra)]
    started = time.perf_counter()
    # The machine is shared: the 1-minute load average around each run says how busy it was.
    load_before = os.getloadavg()[0]
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise RuntimeError(f"{name} failed with status {status}")
    result = json.loads(out.read_text())
    result["total_seconds"] = time.perf_counter() - started
    result["peak_rss_mib"] = usage.ru_maxrss / 1024
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    result["load_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return result


def markdown(results: dict[str, dict[str, Any]], raw_words: int) -> str:
    lines = [
        "| system | words/s | × ref | analogy 3CosAdd (30k) | 3CosMul | WordSim-353 | RSS MiB "
        "| load before/after |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        ref = {"ours-sg": "gensim-sg", "ours-cbow": "gensim-cbow", "ours-subword-sg": "fasttext-sg",
               "ours-subword-cbow": "fasttext-cbow"}.get(name)  # fmt: skip
        ratio = (
            f"{r['words_per_second'] / results[ref]['words_per_second']:.2f}"
            if ref in results
            else ""
        )
        lines.append(
            f"| {name} | {r['words_per_second'] / 1e6:.3f} M | {ratio} "
            f"| {r['analogy_3cosadd']:.2%} | {r['analogy_3cosmul']:.2%} | {r['wordsim353']:.3f} "
            f"| {r['peak_rss_mib']:.0f} | {r['load_1min'][0]:.1f} / {r['load_1min'][1]:.1f} |"
        )
    return (
        "\n".join(lines) + f"\n\nCorpus english-mix, {raw_words:,} words × 5 epochs, 2 threads.\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    parser.add_argument("--only", nargs="+", choices=SYSTEMS, default=SYSTEMS)
    parser.add_argument("--extra", type=json.loads, default={}, help="overrides for our config")
    parser.add_argument("--tag", default="w2v", help="results file name")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--text", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.child:
        child(args.child, args.data_dir, args.text, args.out, args.extra)
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        with zipfile.ZipFile(args.data_dir / "english-mix" / "english-mix.zip") as archive:
            archive.extractall(scratch)
        text = Path(scratch) / "english-mix"
        raw_words = len(text.read_bytes().split())
        results = {}
        for name in args.only:
            result = run_child(name, args, text, Path(scratch))
            result["words_per_second"] = raw_words * HYPER["epochs"] / result["train_seconds"]
            results[name] = result
            log.info(
                "%s: %s",
                name,
                {k: v for k, v in result.items() if k not in ("config", "oov_holdout")},
            )
    RESULTS.mkdir(parents=True, exist_ok=True)
    date = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    report = {"corpus": "english-mix", "raw_words": raw_words, "hyper": HYPER, "threads": 2,
              "date": date, "cores": os.cpu_count(), "results": results}  # fmt: skip
    (RESULTS / f"{args.tag}.json").write_text(json.dumps(report, indent=2))
    (RESULTS / f"{args.tag}.md").write_text(markdown(results, raw_words))
    sys.stdout.write(markdown(results, raw_words))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
