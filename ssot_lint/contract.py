"""The contract the rules check against, merged from three sources.

1. **The reference module** (``contract.module``, default ``ssot_lint.reference``, or a
   team's own factory module).  Its file is *found* (project root first, then the
   directories on ``sys.path`` and the locations installed packages declare) and
   *parsed* with the facts pass, never imported.  From its factories we derive the
   classes they construct and return (and the per-user components wired into
   those), the notifier Protocol and its methods, the notifier-carrying constructor
   parameters, the factory entry points and the user-context class.
2. **Config** (``[tool.ssot-lint.contract]``): ``managed``, ``allow-construction-in``,
   ``notifier-params``, ``notifier-classes``, ``factory-internal-methods``.
3. **Inference** from the linted project (``contract.infer``, on by default): a non-test
   function named like a factory (``create_*``, ``*_for_user``, or a method of a
   ``*Factory`` class) that takes the user context (a parameter annotated with a
   context class of the contract, resolved through the project's imports; a name such
   as ``context`` is not enough) and returns a new instance of a project class makes
   that class managed, constructible only in the factory's module and its own. Value
   objects (dataclasses and NamedTuples of plain values) are never managed.

Every entry remembers its ``origin`` (``"reference"``, ``"config"``, ``"inferred"``)
and the ``file:line`` it came from.  Everything is derived from facts (``ast``), so
building the contract is cheap; the reference part is cached per process.
"""

from __future__ import annotations

import builtins
import fnmatch
import importlib.machinery
import importlib.util
import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .config import Config
from .facts import (
    ALIAS,
    ASSIGN,
    ASYNC_DEF,
    CLASS,
    DEF,
    FROM,
    IMPORT,
    CallFact,
    DefInfo,
    ModuleFacts,
    extract_facts,
    mentions_any,
)
from .index import Definition, ProjectIndex
from .rows import ModuleRow

REFERENCE = "reference"
CONFIG = "config"
INFERRED = "inferred"

_MAX_REFERENCE_MODULES = 400
_MAX_FOLLOW = 4  # how deep `return self._helper(ctx)` chains are followed


@dataclass(frozen=True)
class ManagedClass:
    """A class that only its factory may construct."""

    name: str  # a bare class name, or a dotted path "pkg.mod.Class"
    allowed_in: tuple[str, ...]  # module globs where construction is allowed
    origin: str = "config"  # "reference" | "config" | "inferred"
    source: str | None = None  # file:line it came from (the construction in the factory, or the config line)
    defined_at: str | None = None  # file:line of the class definition, when known
    factory: str | None = None  # the factory function that builds it ("pkg.mod.Factory.create_for_user")
    role: str | None = None  # "returned" (the factory returns it) | "component" (wired into what it returns)
    ignored_factories: tuple[str, ...] = ()  # other functions building it, outranked by `factory`

    def matches(self, definition: Definition) -> bool:
        if "." in self.name:
            return definition.fullname == self.name
        return definition.qualname == self.name


@dataclass(frozen=True)
class NotifierMethod:
    name: str
    is_async: bool
    params: tuple[str, ...] = ()  # parameter names after self


@dataclass(frozen=True)
class NotifierClass:
    """A class (or Protocol) whose instances deliver a user's events."""

    name: str  # bare or dotted
    methods: tuple[NotifierMethod, ...] = ()  # empty when only the name is known (config)
    origin: str = "config"
    source: str | None = None
    protocol: bool = False  # the Protocol itself, rather than an implementation
    implements: str | None = None  # for implementations: the protocol they implement

    def matches(self, definition: Definition) -> bool:
        if "." in self.name:
            return definition.fullname == self.name
        return definition.qualname == self.name


@dataclass(frozen=True)
class NotifierParam:
    """A constructor/function parameter (or attribute) name that carries a notifier."""

    name: str
    origin: str = "config"
    source: str | None = None
    owner: str | None = None  # "UserExecutionEngine.__init__"
    annotation: str | None = None


@dataclass(frozen=True)
class EntryPoint:
    """A factory method that builds per-user objects (e.g. ``ExecutionEngineFactory.create_for_user``)."""

    owner: str  # class name ("" for a module-level function)
    method: str
    module: str | None = None
    origin: str = "config"
    source: str | None = None
    is_async: bool = False
    returns: tuple[str, ...] = ()  # the managed classes it hands out


@dataclass(frozen=True)
class ContextClass:
    """The per-request user context class that factories take."""

    name: str
    origin: str = "reference"
    source: str | None = None
    module: str | None = None


@dataclass
class Contract:
    managed: list[ManagedClass] = field(default_factory=list)
    factory_internal_methods: tuple[str, ...] = ()
    notifier_classes: list[NotifierClass] = field(default_factory=list)
    notifier_params: list[NotifierParam] = field(default_factory=list)
    entry_points: list[EntryPoint] = field(default_factory=list)
    context_classes: tuple[str, ...] = ("UserExecutionContext",)
    contexts: list[ContextClass] = field(default_factory=list)
    module: str | None = None  # the reference module
    module_path: str | None = None  # where it was found (None: not found)
    warnings: list[str] = field(default_factory=list)

    # Lookups by bare and dotted name; rebuilt when an entry list changes.
    def _lookup(self, entries: list) -> tuple[dict[str, list], dict[str, list]]:
        key = (id(entries), len(entries), id(entries[-1]) if entries else 0)
        cache = self.__dict__.setdefault("_lookups", {})
        hit = cache.get(key)
        if hit is None:
            bare: dict[str, list] = {}
            dotted: dict[str, list] = {}
            for e in entries:
                (dotted if "." in e.name else bare).setdefault(e.name, []).append(e)
            hit = cache[key] = (bare, dotted)
        return hit

    def _matching(self, entries: list, definition: Definition) -> list:
        bare, dotted = self._lookup(entries)
        found = bare.get(definition.qualname, []) + dotted.get(definition.fullname, [])
        if len(found) > 1:  # keep the contract's order (reference, config, inferred)
            order = {id(e): i for i, e in enumerate(entries)}
            found.sort(key=lambda e: order[id(e)])
        return found

    def notifier_entry(self, definition: Definition) -> NotifierClass | None:
        found = self._matching(self.notifier_classes, definition)
        return found[0] if found else None

    def is_notifier_param(self, name: str) -> bool:
        return any(p.name == name for p in self.notifier_params)

    def managed_entries(self, definition: Definition) -> list[ManagedClass]:
        return self._matching(self.managed, definition)

    def managed_entry(self, definition: Definition) -> ManagedClass | None:
        found = self._matching(self.managed, definition)
        return found[0] if found else None

    def allowed_modules(self, definition: Definition) -> tuple[str, ...]:
        """Every module glob where ``definition`` may be constructed (besides its own module)."""
        out: list[str] = []
        for entry in self.managed_entries(definition):
            out.extend(g for g in entry.allowed_in if g not in out)
        return tuple(out)

    def construction_allowed(self, entry: ManagedClass, module: str, definition: Definition) -> bool:
        """Construction is allowed in the class's own module and the module globs of its entries."""
        if module == definition.module:
            return True
        globs = set(entry.allowed_in) | set(self.allowed_modules(definition))
        return any(fnmatch.fnmatchcase(module, glob) for glob in globs)

    def to_dict(self) -> dict:
        """A JSON-ready view (``ssot-lint contract --format json``)."""

        def entry(obj: object) -> dict:
            out: dict = {}
            for k, v in vars(obj).items():
                if k == "methods":
                    v = [{"name": m.name, "is_async": m.is_async, "params": list(m.params)} for m in v]
                elif isinstance(v, tuple):
                    v = list(v)
                out[k] = v
            return out

        return {
            "module": self.module,
            "module_path": self.module_path,
            "context_classes": [entry(c) for c in self.contexts],
            "managed": [entry(m) for m in self.managed],
            "entry_points": [entry(e) for e in self.entry_points],
            "notifier_classes": [entry(n) for n in self.notifier_classes],
            "notifier_params": [entry(p) for p in self.notifier_params],
            "factory_internal_methods": list(self.factory_internal_methods),
            "warnings": list(self.warnings),
        }


