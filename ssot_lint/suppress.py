"""Suppression comments, with optional reasons after `` -- ``.

Forms:
- line: ``# noqa``, ``# noqa: SSOT001,SSOT003``, ``# ssot-lint: ignore[SSOT001]``: findings on
  that line, or whose statement starts on that line (a multi-line statement's first line);
- range: ``# ssot-lint: disable[SSOT002]`` ... ``# ssot-lint: enable[SSOT002]`` (to the end of
  the file when never enabled again; no codes means every code);
- file: ``# ssot-lint: file-ignore[SSOT001]`` in the first block of comments of the file.

Each records which codes it actually suppressed (``used``), for the unused-suppression rule.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field

_NOQA_RE = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?(?![:\w])", re.I)
_DIRECTIVE_RE = re.compile(r"#\s*ssot-lint:\s*(?P<kind>ignore|disable|enable|file-ignore)(?:\[(?P<codes>[^\]]*)\])?")
_REASON_RE = re.compile(r"\s+--\s*(?P<reason>\S.*?)\s*$")
_QUICK = re.compile(r"noqa|ssot-lint:", re.I)
END_OF_FILE = 10**9


@dataclass
class Suppression:
    line: int
    column: int  # 1-based column of the directive's '#'
    codes: tuple[str, ...] | None  # None: every code
    kind: str  # "noqa", "ignore", "disable", "file-ignore" ("enable" closes a range)
    text: str  # the directive as written (without the reason)
    reason: str | None = None
    end_line: int = 0  # for "disable": the last line covered
    used: set[str] = field(default_factory=set)
    comment_column: int = 0  # 1-based column of the comment token that holds it

    @property
    def end_column(self) -> int:
        """1-based column just past the directive."""
        return self.column + len(self.text)

    @property
    def is_ours(self) -> bool:
        """An ``ssot-lint:`` directive, or a ``# noqa`` that names an ``SSOT`` code. A bare
        ``# noqa`` or one listing only other tools' codes belongs to every linter of the project."""
        return self.kind != "noqa" or any(c.startswith("SSOT") for c in self.codes or ())

    def covers(self, code: str) -> bool:
        return self.codes is None or any(code.startswith(c) for c in self.codes)


@dataclass
class Suppressions:
    by_line: dict[int, list[Suppression]] = field(default_factory=dict)
    ranges: list[Suppression] = field(default_factory=list)
    file_level: list[Suppression] = field(default_factory=list)
    enables: list[Suppression] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.by_line or self.ranges or self.file_level)

    def all(self) -> list[Suppression]:
        """Every suppressing directive (not the ``enable`` markers), in file order."""
        items = [s for ss in self.by_line.values() for s in ss] + self.ranges + self.file_level
        return sorted(items, key=lambda s: (s.line, s.column))

    def is_suppressed(self, code: str, line: int, statement_line: int | None = None) -> bool:
        hit = False
        for ln in {line} if statement_line is None else {line, statement_line}:
            for s in self.by_line.get(ln, ()):
                if s.covers(code):
                    s.used.add(code)
                    hit = True
        for s in self.ranges:
            if s.line <= line <= s.end_line and s.covers(code):
                s.used.add(code)
                hit = True
        for s in self.file_level:
            if s.covers(code):
                s.used.add(code)
                hit = True
        return hit


def _split_codes(raw: str | None) -> tuple[str, ...] | None:
    if raw is None:
        return None
    codes = tuple(c.strip().upper() for c in re.split(r"[\s,]+", raw) if c.strip())
    return codes or None


def _comments(text: str) -> list[tuple[int, int, str, bool]]:
    """(line, 1-based col, text, in_header) of each comment; tolerant of broken sources.

    ``in_header`` is true for comments before the first line of code.
    """
    out: list[tuple[int, int, str, bool]] = []
    header = True
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                out.append((tok.start[0], tok.start[1] + 1, tok.string, header))
            elif tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.ENCODING, tokenize.ENDMARKER):
                header = False
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return out


def _reason(comment: str, end: int) -> str | None:
    m = _REASON_RE.match(comment[end:])
    return m.group("reason") if m else None


def parse_suppressions(text: str) -> Suppressions:
    """All suppressions of a file. Cheap when it has none (a regex scan)."""
    result = Suppressions()
    if not _QUICK.search(text):
        return result
    open_ranges: list[Suppression] = []
    for line, col, comment, in_header in _comments(text):
        for m in _DIRECTIVE_RE.finditer(comment):
            kind = m.group("kind")
            s = Suppression(
                line,
                col + m.start(),
                _split_codes(m.group("codes")),
                kind,
                m.group(0),
                _reason(comment, m.end()),
                comment_column=col,
            )
            if kind == "ignore":
                result.by_line.setdefault(line, []).append(s)
            elif kind == "disable":
                s.end_line = END_OF_FILE
                open_ranges.append(s)
                result.ranges.append(s)
            elif kind == "enable":
                result.enables.append(s)
                for r in open_ranges:
                    if r.end_line == END_OF_FILE and (
                        s.codes is None or r.codes == s.codes or (r.codes is not None and set(r.codes) <= set(s.codes))
                    ):
                        r.end_line = line
                open_ranges = [r for r in open_ranges if r.end_line == END_OF_FILE]
            elif kind == "file-ignore" and in_header:
                result.file_level.append(s)
        for m in _NOQA_RE.finditer(comment):
            s = Suppression(
                line,
                col + m.start(),
                _split_codes(m.group("codes")),
                "noqa",
                m.group(0),
                _reason(comment, m.end()),
                comment_column=col,
            )
            result.by_line.setdefault(line, []).append(s)
    return result
