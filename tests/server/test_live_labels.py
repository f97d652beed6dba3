"""The live-label bitmap against a plain boolean array, and as FAISS reads it in a search."""

from __future__ import annotations

import faiss
import numpy as np

from semspace.server.index import LiveLabels


def test_adds_and_removes_match_a_boolean_array() -> None:
    rng = np.random.default_rng(7)
    live = LiveLabels()
    reference = np.zeros(0, dtype=bool)
    for _ in range(60):
        if rng.random() < 0.6 or not len(reference):
            start = len(reference)
            labels = np.arange(start, start + int(rng.integers(1, 700)), dtype=np.int64)
            reference = np.concatenate([reference, np.zeros(len(labels), dtype=bool)])
            live.add(labels)
            reference[labels] = True
        else:
            labels = np.unique(rng.integers(0, len(reference), size=int(rng.integers(1, 200))))
            live.remove(labels)
            reference[labels] = False
        assert live.size == len(reference)
        assert live.count == int(reference.sum())
        np.testing.assert_array_equal(live.mask, reference)
        np.testing.assert_array_equal(live.labels(), np.flatnonzero(reference))


def test_adding_a_live_label_again_counts_it_once() -> None:
    live = LiveLabels()
    live.add(np.arange(10, dtype=np.int64))
    live.add(np.array([3, 9], dtype=np.int64))
    live.remove(np.array([4], dtype=np.int64))
    live.remove(np.array([4], dtype=np.int64))
    assert (live.size, live.count) == (10, 9)


def test_restored_labels_are_dead_until_added() -> None:
    live = LiveLabels()
    live.restored(21)
    assert (live.size, live.count) == (21, 0)
    assert not live.mask.any()
    live.add(np.array([0, 20], dtype=np.int64))
    np.testing.assert_array_equal(live.labels(), [0, 20])


def test_searches_skip_dead_labels_and_keep_to_the_allowed_ones() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((300, 8)).astype(np.float32)
    index = faiss.IndexFlatL2(8)
    index.add(vectors)
    live = LiveLabels()
    live.add(np.arange(300, dtype=np.int64))
    dead = np.arange(0, 300, 3, dtype=np.int64)
    live.remove(dead)
    allowed = np.zeros(300, dtype=bool)
    allowed[::2] = True

    def found(allowed: np.ndarray | None, with_dead: bool) -> set[int]:
        params = faiss.SearchParameters()
        _bits = live.select(params, allowed, with_dead)
        _, labels = index.search(vectors[:5], 300, params=params)
        return set(labels[labels >= 0].tolist())

    alive = set(range(300)) - set(dead.tolist())
    evens = set(range(0, 300, 2))
    assert found(None, False) == alive
    assert found(allowed, False) == alive & evens
    assert found(allowed, True) == evens
    live.add(dead)
    assert live.select(faiss.SearchParameters(), None) is None
