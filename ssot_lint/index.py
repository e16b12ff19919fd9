"""The project index: module names for files, and name resolution across modules.

Built once per run from the facts of every module under the project root. It answers,
for a dotted name used in some scope of some module, which project definition (or
module) that name is, following imports, relative imports, package re-exports, star
imports and ``Y = X`` aliases.  ``TYPE_CHECKING``-only bindings do not exist at run
time and are ignored.  It never imports anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, TypeVar

from .facts import (
    ALIAS,
    ASSIGN,
    ASYNC_DEF,
    CLASS,
    DEF,
    FROM,
    GLOBAL,
    IMPORT,
    Binding,
    DefInfo,
    ModuleFacts,
    identifier_text,
)
from .rows import ModuleRow
from .slices import HEADER, FactsView, slice_dep
from .timings import phase

R = TypeVar("R")

if TYPE_CHECKING:
    from .session import AnalysisSession


@dataclass(frozen=True)
class Definition:
    module: str
    qualname: str
    info: DefInfo

    @property
    def kind(self) -> str:
        return self.info.kind

    @property
    def fullname(self) -> str:
        return f"{self.module}.{self.qualname}" if self.module else self.qualname


@dataclass
class Capture:
    """What ``ProjectIndex.capturing`` recorded; ``tainted``: a cycle was cut inside."""

    deps: set[str]
    tainted: bool = False


@dataclass(frozen=True)
class ModuleRef:
    module: str


@dataclass(frozen=True)
class Value:
    """A variable binding whose value is not a definition (an assignment, a parameter)."""

    module: str
    scope: str
    name: str
    binding: Binding


Target = Definition | ModuleRef | Value


def module_name_for(relpath: str) -> tuple[str, bool] | None:
    """The dotted module name for a root-relative POSIX path, and whether it is a package.

    A ``src/`` layout is handled by the caller, which strips the ``src/`` prefix. Asked for
    every file of every run: a path as discovery writes them (no empty or ``.`` part) is
    split as a string, anything else as ``PurePosixPath`` reads it (the same answer, 4x
    slower).
    """
    parts = relpath.split("/")
    if "" not in parts and "." not in parts:
        stem, dot, ext = parts[-1].rpartition(".")
        if not dot or not stem or ext not in ("py", "pyi"):
            return None
        parts[-1] = stem
        return _dotted(parts)
    return module_name_by_path(relpath)


def module_name_by_path(relpath: str) -> tuple[str, bool] | None:
    """``module_name_for`` by ``PurePosixPath``: the definition, for any path. A name that
    is only a suffix (``..py``: Python 3.13 refuses ``.`` as the name left) is no module."""
    p = PurePosixPath(relpath)
    if p.suffix not in (".py", ".pyi"):
        return None
    try:
        stripped = p.with_suffix("")
    except ValueError:
        return None
    return _dotted(list(stripped.parts))


def _dotted(parts: list[str]) -> tuple[str, bool] | None:
    """The module of a path's parts without the suffix (``__init__``: the package)."""
    if not parts:
        return None
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    if not parts or not all(part.isidentifier() for part in parts):
        return None
    return ".".join(parts), is_package


def module_for_path(relpath: str) -> tuple[str, bool] | None:
    """Module name for a path relative to the root, understanding a ``src/`` layout."""
    if relpath.startswith("src/"):
        inner = module_name_for(relpath[4:])
        if inner is not None:
            return inner
    return module_name_for(relpath)


_MAX_DEPTH = 40


# The dependency name that stands for "every module of the project".
WHOLE_PROJECT = "*"


