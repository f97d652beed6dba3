"""Dynamic micro-batching: concurrent calls with the same key are answered by one batched call.

The first caller of a batch leads it: it waits until as many callers have joined as there are
calls in flight (so a lone caller never waits), the batch is full, or the window has passed;
then it runs the batch once and hands every caller its own result. At most `max_running` batches
of one key run at once (one a core, since each index or model call keeps to one thread): while
they all run, the next batch stays open and callers keep joining it, so batches grow with the
load instead of splitting it into many small calls that each scan the whole index. Items must be
validated before they are submitted: an error in the batched call reaches every caller in the
batch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass
class _Batch(Generic[Item, Result]):
    items: list[Item] = field(default_factory=list)
    results: list[Result] | None = None
    error: BaseException | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)


class MicroBatcher(Generic[Item, Result]):
    def __init__(
        self,
        run: Callable[[Hashable, list[Item]], list[Result]],
        *,
        window_seconds: float,
        max_batch: int,
        max_running: int,
        on_batch: Callable[[Hashable, int], None] | None = None,
    ) -> None:
        self._run = run
        self._window = window_seconds
        self._max_batch = max_batch
        self._max_running = max_running
        self._on_batch = on_batch
        self._open: dict[Hashable, _Batch[Item, Result]] = {}
        self._running: dict[Hashable, int] = {}
        self._in_flight = 0
        self._lock = threading.Lock()
        self._batch_ended = threading.Condition(self._lock)
        # Totals since start, for metrics and tests: batches run and the calls they answered.
        self.batches = 0
        self.calls = 0
        self.largest_batch = 0

    @contextmanager
    def in_flight(self) -> Iterator[None]:
        """Counts a call from its start (before its own preparation), so that a leader knows
        how many callers may still join."""
        with self._lock:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1

    def submit(self, key: Hashable, item: Item) -> Result:
        if self._window <= 0:
            return self._run(key, [item])[0]
        with self._lock:
            batch = self._open.get(key)
            leader = batch is None
            if batch is None:
                batch = self._open[key] = _Batch()
            position = len(batch.items)
            batch.items.append(item)
            if len(batch.items) >= min(self._max_batch, max(self._in_flight, 1)):
                self._close(key, batch)
        if leader:
            batch.ready.wait(self._window)
            with self._lock:
                while self._running.get(key, 0) >= self._max_running:
                    self._batch_ended.wait()  # callers go on joining meanwhile
                self._close(key, batch)
                self._running[key] = self._running.get(key, 0) + 1
                self.batches += 1
                self.calls += len(batch.items)
                self.largest_batch = max(self.largest_batch, len(batch.items))
            try:
                self._execute(key, batch)
            finally:
                self._ended(key)
        else:
            batch.done.wait()
        if batch.error is not None:
            raise batch.error
        assert batch.results is not None
        return batch.results[position]

    def _close(self, key: Hashable, batch: _Batch[Item, Result]) -> None:
        """No one joins a batch once it is closed; the caller holds the lock."""
        if self._open.get(key) is batch:
            del self._open[key]
        batch.ready.set()

    def _ended(self, key: Hashable) -> None:
        with self._lock:
            running = self._running.pop(key) - 1
            if running:
                self._running[key] = running
            self._batch_ended.notify_all()

    def _execute(self, key: Hashable, batch: _Batch[Item, Result]) -> None:
        size = len(batch.items)
        try:
            if self._on_batch is not None:
                self._on_batch(key, size)
            batch.results = self._run(key, batch.items)
        except BaseException as error:
            batch.error = error
        finally:
            batch.done.set()
