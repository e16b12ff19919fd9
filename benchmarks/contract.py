"""Benchmark of building the contract (a script, not a test).

Run with ``python benchmarks/contract.py [MODULES]``. On a synthetic project of MODULES
modules (default 2,000; every tenth module holds a per-user factory, the others plain
classes and functions) it prints the median of several runs of:

* the reference part, cold (find + parse the reference package) and cached;
* inference over the project index;
* the facts + index phase it runs after, for scale;

and the ratio of inference to the facts + index phase. Goal: the contract costs a small
fraction (< 10%) of the facts + index phase it depends on.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ssot_lint import contract as contract_mod
from ssot_lint.config import Config
from ssot_lint.facts import extract_facts
from ssot_lint.index import ProjectIndex

REPEATS = 7

PLAIN = """\
from app.ctx import UserExecutionContext


class Thing{n}:
    def __init__(self, value):
        self.value = value

    def method(self, x):
        return Thing{n}(x)


def helper_{n}(a, b):
    c = Thing{n}(a)
    return c.method(b)
"""
FACTORY = """\
from app.ctx import UserExecutionContext
from app.m{n} import Thing{n}


class Session{n}:
    def __init__(self, context, log):
        self.context = context


class Log{n}:
    def __init__(self, user_id):
        self.user_id = user_id


class Session{n}Factory:
    async def create_for_user(self, context: UserExecutionContext) -> Session{n}:
        log = Log{n}(context.user_id)
        return Session{n}(context, log)

    def create_thing(self, value):
        return Thing{n}(value)
"""


def project(modules: int) -> dict[str, str]:
    files = {"app/__init__.py": "", "app/ctx.py": "class UserExecutionContext:\n    pass\n"}
    for n in range(modules):
        files[f"app/m{n}.py"] = PLAIN.format(n=n)
        if n % 10 == 0:
            files[f"app/f{n}_factory.py"] = FACTORY.format(n=n)
    return files


def median_ms(fn, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def main() -> None:
    modules = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    files = project(modules)
    config = Config(root=Path("/nonexistent-root"))

    def facts_and_index() -> ProjectIndex:
        facts = [
            extract_facts(text, rel[:-3].replace("/", ".").removesuffix(".__init__"), rel, rel.endswith("__init__.py"))
            for rel, text in files.items()
        ]
        return ProjectIndex(facts)

    index = facts_and_index()

    references = contract_mod.ReferenceCache()
    t_cold = median_ms(lambda: contract_mod.build_contract(config))  # a fresh cache each time
    t_cached = median_ms(lambda: contract_mod.build_contract(config, references=references))
    t_infer = median_ms(lambda: contract_mod.build_contract(config, index, lambda p: False, references=references))
    t_index = median_ms(facts_and_index, repeats=3)
    contract = contract_mod.build_contract(config, index, lambda p: False)
    inferred = sum(1 for m in contract.managed if m.origin == "inferred")
    print(f"project: {len(files)} modules, {inferred} inferred managed classes")
    print(f"reference part, cold (find + parse):  {t_cold:8.2f} ms")
    print(f"reference part, cached:               {t_cached:8.2f} ms")
    print(f"whole contract with inference:        {t_infer:8.2f} ms")
    print(f"facts + index phase (for scale):      {t_index:8.2f} ms")
    print(f"ratio contract / facts+index:         {t_infer / t_index:8.3f}  (goal < 0.10)")


if __name__ == "__main__":
    main()
