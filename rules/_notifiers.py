"""Notifier classes of a project, and what a receiver expression is statically.

Shared by the notifier rules (SSOT004 ``null-notifier``, SSOT006
``unknown-notifier-method``).  The notifier classes of a project are the classes whose
names the contract lists, the project classes that subclass them, and project classes
that implement every method of a notifier Protocol.  The model is a project table of
the run's analysis session: computed once per run, never per file.

Receiver typing is deliberately small: parameter and variable annotations, the
constructor or factory a variable was assigned from, ``self.x`` attributes (their
annotation, the constructor or the ``__init__`` parameter they were assigned from),
properties and methods with return annotations.  Anything else is "unknown".
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ssot_lint.api import (
    ALIAS,
    ASSIGN,
    ASYNC_DEF,
    CLASS,
    DEF,
    FROM,
    IMPORT,
    PARAM,
    AnalysisSession,
    Binding,
    Contract,
    Definition,
    ModuleFacts,
    ModuleRef,
    ModuleRow,
    NotifierClass,
    ProjectIndex,
    ProjectTable,
    Value,
    closure_of,
    dotted_name,
    name_variants,
    names_from,
    restore_names,
    session_of,
    test_code,
)

NOTIFIER_SUFFIXES = ("notifier", "emitter", "bridge")
CLASS_SUFFIXES = ("Notifier", "Emitter", "Bridge")
MOCK_FACTORIES = frozenset(
    {"Mock", "MagicMock", "AsyncMock", "NonCallableMock", "NonCallableMagicMock", "create_autospec", "PropertyMock"}
)
TEST_DOUBLE_PREFIXES = ("mock", "fake", "stub", "dummy", "spy")
# Bases that add no methods a notifier call could rely on.
NEUTRAL_BASES = frozenset(
    {
        "object",
        "Protocol",
        "typing.Protocol",
        "typing_extensions.Protocol",
        "ABC",
        "abc.ABC",
        "Generic",
        "typing.Generic",
    }
)
_WRAPPERS = frozenset({"Optional", "Final", "ClassVar", "Annotated", "Required", "NotRequired", "ReadOnly"})
_MAX_DEPTH = 8


def bare(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def is_test_double_name(name: str) -> bool:
    """``mock_notifier``, ``FakeEmitter``, ``_stub_bridge``..."""
    low = name.lstrip("_").lower()
    return low.startswith(TEST_DOUBLE_PREFIXES)


def has_notifier_suffix(name: str) -> bool:
    low = name.lower()
    return low.endswith(NOTIFIER_SUFFIXES) and not is_test_double_name(name)


def _is_protocol(defn: Definition) -> bool:
    return any(bare(b.split("[", 1)[0]) == "Protocol" for b in defn.info.bases)


@dataclass(frozen=True)
class Receiver:
    """What a receiver expression is: ``kind`` is "class", "contract", "mock", "other" or "unknown"."""

    kind: str
    cls: Definition | None = None
    contract: NotifierClass | None = None


UNKNOWN = Receiver("unknown")
OTHER = Receiver("other")
MOCK = Receiver("mock")


@dataclass
class NotifierModel:
    """The notifier classes of one project, for one contract."""

    index: ProjectIndex
    contract: Contract
    test_paths: tuple[str, ...] = ()
    classes: dict[str, Definition] = field(default_factory=dict)  # fullname -> project notifier class
    contract_methods: dict[str, frozenset[str]] = field(default_factory=dict)  # bare name -> methods
    all_methods: frozenset[str] = frozenset()
    any_open: bool = False  # some notifier class has __getattr__ or bases we cannot see
    has_project_notifiers: bool = False  # the project defines a notifier class (outside tests)
    class_names: frozenset[str] = frozenset()  # bare names of every notifier class (project and contract)
    wired: frozenset[str] = frozenset()  # fullnames of the classes found through a factory's wiring
    # Attribute names assigned onto an object anywhere in the project (`x.m = ...`, `setattr(x, "m", ...)`):
    # a call of such a name on a notifier may reach a method added to that instance.
    patched: frozenset[str] = frozenset()
    _relevant: frozenset[str] | None = None
    _entries: dict[str, NotifierClass] | None = None

    # --- classes -------------------------------------------------------------------
    def is_notifier(self, defn: Definition) -> bool:
        return defn.fullname in self.classes

    def methods(self, defn: Definition) -> frozenset[str] | None:
        """Every name a class and its project bases define; None when the class is open.

        Open: it (or a base) defines ``__getattr__``/``__getattribute__``, or inherits
        from a class outside the project that could define anything.
        """
        # Memoised by the index, so every caller records the modules the MRO walk read.
        return self.index.project_table(("notifier-methods", id(self), defn.fullname), lambda: self._methods_of(defn))

    def _methods_of(self, defn: Definition) -> frozenset[str] | None:
        out: set[str] = set()
        for cls in self.index.mro(defn):
            members = set(cls.info.members) | set(cls.info.self_attrs)  # `self.acquire = lock.acquire`
            if members & {"__getattr__", "__getattribute__"}:
                return None
            out |= members
            resolved = {b.fullname for b in self.index.bases(cls)}
            if len(resolved) < len(cls.info.bases):
                for base in cls.info.bases:
                    if base.split("[", 1)[0] in NEUTRAL_BASES:
                        continue
                    target = self.index.resolve(cls.module, cls.info.scope, base.split("[", 1)[0])
                    if not (isinstance(target, Definition) and target.kind == CLASS):
                        return None
        return frozenset(out)

    def contract_entry(self, name: str) -> NotifierClass | None:
        """The contract's first notifier class of that bare name (a dict built once: a
        contract inferred from a large tree has thousands, and this is asked per receiver)."""
        if self._entries is None:
            entries: dict[str, NotifierClass] = {}
            for entry in self.contract.notifier_classes:
                entries.setdefault(bare(entry.name), entry)
            self._entries = entries
        return self._entries.get(bare(name))

    def relevant_names(self) -> frozenset[str]:
        """Names a file must use for any receiver in it to be typed as a notifier.

        The notifier class names, every name bound to them or to a factory returning one
        (followed through ``Y = X`` and ``import X as Y``), every attribute typed as a
        notifier, and every function or method returning one.  Used by sound prefilters.
        """
        self.index.touch_table(RELEVANT_TABLE)  # every reader depends on the value
        if self._relevant is None:
            with self.index.unrecorded():  # what it reads is not the caller's dependency
                self._relevant = self._relevant_names()
        return self._relevant

    def _relevant_names(self) -> frozenset[str]:
        seeds: set[str] = set(self.class_names)
        for row in self.index.rows(RELEVANT_ROW).values():
            seeds.update(row)
        return frozenset(closure_of(self.index, seeds))

    @property
    def active(self) -> bool:
        """Is there anything to check calls against?"""
        return bool(self.all_methods)


def _relevant_row(facts: ModuleFacts, index: ProjectIndex) -> tuple[str, ...]:
    """The names of a module that a receiver typed as a notifier may go through: attributes
    typed as a notifier, and functions returning one. Typing follows imports and the
    notifier model (a dependency of the row, as is every module it reads)."""
    model = notifier_model(session_of(index))
    typer = ReceiverTyper(index, model, "")
    seeds: set[str] = set()
    for info in facts.defs.values():
        d = Definition(facts.module, info.qualname, info)
        if info.kind == CLASS:
            attrs = set(info.self_attrs)
            scope = facts.scopes.get(info.qualname)
            if scope is not None:
                attrs |= {n for n, bs in scope.bindings.items() if any(b.annotation for b in bs)}
            for attr in attrs:
                r = typer.attribute(d, attr, 0)
                if r.kind == "contract" or (r.kind == "class" and r.cls is not None and model.is_notifier(r.cls)):
                    seeds.add(attr)
        elif info.returns or info.return_calls:
            r = typer.of_function_result(d, 0)
            if r.kind == "contract" or (r.kind == "class" and r.cls is not None and model.is_notifier(r.cls)):
                seeds.add(info.name)
    return tuple(sorted(seeds))


RELEVANT_ROW: ModuleRow[tuple[str, ...]] = ModuleRow(
    "notifier-relevant", tuple[str, ...], _relevant_row, reads_project=True
)


MODEL_TABLE = "notifier-model"
RELEVANT_TABLE = "notifier-relevant-names"


def model_summary(model: NotifierModel) -> tuple:
    """The project-wide part of a model, canonically ordered (its value as a dependency)."""
    return (
        sorted((d.module, d.qualname) for d in model.classes.values()),
        sorted((k, sorted(v)) for k, v in model.contract_methods.items()),
        sorted(model.all_methods),
        model.any_open,
        model.has_project_notifiers,
        sorted(model.class_names),
        sorted(model.wired),
        sorted(model.patched),
    )


def _restore_model(session: AnalysisSession, data: Any) -> NotifierModel:
    """The model back from ``model_summary`` (kept in the cache: checked; raises if odd)."""
    assert session.contract is not None and session.config is not None, "the notifier model needs a contract"
    classes, methods, all_methods, any_open, has_project, class_names, wired, patched = data
    model = NotifierModel(session.index, session.contract, test_paths=tuple(session.config.test_paths))
    for module, qualname in classes:
        d = session.index.definition(_text(module), _text(qualname))
        if d is None or d.kind != CLASS:
            raise ValueError(f"no class {module}.{qualname}")
        model.classes[d.fullname] = d
    model.contract_methods = {_text(k): names_from(v) for k, v in methods}
    model.all_methods = names_from(all_methods)
    model.any_open = any_open is True
    model.has_project_notifiers = has_project is True
    model.class_names, model.wired, model.patched = names_from(class_names), names_from(wired), names_from(patched)
    return model


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("not a string")
    return value


def _compute_model(session: AnalysisSession, arg: str) -> NotifierModel:
    assert session.contract is not None and session.config is not None, "the notifier model needs a contract"
    return _build_model(session.index, session.contract, tuple(session.config.test_paths))


# Project tables: every reader depends on the model's value (``model_summary``), and the
# prefilters on the relevant names, never on what building them read.
NOTIFIER_MODEL: ProjectTable[NotifierModel] = ProjectTable(
    MODEL_TABLE, _compute_model, model_summary, restore=_restore_model
)
RELEVANT_NAMES: ProjectTable[frozenset[str]] = ProjectTable(
    RELEVANT_TABLE, lambda session, arg: notifier_model(session).relevant_names(), restore=restore_names
)
TABLES = (NOTIFIER_MODEL, RELEVANT_NAMES)


def relevant_names(session: AnalysisSession) -> frozenset[str]:
    """``NotifierModel.relevant_names`` of the session's model, as a project table (kept
    in the cache: read back while nothing it read changed)."""
    return session.table(RELEVANT_NAMES)


def notifier_model(session: AnalysisSession) -> NotifierModel:
    """The notifier model of the session's project, contract and test paths (once per session)."""
    return session.table(NOTIFIER_MODEL)


