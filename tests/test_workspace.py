"""The warm Workspace: the same answers as a full run, without re-reading the project per edit."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssot_lint.config import ConfigError
from ssot_lint.registry import load_rules
from ssot_lint.workspace import Workspace, load_linter

ENGINE = (
    "class ExecutionEngine:\n    def __init__(self, context, registry, notifier):\n        self.context = context\n"
)
FILES = {
    # Buffers below build engines at module level, which SSOT002 also reports; these tests follow SSOT001.
    "pyproject.toml": "[project]\nname = 'x'\n[tool.ssot-lint]\nignore = ['SSOT002']\n",
    "app/__init__.py": "",
    "app/agents/__init__.py": "from .execution_engine import ExecutionEngine\n",
    "app/agents/execution_engine.py": ENGINE,
    # The factory makes `ExecutionEngine` factory-managed (inferred by the contract).
    "app/agents/execution_engine_factory.py": (
        "from .execution_engine import ExecutionEngine\n\n\n"
        "def create_engine_for_user(context: 'UserExecutionContext'):\n"
        "    return ExecutionEngine(context, None, None)\n"
    ),
    "app/compat.py": "from app.agents.execution_engine import ExecutionEngine as Engine\n",
    "app/use.py": "from app.compat import Engine\nx = Engine(1, 2, 3)\n",
}


@pytest.fixture(scope="module")
def rules():
    return load_rules()


def _project(root: Path) -> Path:
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def _lines(result):
    return [(d.code, d.range.start.line, d.range.start.column) for d in result.diagnostics]


@pytest.mark.parametrize("project", ["legacy_service", "clean_service"])
def test_same_findings_as_a_full_run_for_every_file(project, rules, fixture_copy):
    root = fixture_copy(project)
    linter = load_linter(root, rules)
    ws = Workspace(linter)
    full = linter.run([str(root)])
    got = []
    for f in linter.discover([str(root)]):
        got.extend(ws.lint(f.relpath).diagnostics)
    key = lambda d: d.sort_key  # noqa: E731
    assert sorted(got, key=key) == sorted(full.diagnostics, key=key)
    assert ws.loads == 1 and ws.index_builds == 1


def test_buffer_edits_rebuild_the_index_only_when_facts_change(tmp_path, rules):
    root = _project(tmp_path)
    ws = Workspace(load_linter(root, rules))
    assert _lines(ws.lint("app/use.py")) == [("SSOT001", 2, 5)]
    builds = ws.index_builds
    # A body-only edit elsewhere in the line keeps the module's facts: no index rebuild.
    assert ws.update_buffer("app/use.py", "from app.compat import Engine\nx = Engine(1, 2, 3, 4)\n") is False
    assert _lines(ws.lint("app/use.py")) == [("SSOT001", 2, 5)]
    assert ws.index_builds == builds
    # The same text again: nothing at all changes.
    assert ws.update_buffer("app/use.py", "from app.compat import Engine\nx = Engine(1, 2, 3, 4)\n") is False
    # An unsaved edit to another module is seen through the index.
    assert ws.update_buffer("app/compat.py", "class Engine:\n    pass\n") is True
    assert _lines(ws.lint("app/use.py")) == []
    assert ws.index_builds == builds + 1
    # Closing the edited buffer without saving puts the disk version back.
    assert ws.close_buffer("app/compat.py") is True
    assert _lines(ws.lint("app/use.py")) == [("SSOT001", 2, 5)]
    assert ws.loads == 1


def test_disk_changes_of_closed_files(tmp_path, rules):
    root = _project(tmp_path)
    ws = Workspace(load_linter(root, rules))
    ws.update_buffer("app/use.py", FILES["app/use.py"])
    assert len(ws.lint("app/use.py").diagnostics) == 1
    (root / "app/compat.py").write_text("Engine = object\n", encoding="utf-8")
    assert ws.file_changed("app/compat.py") is True
    assert ws.lint("app/use.py").diagnostics == []
    (root / "app/compat.py").unlink()
    assert ws.file_changed("app/compat.py") is True
    assert "app/compat.py" not in ws.facts
    # An open buffer keeps priority over the file on disk.
    (root / "app/use.py").write_text("y = 1\n", encoding="utf-8")
    assert ws.file_changed("app/use.py") is False
    assert ws.sources["app/use.py"].text == FILES["app/use.py"]


def test_excluded_paths(tmp_path, rules):
    root = _project(tmp_path)
    (root / "pyproject.toml").write_text("[tool.ssot-lint]\nexclude = ['generated/**', 'legacy.py']\n")
    ws = Workspace(load_linter(root, rules))
    assert ws.is_excluded("generated/a/b.py")
    assert ws.is_excluded("legacy.py")
    assert ws.is_excluded(".venv/lib/x.py")
    assert not ws.is_excluded("app/use.py")


def test_buffer_text_is_not_decoded_again(tmp_path, rules):
    # A coding cookie in a buffer is only a comment: the text is already decoded.
    root = _project(tmp_path)
    ws = Workspace(load_linter(root, rules))
    ws.update_buffer(
        "app/latin.py",
        "# -*- coding: latin-1 -*-\nfrom app.agents import ExecutionEngine\ns = 'é'; ExecutionEngine(1, 2, 3)\n",
    )
    assert _lines(ws.lint("app/latin.py")) == [("SSOT001", 3, 10)]  # "é" is one character


def test_config_errors_are_one_line(tmp_path, rules):
    (tmp_path / "pyproject.toml").write_text("[tool.ssot-lint]\nselect = ['NOPE1']\n")
    with pytest.raises(ConfigError) as exc:
        load_linter(tmp_path, rules)
    assert "\n" not in str(exc.value) and "pyproject.toml" in str(exc.value)


def test_loose_file_outside_a_project_indexes_only_buffers(tmp_path, rules):
    (tmp_path / "sibling.py").write_text("x = 1\n")
    ws = Workspace(load_linter(tmp_path, rules), index_project=False)
    ws.update_buffer("loose.py", "import os\n")
    assert ws.lint("loose.py").diagnostics == []
    assert set(ws.facts) == {"loose.py"}
    assert ws.close_buffer("loose.py") is True and ws.facts == {}
