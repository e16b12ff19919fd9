"""The long fuzz campaign: the property tests of tests/test_properties.py with many examples.

    python benchmarks/fuzz.py --examples 10000
    python benchmarks/fuzz.py --examples 10000 --only fix     # one property (crash, grammar, fix)
    python benchmarks/fuzz.py --only warm-cold --examples 200 [--steps 20] [--seed 1000] [--jobs 1]

Runs each property (pattern projects never crash, grammar-generated Python never crashes,
fixes parse / are idempotent / touch nothing else) with the given number of examples and
prints, per property, the examples run, the wall time, and the first failure if any.
Exit 1 when a property failed.

``warm-cold`` is the differential test of the cache (``tests/warm_cold.py``): each example
is a seeded project and a sequence of ``--steps`` random edits (def <-> async def,
imports, renames, re-exports, bases, comments, files added and deleted, config), each
linted with the cache and with ``--no-cache``; the outputs must be identical. Seeds
start at ``--seed``; a failure prints the seed, the step and the edits so far
(``warm_cold.replay(seed, step)`` rebuilds the files). It keeps going after a failure
and prints every failing seed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))

import fuzzing  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402


def run(name, strategy, check, examples: int) -> tuple[int, float, str | None]:
    count = 0

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def prop(files):
        nonlocal count
        count += 1
        check(files)

    start = time.perf_counter()
    try:
        prop()
        failure = None
    except Exception as exc:  # report, keep going with the next property
        failure = f"{type(exc).__name__}: {str(exc)[:2000]}"
    return count, time.perf_counter() - start, failure


def with_fix_calls(files):
    return {p: t + "legacy_call(1)\nvalue = legacy_call(2)  # keep\n" for p, t in files.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=int, default=1000)
    ap.add_argument(
        "--only",
        choices=["crash", "grammar", "fix", "warm-cold"],
        action="append",
        help="run only these properties (repeatable; default: all four)",
    )
    ap.add_argument("--steps", type=int, default=20, help="warm-cold: edits per example")
    ap.add_argument("--seed", type=int, default=1000, help="warm-cold: the first seed")
    ap.add_argument("--jobs", type=int, default=1, help="warm-cold: --jobs of the warm runs")
    args = ap.parse_args()
    props = [
        ("pattern projects never crash", fuzzing.pattern_project(), fuzzing.check_never_crashes),
        ("grammar-generated Python never crashes", fuzzing.grammar_project(), fuzzing.check_never_crashes),
        (
            "fixes parse, are idempotent, touch nothing else",
            fuzzing.pattern_project().map(with_fix_calls),
            fuzzing.check_fix_properties,
        ),
    ]
    if args.only:
        keys = ["crash", "grammar", "fix"]
        props = [p for key, p in zip(keys, props) if key in args.only]
    failed = False
    print(f"{'property':<50} {'examples':>9} {'seconds':>9}  result")
    for name, strategy, check in props:
        count, seconds, failure = run(name, strategy, check, args.examples)
        failed |= failure is not None
        print(f"{name:<50} {count:>9} {seconds:>9.1f}  {'FAILED: ' + failure if failure else 'ok'}")
    if not args.only or "warm-cold" in args.only:
        failed |= warm_cold(args)
    return 1 if failed else 0


def warm_cold(args) -> bool:
    import warm_cold as wc

    start = time.perf_counter()
    edits = findings = 0
    failures = []
    with tempfile.TemporaryDirectory(prefix="ssot-warm-cold-") as tmp:
        for seed in range(args.seed, args.seed + args.examples):
            out = wc.check_sequence(seed, args.steps, Path(tmp), jobs=args.jobs)
            edits += out.steps
            findings += out.findings
            if out.failure:
                failures.append(out.failure)
                print(out.failure, flush=True)
    name = "warm equals cold after random edits"
    seconds = time.perf_counter() - start
    result = f"FAILED: {len(failures)} of {args.examples} sequences" if failures else "ok"
    print(f"{name:<50} {args.examples:>9} {seconds:>9.1f}  {result} ({edits} edits, {findings} findings compared)")
    return bool(failures)


if __name__ == "__main__":
    sys.exit(main())
