"""The analysis session: what the rules of one run ask about the whole project.

One session per run (per project index). It holds the index, the config and the contract
the run inferred, the project tables the rules declare (``ProjectTable``), and the caches
rules keep for the run. Nothing here is a module global: the language server's next
check gets a new session, and nothing leaks from one run into the next.

Dependency recording is the index's (``ProjectIndex.start_recording``): a table read
records ``@table:<kind>:<arg>`` (its value), never what computing it read; a later run
checks such a dependency by recomputing the table's ``summary`` in its own session. A
file that reads a table of names only for the names its own text spells records
``@meet:<kind>:<arg>`` instead (``table_meet``).
A table that reads every module folds module rows (``ssot_lint.rows``, through
``ProjectIndex.rows``), so recomputing it loads only the changed modules' facts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .index import TABLE, WHOLE_PROJECT, ProjectIndex, table_dep

if TYPE_CHECKING:
    from .config import Config
    from .contract import Contract

T = TypeVar("T")
CONTRACT = "@contract"  # a dependency: the run's contract (``Project.fingerprint``)
_MISSING = object()


def _sorted(value: Any) -> Any:
    return sorted(value)


def names_from(data: Any) -> frozenset[str]:
    """``ProjectTable.restore`` of a table of names (its summary: the sorted names)."""
    if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
        raise ValueError("not a list of names")
    return frozenset(data)


def restore_names(session: AnalysisSession, data: Any) -> frozenset[str]:
    """``ProjectTable.restore`` of a table of names."""
    return names_from(data)


# The module rows that changed since a table was last computed, by row key: (module, its
# row then, its row now), None for a module without one. See ``ProjectTable.delta``.
RowChanges = dict[str, list[tuple[str, Any, Any]]]


def union_delta(session: AnalysisSession, arg: str, old: frozenset[str], changes: RowChanges) -> frozenset[str] | None:
    """``ProjectTable.delta`` of a table that is the union of its rows' names: the names
    the changed rows gained are added; a name one of them lost may still come from another
    module, so then the table is folded again (None)."""
    added: set[str] = set()
    removed: set[str] = set()
    for items in changes.values():
        for _module, before, after in items:
            then, now = set(before or ()), set(after or ())
            added |= now - then
            removed |= then - now
    if removed - added:
        return None
    return old | added


@dataclass(frozen=True, eq=False)
class ProjectTable(Generic[T]):
    """A project-wide value rules read, computed once per session and argument.

    ``compute(session, arg)`` builds it (what it reads is not the reader's dependency);
    ``summary(value)`` is its canonical value as a dependency: the same in every process
    for the same project (sort sets). A rule lists the tables it reads in
    ``LintRule.TABLES`` so that a later run can recompute them by ``kind``.
    """

    kind: str
    compute: Callable[[AnalysisSession, str], T]
    summary: Callable[[T], Any] = _sorted
    # ``restore(session, data)``: the value back from its summary as JSON data, which it
    # must check (it comes from the cache: raise on anything else). With it, a later run
    # whose entry for the table still holds reads the value instead of computing it
    # (``Project.stored_table``). What restoring reads is nobody's dependency.
    restore: Callable[[AnalysisSession, Any], T] | None = None
    # ``delta(session, arg, old, changes)``: the value from the previous run's (``restore``d)
    # and the module rows that changed since (``RowChanges``), or None to compute it. Used
    # when what computing the table read is unchanged but for folds of rows (``@rows``)
    # whose changes are known exactly (``Project.table_changes``): a definition added to
    # one module then costs that module's rows, not a fold of every module's.
    delta: Callable[[AnalysisSession, str, T, RowChanges], T | None] | None = None
    # The table never reads the contract (nor, through other tables, anything that does):
    # computed before the contract is known (contract inference reads the class hierarchy),
    # it is kept by the session that replaces that one (``AnalysisSession(previous=...)``).
    contract_free: bool = False


class AnalysisSession:
    """The index, config and contract of one run, and the rules' project tables and caches."""

    def __init__(
        self,
        index: ProjectIndex,
        config: Config | None,
        contract: Contract | None,
        tables: Iterable[ProjectTable[Any]] = (),
        *,
        strict: bool = True,
        previous: AnalysisSession | None = None,
    ) -> None:
        """A session over ``index`` (which then answers ``index.session`` with it).

        ``tables``: the tables the run's rules declare (the core's own, ``core_tables``,
        are always there). With ``strict``, reading any other table raises: its dependency
        could not be checked in a later run. ``previous``: the session this one replaces
        on the same index once the contract is known; what it computed without the
        contract (``cached(..., contract_free=True)``) is kept when the config is the same.
        """
        self.index = index
        self.config = config
        self._contract = contract
        self._declared: dict[str, ProjectTable[Any]] = {}
        # ``@table:<kind>:<arg>`` -> what computing it read (None: the whole project, or a
        # cycle was cut), for the tables computed in this session.
        self.inputs: dict[str, frozenset[str] | None] = {}
        for table in (*core_tables(), *tables):
            self._declare(table)
        self._strict = strict
        self._values: dict[tuple[str, str], Any] = {}
        self._caches: dict[Any, Any] = {}
        self._free: dict[Any, Any] = {}
        if previous is not None and previous.index is index:
            # What the tables computed there read: a fingerprint taken from one of them
            # stays with it (``Project.table_memo``).
            self.inputs.update(previous.inputs)
        if previous is not None and previous.index is index and previous.config is config:
            self._free.update(previous._free)
            self._values.update(
                (key, value)
                for key, value in previous._values.items()
                if getattr(previous._declared.get(key[0]), "contract_free", False)
            )
        index.session = self

    @property
    def contract(self) -> Contract | None:
        """The run's contract (None before it is known). A project table that reads it
        depends on it (``@contract``), so a later run's entry for the table
        (``Project.table_memo``) holds only under the same contract."""
        if self._contract is not None and self.index.capturing_depth:
            self.index.record((CONTRACT,))
        return self._contract

    def _declare(self, table: ProjectTable[Any]) -> None:
        known = self._declared.setdefault(table.kind, table)
        if known is not table:
            raise ValueError(f"two project tables named {table.kind!r}")

    # --- project tables --------------------------------------------------------------------
    def table(self, table: ProjectTable[T], arg: str = "") -> T:
        """The value of ``table`` for ``arg``; the caller depends on that value only."""
        self._check_declared(table)
        self.index.touch_table(table.kind, arg)
        return self._value(table, arg)

    def table_meet(self, table: ProjectTable[frozenset[str]], arg: str, names: AbstractSet[str]) -> frozenset[str]:
        """The names of ``table`` (a table of names) that are in ``names``: words that the
        text of the file being linted spells (its facts' ``names``, or any subset of its
        identifiers). The caller depends on that meet only (``@meet:<kind>:<arg>``): when
        the table changes, a cached result of the file still holds if its text spells
        none of the names added to or removed from the table (``run.plan``). Read inside
        another table, the whole table is the dependency."""
        if self.index.capturing_depth:
            return self.table(table, arg) & names
        self._check_declared(table)
        self.index.touch_meet(table.kind, arg)
        return self._value(table, arg) & names

    def _check_declared(self, table: ProjectTable[Any]) -> None:
        if table.kind not in self._declared:
            if self._strict:
                raise LookupError(f"project table {table.kind!r} is read but no enabled rule declares it in TABLES")
            self._declare(table)

    def _value(self, table: ProjectTable[T], arg: str) -> T:
        key = (table.kind, arg)
        found = self._values.get(key, _MISSING)
        if found is _MISSING and table.restore is not None:
            found = self._restored(table, arg)
        if found is _MISSING and table.delta is not None and table.restore is not None:
            found = self._updated(table, arg)
        if found is _MISSING:
            # What it reads is not the caller's dependency: it is kept with the table
            # (``inputs``), so that a later run can tell its value unchanged without
            # computing it (``Project.table_memo``).
            with self.index.capturing() as read:
                found = table.compute(self, arg)
            self._values[key] = found
            dep = table_dep(table.kind, arg)
            read.deps.discard(dep)  # a value that names its own table (``touch_table``) as it is built
            clean = not read.tainted and WHOLE_PROJECT not in read.deps
            self.inputs[dep] = frozenset(read.deps) if clean else None
        return found

    def _restored(self, table: ProjectTable[T], arg: str) -> Any:
        """The table's value kept by the previous run, when its entry holds (else _MISSING)."""
        dep = table_dep(table.kind, arg)
        data = self.index.stored_table(dep)
        if data is None:
            return _MISSING
        assert table.restore is not None
        try:
            with self.index.unrecorded():
                value = table.restore(self, data)
        except Exception:  # damaged or foreign: compute it
            return _MISSING
        self._values[(table.kind, arg)] = value  # no ``inputs``: the next run keeps its entry
        return value

    def _updated(self, table: ProjectTable[T], arg: str) -> Any:
        """The table's value from the previous run's and the rows changed since
        (``ProjectTable.delta``), when the index knows them exactly (else _MISSING). It read
        what the previous computation read (``inputs``: the same dependencies)."""
        dep = table_dep(table.kind, arg)
        known = self.index.table_changes(dep)
        if known is None:
            return _MISSING
        data, changes, read = known
        assert table.restore is not None and table.delta is not None
        try:
            with self.index.unrecorded():
                old = table.restore(self, data)
                value = table.delta(self, arg, old, changes)
        except Exception:  # damaged or foreign: compute it
            return _MISSING
        if value is None:
            return _MISSING
        self._values[(table.kind, arg)] = value
        self.inputs[dep] = read
        return value

    def kept_summary(self, dep: str) -> str | None:
        """The summary (JSON) of a restorable table computed or restored in this session, to
        keep in the cache for the next run (None: not one)."""
        kind, _, arg = dep[len(TABLE) + 1 :].partition(":")
        table = self._declared.get(kind)
        value = self._values.get((kind, arg), _MISSING)
        if table is None or table.restore is None or value is _MISSING:
            return None
        return json.dumps(table.summary(value), separators=(",", ":"))

    def table_summary(self, kind: str, arg: str) -> Any:
        """The canonical value of the dependency ``@table:<kind>:<arg>`` (None: unknown)."""
        table = self._declared.get(kind)
        if table is None:
            return None
        with self.index.unrecorded():
            return table.summary(self.table(table, arg))

    # --- the rules' own caches ---------------------------------------------------------------
    def cached(self, key: Any, compute: Callable[[], T], *, contract_free: bool = False) -> T:
        """``compute()`` once per session and ``key``. Nothing is recorded here for the
        caller: it records the dependencies of what it caches (on every read, not only the
        first). Inside a project table, though, every read records what computing the
        value consulted: the table keeps what it read (``inputs``). ``contract_free``:
        the value depends on the index and config only (kept when the session is replaced
        once the contract is known)."""
        store = self._free if contract_free else self._caches
        found = store.get(key, _MISSING)
        if found is _MISSING:
            index = self.index
            with index.capturing() as everything:  # all it read, ``unrecorded`` parts too
                index.start_recording()
                try:
                    value = compute()
                finally:
                    recorded = index.stop_recording()
            index.record(recorded)  # the first reader's dependencies, as always
            found = store[key] = (value, frozenset(everything.deps))
        elif self.index.capturing_depth:
            self.index.record(found[1])
        return found[0]


def core_tables() -> tuple[ProjectTable[Any], ...]:
    """The project tables of the core itself, declared in every session."""
    from .aliases import ALIAS_CLOSURE
    from .hierarchy import HIERARCHY
    from .testcode import TEST_CODE, TEST_SUPPORT

    return (TEST_CODE, TEST_SUPPORT, ALIAS_CLOSURE, HIERARCHY)


def rule_tables(rules: Iterable[type]) -> list[ProjectTable[Any]]:
    """The tables the given rule classes declare (``LintRule.TABLES``), each once."""
    return list({id(t): t for r in rules for t in getattr(r, "TABLES", ())}.values())


def session_of(index: ProjectIndex, config: Config | None = None, contract: Contract | None = None) -> AnalysisSession:
    """The session ``index`` belongs to; an index built outside a run (a test, a script)
    gets a lenient one over ``config`` and ``contract``."""
    found = index.session
    if found is None:
        found = AnalysisSession(index, config, contract, strict=False)
    return found


__all__ = [
    "CONTRACT",
    "AnalysisSession",
    "ProjectTable",
    "core_tables",
    "names_from",
    "restore_names",
    "RowChanges",
    "rule_tables",
    "union_delta",
    "session_of",
]
