"""Count what SSOT002/SSOT008/SSOT009 look at in a tree, and how much of it they report.

    python docs/state_candidates.py <root>

Prints a funnel per rule (candidates -> after each filter), using the rules' own helpers,
so that a count of findings can be put in proportion ("N module-level objects, M singletons
of per-user classes"). Nothing is imported from the linted tree.
"""

from __future__ import annotations

import collections
import sys
from pathlib import Path

from ssot_lint.rules._state import (
    DEFAULT_PER_USER_WORDS,
    class_ops,
    is_lock_call,
    own_state_attrs,
    value_container_kind,
)
from ssot_lint.rules.module_singleton import ModuleSingleton
from ssot_lint.rules.shared_factory_product import factory_reason

from ssot_lint.config import load_config
from ssot_lint.context import RuleContext
from ssot_lint.engine import Linter
from ssot_lint.facts import ASSIGN, CLASS
from ssot_lint.registry import load_rules


def main(root: Path) -> None:
    linter = Linter(load_config(root), load_rules())
    index, _sources, facts_by_path, _ = linter.build_index(linter.discover([str(root)]))
    count: collections.Counter[str] = collections.Counter()
    for path, facts in sorted(facts_by_path.items()):
        if not facts.module or linter.is_test(path):
            continue
        ctx = RuleContext(path, facts.module, facts, index, linter.config, linter.contract, False, linter.rule_options)
        rule = ModuleSingleton(ctx)
        for bindings in facts.module_scope.bindings.values():
            for b in bindings:
                if b.kind != ASSIGN or b.value_kind != "call" or not b.value:
                    continue
                count["SSOT002 module-level `x = call(...)`"] += 1
                cls = index.resolve_definition(facts.module, "", b.value)
                if cls is None or cls.kind != CLASS:
                    continue
                count["SSOT002   ...of a project class"] += 1
                if rule._verdict(cls) is not None:
                    count["SSOT002   ...of a managed or per-user class (reported)"] += 1
        for info in facts.defs.values():
            if info.kind == CLASS:
                cls = index.definition(facts.module, info.qualname)
                if rule._own_mechanism(cls) is not None:
                    count["SSOT002 classes with a singleton mechanism"] += 1
                    if rule._verdict(cls) is not None:
                        count["SSOT002   ...that are managed or per-user (reported)"] += 1
                scope = facts.scopes.get(info.qualname)
                for attr, bindings in scope.bindings.items() if scope else ():
                    b = next((x for x in bindings if x.kind == ASSIGN), None)
                    if b is None:
                        continue
                    if value_container_kind(b.value_kind, b.value):
                        count["SSOT009 class-level containers"] += 1
                        if class_ops(index, cls, attr, "mutate", linter.config.test_paths):
                            count["SSOT009   ...changed in place through self/cls/the class"] += 1
                    elif is_lock_call(index, facts.module, info.qualname, b.value):
                        count["SSOT009 class-level locks"] += 1
                        if class_ops(index, cls, attr, "lock", linter.config.test_paths):
                            count["SSOT009   ...acquired through self/cls/the class"] += 1
                continue
            if rule._cache_name(info) is not None:
                count["SSOT002 functions decorated with lru_cache/cache"] += 1
            if factory_reason(facts, info, linter.contract, {}, index) is not None:
                count["SSOT008 factory methods (entry points and inferred)"] += 1
            if any(name in info.globals for name in facts.module_scope.bindings):
                count["SSOT002 functions assigning a module global"] += 1
    per_user = 0
    for facts in index.modules.values():
        if linter.is_test(facts.path):
            continue
        for info in facts.defs.values():
            if info.kind == CLASS:
                if own_state_attrs(index, index.definition(facts.module, info.qualname), DEFAULT_PER_USER_WORDS):
                    per_user += 1
    count["classes holding per-user state (own attributes)"] = per_user
    order = [
        "SSOT002 module-level `x = call(...)`",
        "SSOT002   ...of a project class",
        "SSOT002   ...of a managed or per-user class (reported)",
        "SSOT002 functions assigning a module global",
        "SSOT002 functions decorated with lru_cache/cache",
        "SSOT002 classes with a singleton mechanism",
        "SSOT002   ...that are managed or per-user (reported)",
        "SSOT008 factory methods (entry points and inferred)",
        "SSOT009 class-level containers",
        "SSOT009   ...changed in place through self/cls/the class",
        "SSOT009 class-level locks",
        "SSOT009   ...acquired through self/cls/the class",
        "classes holding per-user state (own attributes)",
    ]
    for key in order:
        print(f"{count[key]:7d}  {key}")


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
