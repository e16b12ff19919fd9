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
from .rule import Finding, Invalid, LintRule, Valid


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
    """Raise AssertionError when the example does not behave as it says.

    A ``Valid`` example gives no finding at all; an ``Invalid`` one gives exactly the
    findings it lists (code, line, column, message), in any order, and nothing else.
    """
    if isinstance(example, str):
        example = Valid(example)
    expected = expected_findings(rule, example) if isinstance(example, Invalid) else []
    result = lint_example(
        rule, example.code, path=example.path, files=example.files, config=example.config, rules=rules
    )
    assert not result.errors, f"{rule.code}: internal errors: {[e.message for e in result.errors]}"
    found = sorted(result.diagnostics, key=lambda d: (d.range.start.line, d.range.start.column, d.code))
    if isinstance(example, Valid):
        assert not found, f"{rule.code}: VALID example was flagged: {_describe(found)}\n{example.code}"
        return
    assert isinstance(example, Invalid)
    positions = [(d.code, d.range.start.line, d.range.start.column) for d in found]
    assert positions == [(f.code, f.line, f.column) for f in expected], (
        f"{rule.code}: INVALID example gave {_describe(found) or 'no finding'}; "
        f"expected {_describe_expected(expected)}\n{example.code}"
    )
    for d, f in zip(found, expected):
        assert re.search(f.message, d.message), (
            f"{rule.code}: message at {d.range.start.line}:{d.range.start.column} {d.message!r} "
            f"does not match {f.message!r}"
        )
    if example.expected_fix is not None:
        fixes = [d.fix for d in found if d.code == rule.code and d.fix is not None]
        assert fixes, f"{rule.code}: expected a fix, none offered"
        fixed = apply_edits(example.code, [e for f in fixes for e in f.edits])
        assert fixed == example.expected_fix, f"{rule.code}: fixed code differs:\n{fixed}"


def expected_findings(rule: type[LintRule], example: Invalid) -> list[Finding]:
    """The findings an ``Invalid`` example promises, sorted by position, each with its code.

    Raises AssertionError when the promise is incomplete: no finding, a finding without
    line, column or message, or both forms at once."""
    line, column, message = example.line, example.column, example.message
    if example.findings:
        assert (line, column, message) == (None, None, None), (
            f"{rule.code}: INVALID example gives both `findings` and line/column/message: use one form"
        )
        listed = list(example.findings)
    else:
        assert line is not None and column is not None and message is not None, (
            f"{rule.code}: INVALID example must give line, column and message (got {line}, {column}, {message!r}); "
            f"several findings go in `findings`\n{example.code}"
        )
        listed = [Finding(line, column, message)]
    for f in listed:
        assert None not in (f.line, f.column, f.message), f"{rule.code}: incomplete expected finding {f}"
    out = [Finding(f.line, f.column, f.message, f.code or rule.code) for f in listed]
    return sorted(out, key=lambda f: (f.line, f.column, f.code or ""))


def _describe_expected(findings: list[Finding]) -> str:
    return "; ".join(f"{f.code} {f.line}:{f.column} /{f.message}/" for f in findings)


def _describe(diags: list[Diagnostic]) -> str:
    return "; ".join(f"{d.code} {d.range.start.line}:{d.range.start.column} {d.message}" for d in diags)
