"""The rule API (``ssot_lint.api``): the session's project tables, rule-declared facts,
and the resolver queries a rule asks through its context."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import libcst as cst
import pytest

import ssot_lint.api as api
from ssot_lint.cache import facts_schema
from ssot_lint.codec import dumps, loads
from ssot_lint.facts import ModuleFacts, extract_facts, installed_collectors
from ssot_lint.index import ProjectIndex
from ssot_lint.session import AnalysisSession, ProjectTable

REPO = Path(__file__).resolve().parent.parent

LIB = """\
class Store:
    def get(self, key):
        return key


async def load(key):
    return key


def save(key) -> int:
    return key


def make_store() -> Store:
    return Store()
"""

SERVICE = """\
from app import lib
from app.lib import Store as S


async def handler(store: S):
    other = lib.make_store()
    await lib.load(1)
    lib.save(2)
    return store.get(3), other
"""


def _index() -> ProjectIndex:
    return ProjectIndex(
        [
            extract_facts("", "app", "app/__init__.py", True),
            extract_facts(LIB, "app.lib", "app/lib.py", False),
            extract_facts(SERVICE, "app.service", "app/service.py", False),
        ]
    )


def _context(index: ProjectIndex, scope: str = "handler") -> api.RuleContext:
    facts = index.get_module("app.service")
    ctx = api.RuleContext("app/service.py", "app.service", facts, index, None, None, False)  # type: ignore[arg-type]
    ctx.scope = scope
    return ctx


# --- the session's project tables -----------------------------------------------------------
COUNT = ProjectTable("test-class-names", lambda s, arg: frozenset(d.qualname for d in _classes(s.index)))


def _classes(index: ProjectIndex):
    for facts in index.modules.values():
        for info in facts.defs.values():
            if info.kind == api.CLASS:
                yield info


def test_a_table_is_computed_once_per_session_and_readers_depend_on_its_value():
    index = _index()
    calls = []
    table = ProjectTable("test-count", lambda s, arg: calls.append(arg) or frozenset({"Store"}))
    session = AnalysisSession(index, None, None, [table])
    index.start_recording()
    assert session.table(table, "x") == frozenset({"Store"})
    assert session.table(table, "x") == frozenset({"Store"})
    deps = index.stop_recording()
    assert calls == ["x"]
    # The reader depends on the table's value, not on the modules computing it read.
    assert deps == frozenset({"@table:test-count:x"})
    assert index.derived_fingerprint("@table:test-count:x") == repr(["Store"])
    assert index.session is session


def test_a_table_no_rule_declares_cannot_be_read_in_a_run():
    session = AnalysisSession(_index(), None, None, [])
    with pytest.raises(LookupError, match="test-class-names"):
        session.table(COUNT)
    # Unknown tables are never equal to an earlier value.
    assert session.index.derived_fingerprint("@table:test-class-names:") is None


def test_two_sessions_share_nothing():
    first = AnalysisSession(_index(), None, None, [COUNT])
    assert first.table(COUNT) == frozenset({"Store"})
    changed = ProjectIndex([extract_facts("class Other:\n    pass\n", "m", "m.py", False)])
    second = AnalysisSession(changed, None, None, [COUNT])
    assert second.table(COUNT) == frozenset({"Other"})
    assert first.cached("k", lambda: 1) == 1 and second.cached("k", lambda: 2) == 2


def test_an_mro_asked_again_is_the_same_and_records_what_it_read_again():
    """``ProjectIndex.mro`` is memoised: every caller, not only the first, depends on the
    modules computing it read (else the second file's cached findings go stale)."""
    index = ProjectIndex(
        [
            extract_facts("class A:\n    pass\n", "app.a", "app/a.py", False),
            extract_facts("from app.a import A\n\n\nclass B(A):\n    pass\n", "app.b", "app/b.py", False),
            extract_facts("from app.b import B\n\n\nclass C(B):\n    pass\n", "app.c", "app/c.py", False),
        ]
    )
    c = index.definition("app.c", "C")
    assert c is not None
    reads = []
    for _ in range(2):
        index.start_recording()
        order = [d.fullname for d in index.mro(c)]
        reads.append(index.stop_recording())
        assert order == ["app.c.C", "app.b.B", "app.a.A"]
    assert reads[0] == reads[1] and {"app.a#A", "app.b#B"} <= reads[1]


def test_every_builtin_table_is_declared_by_the_rules_that_read_it():
    from ssot_lint.registry import load_rules

    kinds = [t.kind for r in load_rules().rules for t in r.TABLES]
    assert {"await-callable-names", "await-kind-names", "notifier-model", "null-notifier-targets"} <= set(kinds)


# --- facts that rules declare ---------------------------------------------------------------
def _first_names(tree: ast.Module, facts: ModuleFacts) -> tuple[str, ...]:
    return tuple(sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}))[:3]


