"""Applying fixes to text, and writing fixed files safely.

Edits are applied from the end of the file backwards; overlapping edits wait for the
next round.  A fixed text that no longer parses is never written.  Writes are atomic
(temporary file in the same directory, fsync, rename) and keep encoding, BOM, line
endings and file mode.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

from .diagnostics import Diagnostic, Edit, Fix, Position
from .lazy import cst
from .source import SourceFile


def line_starts(text: str) -> list[int]:
    """Offsets where each line starts (``\n``, ``\r\n`` and ``\r`` end lines)."""
    starts = [0]
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            starts.append(i + 1)
        elif c == "\r":
            if i + 1 < n and text[i + 1] == "\n":
                i += 1
            starts.append(i + 1)
        i += 1
    return starts


_line_starts = line_starts  # the earlier private name, still imported by other modules


def offset_of(starts: list[int], pos: Position) -> int:
    return starts[pos.line - 1] + pos.column - 1


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits (caller guarantees no overlap)."""
    starts = line_starts(text)
    spans = sorted(
        ((offset_of(starts, e.range.start), offset_of(starts, e.range.end), e.content) for e in edits),
        reverse=True,
    )
    out = text
    for start, end, content in spans:
        out = out[:start] + content + out[end:]
    return out


def select_fixes(diagnostics: list[Diagnostic], unsafe: bool) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """Fixes to apply this round (non-overlapping) and those that overlap and must wait."""
    chosen: list[Diagnostic] = []
    deferred: list[Diagnostic] = []
    taken: list[tuple[Position, Position]] = []
    for d in sorted(diagnostics, key=lambda d: d.range):
        if d.fix is None or (not d.fix.safe and not unsafe):
            continue
        spans = [(e.range.start, e.range.end) for e in d.fix.edits]
        if any(s < t_end and t_start < e or s == t_start for s, e in spans for t_start, t_end in taken):
            deferred.append(d)
            continue
        taken.extend(spans)
        chosen.append(d)
    return chosen, deferred


def parses(text: str) -> bool:
    try:
        cst.parse_module(text)
        return True
    except Exception:
        return False


def write_atomic(source: SourceFile, text: str) -> None:
    """Write ``text`` back in the file's encoding, with its BOM and mode, atomically."""
    data = source.encode(text)
    mode = os.stat(source.abspath).st_mode & 0o7777
    write_bytes_atomic(source.abspath, data, mode=mode, fsync=True)


def write_bytes_atomic(path: str, data: bytes, *, mode: int | None = None, fsync: bool = False) -> None:
    """Write ``data`` to a temporary file next to ``path`` and rename it into place."""
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".ssot-lint-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


@dataclass
class FixOutcome:
    path: str
    original: str
    fixed: str
    applied: list[Diagnostic]
    failed: str | None = None  # why the fixed text was not written

    @property
    def changed(self) -> bool:
        return self.fixed != self.original and self.failed is None


__all__ = ["Fix", "FixOutcome", "apply_edits", "parses", "select_fixes", "write_atomic", "write_bytes_atomic"]
