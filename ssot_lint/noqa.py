"""``check --add-noqa``: add ``# noqa: CODE`` for every current finding (an adoption aid).

Each finding gets the same edit as the language server's "suppress on this line" action
(``editing.suppression_edit``): the code is merged into a ``# noqa: ...`` or
``# ssot-lint: ignore[...]`` already on the finding's line (or its statement's first
line), else ``  # noqa: CODE`` is appended to the first of those lines that can take a
comment (never inside a multi-line string or after a ``\\`` continuation).
"""

from __future__ import annotations

from dataclasses import dataclass

from .diagnostics import Diagnostic
from .editing import suppression_edit
from .suppress import parse_suppressions

# Findings --add-noqa never suppresses: a file that does not parse, and the unused
# suppressions themselves.
NOT_SUPPRESSED = frozenset({"SSOT000", "SSOT100"})


@dataclass
class NoqaResult:
    text: str
    added: int  # codes added
    skipped: list[Diagnostic]  # findings with no line that can hold a comment


def add_noqa(text: str, diagnostics: list[Diagnostic]) -> NoqaResult:
    """``text`` with a suppression for each diagnostic (all of one file).

    Edits only ever extend a line, so the findings' line numbers stay valid as they apply.
    """
    added = 0
    skipped: list[Diagnostic] = []
    for d in sorted(diagnostics, key=lambda d: d.sort_key):
        if d.code in NOT_SUPPRESSED:
            continue
        edit = suppression_edit(text, d)
        if edit is None:
            # Suppressed by an edit made for an earlier finding, or no line can take the comment.
            if not parse_suppressions(text).is_suppressed(d.code, d.range.start.line, d.statement_line):
                skipped.append(d)
            continue
        text = text[: edit.start] + edit.content + text[edit.end :]
        added += 1
    return NoqaResult(text, added, skipped)
