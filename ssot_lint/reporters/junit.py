"""``--format junit``: JUnit XML, for CI systems that show test reports.

One test suite; one test case per linted file that has findings (each finding is a
``<failure>``), and one passing case per clean file.  Internal errors are ``<error>``s.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TextIO

from . import Report, register


@register("junit")
def write_junit(report: Report, out: TextIO) -> None:
    from xml.etree import ElementTree as ET  # only for this format

    report.show_fixes_on_stderr()
    by_path = defaultdict(list)
    for d in report.diagnostics:
        by_path[d.path].append(d)
    errors_by_path = defaultdict(list)
    for e in report.errors:
        errors_by_path[e.path or "<ssot-lint>"].append(e)
    paths = sorted(set(report.files) | set(by_path) | set(errors_by_path))
    suites = ET.Element("testsuites", name="ssot-lint")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="ssot-lint",
        tests=str(len(paths)),
        # JUnit counts test cases: a file with findings is one failing case, whatever their number.
        failures=str(sum(1 for p in paths if by_path.get(p))),
        errors=str(sum(1 for p in paths if errors_by_path.get(p) and not by_path.get(p))),
    )
    for path in paths:
        shown = path if path == "<ssot-lint>" else report.display_path(path)
        case = ET.SubElement(suite, "testcase", classname="ssot-lint", name=shown, file=shown)
        for d in by_path.get(path, ()):
            failure = ET.SubElement(case, "failure", type=d.code, message=f"{d.code} {d.rule}: {d.message}")
            failure.text = f"{shown}:{d.range.start.line}:{d.range.start.column}: {d.code} {d.message}"
        for e in errors_by_path.get(path, ()):
            ET.SubElement(case, "error", type=e.kind, message=e.message).text = e.traceback or e.message
    ET.indent(suites)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(suites, encoding="unicode"))
    out.write("\n")
