"""``--format text``: findings with a code frame, a help line, and a closing summary (rich)."""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..baseline import baseline_note
from ..diagnostics import Diagnostic
from . import Report, register

_SEVERITY_STYLE = {"error": "bold red", "warning": "bold yellow", "info": "bold blue"}
_CONTEXT_LINES = 1


def _console(report: Report, out: TextIO) -> Console:
    return Console(
        file=out,
        force_terminal=report.color,
        no_color=not report.color,
        color_system="auto" if report.color else None,
        highlight=False,
        soft_wrap=True,
        width=200 if not report.color else None,
    )


def _frame(d: Diagnostic, lines: list[str]) -> Text:
    """The flagged line(s) with the range underlined, and one line of context."""
    text = Text()
    first = d.range.start.line
    lo = max(1, first - _CONTEXT_LINES)
    hi = min(len(lines), first + _CONTEXT_LINES)
    width = len(str(hi))
    for n in range(lo, hi + 1):
        src = lines[n - 1].rstrip("\r\n").expandtabs(1)
        text.append(f"{n:>{width}} | ", style="dim")
        text.append(src + "\n")
        if n == first:
            start = d.range.start.column - 1
            end = d.range.end.column - 1 if n == d.range.end.line else len(src.rstrip())
            end = max(end, start + 1)
            text.append(" " * width + " | ", style="dim")
            text.append(" " * start + "^" * (end - start) + "\n", style=_SEVERITY_STYLE.get(d.severity, "red"))
    return text


def help_text(fix_section: str) -> str:
    """The first paragraph of a rule's Fix section, unwrapped into one line (whole sentences)."""
    paragraph = fix_section.strip().split("\n\n", 1)[0]
    return " ".join(paragraph.split())


@register("text")
def write_text(report: Report, out: TextIO) -> None:
    console = _console(report, out)
    lines_cache: dict[str, list[str]] = {}
    for d in report.diagnostics:
        header = Text()
        header.append(f"{report.display_path(d.path)}:{d.range.start.line}:{d.range.start.column}", style="bold")
        header.append(" ")
        header.append(d.code, style=_SEVERITY_STYLE.get(d.severity, "red"))
        if d.fix is not None:
            header.append(" [*]", style="cyan")
        header.append(f" {d.message}")
        if d.severity != "error":
            header.append(f" ({d.severity})", style="dim")
        console.print(header)
        src = report.sources.get(d.path)
        if src is not None:
            lines = lines_cache.setdefault(d.path, src.splitlines(keepends=True))
            if d.range.start.line <= len(lines):
                console.print(_frame(d, lines), end="")
        doc = report.rules.get(d.code)
        if doc is not None and doc.help:
            help_line = help_text(doc.help)
            console.print(Text.assemble(("help", "bold cyan"), f": {help_line}"))
        console.print()
    for e in report.errors:
        where = f"{report.display_path(e.path)}: " if e.path else ""
        console.print(Text.assemble(("error", "bold red"), f": {where}{e.message}"))
    if report.show_fixes:
        _show_fixes(report, console)
    if not report.quiet:
        _summary(report, console)
    if report.baseline is not None:
        console.print(Text(baseline_note(report.baseline, report.baselined, report.baseline_stale), style="dim"))


def _show_fixes(report: Report, console: Console) -> None:
    """Ruff-style: the fixes applied, by file and rule."""
    first, *rest = report.fixes_listing()
    console.print(Text(first, style="bold" if report.applied else "dim"))
    for line in rest:
        console.print(line)
    if report.applied:
        console.print()


def _summary(report: Report, console: Console) -> None:
    n = len(report.diagnostics)
    fixed_total = sum(report.fixed.values())
    if n == 0:
        msg = "All checks passed!" if not report.errors else "No findings, but ssot-lint had errors."
        if fixed_total:
            msg = f"Fixed {fixed_total} finding{'s' if fixed_total != 1 else ''}. " + msg
        console.print(Text(msg, style="bold green" if not report.errors else "bold red"))
        return
    if report.statistics or n > 0:
        by_rule = Counter((d.code, d.rule) for d in report.diagnostics)
        fixable_by_rule = Counter(d.code for d in report.diagnostics if d.fix is not None)
        table = Table(title=None, show_edge=False, box=None, pad_edge=False)
        table.add_column("count", justify="right")
        table.add_column("code")
        table.add_column("rule")
        table.add_column("fixable", justify="right")
        for (code, rule), count in sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0])):
            table.add_row(str(count), code, rule, str(fixable_by_rule.get(code, 0)) or "")
        console.print(table)
    fixable = sum(1 for d in report.diagnostics if d.fix is not None)
    safe = sum(1 for d in report.diagnostics if d.fix is not None and d.fix.safe)
    line = (
        f"Found {n} finding{'s' if n != 1 else ''}{report.dependents_note()} "
        f"in {len({d.path for d in report.diagnostics})} file(s)."
    )
    if fixed_total:
        line += f" Fixed {fixed_total}."
    console.print(Text(line, style="bold"))
    if fixable:
        hint = f"[*] {safe} fixable with `ssot-lint check --fix`"
        if fixable > safe:
            hint += f" ({fixable - safe} more with `--unsafe-fixes`)"
        console.print(hint + ".")
