"""``--format concise``: one line per finding, ``path:line:col: CODE [*] message``."""

from __future__ import annotations

from typing import TextIO

from . import Report, register


def finding_line(d, path: str | None = None) -> str:
    mark = " [*]" if d.fix is not None else ""
    return f"{path or d.path}:{d.range.start.line}:{d.range.start.column}: {d.code}{mark} {d.message}"


@register("concise")
def write_concise(report: Report, out: TextIO) -> None:
    for d in report.diagnostics:
        out.write(finding_line(d, report.display_path(d.path)) + "\n")
    for e in report.errors:
        where = f"{report.display_path(e.path)}: " if e.path else ""
        out.write(f"error: {where}{e.message}\n")
    if report.show_fixes:
        out.writelines(line + "\n" for line in report.fixes_listing())
    n = len(report.diagnostics)
    if n and not report.quiet:
        out.write(f"Found {n} error{'s' if n != 1 else ''}{report.dependents_note()}.\n")
