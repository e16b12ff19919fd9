"""``check --add-noqa``: add ``# noqa: CODE`` for every current finding (an adoption aid).

The directive goes on the finding's line, or on the first line of its statement when
the finding's line cannot hold a comment (it ends inside a multi-line string).  Codes
are merged into a ``# noqa: ...`` already on the line; a line with a bare ``# noqa``
already suppresses everything.  Other comments on the line are kept.
"""

from __future__ import annotations

import io
import tokenize
from collections import defaultdict
from dataclasses import dataclass

from .diagnostics import Diagnostic
from .suppress import parse_suppressions

# Findings --add-noqa never suppresses: a file that does not parse, and the unused
# suppressions themselves.
NOT_SUPPRESSED = frozenset({"SSOT000", "SSOT100"})


@dataclass
class NoqaResult:
    text: str
    added: int  # codes added
    skipped: list[Diagnostic]  # findings with no line that can hold a comment


def _comment_lines(text: str) -> set[int] | None:
    """Lines whose end is outside any string (a comment may be appended there)."""
    out: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT):
                out.add(tok.start[0])
            elif tok.type == tokenize.ENDMARKER:
                out.add(tok.start[0])
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return out


def add_noqa(text: str, diagnostics: list[Diagnostic]) -> NoqaResult:
    """``text`` with a ``# noqa`` for each diagnostic (all of one file)."""
    ok_lines = _comment_lines(text)
    if ok_lines is None:
        return NoqaResult(text, 0, list(diagnostics))
    wanted: dict[int, set[str]] = defaultdict(set)
    skipped: list[Diagnostic] = []
    for d in diagnostics:
        if d.code in NOT_SUPPRESSED:
            continue
        candidates = [d.range.start.line] + ([d.statement_line] if d.statement_line else [])
        line = next((n for n in candidates if n in ok_lines), None)
        if line is None:
            skipped.append(d)
            continue
        wanted[line].add(d.code)
    if not wanted:
        return NoqaResult(text, 0, skipped)
    existing = parse_suppressions(text)
    lines = text.splitlines(keepends=True)
    added = 0
    for n, codes in sorted(wanted.items()):
        if n > len(lines):
            continue
        raw = lines[n - 1]
        body = raw.rstrip("\r\n")
        eol = raw[len(body) :]
        noqas = [s for s in existing.by_line.get(n, ()) if s.kind == "noqa"]
        if any(s.codes is None for s in noqas):
            continue
        if noqas:
            s = noqas[0]
            have = list(s.codes or ())
            new_codes = sorted(c for c in codes if not any(c.startswith(h) for h in have))
            if not new_codes:
                continue
            start, end = s.column - 1, s.end_column - 1
            body = body[:start] + "# noqa: " + ", ".join(have + new_codes) + body[end:]
            added += len(new_codes)
        else:
            body = body.rstrip() + "  # noqa: " + ", ".join(sorted(codes))
            added += len(codes)
        lines[n - 1] = body + eol
    return NoqaResult("".join(lines), added, skipped)