def _build_model(index: ProjectIndex, contract: Contract, test_paths: tuple[str, ...]) -> NotifierModel:
    model = NotifierModel(index, contract, test_paths=test_paths)
    tests = test_code(index, test_paths)
    for entry in contract.notifier_classes:
        if entry.methods:
            model.contract_methods[bare(entry.name)] = frozenset(m.name for m in entry.methods)
    names = {bare(e.name) for e in contract.notifier_classes}
    dotted = {e.name for e in contract.notifier_classes if "." in e.name}
    rows = index.rows(CLASSES_ROW)
    roots: list[Definition] = []
    suffixed: list[tuple[str, str]] = []  # (module, qualname) of the other classes named like notifiers
    for module, (_path, classes, _patched) in rows.items():
        for qual, name, _members, _proto in classes:
            full = f"{module}.{qual}" if module else qual
            if full in dotted or name in names:
                d = index.definition(module, qual)
                if d is not None:
                    roots.append(d)
            elif name.endswith(CLASS_SUFFIXES):
                suffixed.append((module, qual))
    # Per-user event classes the contract manages or that carry a notifier themselves
    # (`AgentWebSocketBridge(emitter)`), named like notifiers.
    params = {p.name for p in contract.notifier_params}
    for module, qual in suffixed:
        d = index.definition(module, qual)
        if d is None:
            continue
        init = index.definition(d.module, f"{d.qualname}.__init__")
        carries = init is not None and any(
            p.name in params or (p.annotation and bare(_unwrap_annotation(p.annotation) or "") in names)
            for p in init.info.params[1:]
        )
        if carries or contract.managed_entry(d) is not None:
            roots.append(d)
    # Wiring: the class of what a factory passes to a managed class's notifier parameter.
    wired = _wired_notifiers(index, contract, model, tests)
    known = {d.fullname for d in roots}  # a set: `d not in roots` scanned the list per wired class
    for d in wired:
        if d.fullname not in known:
            known.add(d.fullname)
            roots.append(d)
    model.wired = frozenset(d.fullname for d in wired)
    found: dict[str, Definition] = {}
    for d in roots:
        found[d.fullname] = d
        for sub in index.subclasses(d):
            found.setdefault(sub.fullname, sub)
    # Structural implementers of a notifier Protocol (three methods or more).
    protocols: list[frozenset[str]] = [m for m in model.contract_methods.values() if len(m) >= 3]
    for d in list(found.values()):
        if _is_protocol(d):
            public = frozenset(m for m in d.info.members if not m.startswith("_") and _is_method(index, d, m))
            if len(public) >= 3:
                protocols.append(public)
    if protocols:
        for module, (_path, classes, _patched) in rows.items():
            for qual, _name, members, proto in classes:
                full = f"{module}.{qual}" if module else qual
                if full in found or proto or not any(p <= set(members) for p in protocols):
                    continue
                d = index.definition(module, qual)
                if d is None:
                    continue
                found[d.fullname] = d
                for sub in index.subclasses(d):
                    found.setdefault(sub.fullname, sub)
    model.classes = found
    methods: set[str] = set()
    for ms in model.contract_methods.values():
        methods |= ms
    for d in found.values():
        # Test doubles (in test modules, or named Fake*/Mock*/...) are notifiers for typing,
        # but neither add methods nor make the project's notifiers "open".
        if is_test_double_name(d.info.name) or tests.is_test(index.modules[d.module].path):
            continue
        model.has_project_notifiers = True
        own = model.methods(d)
        if own is None:
            model.any_open = True
        else:
            methods |= own
    model.all_methods = frozenset(methods)
    model.class_names = frozenset(names | {d.info.name for d in found.values()})
    model.patched = frozenset(a for _path, _classes, patched in rows.values() for a in patched)
    return model


