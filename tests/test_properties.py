"""Property tests: ssot-lint returns diagnostics (or SSOT000) for any input, never an
exception; fixes keep the file parsable, are idempotent and touch nothing else.

CI runs a moderate number of examples; ``benchmarks/fuzz.py --examples 10000`` runs the
long campaign with the same properties.
"""

from __future__ import annotations

import os

from fuzzing import check_fix_properties, check_never_crashes, grammar_project, pattern_project
from hypothesis import HealthCheck, given, settings

EXAMPLES = int(os.environ.get("SSOT_FUZZ_EXAMPLES", "40"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


@SETTINGS
@given(pattern_project())
def test_pattern_projects_never_crash(files):
    check_never_crashes(files)


@SETTINGS
@given(grammar_project())
def test_generated_python_never_crashes(files):
    check_never_crashes(files)


@SETTINGS
@given(pattern_project())
def test_fixes_on_pattern_projects(files):
    # Sprinkle calls the test fix rules rewrite, so every example has fixes.
    files = {p: t + "legacy_call(1)\nvalue = legacy_call(2)  # keep\n" for p, t in files.items()}
    check_fix_properties(files)


def test_fixes_on_the_fixtures():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "fixtures" / "legacy_service"
    files = {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in root.rglob("*.py")}
    check_never_crashes(files)
    check_fix_properties(files)
