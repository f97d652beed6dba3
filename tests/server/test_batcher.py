"""The micro-batcher on its own: every caller gets its own result, concurrent calls share a
batch, a lone caller does not wait for company, and a failing batch fails all its callers."""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable

import pytest

from semspace.server.batcher import MicroBatcher


def doubled(key: Hashable, items: list[int]) -> list[tuple[Hashable, int, int]]:
    return [(key, item * 2, len(items)) for item in items]


def test_concurrent_callers_share_batches_and_get_their_own_answers() -> None:
    batcher = MicroBatcher(doubled, window_seconds=0.05, max_batch=64, max_running=2)
    results: dict[int, tuple[Hashable, int, int]] = {}
    start = threading.Barrier(32)

    def call(i: int) -> None:
        with batcher.in_flight():
            start.wait()
            results[i] = batcher.submit(i % 2, i)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {i: r[:2] for i, r in results.items()} == {i: (i % 2, 2 * i) for i in range(32)}
    assert batcher.calls == 32 and batcher.largest_batch > 1
    assert batcher.batches < 32


def test_a_lone_caller_does_not_wait_for_the_window() -> None:
    batcher = MicroBatcher(doubled, window_seconds=5.0, max_batch=64, max_running=2)
    started = time.monotonic()
    with batcher.in_flight():
        assert batcher.submit("k", 21)[1] == 42
    # Far below the 5 s window: the batch closed as soon as every call in flight had joined.
    assert time.monotonic() - started < 2.5


def test_max_batch_bounds_a_batch() -> None:
    batcher = MicroBatcher(doubled, window_seconds=0.2, max_batch=4, max_running=2)
    sizes: list[int] = []
    start = threading.Barrier(12)

    def call(i: int) -> None:
        with batcher.in_flight():
            start.wait()
            sizes.append(batcher.submit("k", i)[2])

    threads = [threading.Thread(target=call, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sizes) == 12 and max(sizes) <= 4


def test_an_error_reaches_every_caller_of_the_batch() -> None:
    def broken(key: Hashable, items: list[int]) -> list[int]:
        raise RuntimeError(f"batch of {len(items)} failed")

    batcher = MicroBatcher(broken, window_seconds=0.05, max_batch=8, max_running=2)
    errors: list[str] = []
    start = threading.Barrier(4)

    def call(i: int) -> None:
        with batcher.in_flight():
            start.wait()
            with pytest.raises(RuntimeError) as caught:
                batcher.submit("k", i)
            errors.append(str(caught.value))

    threads = [threading.Thread(target=call, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 4 and all("failed" in e for e in errors)


def test_calls_arriving_while_a_key_runs_its_batches_join_one_batch() -> None:
    """With max_running 1, the first batch runs alone; five calls arriving one by one, each
    after the window has passed, all wait for it in the next batch instead of running as five
    batches of one."""
    release = threading.Event()
    sizes: list[int] = []

    def held(key: Hashable, items: list[int]) -> list[int]:
        sizes.append(len(items))
        release.wait(10)
        return items

    batcher = MicroBatcher(held, window_seconds=0.01, max_batch=64, max_running=1)
    answers: dict[int, int] = {}

    def call(i: int) -> None:
        with batcher.in_flight():
            answers[i] = batcher.submit("k", i)

    threads = [threading.Thread(target=call, args=(0,))]
    threads[0].start()
    while not sizes:  # the first batch is running
        time.sleep(0.005)
    for i in range(1, 6):
        threads.append(threading.Thread(target=call, args=(i,)))
        threads[-1].start()
        time.sleep(0.05)  # five windows apart
    release.set()
    for thread in threads:
        thread.join()
    assert answers == {i: i for i in range(6)}
    assert sizes == [1, 5]


def test_a_key_running_its_batches_does_not_hold_up_another_key() -> None:
    release = threading.Event()

    def held(key: Hashable, items: list[int]) -> list[int]:
        if key == "slow":
            release.wait(10)
        return items

    batcher = MicroBatcher(held, window_seconds=0.01, max_batch=64, max_running=1)
    slow = threading.Thread(target=lambda: batcher.submit("slow", 1))
    slow.start()
    time.sleep(0.05)
    try:
        with batcher.in_flight():
            assert batcher.submit("fast", 2) == 2
    finally:
        release.set()
        slow.join()