# --- finding the reference module without importing it ----------------------------------------


def _module_file_under(base: Path, parts: list[str]) -> Path | None:
    *pkgs, last = parts
    d = base
    for p in pkgs:
        d = d / p
        if not d.is_dir():
            return None
    for candidate in (d / last / "__init__.py", d / f"{last}.py"):
        if candidate.is_file():
            return candidate
    return None


def _installed_locations(top: str) -> list[Path]:
    """Directories that hold the top-level package ``top`` (its ``__path__``), found without importing.

    ``find_spec`` of a *top-level* name only locates it (only dotted names import their
    parents); this covers editable installs whose finders are import hooks.
    """
    try:
        spec = importlib.machinery.PathFinder.find_spec(top) or importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    if spec.submodule_search_locations:
        return [Path(p).parent for p in spec.submodule_search_locations]
    if spec.origin and spec.origin not in ("built-in", "frozen"):
        return [Path(spec.origin).parent]
    return []


def find_module_file(module: str, root: Path) -> Path | None:
    """The source file of ``module``: under the project root first, then installed packages.

    Nothing is imported or executed.
    """
    parts = module.split(".")
    if not all(p.isidentifier() for p in parts):
        return None
    bases: list[Path] = [root, root / "src"]
    for entry in sys.path:
        bases.append(Path(entry) if entry else Path.cwd())
    for base in bases:
        hit = _module_file_under(base, parts)
        if hit is not None:
            return hit
    for base in _installed_locations(parts[0]):
        hit = _module_file_under(base, parts)
        if hit is not None:
            return hit
    return None


def _base_of(path: Path, module: str, is_package: bool) -> Path:
    """The directory that holds the top-level package of ``module`` found at ``path``."""
    depth = module.count(".") + (1 if is_package else 0)
    base = path.parent
    for _ in range(depth):
        base = base.parent
    return base


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


@dataclass
class _Parsed:
    index: ProjectIndex
    paths: dict[str, str]  # module -> display path
    stamp: tuple


# The facts of a reference module from its bytes, module name, display path and whether it
# is a package's ``__init__`` (``ReferenceCache``).
FactsSource = Callable[[bytes, str, str, bool], ModuleFacts]


class ReferenceCache:
    """Parsed reference packages, reused while their files are unchanged (``_Parsed.stamp``).

    Owned by what builds contracts again and again (a ``Linter``: its reference-only
    contract, then the inferred one; the language server's, for every check): never a
    module global, so nothing outlives its owner."""

    def __init__(self, facts: FactsSource | None = None) -> None:
        """``facts(text_bytes, module, display path, is package)``: a module's facts, e.g.
        from the facts cache by content (default: extracted)."""
        self._entries: dict[tuple[str, str, str], tuple[_Parsed, _Derived]] = {}
        self.facts = facts

    def get(self, key: tuple[str, str, str]) -> tuple[_Parsed, _Derived] | None:
        found = self._entries.get(key)
        return found if found is not None and _stamp_valid(found[0].stamp) else None

    def put(self, key: tuple[str, str, str], value: tuple[_Parsed, _Derived]) -> None:
        self._entries[key] = value


def _parse_package(module: str, path: Path, root: Path, facts_of: FactsSource | None = None) -> _Parsed:
    """Facts of ``module`` and the modules of its package it imports (transitively)."""
    is_package = path.name == "__init__.py"
    base = _base_of(path, module, is_package)
    top = module.split(".")[0]
    facts: list[ModuleFacts] = []
    paths: dict[str, str] = {}
    stamp: list[tuple[str, int, int]] = []
    queue = [(module, path)]
    seen = {module}
    while queue and len(facts) < _MAX_REFERENCE_MODULES:
        name, file = queue.pop(0)
        try:
            data = file.read_bytes()
            st = file.stat()
        except OSError:
            continue
        stamp.append((str(file), st.st_mtime_ns, st.st_size))
        if facts_of is not None:
            fa = facts_of(data, name, _display(file, root), file.name == "__init__.py")
        else:
            fa = extract_facts(
                data.decode("utf-8", errors="replace"), name, _display(file, root), file.name == "__init__.py"
            )
        facts.append(fa)
        paths[name] = fa.path
        wanted: list[str] = []
        for scope in fa.scopes.values():
            for bindings in scope.bindings.values():
                for b in bindings:
                    if b.kind == FROM:
                        wanted += [b.target, f"{b.target}.{b.name}"]
                    elif b.kind == IMPORT:
                        wanted.append(b.target)
            wanted += scope.star_imports
        # `import a.b.c` binds `a`; the facts keep the head only, so also walk the parents.
        for w in wanted:
            if w.split(".")[0] != top or w in seen:
                continue
            seen.add(w)
            hit = _module_file_under(base, w.split("."))
            if hit is not None:
                queue.append((w, hit))
            parent = w.rsplit(".", 1)[0]
            if parent not in seen and "." in w:
                seen.add(parent)
                phit = _module_file_under(base, parent.split("."))
                if phit is not None:
                    queue.append((parent, phit))
    return _Parsed(ProjectIndex(facts), paths, tuple(stamp))


