"""Command line: `train word2vec`, `train tokenizer`, `eval words`, `plot words`, import/export.

Heavy imports (torch, sentencepiece, matplotlib) happen inside the handlers.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from semspace.locations import default_artifacts_dir, default_data_dir

log = logging.getLogger(__name__)

DEFAULT_SPACE = "words"
TEXT8_CANDIDATES = ("text8/text8.zip", "text8.zip", "text8/text8", "text8")
ENGLISH_MIX = "english-mix/english-mix.zip"


def default_corpus(data_dir: Path) -> Path | None:
    """text8 when present in the data dir, else english-mix, else None."""
    for name in (*TEXT8_CANDIDATES, ENGLISH_MIX):
        if (Path(data_dir) / name).is_file():
            return Path(data_dir) / name
    return None


def train_default_space(
    data_dir: Path, artifacts_dir: Path, *, allow_download: bool = False
) -> Path | None:
    """Trains the default word space `words` unless it exists; None when no corpus is found.

    Plain skip-gram, 100-d, window 5, negative 5, sample 1e-3, min_count 5: 5 epochs on
    english-mix, 2 on text8 (6x larger), so it finishes in a few minutes on 2 cores.
    """
    from semspace.trainers.words.space import WordSpaceConfig, train_words, write_word_space
    from semspace.trainers.words.word2vec import Word2VecConfig

    existing = Path(artifacts_dir) / DEFAULT_SPACE
    if (existing / "manifest.json").exists():
        return existing
    corpus = default_corpus(data_dir)
    if allow_download and (corpus is None or "text8" not in corpus.name):
        from semspace.trainers.words.text8 import fetch_text8

        try:
            corpus = fetch_text8(data_dir)
        except OSError as error:
            log.warning("%s; training on %s instead", error, corpus or "nothing")
    if corpus is None:
        log.warning("no text8 or english-mix corpus under %s: default word space skipped", data_dir)
        return None
    epochs = 2 if "text8" in corpus.name else 5
    config = WordSpaceConfig(
        corpus=str(corpus), word2vec=Word2VecConfig.from_preset("plain-skipgram", epochs=epochs)
    )
    eval_dir = Path(data_dir) / "eval"
    trained = train_words(config, eval_dir if eval_dir.is_dir() else None)
    return write_word_space(trained, config, artifacts_dir, DEFAULT_SPACE)


def _add_word2vec_flags(parser: argparse.ArgumentParser) -> None:
    from semspace.trainers.words.word2vec import Word2VecConfig

    for name, field in Word2VecConfig.model_fields.items():
        flag = "--" + name.replace("_", "-")
        if field.annotation is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None)
        else:
            parser.add_argument(flag, default=None, help=field.description)


def _word2vec_config(args: argparse.Namespace) -> Any:
    from semspace.trainers.words.word2vec import Word2VecConfig

    given = {
        n: getattr(args, n) for n in Word2VecConfig.model_fields if getattr(args, n) is not None
    }
    preset = given.pop("preset", None)
    if preset is not None:
        return Word2VecConfig.from_preset(preset, **given)
    return Word2VecConfig.model_validate(given)


def _train_word2vec(args: argparse.Namespace) -> int:
    from semspace.trainers.words.space import WordSpaceConfig, train_words, write_word_space

    corpus = args.corpus or default_corpus(default_data_dir())
    if corpus is None:
        raise SystemExit("no --corpus given and no text8/english-mix under the data dir")
    config = WordSpaceConfig(corpus=str(corpus), word2vec=_word2vec_config(args))
    eval_dir = args.eval_dir or default_data_dir() / "eval"
    trained = train_words(config, eval_dir if Path(eval_dir).is_dir() else None)
    path = write_word_space(trained, config, args.artifacts_dir, args.name)
    log.info("wrote %s", path)
    sys.stdout.write(json.dumps(trained.evaluation, indent=2) + "\n")
    return 0


def _train_tokenizer(args: argparse.Namespace) -> int:
    from semspace.trainers.words.tokenizer import TokenizerConfig, train_tokenizer

    config = TokenizerConfig(vocab_size=args.vocab_size)
    tokenizer = train_tokenizer(Path(args.corpus), config)
    Path(args.out).write_bytes(tokenizer.processor.serialized_model_proto())
    log.info("wrote %s (%d pieces)", args.out, tokenizer.vocab_size)
    return 0


def _eval_words(args: argparse.Namespace) -> int:
    from semspace.artifact import load_artifact, update_evaluation
    from semspace.trainers.words.evaluate import evaluate_space

    artifact = load_artifact(Path(args.space_dir))
    figures = evaluate_space(
        artifact.vectors, artifact.ids, args.eval_dir or default_data_dir() / "eval"
    )
    sys.stdout.write(json.dumps(figures, indent=2) + "\n")
    if args.write:
        update_evaluation(Path(args.space_dir), figures)
    return 0


def _plot_words(args: argparse.Namespace) -> int:
    from semspace.trainers.words.plot import plot_groups

    plot_groups(Path(args.space_dir), Path(args.out), args.groups)
    log.info("wrote %s", args.out)
    return 0


def _export_w2v(args: argparse.Namespace) -> int:
    from semspace.artifact import load_artifact
    from semspace.trainers.words.w2v_format import write_word2vec

    artifact = load_artifact(Path(args.space_dir))
    write_word2vec(Path(args.out), artifact.ids, artifact.vectors, binary=args.binary)
    return 0


def _import_w2v(args: argparse.Namespace) -> int:
    from semspace.trainers.words.space import import_word2vec

    path = import_word2vec(Path(args.file), Path(args.artifacts_dir), args.name, args.binary)
    log.info("wrote %s", path)
    return 0


def register(train_parsers: Any, eval_parsers: Any, plot_parsers: Any) -> None:
    """Adds `train word2vec`, `train tokenizer`, `eval words` and `plot words`."""
    w2v = train_parsers.add_parser("word2vec", help="train a Word2Vec word space")
    w2v.add_argument("--corpus", type=Path, help="text8-format file, zip or plain text")
    w2v.add_argument("--artifacts-dir", type=Path, default=default_artifacts_dir())
    w2v.add_argument("--name", default=DEFAULT_SPACE)
    w2v.add_argument("--eval-dir", type=Path, help="questions-words.txt + wordsim353.tsv")
    _add_word2vec_flags(w2v)
    w2v.set_defaults(func=_train_word2vec)

    tok = train_parsers.add_parser("tokenizer", help="train a SentencePiece BPE tokenizer")
    tok.add_argument("--corpus", type=Path, required=True)
    tok.add_argument("--out", type=Path, required=True)
    tok.add_argument("--vocab-size", type=int, default=8000)
    tok.set_defaults(func=_train_tokenizer)

    ev = eval_parsers.add_parser("words", help="analogies (30k, gensim-style) and WordSim-353")
    ev.add_argument("--space-dir", type=Path, required=True)
    ev.add_argument("--eval-dir", type=Path)
    ev.add_argument("--write", action="store_true", help="store the figures in the manifest")
    ev.set_defaults(func=_eval_words)

    plot = plot_parsers.add_parser("words", help="PCA 2-D plot of word groups")
    plot.add_argument("--space-dir", type=Path, required=True)
    plot.add_argument("--out", type=Path, required=True)
    plot.add_argument(
        "--groups", nargs="+", default=["countries", "capitals"],
        help="built-in group names (countries, capitals, numbers) or name=w1,w2,...",
    )  # fmt: skip
    plot.set_defaults(func=_plot_words)


def register_io(root_parsers: Any) -> None:
    """Adds top-level `export-w2v` and `import-w2v` (word2vec text/binary format)."""
    export = root_parsers.add_parser("export-w2v", help="write a space in word2vec format")
    export.add_argument("--space-dir", type=Path, required=True)
    export.add_argument("--out", type=Path, required=True)
    export.add_argument("--binary", action="store_true")
    export.set_defaults(func=_export_w2v)

    imp = root_parsers.add_parser("import-w2v", help="make a word space from a word2vec file")
    imp.add_argument("file", type=Path)
    imp.add_argument("--artifacts-dir", type=Path, default=default_artifacts_dir())
    imp.add_argument("--name", required=True)
    imp.add_argument("--binary", action=argparse.BooleanOptionalAction, default=None)
    imp.set_defaults(func=_import_w2v)