def _wired_notifiers(index: ProjectIndex, contract: Contract, model: NotifierModel, tests) -> list[Definition]:
    """Classes a factory passes to a managed class's notifier parameter.

    For each construction of a managed class in a contract factory (an entry point, or
    the factory a managed class records), each argument that is a plain local or
    parameter of the factory, named like a notifier parameter of the class's
    ``__init__`` (the contract's notifier parameters, or one annotated with a notifier
    class), is typed (annotation, constructor, annotated factory); a project class
    found so is a notifier class, with its own methods.
    """
    factories: dict[str, Definition] = {}
    for e in contract.entry_points:
        if not e.module:
            continue
        fn = index.definition(e.module, f"{e.owner}.{e.method}" if e.owner else e.method)
        if fn is not None:
            factories.setdefault(fn.fullname, fn)
    for m in contract.managed:
        if m.factory and "." in m.factory:
            mod, _, qual = m.factory.rpartition(".")
            while mod and index.get_module(mod) is None and "." in mod:  # `pkg.mod.Factory.create`
                mod, _, owner = mod.rpartition(".")
                qual = f"{owner}.{qual}"
            fn = index.definition(mod, qual)
            if fn is not None:
                factories.setdefault(fn.fullname, fn)
    names = {bare(e.name) for e in contract.notifier_classes}
    params = {p.name for p in contract.notifier_params}
    out: dict[str, Definition] = {}
    for fn in factories.values():
        facts = index.get_module(fn.module)
        if facts is None or tests.is_test(facts.path):
            continue
        typer = ReceiverTyper(index, model, fn.module)
        for call in fn.info.calls:
            target = index.resolve(fn.module, fn.qualname, call.callee)
            if not (isinstance(target, Definition) and target.kind == CLASS):
                continue
            if contract.managed_entry(target) is None:
                continue
            init = index.member(target, "__init__")
            if not isinstance(init, Definition) or init.kind not in (DEF, ASYNC_DEF):
                continue
            wanted = {
                p.name
                for p in init.info.params[1:]
                if p.name in params or (p.annotation and bare(_unwrap_annotation(p.annotation) or "") in names)
            }
            if not wanted:
                continue
            for arg in call.arg_names:
                r = typer.of_dotted(fn.qualname, arg)
                if r.kind != "class" or r.cls is None:
                    continue
                cls = r.cls
                if arg not in wanted and not (name_variants(cls.info.name) & wanted):
                    continue
                if contract.managed_entry(cls) is not None or cls.info.name in contract.context_classes:
                    continue
                out.setdefault(cls.fullname, cls)
    return sorted(out.values(), key=lambda d: d.fullname)


