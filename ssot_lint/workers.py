"""Linting files in worker processes.

Workers are forked from the main process, so they start with everything it holds:
the linter, the project (sources read so far, facts loaded so far) and the index
with its memoised lookups; nothing is pickled on the way in. Files go out in
batches (a few dozen per message) and only the findings and the recorded
dependencies come back. A worker that dies does not hang the run: the files of
its unfinished batches are linted again in the main process, and a file that
fails there too becomes an internal error.
"""

from __future__ import annotations

import gc
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import timings
from .diagnostics import InternalError

if TYPE_CHECKING:
    from .engine import Linter
    from .project import Project

# Fewer files than this are linted in the main process: forking costs more.
MIN_PARALLEL_FILES = 24


# ``multiprocessing`` and ``concurrent.futures`` are imported where a pool starts: a warm
# run, or an edit that re-lints a few files, never starts one (about 10 ms of imports).
def can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


@dataclass(frozen=True)
class WorkerJob:
    """What every worker of one pool does with each file (``Linter.lint_one`` by default,
    ``Linter.fix_one`` for --fix), with everything it closes over (the linter, the project)."""

    work: Callable[[str], tuple]
    # The module rows the worker computed (``Project.take_new_rows``), sent with each batch.
    new_rows: Callable[[], tuple[dict, dict]] | None = None


# The job of this worker process. Set only in a worker, by the pool's initializer: with the
# fork start method the initializer's arguments are inherited by the child, not pickled, so
# the job (closures over the linter and the project) reaches it as it is. A module-level
# slot is unavoidable there, since ``ProcessPoolExecutor`` calls module-level functions;
# the main process never sets it.
_JOB: WorkerJob | None = None


def _start_worker(job: WorkerJob) -> None:
    global _JOB
    _JOB = job


def _lint_batch(rels: list[str]) -> tuple[list[tuple[str, tuple]], dict | None, tuple[dict, dict]]:
    """The batch's results, (with ``--timings``) this batch's time per phase, and the
    module rows computed for it."""
    assert _JOB is not None, "worker started without a job"
    work = _JOB.work
    clock = timings.restart_in_worker()
    results = [(rel, work(rel)) for rel in rels]
    rows = _JOB.new_rows() if _JOB.new_rows is not None else ({}, {})
    return results, clock.snapshot() if clock is not None else None, rows


def batches(rels: list[str], jobs: int) -> list[list[str]]:
    """Contiguous batches: about eight per worker, at most 64 files each."""
    size = max(1, min(64, -(-len(rels) // (jobs * 8))))
    return [rels[i : i + size] for i in range(0, len(rels), size)]


def lint_in_workers(
    linter: Linter,
    project: Project,
    rels: list[str],
    jobs: int,
    on_batch: Callable[[int], None],
    work: Callable[[str], Any] | None = None,  # its results are passed on as they are (the facts phase's may be None)
    failed: object = frozenset(),
    on_result: Callable[[str, tuple], None] | None = None,
    share: bool = False,
) -> dict[str, tuple]:
    """``work(rel)`` (default: ``linter.lint_one(project, rel)``) for each file, in workers.

    ``share``: this process is one of the ``jobs``, and forks one worker fewer. It takes
    batches from the end of the list while the workers take them from the front, and
    keeps each worker two batches ahead. A forked worker starts with everything this
    process holds, and its memory grows apart from it as it works (what it computes, and
    every inherited page it writes to, if only a reference count): one process fewer is
    that much less memory, for the same work on the same cores.

    A file whose work fails twice gets ``([], [the error], failed)``."""
    out: dict[str, tuple] = {}
    spent: list[dict] = []  # the workers' time per phase, batch by batch (``--timings``)
    pending = deque(batches(rels, jobs))
    if work is None:
        work = lambda rel: linter.lint_one(project, rel)  # noqa: E731
    forked = jobs - 1 if share else jobs
    project.take_new_rows()  # what the workers inherit is the main process's already
    job = WorkerJob(work, project.take_new_rows)
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    def took(rel: str, res: tuple) -> None:
        out[rel] = res
        if on_result is not None:
            on_result(rel, res)

    def collect(fut: Future, batch: list[str]) -> None:
        try:
            results, clock, rows = fut.result()
        except Exception:  # a dead worker (BrokenProcessPool) or a failed batch
            return  # retried below
        project.adopt_rows(rows)
        if clock is not None:
            spent.append(clock)
        for rel, res in results:
            took(rel, res)
        on_batch(len(batch))

    def own(batch: list[str]) -> None:
        for rel in batch:
            try:
                res = work(rel)
            except Exception:  # done again below, where a second failure is reported
                continue
            took(rel, res)
        on_batch(len(batch))

    # What the workers inherit (every module's facts, the index) is frozen out of the cyclic
    # collector's reach while they run: a collection in a worker would otherwise write to
    # the header of every object it inherited, and so copy each of those pages into the
    # worker (the pages stay shared only while nobody writes to them). Thawed once the
    # pool is done, for this process's later collections.
    gc.freeze()
    try:
        if forked >= 1:
            ctx = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(
                max_workers=min(forked, len(pending)), mp_context=ctx, initializer=_start_worker, initargs=(job,)
            ) as pool:
                running: dict[Future, list[str]] = {}
                ahead = 2 * forked if share else len(pending)
                while pending or running:
                    while pending and len(running) < ahead:
                        batch = pending.popleft()
                        running[pool.submit(_lint_batch, batch)] = batch
                    if share and pending:
                        own(pending.pop())
                        finished = {fut for fut in running if fut.done()}
                    else:
                        finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        collect(fut, running.pop(fut))
    except BrokenProcessPool:
        pass
    finally:
        gc.unfreeze()
        main = timings.current()
        if main is not None:
            main.worker_parts.extend(spent)
    # Whatever a dead worker left undone: once more, in this process.
    for rel in rels:
        if rel in out:
            continue
        try:
            res = work(rel)
        except Exception as exc:
            err = InternalError(
                "worker",
                f"{rel}: a worker process died while linting this file, and linting it again failed: "
                f"{type(exc).__name__}: {exc}",
                path=rel,
                traceback=traceback.format_exc(limit=-6),
            )
            res = ([], [err], failed)
        took(rel, res)
        on_batch(1)
    return out
