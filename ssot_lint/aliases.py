"""The alias closure: every name through which a definition can be reached.

A name written in a file reaches a project definition only through bindings ``Y = X``,
``from m import X as Y`` and ``import a.X as Y``, so a file that spells none of the names in
the closure of a definition's name cannot refer to it: sound prefilters screen files by it.

Each module's bindings are a module row (``ALIAS_EDGES``), kept in the cache by content. The
closure of a set of names is a project table (``ALIAS_CLOSURE``; its argument: the names,
comma-separated), kept in the cache too. After an edit, the table's entry holds while every
module's row is the same (the fold's fingerprint, ``@rows``, is answered from the rows shards'
headers); when rows changed, the closure is updated from them (``_delta``) if they cannot
have grown or shrunk it, and folded again from every row otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable

from .facts import ALIAS, FROM, IMPORT, ModuleFacts
from .index import ProjectIndex
from .rows import ModuleRow
from .session import AnalysisSession, ProjectTable, RowChanges, restore_names, session_of

Edges = tuple[tuple[str, str], ...]


def _bare(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _edges_row(facts: ModuleFacts, index: ProjectIndex) -> Edges:
    """(source name, name bound to it) for every ``Y = X``, ``Y = a.X``, ``from m import X as
    Y`` and ``import a.X as Y`` of a module, in any scope."""
    edges: list[tuple[str, str]] = []
    for scope in facts.scopes.values():
        for bound, bindings in scope.bindings.items():
            for b in bindings:
                if b.kind == FROM and b.name and b.name != bound:
                    edges.append((b.name, bound))
                elif b.kind == ALIAS and b.target:
                    edges.append((_bare(b.target), bound))
                elif b.kind == IMPORT and b.target and bound != b.target.split(".")[0]:
                    edges.append((_bare(b.target), bound))
    return tuple(edges)


# Most modules bind no alias: ``sparse``, so that one added or edited without any leaves the
# fold's fingerprint as it was.
ALIAS_EDGES: ModuleRow[Edges] = ModuleRow("alias-edges", tuple[tuple[str, str], ...], _edges_row, sparse=True)


def _fold(index: ProjectIndex) -> dict[str, list[str]]:
    bound_from: dict[str, list[str]] = {}
    for edges in index.rows(ALIAS_EDGES).values():
        for src, bound in edges:
            bound_from.setdefault(src, []).append(bound)
    return bound_from


def bound_from(index: ProjectIndex) -> dict[str, list[str]]:
    """Source name -> the names bound to it anywhere in the project, folded once per session
    from every module's ``ALIAS_EDGES`` row (the reader depends on ``@rows`` of it)."""
    return session_of(index).cached("alias-bound-from", lambda: _fold(index), contract_free=True)


def closure_of(index: ProjectIndex, names: Iterable[str]) -> set[str]:
    """``names`` plus every name bound to one of them, to a fixpoint. An over-approximation by
    name (nothing is resolved), so it is safe for prefilters. Each name is followed once:
    linear in the bindings, whatever the chains' depth."""
    table = bound_from(index)
    out = set(names)
    stack = list(out)
    while stack:
        for bound in table.get(stack.pop(), ()):
            if bound not in out:
                out.add(bound)
                stack.append(bound)
    return out


def _compute(session: AnalysisSession, arg: str) -> frozenset[str]:
    return frozenset(closure_of(session.index, [n for n in arg.split(",") if n]))


def _delta(session: AnalysisSession, arg: str, old: frozenset[str], changes: RowChanges) -> frozenset[str] | None:
    """The closure after the bindings of some modules changed: the same when no binding
    they lost or gained leaves a name of it for a name outside it (else None: fold again).
    A binding gone from a name of the closure may have been how a name got in; one added
    from it may bring a name in, and what that name reaches needs every module's bindings."""
    for items in changes.values():
        for _module, before, after in items:
            then, now = set(before or ()), set(after or ())
            if any(src in old for src, _ in then - now):
                return None
            if any(src in old and bound not in old for src, bound in now - then):
                return None
    return old


# The closure of the names of its argument (comma-separated); readers depend on its value.
ALIAS_CLOSURE: ProjectTable[frozenset[str]] = ProjectTable(
    "alias-closure", _compute, restore=restore_names, delta=_delta, contract_free=True
)


def alias_closure(index: ProjectIndex, seeds: Iterable[str]) -> frozenset[str]:
    """The closure of ``seeds`` (``ALIAS_CLOSURE``): the caller depends on its value only
    (``@table:alias-closure:<seeds>``)."""
    return session_of(index).table(ALIAS_CLOSURE, ",".join(sorted(set(seeds))))


__all__ = ["ALIAS_CLOSURE", "ALIAS_EDGES", "alias_closure", "bound_from", "closure_of"]
