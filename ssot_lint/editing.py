"""Text positions and edits for editors, independent of any protocol library.

ssot-lint positions are 1-based lines and 1-based columns counted in code points.  The
Language Server Protocol counts 0-based lines and 0-based characters in the code units
of the negotiated encoding: UTF-16 unless client and server agree on UTF-8 or UTF-32.
A line ends at ``\\n``, ``\\r\\n`` or ``\\r`` (never at the other characters
``str.splitlines`` breaks on, such as form feed or U+2028, which may appear in source).
"""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass

from .diagnostics import Diagnostic, Position
from .fixes import _line_starts
from .suppress import parse_suppressions

UTF8 = "utf-8"
UTF16 = "utf-16"
UTF32 = "utf-32"


def code_units(text: str, encoding: str) -> int:
    """Length of ``text`` in the code units of ``encoding``."""
    if encoding == UTF32:
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def _chars_for_units(line: str, units: int, encoding: str) -> int:
    """How many code points of ``line`` the first ``units`` code units cover (clamped)."""
    if encoding == UTF32:
        return min(max(units, 0), len(line))
    seen = 0
    for i, c in enumerate(line):
        if seen >= units:
            return i
        seen += code_units(c, encoding)
    return len(line)


class TextLines:
    """A text with its line starts, converting between offsets and positions."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = _line_starts(text)

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def line_end(self, line0: int) -> int:
        """Offset of the end of a line's content (before its line break)."""
        if line0 + 1 < len(self.starts):
            end = self.starts[line0 + 1]
            if self.text[end - 2 : end] == "\r\n":
                return end - 2
            return end - 1
        return len(self.text)

    def line(self, line0: int) -> str:
        return self.text[self.starts[line0] : self.line_end(line0)]

    # --- ssot-lint positions (1-based, code points) ------------------------------------------
    def offset(self, pos: Position) -> int:
        """Offset of a 1-based line/column; past the end of a line or text clamps to it."""
        if pos.line < 1:
            return 0
        if pos.line > len(self.starts):
            return len(self.text)
        line0 = pos.line - 1
        return min(self.starts[line0] + max(pos.column - 1, 0), self.line_end(line0))

    def position(self, offset: int) -> Position:
        offset = min(max(offset, 0), len(self.text))
        line0 = _bisect(self.starts, offset)
        return Position(line0 + 1, offset - self.starts[line0] + 1)

    # --- protocol positions (0-based, code units) ------------------------------------------
    def to_client(self, pos: Position, encoding: str = UTF16) -> tuple[int, int]:
        """(line, character) in the client's encoding for a 1-based code-point position."""
        offset = self.offset(pos)
        line0 = _bisect(self.starts, offset)
        return line0, code_units(self.text[self.starts[line0] : offset], encoding)

    def from_client(self, line: int, character: int, encoding: str = UTF16) -> int:
        """Offset of a 0-based protocol position; past the end of a line or text clamps to it."""
        if line < 0:
            return 0
        if line >= len(self.starts):
            return len(self.text)
        return self.starts[line] + _chars_for_units(self.line(line), character, encoding)


def _bisect(starts: list[int], offset: int) -> int:
    lo, hi = 0, len(starts) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if starts[mid] <= offset:
            lo = mid
        else:
            hi = mid - 1
    return lo


def apply_change(
    text: str, start: tuple[int, int] | None, end: tuple[int, int] | None, new: str, encoding: str = UTF16
) -> str:
    """Apply one protocol content change (``start``/``end`` None: the whole text)."""
    if start is None or end is None:
        return new
    lines = TextLines(text)
    a = lines.from_client(*start, encoding)
    b = lines.from_client(*end, encoding)
    if b < a:
        a, b = b, a
    return text[:a] + new + text[b:]


@dataclass(frozen=True)
class TextEdit:
    """Replace ``text[start:end]`` (offsets) with ``content``."""

    start: int
    end: int
    content: str


def minimal_edit(old: str, new: str) -> TextEdit | None:
    """One edit turning ``old`` into ``new``: the span between their common prefix and suffix."""
    if old == new:
        return None
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    # Never end or start an edit between the two characters of a \r\n line break.
    if prefix and old[prefix - 1] == "\r":
        prefix -= 1
    if suffix and old[len(old) - suffix] == "\n":
        suffix -= 1
    return TextEdit(prefix, len(old) - suffix, new[prefix : len(new) - suffix])


# --- "suppress on this line" ---------------------------------------------------------------------
def _lines_without_comment_room(text: str) -> set[int] | None:
    """1-based lines whose end cannot take a comment: inside a multi-line string, or continued with ``\\``.

    None when the text does not tokenize (then only the backslash check is made).
    """
    blocked: set[int] = set()
    commented: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                commented.add(tok.start[0])
            elif tok.start[0] < tok.end[0] and tok.type not in (tokenize.NEWLINE, tokenize.NL):
                blocked.update(range(tok.start[0], tok.end[0]))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    lines = TextLines(text)
    for n in range(1, lines.line_count + 1):
        if n not in commented and lines.line(n - 1).rstrip().endswith("\\"):
            blocked.add(n)
    return blocked


def suppression_edit(text: str, diagnostic: Diagnostic) -> TextEdit | None:
    """The edit that suppresses ``diagnostic`` with a ``# noqa`` comment, or None if none can.

    An existing ``# noqa: CODES`` or ``# ssot-lint: ignore[CODES]`` on the finding's line
    (or on the first line of its statement) gets the code merged in; otherwise
    ``  # noqa: CODE`` is appended to the first of those lines that can take a comment.
    """
    code = diagnostic.code
    candidates = [diagnostic.range.start.line]
    if diagnostic.statement_line is not None and diagnostic.statement_line not in candidates:
        candidates.append(diagnostic.statement_line)
    lines = TextLines(text)
    suppressions = parse_suppressions(text).by_line
    for line in candidates:
        for sup in suppressions.get(line, ()):
            if sup.covers(code):
                return None  # already suppressed: nothing to add
        for sup in suppressions.get(line, ()):
            if sup.codes is None:
                continue
            # Only the directive is replaced: a reason after ` -- ` stays as written.
            codes = ", ".join((*sup.codes, code))
            start = lines.offset(Position(line, sup.column))
            replacement = f"# noqa: {codes}" if sup.kind == "noqa" else f"# ssot-lint: ignore[{codes}]"
            return TextEdit(start, start + len(sup.text), replacement)
    blocked = _lines_without_comment_room(text)
    for line in candidates:
        if line < 1 or line > lines.line_count:
            continue
        content = lines.line(line - 1)
        if blocked is not None and line in blocked:
            continue
        if blocked is None and content.rstrip().endswith("\\"):
            continue
        end = lines.starts[line - 1] + len(content)
        start = lines.starts[line - 1] + len(content.rstrip())
        return TextEdit(start, end, f"  # noqa: {code}")
    return None
