"""Hogwild workers (Recht et al. 2011) sharing the Word2Vec tables, and their progress bar.

On CPU each worker is a forked process and the tables live in shared memory, as in PyTorch's
Hogwild example. A step is some thirty small torch calls (~1 ms for 1,000 centres) and each call
holds the GIL between kernels, so worker threads take turns with it, and a thread preempted while
holding it on a busy machine stalls the other. Measured on plain CBOW, english-mix, 2 shared
cores: three paired runs took 11.1 s on average as processes and 12.7 s as threads, for the same
CPU time (13.1 s). On CUDA workers stay threads (a forked child cannot use the parent's CUDA
context), as they do where there is no fork() (Windows).

A worker puts one report per chunk on a queue, then None when done, or its traceback if it fails.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
import traceback
import warnings
from collections.abc import Callable
from typing import Any

from tqdm import tqdm

# (start, end) of the chunk as fractions of all training, its examples, last lr, last loss
Report = tuple[float, float, int, float, float]
Work = Callable[[int, Any], None]  # work(worker index, reports queue)
POLL_SECONDS = 1.0


def run_workers(
    work: Work, workers: int, processes: bool, total_words: int, desc: str
) -> tuple[int, float]:
    """Runs work(i, reports) for every i < workers to the end; returns (examples, last loss)."""
    if processes:
        context = multiprocessing.get_context("fork")
        reports: Any = context.Queue()
        runners: list[Any] = [
            context.Process(target=_run_one, args=(work, i, reports), daemon=True)
            for i in range(workers)
        ]
    else:
        reports = queue.Queue()
        runners = [
            threading.Thread(target=_run_one, args=(work, i, reports), daemon=True)
            for i in range(workers)
        ]
    with warnings.catch_warnings():
        # Python >= 3.12 warns about fork() in a process with threads (torch's pool, a caller's)
        # since a child could inherit a lock another thread holds; the child only runs numpy and
        # torch on its own chunks and the shared tables, then exits.
        warnings.filterwarnings("ignore", r".*multi-threaded.*fork", DeprecationWarning)
        for runner in runners:
            runner.start()
    bar = tqdm(total=total_words, unit="w", unit_scale=True, desc=desc)
    examples, loss, running = 0, float("nan"), workers
    try:
        while running:
            try:
                report = reports.get(timeout=POLL_SECONDS)
            except queue.Empty:
                _check_alive(runners)
                continue
            if report is None:
                running -= 1
            elif isinstance(report, str):
                raise RuntimeError(f"a Word2Vec worker failed:\n{report}")
            else:
                start, end, count, lr, loss = report
                examples += count
                bar.update(round((end - start) * total_words))
                bar.set_postfix(loss=f"{loss:.3f}", lr=f"{lr:.5f}", refresh=False)
    finally:
        bar.close()
        for runner in runners:
            if processes and runner.is_alive() and running:
                runner.terminate()
            runner.join()
    return examples, loss


def _run_one(work: Work, worker: int, reports: Any) -> None:
    try:
        work(worker, reports)
    except BaseException:
        reports.put(traceback.format_exc())
    else:
        reports.put(None)


def _check_alive(runners: list[Any]) -> None:
    """A process killed from outside (out of memory) reports nothing: notice its exit code."""
    for runner in runners:
        if isinstance(runner, multiprocessing.process.BaseProcess) and runner.exitcode:
            raise RuntimeError(
                f"Word2Vec worker {runner.name} died with exit code {runner.exitcode}"
            )