def _stamp_valid(stamp: tuple) -> bool:
    for file, mtime, size in stamp:
        try:
            st = os.stat(file)
        except OSError:
            return False
        if st.st_mtime_ns != mtime or st.st_size != size:
            return False
    return True


# --- derivation: factories, managed classes, notifiers ------------------------------------------

_EXCEPTION_NAMES = frozenset(
    name for name, obj in vars(builtins).items() if isinstance(obj, type) and issubclass(obj, BaseException)
)
_PROTOCOL_BASES = ("Protocol", "typing.Protocol", "typing_extensions.Protocol", "t.Protocol")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
# Names in annotations that are never a context class nor a collaborator.
_TYPING_WORDS = frozenset(
    {
        "Optional",
        "Union",
        "None",
        "Any",
        "List",
        "Dict",
        "Set",
        "FrozenSet",
        "Tuple",
        "Sequence",
        "Mapping",
        "Iterable",
        "Callable",
        "Type",
        "ClassVar",
        "Final",
        "Annotated",
        "Literal",
        "list",
        "dict",
        "set",
        "tuple",
        "frozenset",
        "str",
        "int",
        "float",
        "bool",
        "bytes",
        "object",
        "type",
    }
)


def snake(name: str) -> str:
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return s.lower()


def name_variants(class_name: str) -> set[str]:
    """Parameter names that read like an instance of ``class_name``: its snake case and word suffixes.

    ``UserWebSocketEmitter`` -> user_web_socket_emitter, web_socket_emitter, socket_emitter,
    emitter, plus the ``websocket`` spelling of each.
    """
    words = snake(class_name).split("_")
    out: set[str] = set()
    for i in range(len(words)):
        v = "_".join(words[i:])
        out.add(v)
        out.add(v.replace("web_socket", "websocket"))
    return {v for v in out if v}


def _annotation_names(annotation: str | None) -> set[str]:
    if not annotation:
        return set()
    return set(_IDENT.findall(annotation))


def _is_factory_name(info: DefInfo, owner: str | None) -> bool:
    name = info.name
    if name.startswith("__") and name.endswith("__"):
        return False
    return name.startswith("create_") or name.endswith("_for_user") or bool(owner and owner.endswith("Factory"))


@dataclass(frozen=True)
class _Built:
    """A construction found in a factory."""

    cls: Definition
    call: CallFact  # the construction (possibly in a helper the factory returns through)
    factory: Definition  # the factory function
    role: str  # "returned" | "component"


@dataclass
class _Derived:
    contexts: list[ContextClass] = field(default_factory=list)
    built: list[tuple[Definition, list[_Built]]] = field(default_factory=list)  # (entry function, constructions)
    entry_points: list[EntryPoint] = field(default_factory=list)
    managed: list[ManagedClass] = field(default_factory=list)
    notifier_classes: list[NotifierClass] = field(default_factory=list)
    notifier_params: list[NotifierParam] = field(default_factory=list)


