"""Word2Vec (skip-gram / CBOW, negative sampling) trained in PyTorch, optionally with BPE subwords.

Mikolov et al. 2013a/b; the subword mode follows fastText (Bojanowski et al. 2017) with
SentencePiece BPE pieces in place of character n-grams. Examples are built with numpy in a
background thread (windows.py) while `threads` Hogwild workers apply minibatch SGD (sgns.py).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from pydantic import BaseModel, Field, model_validator
from tqdm import tqdm

from semspace.models.tokenizer import PieceBag
from semspace.trainers.words.corpus import EncodedCorpus
from semspace.trainers.words.sampling import NegativeSampler, SubsampleFormula, keep_probabilities
from semspace.trainers.words.sgns import Minibatch, sgns_update
from semspace.trainers.words.windows import (
    Bags,
    Examples,
    cbow_examples,
    skipgram_examples,
    window_pairs,
)

log = logging.getLogger(__name__)

Architecture = Literal["skipgram", "cbow"]

# Named configurations; the figures behind them are in bench/results/w2v.md.
PRESETS: dict[str, dict[str, object]] = {
    "plain-skipgram": {"architecture": "skipgram"},
    "plain-cbow": {"architecture": "cbow"},
    "subword-skipgram": {"architecture": "skipgram", "subwords": True, "piece_bag": "substrings"},
    # CBOW over word + substring bags diverged at lr 0.05 / 1024 centres per step (bench/).
    "subword-cbow": {
        "architecture": "cbow",
        "subwords": True,
        "piece_bag": "substrings",
        "lr": 0.025,
        "batch": 256,
    },
}


class Word2VecConfig(BaseModel):
    """Hyper-parameters of one Word2Vec run; stored verbatim in the space's manifest."""

    architecture: Architecture = "skipgram"
    dim: int = Field(100, gt=0)
    window: int = Field(5, ge=1, le=50)
    negative: int = Field(5, ge=1)
    sample: float = Field(1e-3, ge=0.0)
    subsample_formula: SubsampleFormula = "word2vec.c"
    min_count: int = Field(5, ge=1)
    epochs: int = Field(5, ge=1)
    lr: float | None = Field(None, gt=0.0, description="start; None: 0.025 skip-gram, 0.05 CBOW")
    lr_min: float = Field(1e-4, ge=0.0)
    batch: int | None = Field(
        None, ge=1, description="centres per SGD step; None: 256 skip-gram, 1024 CBOW"
    )
    negative_group: int = Field(
        32, ge=1, description="consecutive examples sharing one draw of negatives; 1 = private"
    )
    shared_negatives: int = Field(32, ge=1, description="negatives drawn per group")
    row_cap: int = Field(
        0, ge=0, description="subword mode: cap a row's step at N x its mean update; 0 = off"
    )
    threads: int = Field(2, ge=1)
    seed: int = 1
    device: Literal["cpu", "cuda"] = "cpu"
    subwords: bool = False
    pieces: int = Field(8000, ge=300, description="BPE vocabulary size (tokenizer)")
    piece_bag: PieceBag = Field(
        "segmentation", description="a word's pieces: its BPE segmentation, or all substrings"
    )
    chunk_words: int = Field(200_000, ge=1000)
    preset: str | None = Field(None, description=f"named starting point: {', '.join(PRESETS)}")

    @classmethod
    def from_preset(cls, name: str, **overrides: object) -> Word2VecConfig:
        """A preset's settings with `overrides` on top."""
        if name not in PRESETS:
            raise ValueError(f"unknown Word2Vec preset {name!r}; choose one of {sorted(PRESETS)}")
        return cls.model_validate(PRESETS[name] | overrides | {"preset": name})

    @model_validator(mode="after")
    def _negatives_cover_group(self) -> Word2VecConfig:
        if self.negative_group == 1 and self.shared_negatives != self.negative:
            self.shared_negatives = self.negative
        return self

    @property
    def batch_size(self) -> int:
        # Measured on english-mix (bench/): larger steps lose analogy accuracy or diverge, as the
        # summed updates of frequent rows overshoot where sequential SGD would saturate.
        return self.batch or (256 if self.architecture == "skipgram" else 1024)

    @property
    def start_lr(self) -> float:
        return (
            self.lr if self.lr is not None else (0.025 if self.architecture == "skipgram" else 0.05)
        )


