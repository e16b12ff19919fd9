"""The warm paths: the stat fast path, the findings snapshot, the incremental contract.

What is re-read, re-linted and re-inferred is observed through ``Linter.stats`` and the
files read; speed itself is measured by ``benchmarks/lint_speed.py``.
"""

from __future__ import annotations

import json
import os

import pytest
from conftest import contract_both_ways
from test_cli import ENGINE
from test_speed import lint, write

import ssot_lint.cache
import ssot_lint.project
import ssot_lint.run.unchanged

WIDGET = "class Widget:\n    def __init__(self, ctx):\n        self.ctx = ctx\n"
USES_WIDGET = "from app.widget import Widget\n\n\ndef build(ctx):\n    return Widget(ctx)\n"
WIDGET_FACTORY = "from app.widget import Widget\n\n\ndef create_widget_for_user(ctx: 'UserExecutionContext'):\n    return Widget(ctx)\n"


@pytest.fixture
def reads(monkeypatch):
    """Trust every stat at once (no racy window), and list the files read from disk."""
    monkeypatch.setattr(ssot_lint.cache, "RACY_NS", 0)
    seen: list[str] = []
    real = ssot_lint.project.read_bytes

    def spy(path, *args):
        seen.append(os.path.basename(path))
        return real(path, *args)

    monkeypatch.setattr(ssot_lint.project, "read_bytes", spy)
    monkeypatch.setattr(ssot_lint.run.unchanged, "read_bytes", spy)  # the unchanged run's code frames
    return seen


def project(tmp_path):
    return write(
        tmp_path / "p",
        {
            "app/__init__.py": "",
            "app/engine.py": ENGINE,
            "app/routes.py": "from app.engine import ExecutionEngine\nx = ExecutionEngine(1)\n",
            "app/other.py": "def helper():\n    return 1\n",
        },
    )


def manifest(root):
    cache = ssot_lint.cache.Cache(root / ".ssot_lint_cache")
    raw = json.loads((root / ".ssot_lint_cache" / "findings.json").read_bytes())
    found = cache.load_manifest(raw[2])
    assert found.entries, "the manifest did not load"
    return found


def test_unchanged_files_are_not_read_on_a_warm_run(tmp_path, reads):
    root = project(tmp_path)
    cold, stats, _ = lint(root)
    assert sorted(reads) == ["__init__.py", "engine.py", "other.py", "routes.py"]
    reads.clear()
    warm, stats, _ = lint(root)
    assert warm == cold and [f[:3] for f in warm] == [("SSOT001", "app/routes.py", 2)]
    assert stats["cached"] == 4 and stats["linted"] == 0 and stats["contract_inferred"] == 0
    assert reads == ["routes.py"]  # only for the code frame of its finding


def test_same_size_edit_with_the_mtime_restored_is_seen(tmp_path, reads):
    """The decision: such an edit is re-read, since writing a file changes its ctime, which
    nothing but the kernel sets; size + mtime + inode alone would miss it."""
    root = project(tmp_path)
    assert [f[:3] for f in lint(root)[0]] == [("SSOT001", "app/routes.py", 2)]
    routes = root / "app/routes.py"
    before = os.stat(routes)
    routes.write_text("from app.engine import ExecutionEngine\nx = ExecutionEnginX(1)\n", encoding="utf-8")
    os.utime(routes, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(routes)
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    reads.clear()
    found, stats, _ = lint(root)
    assert found == [] and stats["linted"] == 1 and stats["cached"] == 3
    assert "routes.py" in reads


def test_touched_file_is_rehashed_and_relinted_only_when_its_content_changed(tmp_path, reads):
    root = project(tmp_path)
    lint(root)
    routes = root / "app/routes.py"
    st = os.stat(routes)
    os.utime(routes, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))  # touched, same content
    reads.clear()
    found, stats, _ = lint(root)
    assert [f[:3] for f in found] == [("SSOT001", "app/routes.py", 2)]
    assert stats["linted"] == 0 and stats["cached"] == 4 and reads == ["routes.py"]
    routes.write_text("from app.engine import ExecutionEngine\n\n\nx = ExecutionEngine(2)\n", encoding="utf-8")
    found, stats, _ = lint(root)
    assert [f[:3] for f in found] == [("SSOT001", "app/routes.py", 4)] and stats["linted"] == 1


def test_a_racily_fresh_file_is_not_trusted_by_its_stat(tmp_path):
    """Files changed within RACY_NS of being stat'ed get no record: they are read again."""
    root = project(tmp_path)
    lint(root)
    assert manifest(root).stats == {}


def test_manifest_is_not_rewritten_when_nothing_changed(tmp_path, reads):
    root = project(tmp_path)
    lint(root)
    lint(root)  # records the stats of files that were racily fresh
    path = root / ".ssot_lint_cache" / "findings.json"
    stamp = os.stat(path).st_mtime_ns
    os.utime(path, ns=(stamp - 10**9, stamp - 10**9))
    lint(root)
    assert os.stat(path).st_mtime_ns == stamp - 10**9


