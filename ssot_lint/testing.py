"""Helpers for testing rules, for this project and for third-party rule packs.

``check_example`` runs one ``Valid``/``Invalid`` example of a rule through the real
engine (facts, index, one traversal, suppressions) on an in-memory project.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .config import SCHEMA, Config, _apply
from .diagnostics import Diagnostic
from .engine import Linter, RunResult
from .fixes import apply_edits
from .registry import LoadedRules, load_rules
from .rule import Invalid, LintRule, Valid


def config_from(table: Mapping[str, Any], root: Path = Path("/virtual-project")) -> Config:
    cfg = Config(root=root)
    _apply(cfg, dict(table), SCHEMA, "tool.ssot-lint", "<example>")
    return cfg


def lint_example(
    rule: type[LintRule],
    code: str,
    *,
    path: str = "app/example.py",
    files: Mapping[str, str] | None = None,
    config: Mapping[str, Any] | None = None,
    rules: LoadedRules | None = None,
) -> RunResult:
    """Lint ``code`` at ``path`` in a project made of ``files``, with only ``rule`` enabled."""
    rules = rules or load_rules()
    if rules.by_code(rule.code) is None:
        rules = LoadedRules(rules.rules + (rule,))
    cfg = config_from(config or {})
    # The rule under test, plus any rules the example's config selects (a rule such as
    # SSOT100 judges what the others did).
    linter = Linter(cfg, rules, select=[rule.code, *(cfg.select or [])])
    project = dict(files or {})
    project[path] = code
    return linter.lint_texts(project, [path])


def check_example(rule: type[LintRule], example: Valid | Invalid | str, rules: LoadedRules | None = None) -> None:
    """Raise AssertionError when the example does not behave as it says."""
    if isinstance(example, str):
        example = Valid(example)
    result = lint_example(
        rule, example.code, path=example.path, files=example.files, config=example.config, rules=rules
    )
    assert not result.errors, f"{rule.code}: internal errors: {[e.message for e in result.errors]}"
    found = [d for d in result.diagnostics if d.code == rule.code]
    if isinstance(example, Valid):
        assert not found, f"{rule.code}: VALID example was flagged: {_describe(found)}\n{example.code}"
        return
    assert len(found) == example.count, (
        f"{rule.code}: INVALID example gave {len(found)} findings, expected {example.count}: "
        f"{_describe(found)}\n{example.code}"
    )
    first = found[0]
    if example.line is not None:
        assert first.range.start.line == example.line, f"{rule.code}: line {first.range.start.line} != {example.line}"
    if example.column is not None:
        assert first.range.start.column == example.column, (
            f"{rule.code}: column {first.range.start.column} != {example.column}"
        )
    if example.message is not None:
        assert re.search(example.message, first.message), f"{rule.code}: message {first.message!r}"
    if example.expected_fix is not None:
        fixes = [d.fix for d in found if d.fix is not None]
        assert fixes, f"{rule.code}: expected a fix, none offered"
        fixed = apply_edits(example.code, [e for f in fixes for e in f.edits])
        assert fixed == example.expected_fix, f"{rule.code}: fixed code differs:\n{fixed}"


def _describe(diags: list[Diagnostic]) -> str:
    return "; ".join(f"{d.range.start.line}:{d.range.start.column} {d.message}" for d in diags)
