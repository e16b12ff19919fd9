"""``--format sarif``: SARIF 2.1.0, as GitHub code scanning reads it.

Every rule is listed in ``tool.driver.rules`` with its help text and URL; each result
names its rule by id and index, has a level, a message, a physical location with a
region (columns are code points: ``columnKind`` says so), a ``partialFingerprints``
entry built like the baseline's fingerprint (never from a line number), and its fix
when it has one.  Internal errors become tool execution notifications.
"""

from __future__ import annotations

import json
import re
from typing import TextIO

from ..baseline import occurrence_fingerprints
from ..diagnostics import Diagnostic, Range
from . import Report, RuleDoc, register

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://ssot-lint.dev"
FINGERPRINT_KEY = "ssotLint/v1"
SRCROOT = "%SRCROOT%"
_LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def _level(severity: str) -> str:
    return _LEVELS.get(severity, "warning")


def _region(rng: Range) -> dict:
    return {
        "startLine": rng.start.line,
        "startColumn": rng.start.column,
        "endLine": rng.end.line,
        "endColumn": rng.end.column,
    }


def _what_it_does(docs: str) -> str:
    m = re.search(r"^## What it does\s*$(.*?)(?=^## |\Z)", docs, re.M | re.S)
    return " ".join(m.group(1).split()) if m else ""


def _rule(doc: RuleDoc) -> dict:
    help_text = doc.help or doc.summary
    return {
        "id": doc.code,
        "name": "".join(part.capitalize() for part in doc.name.split("-")),
        "shortDescription": {"text": doc.summary},
        "fullDescription": {"text": _what_it_does(doc.docs) or doc.summary},
        "help": {"text": help_text, "markdown": doc.docs or help_text},
        "helpUri": doc.url,
        "defaultConfiguration": {"level": _level(doc.severity)},
        "properties": {"tags": ["ssot-lint", doc.name], "problem.severity": _severity_tag(doc.severity)},
    }


def _severity_tag(severity: str) -> str:
    return {"error": "error", "warning": "warning"}.get(severity, "recommendation")


def _artifact(report: Report, path: str) -> dict:
    return {"uri": report.base_path(path), "uriBaseId": SRCROOT}


def _fix(report: Report, d: Diagnostic) -> dict | None:
    if d.fix is None:
        return None
    return {
        "description": {"text": d.fix.message + ("" if d.fix.safe else " (unsafe)")},
        "artifactChanges": [
            {
                "artifactLocation": _artifact(report, d.path),
                "replacements": [
                    {"deletedRegion": _region(e.range), "insertedContent": {"text": e.content}} for e in d.fix.edits
                ],
            }
        ],
    }


def to_sarif(report: Report) -> dict:
    docs = dict(report.rules)
    for d in report.diagnostics:  # a rule the report was not told about still gets an entry
        docs.setdefault(d.code, RuleDoc(d.code, d.rule, d.message, "", d.url or INFORMATION_URI, d.severity))
    codes = sorted(docs)
    index = {code: i for i, code in enumerate(codes)}
    fingerprints = occurrence_fingerprints(report.diagnostics)
    results = []
    for d in report.diagnostics:
        result = {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": _level(d.severity),
            "message": {"text": d.message},
            "locations": [
                {"physicalLocation": {"artifactLocation": _artifact(report, d.path), "region": _region(d.range)}}
            ],
            "partialFingerprints": {FINGERPRINT_KEY: fingerprints[id(d)]},
        }
        fix = _fix(report, d)
        if fix is not None:
            result["fixes"] = [fix]
        results.append(result)
    notifications = [
        {
            "level": "error",
            "message": {"text": e.message},
            "descriptor": {"id": f"internal-{e.kind}"},
            **(
                {"locations": [{"physicalLocation": {"artifactLocation": _artifact(report, e.path)}}]} if e.path else {}
            ),
        }
        for e in report.errors
    ]
    base = report.display_base().as_uri().rstrip("/") + "/"
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "ssot-lint",
                        "version": report.tool_version,
                        "semanticVersion": report.tool_version,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(docs[c]) for c in codes],
                    }
                },
                "invocations": [
                    {"executionSuccessful": not report.errors, "toolExecutionNotifications": notifications}
                ],
                "originalUriBaseIds": {SRCROOT: {"uri": base}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


@register("sarif")
def write_sarif(report: Report, out: TextIO) -> None:
    report.show_fixes_on_stderr()
    json.dump(to_sarif(report), out, indent=2, ensure_ascii=False)
    out.write("\n")
