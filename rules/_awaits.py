"""What SSOT003 (awaited-sync-call) and SSOT005 (missing-await) share.

Resolving the callee of a LibCST ``Call`` through the project index and the receiver
inference of ``ssot_lint.inference``; the ``transparent-decorators`` option; and the sound prefilter both rules use.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ssot_lint.api import (
    ALIAS,
    ASYNC_DEF,
    BASE_PREFIX,
    CLASS,
    DEF,
    DEFAULT_TRANSPARENT_DECORATORS,
    FROM,
    AnalysisSession,
    CallResolution,
    DefInfo,
    Definition,
    Inference,
    ModuleFacts,
    ModuleRow,
    Option,
    ProjectIndex,
    ProjectTable,
    RuleContext,
    cst,
    cst_dotted_name,
    node_positions,
    phase,
    register_family,
    restore_names,
    session_of,
    union_delta,
)

if TYPE_CHECKING:
    from libcst.metadata import CodeRange

TRANSPARENT_OPTION = Option(
    "list[str]",
    list(DEFAULT_TRANSPARENT_DECORATORS),
    "Decorators that keep the return kind of the function they decorate (dotted names as "
    "imported, e.g. `functools.lru_cache`, or project decorators such as `app.util.traced`). "
    "Project decorators in the `functools.wraps` style whose wrapper is a plain `def` that "
    "returns `fn(...)` are recognised without being listed.",
)

KNOWN_BASES_OPTION = Option(
    "list[str]",
    [],
    "Classes outside the project and the standard library whose instances are known not to "
    "be awaitable (dotted names as imported, e.g. `pydantic.BaseModel`): a project class "
    "deriving from them is not awaitable unless a class in its MRO defines `__await__`. "
    "Standard-library bases (`Generic`, `ABC`, `Protocol`, `Exception`, `Enum`, `dict`...) "
    "are known without being listed.",
)


def code(node: cst.CSTNode) -> str:
    return " ".join(cst.Module(body=[]).code_for_node(node).split())


def short(node: cst.CSTNode, limit: int = 60) -> str:
    text = code(node)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class Callee:
    resolution: CallResolution
    label: str  # the callee as written (`self.get_notifier`, `super().setUp`)
    attr: str  # the last name (`get_notifier`)


def transparent(context: RuleContext, rule: type) -> frozenset[str]:
    """What ``Inference.call_kind`` takes: the transparent decorators, and the
    `known-non-awaitable-bases` as ``base:<name>`` entries."""
    options = context.options_for(rule)
    value = options.get("transparent-decorators")
    if value is None:
        value = DEFAULT_TRANSPARENT_DECORATORS
    bases = options.get("known-non-awaitable-bases") or ()
    return frozenset(value) | frozenset(BASE_PREFIX + b for b in bases)


def resolve_callee(context: RuleContext, call: cst.Call) -> Callee | None:
    """The project functions ``call`` may run, seen from the current scope."""
    site = call_site(call)
    return None if site is None else resolve_site(context.index, context.module, context.scope, site)


def call_site(call: cst.Call) -> str | None:
    """The callee as ``ModuleFacts.call_sites`` records it: a dotted name, ``super().m``
    or ``super(X).m``; None for any other callee (no project function can be named)."""
    func = call.func
    dotted = cst_dotted_name(func)
    if dotted is not None:
        return dotted
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Call):
        inner = func.value
        if isinstance(inner.func, cst.Name) and inner.func.value == "super":
            if not inner.args:
                return f"super().{func.attr.value}"
            explicit = cst_dotted_name(inner.args[0].value)
            if explicit is not None:
                return f"super({explicit}).{func.attr.value}"
    return None


def resolve_site(index: ProjectIndex, module: str, scope: str, site: str) -> Callee | None:
    """Resolve a call site (see ``call_site``) made in ``scope`` of ``module``."""
    inference = Inference.for_index(index)
    if site.startswith("super("):
        head, attr = site.rsplit(".", 1)  # "super()" / "super(a.B)", and the method
        explicit = head[6:-1] or None
        if index.lookup_binding(module, scope, "super") is not None:
            return None  # `super` rebound: not the builtin
        res = inference.resolve_super_call(module, scope, attr, explicit)
        return None if res is None else Callee(res, f"super().{attr}", attr)
    # The await rules read the primary target and the kinds of all (``target_kinds``).
    res = inference.resolve_call(module, scope, site, kinds_only=True)
    return None if res is None else Callee(res, site, site.rsplit(".", 1)[-1])


def file_may_call(
    context: RuleContext,
    rule: type,
    wanted: Callable[[DefInfo], bool],
    kind: str,
    awaited: bool,
    judged: Callable[[str, str], bool] | None = None,
) -> bool:
    """The await rules' sound prefilter: does some call site of the file (an awaited one
    when ``awaited``, else one that is not the operand of an `await`, and whose use
    ``judged(scope, use)`` accepts when given) resolve to project definitions whose calls
    all give ``kind``?

    This is the rules' own test (``resolve_callee`` + ``Inference.call_kind`` + the
    patched-attribute exemption) run on the facts instead of the LibCST tree. A call can
    only reach a definition ``wanted`` accepts through one of ``callable_names``.
    """
    facts = context.facts
    if not callable_names(context.session, wanted, facts.names):
        return False
    modes = transparent(context, rule)
    # A call reaches a definition of that kind through its own name or an alias name (a
    # call site's names are among the file's).
    names = (
        kind_names(context.session, wanted, kind, modes, facts.names)
        if kind == "coroutine"
        else callable_names(context.session, wanted, facts.names)
    )
    if not names:
        return False
    inference = Inference.for_index(context.index)
    patched = facts.patched_attrs
    for scope, site, use in facts.call_sites:
        if awaited != (use == "await"):
            continue
        attr = site.rsplit(".", 1)[-1]
        if attr not in names or attr in patched:
            continue
        callee = resolve_site(context.index, context.module, scope, site)
        if callee is None:
            continue
        if inference.target_kinds(callee.resolution, modes) == {kind} and (judged is None or judged(scope, use)):
            return True
    return False


class Patches:
    """Where the file replaces attributes at run time (mocks in tests): everywhere for
    ``ModuleFacts.patched_attrs``, else only on the lines of ``patched_regions`` (a
    `with patch(...)` block, a `@patch`-decorated def, a test function, a test class).
    A call of a patched name is not judged: the mock may well be awaitable."""

    def __init__(self, context: RuleContext) -> None:
        self.facts = context.facts
        self.module: cst.Module | None = None
        self._positions: Mapping[cst.CSTNode, CodeRange] | None = None

    def is_patched(self, attr: str, node: cst.CSTNode) -> bool:
        if attr in self.facts.patched_attrs:
            return True
        regions = [(lo, hi) for a, lo, hi in self.facts.patched_regions if a == attr]
        if not regions or self.module is None:
            return False
        if self._positions is None:  # only files that patch this name pay for positions
            self._positions = node_positions(self.module)
        pos = self._positions.get(node)
        line = pos.start.line if pos is not None else 0
        return any(lo <= line <= hi for lo, hi in regions)


def definition_site(index: ProjectIndex, d: Definition) -> str:
    facts = index.get_module(d.module)
    where = f"{facts.path}:{d.info.line}" if facts is not None else d.module
    return f"`{d.qualname}` ({where})"


def may_be_sync(info: DefInfo) -> bool:
    """Could calling this definition give a plain value (SSOT003)?"""
    return info.kind in (DEF, CLASS)


def may_give_coroutine(info: DefInfo) -> bool:
    """Could calling this definition give a coroutine (SSOT005)?

    An ``async def``, or a ``def`` annotated with ``Coroutine`` or (without an
    annotation) returning a call or a name, as ``Inference.call_kind`` requires.
    """
    if info.kind == ASYNC_DEF:
        return True
    if info.kind != DEF:
        return False
    if info.returns is not None:
        return "Coroutine" in info.returns
    return any(leaf.startswith(("call:", "name:")) for leaf in info.return_leaves)


def _alias_row(facts: ModuleFacts, index: ProjectIndex) -> tuple[str, ...]:
    """The names a module binds by an aliasing import or an alias assignment."""
    names: set[str] = set()
    for scope in facts.scopes.values():
        for name, bindings in scope.bindings.items():
            if any(b.kind == ALIAS or (b.kind == FROM and b.name != name) for b in bindings):
                names.add(name)
    return tuple(sorted(names))


ALIAS_ROW: ModuleRow[tuple[str, ...]] = ModuleRow("await-alias-names", tuple[str, ...], _alias_row)


def _alias_names(index: ProjectIndex) -> frozenset[str]:
    """Every name bound by an aliasing import (``from m import f as g``) or an alias
    assignment (``g = f``) anywhere in the project (once per session, from module rows)."""

    def compute() -> frozenset[str]:
        return frozenset(n for row in index.rows(ALIAS_ROW).values() for n in row)

    return session_of(index).cached("await-alias-names", compute, contract_free=True)


@functools.cache
def _defs_row(wanted_name: str) -> ModuleRow[tuple[str, ...]]:
    """The names of a module's definitions that ``wanted`` accepts (its own facts only)."""
    wanted = _WANTED[wanted_name]

    def make(facts: ModuleFacts, index: ProjectIndex) -> tuple[str, ...]:
        return tuple(sorted({info.name for info in facts.defs.values() if wanted(info)}))

    return ModuleRow(f"await-defs-{wanted_name}", tuple[str, ...], make)


