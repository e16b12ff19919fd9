"""Where a run spends its time: wall and CPU time, and a count, per phase (``check --timings``).

The phases are the pipeline's: discover, read, facts, index, contract, prefilter, LibCST,
post-pass, report, cache. Time is charged to the innermost phase only (a phase that
starts another, such as contract inference reading a module's facts, pauses while the
inner one runs), so the phases add up to the run. Time in no phase is "other".

Phases that run in worker processes are timed there (wall and CPU of the process) and
sent back with each batch's findings. Their CPU adds up across workers; their wall time
is their share of the main process's wall time while the workers ran, so the wall
column still adds up to the elapsed time.

Timing is off unless a run turns it on (``start()``): ``phase()`` then costs one global
lookup.
"""

from __future__ import annotations

import time
from typing import Any

PHASES = ("discover", "read", "facts", "index", "contract", "prefilter", "LibCST", "post-pass", "report", "cache")
# What each phase's count counts.
UNITS = {
    "discover": "files found",
    "read": "files read",
    "facts": "modules extracted",
    "index": "modules indexed",
    "contract": "modules and names inference read",
    "prefilter": "files screened",
    "LibCST": "files parsed",
    "post-pass": "files checked",
    "report": "findings",
    "cache": "entries read or written",
}
OTHER = "other"
PARALLEL = "(workers)"  # the main process's wait while workers run; replaced by their phases


class Timings:
    """Accumulated wall time, CPU time and counts per phase, of one run."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.count: dict[str, int] = {}
        self._stack: list[str] = []
        self.start_wall = time.perf_counter()
        self.start_cpu = time.process_time()
        self._mark = (self.start_wall, self.start_cpu)
        self.worker_cpu = 0.0  # CPU of the worker processes (already in the per-phase CPU)
        self.worker_parts: list[dict[str, tuple[float, float, int]]] = []  # to fold in (``fold_workers``)

    def _charge(self) -> None:
        now = (time.perf_counter(), time.process_time())
        if self._stack:
            top = self._stack[-1]
            self.wall[top] = self.wall.get(top, 0.0) + now[0] - self._mark[0]
            self.cpu[top] = self.cpu.get(top, 0.0) + now[1] - self._mark[1]
        self._mark = now

    def enter(self, name: str, n: int) -> None:
        self._charge()
        self._stack.append(name)
        if n:
            self.count[name] = self.count.get(name, 0) + n

    def exit(self) -> None:
        self._charge()
        self._stack.pop()

    def add_count(self, name: str, n: int) -> None:
        self.count[name] = self.count.get(name, 0) + n

    def snapshot(self) -> dict[str, tuple[float, float, int]]:
        """Plain data (phase -> (wall, cpu, count)), to send from a worker."""
        self._charge()
        names = set(self.wall) | set(self.count)
        return {n: (self.wall.get(n, 0.0), self.cpu.get(n, 0.0), self.count.get(n, 0)) for n in names}

    def fold_workers(self) -> None:
        """Fold the workers' phases in: CPU and counts add up; wall time is each phase's
        share of the main process's wall time while the workers ran (``PARALLEL``)."""
        self._charge()
        parallel_wall = self.wall.pop(PARALLEL, 0.0)
        self.cpu.pop(PARALLEL, None)  # the main process waiting: counted in "other"
        parts, self.worker_parts = self.worker_parts, []
        total: dict[str, list[float]] = {}
        for part in parts:
            for name, (wall, cpu, count) in part.items():
                acc = total.setdefault(name, [0.0, 0.0, 0.0])
                acc[0] += wall
                acc[1] += cpu
                acc[2] += count
        worker_wall = sum(acc[0] for acc in total.values())
        for name, (sum_wall, sum_cpu, sum_count) in total.items():
            share = parallel_wall * sum_wall / worker_wall if worker_wall > 0 else 0.0
            self.wall[name] = self.wall.get(name, 0.0) + share
            self.cpu[name] = self.cpu.get(name, 0.0) + sum_cpu
            self.worker_cpu += sum_cpu
            if sum_count:
                self.count[name] = self.count.get(name, 0) + int(sum_count)

    def rows(self) -> list[tuple[str, float, float, int]]:
        """(phase, wall s, CPU s, count) for every phase, then "other" and "total"."""
        self.fold_workers()
        total_wall = time.perf_counter() - self.start_wall
        total_cpu = time.process_time() - self.start_cpu + self.worker_cpu
        out = []
        for name in PHASES:
            out.append((name, self.wall.get(name, 0.0), self.cpu.get(name, 0.0), self.count.get(name, 0)))
        known_wall = sum(r[1] for r in out)
        known_cpu = sum(r[2] for r in out)
        out.append((OTHER, max(0.0, total_wall - known_wall), max(0.0, total_cpu - known_cpu), 0))
        out.append(("total", total_wall, total_cpu, 0))
        return out

    def format(self) -> str:
        lines = [f"{'phase':<10} {'wall s':>9} {'cpu s':>9} {'count':>9}  counted"]
        for name, wall, cpu, count in self.rows():
            unit = UNITS.get(name, "")
            shown = f"{count:>9}" if name in UNITS else f"{'':>9}"
            lines.append(f"{name:<10} {wall:>9.3f} {cpu:>9.3f} {shown}  {unit}".rstrip())
        # What bounds the wall time on enough cores: the main process's share is serial.
        main_cpu = time.process_time() - self.start_cpu
        lines.append(f"(cpu s: main process {main_cpu:.3f}, worker processes {self.worker_cpu:.3f})")
        return "\n".join(lines)


_CURRENT: Timings | None = None


class _Phase:
    __slots__ = ("timings", "name", "n")

    def __init__(self, timings: Timings, name: str, n: int) -> None:
        self.timings, self.name, self.n = timings, name, n

    def __enter__(self) -> None:
        self.timings.enter(self.name, self.n)

    def __exit__(self, *exc: Any) -> None:
        self.timings.exit()


class _Nothing:
    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


_NOTHING = _Nothing()


def phase(name: str, n: int = 0) -> Any:
    """A context manager that charges its time to ``name`` and adds ``n`` to its count."""
    t = _CURRENT
    return _NOTHING if t is None else _Phase(t, name, n)


def count(name: str, n: int = 1) -> None:
    t = _CURRENT
    if t is not None:
        t.add_count(name, n)


def start() -> Timings:
    """Start timing this run (and the workers it forks)."""
    global _CURRENT
    _CURRENT = Timings()
    return _CURRENT


def stop() -> None:
    global _CURRENT
    _CURRENT = None


def current() -> Timings | None:
    return _CURRENT


def restart_in_worker() -> Timings | None:
    """In a forked worker: forget the parent's figures and time this process's work."""
    global _CURRENT
    if _CURRENT is None:
        return None
    _CURRENT = Timings()
    return _CURRENT


__all__ = ["PHASES", "Timings", "count", "current", "phase", "restart_in_worker", "start", "stop"]
