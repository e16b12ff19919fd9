"""Reports to diagnostics: positions, severities, fixes as text edits, suppressions.

What a rule reports (a node, or a text range, and maybe a ``CstFix``) becomes a
``Diagnostic``: positions are computed once per file that has something to report, a
fix becomes text edits that keep the original text of the parts it reuses, and a
suppressed report is dropped. Also the engine's own diagnostics: SSOT000 (the file
cannot be read or parsed) and SSOT101 (a suppression without a reason).
"""

from __future__ import annotations

import re
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ..config import code_matches
from ..diagnostics import Diagnostic, Edit, Fix, InternalError, Position, Range
from ..facts import ModuleFacts
from ..fixes import line_starts, offset_of
from ..lazy import cst, cst_metadata
from ..rule import CstFix, LintRule, Report
from ..source import SourceFile
from ..suppress import Suppressions

if TYPE_CHECKING:
    from ..engine import FileResult, Linter

INVALID_SYNTAX = "SSOT000"
INVALID_SYNTAX_NAME = "invalid-syntax"
MISSING_REASON = "SSOT101"


def severity_of(linter: Linter, rule: type[LintRule]) -> str:
    """The configured severity (most specific code prefix wins), else the rule's default."""
    best, best_len = rule.default_severity, -1
    for selector, severity in linter.config.severity.items():
        if code_matches(rule.code, selector):
            n = 0 if selector == "ALL" else len(selector)
            if n > best_len:
                best, best_len = severity, n
    return best


def suppression_diagnostics(
    linter: Linter, source: SourceFile, engine_rules: list[type[LintRule]], suppressions: Suppressions
) -> list[Diagnostic]:
    """Findings about the suppression comments themselves (SSOT101)."""
    out: list[Diagnostic] = []
    missing_reason = next((r for r in engine_rules if r.code == MISSING_REASON), None)
    if missing_reason is None:
        return out
    for s in suppressions.all():
        if s.reason is None and s.is_ours:
            start = Position(s.line, s.column)
            out.append(
                Diagnostic(
                    code=missing_reason.code,
                    rule=missing_reason.name,
                    message=f"suppression `{s.text}` gives no reason; add one after ` -- `",
                    path=source.path,
                    range=Range(start, Position(s.line, s.column + len(s.text))),
                    severity=severity_of(linter, missing_reason),
                    url=missing_reason.url(),
                    statement_line=s.line,
                    snippet=s.text,
                )
            )
    return out


def syntax_diagnostic(
    linter: Linter, path: str, line: int, column: int, message: str, prefix: str = "cannot parse: "
) -> Diagnostic:
    rule = linter.all_rules.by_code(INVALID_SYNTAX)
    first = message.strip().splitlines()[0] if message.strip() else "invalid syntax"
    pos = Position(max(line, 1), max(column, 1))
    text = f"{prefix}{first}"
    running = sys.version_info[:2]
    if prefix == "cannot parse: " and linter.target is not None and linter.target > running:
        # Valid for the target (PEP 701 f-strings, PEP 695 generics, ...) is not valid here.
        run = f"{running[0]}.{running[1]}"
        text = (
            f"cannot analyse with Python {run}; run ssot-lint on {linter.target[0]}.{linter.target[1]}+ "
            f"(target-version py{linter.target[0]}{linter.target[1]}; the {run} parser says: {first})"
        )
    return Diagnostic(
        code=INVALID_SYNTAX,
        rule=INVALID_SYNTAX_NAME,
        message=text,
        path=path,
        range=Range(pos, pos),
        severity=severity_of(linter, rule) if rule else "error",
        url=rule.url() if rule else None,
    )


def read_error_diagnostic(linter: Linter, path: str, message: str) -> Diagnostic:
    rule = linter.all_rules.by_code(INVALID_SYNTAX)
    pos = Position(1, 1)
    return Diagnostic(
        code=INVALID_SYNTAX,
        rule=INVALID_SYNTAX_NAME,
        message=message,
        path=path,
        range=Range(pos, pos),
        severity=severity_of(linter, rule) if rule else "error",
        url=rule.url() if rule else None,
    )


def to_diagnostics(
    linter: Linter,
    module: cst.Module | None,
    source: SourceFile,
    facts: ModuleFacts,
    reports: list[Report],
    result: FileResult,
    suppressions: Suppressions | None,
) -> list[Diagnostic]:
    """Reports to diagnostics, minus the suppressed ones (``suppressions=None``: none apply)."""
    positions: Any = {}
    if module is not None and any(rep.node is not None for rep in reports):
        positions = node_positions(module)
    out = []
    stmt_line: int | None
    for rep in reports:
        try:
            if rep.node is None:  # reported at a text range (``report_range``)
                assert rep.range is not None and not isinstance(rep.fix, CstFix)  # report_range: a range, a Fix
                rng, stmt_line, fix, snippet = rep.range, rep.range.start.line, rep.fix, rep.snippet
                scope = rep.scope or _scope_at(facts, rng.start.line)
            else:
                rng = _code_point_range(positions[rep.node])
                assert module is not None  # positions are empty without a module: the line above raised
                stmt_line = positions[rep.statement].start.line if rep.statement in positions else None
                fix = _to_fix(rep.fix, module, positions, source.text)
                snippet, scope = module.code_for_node(rep.node), rep.scope
        except Exception as exc:  # a rule that reported a foreign node, or a bad fix
            result.errors.append(rule_error(rep.rule, source.path, exc))
            continue
        if suppressions is not None and suppressions.is_suppressed(rep.rule.code, rng.start.line, stmt_line):
            continue
        out.append(
            Diagnostic(
                code=rep.rule.code,
                rule=rep.rule.name,
                message=rep.message,
                path=source.path,
                range=rng,
                severity=severity_of(linter, rep.rule),
                fix=fix,
                url=rep.rule.url(),
                statement_line=stmt_line,
                scope=scope,
                snippet=_normalize_snippet(snippet),
            )
        )
    return out