class _Analyzer:
    """Finds per-user factories in an index and what they construct."""

    def __init__(
        self,
        index: ProjectIndex,
        context_names: set[str],
        display: Callable[[str], str],
        *,
        context_suffix: bool = False,
    ) -> None:
        self.index = index
        self.context_suffix = context_suffix  # bootstrap: any class named `*Context` is a context
        self.set_contexts(context_names)
        self.display = display

    def set_contexts(self, names: set[str]) -> None:
        """The context classes; parameters named like them (`user_execution_context`, `context`, `ctx`) count too."""
        self.context_names = set(names)
        self._ctx_memo: dict[tuple[str, str, str], bool] = {}
        self._memo: dict[tuple[str, str], list[_Built]] = {}

    # --- contexts -----------------------------------------------------------------
    def context_param(self, info: DefInfo, module: str = "") -> str | None:
        """The first parameter that takes the user context: annotated with a context class.

        A *name* (``context``, ``ctx``) is not enough: the annotation must resolve, through
        the project's imports, to a context class of the contract (or a project subclass of
        one), or name one imported from outside the project or bound nowhere. ``Optional[str]``, ``Dict`` or
        another ``*Context`` class do not count.
        """
        for p in info.params:
            if p.kind in ("vararg", "kwarg") or p.name in ("self", "cls"):
                continue
            if self.is_context_annotation(module, info.scope, p.annotation):
                return p.name
        return None

    def context_params(self, info: DefInfo, module: str = "") -> set[str]:
        return {
            p.name
            for p in info.params
            if p.name not in ("self", "cls") and self.is_context_annotation(module, info.scope, p.annotation)
        }

    def is_context_annotation(self, module: str, scope: str, annotation: str | None) -> bool:
        if not annotation:
            return False
        for dotted in _DOTTED.findall(annotation):
            last = dotted.rsplit(".", 1)[-1]
            if self.context_suffix:  # bootstrap on the reference module, which is trusted
                if last.endswith("Context"):
                    return True
                continue
            if last in _TYPING_WORDS:
                continue
            if self._is_context_class(module, scope, dotted):
                return True
        return False

    def _is_context_class(self, module: str, scope: str, dotted: str) -> bool:
        """Does ``dotted`` (seen from ``scope`` of ``module``) name a context class?"""
        key = (module, scope, dotted)
        hit = self._ctx_memo.get(key)
        if hit is None:
            hit = self._ctx_memo[key] = self._compute_is_context(module, scope, dotted)
        return hit

    def _compute_is_context(self, module: str, scope: str, dotted: str) -> bool:
        index = self.index
        last = dotted.rsplit(".", 1)[-1]
        target = index.resolve(module, scope, dotted)
        if target is None:
            # A `TYPE_CHECKING` import (resolution skips those), or a class outside the project.
            head, _, rest = dotted.partition(".")
            facts = index.get_module(module)
            binding = None
            if facts is not None:
                for q in index.scope_chain(module, scope):
                    s = facts.scopes.get(q)
                    found = s.bindings.get(head) if s is not None else None
                    if found:
                        binding = found[-1]
                        break
            if binding is None:  # named in the annotation, bound nowhere: the name is the evidence
                return last in self.context_names
            if binding.kind == FROM:
                target = index.module_member(binding.target, binding.name)
                for attr in rest.split(".") if rest else ():
                    target = index.member(target, attr) if target is not None else None
                if target is None:
                    return last in self.context_names and not index.has_module(binding.target)
            elif binding.kind == IMPORT:
                return last in self.context_names and not index.has_module(binding.target)
            else:
                return False
        if isinstance(target, Definition) and target.kind == CLASS:
            return any(c.info.name in self.context_names for c in index.mro(target))
        return False

    def context_class_of(self, fn: Definition, param: str) -> Definition | None:
        for p in fn.info.params:
            if p.name == param and p.annotation:
                for n in sorted(_annotation_names(p.annotation)):
                    if n in self.context_names or n.endswith("Context"):
                        d = self.index.resolve_definition(fn.module, fn.info.scope, n)
                        if d is not None and d.kind == CLASS:
                            return d
        return None

    # --- value objects ----------------------------------------------------------------
    def is_value_object(self, cls: Definition, depth: int = 0) -> bool:
        """A dataclass or NamedTuple holding only plain values: no per-user collaborators
        (a field typed with a context class or a project class that is not itself a value
        object) and no container of those. Value objects are never factory-managed."""
        info = cls.info
        dataclass_like = any(
            d.removesuffix("()").rsplit(".", 1)[-1] in ("dataclass", "define", "frozen", "attrs", "s")
            for d in info.decorators
        ) or any(b.rsplit(".", 1)[-1] == "NamedTuple" for b in info.bases)
        if not dataclass_like or depth > 3:
            return False
        if any(b.rsplit(".", 1)[-1] != "NamedTuple" for b in info.bases):
            # a base may add state: only value-object bases keep it a value object
            for base in self.index.bases(cls):
                if not self.is_value_object(base, depth + 1):
                    return False
            if len(self.index.bases(cls)) != sum(1 for b in info.bases if b.rsplit(".", 1)[-1] != "NamedTuple"):
                return False  # a base outside the project: unknown state
        facts = self.index.get_module(cls.module)
        scope = facts.scopes.get(cls.qualname) if facts else None
        annotations = [b.annotation for bs in (scope.bindings.values() if scope else ()) for b in bs if b.annotation]
        annotations += [a[3] for a in info.init_attrs if a[3]]
        if any(a[1] == "call" and a[2] and not a[3] for a in info.init_attrs):
            return False  # `self.x = Collaborator(...)` in `__post_init__`
        for ann in annotations:
            for dotted in _DOTTED.findall(ann):
                if dotted.rsplit(".", 1)[-1] in _TYPING_WORDS:
                    continue
                if self._is_context_class(cls.module, cls.qualname, dotted):
                    return False
                target = self.index.resolve(cls.module, info.scope, dotted)
                if isinstance(target, Definition) and target.kind == CLASS and target.fullname != cls.fullname:
                    if not (self.is_value_object(target, depth + 1) or self._is_enum(target)):
                        return False
        return True

    def _is_enum(self, cls: Definition) -> bool:
        return any(
            b.rsplit(".", 1)[-1] in ("Enum", "IntEnum", "StrEnum", "Flag", "IntFlag")
            for c in self.index.mro(cls)
            for b in c.info.bases
        )

    # --- what a call builds ---------------------------------------------------------
    def is_exception(self, cls: Definition) -> bool:
        for c in self.index.mro(cls):
            for base in c.info.bases:
                last = base.rsplit(".", 1)[-1]
                if last in _EXCEPTION_NAMES or last.endswith(("Error", "Exception", "Warning")):
                    return True
        return False

    def owner_class(self, fn: Definition) -> Definition | None:
        if "." not in fn.qualname:
            return None
        owner = self.index.definition(fn.module, fn.qualname.rsplit(".", 1)[0])
        return owner if owner is not None and owner.kind == CLASS else None

    def alternate_constructor_of(self, fn: Definition) -> Definition | None:
        """``Cls.m`` when ``m`` is a classmethod returning a new ``cls(...)``/``Cls(...)``."""
        if "classmethod" not in fn.info.decorators:
            return None
        owner = self.owner_class(fn)
        if owner is None:
            return None
        for call in fn.info.calls:
            if call.callee in ("cls", owner.info.name) and (
                call.returned or (call.target and call.target in fn.info.returns_names)
            ):
                return owner
        return None

    def constructed(self, fn: Definition, call: CallFact) -> Definition | None:
        """The project class a call in ``fn`` constructs, if it constructs one."""
        if call.raised:
            return None
        target = self.index.resolve(fn.module, fn.qualname, call.callee)
        if not isinstance(target, Definition):
            return None
        cls: Definition | None
        if target.kind == CLASS:
            cls = target
        elif target.kind in (DEF, ASYNC_DEF):
            cls = self.alternate_constructor_of(target)
            if cls is None:
                return None
        else:
            return None
        if self.is_exception(cls) or cls.info.name in self.context_names:
            return None
        return cls

    def callee_function(self, fn: Definition, call: CallFact) -> Definition | None:
        """A project function/method that ``call`` invokes (``self.helper``, ``helper``)."""
        head, _, rest = call.callee.partition(".")
        if head in ("self", "cls") and rest and "." not in rest:
            owner = self.owner_class(fn)
            if owner is None:
                return None
            target = self.index.member(owner, rest)
        else:
            target = self.index.resolve(fn.module, fn.qualname, call.callee)
        if isinstance(target, Definition) and target.kind in (DEF, ASYNC_DEF):
            return target
        return None

    def _local_is_fresh(self, fn: Definition, name: str) -> bool:
        facts = self.index.get_module(fn.module)
        scope = facts.scopes.get(fn.qualname) if facts else None
        if scope is None:
            return False
        bindings = scope.bindings.get(name, [])
        return bool(bindings) and all(b.kind == ASSIGN and b.value_kind in ("call", "other") for b in bindings)

    def builds(self, fn: Definition, depth: int = 0) -> list[_Built]:
        """The new instances ``fn`` returns, and the per-user components wired into them."""
        key = (fn.module, fn.qualname)
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = []  # cycle guard
        info = fn.info
        calls = info.calls
        classes = [self.constructed(fn, c) for c in calls]
        returned: set[int] = set()
        out: list[_Built] = []
        for i, c in enumerate(calls):
            is_ret = c.returned or (c.target and c.target in info.returns_names and self._local_is_fresh(fn, c.target))
            if not is_ret:
                continue
            if classes[i] is not None:
                returned.add(i)
            elif depth < _MAX_FOLLOW:
                helper = self.callee_function(fn, c)
                if helper is not None and helper.info.kind in (DEF, ASYNC_DEF) and not helper.info.has_yield:
                    out.extend(self.builds(helper, depth + 1))
        if returned:
            tainted = self._tainted(fn)
            comp: set[int] = set()
            changed = True
            while changed:
                changed = False
                wired = returned | comp
                wired_args = {n for j in wired for n in calls[j].arg_names}
                for i, c in enumerate(calls):
                    if i in wired or classes[i] is None:
                        continue
                    flows = c.parent in wired or (c.target and c.target in wired_args)
                    if flows and set(c.arg_names) & tainted:
                        comp.add(i)
                        changed = True
            for i in sorted(returned | comp):
                out.append(_Built(classes[i], calls[i], fn, "returned" if i in returned else "component"))  # type: ignore[arg-type]  # only indices with a class
        self._memo[key] = out
        return out

    def _tainted(self, fn: Definition) -> set[str]:
        """Names holding per-user data: the context parameters and what is derived from them."""
        tainted = self.context_params(fn.info, fn.module)
        facts = self.index.get_module(fn.module)
        scope = facts.scopes.get(fn.qualname) if facts else None
        changed = True
        while changed:
            changed = False
            for c in fn.info.calls:
                if c.target and c.target not in tainted and set(c.arg_names) & tainted:
                    tainted.add(c.target)
                    changed = True
            if scope is not None:
                for name, bindings in scope.bindings.items():
                    if name in tainted:
                        continue
                    for b in bindings:
                        if b.kind == ALIAS and b.target.split(".")[0] in tainted:
                            tainted.add(name)
                            changed = True
                            break
        return tainted

    # --- factories ------------------------------------------------------------------
    def factory_candidates(
        self, modules: Iterable[ModuleFacts], is_test: Callable[[str], bool]
    ) -> Iterable[Definition]:
        for facts in modules:
            if not is_test(facts.path):
                yield from self.candidates_among(facts, factory_defs(facts))

    def candidates_among(self, facts: ModuleFacts, qualnames: Iterable[str]) -> Iterable[Definition]:
        """The factory candidates among ``qualnames``, factory-shaped functions of the module
        (``factory_defs``): those with a parameter that takes the user context."""
        for q in qualnames:
            info = facts.defs.get(q)
            if info is not None and self.context_param(info, facts.module) is not None:
                yield Definition(facts.module, q, info)

    def where(self, module: str, line: int) -> str:
        return f"{self.display(module)}:{line}"


