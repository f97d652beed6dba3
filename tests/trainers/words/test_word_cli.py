"""The word subcommands parse, run on real files, and import/export word2vec files."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from semspace.models.words import WordModel
from semspace.trainers.words.cli import register, register_io, train_default_space
from semspace.trainers.words.w2v_format import read_word2vec, write_word2vec


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="semspace")
    commands = root.add_subparsers(dest="command", required=True)
    groups = [
        commands.add_parser(n).add_subparsers(dest="what", required=True)
        for n in ("train", "eval", "plot")
    ]
    register(*groups)
    register_io(commands)
    return root


def test_default_space_is_skipped_without_a_corpus(tmp_path: Path) -> None:
    assert train_default_space(tmp_path / "no-data", tmp_path / "artifacts") is None


def test_import_export_and_eval_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    words = [f"w{i}" for i in range(400)] + ["king", "queen", "man", "woman"]
    vectors = np.random.default_rng(0).normal(size=(len(words), 8)).astype(np.float32)
    source = tmp_path / "in.bin"
    write_word2vec(source, words, vectors, binary=True)
    args = parser().parse_args(
        ["import-w2v", str(source), "--artifacts-dir", str(tmp_path / "a"), "--name", "imported"]
    )
    assert args.func(args) == 0
    space = tmp_path / "a" / "imported"
    model = WordModel.load(space)
    np.testing.assert_array_equal(model.embed(["king"])[0][0], vectors[words.index("king")])
    assert np.linalg.norm(model.embed(["kingdom"])[0][0]) > 0

    out = tmp_path / "out.txt"
    args = parser().parse_args(["export-w2v", "--space-dir", str(space), "--out", str(out)])
    assert args.func(args) == 0
    assert read_word2vec(out)[0] == words

    eval_dir = tmp_path / "eval"
    eval_dir.mkdir()
    (eval_dir / "questions-words.txt").write_text(": family\nman woman king queen\n")
    (eval_dir / "wordsim353.tsv").write_text("king\tqueen\t8\nman\twoman\t7\nw1\tw2\t1\n")
    args = parser().parse_args(
        ["eval", "words", "--space-dir", str(space), "--eval-dir", str(eval_dir), "--write"]
    )
    assert args.func(args) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["analogy_3cosadd"]["answered"] == 1
    assert figures["wordsim353"]["pairs"] == 3
    manifest = json.loads((space / "manifest.json").read_text())
    assert manifest["evaluation"]["wordsim353"]["pairs"] == 3


def test_word2vec_flags_map_onto_the_config() -> None:
    args = parser().parse_args(
        ["train", "word2vec", "--architecture", "cbow", "--dim", "32", "--subwords"]
    )
    from semspace.trainers.words.cli import _word2vec_config

    config = _word2vec_config(args)
    assert (config.architecture, config.dim, config.subwords) == ("cbow", 32, True)
    assert config.composition == "char-ngrams"


def test_subword_unit_flags_choose_what_unseen_words_are_composed_of() -> None:
    from semspace.trainers.words.cli import _word2vec_config

    flags = ["train", "word2vec", "--subwords", "--buckets", "1000", "--ngram-max", "5"]
    config = _word2vec_config(parser().parse_args(flags))
    assert (config.buckets, config.ngram_min, config.ngram_max) == (1000, 3, 5)
    bpe = _word2vec_config(parser().parse_args([*flags, "--subword-units", "bpe"]))
    assert bpe.composition == "bpe"


def test_preset_flag_sets_a_starting_point() -> None:
    from semspace.trainers.words.cli import _word2vec_config

    args = parser().parse_args(["train", "word2vec", "--preset", "subword-cbow", "--epochs", "2"])
    config = _word2vec_config(args)
    assert (config.architecture, config.subwords, config.epochs) == ("cbow", True, 2)
    assert config.preset == "subword-cbow"


def test_a_tiny_corpus_trains_a_small_space_or_says_why_not(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from semspace.cli import main

    small = tmp_path / "small.txt"
    small.write_text(" ".join(["the cat sat on the mat while a dog ran in the park"] * 30))
    common = ["--artifacts-dir", str(tmp_path / "a"), "--min-count", "1", "--epochs", "1"]
    # 11 words: fewer BPE pieces than the 8,000 default, and too few to hold some out.
    code = main(["train", "word2vec", "--corpus", str(small), "--sample", "0", *common])
    assert code == 0, capsys.readouterr().err
    model = WordModel.load(tmp_path / "a" / "words")
    assert model.vocab_size == 11 and model.tokenizer.vocab_size < 8000
    assert model.embed(["cat", "cathedral"])[1] == [False, True]

    tiny = tmp_path / "tiny.txt"
    tiny.write_text("hello world")
    code = main(["train", "word2vec", "--corpus", str(tiny), "--name", "tiny", *common])
    assert code == 2
    assert "training saw no (word, context) pair" in capsys.readouterr().err
