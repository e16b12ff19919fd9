"""``--dependents`` on a warm cache reads each module's imports from the manifest (its
import row), not from every file: a pre-commit run reads only the files it lints and the
files whose import rows use what changed."""

from __future__ import annotations

import os
import shutil

import pytest
from conftest import FIXTURES

import ssot_lint.cache
import ssot_lint.project
from ssot_lint.cache import Cache
from ssot_lint.config import load_config
from ssot_lint.engine import Linter, RunOptions
from ssot_lint.registry import load_rules

RULES = load_rules()
ROUTES = "netra_backend/app/await_cases/routes.py"
SYNC_API = "netra_backend/app/await_cases/sync_api.py"


@pytest.fixture
def reads(monkeypatch):
    """Trust every stat at once (no racy window), and list the files read from disk."""
    monkeypatch.setattr(ssot_lint.cache, "RACY_NS", 0)
    seen: list[str] = []
    real = ssot_lint.project.read_bytes
    monkeypatch.setattr(ssot_lint.project, "read_bytes", lambda path, *a: seen.append(path) or real(path, *a))
    return seen


def _check(root, paths, *, dependents=True, cache=True):
    linter = Linter(load_config(root), RULES, options=RunOptions(jobs=1, dependents=dependents, use_cache=cache))
    result = linter.run([str(root / p) for p in paths])
    found = [(d.code, d.path, d.range.start.line, d.range.start.column) for d in result.diagnostics]
    return found, result.dependents


def test_a_warm_pre_commit_run_reads_only_what_it_lints(tmp_path, reads):
    root = tmp_path / "svc"
    shutil.copytree(FIXTURES / "legacy_service", root, ignore=shutil.ignore_patterns(".ssot_lint_cache"))
    _check(root, ["."])  # warm: the manifest has the import rows of the modules whose facts were loaded
    tool = Linter(load_config(root), RULES).tool()
    cache = Cache(root / ".ssot_lint_cache")
    imports = {k: v for shard in cache.load_section(tool, "imports").values() for k, v in shard.items()}
    python_files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.py") if ".ssot" not in str(p))
    assert ROUTES in imports and len(imports) > len(python_files) // 2
    # sync_api.py changes (a comment): routes.py imports it and is linted as its dependent.
    path = root / SYNC_API
    path.write_text(path.read_text() + "# edited\n")
    reads.clear()
    found, dependents = _check(root, [SYNC_API])
    assert ROUTES in dependents
    read = {os.path.relpath(p, root) for p in reads}
    # The file changed and the files its row search reached; before the rows, every file was read.
    assert SYNC_API in read and len(read) <= len(dependents) + 1 < len(python_files) // 2
    # The same answer as a run without the cache (every row computed from facts).
    assert (found, dependents) == _check(root, [SYNC_API], cache=False)
    assert any(f[0] == "SSOT003" and f[1] == ROUTES for f in found)


def test_importers_read_only_files_whose_imports_do_not_spell_a_reached_word(tmp_path, reads, monkeypatch):
    """Whether an importer's text spells a reached word is asked of its import row first:
    what it binds, the names it takes, the parts of an ``import a.b`` and the module of a
    ``from`` import surely appear in its text, except the package of ``from . import x``.
    Only the other importers are read, and the dependents are those found by reading every
    importer's text."""
    import ssot_lint.dependents as dependents

    files = {
        "pkg/__init__.py": "",
        "pkg/core.py": "def load():\n    return 1\n",
        "pkg/plain.py": "from pkg.core import load\n",
        "pkg/aliased.py": "from pkg.core import load as fetch\n",
        "pkg/relative.py": "from .core import load\n",
        "pkg/dotted.py": "import pkg.core as c\n",
        "pkg/prefix.py": "import pkg\n\nx = pkg.core.load()\n",
        "pkg/prefix_other.py": "import pkg\n\nx = pkg.other\n",
        "pkg/star.py": "from pkg.core import *\n",
        "pkg/sub/__init__.py": "from .. import core\n",
        "pkg/sub/user.py": "from . import core\n",
        "pkg/sub/reexport.py": "from pkg.sub import core as again\n",
    }
    root = tmp_path / "p"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / "pyproject.toml").write_text('[project]\nname = "p"\n')
    _check(root, ["."])
    reads.clear()
    found = _check(root, ["pkg/core.py"])[1]
    read = sorted(os.path.relpath(p, root) for p in reads)
    monkeypatch.setattr(dependents, "_spells_by_imports", lambda row, module, words: False)
    assert found == _check(root, ["pkg/core.py"])[1]
    assert {"pkg/plain.py", "pkg/aliased.py", "pkg/relative.py", "pkg/dotted.py", "pkg/star.py"} <= set(found)
    # Read: the file given, and the importers whose row spells no reached word (prefix
    # imports of `pkg`, `from . import core` in a package that is not reached by name).
    assert "pkg/plain.py" not in read and "pkg/relative.py" not in read and "pkg/dotted.py" not in read
    assert "pkg/prefix.py" in read and "pkg/star.py" in read