class _ModuleTable(Mapping[str, ModuleFacts]):
    """Module name -> facts, loaded on first use and recorded as a dependency.

    Every lookup of a module name is recorded by the owning index (see
    ``ProjectIndex.recording``), so the findings of a file can be cached with the
    fingerprints of exactly what was consulted: the facts come as a ``FactsView``, which
    records each read by name slice (``ssot_lint.slices``). Iterating over the table
    records the whole project.
    """

    def __init__(
        self,
        index: ProjectIndex,
        names: Iterable[str],
        loaded: dict[str, ModuleFacts],
        loader: Callable[[str], ModuleFacts | None] | None,
    ) -> None:
        self._index = index
        self._names = list(dict.fromkeys(names))
        self._known = set(self._names)
        self._loaded = loaded
        self._loader = loader
        self._missing: set[str] = set()
        self._views: dict[str, FactsView] = {}

    def _load(self, name: str) -> ModuleFacts | None:
        facts = self._loaded.get(name)
        if facts is not None or name not in self._known or name in self._missing:
            return facts
        facts = self._loader(name) if self._loader is not None else None
        if facts is None:
            self._missing.add(name)
        else:
            self._loaded[name] = facts
        return facts

    def get(self, name: str, default: Any = None) -> Any:
        """The facts of module ``name`` as a ``FactsView`` (reads recorded by slice), or
        ``default``; records the module's header (that it exists, or not)."""
        view = self._views.get(name)
        if view is None:
            facts = self._load(name)
            if facts is None:
                self._index._touch(slice_dep(name, HEADER))
                return default
            view = self._views[name] = FactsView(facts, self._index._touch)
        self._index._touch(view.header)
        return view

    def __getitem__(self, name: str) -> ModuleFacts:
        facts = self.get(name)
        if facts is None:
            raise KeyError(name)
        return facts

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[str]:
        self._index._touch(WHOLE_PROJECT)
        return iter([n for n in self._names if self._load(n) is not None])

    def __len__(self) -> int:
        self._index._touch(WHOLE_PROJECT)
        return sum(1 for n in self._names if self._load(n) is not None)

    def names(self) -> list[str]:
        """Every module name (nothing is recorded or loaded)."""
        return list(self._names)

    def loaded(self) -> dict[str, ModuleFacts]:
        """The facts loaded so far (nothing is recorded or loaded)."""
        return dict(self._loaded)


