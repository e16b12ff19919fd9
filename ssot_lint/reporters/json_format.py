"""``--format json``: the stable contract for editors and CI (schema: schemas/diagnostics.schema.json)."""

from __future__ import annotations

import json
from typing import TextIO

from . import Report, register

JSON_VERSION = 1


def to_document(report: Report) -> dict:
    summary: dict[str, int] = {
        "files": len(report.files),
        "diagnostics": len(report.diagnostics),
        "fixable": sum(1 for d in report.diagnostics if d.fix is not None),
    }
    doc: dict[str, object] = {
        "version": JSON_VERSION,
        "tool": {"name": "ssot-lint", "version": report.tool_version},
        "root": report.root,
        "summary": summary,
        "diagnostics": [report.diagnostic_json(d) for d in report.diagnostics],
        "errors": [report.error_json(e) for e in report.errors],
    }
    if report.dependents:
        summary["dependents"] = report.dependent_findings
    if report.show_fixes:
        doc["fixes"] = [report.diagnostic_json(d) for d in report.applied]
    return doc


@register("json")
def write_json(report: Report, out: TextIO) -> None:
    json.dump(to_document(report), out, indent=2, ensure_ascii=False)
    out.write("\n")
