"""Receiver and return-kind inference over the project index, for rules that need it.

Given a dotted expression seen from a scope of a module, this module answers two
questions without importing anything:

* **What class does the value have?** (``value_types``) From annotated parameters and
  locals (``x: Cls``, ``Optional[Cls]``, ``Cls | None``, ``"Cls"``), class-level and
  ``self.x`` annotations, assignments from a constructor call ``Cls(...)`` or from a
  project function with a return annotation (also ``await f()`` of an ``async def``),
  ``self``/``cls`` in methods, and properties with a return annotation.  When a name
  has several bindings, they must agree; ``None`` assignments are compatible with any
  class.  Anything else is *unknown* (``None``): callers must not guess.

* **Which project functions may a call dispatch to?** (``resolve_call``) Plain names
  and ``module.f``/``Cls.m`` through the index; ``obj.m()`` through the receiver's class
  and its MRO, including every project subclass the receiver may really be (so an
  ``async def`` override in a subclass shows up as a possible target);
  ``super().m()`` through the MRO of every class the method may run for.  A lookup
  that could reach a base class outside the project, or a method shadowed by an
  instance attribute (``self.m = AsyncMock()``), is unknown.

``call_kind`` then says what calling a definition gives: ``"coroutine"`` (an
``async def`` or a function returning a coroutine), ``"awaitable"`` (a task, future or
other awaitable), ``"plain"`` (nothing awaitable), ``"generator"``/``"asyncgen"``, or
``None`` when it cannot be known (an unknown decorator, an ``Any`` return, a function
that returns its argument).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from .facts import (
    ALIAS,
    ASSIGN,
    ASYNC_DEF,
    CLASS,
    DEF,
    FROM,
    IMPORT,
    PARAM,
    Binding,
    DefInfo,
    ModuleFacts,
    dotted_name,
)
from .index import Definition, ModuleRef, ProjectIndex, Value
from .rows import ModuleRow

# Return annotations (last dotted segment) whose values are awaitable.
COROUTINE_TYPES = frozenset({"Coroutine"})
AWAITABLE_TYPES = frozenset({"Awaitable", "Future", "Task", "Deferred", "AwaitableGenerator"})
# Calls (canonical dotted name, or last segment on an unknown receiver) that return awaitables.
AWAITABLE_FACTORIES = frozenset(
    {
        "create_task",
        "ensure_future",
        "gather",
        "wait_for",
        "create_future",
        "run_in_executor",
        "to_thread",
        "shield",
        "wrap_future",
        "sleep",
        "wait",
        "as_completed",
        "run_coroutine_threadsafe",
    }
)
# Builtin and typing names that are never awaitable.
PLAIN_TYPES = frozenset(
    {
        "None",
        "NoneType",
        "int",
        "str",
        "bytes",
        "bytearray",
        "bool",
        "float",
        "complex",
        "dict",
        "list",
        "tuple",
        "set",
        "frozenset",
        "type",
        "range",
        "slice",
        "memoryview",
        "List",
        "Dict",
        "Tuple",
        "Set",
        "FrozenSet",
        "Type",
        "Iterable",
        "Iterator",
        "Sequence",
        "Mapping",
        "MutableMapping",
        "MutableSequence",
        "MutableSet",
        "Collection",
        "Container",
        "Generator",
        "AsyncIterator",
        "AsyncIterable",
        "AsyncGenerator",
        "Callable",
        "Literal",
        "NoReturn",
        "Never",
        "DefaultDict",
        "OrderedDict",
        "Counter",
        "Deque",
        "deque",
        "defaultdict",
        "Pattern",
        "Match",
        "TypedDict",
        "NamedTuple",
        "LiteralString",
        "Hashable",
        "Sized",
    }
)
# Calls that build builtin values.
_BUILTIN_CONSTRUCTORS = frozenset(
    {
        "dict",
        "list",
        "set",
        "frozenset",
        "tuple",
        "str",
        "bytes",
        "bytearray",
        "int",
        "float",
        "bool",
        "collections.defaultdict",
        "defaultdict",
        "collections.OrderedDict",
        "OrderedDict",
        "collections.deque",
        "deque",
        "collections.Counter",
        "Counter",
    }
)
# Wrappers whose argument is the type.
_UNWRAP = frozenset({"Optional", "Annotated", "Final", "ClassVar", "Required", "NotRequired", "ReadOnly"})
# Standard-library modules none of whose classes are awaitable.
_PLAIN_MODULES = frozenset(
    {
        "datetime",
        "pathlib",
        "uuid",
        "logging",
        "decimal",
        "collections",
        "enum",
        "json",
        "re",
        "fractions",
        "ipaddress",
        "typing",
        "dataclasses",
        "threading",
        "queue",
    }
)
# Base classes that add no methods a project class would look up.
HARMLESS_BASES = frozenset(
    {
        "object",
        "ABC",
        "abc.ABC",
        "Generic",
        "typing.Generic",
        "Protocol",
        "typing.Protocol",
        "typing_extensions.Protocol",
    }
)
DEFAULT_TRANSPARENT_DECORATORS = (
    "staticmethod",
    "classmethod",
    "abc.abstractmethod",
    "functools.wraps",
    "typing.override",
    "typing_extensions.override",
    "typing.final",
)

_MAX_DEPTH = 12
_MAX_ACTIVE = 24  # nested inference steps (each takes several frames): stay far from the recursion limit


@dataclass(frozen=True)
class ClassType:
    """The class of a value: an instance of ``cls`` (or of a subclass unless ``exact``)."""

    cls: Definition
    exact: bool = False  # the value was built by `cls(...)`: no subclass can be its class
    is_type: bool = False  # the value is the class object itself (`cls`, `type[Cls]`)


@dataclass(frozen=True)
class CallResolution:
    """The project functions a call may run: ``primary`` as written, ``targets`` at run time."""

    primary: Definition
    targets: tuple[Definition, ...]
    via: str  # "name", "receiver" or "super"
    # Asked with ``kinds_only``: more targets, as (fullname, call kind), whose kind a module
    # row gave without loading their facts (``Inference._classify``). Never one of ``targets``.
    row_kinds: tuple[tuple[str, str], ...] = ()


Types = tuple[ClassType, ...]


_NO = object()  # not in a memo


def _last(dotted: str) -> str:
    return dotted.rsplit(".", 1)[-1]


ClassNames = tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[tuple[str, str], ...]]


def _class_names(facts: ModuleFacts, index: ProjectIndex) -> tuple[ClassNames, ...]:
    """Each class of a module: (qualname, every name a lookup of an attribute could stop at
    in it: definitions and bindings in its body and attributes assigned on ``self``; its
    bases as written, without subscripts; the attributes assigned on ``self``; and the
    methods of its body whose call kind the facts alone decide, with that kind).

    That kind (``_own_kind``) is what ``Inference.call_kind`` gives for an undecorated
    ``async def`` or generator ``def``: it reads nothing else."""
    out = []
    for info in facts.defs.values():
        if info.kind != CLASS:
            continue
        names = {d.name for d in facts.defs.values() if d.scope == info.qualname}
        scope = facts.scopes.get(info.qualname)
        if scope is not None:
            names.update(scope.bindings)
        assigned = {a.attr for a in info.attr_assigns}
        names.update(assigned)
        methods = []
        for d in facts.defs.values():
            if d.scope == info.qualname:
                kind = _own_kind(d)
                if kind is not None:
                    methods.append((d.name, kind))
        out.append(
            (
                info.qualname,
                tuple(sorted(names)),
                tuple(b.split("[", 1)[0] for b in info.bases),
                tuple(sorted(assigned)),
                tuple(sorted(methods)),
            )
        )
    return tuple(out)


def _own_kind(info: DefInfo) -> str | None:
    """The call kind of a def that needs nothing but itself: an undecorated ``async def``
    ("coroutine", "asyncgen") or generator ``def`` (see ``Inference._call_kind``)."""
    if info.decorators:
        return None
    if info.kind == ASYNC_DEF:
        return "asyncgen" if info.has_yield else "coroutine"
    if info.kind == DEF and info.has_yield:
        return "generator"
    return None


@dataclass(frozen=True)
class _ClassEntry:
    """A class as ``Inference._classify`` reads it: its class-names row, and the
    fullnames of its project bases (the hierarchy's row)."""

    names: frozenset[str]
    written: tuple[str, ...]
    assigned: frozenset[str]
    methods: dict[str, str]
    bases: list[str]


_INHERITS = ""  # ``_classify``: the subclass adds nothing to the lookup


# What the dispatch of a method call needs of each class without loading its module's facts.
CLASS_NAMES_ROW: ModuleRow[tuple[ClassNames, ...]] = ModuleRow(
    "class-names", tuple[ClassNames, ...], _class_names, version=3
)


class Inference:
    """Inference over one ``ProjectIndex``; results are memoised per instance."""

    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        # Every memo maps a key to (answer, the dependencies recorded while computing it).
        self._mro: dict[str, tuple[list[Definition], frozenset[str]]] = {}
        self._unresolved: dict[str, tuple[bool, frozenset[str]]] = {}
        self._kinds: dict[tuple[str, frozenset[str]], tuple[str | None, frozenset[str]]] = {}
        self._values: dict[tuple[str, str, str], tuple[Types | None, frozenset[str]]] = {}
        self._dispatches: dict[tuple, tuple[CallResolution | None, frozenset[str]]] = {}
        self._active: set[tuple] = set()
        self._partial: dict[tuple, tuple[object, tuple[str, ...]]] = {}
        self._cuts = 0
        # module -> qualname -> its class-names row and project base fullnames (from the
        # hierarchy), for ``_classify``; callers record the row (``touch_row``).
        self._class_table: dict[str, dict[str, _ClassEntry]] = {}

    def _memoised(self, memo: dict, key: tuple, compute):
        """Memoise ``compute()``; a cycle or the depth limit gives None (unknown).

        Every answer, fresh or from the memo, records in the caller's frame the
        dependencies (modules, derived project facts) it was computed from: the
        instance is shared by every file linted in the process, and a file that gets a
        memoised answer depends on what that answer read as much as the file that asked
        first (else an edit there leaves the second file's cached findings stale).

        A result that depended on such a cut (or on a cycle the index cut) is kept only
        until the outermost query ends, so the memo never holds an answer that a deeper
        look, or another query order, could change.
        """
        hit = memo.get(key, _NO)
        if hit is _NO:
            hit = self._partial.get(key, _NO)
        if hit is not _NO:
            self.index.record(hit[1])
            return hit[0]
        if key in self._active or len(self._active) > _MAX_ACTIVE:
            self._cuts += 1
            return None
        self._active.add(key)
        before = self._cuts
        self.index.start_recording()
        try:
            result = compute()
        finally:
            self._active.discard(key)
            tainted = self.index.recording_tainted()
            deps = self.index.stop_recording()
        kept = (result, tuple(deps))  # a tuple: see ``ProjectIndex._memoized``
        if self._cuts == before and not tainted:
            memo[key] = kept
        else:
            self._partial[key] = kept
        if not self._active:
            self._partial.clear()
        return result

    def _remembered(self, memo: dict, key: str, compute):
        """Memoise ``compute()`` (no cycle of its own possible) with its dependencies, as
        ``_memoised`` does."""
        hit = memo.get(key, _NO)
        if hit is not _NO:
            self.index.record(hit[1])
            return hit[0]
        self.index.start_recording()
        try:
            result = compute()
        finally:
            tainted = self.index.recording_tainted()
            deps = self.index.stop_recording()
        if not tainted:
            memo[key] = (result, tuple(deps))
        return result

    @classmethod
    def for_index(cls, index: ProjectIndex) -> Inference:
        """One shared instance per index (kept on the index itself)."""
        inf = getattr(index, "_inference", None)
        if inf is None:
            inf = cls(index)
            index._inference = inf  # type: ignore[attr-defined]  # a per-index slot ProjectIndex does not declare
        return inf

    # --- names outside the project ------------------------------------------------------
    def external_name(self, module: str, scope: str, dotted: str, type_checking: bool = False) -> str | None:
        """The canonical dotted name of a name that is not a project definition.

        ``import asyncio as aio; aio.gather`` -> ``asyncio.gather``; ``from asyncio import
        gather as g; g`` -> ``asyncio.gather``; an unbound name is a builtin (``len``).
        ``None`` when the head is a local variable or a project definition.
        """
        head, _, rest = dotted.partition(".")
        found = self._binding(module, scope, head, type_checking)
        if found is None:
            return dotted  # builtins (or a name the module never binds)
        _, b = found
        if b.kind == IMPORT:
            base = b.target
        elif b.kind == FROM:
            if self.index.has_module(b.target) and self.index.module_member(b.target, b.name) is not None:
                return None
            base = f"{b.target}.{b.name}"
        else:
            return None
        return f"{base}.{rest}" if rest else base

    def _binding(self, module: str, scope: str, name: str, type_checking: bool = False) -> tuple[str, Binding] | None:
        found = self.index.lookup_binding(module, scope, name)
        if found is not None or not type_checking:
            return found
        facts = self.index.get_module(module)
        if facts is None:
            return None
        for q in self.index.scope_chain(module, scope):
            s = facts.scopes.get(q)
            if s is not None and s.bindings.get(name):
                return q, s.bindings[name][-1]
        return None

    def _resolve_type_name(self, module: str, scope: str, dotted: str) -> Definition | ModuleRef | Value | None:
        """Resolve a name used in an annotation; ``TYPE_CHECKING`` imports count here."""
        target = self.index.resolve(module, scope, dotted)
        if target is not None:
            return target
        head, _, rest = dotted.partition(".")
        found = self._binding(module, scope, head, type_checking=True)
        if found is None:
            return None
        _, b = found
        if b.kind == FROM:
            target = self.index.module_member(b.target, b.name)
        elif b.kind == IMPORT:
            target = ModuleRef(b.target) if self.index.has_module(b.target) else None
        else:
            return None
        for attr in rest.split(".") if rest else ():
            if target is None:
                return None
            target = self.index.member(target, attr)
        return target

    # --- classes ------------------------------------------------------------------------
    def mro(self, cls: Definition) -> list[Definition]:
        return self._remembered(self._mro, cls.fullname, lambda: self.index.mro(cls))

    def has_unresolved_bases(self, cls: Definition) -> bool:
        """Does the class derive from a base outside the project (other than ``object``/``Generic``...)?"""
        return self._remembered(self._unresolved, cls.fullname, lambda: self._has_unresolved_bases(cls))

    def _has_unresolved_bases(self, cls: Definition) -> bool:
        for base in cls.info.bases:
            target = self.index.resolve(cls.module, cls.info.scope, base.split("[", 1)[0])
            if isinstance(target, Definition) and target.kind == CLASS:
                continue
            name = base.split("[", 1)[0]
            canonical = self.external_name(cls.module, cls.info.scope, name) or name
            if name in HARMLESS_BASES or canonical in HARMLESS_BASES:
                continue
            return True
        return any(k == "metaclass" for k, _ in cls.info.keywords)

    def lookup_member(
        self, runtime: Definition, attr: str, start_after: Definition | None = None
    ) -> Definition | None | bool:
        """The class attribute ``attr`` as found on ``runtime``'s MRO (after ``start_after``).

        Returns the definition (a def or class), ``None`` when it is not found in a
        project class that could hold it and no outside base can hold it either, or
        ``False`` when it cannot be known (an outside base may define it, or the
        project binds it to something that is not a definition).
        """
        mro = self.mro(runtime)
        i = 0
        if start_after is not None:
            if start_after not in mro:
                return False
            i = mro.index(start_after) + 1
            if self.has_unresolved_bases(start_after):
                return False
        for cls in mro[i:]:
            facts = self.index.get_module(cls.module)
            if facts is None:
                return False
            info = facts.defs.get(f"{cls.qualname}.{attr}")
            if info is not None:
                return Definition(cls.module, info.qualname, info)
            scope = facts.scopes.get(cls.qualname)
            if scope is not None and attr in scope.bindings:
                target = self.index.resolve(cls.module, cls.qualname, attr)
                return target if isinstance(target, Definition) else False
            if self.has_unresolved_bases(cls):
                return False
        return None

    def _dispatch_classes(
        self, t: ClassType, attr: str, method: bool = False, own: bool = False
    ) -> tuple[list[Definition], dict[str, str]]:
        """The classes an instance of ``t`` may be (itself and its project subclasses), for a
        lookup of ``attr`` (a method call with ``method``, else an attribute's types),
        without the subclasses that add nothing to the answer (``_classify``): their facts
        stay unloaded. With ``own`` (a method call whose caller wants kinds only), the
        overrides whose kind their row gives are not loaded either: they come back as
        fullname -> kind."""
        if t.exact:
            return [t.cls], {}
        base = {c.fullname for c in self.mro(t.cls)}
        subs = self.index.subclass_sites(t.cls)
        sites = frozenset(f"{m}.{q}" if m else q for m, q in subs) if method else frozenset()
        out = [t.cls]
        kinds: dict[str, str] = {}
        for module, qualname in subs:
            kind = self._classify(module, qualname, attr, base, own, sites)
            if kind == _INHERITS:
                continue
            if kind is not None:
                kinds.setdefault(f"{module}.{qualname}.{attr}" if module else f"{qualname}.{attr}", kind)
                continue
            found = self.index.definition(module, qualname)
            if found is not None:
                out.append(found)
        return out, kinds

    def _class_entry(self, module: str, qualname: str) -> _ClassEntry | None:
        classes = self._class_table.get(module)
        if classes is None:
            rows = self.index.module_row(CLASS_NAMES_ROW, module) or ()
            hierarchy = self.index.class_bases(module)
            classes = self._class_table[module] = {
                q: _ClassEntry(frozenset(n), w, frozenset(a), dict(m), hierarchy.get(q, [])) for q, n, w, a, m in rows
            }
        return classes.get(qualname)

    def _classify(
        self, module: str, qualname: str, attr: str, base: set[str], own: bool, sites: frozenset[str] = frozenset()
    ) -> str | None:
        """What the subclass ``module.qualname`` of a class whose MRO is ``base`` adds to a
        lookup of ``attr``, read from class-names rows (no facts loaded):

        - ``_INHERITS``: nothing. Every class of its ancestry outside ``base`` has only
          project or harmless bases, and neither defines, binds nor assigns ``attr``, or
          (for a method call, ``sites``: the fullnames of the receiver's subclasses) is one
          of those subclasses and does not assign ``attr`` on ``self``. By C3's monotonicity
          the lookup then finds ``attr`` where the receiver's class does, or in one of those
          subclasses, whose own answer the caller has;
        - with ``own``, a call kind: the class itself defines ``attr`` as a method whose
          kind its own row decides (``_own_kind``), and no class of its ancestry outside
          ``base`` assigns ``attr`` on ``self`` (so the lookup finds that method, and no
          instance attribute shadows it);
        - None: the facts must say (the caller loads them).

        Each class consulted records its row as the caller's dependency, not its module:
        an edit elsewhere in the module leaves the answer, and the caller's findings, alone.
        """
        start = f"{module}.{qualname}" if module else qualname
        stack = [(module, qualname)]
        seen: set[str] = set()
        kind: str | None = None
        while stack:
            mod, qual = stack.pop()
            full = f"{mod}.{qual}" if mod else qual
            if full in seen or full in base:
                continue
            seen.add(full)
            self.index.touch_row(CLASS_NAMES_ROW, mod)
            entry = self._class_entry(mod, qual)
            if entry is None:
                return None
            if attr in entry.names:
                if attr in entry.assigned:
                    return None  # an instance attribute may shadow the method
                if full == start:
                    kind = entry.methods.get(attr) if own else None
                    if kind is None:
                        return None
                elif kind is None and full not in sites:
                    return None
            if kind is None:
                # Every base a project class or harmless (``has_unresolved_bases``, by name
                # as written; a project class of such a name is counted once): else a base
                # outside the project could define it.
                resolved = {_last(b) for b in entry.bases}
                harmless = [w for w in entry.written if w in HARMLESS_BASES and _last(w) not in resolved]
                if len(entry.bases) + len(harmless) < len(entry.written):
                    return None
            for b in entry.bases:
                where = self.index.module_of(b)
                if where is None:
                    return None
                stack.append(where)
        return _INHERITS if kind is None else kind

    def _instance_attr_assigned(self, classes: Iterable[Definition], attr: str) -> bool:
        for cls in classes:
            for c in self.mro(cls):
                if any(a.attr == attr for a in c.info.attr_assigns):
                    return True
        return False

    # --- calls --------------------------------------------------------------------------
    def target_kinds(self, res: CallResolution, transparent: frozenset[str]) -> set[str | None]:
        """The call kinds of every function ``res`` may run (``call_kind`` of each target,
        and the kinds of its ``row_kinds``)."""
        kinds = {self.call_kind(t, transparent) for t in res.targets}
        kinds.update(k for _, k in res.row_kinds)
        return kinds

    def resolve_call(self, module: str, scope: str, callee: str, kinds_only: bool = False) -> CallResolution | None:
        """The project functions (or classes) that calling ``callee`` may run, or None.

        ``kinds_only``: the caller reads only the primary target and the kinds of all of
        them (``target_kinds``), so overrides whose kind a row gives are not loaded."""
        target = self.index.resolve(module, scope, callee)
        if isinstance(target, Definition):
            # `f`, `module.f`, `Cls.m`: the name itself says which definition runs; when
            # the head has several bindings that may be the one at run time (a rebinding
            # under a condition), every one of them.
            alternatives = self._name_alternatives(module, scope, callee)
            if alternatives is None:
                return None
            targets = [target]
            targets.extend(a for a in alternatives if a.fullname not in {t.fullname for t in targets})
            return CallResolution(target, tuple(targets), "name")
        if "." not in callee:
            return None
        receiver, attr = callee.rsplit(".", 1)
        types = self.value_types(module, scope, receiver)
        if not types:
            return None
        return self._dispatch(types, attr, kinds_only)

    def _name_alternatives(self, module: str, scope: str, dotted: str) -> list[Definition] | None:
        """What ``dotted`` is through each binding of its head that may be the one at run
        time (``ProjectIndex.lookup_bindings``); None when one of them is not a project
        definition (then nothing can be said), [] when the head has one binding."""
        head, _, rest = dotted.partition(".")
        found = self.index.lookup_bindings(module, scope, head)
        if found is None or len(found[1]) < 2:
            return []
        q, bindings = found
        out: list[Definition] = []
        for b in bindings:
            target = self.index.binding_target(module, q, head, b)
            for attr in rest.split(".") if rest else ():
                if target is None:
                    break
                target = self.index.member(target, attr)
            if not isinstance(target, Definition):
                return None
            out.append(target)
        return out

    def _dispatch(self, types: Types, attr: str, kinds_only: bool = False) -> CallResolution | None:
        """A method call on a receiver of ``types``: memoised (with its dependencies), as
        many call sites name the same method of the same classes."""
        key = (tuple((t.cls.fullname, t.exact, t.is_type) for t in types), attr, kinds_only)
        return self._memoised(self._dispatches, key, lambda: self._compute_dispatch(types, attr, kinds_only))

    def _compute_dispatch(self, types: Types, attr: str, kinds_only: bool) -> CallResolution | None:
        primary: Definition | None = None
        targets: list[Definition] = []
        row_kinds: dict[str, str] = {}
        for t in types:
            runtime, kinds = self._dispatch_classes(t, attr, method=True, own=kinds_only and not t.is_type)
            for name, kind in kinds.items():
                row_kinds.setdefault(name, kind)
            if not t.is_type and self._instance_attr_assigned(runtime, attr):
                return None  # `self.m = ...` shadows the method (mocks, callbacks)
            first = self.lookup_member(t.cls, attr)
            if not isinstance(first, Definition) or first.kind not in (DEF, ASYNC_DEF):
                return None
            primary = primary or first
            for cls in runtime:
                member = self.lookup_member(cls, attr)
                if not isinstance(member, Definition) or member.kind not in (DEF, ASYNC_DEF):
                    return None
                if member not in targets:
                    targets.append(member)
        if primary is None:
            return None
        for target in targets:
            row_kinds.pop(target.fullname, None)
        return CallResolution(primary, tuple(targets), "receiver", tuple(sorted(row_kinds.items())))

    def resolve_super_call(
        self, module: str, scope: str, attr: str, explicit_class: str | None = None
    ) -> CallResolution | None:
        """``super().attr`` (or ``super(Cls, self).attr``) called in ``scope``."""
        if explicit_class is not None:
            cls = self.index.resolve_definition(module, scope, explicit_class)
        else:
            cls = self.index.enclosing_class(module, scope)
        if cls is None or cls.kind != CLASS:
            return None
        primary: Definition | None = None
        targets: list[Definition] = []
        for runtime in [cls] + self.index.subclasses(cls):
            found = self.lookup_member(runtime, attr, start_after=cls)
            if not isinstance(found, Definition) or found.kind not in (DEF, ASYNC_DEF):
                return None
            primary = primary or found
            if found not in targets:
                targets.append(found)
        if primary is None:
            return None
        return CallResolution(primary, tuple(targets), "super")

    def parameter_for(self, res: CallResolution, position: int | None, keyword: str | None):
        """The ``(function, Param)`` an argument binds to, when the call has one target.

        ``position`` counts the call's positional arguments (no ``*args`` before it);
        ``self``/``cls`` are skipped for bound calls, and a class call maps to ``__init__``.
        """
        if len(res.targets) != 1 or res.row_kinds:
            return None
        fn = res.targets[0]
        bound = res.via in ("receiver", "super")
        if fn.kind == CLASS:
            init = self.lookup_member(fn, "__init__")
            if not isinstance(init, Definition) or init.kind not in (DEF, ASYNC_DEF):
                return None
            fn, bound = init, True
        decs = {_last(d.rstrip("()")) for d in fn.info.decorators}
        if "staticmethod" in decs:
            bound = False
        elif "classmethod" in decs:
            bound = True
        params = list(fn.info.params)
        if bound and params and params[0].kind in ("posonly", "normal"):
            params = params[1:]
        if keyword is not None:
            found = [p for p in params if p.name == keyword and p.kind in ("normal", "kwonly")]
            return (fn, found[0]) if found else None
        positional = [p for p in params if p.kind in ("posonly", "normal")]
        if position is not None and position < len(positional):
            return fn, positional[position]
        return None

    # --- what a call gives --------------------------------------------------------------
    def call_kind(
        self, defn: Definition, transparent: frozenset[str] = frozenset(DEFAULT_TRANSPARENT_DECORATORS)
    ) -> str | None:
        """What calling ``defn`` returns: "coroutine", "awaitable", "plain", "generator",
        "asyncgen", or None when unknown."""
        return self._memoised(self._kinds, (defn.fullname, transparent), lambda: self._call_kind(defn, transparent))

    def _call_kind(self, defn: Definition, transparent: frozenset[str]) -> str | None:
        info = defn.info
        known = frozenset(t[len(BASE_PREFIX) :] for t in transparent if t.startswith(BASE_PREFIX))
        if info.kind == CLASS:
            return self._class_instance_kind(defn, known)
        for dec in info.decorators:
            if not self.decorator_is_transparent(defn, dec, transparent):
                return None
        if info.kind == ASYNC_DEF:
            return "asyncgen" if info.has_yield else "coroutine"
        if info.has_yield:
            return "generator"
        if info.stub:
            return None  # an interface stub: the implementation that runs is elsewhere
        if info.returns is not None:
            return self._return_annotation_kind(defn.module, info.scope, info.returns, known)
        return _combine([self._leaf_kind(defn, leaf, transparent) for leaf in info.return_leaves])

    def _return_annotation_kind(
        self, module: str, scope: str, annotation: str, known: frozenset[str] = frozenset()
    ) -> str | None:
        """What a call gives by its return annotation. A union of awaitable and other members
        (`Union[R, Coroutine[Any, Any, R]]`) may give either: unknown, not an awaitable (an
        `await` of it may be right, and so may discarding it)."""
        leaves = _annotation_leaves(annotation)
        if leaves is None:
            return None
        kinds = {self._leaf_annotation_kind(module, scope, kind, node, known) for kind, node in leaves}
        if kinds & {"coroutine", "awaitable"} and (len(kinds) > 1 or _may_be_none(annotation)):
            return None
        return _combine(kinds)

    def _class_instance_kind(self, cls: Definition, known: frozenset[str] = frozenset()) -> str | None:
        """Calling a class gives an instance: awaitable when it defines ``__await__``."""
        if cls.info.decorators and not all(d.split("(")[0].endswith("dataclass") for d in cls.info.decorators):
            return None
        for c in self.mro(cls):
            members = set(c.info.members)
            if "__await__" in members:
                return "awaitable"
            if "__new__" in members or "__class_getitem__" in members:
                return None
            outside = self.outside_bases_kind(c, known)
            if outside != "plain":
                return outside
        return "plain"

    def outside_bases_kind(self, cls: Definition, known: frozenset[str] = frozenset()) -> str | None:
        """What the bases of ``cls`` outside the project add to its instances' awaitability:
        "plain" when each is known to have no ``__await__`` (``object``, ``Generic``,
        ``Protocol``, ``ABC``, builtins such as ``dict`` or ``Exception``, standard-library
        classes other than futures and tasks, and the ``known-non-awaitable-bases`` option),
        "awaitable" for ``asyncio.Future``/``Task`` and ``Awaitable``/``Coroutine``, else
        None (a third-party class, a base computed at run time, a mock)."""
        if not self.has_unresolved_bases(cls):
            return "plain"
        out = "plain"
        outside = [("base", b) for b in cls.info.bases] + [
            ("meta", v) for k, v in cls.info.keywords if k == "metaclass"
        ]
        if any(k not in ("metaclass",) for k, _ in cls.info.keywords if k == "**"):
            return None
        for role, base in outside:
            name = base.split("[", 1)[0]
            if role == "base":
                target = self.index.resolve(cls.module, cls.info.scope, name)
                if isinstance(target, Definition) and target.kind == CLASS:
                    continue
            if not name or not all(p.isidentifier() for p in name.split(".")):
                return None
            canonical = self.external_name(cls.module, cls.info.scope, name)
            if canonical is None:
                return None  # a variable or a project name that is not a class
            kind = _outside_class_kind(canonical, known, self.index.has_module)
            if kind is None:
                return None
            if kind == "awaitable" and role == "base":
                out = "awaitable"
        return out

    def _leaf_kind(self, defn: Definition, leaf: str, transparent: frozenset[str]) -> str | None:
        kind, _, rest = leaf.partition(":")
        scope = defn.qualname
        if kind == "call":
            if rest == "?":
                return None
            return self._callee_result_kind(defn.module, scope, rest, transparent)
        if kind == "name":
            return self._name_kind(defn, rest, transparent)
        if kind == "attr":
            return self._attr_value_kind(defn, rest, transparent)
        if kind == "subscript":
            return None  # `return self._tasks[key]` may well be a task
        return "plain"  # literals, None, lambdas, comprehensions, operators

    def _callee_result_kind(self, module: str, scope: str, callee: str, transparent: frozenset[str]) -> str | None:
        res = self.resolve_call(module, scope, callee)
        if res is not None:
            kinds = {self.call_kind(t, transparent) for t in res.targets}
            return _combine(kinds)
        target = self.index.resolve(module, scope, callee)
        if isinstance(target, (Definition, Value)) or self._head_is_local_callable(module, scope, callee):
            return None  # a variable holding some callable: cannot know
        head = self.index.resolve(module, scope, callee.split(".")[0])
        if isinstance(head, (ModuleRef, Definition)) and "." in callee:
            return None  # a project name that does not resolve further (dynamic re-binding)
        last = _last(self.external_name(module, scope, callee) or callee)
        if last in AWAITABLE_FACTORIES or last in AWAITABLE_TYPES or last in COROUTINE_TYPES:
            return "awaitable"
        if isinstance(head, Value) and any(w in last.lower() for w in ("task", "future", "coro", "awaitable")):
            return None  # `self._task_factory(...)`: by its name, it may well give a task
        if isinstance(head, Value) and "." in callee:
            # A method of a value whose class is not known (`self.session.execute(q)` may be
            # an async client's): plain only when the value is a builtin container or scalar.
            return "plain" if self._is_builtin_value(module, scope, callee.rsplit(".", 1)[0]) else None
        return "plain"

    def _is_builtin_value(self, module: str, scope: str, dotted: str) -> bool:
        """Is ``dotted`` (a local or ``self.x``) always a builtin value (dict, list, str...)?"""
        parts = dotted.split(".")
        if len(parts) == 1:
            found = self.index.lookup_bindings(module, scope, parts[0])
            if found is None:
                return False
            q, bindings = found
            return all(self._builtin_binding(module, q, b) for b in bindings)
        if len(parts) != 2 or parts[0] != "self":
            return False
        cls = self.index.enclosing_class(module, scope)
        if cls is None:
            return False
        seen = False
        for c in [m for runtime in [cls] + self.index.subclasses(cls) for m in self.mro(runtime)]:
            facts = self.index.get_module(c.module)
            cscope = facts.scopes.get(c.qualname) if facts else None
            for b in cscope.bindings.get(parts[1], ()) if cscope else ():
                seen = True
                if not self._builtin_binding(c.module, c.qualname, b):
                    return False
            for a in c.info.attr_assigns:
                if a.attr != parts[1] or a.value == "none":
                    continue
                seen = True
                if a.annotation:
                    if not self._builtin_annotation(c.module, a.scope, a.annotation):
                        return False
                elif not (a.value == "literal" or a.value.split(":", 1)[-1] in _BUILTIN_CONSTRUCTORS):
                    return False
        return seen

    def _builtin_binding(self, module: str, scope: str, b: Binding) -> bool:
        if b.annotation:
            return self._builtin_annotation(module, scope, b.annotation)
        if b.kind != ASSIGN:
            return False
        if b.value_kind in ("dict", "list", "set", "literal", "none"):
            return True
        return b.value_kind == "call" and b.value in _BUILTIN_CONSTRUCTORS

    def _builtin_annotation(self, module: str, scope: str, annotation: str) -> bool:
        leaves = _annotation_leaves(annotation)
        if not leaves:
            return False
        for kind, node in leaves:
            if kind == "none":
                continue
            if isinstance(node, ast.Subscript):
                node = node.value
            dotted = dotted_name(node) if node is not None else None
            if dotted is None or self._resolve_type_name(module, scope, dotted) is not None:
                return False
            if _last(self.external_name(module, scope, dotted, type_checking=True) or dotted) not in PLAIN_TYPES:
                return False
        return True

    def _head_is_local_callable(self, module: str, scope: str, callee: str) -> bool:
        """``return fn(...)`` where ``fn`` is a parameter or local: the result is whatever fn gives."""
        if "." in callee:
            return False
        found = self.index.lookup_binding(module, scope, callee)
        return found is not None and found[1].kind in (PARAM, ASSIGN, ALIAS)

    def _name_kind(self, defn: Definition, name: str, transparent: frozenset[str]) -> str | None:
        facts = self.index.get_module(defn.module)
        scope = facts.scopes.get(defn.qualname) if facts else None
        bindings = [b for b in (scope.bindings.get(name, ()) if scope else ()) if not b.type_checking]
        if not bindings:
            target = self.index.resolve(defn.module, defn.qualname, name)
            return "plain" if isinstance(target, (Definition, ModuleRef)) else None
        kinds: list[str | None] = []
        for b in bindings:
            if b.kind in (DEF, CLASS, IMPORT):
                kinds.append("plain")
            elif b.kind == ASYNC_DEF:
                kinds.append("plain")  # the function object, not a call
            elif b.kind == PARAM:
                kinds.append(self.annotation_kind(defn.module, defn.info.scope, b.annotation) if b.annotation else None)
            elif b.kind == ASSIGN:
                if b.annotation:
                    kinds.append(self.annotation_kind(defn.module, defn.qualname, b.annotation))
                elif b.value_kind == "call" and b.value:
                    kinds.append(self._callee_result_kind(defn.module, defn.qualname, b.value, transparent))
                elif b.value_kind == "call" or b.value_kind == "other":
                    kinds.append(None)
                else:
                    kinds.append("plain")
            else:
                kinds.append(None)
        return _combine(kinds)

    def _attr_value_kind(self, defn: Definition, dotted: str, transparent: frozenset[str]) -> str | None:
        head, _, attr = dotted.partition(".")
        if head in ("self", "cls") and "." not in attr:
            cls = self.index.enclosing_class(defn.module, defn.qualname)
            if cls is None:
                return "plain"
            classes = [cls] + self.index.subclasses(cls)
            for c in classes:
                for a in (x for m in self.mro(c) for x in m.info.attr_assigns if x.attr == attr):
                    if a.annotation and self.annotation_kind(c.module, a.scope, a.annotation) in (
                        "coroutine",
                        "awaitable",
                    ):
                        return "awaitable"
                    if a.value.startswith("call:") and a.value != "call:?":
                        owner = next((m for m in self.mro(c) if a in m.info.attr_assigns), c)
                        k = self._callee_result_kind(owner.module, a.scope, a.value[5:], transparent)
                        if k in ("coroutine", "awaitable"):
                            return "awaitable"
            return "plain"
        return "plain"

    def decorator_is_transparent(self, defn: Definition, decorator: str, transparent: frozenset[str]) -> bool:
        """Does ``decorator`` keep the return kind of the function it decorates?"""
        text = decorator[:-2] if decorator.endswith("()") else decorator
        names = {text}
        external = self.external_name(defn.module, defn.info.scope, text)
        if external:
            names.add(external)
        target = self.index.resolve(defn.module, defn.info.scope, text)
        if isinstance(target, Definition):
            names.add(target.fullname)
        for entry in transparent:
            if entry in names or ("." not in entry and any(_last(n) == entry for n in names)):
                return True
        if isinstance(target, Definition) and target.kind == DEF:
            if decorator.endswith("()"):
                return self._is_wraps_factory(target)
            return self._is_wraps_decorator(target)
        return False

    def _is_wraps_decorator(self, deco: Definition) -> bool:
        """``def deco(fn): @wraps(fn) def wrapper(*a, **k): return fn(*a, **k); return wrapper``."""
        info = deco.info
        if info.kind != DEF or info.decorators or not info.params or not info.return_leaves:
            return False
        fn_param = info.params[0].name
        facts = self.index.get_module(deco.module)
        for leaf in info.return_leaves:
            if not leaf.startswith("name:"):
                return False
            inner = facts.defs.get(f"{info.qualname}.{leaf[5:]}") if facts else None
            if inner is None or inner.kind != DEF or inner.has_yield:
                return False
            if not any(_last(d[:-2] if d.endswith("()") else d) == "wraps" for d in inner.decorators):
                return False
            if any(d for d in inner.decorators if _last(d[:-2] if d.endswith("()") else d) != "wraps"):
                return False
            if not inner.return_leaves or not all(x == f"call:{fn_param}" for x in inner.return_leaves):
                return False
        return True

    def _is_wraps_factory(self, factory: Definition) -> bool:
        """``def retry(n): def deco(fn): ...wraps-style...; return deco``."""
        info = factory.info
        if info.kind != DEF or info.decorators or not info.return_leaves:
            return False
        facts = self.index.get_module(factory.module)
        for leaf in info.return_leaves:
            if not leaf.startswith("name:") or facts is None:
                return False
            inner = facts.defs.get(f"{info.qualname}.{leaf[5:]}")
            if inner is None or not self._is_wraps_decorator(Definition(factory.module, inner.qualname, inner)):
                return False
        return True

    # --- annotations ----------------------------------------------------------------------
    def annotation_kind(
        self, module: str, scope: str, annotation: str, known: frozenset[str] = frozenset()
    ) -> str | None:
        """Is a value of this annotated type awaitable? "coroutine"/"awaitable"/"plain"/None."""
        leaves = _annotation_leaves(annotation)
        if leaves is None:
            return None
        return _combine([self._leaf_annotation_kind(module, scope, kind, node, known) for kind, node in leaves])

    def _leaf_annotation_kind(
        self, module: str, scope: str, kind: str, node: ast.expr | None, known: frozenset[str] = frozenset()
    ) -> str | None:
        if kind == "none":
            return "plain"
        if kind == "type" or node is None:
            return "plain" if kind == "type" else None
        if isinstance(node, ast.Subscript):
            node = node.value  # `Foo[int]`: the generic class decides
        dotted = dotted_name(node)
        if dotted is None:
            return None
        last = _last(dotted)
        if last in COROUTINE_TYPES:
            return "coroutine"
        if last in AWAITABLE_TYPES:
            return "awaitable"
        target = self._resolve_type_name(module, scope, dotted)
        if isinstance(target, Definition):
            return self._class_instance_kind_for_annotation(target, known) if target.kind == CLASS else None
        if target is not None:
            return None  # a TypeVar or other variable
        external = self.external_name(module, scope, dotted, type_checking=True)
        name = external or dotted
        if name in PLAIN_TYPES or (external and external.split(".")[0] in _PLAIN_MODULES and _last(name) != "Any"):
            return "plain"
        if external and external.startswith("builtins."):
            return "plain"
        return None

    def _class_instance_kind_for_annotation(self, cls: Definition, known: frozenset[str] = frozenset()) -> str | None:
        for c in self.mro(cls):
            if "__await__" in c.info.members:
                return "awaitable"
            outside = self.outside_bases_kind(c, known)
            if outside != "plain":
                return outside
        return "plain"

    def annotation_types(self, module: str, scope: str, annotation: str) -> Types | None:
        """The project classes an annotation names (``Optional``/unions allowed), or None."""
        leaves = _annotation_leaves(annotation)
        if leaves is None:
            return None
        out: list[ClassType] = []
        for kind, node in leaves:
            if kind == "none":
                continue
            dotted = dotted_name(node) if node is not None else None
            target = self._resolve_type_name(module, scope, dotted) if dotted else None
            if not isinstance(target, Definition) or target.kind != CLASS:
                return None
            t = ClassType(target, False, kind == "type")
            if t not in out:
                out.append(t)
        return tuple(out)

    # --- values ---------------------------------------------------------------------------
    def value_types(self, module: str, scope: str, dotted: str) -> Types | None:
        """The classes the value of ``dotted`` (seen from ``scope``) may have, or None."""
        return self._memoised(self._values, (module, scope, dotted), lambda: self._value_types(module, scope, dotted))

    def _value_types(self, module: str, scope: str, dotted: str) -> Types | None:
        parts = dotted.split(".")
        # `pkg.mod.value.attr`: walk the module prefix first.
        i = 1
        target = self.index.resolve(module, scope, parts[0])
        while isinstance(target, ModuleRef) and i < len(parts):
            target = self.index.module_member(target.module, parts[i])
            i += 1
        if i > 1:
            types = self._target_types(target)
        else:
            types = self._name_types(module, scope, parts[0])
        for attr in parts[i:]:
            if not types:
                return None
            types = self._attr_types(types, attr)
        return types or None

    def _name_types(self, module: str, scope: str, name: str) -> Types | None:
        found = self.index.lookup_bindings(module, scope, name)
        if found is not None:
            return self._bindings_types(module, found[0], name, found[1])
        return self._target_types(self.index.resolve(module, scope, name))  # star imports

    def _target_types(self, target: Definition | ModuleRef | Value | None) -> Types | None:
        if isinstance(target, Definition) and target.kind == CLASS:
            return (ClassType(target, False, True),)
        if isinstance(target, Value):
            key = ("value-binding", target.module, target.scope, target.name)
            return self._memoised(self._values, key, lambda: self._value_binding_types(target))
        return None

    def _value_binding_types(self, target: Value) -> Types | None:
        facts = self.index.get_module(target.module)
        s = facts.scopes.get(target.scope) if facts else None
        bindings = [b for b in (s.bindings.get(target.name, ()) if s else ()) if not b.type_checking]
        if bindings and not target.scope:  # a module's value, read once the module has run
            bindings = self.index.final_bindings(bindings)
        return self._bindings_types(target.module, target.scope, target.name, bindings) if bindings else None

    def _bindings_types(self, module: str, scope: str, name: str, bindings: list[Binding]) -> Types | None:
        annotated = [b for b in bindings if b.annotation and b.kind in (ASSIGN, PARAM)]
        if annotated and not any(b.kind == PARAM and self._implicit_first_param(module, scope, name) for b in bindings):
            return self.annotation_types(
                module, self._annotation_scope(module, scope, annotated[0]), annotated[0].annotation or ""
            )
        out: list[ClassType] = []
        for b in bindings:
            got = self._binding_types(module, scope, name, b)
            if got is None:
                return None
            out.extend(t for t in got if t not in out)
        if not out:
            return None
        return tuple(out)

    def _annotation_scope(self, module: str, scope: str, b: Binding) -> str:
        if b.kind == PARAM:
            facts = self.index.get_module(module)
            info = facts.defs.get(scope) if facts else None
            return info.scope if info is not None else scope
        return scope

    def _implicit_first_param(self, module: str, scope: str, name: str) -> str | None:
        """``"self"``/``"cls"`` when ``name`` is the implicit first parameter of a method."""
        facts = self.index.get_module(module)
        info: DefInfo | None = facts.defs.get(scope) if facts else None
        if info is None or info.kind not in (DEF, ASYNC_DEF) or not info.params:
            return None
        parent = facts.scopes.get(info.scope) if facts else None
        if parent is None or parent.kind != "class":
            return None
        first = info.params[0]
        if first.name != name or first.kind not in ("posonly", "normal"):
            return None
        decs = {_last(d.rstrip("()")) for d in info.decorators}
        if "staticmethod" in decs:
            return None
        if "classmethod" in decs or info.name in ("__new__", "__init_subclass__", "__class_getitem__"):
            return "cls"
        return "self"

    def _binding_types(self, module: str, scope: str, name: str, b: Binding) -> Types | None:
        if b.kind == PARAM:
            implicit = self._implicit_first_param(module, scope, name)
            if implicit is None:
                return self._fixture_param_types(module, scope, name)
            facts = self.index.get_module(module)
            info = facts.defs[scope] if facts else None
            cls = self.index.definition(module, info.scope) if info else None
            if cls is None:
                return None
            return (ClassType(cls, False, implicit == "cls"),)
        if b.kind == ASSIGN:
            if b.value_kind == "none":
                return ()
            if b.awaited_call:
                return self.call_result_types(module, scope, b.awaited_call, awaited=True)
            if b.value_kind == "call" and b.value:
                return self.call_result_types(module, scope, b.value)
            return None
        if b.kind == ALIAS:
            if b.target == name:
                return self._name_types(module, "", name) if scope else None
            return self.value_types(module, scope, b.target)
        if b.kind in (FROM, IMPORT, CLASS):
            return self._target_types(self.index.resolve(module, scope, name))
        return None

    # --- pytest fixtures ---------------------------------------------------------------------
    def _fixture_param_types(self, module: str, scope: str, name: str) -> Types | None:
        """The class of parameter ``name`` of a test function (or fixture) ``scope`` that
        pytest fills with the fixture of that name: the fixture's value class, or None."""
        facts = self.index.get_module(module)
        info = facts.defs.get(scope) if facts else None
        if (
            facts is None
            or info is None
            or info.kind not in (DEF, ASYNC_DEF)
            or any("parametrize" in d for d in info.decorators)
        ):
            return None
        own = {q: n for n, q in facts.fixtures}
        if not (info.name.startswith("test") or scope in own):
            return None
        if info.scope:  # a method: the class may define or parametrize the fixture itself
            cls = facts.defs.get(info.scope)
            if cls is None or cls.kind != CLASS or name in cls.members:
                return None
            if any("parametrize" in d or "usefixtures" in d for d in cls.decorators) or info.scope.count("."):
                return None
        fixture = self.find_fixture(module, name, skip=f"{module}.{scope}" if own.get(scope) == name else "")
        if fixture is None:
            return None
        return self.fixture_value_types(fixture)

    def find_fixture(self, module: str, name: str, skip: str = "") -> Definition | None:
        """The fixture ``name`` as pytest finds it for a test in ``module``: the module's own,
        then the ``conftest.py`` files from the module's folder up to the root (``skip``: a
        fixture that requests the one it overrides). Reads those modules' facts."""
        facts = self.index.get_module(module)
        if facts is None:
            return None
        parts = module.split(".") if module else []
        if not facts.is_package:
            parts = parts[:-1]
        candidates = [module] + [".".join(parts[:i] + ["conftest"]) for i in range(len(parts), -1, -1)]
        for mod in dict.fromkeys(candidates):
            found = self.index.get_module(mod)
            if found is None:
                continue
            for fname, qual in found.fixtures:
                if fname == name and f"{mod}.{qual}" != skip:
                    info = found.defs.get(qual)
                    return Definition(mod, qual, info) if info is not None else None
        return None

    def fixture_value_types(self, fixture: Definition) -> Types | None:
        """The classes of the value a fixture gives the tests: from its return annotation
        (the yielded type of a generator's), else from what every `return` (or `yield`)
        gives: a constructor, an annotated function's result, or a local assigned from one.
        An `async def` fixture gives its awaited value."""
        info = fixture.info
        if info.returns:
            annotation = info.returns
            if info.has_yield:
                yielded = _yielded_type(annotation)
                if yielded is None:
                    return None
                annotation = yielded
            return self.annotation_types(fixture.module, info.scope, annotation)
        leaves = info.yield_leaves if info.has_yield else info.return_leaves
        if not leaves:
            return None
        out: list[ClassType] = []
        for leaf in leaves:
            kind, _, rest = leaf.partition(":")
            if kind == "call" and rest != "?":
                got = self.call_result_types(fixture.module, fixture.qualname, rest)
            elif kind == "name":
                got = self.value_types(fixture.module, fixture.qualname, rest)
            else:
                return None
            if not got:
                return None
            out.extend(t for t in got if t not in out)
        return tuple(out) or None

    def call_result_types(self, module: str, scope: str, callee: str, awaited: bool = False) -> Types | None:
        """The classes of ``callee(...)``'s result (constructors and annotated returns), or of
        ``await callee(...)`` when ``awaited`` (the return annotation of an ``async def``)."""
        res = self.resolve_call(module, scope, callee)
        if res is None:
            return None
        out: list[ClassType] = []
        for t in res.targets:
            if t.kind == CLASS and not awaited:
                if "__new__" in t.info.members:
                    return None
                got: Types | None = (ClassType(t, exact=True),)
            elif (
                t.kind == (ASYNC_DEF if awaited else DEF)
                and t.info.returns
                and not t.info.has_yield
                and self._decorators_transparent(t)
            ):
                got = self.annotation_types(t.module, t.info.scope, t.info.returns)
            else:
                return None
            if not got:
                return None
            out.extend(x for x in got if x not in out)
        return tuple(out) or None

    def _decorators_transparent(self, defn: Definition) -> bool:
        default = frozenset(DEFAULT_TRANSPARENT_DECORATORS)
        return all(self.decorator_is_transparent(defn, d, default) for d in defn.info.decorators)

    def _attr_types(self, types: Types, attr: str) -> Types | None:
        out: list[ClassType] = []
        for t in types:
            got = self._one_attr_types(t, attr)
            if got is None:
                return None
            out.extend(x for x in got if x not in out)
        return tuple(out) or None

    def _one_attr_types(self, t: ClassType, attr: str) -> Types | None:
        member = self.lookup_member(t.cls, attr)
        if isinstance(member, Definition):
            if member.kind in (DEF, ASYNC_DEF):
                decs = {_last(d.rstrip("()")) for d in member.info.decorators}
                if not t.is_type and decs & {"property", "cached_property"} and member.info.returns:
                    return self.annotation_types(member.module, member.info.scope, member.info.returns)
                return None
            return None
        classes, _ = self._dispatch_classes(t, attr)
        if not t.is_type:
            declared = self._declared_attr_types(classes, attr)
            if declared is not False:
                return declared
        # Class-level annotations and values (also dataclass fields), then `self.x = ...`.
        found: list[ClassType] = []
        seen_any = False
        for runtime in classes:
            for c in self.mro(runtime):
                facts = self.index.get_module(c.module)
                scope = facts.scopes.get(c.qualname) if facts else None
                cbindings = [b for b in (scope.bindings.get(attr, ()) if scope else ()) if not b.type_checking]
                if cbindings:
                    seen_any = True
                    got = self._bindings_types(c.module, c.qualname, attr, cbindings)
                    if got is None:
                        return None
                    found.extend(x for x in got if x not in found)
                    break
        if not t.is_type:
            assigns = [
                (c, a) for runtime in classes for c in self.mro(runtime) for a in c.info.attr_assigns if a.attr == attr
            ]
            seen: set = set()
            for c, a in assigns:
                if (c.fullname, a) in seen:
                    continue
                seen.add((c.fullname, a))
                seen_any = True
                got = self._attr_assign_types(c, a)
                if got is None:
                    return None
                found.extend(x for x in got if x not in found)
        if not seen_any:
            return None
        return tuple(found) or None

    def _declared_attr_types(self, classes: list[Definition], attr: str) -> Types | None | Literal[False]:
        """The classes an instance attribute is declared with, as a type checker reads them:
        a class-level annotation (`sessions: SessionStore`) or an annotated `self.x: T = ...`
        in the MRO of every runtime class; what is assigned must conform, so it is not
        consulted. False when nothing declares it; None when a declaration is unknown."""
        found: list[ClassType] = []
        for runtime in classes:
            declared = False
            for c in self.mro(runtime):
                facts = self.index.get_module(c.module)
                scope = facts.scopes.get(c.qualname) if facts else None
                annotated = [
                    b for b in (scope.bindings.get(attr, ()) if scope else ()) if b.annotation and not b.type_checking
                ]
                annotations = [(c.qualname, b.annotation) for b in annotated]
                annotations += [(a.scope, a.annotation) for a in c.info.attr_assigns if a.attr == attr and a.annotation]
                for where, annotation in annotations:
                    got = self.annotation_types(c.module, where, annotation or "")
                    if not got:
                        return None
                    found.extend(x for x in got if x not in found)
                if annotations:
                    declared = True
                    break  # the nearest class that declares it
            if not declared:
                return False
        return tuple(found) or None

    def _attr_assign_types(self, cls: Definition, a) -> Types | None:
        if a.annotation:
            return self.annotation_types(cls.module, a.scope, a.annotation)
        if a.awaited_call:
            return self.call_result_types(cls.module, a.scope, a.awaited_call, awaited=True)
        kind, _, rest = a.value.partition(":")
        if kind == "none":
            return ()
        if kind == "call" and rest != "?":
            return self.call_result_types(cls.module, a.scope, rest)
        if kind in ("name", "attr"):
            return self.value_types(cls.module, a.scope, rest)
        return None


def _may_be_none(annotation: str) -> bool:
    """Does the annotation allow None at its top level (`Optional[X]`, `X | None`, `Union[X, None]`)?"""
    stack = [(_parse_annotation(annotation), 0)]
    while stack:
        node, depth = stack.pop()
        if node is None or depth > _MAX_DEPTH:
            continue
        if isinstance(node, ast.Constant):
            if node.value is None:
                return True
            if isinstance(node.value, str):
                stack.append((_parse_annotation(node.value), depth + 1))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            stack += [(node.left, depth + 1), (node.right, depth + 1)]
        elif isinstance(node, ast.Subscript):
            last = _last(dotted_name(node.value) or "")
            args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if last == "Optional":
                return True
            if last == "Union":
                stack += [(a, depth + 1) for a in args]
            elif last in _UNWRAP:
                stack.append((args[0], depth + 1))
    return False


# ``transparent`` sets (``call_kind``) carry the `known-non-awaitable-bases` option as
# entries with this prefix (no decorator is named so).
BASE_PREFIX = "base:"
# Standard-library classes whose instances are awaitable, and modules whose classes make any
# attribute exist (so nothing can be known about them).
_AWAITABLE_STDLIB = frozenset(
    {
        "asyncio.Future",
        "asyncio.Task",
        "asyncio.futures.Future",
        "asyncio.tasks.Task",
        "_asyncio.Future",
        "_asyncio.Task",
        "collections.abc.Awaitable",
        "collections.abc.Coroutine",
        "typing.Awaitable",
        "typing.Coroutine",
        "typing_extensions.Awaitable",
        "typing_extensions.Coroutine",
    }
)
_DYNAMIC_STDLIB = ("unittest.mock", "typing.Any", "typing_extensions.Any")


def _outside_class_kind(canonical: str, known: frozenset[str], project_has) -> str | None:
    """Are instances of the class outside the project named ``canonical`` (its canonical
    dotted name) awaitable? "plain", "awaitable", or None (unknown)."""
    import builtins
    import sys

    if canonical in known or canonical in HARMLESS_BASES:
        return "plain"
    if canonical in _AWAITABLE_STDLIB:
        return "awaitable"
    if canonical.startswith(_DYNAMIC_STDLIB):
        return None
    if "." not in canonical:  # an unbound name: a builtin class
        return "plain" if isinstance(getattr(builtins, canonical, None), type) else None
    top = canonical.split(".", 1)[0]
    if project_has(top):
        return None  # a project module that shadows a standard-library name
    if top == "builtins":
        return "plain" if isinstance(getattr(builtins, canonical.split(".", 1)[1], None), type) else None
    if top in getattr(sys, "stdlib_module_names", ()) or top == "typing_extensions":
        return "plain"
    return None


def _yielded_type(annotation: str) -> str | None:
    """``X`` of ``Iterator[X]``, ``Generator[X, ...]``, ``AsyncIterator[X]``, ``AsyncGenerator[X, ...]``."""
    node = _parse_annotation(annotation)
    if not isinstance(node, ast.Subscript):
        return None
    if _last(dotted_name(node.value) or "") not in (
        "Iterator",
        "Iterable",
        "Generator",
        "AsyncIterator",
        "AsyncIterable",
        "AsyncGenerator",
    ):
        return None
    first = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) and node.slice.elts else node.slice
    return ast.unparse(first)