def _rank(fn: Definition) -> int:
    """How much a factory looks like *the* factory: a ``*Factory`` class method in a ``*factory`` module."""
    score = 0
    owner = fn.qualname.rsplit(".", 1)[0] if "." in fn.qualname else ""
    if owner.endswith("Factory"):
        score += 2
    if "factory" in fn.module.rsplit(".", 1)[-1]:
        score += 1
    return score


def _derive(
    an: _Analyzer,
    factories: list[Definition],
    origin: str,
    allowed_for: Callable[[Definition], tuple[str, ...]],
    bare_names: bool,
    skip: Callable[[Definition], bool] = lambda d: False,
) -> _Derived:
    """Managed classes, entry points, notifier classes/params from a list of factory functions."""
    out = _Derived()
    per_class: dict[str, list[_Built]] = {}
    classes: dict[str, Definition] = {}
    for fn in factories:
        # A value object (a dataclass of plain values) is never managed, whoever builds it.
        built = [b for b in an.builds(fn) if not an.is_value_object(b.cls)]
        if not built:
            continue
        out.built.append((fn, built))
        for b in built:
            # Credit the construction to the factory asked for it (`create_for_user`), not
            # to the private helper it delegates to (`_admit`), unless that is all there is.
            entry = _Built(b.cls, b.call, fn, b.role)
            per_class.setdefault(b.cls.fullname, []).append(entry)
            classes[b.cls.fullname] = b.cls
    winners: set[str] = set()
    for full, builds in per_class.items():
        cls = classes[full]
        best = max(_rank(b.factory) for b in builds)
        chosen = [b for b in builds if _rank(b.factory) == best]
        winners.update(b.factory.fullname for b in chosen)
        if skip(cls):  # already managed by an earlier source
            continue
        ignored = tuple(
            dict.fromkeys(
                f"{b.factory.fullname} ({an.where(b.factory.module, b.call.line)})" for b in builds if b not in chosen
            )
        )
        first = min(
            chosen,
            key=lambda b: (b.role != "returned", b.factory.info.name.startswith("_"), b.factory.module, b.call.line),
        )
        allowed: list[str] = []
        for b in chosen:
            allowed.extend(g for g in allowed_for(b.factory) if g not in allowed)
        out.managed.append(
            ManagedClass(
                cls.info.name if bare_names else cls.fullname,
                tuple(allowed),
                origin,
                an.where(first.factory.module, first.call.line),
                an.where(cls.module, cls.info.line),
                first.factory.fullname,
                first.role,
                ignored,
            )
        )
    # Entry points: public factories that hand out a managed instance (and were not outranked).
    for fn, built in out.built:
        if fn.info.name.startswith("_") and not fn.info.name.startswith("__"):
            continue
        if fn.fullname not in winners:
            continue
        owner = an.owner_class(fn)
        returns = tuple(dict.fromkeys(b.cls.info.name for b in built if b.role == "returned"))
        out.entry_points.append(
            EntryPoint(
                owner.info.name if owner else "",
                fn.info.name,
                fn.module,
                origin,
                an.where(fn.module, fn.info.line),
                fn.info.kind == ASYNC_DEF,
                returns,
            )
        )
    return out


def _methods(index: ProjectIndex, cls: Definition) -> dict[str, DefInfo]:
    out: dict[str, DefInfo] = {}
    for c in reversed(index.mro(cls)):
        facts = index.get_module(c.module)
        if facts is None:
            continue
        prefix = c.qualname + "."
        for q, info in facts.defs.items():
            if q.startswith(prefix) and "." not in q[len(prefix) :] and info.kind in (DEF, ASYNC_DEF):
                out[info.name] = info
    return out


def _notifier_method(info: DefInfo) -> NotifierMethod:
    params = tuple(p.name for p in info.params if p.name not in ("self", "cls"))
    return NotifierMethod(info.name, info.kind == ASYNC_DEF, params)


def _is_protocol(cls: Definition) -> bool:
    return any(b in _PROTOCOL_BASES or b.startswith(("Protocol[", "typing.Protocol[")) for b in cls.info.bases)