class ProjectIndex:
    def __init__(
        self,
        modules: Iterable[ModuleFacts] = (),
        *,
        names: Iterable[str] | None = None,
        loader: Callable[[str], ModuleFacts | None] | None = None,
        module_row: Callable[[ModuleRow[Any], str], Any] | None = None,
        stored_table: Callable[[str], Any] | None = None,
        table_changes: Callable[[str], Any] | None = None,
    ) -> None:
        """An index over ``modules`` (facts given up front) and, lazily, over ``names``.

        With ``names`` and ``loader``, the facts of a module are loaded only when some
        lookup needs them (``loader(name)`` returns None for a module that cannot be read).
        ``module_row(row, name)`` its ``ModuleRow`` ``row`` (e.g. from a cache; None: unreadable);
        ``stored_table(dep)`` the summary a previous run kept for the project table ``dep``
        while what it read is unchanged (None: compute it), see ``AnalysisSession.table``;
        ``table_changes(dep)`` its summary then, the module rows changed since, and what it
        read, when those are known exactly (``Project.table_changes``; None: compute it).
        """
        loaded: dict[str, ModuleFacts] = {}
        for facts in modules:
            # A package's __init__ and a same-named .py cannot both exist at run time;
            # keep the first seen (discovery order is sorted, so this is deterministic).
            loaded.setdefault(facts.module, facts)
        all_names = list(loaded) + [n for n in (names or ()) if n not in loaded]
        # Dependency recording: a stack of name sets (see ``recording``/``_memoized``).
        self._deps: list[set[str]] = []
        self._in_progress: dict[Any, int] = {}
        self._tainted: list[bool] = []
        # The ``capturing`` frames open: they see everything consulted, ``unrecorded`` too.
        self._captures: list[set[str]] = []
        self.modules: _ModuleTable = _ModuleTable(self, all_names, loaded, loader)
        # Namespace packages (no __init__.py) exist as prefixes of real modules.
        self.packages: set[str] = set()
        for name in all_names:
            parts = name.split(".")
            for i in range(1, len(parts)):
                self.packages.add(".".join(parts[:i]))
        self._memo: dict[Any, tuple[Any, tuple[str, ...]]] = {}
        # The run's analysis session (``AnalysisSession`` sets it): the project tables that
        # rules declare, whose values ``derived_fingerprint`` recomputes.
        self.session: AnalysisSession | None = None
        self._module_row = module_row
        self.stored_table: Callable[[str], Any] = stored_table or (lambda dep: None)
        self.table_changes: Callable[[str], Any] = table_changes or (lambda dep: None)
        self._module_names: frozenset[str] | None = None
        self._subclass_table: dict[str, list[tuple[str, str]]] | None = None
        self._dead_active: set[str] = set()

    # --- dependency recording ---------------------------------------------------------
    def _touch(self, name: str) -> None:
        if self._deps:
            self._deps[-1].add(name)

    def start_recording(self) -> None:
        """Start recording the module names consulted (see ``stop_recording``)."""
        self._deps.append(set())
        self._tainted.append(False)

    def stop_recording(self) -> frozenset[str]:
        """The module names consulted since ``start_recording`` (``"*"``: every module)."""
        self._tainted.pop()
        deps = self._deps.pop()
        if self._deps:
            self._deps[-1].update(deps)
        return frozenset(deps)

    def recording_tainted(self) -> bool:
        """Did the innermost recording run into a cycle (see ``_memoized``)? Its result
        then depends on the query order and must not be memoised."""
        return bool(self._tainted) and self._tainted[-1]

    @contextmanager
    def unrecorded(self) -> Iterator[None]:
        """What is consulted inside is not a dependency of the file being linted (a
        project-wide table whose value, not whose reads, the caller depends on). An open
        ``capturing`` frame still sees it."""
        frame: set[str] = set()
        self._deps.append(frame)
        self._tainted.append(False)  # one per frame of ``_deps``: ``_memoized`` taints by depth
        try:
            yield
        finally:
            self._tainted.pop()
            self._deps.pop()
            for captured in self._captures:  # a table keeps all it read (``capturing``)
                captured.update(frame)

    @contextmanager
    def capturing(self) -> Iterator[Capture]:
        """Record what is consulted inside into ``Capture.deps`` only (not into the
        caller's frame): what a project table read, kept with its value across runs."""
        found = Capture(set())
        self._deps.append(found.deps)
        self._tainted.append(False)
        self._captures.append(found.deps)
        try:
            yield found
        finally:
            self._captures.pop()
            found.tainted = self._tainted.pop()
            self._deps.pop()

    @property
    def capturing_depth(self) -> int:
        return len(self._captures)

    def record(self, names: Iterable[str]) -> None:
        """Record dependencies computed elsewhere (e.g. a rule's own project-wide table)."""
        if self._deps:
            self._deps[-1].update(names)

    def _memoized(self, key: Any, compute: Callable[[], Any], cycle_value: Any = None) -> Any:
        """``compute()`` once per key; later hits re-record the modules it consulted.

        A computation that ran into a cycle (a key still in progress) depends on who
        asked first, so it is not memoized: results never depend on query order.
        """
        hit = self._memo.get(key)
        if hit is not None:
            self.record(hit[1])
            return hit[0]
        if key in self._in_progress:
            depth = self._in_progress[key]
            for i in range(depth, len(self._tainted)):
                self._tainted[i] = True
            return cycle_value
        self._in_progress[key] = len(self._deps)
        self.start_recording()
        try:
            value = compute()
        finally:
            tainted = self._tainted[-1]
            deps = self.stop_recording()
            del self._in_progress[key]
        if not tainted:
            # Kept as a tuple: hundreds of thousands of memoised lookups, most with two to
            # four dependencies, for which a frozenset takes three times the memory.
            self._memo[key] = (value, tuple(deps))
        return value

    def touch_row(self, row: ModuleRow[Any], module: str) -> None:
        """Record a dependency on ``row`` of ``module`` (``@row:<key>:<module>``): the
        caller depends on that row's value, not on the rest of the module. Only a row of the
        module's own facts can be such a dependency; a later run finds it by its key
        (``rows.row_for_key``)."""
        assert not row.reads_project, row.name
        self._touch(f"{ROW}:{row.key}:{module}")

    def touch_table(self, kind: str, arg: str = "") -> None:
        """Record a dependency on the project table ``kind`` (``AnalysisSession.table``):
        the caller depends on the table's value, which a later run recomputes."""
        self._touch(table_dep(kind, arg))

    def touch_meet(self, kind: str, arg: str = "") -> None:
        """Record a dependency on the names of the table ``kind`` that the text of the file
        being linted spells (``AnalysisSession.table_meet``)."""
        self._touch(f"{MEET}:{kind}:{arg}")

    def project_table(self, key: Any, compute: Callable[[], Any]) -> Any:
        """A table computed from the project once per key (per index). Every caller, not
        only the first, records the modules the computation consulted (``"*"`` for a
        table built over every module), so cached findings and prefilter decisions that
        read it are invalidated when it may change."""

        def timed() -> Any:
            with phase("index"):
                return compute()

        return self._memoized(("table", key), timed)

    def subclass_table(self) -> dict[str, list[tuple[str, str]]]:
        """Base fullname -> its direct project subclasses (module, qualname), in module order.

        The project table ``hierarchy.HIERARCHY`` (folded from every module's
        ``CLASS_BASES`` row, kept in the cache), once per index. What it reads is not a
        dependency of the caller: callers record its value (``subclass_sites``) and the
        modules of the subclasses they get.
        """
        if self._subclass_table is None:
            from .hierarchy import HIERARCHY
            from .session import session_of

            self._subclass_table = {}  # a cycle (resolution that asks for subclasses) sees none
            with self.unrecorded():
                table = session_of(self).table(HIERARCHY)
            self._subclass_table = table
        return self._subclass_table

    def rows(self, row: ModuleRow[R]) -> dict[str, R]:
        """``row`` of every module that can be read (of a ``sparse`` row: those with a
        non-empty one), by module name. Fold rows in a project
        table (``AnalysisSession.table``), whose readers depend on its value. The caller
        (the table) depends on ``@rows:<key>``, every module's row: ``Project.fingerprint``
        digests the rows kept for unchanged modules (a ``reads_project`` row: while what it
        read is unchanged) and recomputes the others. What computing a row reads is the
        row's own dependency, never the caller's: an open table capture does not see it."""
        self._touch(f"{ROWS}:{row.key}")
        out: dict[str, R] = {}
        captures, self._captures = self._captures, []
        try:
            sparse = row.sparse
            for name in self.modules.names():
                value = self.module_row(row, name)
                if value is not None and (value or not sparse):
                    out[name] = value
        finally:
            self._captures = captures
        return out

    def derived_fingerprint(self, dep: str) -> str | None:
        """The current value of a derived dependency (``@...``) as a string, or None."""
        if dep.startswith(TABLE + ":"):
            kind, _, arg = dep[len(TABLE) + 1 :].partition(":")
            if self.session is None:
                return None
            with self.unrecorded():
                try:
                    value = self.session.table_summary(kind, arg)
                except Exception:  # cannot be recomputed here (e.g. no contract): never equal
                    return None
            return None if value is None else repr(value)
        return None

    # --- lookup helpers ----------------------------------------------------------------
    def has_module(self, name: str) -> bool:
        self._touch(slice_dep(name, HEADER))
        return name in self.modules or name in self.packages

    def get_module(self, name: str) -> ModuleFacts | None:
        return self.modules.get(name)

    def definition(self, module: str, qualname: str) -> Definition | None:
        facts = self.modules.get(module)
        if facts is None:
            return None
        info = facts.defs.get(qualname)
        return Definition(module, qualname, info) if info is not None else None

    def scope_chain(self, module: str, scope: str) -> list[str]:
        """Scopes searched for a name used in ``scope``: itself, enclosing function scopes, module.

        Class scopes are visible only from their own body, as in Python.
        """
        facts = self.modules.get(module)
        chain = [scope]
        if facts is None or not scope:
            return chain if scope == "" else chain + [""]
        parts = scope.split(".")
        for i in range(len(parts) - 1, 0, -1):
            q = ".".join(parts[:i])
            s = facts.scopes.get(q)
            if s is not None and s.kind != "class":
                chain.append(q)
        chain.append("")
        return chain

    def lookup_binding(self, module: str, scope: str, name: str) -> tuple[str, Binding] | None:
        """The runtime binding of ``name`` seen from ``scope`` (and the scope it lives in)."""
        found = self.lookup_bindings(module, scope, name)
        return (found[0], _pick(found[1])) if found is not None else None

    def lookup_bindings(self, module: str, scope: str, name: str) -> tuple[str, list[Binding]] | None:
        """Every runtime binding of ``name`` in the scope that ``scope`` sees it from."""
        facts = self.modules.get(module)
        if facts is None:
            return None
        for q in self.scope_chain(module, scope):
            s = facts.scopes.get(q)
            if s is None:
                continue
            bindings = [b for b in s.bindings.get(name, ()) if not b.type_checking]
            if not bindings:
                continue
            real = [b for b in bindings if b.kind != GLOBAL]
            if not real:  # `global x`: the module binding
                return self.lookup_bindings(module, "", name) if q != "" else None
            # Read from a function inside the module: its body runs after the module's, so
            # only the final module-level bindings count (the last one that always runs,
            # and any conditional ones after it). In the same scope, the order of the
            # uses is not known here: every binding that can run counts.
            return q, self.final_bindings(real) if q == "" and scope != "" else self.live_bindings(real)
        return None

    def live_bindings(self, bindings: list[Binding]) -> list[Binding]:
        """``bindings`` without those that cannot run: the ``except`` branch of a ``try``
        whose body only imports names that the project's own modules define (the import
        cannot fail, so the fallback never runs). Never empty when ``bindings`` is not.
        Reads the imported modules' facts (recorded as dependencies)."""
        if len(bindings) < 2 or not any(b.cond for b in bindings):
            return bindings
        live = [b for b in bindings if not self._dead(b.cond)]
        return live or bindings

    def final_bindings(self, bindings: list[Binding]) -> list[Binding]:
        """The bindings a name may have once its scope's body has run: the last live one
        that always runs, and every conditional one after it (see ``Binding.cond``)."""
        live = self.live_bindings(bindings)
        for i in range(len(live) - 1, -1, -1):
            if not live[i].cond:
                return live[i:]
        return live

    def _dead(self, cond: str) -> bool:
        for part in cond.split("/"):
            if not part.startswith("except:") or part == "except:?":
                continue
            if part in self._dead_active:
                # A check that needs itself (import cycles): the handler may run, and what
                # depends on this answer depends on the order of queries: not memoised.
                for i in range(len(self._tainted)):
                    self._tainted[i] = True
                continue
            imports = [x.partition("|") for x in part[len("except:") :].split(";")]
            self._dead_active.add(part)
            try:
                if all(self._import_succeeds(mod, name) for mod, _, name in imports):
                    return True
            finally:
                self._dead_active.discard(part)
        return False

    def _import_succeeds(self, module: str, name: str) -> bool:
        """Does ``from module import name`` (``import module`` when ``name`` is empty)
        find a project module, and in it the name?"""
        if not module or not self.has_module(module):
            return False
        return not name or self.module_member(module, name) is not None

    # --- resolution ----------------------------------------------------------------
    def resolve(self, module: str, scope: str, dotted: str) -> Target | None:
        """Resolve a dotted name used in ``scope`` of ``module`` to a definition, module or value."""
        return self._memoized(("resolve", module, scope, dotted), lambda: self._resolve(module, scope, dotted, 0))

    def resolve_definition(self, module: str, scope: str, dotted: str) -> Definition | None:
        target = self.resolve(module, scope, dotted)
        return target if isinstance(target, Definition) else None

    def _resolve(self, module: str, scope: str, dotted: str, depth: int) -> Target | None:
        if depth > _MAX_DEPTH:
            return None
        head, _, rest = dotted.partition(".")
        found = self.lookup_binding(module, scope, head)
        if found is None:
            target = self._star_lookup(module, head, depth)
        else:
            bscope, binding = found
            target = self._binding_target(module, bscope, head, binding, depth)
        if target is None or not rest:
            return target
        for attr in rest.split("."):
            target = self.member(target, attr, depth + 1)
            if target is None:
                return None
        return target

    def binding_target(self, module: str, scope: str, name: str, b: Binding) -> Target | None:
        """What the binding ``b`` of ``name`` in ``scope`` of ``module`` makes the name."""
        return self._binding_target(module, scope, name, b, 0)

    def _binding_target(self, module: str, scope: str, name: str, b: Binding, depth: int) -> Target | None:
        if b.kind in (DEF, ASYNC_DEF, CLASS):
            qual = f"{scope}.{name}" if scope else name
            return self.definition(module, qual)
        if b.kind == IMPORT:
            return ModuleRef(b.target) if self.has_module(b.target) else None
        if b.kind == FROM:
            return self.module_member(b.target, b.name, depth + 1)
        if b.kind == ALIAS:
            if b.target == name and scope != "":
                # `x = x` style rebinding inside a function refers to the outer name.
                return self._resolve(module, "", b.target, depth + 1)
            if b.target.split(".")[0] == name:
                return None
            return self._resolve(module, scope, b.target, depth + 1)
        return Value(module, scope, name, b)

    def _star_lookup(self, module: str, name: str, depth: int, seen: set[str] | None = None) -> Target | None:
        """``name`` through the star imports of ``module``, first match in import order.

        ``seen``: the modules this search has entered already. Star imports that form a
        graph with cycles (`a` imports `*` from `b` and `c`, each of those from the others)
        would otherwise be explored along every path, exponentially many; a module that did
        not provide the name on the first visit does not provide it on another.
        """
        facts = self.modules.get(module)
        if facts is None:
            return None
        if seen is None:
            seen = {module}
        for star in facts.module_scope.star_imports:
            if star in seen:
                continue
            seen.add(star)
            src = self.modules.get(star)
            if src is None:
                continue
            if src.all_names is not None:
                if name not in src.all_names:
                    continue
            elif name.startswith("_"):
                continue
            target = self.module_member(star, name, depth + 1, seen)
            if target is not None:
                return target
        return None

    def module_member(self, module: str, name: str, depth: int = 0, seen: set[str] | None = None) -> Target | None:
        """``module.name``: a module-level binding, a star import, or a submodule
        (``seen``: the modules a star-import search entered already)."""
        if depth > _MAX_DEPTH:
            return None
        facts = self.modules.get(module)
        if facts is not None:
            found = facts.module_scope.bindings.get(name)
            if found:
                real = [b for b in found if not b.type_checking and b.kind != GLOBAL]
                if real:
                    b = _pick(self.final_bindings(real))  # read once the module has run
                    if b.kind == FROM and b.target == module and b.name == name:
                        pass  # `from . import name` inside a package: the submodule
                    else:
                        target = self._binding_target(module, "", name, b, depth + 1)
                        if target is not None:
                            return target
            target = self._star_lookup(module, name, depth + 1, seen)
            if target is not None:
                return target
        sub = f"{module}.{name}" if module else name
        if self.has_module(sub):
            return ModuleRef(sub)
        return None

    def member(self, target: Target, attr: str, depth: int = 0) -> Target | None:
        if isinstance(target, ModuleRef):
            return self.module_member(target.module, attr, depth)
        if isinstance(target, Definition) and target.kind == CLASS:
            for cls in self.mro(target):
                qual = f"{cls.qualname}.{attr}"
                info = self.modules[cls.module].defs.get(qual)
                if info is not None:
                    return Definition(cls.module, qual, info)
                scope = self.modules[cls.module].scopes.get(cls.qualname)
                if scope is not None and attr in scope.bindings:
                    b = _pick(scope.bindings[attr])
                    return self._binding_target(cls.module, cls.qualname, attr, b, depth + 1)
        return None

    # --- classes ----------------------------------------------------------------------
    def bases(self, cls: Definition) -> list[Definition]:
        out = []
        for base in cls.info.bases:
            # `Registry["Agent"]`, `Base[T]`: the generic class is the base.
            target = self.resolve(cls.module, cls.info.scope, _unsubscripted(base))
            if isinstance(target, Definition) and target.kind == CLASS:
                out.append(target)
        return out

    def mro(self, cls: Definition) -> list[Definition]:
        """Project classes in method resolution order (C3 where it applies, else DFS).
        Once per class and index (rules ask for it per call site, tens of thousands of
        times); a hit records what computing it read."""

        def compute() -> list[Definition]:
            return _c3(cls, self, set()) or [cls]

        found = self._memoized(("mro", cls.module, cls.qualname), compute)
        if found is None:  # asked again while it is computed (through a base's resolution)
            found = compute()
        return list(found)

    def subclasses(self, cls: Definition) -> list[Definition]:
        """Direct and indirect project subclasses of ``cls``.

        Recorded as the class hierarchy of the project (``@table:class-hierarchy:``, its
        value) plus the modules of the subclasses returned, not as every module.
        """
        out: list[Definition] = []
        for module, qualname in self.subclass_sites(cls):
            sub = self.definition(module, qualname)
            if sub is not None:
                out.append(sub)
        return out

    def subclass_sites(self, cls: Definition) -> list[tuple[str, str]]:
        """(module, qualname) of ``subclasses(cls)``, in the same order, without loading
        their facts. Records the class hierarchy only (``@table:class-hierarchy:``, its
        value): a caller that reads a subclass records what it read (its module, when
        ``definition`` loads it; a row of it, otherwise)."""
        self._touch(table_dep(HIERARCHY_KIND))
        table = self.subclass_table()
        out: list[tuple[str, str]] = []
        stack = [cls.fullname]
        seen = {cls.fullname}
        while stack:
            cur = stack.pop()
            for module, qualname in table.get(cur, ()):
                full = f"{module}.{qualname}" if module else qualname
                if full in seen:
                    continue
                seen.add(full)
                out.append((module, qualname))
                stack.append(full)
        return out

    def class_bases(self, module: str) -> dict[str, list[str]]:
        """Qualname -> the fullnames of its project bases, for the classes of ``module`` that
        have project bases (the class hierarchy's rows: no facts are loaded with a cache).
        Nothing is recorded: the hierarchy is the dependency (``subclass_sites``)."""
        rows = self.module_row(CLASS_BASES, module) or ()
        return {q: list(b) for q, b in rows}

    def module_row(self, row: ModuleRow[R], name: str) -> R | None:
        """``row`` of one module (None: not a readable module). Nothing is recorded."""
        with self.unrecorded():
            if self._module_row is not None:
                return self._module_row(row, name)
            facts = self.modules.get(name)
            return None if facts is None else row.make(facts, self)

    def module_of(self, fullname: str) -> tuple[str, str] | None:
        """(module, qualname) of a project class's fullname: the longest module prefix."""
        if self._module_names is None:
            self._module_names = frozenset(self.modules.names())
        head, rest = fullname, ""
        while "." in head:
            head, _, last = head.rpartition(".")
            rest = f"{last}.{rest}" if rest else last
            if head in self._module_names:
                return head, rest
        return None

    def enclosing_class(self, module: str, scope: str) -> Definition | None:
        """The class whose method body ``scope`` is (``Cls.method`` -> ``Cls``)."""
        facts = self.modules.get(module)
        if facts is None or not scope:
            return None
        parts = scope.split(".")
        for i in range(len(parts) - 1, 0, -1):
            q = ".".join(parts[:i])
            s = facts.scopes.get(q)
            if s is not None and s.kind == "class" and ".".join(parts[: i + 1]) in facts.defs:
                fn = facts.defs[".".join(parts[: i + 1])]
                if fn.kind in (DEF, ASYNC_DEF):
                    return self.definition(module, q)
        return None