Row = tuple[str, tuple[tuple[str, str, tuple[str, ...], bool], ...], tuple[str, ...]]


def _classes_row(facts: ModuleFacts, index: ProjectIndex) -> Row:
    """What the notifier model needs of a module without loading its facts: its path, each
    class (qualname, name, members, is a Protocol) and the attribute names it patches."""
    classes = tuple(
        (info.qualname, info.name, tuple(info.members), any(bare(b.split("[", 1)[0]) == "Protocol" for b in info.bases))
        for info in facts.defs.values()
        if info.kind == CLASS
    )
    return facts.path, classes, tuple(sorted(facts.patched_attrs))


CLASSES_ROW: ModuleRow[Row] = ModuleRow(
    "notifier-classes", tuple[str, tuple[tuple[str, str, tuple[str, ...], bool], ...], tuple[str, ...]], _classes_row
)


def _is_method(index: ProjectIndex, cls: Definition, name: str) -> bool:
    info = index.modules[cls.module].defs.get(f"{cls.qualname}.{name}")
    return info is not None and info.kind in (DEF, ASYNC_DEF)


# --- receiver typing -------------------------------------------------------------------


class ReceiverTyper:
    """Static type of receiver expressions, seen from one module."""

    def __init__(self, index: ProjectIndex, model: NotifierModel, module: str) -> None:
        self.index = index
        self.model = model
        self.module = module

    # Expressions are dotted strings ("x", "self._notifier", "a.b.c") or ast nodes.
    def of_dotted(self, scope: str, dotted: str, depth: int = 0) -> Receiver:
        if depth > _MAX_DEPTH:
            return UNKNOWN
        head, _, rest = dotted.partition(".")
        if head == "self" and rest:
            cls = self.index.enclosing_class(self.module, scope)
            if cls is None:
                return UNKNOWN
            attr, _, more = rest.partition(".")
            base = self.attribute(cls, attr, depth + 1)
            return self._walk(base, more, depth)
        found = self.index.lookup_binding(self.module, scope, head)
        if found is None:
            target = self.index.resolve(self.module, scope, head)
            if target is None:
                return UNKNOWN
            base = OTHER
        else:
            bscope, binding = found
            base = self.of_binding(self.module, bscope, head, binding, depth + 1)
        return self._walk(base, rest, depth)

    def _walk(self, base: Receiver, rest: str, depth: int) -> Receiver:
        for attr in rest.split(".") if rest else ():
            if base.kind != "class" or base.cls is None:
                return UNKNOWN if base.kind == "unknown" else OTHER
            base = self.attribute(base.cls, attr, depth + 1)
        return base

    def of_binding(self, module: str, scope: str, name: str, b: Binding, depth: int) -> Receiver:
        if depth > _MAX_DEPTH:
            return UNKNOWN
        if b.kind == PARAM:
            if b.annotation:
                return self.of_annotation(module, _outer(scope), b.annotation)
            return UNKNOWN
        if b.kind == ASSIGN:
            if b.annotation:
                return self.of_annotation(module, scope, b.annotation)
            if b.value:
                return self.of_call(module, scope, b.value, depth + 1)
            if b.value_kind in ("literal", "dict", "list", "set"):
                return OTHER
            return UNKNOWN
        if b.kind == ALIAS:
            if b.target.split(".")[0] == name:
                return UNKNOWN
            sub = ReceiverTyper(self.index, self.model, module) if module != self.module else self
            return sub.of_dotted(scope, b.target, depth + 1)
        if b.kind in (IMPORT, FROM, DEF, ASYNC_DEF, CLASS):
            return OTHER
        return UNKNOWN

    def of_annotation(self, module: str, scope: str, text: str) -> Receiver:
        inner = _unwrap_annotation(text)
        if inner is None:
            return OTHER
        if bare(inner) in MOCK_FACTORIES:
            return MOCK
        if inner in ("Any", "typing.Any", "object"):
            return UNKNOWN
        if ambiguous(self.index, module, scope, inner):
            return UNKNOWN
        target = self.index.resolve(module, scope, inner)
        if isinstance(target, Definition) and target.kind == CLASS:
            return Receiver("class", target)
        if target is None:
            entry = self.model.contract_entry(inner)
            if entry is not None:
                return Receiver("contract", contract=entry)
        return OTHER

    def of_call(self, module: str, scope: str, callee: str, depth: int) -> Receiver:
        if depth > _MAX_DEPTH:
            return UNKNOWN
        if bare(callee) in MOCK_FACTORIES:
            return MOCK
        if ambiguous(self.index, module, scope, callee):
            return UNKNOWN
        target = self.index.resolve(module, scope, callee)
        if isinstance(target, Definition):
            if target.kind == CLASS:
                return Receiver("class", target)
            return self.of_function_result(target, depth + 1)
        if isinstance(target, (ModuleRef, Value)):
            return OTHER
        # `obj.method(...)` on a typed object: the method's return annotation.
        if "." in callee:
            owner, _, meth = callee.rpartition(".")
            sub = self if module == self.module else ReceiverTyper(self.index, self.model, module)
            base = sub.of_dotted(scope, owner, depth + 1)
            if base.kind == "class" and base.cls is not None:
                member = self.index.member(base.cls, meth)
                if isinstance(member, Definition) and member.kind in (DEF, ASYNC_DEF):
                    return self.of_function_result(member, depth + 1)
                return OTHER
            if base.kind in ("mock",):
                return MOCK
            head = self.index.lookup_binding(module, scope, callee.split(".")[0])
            if head is not None and head[1].kind in (IMPORT, FROM):
                return OTHER  # a library's object
            return UNKNOWN
        head = self.index.lookup_binding(module, scope, callee)
        if head is not None and head[1].kind in (IMPORT, FROM):
            return OTHER  # a library's class or function
        return UNKNOWN

    def of_function_result(self, fn: Definition, depth: int) -> Receiver:
        info = fn.info
        if info.kind == CLASS:
            return Receiver("class", fn)
        if info.returns:
            return self.of_annotation(fn.module, info.scope, info.returns)
        if len(set(info.return_calls)) == 1 and not info.returns_names and not info.returns_self_attr:
            return self.of_call(fn.module, fn.qualname, info.return_calls[0], depth + 1)
        return UNKNOWN

    def attribute(self, cls: Definition, attr: str, depth: int) -> Receiver:
        """The type of ``instance.attr`` for an instance of project class ``cls``."""
        if depth > _MAX_DEPTH:
            return UNKNOWN
        for c in self.index.mro(cls):
            facts = self.index.modules[c.module]
            member = facts.defs.get(f"{c.qualname}.{attr}")
            if member is not None:
                if member.kind in (DEF, ASYNC_DEF) and any(
                    bare(d) in ("property", "cached_property") for d in member.decorators
                ):
                    return self.of_function_result(Definition(c.module, member.qualname, member), depth + 1)
                return OTHER
            scope = facts.scopes.get(c.qualname)
            if scope is not None and attr in scope.bindings:
                b = scope.bindings[attr][-1]
                if b.annotation:
                    return self.of_annotation(c.module, c.info.scope, b.annotation)
            summary = c.info.self_attrs.get(attr)
            if summary is None:
                continue
            if summary.startswith("annotated:"):
                return self.of_annotation(c.module, c.info.scope, summary[len("annotated:") :])
            if summary.startswith("call:"):
                method = c.info.self_attr_names.get(attr, (c.qualname, ""))[0]
                return self.of_call(c.module, method, summary[len("call:") :], depth + 1)
            if summary == "name" and attr in c.info.self_attr_names:
                method, name = c.info.self_attr_names[attr]
                if name.startswith("self."):
                    return self.attribute(c, name.split(".")[1], depth + 1) if name.count(".") == 1 else UNKNOWN
                found = self.index.lookup_binding(c.module, method, name.split(".")[0])
                if found is not None and "." not in name:
                    return self.of_binding(c.module, found[0], name, found[1], depth + 1)
                return UNKNOWN
            if summary in ("literal", "dict", "list", "set"):
                return OTHER
            return UNKNOWN
        return UNKNOWN