def test_editing_a_non_factory_module_reuses_the_contract_and_other_findings(tmp_path):
    root = project(tmp_path)
    assert lint(root)[1]["contract_inferred"] == 1
    write(root, {"app/other.py": "def helper():\n    return 2\n\n\nVALUE = helper()\n"})
    found, stats, _ = lint(root)
    assert [f[:3] for f in found] == [("SSOT001", "app/routes.py", 2)]
    assert stats["contract_inferred"] == 0 and stats["linted"] == 1 and stats["cached"] == 3


def test_a_factory_in_a_new_file_updates_the_contract_and_the_findings(tmp_path):
    root = project(tmp_path)
    write(root, {"app/widget.py": WIDGET, "app/use.py": USES_WIDGET})
    assert [f[:3] for f in lint(root)[0]] == [("SSOT001", "app/routes.py", 2)]
    write(root, {"app/widget_factory.py": WIDGET_FACTORY})
    found, stats, _ = lint(root)
    assert stats["contract_inferred"] == 1
    assert [f[:3] for f in found] == [("SSOT001", "app/routes.py", 2), ("SSOT001", "app/use.py", 5)]
    # ... and gone again with the file.
    (root / "app/widget_factory.py").unlink()
    assert [f[:3] for f in lint(root)[0]] == [("SSOT001", "app/routes.py", 2)]


def test_an_existing_module_that_gains_a_factory_is_screened_in(tmp_path):
    """other.py passed no textual screen before; after the edit it defines the factory."""
    root = project(tmp_path)
    write(root, {"app/widget.py": WIDGET, "app/use.py": USES_WIDGET})
    lint(root)
    write(root, {"app/other.py": WIDGET_FACTORY})
    found, stats, _ = lint(root)
    assert stats["contract_inferred"] == 1
    assert [f[:3] for f in found] == [("SSOT001", "app/routes.py", 2), ("SSOT001", "app/use.py", 5)]


LOOP = (
    "from collections.abc import Coroutine\n\n\nclass Loop:\n"
    "    def create_task(self, coro: Coroutine, name: str = ''):\n        return coro\n"
)


def test_an_edit_beside_a_factory_shaped_function_keeps_the_contract(tmp_path):
    """loop.py passes the factory screen (``create_task`` with annotated parameters), but no
    parameter takes the context: inference reads its factory-shaped functions (a module row
    and their slices), so an edit elsewhere in it re-infers nothing, and one to them does."""
    root = project(tmp_path)
    write(root, {"app/widget.py": WIDGET, "app/use.py": USES_WIDGET, "app/loop.py": LOOP})
    assert lint(root)[1]["contract_inferred"] == 1
    write(root, {"app/loop.py": LOOP + "\n\nLIMIT = 3\n\n\ndef helper(n: int):\n    return n\n"})
    found, stats, _ = lint(root)
    assert stats["contract_inferred"] == 0 and stats["linted"] == 1
    assert [f[:3] for f in found] == [("SSOT001", "app/routes.py", 2)]
    # A new factory beside it (the row changed), then the method itself (its slice changed).
    for text in (
        LOOP + "\n\n" + WIDGET_FACTORY,
        WIDGET_FACTORY.split("\n\n\n")[0]
        + "\n"
        + LOOP.replace("coro: Coroutine", "ctx: 'UserExecutionContext'").replace("return coro", "return Widget(ctx)"),
    ):
        write(root, {"app/loop.py": text})
        found, stats, _ = lint(root)
        assert stats["contract_inferred"] == 1
        assert [f[:3] for f in found] == [("SSOT001", "app/routes.py", 2), ("SSOT001", "app/use.py", 5)]
        write(root, {"app/loop.py": LOOP})
        assert [f[:3] for f in lint(root)[0]] == [("SSOT001", "app/routes.py", 2)]


def test_linting_a_few_files_keeps_the_other_entries_only_while_still_valid(tmp_path):
    """Pre-commit mode: entries of files that were not named survive when nothing they depend on changed."""
    root = project(tmp_path)
    lint(root)
    write(root, {"app/other.py": "def helper():\n    return 3\n"})
    linter_found, stats, _ = lint_paths(root, ["app/other.py"])
    assert stats["files"] == 1 and stats["linted"] == 1
    found, stats, _ = lint(root)
    assert stats["linted"] == 0 and stats["cached"] == 4
    # engine.py's factory is gone: routes.py (not named) must not keep its finding.
    write(root, {"app/engine.py": WIDGET})
    lint_paths(root, ["app/engine.py"])
    found, stats, _ = lint(root)
    assert found == [] and stats["linted"] >= 1