def table_dep(kind: str, arg: str = "") -> str:
    """The dependency on the project table ``kind`` for ``arg``: ``@table:<kind>:<arg>``."""
    return f"{TABLE}:{kind}:{arg}"


def meet_table(dep: str) -> str:
    """The table (``@table:<kind>:<arg>``) a ``@meet:<kind>:<arg>`` dependency meets."""
    return TABLE + dep[len(MEET) :]


TABLE = "@table"
MEET = "@meet"  # @meet:<kind>:<arg>: the names of a table that the reader's text spells
ROW = "@row"
ROWS = "@rows"
HIERARCHY_KIND = "class-hierarchy"  # the kind of ``hierarchy.HIERARCHY``, which ``subclass_sites`` reads


def _class_bases_row(facts: ModuleFacts, index: ProjectIndex) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(qualname, fullnames of its project bases) of each class of a module that has
    project bases, resolved through the project's imports."""
    rows: list[tuple[str, tuple[str, ...]]] = []
    for info in facts.defs.values():
        if info.kind != CLASS or not info.bases:
            continue
        found = tuple(b.fullname for b in index.bases(Definition(facts.module, info.qualname, info)))
        if found:
            rows.append((info.qualname, found))
    return tuple(rows)


# The class hierarchy's rows: a module's classes and their project bases. They read the
# modules the bases resolve through, never the config or the contract (inferring the
# contract reads the hierarchy), so they are kept across contracts (not ``salted``).
CLASS_BASES: ModuleRow[tuple[tuple[str, tuple[str, ...]], ...]] = ModuleRow(
    "class-bases",
    tuple[tuple[str, tuple[str, ...]], ...],
    _class_bases_row,
    reads_project=True,
    salted=False,
    sparse=True,
)