def _implements(index: ProjectIndex, cls: Definition, proto: Definition, proto_methods: set[str]) -> bool:
    if any(c.fullname == proto.fullname for c in index.mro(cls)):
        return True
    return bool(proto_methods) and proto_methods <= set(_methods(index, cls))


def _notifiers(
    an: _Analyzer,
    managed_classes: list[Definition],
    protocols: list[Definition],
    origin: str,
    bare_names: bool,
) -> list[NotifierClass]:
    """The notifier Protocols (those a managed class implements) and their managed implementations."""
    index = an.index
    out: list[NotifierClass] = []
    for proto in protocols:
        methods = {n: i for n, i in _methods(index, proto).items() if not n.startswith("_")}
        if not methods:
            continue
        impls = [
            c for c in managed_classes if c.fullname != proto.fullname and _implements(index, c, proto, set(methods))
        ]
        if not impls:
            continue
        pname = proto.info.name if bare_names else proto.fullname
        out.append(
            NotifierClass(
                pname,
                tuple(_notifier_method(i) for i in methods.values()),
                origin,
                an.where(proto.module, proto.info.line),
                protocol=True,
            )
        )
        for impl in impls:
            impl_methods = _methods(index, impl)
            out.append(
                NotifierClass(
                    impl.info.name if bare_names else impl.fullname,
                    tuple(_notifier_method(impl_methods[n]) for n in methods if n in impl_methods),
                    origin,
                    an.where(impl.module, impl.info.line),
                    protocol=False,
                    implements=pname,
                )
            )
    return out


def _notifier_params(
    an: _Analyzer, managed_classes: list[Definition], notifier_names: set[str], origin: str
) -> list[NotifierParam]:
    """Constructor parameters of managed classes annotated with a notifier class, or named like one."""
    like: set[str] = set()
    for n in notifier_names:
        like |= {v for v in name_variants(n) if v not in ("socket", "web_socket", "websocket", "user")}
    out: list[NotifierParam] = []
    for cls in managed_classes:
        init = _methods(an.index, cls).get("__init__")
        if init is None:
            continue
        for p in init.params:
            if p.name in ("self", "cls") or p.kind in ("vararg", "kwarg"):
                continue
            if _annotation_names(p.annotation) & notifier_names or p.name in like:
                out.append(
                    NotifierParam(
                        p.name, origin, an.where(cls.module, init.line), f"{cls.info.name}.__init__", p.annotation
                    )
                )
    return out


# --- the three sources ------------------------------------------------------------------------------


def _reference_part(module: str, root: Path, references: ReferenceCache) -> tuple[_Parsed | None, _Derived, str | None]:
    path = find_module_file(module, root)
    if path is None:
        return None, _Derived(), None
    key = (module, str(path.resolve()), str(root.resolve()))
    cached = references.get(key)
    if cached is not None:
        return cached[0], cached[1], str(path)
    parsed = _parse_package(module, path, root, references.facts)
    derived = _derive_reference(module, parsed)
    references.put(key, (parsed, derived))
    return parsed, derived, str(path)


def _derive_reference(module: str, parsed: _Parsed) -> _Derived:
    index = parsed.index
    an = _Analyzer(index, set(), lambda m: parsed.paths.get(m, m), context_suffix=True)
    top = index.get_module(module)
    if top is None:
        return _Derived()
    # Factories visible from the reference module: its own definitions and what it re-exports.
    visible: list[Definition] = [Definition(module, q, i) for q, i in top.defs.items()]
    for name, bindings in top.module_scope.bindings.items():
        if bindings and bindings[-1].kind == FROM:
            d = index.resolve_definition(module, "", name)
            if d is not None:
                visible.append(d)
    candidate_modules: dict[str, ModuleFacts] = {}
    owners: set[str] = set()
    for d in visible:
        owners.add(d.fullname)
        facts = index.get_module(d.module)
        if facts is not None:
            candidate_modules[d.module] = facts
    factories = [
        f
        for f in an.factory_candidates(candidate_modules.values(), lambda p: False)
        if f.fullname in owners or (an.owner_class(f) is not None and an.owner_class(f).fullname in owners)  # type: ignore[union-attr]  # not None: checked just before
    ]
    # The context class: what the factories' context parameters are annotated with.
    contexts: dict[str, ContextClass] = {}
    for f in factories:
        param = an.context_param(f.info, f.module)
        cls = an.context_class_of(f, param) if param else None
        if cls is not None and cls.info.name not in contexts:
            contexts[cls.info.name] = ContextClass(
                cls.info.name, REFERENCE, an.where(cls.module, cls.info.line), cls.module
            )
    an.context_suffix = False
    an.set_contexts(set(contexts) or {"UserExecutionContext"})

    def allowed_for(fn: Definition) -> tuple[str, ...]:
        last = fn.module.rsplit(".", 1)[-1]
        return tuple(dict.fromkeys((fn.module, f"*.{last}", last)))

    derived = _derive(an, factories, REFERENCE, allowed_for, bare_names=True)
    derived.contexts = list(contexts.values())
    # Entry points also include public factory methods handing out a managed class through a
    # context manager or iterator (``user_engine``), read from their annotation.
    managed_names = {m.name for m in derived.managed}
    known = {(e.owner, e.method) for e in derived.entry_points}
    for f in factories:
        owner = an.owner_class(f)
        oname = owner.info.name if owner else ""
        if f.info.name.startswith("_") or (oname, f.info.name) in known:
            continue
        hands_out = tuple(sorted(_annotation_names(f.info.returns) & managed_names))
        if hands_out:
            derived.entry_points.append(
                EntryPoint(
                    oname,
                    f.info.name,
                    f.module,
                    REFERENCE,
                    an.where(f.module, f.info.line),
                    f.info.kind == ASYNC_DEF,
                    hands_out,
                )
            )
    managed_defs = _managed_defs(index, derived.managed)
    protocols = [
        Definition(fa.module, q, i)
        for fa in index.modules.values()
        for q, i in fa.defs.items()
        if i.kind == CLASS and _is_protocol(Definition(fa.module, q, i))
    ]
    derived.notifier_classes = _notifiers(an, managed_defs, protocols, REFERENCE, bare_names=True)
    names = {n.name for n in derived.notifier_classes}
    derived.notifier_params = _notifier_params(an, managed_defs, names, REFERENCE)
    return derived