@functools.cache
def _kind_row(arg: str) -> ModuleRow[tuple[str, ...]]:
    """The names of a module's definitions whose calls give ``kind`` (``Inference.call_kind``
    follows imports: the row records what it consults, see ``ModuleRow.reads_project``)."""
    wanted_name, kind, mode_text = arg.split(":", 2)
    wanted = _WANTED[wanted_name]
    modes = frozenset(m for m in mode_text.split(",") if m)

    def make(facts: ModuleFacts, index: ProjectIndex) -> tuple[str, ...]:
        inference = Inference.for_index(index)
        names: set[str] = set()
        for info in facts.defs.values():
            if info.name in names or not wanted(info):
                continue
            if inference.call_kind(Definition(facts.module, info.qualname, info), modes) == kind:
                names.add(info.name)
        return tuple(sorted(names))

    return ModuleRow(f"await-kind-{arg}", tuple[str, ...], make, reads_project=True)


def _callable_names(index: ProjectIndex, wanted_name: str) -> frozenset[str]:
    names = {n for row in index.rows(_defs_row(wanted_name)).values() for n in row}
    return frozenset(names) | _alias_names(index)


def _kind_names(index: ProjectIndex, arg: str) -> frozenset[str]:
    names = set(_alias_names(index))
    for row in index.rows(_kind_row(arg)).values():
        names.update(row)
    return frozenset(names)