def _defining_bindings(bindings: list[Binding]) -> list[Binding]:
    return [b for b in bindings if not b.type_checking and b.kind in (CLASS, DEF, ASYNC_DEF, ALIAS, ASSIGN, FROM)]


def _star_exporters(index: ProjectIndex, module: str, name: str) -> int:
    """How many of ``module``'s star imports export ``name``."""
    facts = index.modules.get(module)
    if facts is None:
        return 0
    n = 0
    for star in facts.module_scope.star_imports:
        src = index.modules.get(star)
        if src is None:
            continue
        if src.all_names is not None:
            n += name in src.all_names
        elif not name.startswith("_") and name in src.module_scope.bindings:
            n += 1
    return n


def _member_ambiguous(index: ProjectIndex, module: str, name: str) -> bool:
    facts = index.modules.get(module)
    if facts is None:
        return False
    bindings = _defining_bindings(facts.module_scope.bindings.get(name, []))
    if not bindings:
        return _star_exporters(index, module, name) >= 2
    # `if sys.platform == "win32": class X ... else: class X ...`, or `X = None` then
    # `X = Impl`.  Import fallbacks (`try: from a import X` / `except: from b import X`)
    # name the same API and are not ambiguous.
    return len(bindings) >= 2 and not all(b.kind == FROM for b in bindings)


