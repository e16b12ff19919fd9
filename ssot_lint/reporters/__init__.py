"""Reporters turn a run's results into output. They know diagnostics, never rules."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TextIO

from ..diagnostics import Diagnostic, InternalError


@dataclass(frozen=True)
class RuleDoc:
    """What a reporter may know of a rule: plain text, no behaviour."""

    code: str
    name: str
    summary: str
    help: str  # the rule's Fix section
    url: str
    severity: str
    docs: str = ""  # the full docs (markdown): What it does / Why is this bad? / Example / Fix


@dataclass
class Report:
    """Everything a reporter needs."""

    tool_version: str
    root: str
    files: list[str]
    diagnostics: list[Diagnostic]
    errors: list[InternalError]
    rules: dict[str, RuleDoc] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # path -> text, for code frames
    fixed: dict[str, int] = field(default_factory=dict)  # path -> fixes applied
    show_fixes: bool = False
    statistics: bool = False
    color: bool = False
    applied: list[Diagnostic] = field(default_factory=list)  # the fixes applied (--fix)
    baseline: str | None = None  # the baseline file the findings were held against
    baselined: int = 0  # findings the baseline suppressed
    baseline_stale: int = 0  # baseline entries that matched nothing
    quiet: bool = False  # -q: the findings only, no summary
    dependents: list[str] = field(default_factory=list)  # files linted because they import those given

    @property
    def dependent_findings(self) -> int:
        """Findings in files linted only because they depend on the files given."""
        paths = set(self.dependents)
        return sum(1 for d in self.diagnostics if d.path in paths)

    def dependents_note(self) -> str:
        """`` (1 in files that import the ones given)``, or "" when there are none."""
        n = self.dependent_findings
        return f" ({n} in files that import the ones given)" if n else ""

    def fixes_listing(self) -> list[str]:
        """``--show-fixes``: the fixes applied, by file and rule (Ruff's listing)."""
        if not self.applied:
            return ["No fixes applied."]
        n = len(self.applied)
        lines = [f"Fixed {n} finding{'s' if n != 1 else ''}:"]
        by_path: dict[str, dict[tuple[str, str], int]] = {}
        for d in self.applied:
            counts = by_path.setdefault(d.path, {})
            counts[(d.code, d.rule)] = counts.get((d.code, d.rule), 0) + 1
        for path in sorted(by_path):
            lines.append(f"- {self.display_path(path)}:")
            lines += [f"    {count} × {code} ({rule})" for (code, rule), count in sorted(by_path[path].items())]
        return lines

    def show_fixes_on_stderr(self) -> None:
        """For formats whose stdout is data (jsonl, sarif, github, junit): the listing goes to stderr."""
        import sys

        if self.show_fixes:
            sys.stderr.write("".join(line + "\n" for line in self.fixes_listing()))

    def display_path(self, path: str) -> str:
        """``path`` (relative to the root) as the user sees it, as Ruff prints it.

        Relative to the working directory when the file is under it (so a path printed
        by ``ssot-lint check fixtures/x`` exists from where the command ran), else
        relative to the root. Every format but SARIF uses it.
        """
        if path == "-":  # source read from stdin
            return path
        try:
            return (Path(self.root) / path).relative_to(self._cwd).as_posix()
        except ValueError:
            return path

    def base_path(self, path: str) -> str:
        """``path`` relative to :meth:`display_base` (SARIF's ``%SRCROOT%``)."""
        try:
            return (Path(self.root) / path).relative_to(self.display_base()).as_posix()
        except ValueError:
            return path

    def display_base(self) -> Path:
        """The directory SARIF locations are relative to: the working directory when the
        root is under it (the checkout CI annotations are resolved against), else the root."""
        root = Path(self.root)
        try:
            root.relative_to(self._cwd)
        except ValueError:
            return root
        return self._cwd

    @cached_property
    def _cwd(self) -> Path:
        return Path(os.getcwd())

    def diagnostic_json(self, d: Diagnostic) -> dict:
        """A diagnostic as JSON, its path as displayed."""
        return {**d.to_json(), "path": self.display_path(d.path)}

    def error_json(self, e: InternalError) -> dict:
        doc = e.to_json()
        if e.path:
            doc["path"] = self.display_path(e.path)
        return doc


Writer = Callable[[Report, TextIO], None]
_FORMATS: dict[str, Writer] = {}


def register(name: str) -> Callable[[Writer], Writer]:
    def deco(fn: Writer) -> Writer:
        _FORMATS[name] = fn
        return fn

    return deco


def formats() -> list[str]:
    _load_builtin()
    return sorted(_FORMATS)


def get(name: str) -> Writer:
    _load_builtin()
    return _FORMATS[name]


def _load_builtin() -> None:
    from . import concise, github, json_format, jsonl, junit, sarif, text  # noqa: F401  (they register themselves)
