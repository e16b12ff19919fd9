"""``--format github``: GitHub Actions workflow commands, one annotation per finding.

``::error file=app/routes.py,line=5,col=12,endLine=5,endColumn=32,title=SSOT001 direct-construction::message``
(``::warning`` / ``::notice`` by severity).  Data is escaped for ``%``, ``\\r`` and
``\\n``; property values also for ``:`` and ``,``, as the runner expects.
"""

from __future__ import annotations

from typing import TextIO

from . import Report, register

_COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: object) -> str:
    props = ",".join(f"{k}={escape_property(str(v))}" for k, v in properties.items() if v is not None)
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


@register("github")
def write_github(report: Report, out: TextIO) -> None:
    report.show_fixes_on_stderr()
    for d in report.diagnostics:
        out.write(
            command(
                _COMMANDS.get(d.severity, "warning"),
                d.message + (" [*]" if d.fix is not None else ""),
                file=report.display_path(d.path),
                line=d.range.start.line,
                col=d.range.start.column,
                endLine=d.range.end.line,
                endColumn=d.range.end.column,
                title=f"{d.code} {d.rule}",
            )
            + "\n"
        )
    for e in report.errors:
        out.write(
            command(
                "error",
                f"ssot-lint internal error: {e.message}",
                file=report.display_path(e.path) if e.path else None,
                title="ssot-lint",
            )
            + "\n"
        )
