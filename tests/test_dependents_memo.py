"""The importers of a pre-commit run's files are kept (``dependents.memoised_importers``):
asked again after an edit that changed no import row, they are read back; an import row
changed, a file added, or a changed file whose text the answer read, computes them again.
Every answer equals the one computed without the memo, and a run without the cache."""

from __future__ import annotations

import shutil

import pytest
from conftest import FIXTURES
from test_dependents_rows import ROUTES, SYNC_API, _check
from warm_cold import write_tree

import ssot_lint.cache
import ssot_lint.dependents as dependents

OTHERS = ["netra_backend/app/await_cases/__init__.py"]


@pytest.fixture
def computed(monkeypatch):
    """Trust every stat at once (no racy window), and count the answers computed."""
    monkeypatch.setattr(ssot_lint.cache, "RACY_NS", 0)
    calls: list[frozenset[str]] = []
    real = dependents._importers
    monkeypatch.setattr(
        dependents, "_importers", lambda project, modules: calls.append(frozenset(modules)) or real(project, modules)
    )
    return calls


def _tree(tmp_path):
    root = tmp_path / "svc"
    shutil.copytree(FIXTURES / "legacy_service", root, ignore=shutil.ignore_patterns(".ssot_lint_cache"))
    _check(root, ["."])
    return root


def _same_as_without(root, paths, got):
    assert got == _check(root, paths, cache=False)


def test_an_edit_that_changes_no_import_reads_the_importers_back(tmp_path, computed):
    root = _tree(tmp_path)
    paths = [SYNC_API, *OTHERS]
    first = _check(root, paths)
    assert computed and ROUTES in first[1]
    for text in ("# edited\n", "X_ADDED = 1\n", "def also_added():\n    return 1\n"):
        computed.clear()
        path = root / SYNC_API
        path.write_text(path.read_text() + text)
        got = _check(root, paths)
        assert computed == [], text
        _same_as_without(root, paths, got)


def test_an_import_row_changed_computes_the_importers_again(tmp_path, computed):
    root = _tree(tmp_path)
    paths = [SYNC_API]
    _check(root, paths)
    newcomer = "netra_backend/app/await_cases/newcomer.py"
    (root / newcomer).write_text("from netra_backend.app.await_cases.sync_api import *\n")
    computed.clear()
    got = _check(root, paths)
    assert computed, "a file added"
    assert newcomer in got[1]
    _same_as_without(root, paths, got)
    routes = root / ROUTES  # an importer whose imports spell what it uses: its text is not read
    routes.write_text("import os\n" + routes.read_text())  # its import row changes
    computed.clear()
    got = _check(root, paths)
    assert computed, "an import row changed"
    _same_as_without(root, paths, got)


def test_a_changed_file_whose_text_the_answer_read_computes_it_again(tmp_path, computed):
    """``import pkg`` spells no name of ``pkg.core``: whether the file uses it is read from
    its text. That text changes (its import row does not): the answer is computed again."""
    files = {
        "pkg/__init__.py": "",
        "pkg/core.py": "def load():\n    return 1\n",
        "pkg/prefix.py": "import pkg\n\nx = pkg.core.load()\n",
        "pkg/plain.py": "from pkg.core import load\n",
    }
    root = tmp_path / "p"
    write_tree(root, files)
    _check(root, ["."])
    paths = ["pkg/core.py"]
    first = _check(root, paths)
    assert {"pkg/prefix.py", "pkg/plain.py"} <= set(first[1])
    (root / "pkg/core.py").write_text(files["pkg/core.py"] + "# edited\n")
    computed.clear()
    assert _check(root, paths) == first and computed == []  # read back
    (root / "pkg/prefix.py").write_text("import pkg\n\nx = 1\n")  # the same import row
    computed.clear()
    got = _check(root, paths)
    assert computed, "computed again"
    # (prefix.py stays a dependent here through its cached entry, which named pkg.core)
    assert got[0] == _check(root, paths, cache=False)[0]