def _notifier_modules(index: ProjectIndex, screen: Screen | None, method_names: list[str]) -> list[ModuleFacts]:
    """The modules that may define a class implementing a notifier protocol with these methods.

    A class has all of a protocol's methods only if some class of its MRO defines each
    one. So the candidates are the classes that define one of the methods (in modules
    that mention its name) and their project subclasses, transitively (the class
    hierarchy, ``index.subclasses``). Linear in the project: the many modules that only
    mention the names (tests asserting that events were sent) add nothing but their
    own defining classes.
    """
    if not method_names:
        return []  # no protocol: no class can implement one
    if screen is None:
        return list(index.modules.values())
    names = frozenset(method_names)
    found: dict[str, ModuleFacts] = {}
    for fa in _screened(index, screen, "names:" + ",".join(method_names)):
        for q, info in fa.defs.items():
            if info.kind != CLASS or names.isdisjoint(info.members):
                continue
            found[fa.module] = fa
            for sub in index.subclasses(Definition(fa.module, q, info)):
                if sub.module not in found:
                    facts = index.modules.get(sub.module)
                    if facts is not None:
                        found[sub.module] = facts
    return [found[name] for name in index.modules.names() if name in found]


def _managed_defs(index: ProjectIndex, managed: list[ManagedClass], screen: Screen | None = None) -> list[Definition]:
    probe = Contract(managed=managed)
    out: list[Definition] = []
    # A class's own name is written where it is defined.
    names = sorted({m.name.rsplit(".", 1)[-1] for m in managed})
    if not names:
        return out
    for fa in _screened(index, screen, "names:" + ",".join(names)):
        for q, info in fa.defs.items():
            if info.kind != CLASS:
                continue
            d = Definition(fa.module, q, info)
            if probe.managed_entry(d) is not None:
                out.append(d)
    return out


def _config_lines(source: str | None) -> Callable[[str, str], str | None]:
    """``file:line`` of a value (or key) in the contract table of a config file."""
    if source is None:
        return lambda key, value: None
    try:
        lines = Path(source).read_text(encoding="utf-8").splitlines()
    except OSError:
        return lambda key, value: source
    pyproject = source.endswith("pyproject.toml")
    table_re = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+")

    def find(key: str, value: str) -> str | None:
        table = ""
        key_line = None
        for n, text in enumerate(lines, 1):
            m = table_re.match(text)
            if m:
                table = m.group(1).replace('"', "").replace("'", "")
                continue
            full = f"{table}.{text.split('=')[0].strip()}" if table else text.split("=")[0].strip()
            wanted = ("tool.ssot-lint.contract." if pyproject else "contract.") + key
            if key_line is None and "=" in text and full.replace(" ", "") == wanted:
                key_line = n
            if key_line is not None and value and (f'"{value}"' in text or f"'{value}'" in text):
                return f"{source}:{n}"
        return f"{source}:{key_line}" if key_line else source

    return find


# --- textual screens: which modules inference needs to look at ----------------------------------
SCREEN = "@screen"  # a derived dependency "@screen:<key>": the modules that pass the screen
FACTORY_SCREEN = "factory"
# Every factory candidate is named `create_*` or `*_for_user`, or is a method of a `*Factory`.

# screen(module, key) -> may the module matter to the screen ``key`` (see ``screen_predicate``)?
Screen = Callable[[str, str], bool]


def screen_predicate(key: str) -> Callable[[ModuleFacts], bool] | None:
    """The predicate of a screen key, on a module's facts.

    Sound: a module for which it is False has nothing the screen's user looks for.
    ``factory``: defines no factory candidate (``_Analyzer.factory_candidates``: a
    function or method named as a factory, ``_is_factory_name``, with an annotated
    parameter, the only way to take the context class); ``names:A,B``: defines no class
    A or B (mentions neither as a whole word, ``facts.identifiers``).
    """
    if key == FACTORY_SCREEN:
        return _may_define_factory
    if key.startswith("names:"):
        words = frozenset(w for w in key[len("names:") :].split(",") if w)
        return lambda facts: mentions_any(facts.identifiers, words)
    return None


def factory_defs(facts: ModuleFacts, index: object = None) -> tuple[str, ...]:
    """The qualnames of the module's factory-shaped functions, in definition order: a
    function or a method (not a nested function) named as a factory (``_is_factory_name``)
    with an annotated parameter, the only way to take the context class. A factory
    candidate is one of them whose parameter's annotation names a context class
    (``_Analyzer.candidates_among``). ``FACTORY_DEFS`` keeps it per module."""
    out = []
    for info in facts.defs.values():
        if info.kind not in (DEF, ASYNC_DEF) or not any(p.annotation for p in info.params):
            continue
        owner = None
        if info.scope:
            parent = facts.defs.get(info.scope)
            if parent is None or parent.kind != CLASS:
                continue  # a nested function
            owner = parent.name
        if _is_factory_name(info, owner):
            out.append(info.qualname)
    return tuple(out)


# What inference reads of a module that passes the factory screen: a dependency on this row
# (``@row:factory-defs:<module>``) and on the slices of the functions it names, not on the
# whole module, so an edit elsewhere in a module that defines `create_task(self, coro:
# Coroutine)` (Home Assistant's core.py) keeps the inferred contract.
FACTORY_DEFS: ModuleRow[tuple[str, ...]] = ModuleRow("factory-defs", tuple[str, ...], factory_defs, sparse=True)


def _may_define_factory(facts: ModuleFacts) -> bool:
    return bool(factory_defs(facts))


def _project_factories(
    an: _Analyzer, index: ProjectIndex, screen: Screen | None, is_test: Callable[[str], bool]
) -> list[Definition]:
    """The project's factory candidates. With a screen, each module that passes it is read
    through its ``FACTORY_DEFS`` row and the slices of the functions the row names (both
    recorded), never whole."""
    if screen is None:
        return list(an.factory_candidates(index.modules.values(), is_test))
    index.record((f"{SCREEN}:{FACTORY_SCREEN}",))
    out: list[Definition] = []
    for name in index.modules.names():
        if not screen(name, FACTORY_SCREEN):
            continue
        index.touch_row(FACTORY_DEFS, name)
        qualnames = index.module_row(FACTORY_DEFS, name)
        facts = index.modules.get(name) if qualnames else None
        if facts is not None and not is_test(facts.path):
            out.extend(an.candidates_among(facts, qualnames or ()))
    return out


