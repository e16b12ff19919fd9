"""Suppression comments: ``# noqa``, ``# noqa: SSOT001,SSOT003``, ``# ssot-lint: ignore[SSOT001]``.

A suppression applies to findings on its own line, or to findings whose statement
starts on its line (the first line of a multi-line statement).
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field

_NOQA_RE = re.compile(
    r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?(?![:\w])", re.I
)
_IGNORE_RE = re.compile(r"#\s*ssot-lint:\s*ignore(?:\[(?P<codes>[^\]]*)\])?")
_QUICK = re.compile(r"noqa|ssot-lint:", re.I)


@dataclass
class Suppression:
    line: int
    column: int  # 1-based column of the comment's '#'
    codes: tuple[str, ...] | None  # None: every code
    kind: str  # "noqa" or "ignore"
    text: str
    used: set[str] = field(default_factory=set)
    comment_column: int = 0  # 1-based column of the comment token that holds it

    @property
    def end_column(self) -> int:
        """1-based column just past the directive."""
        return self.column + len(self.text)

    def covers(self, code: str) -> bool:
        return self.codes is None or any(code.startswith(c) for c in self.codes)


def _split_codes(raw: str | None) -> tuple[str, ...] | None:
    if raw is None:
        return None
    codes = tuple(c.strip().upper() for c in re.split(r"[\s,]+", raw) if c.strip())
    return codes or None


def _comments(text: str) -> list[tuple[int, int, str]]:
    """(line, 1-based col, text) of every comment token; tolerant of broken sources."""
    out: list[tuple[int, int, str]] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                out.append((tok.start[0], tok.start[1] + 1, tok.string))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return out


def parse_suppressions(text: str) -> dict[int, list[Suppression]]:
    """Suppressions by line. Cheap when the file has none (a regex scan)."""
    if not _QUICK.search(text):
        return {}
    out: dict[int, list[Suppression]] = {}
    for line, col, comment in _comments(text):
        for m in _IGNORE_RE.finditer(comment):
            codes = _split_codes(m.group("codes"))
            out.setdefault(line, []).append(
                Suppression(line, col + m.start(), codes, "ignore", m.group(0), comment_column=col)
            )
        for m in _NOQA_RE.finditer(comment):
            codes = _split_codes(m.group("codes"))
            out.setdefault(line, []).append(
                Suppression(line, col + m.start(), codes, "noqa", m.group(0), comment_column=col)
            )
    return out


def is_suppressed(
    suppressions: dict[int, list[Suppression]], code: str, line: int, statement_line: int | None
) -> bool:
    lines = {line}
    if statement_line is not None:
        lines.add(statement_line)
    hit = False
    for ln in lines:
        for s in suppressions.get(ln, ()):
            if s.covers(code):
                s.used.add(code)
                hit = True
    return hit
