"""What the adoption tools cost: SSOT100's post pass, and holding findings against a baseline.

    python benchmarks/adoption.py [MODULES]

Generates a project of MODULES modules (default 300) under a temporary directory, each
with direct constructions of the managed engine, used and unused suppressions, and
functions that never report, then times in-process (median of 5 runs each):

- ``check`` with every default rule, and with ``--ignore SSOT100`` (the post pass's cost);
- writing the baseline, and matching a run's findings against it.

Prints the medians, the ratio of the SSOT100 run to the run without it, and the counts.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from ssot_lint.baseline import Baseline, match, write_baseline
from ssot_lint.config import load_config
from ssot_lint.engine import Linter
from ssot_lint.registry import load_rules

ENGINE = """\
class ExecutionEngine:
    def __init__(self, ctx):
        self.ctx = ctx


def create_engine_for_user(ctx: "UserExecutionContext"):
    return ExecutionEngine(ctx)
"""

MODULE = """\
from app.engine import ExecutionEngine


def build_{i}(ctx):
    return ExecutionEngine(ctx)


def kept_{i}(ctx):
    return ExecutionEngine(ctx)  # noqa: SSOT001


def stale_{i}(ctx, factory):
    return factory.create_for_user(ctx)  # noqa: SSOT001


class Handler{i}:
    def run(self, ctx):
        total = 0
        for n in range(10):
            total += n  # noqa: E501
        return total

    def other(self, ctx):
        return [ExecutionEngine(ctx)]
"""

RUNS = 5


def make_project(root: Path, modules: int) -> None:
    (root / "pyproject.toml").write_text('[project]\nname = "bench"\n')
    app = root / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "engine.py").write_text(ENGINE)
    for i in range(modules):
        (app / f"mod_{i}.py").write_text(MODULE.format(i=i))


def median_time(fn) -> tuple[float, object]:
    times, value = [], None
    for _ in range(RUNS):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def main() -> int:
    modules = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    rules = load_rules()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_project(root, modules)
        config = load_config(root)
        with_post = Linter(config, rules)
        without_post = Linter(config, rules, ignore=["SSOT100"])
        t_with, res_with = median_time(lambda: with_post.run([str(root)]))
        t_without, res_without = median_time(lambda: without_post.run([str(root)]))
        n_unused = sum(1 for d in res_with.diagnostics if d.code == "SSOT100")
        path = root / ".ssot-lint-baseline.json"

        def write() -> Baseline:
            baseline = Baseline.from_diagnostics(res_with.diagnostics)
            write_baseline(path, baseline)
            return baseline

        t_write, baseline = median_time(write)
        linted = set(res_with.files)
        t_match, m = median_time(lambda: match(res_with.diagnostics, baseline, linted.__contains__))
    lines = modules * MODULE.count("\n")
    print(f"project: {modules} modules, {lines} lines; median of {RUNS} runs each")
    print(
        f"check (default rules):            {t_with * 1000:8.1f} ms  ({len(res_with.diagnostics)} findings, {n_unused} SSOT100)"
    )
    print(f"check --ignore SSOT100:           {t_without * 1000:8.1f} ms  ({len(res_without.diagnostics)} findings)")
    print(f"ratio with/without SSOT100:       {t_with / t_without:8.3f}")
    print(
        f"write baseline:                   {t_write * 1000:8.1f} ms  ({baseline.total} findings, {len(baseline.entries)} entries)"
    )
    print(
        f"match findings against baseline:  {t_match * 1000:8.1f} ms  ({m.baselined} baselined, {len(m.new)} new, {m.stale} stale)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
