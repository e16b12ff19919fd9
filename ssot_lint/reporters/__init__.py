"""Reporters turn a run's results into output. They know diagnostics, never rules."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    from . import concise, json_format, text  # noqa: F401  (they register themselves)
