"""Warm equals cold: what the cache reuses gives exactly what ``--no-cache`` gives.

A regression test for each stale-cache bug found, and a differential property test:
random edit sequences on a generated project (``warm_cold.py``), each edit linted
warm and cold. ``benchmarks/fuzz.py --only warm-cold`` runs the long campaign.
"""

from __future__ import annotations

import json

import pytest
from conftest import run_cli
from test_cli import make_project
from warm_cold import check_sequence, findings, write_tree

INNER_ASYNC = "async def inner():\n    return 1\n"
INNER_SYNC = "def inner():\n    return 1\n"
LIB = "from app.inner_mod import inner\n\n\ndef load():\n    return inner()\n"
# Another coroutine function named `load` (and one named `inner`): the bare-name tables
# the await rules' prefilter reads do not change when `inner` turns into a plain def.
OTHER = "async def load():\n    return 2\n\n\nasync def inner():\n    return 3\n"
USE = "from app import lib\n\n\nasync def handler():\n    lib.load()\n"


def _codes(proc) -> list[tuple[str, str, int]]:
    assert proc.returncode in (0, 1), proc.stderr.decode()
    doc = json.loads(proc.stdout)
    assert doc["errors"] == []
    return [(d["code"], d["path"], d["range"]["start"]["line"]) for d in doc["diagnostics"]]


def test_a_memoised_call_kind_records_its_dependencies(tmp_path):
    """`inner` turns from `async def` into `def`: `lib.load()` no longer makes a coroutine.

    The first run computes `call_kind(lib.load)` while building the await rules' table and
    answers `use.py`'s question from the memo; the answer's dependency on `app.inner_mod`
    must be recorded for `use.py` too, or its cached SSOT005 outlives the change."""
    files = {
        "app/__init__.py": "",
        "app/inner_mod.py": INNER_ASYNC,
        "app/lib.py": LIB,
        "app/other.py": OTHER,
        "app/use.py": USE,
    }
    root = make_project(tmp_path / "p", files)
    for jobs in ("1", "2"):
        assert _codes(run_cli("check", str(root), "--format", "json", "--jobs", jobs)) == [("SSOT005", "app/use.py", 5)]
        (root / "app" / "inner_mod.py").write_text(INNER_SYNC)
        assert _codes(run_cli("check", str(root), "--format", "json", "--no-cache")) == []
        assert _codes(run_cli("check", str(root), "--format", "json", "--jobs", jobs)) == []
        (root / "app" / "inner_mod.py").write_text(INNER_ASYNC)
        assert _codes(run_cli("check", str(root), "--format", "json", "--jobs", jobs)) == [("SSOT005", "app/use.py", 5)]


def test_the_same_edits_in_process(tmp_path):
    """The property test's runner sees the bug above (so it can find such bugs)."""
    root = tmp_path / "p"
    files = {
        "app/__init__.py": "",
        "app/inner_mod.py": INNER_ASYNC,
        "app/lib.py": LIB,
        "app/other.py": OTHER,
        "app/use.py": USE,
    }
    write_tree(root, files)
    assert [f[:3] for f in findings(root, cache=True)] == [("SSOT005", "app/use.py", 5)]
    write_tree(root, {**files, "app/inner_mod.py": INNER_SYNC})
    assert findings(root, cache=True) == findings(root, cache=False) == []


# Seeds whose sequences have findings to compare and, between them, every kind of edit.
@pytest.mark.parametrize("seed", [5, 7, 8, 13])
def test_random_edit_sequences_warm_equals_cold(tmp_path, seed):
    outcome = check_sequence(seed, steps=8, workdir=tmp_path)
    assert outcome.failure is None, outcome.failure
    assert outcome.steps == 8 and outcome.findings > 0


def test_a_shared_duplicate_table_records_its_dependencies_for_every_file(tmp_path):
    """SSOT007's project table is built by the first file linted (it reads every module);
    the files that get it from the rule's cache depend on every module too. Found by the
    differential test (seed 1003)."""
    engine = "class ExecutionEngine:\n    pass\n"
    files = {"app/__init__.py": "", "app/m0.py": engine, "app/m2.py": engine}
    root = tmp_path / "p"
    write_tree(root, files)
    assert [f[:3] for f in findings(root, cache=True)] == [("SSOT007", "app/m2.py", 1)]
    write_tree(root, {**files, "app/__init__.py": engine})
    cold = findings(root, cache=False)
    assert [f[:3] for f in cold] == [("SSOT007", "app/m0.py", 1), ("SSOT007", "app/m2.py", 1)]
    assert "defined as 3 different classes" in cold[1][4]
    assert findings(root, cache=True) == cold


def test_a_config_change_refreshes_the_snapshot_of_the_project_tables(tmp_path):
    """A config change alone (no file changed) changes a project table's value: here the
    duplicate table, once `Widget` is a managed name. The snapshot must take the new
    value, or a later edit that brings the old value back looks like no change, and
    m1.py (which reads the table, not m3.py) keeps a stale SSOT007."""
    m3 = "def create_executionengine_for_user(ctx):\n    return ExecutionEngine(ctx)\n\n\nclass Widget:\n    pass\n"
    files = {
        "app/__init__.py": "",
        "app/m1.py": "class Widget(Notifier):\n    pass\n",
        "app/pkg/__init__.py": "from app.pkg.m3 import Widget\n",
        "app/pkg/m3.py": m3,
    }
    root = tmp_path / "p"
    steps = [
        files,
        {**files, "pyproject.toml": '[tool.ssot-lint.contract]\nmanaged = ["app.m0.Widget"]\n'},
        {
            **files,
            "pyproject.toml": '[tool.ssot-lint.contract]\nmanaged = ["app.m0.Widget"]\n',
            "app/pkg/m3.py": m3.replace("    return ExecutionEngine(ctx)\n", ""),
        },
    ]
    seen = []
    for step in steps:
        write_tree(root, step)
        warm, cold = findings(root, cache=True), findings(root, cache=False)
        assert warm == cold
        seen.append([(f[0], f[1]) for f in cold if f[0] == "SSOT007"])
    assert seen == [[], [("SSOT007", "app/m1.py")], []]
