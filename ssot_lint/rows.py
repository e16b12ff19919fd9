"""Module rows: what a project-wide table needs of one module, kept by content hash.

A project table that reads every module (the test code found by imports, the in-place
operations on class attributes, ...) would otherwise load the facts of every module on
every run that has to check it, after any edit anywhere. A ``ModuleRow`` is the part of
one module's facts such a table folds: by default a function of that module's facts
alone (``reads_project`` rows may follow imports), as plain data of a declared type. The
run keeps each module's rows in the cache (``cache.SECTIONS["rows"]``) with the module's content hash
(``Project.module_row``), so after an edit only the changed modules' rows are computed
again, and a table is folded from rows without loading the facts of the others. Outside a
run (a test, the language server's buffers) a row is computed from the facts in memory.

Rows are data, never code: written with ``ssot_lint.codec`` and read back against
``type`` (a damaged row is computed again). Change ``version`` whenever ``make``
changes what it gives; the rows file is also dropped when any of ssot-lint's or the rule
pack's modules change (it is stored under ``cache.tool_fingerprint``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .facts import ModuleFacts

if TYPE_CHECKING:
    from .index import ProjectIndex

R = TypeVar("R")


@dataclass(frozen=True, eq=False)
class ModuleRow(Generic[R]):
    """A per-module value (see the module docstring).

    ``make(facts, index)`` builds it; ``type`` is its type for the codec (tuples, lists,
    str, int, bool, None, str-keyed dicts, dataclasses of those); ``name`` is unique (a
    row that depends on a table's argument puts the argument in its name).

    By default a row is a function of the module's own facts, and ``make`` must not ask
    ``index`` about other modules. With ``reads_project``, it may (the kind of a call
    follows imports): what it consults is recorded as the row's dependencies, and the
    kept row is used only while none of them changed (as a file's cached findings).
    Such a row is kept under the run's salt (config, rule options, contract: it may read
    them) unless ``salted`` is off: a row that reads the project's modules only (the class
    hierarchy, which inferring the contract reads) is kept across them.

    A ``sparse`` row is one most modules have empty (a tuple or dict): ``ProjectIndex.rows``
    leaves those modules out, and so does the fold's fingerprint (``@rows``), so a module
    added, removed or edited without one (a leaf without classes, for the class hierarchy)
    changes neither, and the readers of the fold keep their cached findings.
    """

    name: str
    type: Any
    make: Callable[[ModuleFacts, ProjectIndex], R]
    version: int = 1
    reads_project: bool = False
    salted: bool = True
    sparse: bool = False

    def __post_init__(self) -> None:
        _BY_KEY[self.key] = self

    @property
    def key(self) -> str:
        return f"{self.name}:{self.version}"


# Every row built in this process, by key: a later run finds the row that a dependency
# ``@rows:<key>`` names (``Project.fingerprint``) before any rule asked for it. Rows are
# immutable definitions, built at import (or by a cached factory) with a unique key.
_BY_KEY: dict[str, ModuleRow[Any]] = {}
# Rows made per argument by a cached factory (``register_family``), by name prefix.
_FAMILIES: dict[str, Callable[[str], ModuleRow[Any]]] = {}


def register_family(prefix: str, make: Callable[[str], ModuleRow[Any]]) -> None:
    """Rows named ``<prefix><arg>`` are built by ``make(arg)`` (cached: the same row for the
    same argument), so that ``row_for_key`` finds one that no rule asked for yet in this
    process. ``make`` must only parse its argument (a key read from the cache is not trusted)."""
    _FAMILIES[prefix] = make


def row_for_key(key: str) -> ModuleRow[Any] | None:
    """The row of ``key``: built in this process, or made by its family."""
    found = _BY_KEY.get(key)
    if found is None:
        name = key.rpartition(":")[0]
        for prefix, make in _FAMILIES.items():
            if name.startswith(prefix):
                try:
                    made = make(name[len(prefix) :])
                except Exception:  # not an argument the family knows
                    return None
                return made if made.key == key else None
    return found


__all__ = ["ModuleRow", "register_family", "row_for_key"]
