"""Word2Vec (skip-gram / CBOW, negative sampling) trained in PyTorch, optionally with subwords.

Mikolov et al. 2013a/b; the subword mode follows fastText (Bojanowski et al. 2017): a word's
input is the mean of its own row and the rows of its hashed character n-grams (or, as an
alternative, of its SentencePiece BPE pieces). `threads` Hogwild workers (workers.py) each build
their chunks' examples with numpy in a background thread (windows.py) and apply minibatch SGD
(sgns.py).
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import numpy as np
import torch
from pydantic import BaseModel, Field, model_validator

from semspace.models.tokenizer import PieceBag
from semspace.models.words import Composition, SubwordUnits
from semspace.trainers.words.corpus import EncodedCorpus
from semspace.trainers.words.sampling import NegativeSampler, SubsampleFormula, keep_probabilities
from semspace.trainers.words.sgns import Minibatch, WindowBatch, cbow_window_update, sgns_update
from semspace.trainers.words.windows import (
    Bags,
    Examples,
    Windows,
    cbow_windows,
    skipgram_examples,
    window_pairs,
)
from semspace.trainers.words.workers import run_workers

log = logging.getLogger(__name__)

Architecture = Literal["skipgram", "cbow"]

# Named configurations; the figures behind them are in bench/results/w2v.md.
PRESETS: dict[str, dict[str, object]] = {
    "plain-skipgram": {"architecture": "skipgram"},
    # 16 shared negatives per 32 centres (not 32) halve the scoring matmuls: a step 1.27 → 0.97 ms
    # (1024 centres, one thread), analogy 9.0% → ~8%; 8 negatives, or groups of 256, fell below
    # gensim's accuracy on english-mix.
    "plain-cbow": {"architecture": "cbow", "shared_negatives": 16},
    # english-mix, 5 epochs, character n-grams: lr 0.035 and 64 shared negatives gave analogy
    # 53.9% but WordSim 0.428, lr 0.05 and 128 negatives 50.6-50.8% / 0.470-0.489 (fastText
    # 48.8% / 0.465 in the same run); 500,000 buckets, not 200,000, added ~0.01 WordSim.
    "subword-skipgram": {
        "architecture": "skipgram",
        "subwords": True,
        "subword_units": "char-ngrams",
        "lr": 0.05,
        "shared_negatives": 128,
    },
    # Each context word enters h as the mean of its bag (sgns.cbow_window_update); lr 0.025 →
    # 0.1 took analogy 30% → 47%, WordSim 0.15 → 0.34; lr 0.2, or 1024 centres per step, diverged.
    "subword-cbow": {
        "architecture": "cbow",
        "subwords": True,
        "subword_units": "bpe",
        "piece_bag": "substrings",
        "lr": 0.1,
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
    threads: int = Field(2, ge=1)
    seed: int = 1
    device: Literal["cpu", "cuda"] = "cpu"
    subwords: bool = False
    subword_units: SubwordUnits = Field(
        "char-ngrams",
        description="subword mode's units: fastText's hashed character n-grams, or BPE pieces",
    )
    ngram_min: int = Field(
        3, ge=1, le=3, description="shortest character n-gram ('<' and '>' count): ≤ 3, so "
        "that every word, one letter long included, has one",
    )  # fmt: skip
    ngram_max: int = Field(6, ge=1, description="longest character n-gram")
    buckets: int = Field(
        500_000, ge=1, description="hash buckets of the n-grams (fastText: 2M; dim floats each)"
    )
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
        if self.ngram_min > self.ngram_max:
            raise ValueError(f"ngram_min {self.ngram_min} exceeds ngram_max {self.ngram_max}")
        return self

    @property
    def composition(self) -> Composition:
        """What an unseen word is composed of: n-grams only when they were trained."""
        return "char-ngrams" if self.subwords and self.subword_units == "char-ngrams" else "bpe"

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

    def _chunks(self, worker: int, rng: np.random.Generator) -> Iterator[Chunk]:
        """Examples of the worker's chunks (every `threads`-th, as word2vec.c splits its file
        between threads), for every epoch, with the training progress each spans."""
        cfg, ids = self.config, self.corpus.ids
        sentence = self.corpus.sentence_index()
        total = len(ids) * cfg.epochs
        starts = [
            (epoch, start)
            for epoch in range(cfg.epochs)
            for start in range(0, len(ids), cfg.chunk_words)
        ]
        for epoch, start in starts[worker :: cfg.threads]:
            stop = min(start + cfg.chunk_words, len(ids))
            text = (ids[start:stop], sentence[start:stop], self.keep_prob, cfg.window, rng)
            progress = ((epoch * len(ids) + start) / total, (epoch * len(ids) + stop) / total)
            if cfg.architecture == "cbow":
                examples: Examples | Windows = cbow_windows(*text)
            else:
                centres, contexts, position = window_pairs(*text)
                examples = skipgram_examples(centres, contexts, position, self.bags)
            if len(examples):
                yield Chunk(examples, *progress)

    def _steps(self, chunk: Chunk) -> Iterator[tuple[Minibatch | WindowBatch, float]]:
        """The minibatches of a chunk with the linearly decayed learning rate of each."""
        cfg, ex, device = self.config, chunk.examples, self.device
        n = len(ex)
        bounds = np.arange(0, n + cfg.batch_size, cfg.batch_size).clip(max=n)
        if isinstance(ex, Windows):
            yield from self._window_steps(chunk, ex, bounds)
            return
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
            yield batch, self._lr(chunk, end / n)

    def _window_steps(
        self, chunk: Chunk, ex: Windows, bounds: np.ndarray
    ) -> Iterator[tuple[WindowBatch, float]]:
        """CBOW steps: consecutive centres and the span of text their windows cover."""
        n, device = len(ex), self.device
        starts = bounds[:-1][bounds[:-1] < n]
        span_lo = np.minimum.reduceat(ex.lo, starts)
        span_hi = np.maximum.reduceat(ex.hi, starts)
        rows, owner = self.bags.expand(ex.words)
        one_row = self.bags.singletons
        first_row = np.searchsorted(owner, np.arange(len(ex.words) + 1))
        as_tensor = lambda a: torch.from_numpy(a).to(device)  # noqa: E731
        rows_t, owner_t, first_t = map(as_tensor, (rows, owner, first_row))
        # Positions relative to each step's span, computed for the whole chunk at once.
        span_of = np.repeat(span_lo, np.diff(np.append(starts, n)))
        centre, lo, hi = (as_tensor(a - span_of) for a in (ex.centre, ex.lo, ex.hi))
        inverse_count = as_tensor((1.0 / (ex.hi - ex.lo - 1)).astype(np.float32))
        target = as_tensor(ex.words[ex.centre])
        ones = torch.ones(int(bounds[1] - bounds[0]), device=device)
        for step, (begin, s0, s1) in enumerate(zip(starts, span_lo, span_hi, strict=True)):
            end = int(bounds[step + 1])
            r0, r1 = int(first_row[s0]), int(first_row[s1])
            batch = WindowBatch(
                rows=rows_t[r0:r1],
                offsets=None if one_row else first_t[s0:s1] - r0,
                row_owner=None if one_row else owner_t[r0:r1] - int(s0),
                centre=centre[begin:end],
                lo=lo[begin:end],
                hi=hi[begin:end],
                inverse_count=inverse_count[begin:end],
                target=target[begin:end],
                targets_per_example=ones[: end - begin],
            )
            yield batch, self._lr(chunk, end / n)

    def _lr(self, chunk: Chunk, done: float) -> float:
        """Learning rate after `done` of the chunk: linear decay over all training."""
        cfg = self.config
        frac = chunk.start + (chunk.end - chunk.start) * done
        return max(cfg.start_lr * (1.0 - frac), cfg.lr_min)

    def train(self) -> tuple[Word2VecModel, TrainStats]:
        """Runs all epochs; `threads` workers update the shared tables Hogwild-style."""
        # One intra-op thread per worker: on busy shared cores OpenMP teams stall each other,
        # while independent Hogwild workers (Recht et al. 2011, as word2vec.c) keep going.
        torch.set_num_threads(1)
        # Denormals are slow on x86 and worthless to SGD, so they are flushed to zero while
        # training only: threads started later inherit the mode, and a server started in this
        # process afterwards would store float16 vectors' subnormals as zeros.
        torch.set_flush_denormal(True)
        try:
            return self._train()
        finally:
            torch.set_flush_denormal(False)

    def _train(self) -> tuple[Word2VecModel, TrainStats]:
        cfg = self.config
        generator = torch.Generator().manual_seed(cfg.seed)
        # word2vec.c initialisation: inputs uniform in ±0.5/dim, outputs zero.
        inputs = ((torch.rand(self.bags.rows, cfg.dim, generator=generator) - 0.5) / cfg.dim).to(
            self.device
        )
        outputs = torch.zeros(self.vocab_size, cfg.dim, device=self.device)
        table = self.sampler.table.to(self.device)
        processes = (
            cfg.threads > 1
            and self.device.type == "cpu"
            and "fork" in multiprocessing.get_all_start_methods()  # not on Windows
        )
        if processes:
            inputs.share_memory_()
            outputs.share_memory_()
        started = time.perf_counter()
        examples, loss = run_workers(
            partial(self._work, inputs=inputs, outputs=outputs, table=table),
            cfg.threads,
            processes,
            self.corpus.raw_words * cfg.epochs,
            f"word2vec {cfg.architecture}",
        )
        seconds = time.perf_counter() - started
        if examples == 0:
            # The vectors would be their random start, and the loss a mean of nothing (NaN).
            raise ValueError(
                f"training saw no (word, context) pair: {self.corpus.raw_words:,} corpus words "
                f"left too few after min_count and subsampling; use a larger corpus, or lower "
                f"--sample (now {cfg.sample:g})"
            )
        model = Word2VecModel(
            inputs.cpu().numpy(), outputs.cpu().numpy(), self.bags, self.vocab_size
        )
        stats = TrainStats(seconds, self.corpus.raw_words, cfg.epochs, examples, loss)
        log.info(
            "trained %s in %.1f s: %.0f words/s, %d examples, loss %.3f",
            cfg.architecture, seconds, stats.words_per_second, examples, loss,
        )  # fmt: skip
        return model, stats

    def _work(
        self,
        worker: int,
        reports: Any,
        inputs: torch.Tensor,
        outputs: torch.Tensor,
        table: torch.Tensor,
    ) -> None:
        """One Hogwild worker: builds its chunks in a background thread, trains on each and
        reports it (workers.Report)."""
        cfg = self.config
        torch.set_num_threads(1)
        generator = torch.Generator().manual_seed(cfg.seed * 1000 + worker)
        chunks: queue.Queue = queue.Queue(maxsize=2)

        def produce() -> None:
            try:
                for chunk in self._chunks(worker, np.random.default_rng([cfg.seed, worker])):
                    chunks.put(chunk)
                chunks.put(None)
            except BaseException as error:  # handed to the worker, which reports it
                chunks.put(error)

        threading.Thread(target=produce, daemon=True).start()
        loss = float("nan")
        while (chunk := chunks.get()) is not None:
            if isinstance(chunk, BaseException):
                raise chunk
            for step, (batch, lr) in enumerate(self._steps(chunk)):
                groups = -(-len(batch.targets_per_example) // cfg.negative_group)
                slots = torch.randint(
                    len(table), (groups, cfg.shared_negatives), generator=generator
                ).to(self.device)
                update = cbow_window_update if isinstance(batch, WindowBatch) else sgns_update
                step_loss = update(
                    inputs, outputs, batch, table[slots], lr, cfg.negative,
                    with_loss=step % 50 == 0,
                )  # fmt: skip
                if step % 50 == 0:
                    loss = step_loss
            reports.put((chunk.start, chunk.end, len(chunk.examples), lr, loss))


@dataclass(frozen=True)
class Chunk:
    examples: Examples | Windows
    start: float  # fraction of all training done before this chunk
    end: float