def mentions(text: str, words: Iterable[str]) -> bool:
    """Does ``text`` contain one of ``words`` as a whole identifier (``str.find`` based)?"""
    for word in words:
        start = text.find(word)
        n = len(word)
        while start != -1:
            before = text[start - 1] if start else " "
            after = text[start + n] if start + n < len(text) else " "
            if not (before.isidentifier() or before.isdigit()) and not (after.isidentifier() or after.isdigit()):
                return True
            start = text.find(word, start + 1)
    return False


def _unsubscripted(base: str) -> str:
    """``Registry`` for ``Registry["Agent"]`` (a base class expression as the facts keep it)."""
    head = base.split("[", 1)[0]
    return head if head and all(p.isidentifier() for p in head.split(".")) else base


def _pick(bindings: list[Binding]) -> Binding:
    """Several bindings of one name in one scope: the last definition-like one wins.

    ``try: from a import f / except ImportError: from b import f`` keeps the first (the
    preferred import); plain rebinding keeps the last. Callers that know the bindings
    are read once the scope has run pass ``ProjectIndex.final_bindings`` (straight-line
    rebinding: only the last one is left).
    """
    if len(bindings) == 1:
        return bindings[0]
    imports = [b for b in bindings if b.kind in (IMPORT, FROM)]
    if imports and len(imports) == len(bindings):
        return imports[0]
    return bindings[-1]


def _c3(cls: Definition, index: ProjectIndex, seen: set[tuple[str, str]]) -> list[Definition]:
    key = (cls.module, cls.qualname)
    if key in seen:
        return []
    seen.add(key)
    bases = index.bases(cls)
    seqs = [_c3(b, index, set(seen)) for b in bases] + [list(bases)]
    out = [cls]
    seqs = [s for s in seqs if s]
    while seqs:
        for seq in seqs:
            head = seq[0]
            if not any(head in s[1:] for s in seqs):
                break
        else:  # inconsistent hierarchy: fall back to depth-first order
            for seq in seqs:
                for d in seq:
                    if d not in out:
                        out.append(d)
            return out
        out.append(head)
        seqs = [[d for d in s if d != head] for s in seqs]
        seqs = [s for s in seqs if s]
    return out


__all__ = [
    "ASSIGN",
    "Definition",
    "ModuleRef",
    "ProjectIndex",
    "Target",
    "WHOLE_PROJECT",
    "identifier_text",
    "mentions",
    "Value",
    "module_for_path",
    "module_name_for",
]