def _code_point_range(rng: Any) -> Range:
    return Range(
        Position(rng.start.line, rng.start.column + 1),
        Position(rng.end.line, rng.end.column + 1),
    )


def _normalize_snippet(code: str) -> str:
    return " ".join(code.split())[:400]


_ERROR_AT = re.compile(r"error at (\d+):(\d+)")


def libcst_error_position(exc: cst.ParserSyntaxError) -> tuple[int, int]:
    """1-based line and column of a LibCST parse error. The native parser's ``raw_line``
    is one too far when more lines follow; its message says where the error is."""
    m = _ERROR_AT.search(exc.message)
    if m:
        return int(m.group(1)), int(m.group(2)) + 1
    return exc.raw_line, exc.raw_column + 1


def node_positions(module: cst.Module) -> Any:
    """Every node's ``PositionProvider`` range, from one position-tracking codegen pass.

    ``MetadataWrapper.resolve`` would also run an empty batched traversal of the whole tree
    (half the cost on files with findings); the provider alone is enough. Falls back to the
    wrapper if this LibCST's provider does not work that way.
    """
    try:
        provider = cst_metadata.PositionProvider()
        provider._gen_impl(module)
        return provider._computed
    except Exception:  # another LibCST version: the public, slower way
        return cst_metadata.MetadataWrapper(module, unsafe_skip_copy=True).resolve(cst_metadata.PositionProvider)


def _scope_at(facts: ModuleFacts, line: int) -> str:
    """Qualified name of the innermost function or class whose lines hold ``line``."""
    best = ""
    best_start = 0
    for d in facts.defs.values():
        if d.line <= line <= d.end_line and d.line >= best_start:
            best, best_start = d.qualname, d.line
    return best


def rule_error(rule: type[LintRule], path: str, exc: BaseException) -> InternalError:
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""
    return InternalError(
        kind="rule",
        message=f"rule {rule.code} ({rule.name}) raised {type(exc).__name__}: {exc}{where}",
        path=path,
        rule=rule.code,
        traceback="".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-4)),
    )


def _to_fix(fix: CstFix | Fix | None, module: cst.Module, positions: Any, text: str) -> Fix | None:
    """Text edits for a fix; ``text`` is the source the module was parsed from."""
    if fix is None or isinstance(fix, Fix):
        return fix
    edits = []
    starts: list[int] | None = None
    for old, new in fix.replacements:
        rng = _code_point_range(positions[old])
        if isinstance(new, str):
            content = new
        else:
            if starts is None:
                starts = line_starts(text)
            content = _render(new, module, positions, text, starts)
        edits.append(Edit(rng, content))
    return Fix(fix.message, tuple(sorted(edits, key=lambda e: e.range)), fix.safe)


def _original_text(node: cst.CSTNode, text: str, positions: Any, starts: list[int]) -> str:
    """The exact source text of an original node, with its parentheses."""
    lpar = getattr(node, "lpar", None) or ()
    rpar = getattr(node, "rpar", None) or ()
    first = positions[lpar[0]] if lpar and lpar[0] in positions else positions[node]
    last = positions[rpar[-1]] if rpar and rpar[-1] in positions else positions[node]
    start = offset_of(starts, Position(first.start.line, first.start.column + 1))
    end = offset_of(starts, Position(last.end.line, last.end.column + 1))
    return text[start:end]


def _render(new: cst.CSTNode, module: cst.Module, positions: Any, text: str, starts: list[int]) -> str:
    """Source for a replacement node; parts taken from the original tree keep their exact text.

    ``code_for_node`` alone would lose the indentation of multi-line original parts
    (and so break comments and continuation lines); they are rendered as placeholders
    and filled in with their original text.
    """
    if new in positions:
        return _original_text(new, text, positions, starts)
    texts: dict[str, str] = {}

    class _Swap(cst.CSTTransformer):
        def on_visit(self, node: cst.CSTNode) -> bool:
            return node not in positions

        def on_leave(self, original: cst.CSTNode, updated: Any) -> Any:
            if original in positions and isinstance(original, cst.BaseExpression):
                key = f"__ssot_lint_fix_{len(texts)}__"
                texts[key] = _original_text(original, text, positions, starts)
                return cst.Name(key)
            return updated

    code = module.code_for_node(cast(cst.CSTNode, new.visit(_Swap())))  # _Swap replaces nodes, never removes one
    for key, original_text in texts.items():
        code = code.replace(key, original_text, 1)
    return code