NAMES = api.FactCollector("test-first-names", tuple[str, ...], _first_names, ())


def test_a_collector_runs_in_the_facts_pass_and_travels_as_typed_json():
    facts = extract_facts("a = b + c + d\n", "m", "m.py", False, collectors=[NAMES])
    assert NAMES.of(facts) == ("a", "b", "c")
    back = loads(dumps(facts), ModuleFacts)
    assert NAMES.of(back) == ("a", "b", "c")
    assert back == facts


def test_a_collector_that_did_not_run_is_an_error_not_an_empty_answer():
    facts = extract_facts("a = 1\n", "m", "m.py", False, collectors=[])
    with pytest.raises(LookupError, match="test-first-names"):
        NAMES.of(facts)
    broken = extract_facts("def (:\n", "m", "m.py", False, collectors=[])
    assert NAMES.of(broken) == ()  # a module that does not parse has the default


def test_the_installed_collectors_are_part_of_the_facts_cache_key(monkeypatch):
    import ssot_lint.facts as facts_mod

    names = [c.name for c in installed_collectors()]
    assert "attr-ops" in names
    before = facts_schema()
    monkeypatch.setattr(facts_mod, "installed_collectors", lambda: (*installed_collectors(), NAMES))
    assert facts_schema() != before


# --- the resolver queries -------------------------------------------------------------------
def test_resolve_call_follows_imports_to_the_project_function():
    ctx = _context(_index())
    res = ctx.resolve_call(cst.parse_expression("lib.load(1)"))
    assert res is not None and res.primary.fullname == "app.lib.load"
    assert ctx.resolve_call(cst.parse_expression("print(1)")) is None
    target = ctx.resolve_definition(cst.parse_expression("S"))
    assert target is not None and target.fullname == "app.lib.Store"


def test_callee_kind_says_what_calling_gives():
    ctx = _context(_index())
    assert ctx.callee_kind(cst.parse_expression("lib.load(1)")) == "coroutine"
    assert ctx.callee_kind(cst.parse_expression("lib.save(1)")) == "plain"
    assert ctx.callee_kind(cst.parse_expression("unknown(1)")) is None


def test_receiver_classes_types_parameters_and_factory_results():
    ctx = _context(_index())
    found = ctx.receiver_classes(cst.parse_expression("store"))
    assert found is not None and [t.cls.fullname for t in found] == ["app.lib.Store"]
    other = ctx.receiver_classes(cst.parse_expression("other"))
    assert other is not None and [t.cls.fullname for t in other] == ["app.lib.Store"]
    assert ctx.receiver_classes(cst.parse_expression("nothing")) is None
    method = ctx.resolve_call(cst.parse_expression("store.get(3)"))
    assert method is not None and method.primary.fullname == "app.lib.Store.get"


# --- one module for rule authors ------------------------------------------------------------
def test_rules_import_only_the_api():
    pattern = re.compile(r"^\s*(from|import)\s+(ssot_lint(?!\.api\b)[\w.]*|\.\.?(facts|index|inference)\b)", re.M)
    offenders = []
    for path in sorted((REPO / "rules").glob("*.py")):
        for m in pattern.finditer(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.name}: {m.group(0).strip()}")
    assert offenders == []


def test_the_old_rule_module_still_serves_existing_plugins():
    import ssot_lint.rule as rule

    for name in ("LintRule", "Valid", "Invalid", "Option", "CstFix"):
        assert getattr(rule, name) is getattr(api, name)
    assert set(api.__all__) <= set(dir(api))
