"""Skip-gram and CBOW learn planted structure; seeded runs are reproducible."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from semspace.trainers.words.corpus import encode_corpus
from semspace.trainers.words.evaluate import unit
from semspace.trainers.words.word2vec import Word2VecConfig, Word2VecTrainer

GRID = 6  # as in conftest.planted_sentences


def train(corpus: Path, **overrides: object) -> tuple[np.ndarray, dict[str, int]]:
    encoded = encode_corpus(corpus, min_count=1)
    settings = {"dim": 24, "window": 2, "sample": 0, "min_count": 1, "epochs": 4, "threads": 1}
    config = Word2VecConfig.model_validate(settings | {"batch": 64} | overrides)
    model, _ = Word2VecTrainer(config, encoded).train()
    return unit(model.word_vectors()), encoded.vocab.index()


def grid_rank(vectors: np.ndarray, index: dict[str, int], a: str, b: str, c: str, d: str) -> int:
    """Rank of d among grid words for b - a + c (inputs excluded), 0 = best."""
    grid = [f"w{x}{y}" for x in range(GRID) for y in range(GRID)]
    candidates = [w for w in grid if w not in (a, b, c)]
    query = vectors[index[b]] - vectors[index[a]] + vectors[index[c]]
    scores = vectors[[index[w] for w in candidates]] @ query
    return int((scores > scores[candidates.index(d)]).sum())


@pytest.mark.parametrize(
    ("architecture", "threads"), [("skipgram", 1), ("cbow", 1), ("skipgram", 2), ("cbow", 2)]
)
def test_word2vec_learns_planted_rows_and_analogies(
    planted_corpus: Path, architecture: str, threads: int
) -> None:
    """With 2 threads the workers are processes: the tables must be shared, not copied."""
    vectors, index = train(planted_corpus, architecture=architecture, threads=threads)
    # Neighbours: the closest grid word to w{x}{y} shares its row or its column.
    grid = [f"w{x}{y}" for x in range(GRID) for y in range(GRID)]
    rows = vectors[[index[w] for w in grid]]
    sims = rows @ rows.T
    np.fill_diagonal(sims, -np.inf)
    nearest = sims.argmax(axis=1)
    shares = [grid[i][1] == grid[j][1] or grid[i][2] == grid[j][2] for i, j in enumerate(nearest)]
    assert np.mean(shares) >= 0.9
    # Analogies: w{x}{y} - w{x}{y'} + w{x'}{y'} = w{x'}{y}, ranked near the top of 33 candidates.
    ranks = []
    for x in range(GRID):
        for y in range(GRID):
            x2, y2 = (x + 2) % GRID, (y + 1) % GRID
            ranks.append(
                grid_rank(vectors, index, f"w{x}{y2}", f"w{x}{y}", f"w{x2}{y2}", f"w{x2}{y}")
            )
    assert np.median(ranks) <= 1
    assert np.mean(np.array(ranks) == 0) >= 0.5


def test_subword_mode_trains_words_and_pieces(planted_corpus: Path) -> None:
    from semspace.trainers.words.windows import Bags

    encoded = encode_corpus(planted_corpus, min_count=1)
    v = len(encoded.vocab)
    # Every word shares one extra "piece" row with the words of its first letter.
    letters = sorted({w[0] for w in encoded.vocab.words})
    items = np.array([[i, v + letters.index(w[0])] for i, w in enumerate(encoded.vocab.words)])
    bags = Bags(np.arange(0, 2 * v + 1, 2), items.reshape(-1))
    config = Word2VecConfig(
        dim=16, window=2, sample=0, min_count=1, epochs=2, threads=1, subwords=True
    )
    model, _ = Word2VecTrainer(config, encoded, bags).train()
    assert model.inputs.shape == (v + len(letters), 16)
    assert np.isfinite(model.word_vectors()).all()


def test_training_is_reproducible_for_one_thread(planted_corpus: Path) -> None:
    first, _ = train(planted_corpus, epochs=1, seed=7)
    second, _ = train(planted_corpus, epochs=1, seed=7)
    third, _ = train(planted_corpus, epochs=1, seed=8)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, third)


def test_training_leaves_denormals_unflushed(planted_corpus: Path) -> None:
    """Training flushes denormals for speed; threads started after it (a server's, in this
    process) would inherit the mode and store float16 subnormals as zeros."""
    tiny = np.array([1e-40], dtype=np.float32)

    def bits_of_tiny_times_one() -> int:
        # Bits, not floats: with denormals flushed, 1e-40 == 0.0 holds too.
        return int((tiny * np.float32(1.0)).view(np.uint32)[0])

    train(planted_corpus, epochs=1)
    assert bits_of_tiny_times_one() == int(tiny.view(np.uint32)[0])
    later: list[int] = []
    thread = threading.Thread(target=lambda: later.append(bits_of_tiny_times_one()))
    thread.start()
    thread.join()
    assert later == [int(tiny.view(np.uint32)[0])]


def test_a_failing_worker_process_fails_training_with_its_traceback(planted_corpus: Path) -> None:
    encoded = encode_corpus(planted_corpus, min_count=1)
    config = Word2VecConfig(dim=8, epochs=1, min_count=1, threads=2)
    trainer = Word2VecTrainer(config, encoded)
    trainer.keep_prob = trainer.keep_prob[:3]  # an index error inside each worker's producer
    with pytest.raises(RuntimeError, match="IndexError"):
        trainer.train()


def test_cuda_request_without_cuda_fails_clearly(planted_corpus: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(RuntimeError, match="cuda"):
        Word2VecTrainer(Word2VecConfig(device="cuda"), encode_corpus(planted_corpus, min_count=1))


def test_cbow_span_update_equals_the_update_of_listed_context_rows() -> None:
    import torch

    from semspace.trainers.words.sgns import Minibatch, WindowBatch, cbow_window_update, sgns_update

    gen = torch.Generator().manual_seed(0)
    words = torch.tensor([3, 1, 4, 1, 5, 9, 2, 6])
    centre, lo, hi = torch.tensor([1, 2, 5]), torch.tensor([0, 0, 4]), torch.tensor([3, 5, 8])
    spans = zip(centre.tolist(), lo.tolist(), hi.tolist(), strict=True)
    listed = [[p for p in range(a, b) if p != c] for c, a, b in spans]
    negatives = torch.randint(0, 10, (1, 4), generator=gen)
    tables = [(torch.randn(10, 6, generator=gen), torch.randn(10, 6, generator=gen))]
    tables.append((tables[0][0].clone(), tables[0][1].clone()))
    ones = torch.ones(3)
    cbow_window_update(
        *tables[0],
        WindowBatch(words, None, None, centre, lo, hi, 1.0 / (hi - lo - 1), words[centre], ones),
        negatives, 0.1, 5,
    )  # fmt: skip
    owner = torch.tensor([e for e, ps in enumerate(listed) for _ in ps])
    sgns_update(
        *tables[1],
        Minibatch(
            rows=words[[p for ps in listed for p in ps]],
            owner=owner,
            offsets=torch.searchsorted(owner, torch.arange(3)),
            target=words[centre],
            target_owner=None,
            targets_per_example=ones,
        ),
        negatives, 0.1, 5,
    )  # fmt: skip
    for a, b in zip(tables[0], tables[1], strict=True):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("ngrams", [{"ngram_min": 3, "ngram_max": 2}, {"ngram_min": 4}])
def test_ngram_range_that_leaves_a_word_without_ngrams_is_rejected(ngrams: dict) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="ngram_m"):
        Word2VecConfig(subwords=True, **ngrams)