@dataclass
class Word2VecModel:
    """Trained tables: `inputs` has V word rows, then pieces in subword mode; `outputs` V rows."""

    inputs: np.ndarray
    outputs: np.ndarray
    bags: Bags
    vocab_size: int

    def word_vectors(self) -> np.ndarray:
        """Each word's input vector: the mean of its bag (the word alone in plain mode)."""
        rows, owner = self.bags.expand(np.arange(self.vocab_size))
        summed = np.zeros((self.vocab_size, self.inputs.shape[1]), dtype=np.float32)
        np.add.at(summed, owner, self.inputs[rows])
        return summed / np.bincount(owner, minlength=self.vocab_size)[:, None]


@dataclass(frozen=True)
class TrainStats:
    seconds: float
    raw_words: int
    epochs: int
    examples: int
    final_loss: float

    @property
    def words_per_second(self) -> float:
        """Raw corpus words × epochs / training seconds (the benchmark's definition)."""
        return self.raw_words * self.epochs / self.seconds


def resolve_device(requested: str) -> torch.device:
    if requested == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was requested but torch sees no CUDA device; use 'cpu'")
    return torch.device(requested)


class Word2VecTrainer:
    """Trains on an encoded corpus; seeded, reproducible for a given thread count."""

    def __init__(self, config: Word2VecConfig, corpus: EncodedCorpus, bags: Bags | None = None):
        self.config = config
        self.corpus = corpus
        self.vocab_size = len(corpus.vocab)
        self.bags = bags or Bags.words_only(self.vocab_size)
        self.device = resolve_device(config.device)
        self.keep_prob = keep_probabilities(
            corpus.vocab.counts, config.sample, config.subsample_formula
        )
        self.sampler = NegativeSampler(corpus.vocab.counts)

    def _chunks(self, rng: np.random.Generator) -> Iterator[Chunk]:
        """Examples of each chunk, for every epoch, with the training progress it spans."""
        cfg, ids = self.config, self.corpus.ids
        sentence = self.corpus.sentence_index()
        total = len(ids) * cfg.epochs
        build = skipgram_examples if cfg.architecture == "skipgram" else cbow_examples
        for epoch in range(cfg.epochs):
            for start in range(0, len(ids), cfg.chunk_words):
                stop = min(start + cfg.chunk_words, len(ids))
                centres, contexts, position = window_pairs(
                    ids[start:stop], sentence[start:stop], self.keep_prob, cfg.window, rng
                )
                progress = ((epoch * len(ids) + start) / total, (epoch * len(ids) + stop) / total)
                if len(centres):
                    yield Chunk(build(centres, contexts, position, self.bags), *progress)

    def _steps(self, chunk: Chunk) -> Iterator[tuple[Minibatch, float]]:
        """The minibatches of a chunk with the linearly decayed learning rate of each."""
        cfg, ex, device = self.config, chunk.examples, self.device
        n = len(ex)
        bounds = np.arange(0, n + cfg.batch_size, cfg.batch_size).clip(max=n)
        row_cut = np.searchsorted(ex.owner, bounds)
        target_cut = np.searchsorted(ex.target_owner, bounds)
        targets_per_example = np.bincount(ex.target_owner, minlength=n).astype(np.float32)
        first_row = np.searchsorted(ex.owner, np.arange(n))
        one_row = len(ex.rows) == n
        one_target = len(ex.target) == n
        as_tensor = lambda a: torch.from_numpy(a).to(device)  # noqa: E731
        rows, owner, target, target_owner = map(
            as_tensor, (ex.rows, ex.owner, ex.target, ex.target_owner)
        )
        first_row, per_example = as_tensor(first_row), as_tensor(targets_per_example)
        for step in range(len(bounds) - 1):
            begin, end = int(bounds[step]), int(bounds[step + 1])
            if begin == end:
                break
            r0, r1, t0, t1 = (
                row_cut[step],
                row_cut[step + 1],
                target_cut[step],
                target_cut[step + 1],
            )
            batch = Minibatch(
                rows=rows[r0:r1],
                owner=None if one_row else owner[r0:r1] - begin,
                offsets=None if one_row else first_row[begin:end] - r0,
                target=target[t0:t1],
                target_owner=None if one_target else target_owner[t0:t1] - begin,
                targets_per_example=per_example[begin:end],
            )
            frac = chunk.start + (chunk.end - chunk.start) * end / n
            yield batch, max(cfg.start_lr * (1.0 - frac), cfg.lr_min)

    def train(self) -> tuple[Word2VecModel, TrainStats]:
        """Runs all epochs; `threads` workers update the shared tables Hogwild-style."""
        cfg = self.config
        # One intra-op thread per worker: on busy shared cores OpenMP teams stall each other,
        # while independent Hogwild workers (Recht et al. 2011, as word2vec.c) keep going.
        torch.set_num_threads(1)
        torch.set_flush_denormal(True)
        generator = torch.Generator().manual_seed(cfg.seed)
        n_inputs = int(self.bags.items.max()) + 1
        # word2vec.c initialisation: inputs uniform in ±0.5/dim, outputs zero.
        inputs = ((torch.rand(n_inputs, cfg.dim, generator=generator) - 0.5) / cfg.dim).to(
            self.device
        )
        outputs = torch.zeros(self.vocab_size, cfg.dim, device=self.device)
        table = self.sampler.table.to(self.device)
        total_words = self.corpus.raw_words * cfg.epochs
        bar = tqdm(
            total=total_words, unit="w", unit_scale=True, desc=f"word2vec {cfg.architecture}"
        )
        progress = _Progress(bar, total_words)
        chunks: queue.Queue = queue.Queue(maxsize=cfg.threads + 1)

        def produce() -> None:
            for chunk in self._chunks(np.random.default_rng(cfg.seed)):
                chunks.put(chunk)
            for _ in range(cfg.threads):
                chunks.put(None)

        def work(worker: int) -> None:
            worker_generator = torch.Generator().manual_seed(cfg.seed * 1000 + worker)
            while (chunk := chunks.get()) is not None:
                for step, (batch, lr) in enumerate(self._steps(chunk)):
                    groups = -(-len(batch.targets_per_example) // cfg.negative_group)
                    slots = torch.randint(
                        len(table), (groups, cfg.shared_negatives), generator=worker_generator
                    ).to(self.device)
                    loss = sgns_update(
                        inputs, outputs, batch, table[slots], lr, cfg.negative,
                        with_loss=step % 50 == 0, row_cap=cfg.row_cap,
                    )  # fmt: skip
                    if step % 50 == 0:
                        progress.loss = loss
                progress.advance(chunk, len(chunk.examples), lr)

        started = time.perf_counter()
        threads = [threading.Thread(target=produce, daemon=True)]
        threads += [
            threading.Thread(target=work, args=(i,), daemon=True) for i in range(cfg.threads)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        bar.close()
        model = Word2VecModel(
            inputs.cpu().numpy(), outputs.cpu().numpy(), self.bags, self.vocab_size
        )
        stats = TrainStats(
            seconds, self.corpus.raw_words, cfg.epochs, progress.examples, progress.loss
        )
        log.info(
            "trained %s in %.1f s: %.0f words/s, %d examples, loss %.3f",
            cfg.architecture, seconds, stats.words_per_second, progress.examples, progress.loss,
        )  # fmt: skip
        return model, stats


@dataclass(frozen=True)
class Chunk:
    examples: Examples
    start: float  # fraction of all training done before this chunk
    end: float


class _Progress:
    """Thread-safe progress bar feed: words/s, loss, learning rate, ETA."""

    def __init__(self, bar: tqdm, total_words: int) -> None:
        self.bar, self.total_words = bar, total_words
        self.lock = threading.Lock()
        self.examples, self.loss = 0, float("nan")

    def advance(self, chunk: Chunk, examples: int, lr: float) -> None:
        with self.lock:
            self.examples += examples
            self.bar.update(round((chunk.end - chunk.start) * self.total_words))
            self.bar.set_postfix(loss=f"{self.loss:.3f}", lr=f"{lr:.5f}", refresh=False)
