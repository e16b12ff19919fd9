"""Render a :class:`~ssot_lint.probe.runner.ProbeResult` as text or JSON."""

from __future__ import annotations

import json
from typing import TextIO

from ssot_lint.probe.result import ProbeResult

#: Failures shown per check in text output (JSON has them all).
TEXT_FAILURES = 10
#: Users or pairs shown per failure in text output.
TEXT_USERS = 4


def _more(items: list, limit: int, count: int, fmt) -> str:
    shown = ", ".join(fmt(x) for x in items[:limit])
    rest = max(count, len(items)) - min(limit, len(items))
    return shown + (f", ... ({rest} more)" if rest > 0 else "")


def write_text(result: ProbeResult, out: TextIO) -> None:
    out.write(
        f"ssot-lint probe {result.target}: {result.factory_type}, {result.users} users x {result.agents} agents "
        f"({result.seconds:.2f} s)\n"
        f"  contexts from {result.context_factory}; events observed through {result.transport_hook}\n\n"
    )
    width = max(len(c.name) for c in result.checks)
    for check in result.checks:
        mark = {"pass": "ok  ", "fail": "FAIL", "skip": "skip"}[check.status]
        out.write(f"  {mark}  {check.name:<{width}}  {check.summary}\n")
    failed = [c for c in result.checks if c.status == "fail"]
    for check in failed:
        out.write(f"\n{check.name}: {len(check.failures)} failure{'s' if len(check.failures) != 1 else ''}\n")
        for failure in check.failures[:TEXT_FAILURES]:
            out.write(f"  - {failure.message}\n")
            if failure.pairs:
                out.write(
                    f"      pairs: {_more(failure.pairs, TEXT_USERS, len(failure.pairs), lambda p: f'{p[0]} -> {p[1]}')}\n"
                )
            elif failure.users:
                out.write(f"      users: {_more(failure.users, TEXT_USERS, len(failure.users), str)}\n")
            if failure.types:
                out.write(f"      types: {', '.join(failure.types)}\n")
        if len(check.failures) > TEXT_FAILURES:
            out.write(f"  ... and {len(check.failures) - TEXT_FAILURES} more (--format json lists them all)\n")
    out.writelines(f"\nnote: {note}\n" for note in result.notes)
    if failed:
        out.write(
            f"\nNOT ISOLATED: {len(failed)} check{'s' if len(failed) != 1 else ''} failed "
            f"({', '.join(c.name for c in failed)})\n"
        )
    else:
        out.write(f"\nIsolated: {result.users} users, {sum(c.status == 'pass' for c in result.checks)} checks passed\n")


def write_json(result: ProbeResult, out: TextIO) -> None:
    json.dump(result.to_json(), out, indent=2)
    out.write("\n")
