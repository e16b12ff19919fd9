"""Dependents: the files whose findings depend on the files a run was given.

``ssot-lint check app/services.py`` (what pre-commit runs for a change to one file) must
also report ``app/routes.py:7:5 SSOT003`` when the change turned the ``async def`` that
routes.py awaits into a ``def``. The files added are:

- **The import graph**: the files that import a given module, directly or through other
  modules (re-exports), read from the files' facts (cached by content, so a warm run
  parses nothing). ``import a`` counts as importing every module under ``a``.
- **The cache's records**: a cached result lists the modules its file's lookups consulted
  (``FindingsEntry.deps``); a file whose list names a given file's module is added too.

Project-wide dependencies (``*``, and derived tables such as the await-name tables) are
not followed: nearly every file has them, so every file would depend on every other and a
pre-commit run on one file would report the whole project's findings. A finding that
depends on a module only through such a table, without an import (SSOT006 on a receiver
named ``*notifier`` whose class is defined elsewhere), is found by a run on the whole
project, not through its dependents.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .facts import FROM, IMPORT
from .project import Project


def find_dependents(project: Project, entries: Mapping[str, Any], given: list[str]) -> list[str]:
    """The files of ``project`` (other than ``given``) whose findings depend on ``given``."""
    modules = {project.module_info.get(rel, ("", False))[0] for rel in given} - {""}
    if not modules:
        return []
    found = importers(project, modules)
    for rel, entry in entries.items():
        deps = getattr(entry, "deps", None)
        if isinstance(deps, frozenset) and not deps.isdisjoint(modules) and rel in project.module_info:
            found.add(rel)
    return sorted(found - set(given))


def imported_modules(facts: Any) -> set[str]:
    """Modules a module's imports name (``import a`` as the prefix ``a``, see ``importers``)."""
    out: set[str] = set()
    for scope in facts.scopes.values():
        out.update(scope.star_imports)
        for bindings in scope.bindings.values():
            for b in bindings:
                if b.kind == IMPORT and b.target:
                    out.add(b.target + ".*")
                elif b.kind == FROM and b.target:
                    out.add(b.target)
                    out.add(f"{b.target}.{b.name}")
    return out


def importers(project: Project, modules: set[str]) -> set[str]:
    """Paths of the files that import one of ``modules``, directly or transitively."""
    imports: dict[str, set[str]] = {}
    for rel in project.paths:
        facts = project.facts(rel)
        if facts is not None:
            imports[rel] = imported_modules(facts)
    reached = set(modules)
    out: set[str] = set()
    changed = True
    while changed:
        changed = False
        for rel, names in imports.items():
            if rel in out:
                continue
            if any(_imports(name, reached) for name in names):
                out.add(rel)
                module = project.module_info.get(rel, ("", False))[0]
                if module:
                    reached.add(module)
                changed = True
    return out


def _imports(name: str, reached: set[str]) -> bool:
    if name.endswith(".*"):
        prefix = name[:-2]
        return any(m == prefix or m.startswith(prefix + ".") for m in reached)
    return name in reached
