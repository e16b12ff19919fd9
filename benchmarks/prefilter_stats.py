"""How many files each rule's prefilter hands to LibCST, and what deciding costs.

    python benchmarks/prefilter_stats.py ROOT

Builds the project index and contract of ROOT as ``ssot-lint check`` does (no cache), then
asks every enabled visitor rule's ``could_fire`` for every file and prints, per rule, the
files that pass and the seconds spent deciding; "any rule" is the number of files LibCST
will parse.
"""

from __future__ import annotations

import collections
import sys
import time
from pathlib import Path

from ssot_lint.cache import Cache
from ssot_lint.cli import tune_gc
from ssot_lint.config import load_config
from ssot_lint.context import RuleContext
from ssot_lint.engine import Linter
from ssot_lint.project import Project
from ssot_lint.registry import load_rules
from ssot_lint.run.contract import bind, contract_for
from ssot_lint.run.lint import could_fire
from ssot_lint.source import ReadError


def main() -> None:
    tune_gc()
    root = Path(sys.argv[1]).resolve()
    cfg = load_config(root)
    linter = Linter(cfg, load_rules())
    files = {f.relpath: f for f in linter.discover([str(root)])}
    project = Project(files, {}, Cache(root / ".ssot_lint_cache", enabled=False))
    start = time.perf_counter()
    linter.contract, _ = contract_for(linter, project, None)
    index = project.index()
    bind(linter, index)
    print(f"index and contract: {time.perf_counter() - start:.1f} s")
    passed: collections.Counter[str] = collections.Counter()
    seconds: collections.Counter[str] = collections.Counter()
    any_rule = 0
    for rel in project.paths:
        src = project.source(rel)
        if isinstance(src, ReadError):
            continue
        context = RuleContext(
            path=rel,
            module=linter.module_of(rel)[0],
            facts=project.lazy_facts(rel),
            index=index,
            config=cfg,
            contract=linter.contract,
            is_test=linter.is_test(rel),
            rule_options=linter.rule_options,
            text=src.text,
        )
        fired = False
        for rule in linter.rules_for(rel):
            if rule.POST_PASS or rule.ENGINE_RULE:
                continue
            t = time.perf_counter()
            if could_fire(rule, context):
                passed[rule.code] += 1
                fired = True
            seconds[rule.code] += time.perf_counter() - t
        any_rule += fired
    print(f"{len(project.paths)} files; any rule: {any_rule}")
    for code in sorted(set(passed) | set(seconds)):
        print(f"{code}  {passed[code]:>6} files  {seconds[code]:6.2f} s")


if __name__ == "__main__":
    main()
