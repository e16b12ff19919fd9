"""Dependents: the files whose findings depend on the files a run was given.

``ssot-lint check app/services.py`` (what pre-commit runs for a change to one file) must
also report ``app/routes.py:7:5 SSOT003`` when the change turned the ``async def`` that
routes.py awaits into a ``def``. The files added are:

- **The import graph, by name**: the files that import a name of a given module, directly
  or through the names other modules re-bind from it at module level (re-exports, aliases
  ``Y = X``, subclasses, ``import pkg.mod as m``), read from the files' facts (cached by
  content, so a warm run parses nothing). ``import a`` counts as importing every module
  under ``a``. A module that merely imports a given one for its own use does not make its
  importers dependents: that would make a change to a utility module used everywhere
  re-report the whole project.
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

import re
from collections.abc import Mapping
from typing import Any

from .facts import ALIAS, CLASS, FROM, IMPORT
from .index import identifier_text
from .project import Project
from .source import ReadError


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


ALL = "*"  # every name of a module
_IDENT = re.compile(r"[^\W\d]\w*")


def importers(project: Project, modules: set[str]) -> set[str]:
    """Paths of the files that import a name of one of ``modules``, directly or through
    the names other modules re-bind from them, at module level (re-exports, aliases
    ``Y = X``, subclasses, ``import pkg.mod as m``)."""
    reached: dict[str, set[str]] = {}
    prefixes: set[str] = set()  # every dotted prefix of a reached module (for `import a`)
    # A file can use a reached name only if its text spells the name, or the module's
    # last component (`from pkg import mod`, `import a.b.mod`), or has a star import: a
    # textual screen, so that only candidates' facts are loaded.
    words: set[str] = set()

    def reach(module: str, names: set[str]) -> bool:
        known = reached.setdefault(module, set())
        parts = module.split(".")
        prefixes.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        words.add(parts[-1])
        words.update(n for n in names if n != ALL)
        if names <= known:
            return False
        known |= names
        return True

    for m in modules:
        reach(m, {ALL})
    idents: dict[str, frozenset[str]] = {}
    for rel in project.paths:
        src = project.source(rel)
        if not isinstance(src, ReadError):
            text = identifier_text(src.text)
            idents[rel] = frozenset(_IDENT.findall(text)) | (
                {ALL} if "import *" in text or "import*" in text else set()
            )
    out: set[str] = set()
    changed = True
    while changed:
        changed = False
        for rel, ident in idents.items():
            if ident.isdisjoint(words) and ALL not in ident:
                continue
            facts = project.facts(rel)
            if facts is None:
                continue
            hit, names = _uses(facts, reached, prefixes)
            if hit:
                out.add(rel)
            if names and facts.module and reach(facts.module, names):
                changed = True
    return out


def _reaches(reached: dict[str, set[str]], module: str, name: str | None) -> bool:
    names = reached.get(module)
    if names is not None and (ALL in names or name is None or name in names):
        return True
    return name is not None and f"{module}.{name}" in reached  # `from pkg import submodule`


def _uses(facts, reached: dict[str, set[str]], prefixes: set[str]) -> tuple[bool, set[str]]:
    """Does the module use a reached name, and which of its own module-level names now
    stand for one (so that its importers are reached too)?"""
    hit = False
    names: set[str] = set()
    for qual, scope in facts.scopes.items():
        top = qual == ""
        for star in scope.star_imports:
            if star in reached:
                hit = True
                if top:
                    names.add(ALL)
        for local, bindings in scope.bindings.items():
            for b in bindings:
                if b.kind == FROM and b.target:
                    found = _reaches(reached, b.target, b.name)
                elif b.kind == IMPORT and b.target:
                    # `import a` / `import a.b as m`: a reached module at or under the target.
                    found = b.target in prefixes
                else:
                    continue
                if found:
                    hit = True
                    if top:
                        names.add(local)
    if names and ALL not in names:
        # Module-level names built from reached ones: `Y = X` aliases and subclasses.
        module_scope = facts.scopes.get("")
        grew = True
        while grew:
            grew = False
            for local, bindings in module_scope.bindings.items() if module_scope else ():
                if local in names:
                    continue
                if any(b.kind == ALIAS and b.target.split(".")[0] in names for b in bindings):
                    names.add(local)
                    grew = True
            for d in facts.defs.values():
                if (
                    d.kind == CLASS
                    and d.scope == ""
                    and d.name not in names
                    and any(base.split(".")[0] in names for base in d.bases)
                ):
                    names.add(d.name)
                    grew = True
    return hit, names
