"""Benchmark of ``ssot-lint probe`` (a script, not a test).

Run with ``python benchmarks/probe.py [--users 1000] [--agents 3] [--repeats 5]``.
Prints the median wall time of a full probe of the reference factory (create
2 engines per user, run the agents, walk the object graphs, clean up, collect)
over several runs, in-process, plus the median time of one ``ssot-lint probe``
subprocess (which adds interpreter start-up and imports).

Goal: a 1,000-user probe of the reference factory in under 10 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ssot_lint.probe import ProbeOptions, run_probe  # noqa: E402  (after the sys.path line)

TARGET = "ssot_lint.reference:ExecutionEngineFactory"
GOAL_SECONDS = 10.0


def in_process(users: int, agents: int) -> float:
    started = time.perf_counter()
    result = run_probe(TARGET, ProbeOptions(users=users, agents=agents))
    elapsed = time.perf_counter() - started
    if not result.ok:
        raise SystemExit(
            f"the reference factory failed the probe: {[c.name for c in result.checks if c.status == 'fail']}"
        )
    return elapsed


def subprocess_run(users: int, agents: int) -> float:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "ssot_lint", "probe", TARGET, "--users", str(users), "--agents", str(agents)],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"ssot-lint probe exited {proc.returncode}: {proc.stdout.decode()}{proc.stderr.decode()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--agents", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    inside = [in_process(args.users, args.agents) for _ in range(args.repeats)]
    cli = [subprocess_run(args.users, args.agents) for _ in range(args.repeats)]
    small = statistics.median(in_process(100, args.agents) for _ in range(args.repeats))
    median = statistics.median(inside)
    print(f"probe of {TARGET}: {args.users} users x {args.agents} agents, median of {args.repeats} runs")
    print(f"  in-process:            {median:6.2f} s  (min {min(inside):.2f}, max {max(inside):.2f})")
    print(f"  ssot-lint probe (CLI): {statistics.median(cli):6.2f} s  (includes start-up and imports)")
    print(
        f"  100 users in-process:  {small:6.2f} s  -> {args.users} users cost {median / small:.1f}x "
        f"for {args.users / 100:.0f}x the users"
    )
    print(f"  goal < {GOAL_SECONDS:.0f} s: {'met' if median < GOAL_SECONDS else 'MISSED'}")


if __name__ == "__main__":
    main()
