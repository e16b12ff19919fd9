"""Which files are test code: the ``test-paths`` globs, and test support found by imports.

Rules skip test code or treat it differently (``LintRule.applies_to_tests``, the contract's
factories, SSOT007's canonical class, the notifier model, class state that tests poke at).
Every one of them asks here, so one project-wide table decides for all.

**Test code by imports** (``test-only-imports``, on by default). Besides the files the
``test-paths`` globs match, a module is test code when it is *test support*:

- something imports it (``import``, ``from pkg import mod``, relative and function-local
  imports; importing ``a.b.c`` imports the packages ``a`` and ``a.b`` too), and everything
  that imports it is test code: a ``test-paths`` file or another test-support module
  (test-support modules may import each other, in cycles too);
- it uses test tooling: it imports pytest (or a ``pytest_*`` plugin), unittest, mock or
  hypothesis, or a ``test-paths`` module, or another test-support module (so the
  ``__init__.py`` that re-exports a helper package's builders, which use its fakes, does).

Each module is judged on its own: a package whose modules are all test support is test
code as a whole, and one of its modules that uses no test tooling stays production.

A module nothing imports (a script, an entry point, a plugin loaded by name) stays
production, and so does one that only tests import but that uses no test tooling: the
application code the tests exercise (a route module, a CLI, an integration loaded by name).
Without the tooling condition, every module only tests import would be test code, and a
package of production code that only tests import (most of an application's code) with it.

The table takes two work lists, each linear in the import edges: the modules only test code
imports (a greatest fixpoint, so that they may import each other), then those of them that
use test tooling (a least fixpoint, so that two modules cannot vouch for each other). Its value is a dependency:
a caller that asks about a file records ``@table:test-code:<path>``, whose fingerprint is
that file's status, so adding or removing an import elsewhere re-lints exactly the files
whose status it flips (``TEST_CODE``, a project table of every ``AnalysisSession``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pathspec

from .config import DEFAULT_TEST_PATHS
from .discovery import compile_globs
from .facts import ModuleFacts
from .index import ProjectIndex
from .rows import ModuleRow
from .session import AnalysisSession, ProjectTable, restore_names, session_of

TABLE_KIND = "test-code"
# Imports that make a module test tooling (by their first dotted part; `pytest_*` too).
TEST_FRAMEWORKS = frozenset({"pytest", "_pytest", "unittest", "mock", "hypothesis"})


def is_framework(module: str) -> bool:
    top = module.split(".", 1)[0]
    return top in TEST_FRAMEWORKS or top.startswith("pytest_")


@dataclass(frozen=True)
class TestCode:
    """The project's test code: ``test-paths`` globs, and the paths found by imports."""

    __test__ = False  # not a pytest test class

    spec: pathspec.PathSpec  # the test-paths globs
    by_imports: frozenset[str]  # root-relative paths that are test code only by imports

    def is_test(self, path: str) -> bool:
        return self.matches_globs(path) or path in self.by_imports

    def matches_globs(self, path: str) -> bool:
        return bool(self.spec.match_file(path))


def _config(index: ProjectIndex) -> Any:
    """The config of the run's session over ``index`` (None outside a run)."""
    return index.session.config if index.session is not None else None


def test_code(index: ProjectIndex, test_paths: Sequence[str] | None = None, by_imports: bool | None = None) -> TestCode:
    """The test code of ``index`` (once per session and settings). Unset settings come from
    the config of the run's session (the defaults without one). Nothing is recorded: a
    caller that depends on a file's status records it (``is_test``)."""
    config = _config(index)
    if test_paths is None:
        test_paths = config.test_paths if config is not None else DEFAULT_TEST_PATHS
    if by_imports is None:
        by_imports = bool(getattr(config, "test_only_imports", True))
    globs = list(test_paths)

    session = session_of(index)

    def build() -> TestCode:
        spec = compile_globs(globs)
        paths: frozenset[str] = frozenset()
        if by_imports:
            with index.unrecorded():
                paths = session.table(TEST_SUPPORT, json.dumps(globs))
        return TestCode(spec, paths)

    return session.cached(("test-code", tuple(globs), by_imports), build, contract_free=True)


