"""``--format jsonl``: JSON Lines, one diagnostic object per line, for streaming consumers.

Each line is a diagnostic exactly as in ``--format json`` (same schema, ``$defs/diagnostic``).
Internal errors are not diagnostics: they are written to stderr, and the exit code is 2.
"""

from __future__ import annotations

import json
import sys
from typing import TextIO

from . import Report, register


@register("jsonl")
def write_jsonl(report: Report, out: TextIO) -> None:
    report.show_fixes_on_stderr()
    for d in report.diagnostics:
        out.write(json.dumps(report.diagnostic_json(d), ensure_ascii=False, separators=(",", ":")) + "\n")
        out.flush()
    for e in report.errors:
        where = f"{report.display_path(e.path)}: " if e.path else ""
        sys.stderr.write(f"ssot-lint: error: {where}{e.message}\n")