_WANTED: dict[str, Callable[[DefInfo], bool]] = {}


def _compute_callable(session: AnalysisSession, arg: str) -> frozenset[str]:
    with phase("index"):
        return _callable_names(session.index, arg)


def _compute_kind(session: AnalysisSession, arg: str) -> frozenset[str]:
    with phase("index"):
        return _kind_names(session.index, arg)


# Project tables: a reader depends on the value (sorted, as a dependency), not on every
# module read to build it.
# Both are unions of rows of names: a definition added anywhere updates them (``union_delta``).
CALLABLE_NAMES: ProjectTable[frozenset[str]] = ProjectTable(
    "await-callable-names", _compute_callable, restore=restore_names, delta=union_delta
)
KIND_NAMES: ProjectTable[frozenset[str]] = ProjectTable(
    "await-kind-names", _compute_kind, restore=restore_names, delta=union_delta
)
TABLES = (CALLABLE_NAMES, KIND_NAMES)


def callable_names(
    session: AnalysisSession, wanted: Callable[[DefInfo], bool], spelled: AbstractSet[str]
) -> frozenset[str]:
    """Names in ``spelled`` (the names of the file being linted: ``ModuleFacts.names``)
    through which a project definition that ``wanted`` accepts may be called.

    The definitions' own names, plus every alias name (``_alias_names``): a call can only
    reach such a definition through one of these names. A project table, met with the
    file's names: the file depends on those only (``AnalysisSession.table_meet``).
    """
    return session.table_meet(CALLABLE_NAMES, wanted.__name__, spelled)


def kind_names(
    session: AnalysisSession,
    wanted: Callable[[DefInfo], bool],
    kind: str,
    modes: frozenset[str],
    spelled: AbstractSet[str],
) -> frozenset[str]:
    """Like ``callable_names``, but only definitions whose calls give ``kind``
    (``Inference.call_kind``); ``wanted`` is a cheap necessary condition for that kind."""
    return session.table_meet(KIND_NAMES, f"{wanted.__name__}:{kind}:{','.join(sorted(modes))}", spelled)


_WANTED.update({f.__name__: f for f in (may_be_sync, may_give_coroutine)})
for _name in _WANTED:  # built now: a later run's ``@rows:<key>`` dependency finds them by key
    _defs_row(_name)
register_family("await-kind-", _kind_row)


def enclosing_function(context: RuleContext):
    """The ``DefInfo`` of the innermost function around the current node, or None."""
    scope = context.scope
    info = context.facts.defs.get(scope) if scope else None
    if info is not None and info.kind in (DEF, ASYNC_DEF):
        return info
    return None


__all__ = [
    "ASYNC_DEF",
    "CLASS",
    "Callee",
    "DEF",
    "CALLABLE_NAMES",
    "KIND_NAMES",
    "KNOWN_BASES_OPTION",
    "TABLES",
    "Patches",
    "TRANSPARENT_OPTION",
    "callable_names",
    "code",
    "definition_site",
    "enclosing_function",
    "file_may_call",
    "kind_names",
    "may_be_sync",
    "may_give_coroutine",
    "resolve_callee",
    "short",
    "transparent",
]
