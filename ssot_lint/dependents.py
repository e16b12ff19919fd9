"""Dependents: the files whose findings depend on the files a run was given.

``ssot-lint check app/services.py`` (what pre-commit runs for a change to one file) must
also report ``app/routes.py:7:5 SSOT003`` when the change turned the ``async def`` that
routes.py awaits into a ``def``. The files added are:

- **The import graph, by name**: the files that import a name of a given module, directly
  or through the names other modules re-bind from it at module level (re-exports, aliases
  ``Y = X``, subclasses, ``import pkg.mod as m``), read from each module's import row
  (``import_row``: its imports as plain data, kept in the manifest by content hash, so a
  warm run reads no file and loads no facts but the changed files'). ``import a`` counts as importing every module
  under ``a``. A module that merely imports a given one for its own use does not make its
  importers dependents: that would make a change to a utility module used everywhere
  re-report the whole project.
- **The cache's records**: a cached result lists the modules its file's lookups consulted
  (``FindingsEntry.deps``, by name slice: ``ssot_lint.slices``); a file whose list names a
  given file's module, or a slice of it, is added too.

Project-wide dependencies (``*``, and derived tables such as the await-name tables) are
not followed: nearly every file has them, so every file would depend on every other and a
pre-commit run on one file would report the whole project's findings. A finding that
depends on a module only through such a table, without an import (SSOT006 on a receiver
named ``*notifier`` whose class is defined elsewhere), is found by a run on the whole
project, not through its dependents.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .cache import DependentsMemo, ImportRow, digest
from .facts import ALIAS, CLASS, FROM, IMPORT, ModuleFacts
from .index import identifier_text
from .project import Project
from .slices import dep_module
from .source import ReadError


def find_dependents(project: Project, entries: Mapping[str, Any], given: list[str]) -> list[str]:
    """The files of ``project`` (other than ``given``) whose findings depend on ``given``."""
    modules = {project.module_info.get(rel, ("", False))[0] for rel in given} - {""}
    if not modules:
        return []
    found = memoised_importers(project, modules)
    for rel, entry in entries.items():
        deps = getattr(entry, "deps", None)
        if isinstance(deps, frozenset) and rel in project.module_info and any(dep_module(d) in modules for d in deps):
            found.add(rel)
    return sorted(found - set(given))


ALL = "*"  # every name of a module
_IDENT = re.compile(r"[^\W\d]\w*")


def import_row(facts: ModuleFacts) -> ImportRow:
    """What ``importers`` needs of a module, as plain data (see ``cache.ImportRow``)."""
    stars: list[tuple[str, bool]] = []
    binds: list[tuple[str, str, str, str, bool]] = []
    for qual, scope in facts.scopes.items():
        top = qual == ""
        stars.extend((star, top) for star in scope.star_imports)
        for local, bindings in scope.bindings.items():
            for b in bindings:
                if b.kind in (FROM, IMPORT) and b.target:
                    binds.append((local, b.kind, b.target, b.name, top))
    module_scope = facts.scopes.get("")
    aliases = [
        (local, b.target)
        for local, bindings in (module_scope.bindings.items() if module_scope else ())
        for b in bindings
        if b.kind == ALIAS
    ]
    classes = [(d.name, list(d.bases)) for d in facts.defs.values() if d.kind == CLASS and d.scope == ""]
    return stars, binds, aliases, classes


_MEMO_SETS = 8  # module sets kept in ``dependents.json``


def _row_digest(row: ImportRow | None) -> str:
    return hashlib.blake2b(repr(row).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def _layout(project: Project) -> str:
    """Which module each file is (the config's roots decide it, and the importers follow it)."""
    return digest(sorted(project.module_info.items()))


def memoised_importers(project: Project, modules: set[str]) -> set[str]:
    """``importers``, read back from the cache (``cache.DependentsMemo``) when a recent run
    asked for the same modules and no file changed since but in contents with the same
    import rows, whose text that answer did not read. What importers are depends on the
    import rows and those texts only: pre-commit asks again for the same files after each
    edit, and on Home Assistant the answer for five files took 0.45 s."""
    tool = project.tool
    if tool is None or not project.cache.enabled:
        return importers(project, modules)
    key = sorted(modules)
    layout = _layout(project)
    memo = project.cache.load_dependents(tool)
    carried = _carried(project, memo) if memo is not None and memo.layout == layout else None
    if carried is not None:
        memo, changed = carried
        for names, kept, _read in memo.sets:
            if names == key:
                if changed:
                    project.cache.save_dependents(tool, memo)
                return set(kept)
    found, read = _importers(project, modules)
    if carried is None:  # the import rows now (``importers`` has just read every one)
        basis = {rel: (project.content_hash(rel), _row_digest(project.import_row(rel))) for rel in project.paths}
        memo = DependentsMemo(layout, basis, [])
    assert memo is not None
    sets = [(key, sorted(found), sorted(read))] + [s for s in memo.sets if s[0] != key]
    project.cache.save_dependents(tool, DependentsMemo(layout, memo.basis, sets[:_MEMO_SETS]))
    return found


def _carried(project: Project, memo: DependentsMemo) -> tuple[DependentsMemo, bool] | None:
    """``memo`` for the project as it is now (and whether that changed it), or None when a
    file was added or removed, or an import row changed. A file whose content changed is
    asked for its import row from its facts (extracted for the run anyway): the imports
    section is not read. The sets whose answer read such a file's text go."""
    basis = memo.basis
    paths = project.paths
    if len(paths) != len(basis) or not all(rel in basis for rel in paths):
        return None
    changed = {rel: chash for rel in paths if (chash := project.content_hash(rel)) != basis[rel][0]}
    if not changed:
        return memo, False
    now = dict(basis)
    for rel, chash in changed.items():
        facts = project.facts(rel)
        digest = _row_digest(import_row(facts) if facts is not None else None)
        if digest != basis[rel][1]:
            return None
        now[rel] = (chash, digest)
    return DependentsMemo(memo.layout, now, [s for s in memo.sets if changed.keys().isdisjoint(s[2])]), True


def importers(project: Project, modules: set[str]) -> set[str]:
    """Paths of the files that import a name of one of ``modules``, directly or through
    the names other modules re-bind from them, at module level (re-exports, aliases
    ``Y = X``, subclasses, ``import pkg.mod as m``)."""
    return _importers(project, modules)[0]


def _importers(project: Project, modules: set[str]) -> tuple[set[str], set[str]]:
    """``importers``, and the files whose text it read."""
    reached: dict[str, set[str]] = {}
    prefixes: set[str] = set()  # every dotted prefix of a reached module (for `import a`)
    # A file uses a reached name only if its text also spells the name, or the module's
    # last component (`from pkg import mod`, `import a.b.mod`), or has a star import. The
    # rows (cheap, from the manifest) are asked first; only the files whose row uses a
    # reached name are read for this check.
    words: set[str] = set()
    fresh: list[str] = []  # words reached since the loop last looked

    def reach(module: str, names: set[str]) -> bool:
        known = reached.setdefault(module, set())
        parts = module.split(".")
        prefixes.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        for word in (parts[-1], *names):
            if word != ALL and word not in words:
                words.add(word)
                fresh.append(word)
        if names <= known:
            return False
        known |= names
        return True

    for m in modules:
        reach(m, {ALL})
    rows: list[tuple[str, str, ImportRow]] = []
    for rel in project.paths:
        row = project.import_row(rel)
        if row is not None:
            rows.append((rel, project.module_info.get(rel, ("", False))[0], row))
    idents: dict[str, frozenset[str]] = {}

    def spelled(rel: str) -> frozenset[str]:
        found = idents.get(rel)
        if found is None:
            src = project.source(rel)
            text = identifier_text(src.text) if not isinstance(src, ReadError) else ""
            found = idents[rel] = frozenset(_IDENT.findall(text)) | (
                {ALL} if "import *" in text or "import*" in text else set()
            )
        return found

    # A row is asked again only when what it names changes: the reached names of a module
    # it imports from (or a star import's), a reached module under an ``import a`` target,
    # or (for a row whose text spelled no reached word yet) the reached words.
    by_module: dict[str, list[int]] = {}
    by_import: dict[str, list[int]] = {}
    for i, (_rel, _module, (stars, binds, _aliases, _classes)) in enumerate(rows):
        for star, _top in stars:
            by_module.setdefault(star, []).append(i)
        for _local, kind, target, name, _top in binds:
            if kind == FROM:
                by_module.setdefault(target, []).append(i)
                by_module.setdefault(f"{target}.{name}", []).append(i)
            else:
                by_import.setdefault(target, []).append(i)
    # Rounds, as a fixpoint over every row would, but each round asks only the rows that
    # the previous one may have changed (a row still to come in this round sees it anyway).
    waiting: dict[str, list[int]] = {}  # word -> the rows that hit but whose text spells no reached word yet
    waits: set[int] = set()
    out: set[str] = set()
    # The first round asks only the rows that import from a given module or under it: no
    # other row can use a reached name yet (``_uses`` looks names up by those keys).
    first: set[int] = set()
    for m in modules:
        first.update(by_module.get(m, ()))
    for prefix in prefixes:
        first.update(by_import.get(prefix, ()))
    current: list[int] = sorted(first)
    while current:
        asked = set(current)
        later: set[int] = set()
        for i in current:
            rel, module, row = rows[i]
            hit, names = _uses(row, reached, prefixes)
            if not hit:  # (names are found only with a hit)
                continue
            if not _spells_by_imports(row, module, words):  # else its text spells one: not read to find out
                ident = spelled(rel)
                if ident.isdisjoint(words) and ALL not in ident:
                    if i not in waits:
                        waits.add(i)
                        for word in ident:
                            waiting.setdefault(word, []).append(i)
                    continue
            out.add(rel)
            if names and module and reach(module, names):
                _ask(later, asked, i, by_module.get(module, ()))
                parts = module.split(".")
                for k in range(1, len(parts) + 1):
                    _ask(later, asked, i, by_import.get(".".join(parts[:k]), ()))
            while fresh:
                _ask(later, asked, i, waiting.pop(fresh.pop(), ()))
        current = sorted(later)
    return out, set(idents)


def _ask(later: set[int], asked: set[int], at: int, rows: Iterable[int]) -> None:
    """Ask ``rows`` again next round, unless this round (at row ``at``) still comes to them."""
    later.update(j for j in rows if j <= at or j not in asked)


def _spells_by_imports(row: ImportRow, module: str, words: set[str]) -> bool:
    """Does the module's text surely spell one of ``words`` as a whole identifier, by its
    import row? Its imports spell what they bind, the names ``from`` imports take, every
    part of an ``import a.b.c``, and the last part of a ``from`` import's module unless that
    module is the importer's own package or one above it (``from . import x`` does not spell
    it). ASCII identifiers only, so that the text's identifiers (``spelled``) surely contain
    them. Asked for thousands of rows per run: the first word found answers."""
    _stars, binds, _aliases, _classes = row
    for local, kind, target, name, _top in binds:
        if local in words and _spellable(local):
            return True
        if kind == FROM:
            if name in words and _spellable(name):
                return True
            if target != module and not module.startswith(target + "."):
                last = target.rpartition(".")[2]
                if last in words and _spellable(last):
                    return True
        elif any(part in words and _spellable(part) for part in target.split(".")):
            return True
    return False


def _spellable(word: str) -> bool:
    return word.isascii() and _IDENT.fullmatch(word) is not None


def _uses(row: ImportRow, reached: dict[str, set[str]], prefixes: set[str]) -> tuple[bool, set[str]]:
    """Does the module use a reached name, and which of its own module-level names now
    stand for one (so that its importers are reached too)?"""
    stars, binds, aliases, classes = row
    hit = False
    names: set[str] = set()
    for star, top in stars:
        if star in reached:
            hit = True
            if top:
                names.add(ALL)
    for local, kind, target, name, top in binds:
        if kind == FROM:  # a reached name of the module, or `from pkg import submodule`
            got = reached.get(target)
            # (a reached ``pkg.submodule`` puts ``pkg`` in ``prefixes``: asked first, it
            # spares building the name of every other bind)
            found = (got is not None and (ALL in got or name is None or name in got)) or (
                name is not None and target in prefixes and f"{target}.{name}" in reached
            )
        else:  # `import a` / `import a.b as m`: a reached module at or under the target
            found = target in prefixes
        if found:
            hit = True
            if top:
                names.add(local)
    if names and ALL not in names:
        # Module-level names built from reached ones: `Y = X` aliases and subclasses.
        grew = True
        while grew:
            grew = False
            for local, target in aliases:
                if local not in names and target.split(".")[0] in names:
                    names.add(local)
                    grew = True
            for name, bases in classes:
                if name not in names and any(base.split(".")[0] in names for base in bases):
                    names.add(name)
                    grew = True
    return hit, names
