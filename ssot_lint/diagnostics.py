"""The data a run produces: positions, fixes, diagnostics and internal errors.

These are plain values. Rules create them through the engine, reporters read them;
neither knows the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Position:
    """A 1-based line and a 1-based column counted in characters (code points)."""

    line: int
    column: int


@dataclass(frozen=True, order=True)
class Range:
    start: Position
    end: Position

    def to_json(self) -> dict:
        return {
            "start": {"line": self.start.line, "column": self.start.column},
            "end": {"line": self.end.line, "column": self.end.column},
        }


@dataclass(frozen=True)
class Edit:
    """Replace the text in ``range`` with ``content``."""

    range: Range
    content: str

    def to_json(self) -> dict:
        return {"range": self.range.to_json(), "content": self.content}


@dataclass(frozen=True)
class Fix:
    """A set of non-overlapping edits that together fix one diagnostic.

    ``safe`` fixes keep behaviour; unsafe ones are applied only with ``--unsafe-fixes``.
    """

    message: str
    edits: tuple[Edit, ...]
    safe: bool = True

    def to_json(self) -> dict:
        return {
            "message": self.message,
            "applicability": "safe" if self.safe else "unsafe",
            "edits": [e.to_json() for e in self.edits],
        }


SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Diagnostic:
    code: str
    rule: str
    message: str
    path: str  # POSIX, relative to the project root
    range: Range
    severity: str = "error"
    fix: Fix | None = None
    url: str | None = None
    # Line of the first line of the statement holding the finding (for suppressions).
    statement_line: int | None = field(default=None, compare=False)
    # Qualified name of the enclosing scope ("" for module level), for fingerprints.
    scope: str = field(default="", compare=False)
    # The source text of the flagged code, for fingerprints and code frames.
    snippet: str = field(default="", compare=False)

    @property
    def sort_key(self) -> tuple:
        return (self.path, self.range.start.line, self.range.start.column, self.code, self.message)

    def to_json(self) -> dict:
        return {
            "code": self.code,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "path": self.path,
            "range": self.range.to_json(),
            "fix": self.fix.to_json() if self.fix else None,
            "url": self.url,
        }


@dataclass(frozen=True)
class InternalError:
    """A failure of ssot-lint itself (a rule raised, a worker died): exit code 2."""

    kind: str  # "rule", "worker", "io", ...
    message: str
    path: str | None = None
    rule: str | None = None
    traceback: str | None = None

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "message": self.message,
            "path": self.path,
            "rule": self.rule,
            "traceback": self.traceback,
        }