def _combine(kinds: Iterable[str | None]) -> str | None:
    """One kind for several possible values: any awaitable wins, then agreement, else unknown."""
    distinct = set(kinds)
    if not distinct:
        return "plain"  # no `return`: None
    for k in ("coroutine", "awaitable"):
        if k in distinct:
            return k
    return distinct.pop() if len(distinct) == 1 else None


def _annotation_leaves(text: str) -> list[tuple[str, ast.expr | None]] | None:
    """The members of an annotation: strings parsed, ``Optional``/``Union``/``|`` split,
    ``Annotated``/``Final``/``ClassVar`` unwrapped.  Each is ("none", None), ("type", X)
    for ``type[X]``, or ("value", expr); ``None`` when the annotation does not parse."""
    node = _parse_annotation(text)
    if node is None:
        return None
    out: list[tuple[str, ast.expr | None]] = []
    stack: list[tuple[ast.expr, int]] = [(node, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > _MAX_DEPTH:
            return None
        if isinstance(node, ast.Constant):
            if node.value is None:
                out.append(("none", None))
                continue
            inner = _parse_annotation(node.value) if isinstance(node.value, str) else None
            if inner is None:
                return None
            stack.append((inner, depth + 1))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            stack.extend([(node.right, depth + 1), (node.left, depth + 1)])
        elif isinstance(node, ast.Subscript) and dotted_name(node.value) is not None:
            last = _last(dotted_name(node.value) or "")
            args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if last == "Union":
                stack.extend((a, depth + 1) for a in reversed(args))
            elif last in _UNWRAP:
                stack.append((args[0], depth + 1))
            elif last in ("type", "Type") and len(args) == 1:
                out.append(("type", args[0]))
            else:
                out.append(("value", node))
        else:
            out.append(("value", node))
    return out


# Annotations repeat across a project (`Optional[UserExecutionContext]`): each text is parsed
# once per process (the result is only read).
@functools.lru_cache(maxsize=8192)
def _parse_annotation(text: str) -> ast.expr | None:
    try:
        return ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return None


__all__ = [
    "AWAITABLE_FACTORIES",
    "CallResolution",
    "ClassType",
    "DEFAULT_TRANSPARENT_DECORATORS",
    "Inference",
]
