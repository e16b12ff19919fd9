"""Strategies and properties shared by the property tests and ``benchmarks/fuzz.py``.

Two generators: hypothesmith's grammar-based Python source (odd but valid syntax), and
multi-module projects built from the shapes the resolver and the rules care about
(imports, relative and star imports, alias chains and cycles, twins, awaits, classes with
bases, singletons), with a small name pool so that names collide and cycles form.
"""

from __future__ import annotations

from pathlib import Path

import hypothesmith
import libcst as cst
from conftest import load_test_plugins
from hypothesis import strategies as st

from ssot_lint.config import Config
from ssot_lint.engine import Linter
from ssot_lint.fixes import _line_starts, apply_edits, offset_of, select_fixes
from ssot_lint.registry import LoadedRules, load_rules

ssot_test_plugins = load_test_plugins()

# Built once: each from_grammar() call compiles the whole Lark grammar (about 7 s).
GRAMMAR = hypothesmith.from_grammar()
NAMES = ["ExecutionEngine", "UserWebSocketEmitter", "helper", "get_engine", "Factory", "notifier", "X", "_instance"]
MODULES = ["m0", "m1", "m2", "pkg.m3", "pkg"]


def _stmt(draw) -> str:
    name = draw(st.sampled_from(NAMES))
    other = draw(st.sampled_from(NAMES))
    mod = draw(st.sampled_from(MODULES))
    choices = [
        f"from app.{mod} import {name}",
        f"from app.{mod} import {name} as {other}",
        f"import app.{mod} as {other}",
        f"from . import {mod.split('.')[-1]}",
        f"from .{mod.split('.')[-1]} import *",
        f"from ..{mod.split('.')[-1]} import {name}",
        f"{name} = {other}",
        f"{name} = {other}.{draw(st.sampled_from(NAMES))}",
        f"{name} = None",
        f"class {name}({other}):\n    _instance = None\n    def agent_started(self):\n        return {other}()\n"
        f"    async def run(self):\n        await self.agent_started()\n        await super().run()\n",
        f"async def {name}():\n    await {other}()\n    {other}()\n    return {other}.agent_thinking()\n",
        f"def {name}():\n    global {other}\n    {other} = {draw(st.sampled_from(NAMES))}()\n    return {other}\n",
        f"def {name}(notifier=None):\n    yield {other}\n",
        f"{name}({other}=None)",
        f"{other} = {name}({draw(st.sampled_from(NAMES))})",
        f"object.__new__({name})",
        f"if TYPE_CHECKING:\n    from app.{mod} import {name}",
        f"try:\n    from app.{mod} import {name}\nexcept ImportError:\n    {name} = None",
        f"__all__ = ['{name}', '{other}']",
    ]
    return draw(st.sampled_from(choices))


@st.composite
def pattern_module(draw) -> str:
    return "\n".join(_stmt(draw) for _ in range(draw(st.integers(1, 8)))) + "\n"


@st.composite
def pattern_project(draw) -> dict[str, str]:
    files = {"app/__init__.py": "", "app/pkg/__init__.py": draw(pattern_module())}
    for mod in MODULES:
        if mod != "pkg":
            files[f"app/{mod.replace('.', '/')}.py"] = draw(pattern_module())
    return files


@st.composite
def grammar_project(draw) -> dict[str, str]:
    """One grammar-generated module beside pattern modules that import from it.

    (Several ``from_grammar`` draws per example make hypothesis discard most inputs as
    too large; one draw keeps generation fast.)"""
    files = draw(pattern_project())
    files["app/m0.py"] = draw(GRAMMAR)
    return files


def all_rules() -> LoadedRules:
    builtin = load_rules()
    extra = tuple(r for r in ssot_test_plugins.RULES if r.code != "BRK001" and builtin.by_code(r.code) is None)
    return LoadedRules(tuple(sorted(builtin.rules + extra, key=lambda r: r.code)))


RULES = None


def linter() -> Linter:
    global RULES
    if RULES is None:
        RULES = all_rules()
    return Linter(Config(root=Path("/virtual")), RULES, select=["ALL"])


def check_never_crashes(files: dict[str, str]) -> None:
    """Every rule runs on every file; only diagnostics come out, never an exception."""
    result = linter().lint_texts(files, sorted(files))
    assert result.errors == [], [e.message for e in result.errors]


def _untouched_segments(text: str, edits) -> list[tuple[int, str]]:
    starts = _line_starts(text)
    spans = sorted((offset_of(starts, e.range.start), offset_of(starts, e.range.end)) for e in edits)
    out, pos = [], 0
    for s, e in spans:
        out.append((pos, text[pos:s]))
        pos = e
    out.append((pos, text[pos:]))
    return out


def check_fix_properties(files: dict[str, str]) -> None:
    """Fixed output parses, a second --fix changes nothing, and no byte outside the
    reported fix ranges changes."""
    lint = linter()
    result = lint.lint_texts(files, sorted(files))
    by_path: dict[str, list] = {}
    for d in result.diagnostics:
        by_path.setdefault(d.path, []).append(d)
    for path, diags in by_path.items():
        original = files[path]
        chosen, _ = select_fixes(diags, unsafe=True)
        if not chosen:
            continue
        edits = [e for d in chosen for e in d.fix.edits]
        fixed_once = apply_edits(original, edits)
        # Outside the edited ranges, the text is the same and in the same order.
        rebuilt = fixed_once
        for _, segment in _untouched_segments(original, edits):
            idx = rebuilt.find(segment)
            assert idx != -1, f"{path}: text outside the fix ranges changed"
            rebuilt = rebuilt[idx + len(segment) :]
        try:
            cst.parse_module(fixed_once)
        except cst.ParserSyntaxError:
            # The engine refuses such a fix (tests/test_fix_safety.py); nothing more here.
            continue
        # Fix to a fixpoint through the engine, then once more: nothing changes.
        final = _fix_to_fixpoint(lint, files, path)
        cst.parse_module(final)
        assert _fix_to_fixpoint(lint, {**files, path: final}, path) == final, f"{path}: --fix is not idempotent"


def _fix_to_fixpoint(lint: Linter, files: dict[str, str], path: str) -> str:
    from ssot_lint.source import source_from_text

    sources = {p: source_from_text(t, p, p) for p, t in files.items()}
    facts = {p: lint.facts_for(s) for p, s in sources.items()}
    index = lint.make_index(facts.values())
    _, outcome = lint.fix_source(sources[path], facts[path], index, unsafe=True)
    if outcome is None or outcome.failed:
        return files[path]
    return outcome.fixed
