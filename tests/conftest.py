"""Shared helpers: run the real CLI as a subprocess, read fixture markers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
SCHEMA = REPO / "ssot_lint" / "schemas" / "diagnostics.schema.json"
MARKER_RE = re.compile(r"#\s*expect:\s*(?P<codes>[A-Z0-9]+(?:\s*,\s*[A-Z0-9]+)*)")


def run_cli(*args: str, cwd: Path | str | None = None, input: str | bytes | None = None, env: dict | None = None):
    """Run ``python -m ssot_lint`` as a real subprocess."""
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    if isinstance(input, str):
        input = input.encode("utf-8")
    return subprocess.run(
        [sys.executable, "-m", "ssot_lint", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        env=full_env,
        timeout=300,
    )


def expected_markers(project: Path) -> set[tuple[str, str, int]]:
    """(code, path, line) for every ``# expect: CODE[, CODE]`` marker in a project."""
    out = set()
    for path in sorted(project.rglob("*.py")):
        rel = path.relative_to(project).as_posix()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = MARKER_RE.search(line)
            if m:
                for code in m.group("codes").split(","):
                    out.add((code.strip(), rel, n))
    return out


@pytest.fixture(scope="session")
def json_schema():
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


def validate_json(doc: dict, schema: dict) -> None:
    import jsonschema

    jsonschema.validate(doc, schema)