def lint_paths(root, rels):
    from ssot_lint.config import load_config
    from ssot_lint.engine import Linter, RunOptions
    from ssot_lint.registry import load_rules

    linter = Linter(load_config(root), load_rules(), select=["SSOT000", "SSOT001"], options=RunOptions(jobs=1))
    result = linter.run([str(root / r) for r in rels])
    return [(d.code, d.path, d.range.start.line) for d in result.diagnostics], linter.stats, result


@pytest.mark.parametrize("name", ["legacy_service", "clean_service", "probe_factories"])
def test_screened_inference_equals_reading_every_module(name):
    from conftest import FIXTURES

    with_screen, without = contract_both_ways(FIXTURES / name)
    assert with_screen.to_dict() == without.to_dict()
    # probe_factories' factories take a `RequestContext`, not the contract's context class.
    assert any(m.origin == "inferred" for m in without.managed) or name in ("clean_service", "probe_factories")


def test_notifier_inherited_from_a_module_that_names_no_method_is_found(tmp_path):
    """The implementation's own module mentions none of the protocol's methods: it inherits
    them through an alias from a base two modules away. The screen must still find it."""
    methods = ["agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed", "agent_error"]
    body = "".join(f"    async def {m}(self, *args):\n        pass\n\n" for m in methods)
    root = write(
        tmp_path / "p",
        {
            "app/__init__.py": "",
            "app/base.py": "class EmitterBase:\n" + body,
            "app/middle.py": "from app.base import EmitterBase as Base\n\n\nclass Middle(Base):\n    pass\n",
            "app/alias.py": "from app import middle\n\nParent = middle.Middle\n",
            "app/impl.py": "from app.alias import Parent\n\n\nclass SlackEmitter(Parent):\n    pass\n",
        },
    )
    with_screen, without = contract_both_ways(root)
    names = {n.name for n in without.notifier_classes if n.origin == "inferred"}
    assert "app.impl.SlackEmitter" in names and "app.middle.Middle" in names
    assert with_screen.to_dict() == without.to_dict()


def test_a_new_subclass_elsewhere_invalidates_findings_that_used_the_hierarchy(tmp_path, monkeypatch):
    """Findings that asked for the subclasses of a class depend on the class hierarchy
    (``@table:class-hierarchy:``, its value), not on every module: an unrelated edit keeps
    them, a new subclass does not.
    (Without the prefilter: SSOT005's prefilter reads a table over every module.)"""
    from ssot_lint.engine import Linter

    linted: list[str] = []
    real = Linter.lint_one
    monkeypatch.setattr(Linter, "lint_one", lambda self, project, rel: linted.append(rel) or real(self, project, rel))
    root = project(tmp_path)
    write(
        root,
        {
            "app/base.py": "class Runner:\n    async def run(self):\n        pass\n",
            "app/calls.py": "from app.base import Runner\n\n\nasync def go(r: Runner):\n    r.run()\n",
        },
    )
    found = lint(root, select=["SSOT005"], prefilter=False)[0]
    assert [f[:3] for f in found] == [("SSOT005", "app/calls.py", 5)]
    assert "@table:class-hierarchy:" in manifest(root).entries["app/calls.py"].deps
    linted.clear()
    write(root, {"app/other.py": "def helper():\n    return 5\n"})
    assert lint(root, select=["SSOT005"], prefilter=False)[0] == found
    assert "app/calls.py" not in linted and "app/other.py" in linted
    linted.clear()
    write(root, {"app/sub.py": "from app.base import Runner\n\n\nclass Sub(Runner):\n    pass\n"})
    assert lint(root, select=["SSOT005"], prefilter=False)[0] == found
    assert {"app/calls.py", "app/sub.py"} <= set(linted)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_skip_decided_by_a_project_table_is_revisited_when_the_table_changes(tmp_path, jobs):
    """SSOT005's prefilter skips `user.py` without resolving anything (no coroutine-giving
    definition is named `close`). When `lib.close` becomes `async def`, that table changes
    and the cached decision must not be reused, although `user.py` never read `lib.py`."""
    many = {f"app/m{i}.py": f"def helper_{i}():\n    return {i}\n" for i in range(30)}  # enough files for workers
    root = write(
        tmp_path / "p",
        {
            **many,
            "app/__init__.py": "",
            "app/lib.py": "def close():\n    return 1\n",
            "app/user.py": "from app import lib\n\n\ndef f():\n    lib.close()\n",
        },
    )
    first, _, _ = lint(root, jobs=jobs, select=["SSOT005"])
    assert first == []
    (root / "app/lib.py").write_text("async def close():\n    return 1\n", encoding="utf-8")
    again, _, _ = lint(root, jobs=jobs, select=["SSOT005"])
    assert [(c, p, line) for c, p, line, _, _ in again] == [("SSOT005", "app/user.py", 5)]
    # Every file whose prefilter read the changed table is decided again; nothing more.
    unchanged, stats, _ = lint(root, jobs=jobs, select=["SSOT005"])
    assert unchanged == again and stats["linted"] == 0