def is_test(index: ProjectIndex, path: str, test_paths: Sequence[str] | None = None) -> bool:
    """Is the file at ``path`` test code? A caller that depends on the answer records it:
    ``@table:test-code:<path>`` when the answer comes from the imports table."""
    table = test_code(index, test_paths)
    if table.matches_globs(path):
        return True
    config = _config(index)
    if not bool(getattr(config, "test_only_imports", True)):
        return False
    index.touch_table(TABLE_KIND, path)
    return path in table.by_imports


def _status(index: ProjectIndex, path: str) -> bool:
    return path in test_code(index).by_imports


# A file's status as a dependency: ``@table:test-code:<path>`` is that file's status.
TEST_CODE: ProjectTable[bool] = ProjectTable(TABLE_KIND, lambda session, path: _status(session.index, path), bool)


def _compute_support(session: AnalysisSession, globs: str) -> frozenset[str]:
    return _test_support(session.index, compile_globs(json.loads(globs)))


# The paths of the test-support modules, for the test-paths globs (JSON): folded from every
# module's imports row, and kept in the cache (read back while no module's imports changed).
TEST_SUPPORT: ProjectTable[frozenset[str]] = ProjectTable("test-support", _compute_support, restore=restore_names)


def _imports_row(facts: ModuleFacts, index: ProjectIndex) -> tuple[str, tuple[str, ...]]:
    return facts.path, facts.imported


# What the table needs of each module (its path and what it imports), kept by content hash:
# after an edit, only the changed modules' facts are read to rebuild the table.
IMPORTS_ROW: ModuleRow[tuple[str, tuple[str, ...]]] = ModuleRow(
    "test-imports", tuple[str, tuple[str, ...]], _imports_row
)


def _test_support(index: ProjectIndex, spec) -> frozenset[str]:
    """The paths of the test-support modules (see the module docstring)."""
    rows = index.rows(IMPORTS_ROW)
    path_of = {m: row[0] for m, row in rows.items()}
    glob = {m: bool(spec.match_file(p)) for m, p in path_of.items()}
    # Import edges between project modules: m -> what it imports (and the parent packages).
    out_edges: dict[str, list[str]] = {}
    in_edges: dict[str, list[str]] = {m: [] for m in path_of}
    local: set[str] = set()  # modules that import a test framework or a test-paths module
    for m, (_, imported) in rows.items():
        targets: set[str] = set()
        tools = False
        for name in imported:
            tools = tools or is_framework(name)
            parts = name.split(".")
            for i in range(len(parts), 0, -1):
                prefix = ".".join(parts[:i])
                if prefix in targets:
                    break
                if prefix in path_of:
                    targets.add(prefix)
        targets.discard(m)
        out_edges[m] = list(targets)
        for t in targets:
            in_edges[t].append(m)
        if not glob[m] and (tools or any(glob[t] for t in targets)):
            local.add(m)
    # Only test code imports them: the greatest fixpoint (assume every module is, take back
    # those nothing imports or that a production module imports, and what that makes production).
    only_tests = {m for m in path_of if not glob[m]}
    queue = [m for m in only_tests if not in_edges[m] or any(not glob[w] and w not in only_tests for w in in_edges[m])]
    while queue:
        m = queue.pop()
        if m not in only_tests:
            continue
        only_tests.discard(m)
        queue.extend(t for t in out_edges[m] if t in only_tests)
    # Of those, the ones that use test tooling, directly or through another one (the least
    # fixpoint). Whatever imports one of them is test code or one of them itself: an importer
    # in ``only_tests`` imports test support, so it is test support too.
    test = {m for m in only_tests if m in local}
    queue = list(test)
    while queue:
        m = queue.pop()
        for w in in_edges[m]:
            if w in only_tests and w not in test:
                test.add(w)
                queue.append(w)
    return frozenset(path_of[m] for m in test)


__all__ = [
    "TABLE_KIND",
    "TEST_CODE",
    "TEST_FRAMEWORKS",
    "TEST_SUPPORT",
    "TestCode",
    "is_framework",
    "is_test",
    "test_code",
]