def ambiguous(index: ProjectIndex, module: str, scope: str, dotted: str) -> bool:
    """May ``dotted`` name different definitions at run time (platform-dependent star
    imports, conditional class definitions)?  The index picks one; typing should not."""
    head, _, rest = dotted.partition(".")
    found = index.lookup_binding(module, scope, head)
    if found is None:
        if _star_exporters(index, module, head) >= 2:
            return True
    else:
        bscope, b = found
        facts = index.modules.get(module)
        if facts is not None:
            scope_facts = facts.scopes.get(bscope)
            if scope_facts is not None and bscope == "" and _member_ambiguous(index, module, head):
                return True
        if b.kind == FROM and _member_ambiguous(index, b.target, b.name):
            return True
    cur = index.resolve(module, scope, head)
    for attr in rest.split(".") if rest else ():
        if isinstance(cur, ModuleRef) and _member_ambiguous(index, cur.module, attr):
            return True
        if cur is None:
            return False
        cur = index.member(cur, attr)
    return False


def _outer(scope: str) -> str:
    return scope.rpartition(".")[0] if scope else ""


# Annotations repeat across a project (`Optional[UserExecutionContext]`): each text is parsed
# once per process (the result is only read).
@functools.lru_cache(maxsize=8192)
def _unwrap_annotation(text: str) -> str | None:
    """The single class an annotation names: ``Optional[X]``, ``X | None``, ``"X"`` -> ``X``."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None
    for _ in range(6):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value.strip(), mode="eval").body
            except SyntaxError:
                return None
            continue
        if isinstance(node, ast.Subscript):
            head = dotted_name(node.value)
            if head is None:
                return None
            if bare(head) in _WRAPPERS:
                sl = node.slice
                node = sl.elts[0] if isinstance(sl, ast.Tuple) and sl.elts else sl
                continue
            if bare(head) == "Union":
                sl = node.slice
                elts = [e for e in (sl.elts if isinstance(sl, ast.Tuple) else [sl]) if not _is_none(e)]
                if len(elts) != 1:
                    return None
                node = elts[0]
                continue
            return None  # a generic: list[X], dict[...]; not a single class
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            parts = [p for p in _flatten_or(node) if not _is_none(p)]
            if len(parts) != 1:
                return None
            node = parts[0]
            continue
        return dotted_name(node)
    return None


def _flatten_or(node: ast.expr) -> Iterable[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        yield from _flatten_or(node.left)
        yield from _flatten_or(node.right)
    else:
        yield node


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def annotation_mentions(text: str | None, names: Iterable[str]) -> bool:
    """Does the annotation name one of ``names`` (as a whole identifier)?"""
    if not text:
        return False
    inner = _unwrap_annotation(text)
    return inner is not None and bare(inner) in (names if isinstance(names, (set, frozenset)) else set(names))


__all__ = [
    "MOCK_FACTORIES",
    "NOTIFIER_SUFFIXES",
    "NotifierModel",
    "Receiver",
    "ReceiverTyper",
    "annotation_mentions",
    "bare",
    "has_notifier_suffix",
    "is_test_double_name",
    "NOTIFIER_MODEL",
    "RELEVANT_NAMES",
    "TABLES",
    "notifier_model",
]
