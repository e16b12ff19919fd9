"""The class hierarchy of the project, as a project table kept in the cache.

Base fullname -> its direct project subclasses (module, qualname), in module order: folded
from every module's ``CLASS_BASES`` row (``ssot_lint.index``). Readers (``subclass_sites``)
depend on its value (``@table:class-hierarchy:``). Folding it reads every module's row:
on Home Assistant, 6,725 rows and their texts, 0.25 s. So its value is kept in the cache;
while no module's row changed (the fold's fingerprint is answered from the rows shards'
headers) a later run reads it back, and when some did, it is updated from those rows
(``_delta``) rather than folded again.
"""

from __future__ import annotations

from typing import Any

from .index import CLASS_BASES, HIERARCHY_KIND, ProjectIndex
from .session import AnalysisSession, ProjectTable, RowChanges

Hierarchy = dict[str, list[tuple[str, str]]]


def fold(index: ProjectIndex) -> Hierarchy:
    """The hierarchy from every module's row, in module order."""
    table: Hierarchy = {}
    for module, rows in index.rows(CLASS_BASES).items():
        for qualname, bases in rows:
            for base in bases:
                table.setdefault(base, []).append((module, qualname))
    return table


def _compute(session: AnalysisSession, arg: str) -> Hierarchy:
    return fold(session.index)


def _summary(table: Hierarchy) -> list[Any]:
    return sorted([base, [list(site) for site in sites]] for base, sites in table.items())


def _restore(session: AnalysisSession, data: Any) -> Hierarchy:
    """The hierarchy back from its summary (kept in the cache: checked, raises if odd)."""
    if not isinstance(data, list):
        raise ValueError("not a hierarchy")
    table: Hierarchy = {}
    for item in data:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str) and isinstance(item[1], list)):
            raise ValueError("not a base and its subclasses")
        sites = []
        for site in item[1]:
            if not (isinstance(site, list) and len(site) == 2 and all(isinstance(x, str) for x in site)):
                raise ValueError("not a subclass")
            sites.append((site[0], site[1]))
        table[item[0]] = sites
    return table


def _delta(session: AnalysisSession, arg: str, old: Hierarchy, changes: RowChanges) -> Hierarchy | None:
    """The hierarchy after some modules' rows changed: their classes' old places go, their
    new ones come, and each list touched is put back in module order (a stable sort: a
    module's classes stay in the order of its row)."""
    table = dict(old)
    touched: set[str] = set()
    for items in changes.values():
        for module, before, after in items:
            for qualname, bases in before or ():
                for base in bases:
                    sites = table.get(base)
                    if sites is not None:
                        table[base] = [s for s in sites if s != (module, qualname)]
                        touched.add(base)
            for qualname, bases in after or ():
                for base in bases:
                    sites = table[base] = list(table.get(base, ()))
                    sites.append((module, qualname))
                    touched.add(base)
    if touched:
        order = {name: i for i, name in enumerate(session.index.modules.names())}
        for base in touched:
            if not table[base]:
                del table[base]
            elif any(module not in order for module, _ in table[base]):
                return None  # a module no longer in the project: fold again
            else:
                table[base].sort(key=lambda site: order[site[0]])
    return table


# The hierarchy; readers depend on its value.
HIERARCHY: ProjectTable[Hierarchy] = ProjectTable(
    HIERARCHY_KIND, _compute, _summary, restore=_restore, delta=_delta, contract_free=True
)


__all__ = ["HIERARCHY", "Hierarchy", "fold"]