def _screened(index: ProjectIndex, screen: Screen | None, key: str) -> list[ModuleFacts]:
    """The facts of the modules that pass a screen (every module without one).

    Records ``@screen:<key>`` (which modules pass) and each passing module, so a
    cached contract is re-inferred exactly when one of them changes.
    """
    if screen is None:
        return list(index.modules.values())
    index.record((f"{SCREEN}:{key}",))
    out = []
    for name in index.modules.names():
        if screen(name, key):
            facts = index.modules.get(name)
            if facts is not None:
                out.append(facts)
    return out


def build_contract(
    config: Config,
    index: ProjectIndex | None = None,
    is_test: Callable[[str], bool] | None = None,
    screen: Screen | None = None,
    references: ReferenceCache | None = None,
) -> Contract:
    """The merged contract: the reference module, then config, then (given an index) inference.

    With ``screen``, inference looks only at the modules that pass its textual screens
    (see ``screen_predicate``) instead of every module of the index. ``references``: parsed
    reference packages to reuse (without one, the reference is parsed here).
    """
    c = config.contract
    root = config.root
    contract = Contract(module=c.module, factory_internal_methods=tuple(c.factory_internal_methods))
    if references is None:
        references = ReferenceCache()
    parsed, ref, found = _reference_part(c.module, root, references) if c.module else (None, _Derived(), None)
    if c.module and found is None:
        contract.warnings.append(f"contract module '{c.module}' not found under {root} or on sys.path")
    contract.module_path = _display(Path(found), root) if found else None
    parsed_top = parsed.index.get_module(c.module) if parsed is not None else None
    if parsed_top is not None and parsed_top.syntax_error:
        line = parsed_top.syntax_error_at[0]
        contract.warnings.append(
            f"{contract.module_path}:{line}: contract module cannot be parsed: {parsed_top.syntax_error}"
        )
    contract.contexts = list(ref.contexts)
    contract.managed = list(ref.managed)
    contract.entry_points = list(ref.entry_points)
    contract.notifier_classes = list(ref.notifier_classes)
    contract.notifier_params = list(ref.notifier_params)

    where = _config_lines(config.source)
    globs = tuple(c.allow_construction_in)
    # Without `allow-construction-in`, a configured class may be built where the reference
    # factory builds its own classes.
    factory_globs = globs or tuple(dict.fromkeys(g for m in ref.managed for g in m.allowed_in))
    for name in c.managed:
        contract.managed.append(ManagedClass(name, factory_globs, CONFIG, where("managed", name)))
    if globs:
        # `allow-construction-in` also widens where reference and inferred classes may be built.
        contract.managed = [m if m.origin == CONFIG else _with_globs(m, globs) for m in contract.managed]
    for name in c.notifier_classes:
        contract.notifier_classes.append(NotifierClass(name, (), CONFIG, where("notifier-classes", name)))
    for name in c.notifier_params:
        contract.notifier_params.append(NotifierParam(name, CONFIG, where("notifier-params", name)))
    for name in c.factory_internal_methods:
        if name not in contract.factory_internal_methods:
            contract.factory_internal_methods += (name,)
    if not contract.contexts:
        contract.contexts = [ContextClass("UserExecutionContext", CONFIG, None)]
    if index is not None and c.infer:
        _infer(contract, index, is_test or (lambda p: False), globs, screen)
    contract.context_classes = tuple(dict.fromkeys(x.name for x in contract.contexts))
    return contract


def _with_globs(m: ManagedClass, globs: tuple[str, ...]) -> ManagedClass:
    from dataclasses import replace

    return replace(m, allowed_in=tuple(dict.fromkeys(m.allowed_in + globs)))


def _infer(
    contract: Contract,
    index: ProjectIndex,
    is_test: Callable[[str], bool],
    globs: tuple[str, ...],
    screen: Screen | None = None,
) -> None:
    """Add the project's own per-user factories and what they build (origin "inferred")."""

    def display(module: str) -> str:
        facts = index.modules.get(module)
        return facts.path if facts is not None else module

    an = _Analyzer(index, {x.name for x in contract.contexts}, display)
    factories = _project_factories(an, index, screen, is_test)
    known = Contract(managed=list(contract.managed))

    def already(d: Definition) -> bool:
        return known.managed_entry(d) is not None

    def allowed_for(fn: Definition) -> tuple[str, ...]:
        return (fn.module,) + globs

    derived = _derive(an, factories, INFERRED, allowed_for, bare_names=False, skip=already)
    contract.managed.extend(derived.managed)
    have = {(e.owner, e.method, e.module) for e in contract.entry_points}
    contract.entry_points.extend(e for e in derived.entry_points if (e.owner, e.method, e.module) not in have)
    # Project notifiers: classes implementing a known notifier protocol's methods, and the
    # notifier-carrying constructor parameters of the project's managed classes.
    protocols = [n for n in contract.notifier_classes if n.protocol and n.methods]
    proto_methods = [(p, {m.name for m in p.methods}) for p in protocols]
    proto_methods = [(p, names) for p, names in proto_methods if names]
    managed_defs = _managed_defs(index, contract.managed, screen)
    have_notifiers = {n.name for n in contract.notifier_classes}
    for fa in _notifier_modules(index, screen, sorted({n for _, names in proto_methods for n in names})):
        if is_test(fa.path):
            continue
        for q, info in fa.defs.items():
            if info.kind != CLASS:
                continue
            members = set(info.members)
            if not info.bases and not any(names <= members for _, names in proto_methods):
                continue  # cheap: a class without bases defines every method in its own body
            d = Definition(fa.module, q, info)
            if contract.notifier_entry(d) is not None:
                continue
            methods = _methods(index, d)
            for proto, names in proto_methods:
                if names and names <= set(methods):
                    contract.notifier_classes.append(
                        NotifierClass(
                            d.fullname,
                            tuple(_notifier_method(methods[m.name]) for m in proto.methods),
                            INFERRED,
                            an.where(d.module, info.line),
                            implements=proto.name,
                        )
                    )
                    have_notifiers.add(d.fullname)
                    break
    notifier_names = {n.rsplit(".", 1)[-1] for n in have_notifiers}
    have_params = {p.name for p in contract.notifier_params}
    for p in _notifier_params(an, managed_defs, notifier_names, INFERRED):
        if p.name not in have_params:
            have_params.add(p.name)
            contract.notifier_params.append(p)


__all__ = [
    "CONFIG",
    "INFERRED",
    "REFERENCE",
    "ContextClass",
    "Contract",
    "EntryPoint",
    "ManagedClass",
    "NotifierClass",
    "NotifierMethod",
    "NotifierParam",
    "ReferenceCache",
    "build_contract",
    "find_module_file",
    "name_variants",
]
