"""Reporters turn a run's results into output. They know diagnostics, never rules."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TextIO

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

    def display_path(self, path: str) -> str:
        """``path`` (relative to the root) as seen from the working directory when under it.

        CI annotations and SARIF locations are resolved against the checkout, which is
        the working directory; outside it, the root-relative path is kept.
        """
        base = self.display_base()
        try:
            rel = (Path(self.root) / path).relative_to(base)
        except ValueError:
            return path
        return rel.as_posix()

    def display_base(self) -> Path:
        """The directory display paths are relative to: the working directory or the root."""
        cwd = Path(os.getcwd())
        root = Path(self.root)
        try:
            root.relative_to(cwd)
        except ValueError:
            return root
        return cwd


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
