"""What SSOT003 (awaited-sync-call) and SSOT005 (missing-await) share.

Resolving the callee of a LibCST ``Call`` through the project index and the receiver
inference of ``ssot_lint.inference``; the ``transparent-decorators`` option; and the sound prefilter both rules use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import libcst as cst

from ssot_lint.context import RuleContext, cst_dotted_name
from ssot_lint.facts import ALIAS, ASYNC_DEF, CLASS, DEF, FROM, DefInfo
from ssot_lint.index import Definition, ProjectIndex
from ssot_lint.inference import DEFAULT_TRANSPARENT_DECORATORS, CallResolution, Inference
from ssot_lint.rule import Option

TRANSPARENT_OPTION = Option(
    "list[str]",
    list(DEFAULT_TRANSPARENT_DECORATORS),
    "Decorators that keep the return kind of the function they decorate (dotted names as "
    "imported, e.g. `functools.lru_cache`, or project decorators such as `app.util.traced`). "
    "Project decorators in the `functools.wraps` style whose wrapper is a plain `def` that "
    "returns `fn(...)` are recognised without being listed.",
)

_EMPTY = cst.Module(body=[])


def code(node: cst.CSTNode) -> str:
    return " ".join(_EMPTY.code_for_node(node).split())


def short(node: cst.CSTNode, limit: int = 60) -> str:
    text = code(node)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class Callee:
    resolution: CallResolution
    label: str  # the callee as written (`self.get_notifier`, `super().setUp`)
    attr: str  # the last name (`get_notifier`)


def transparent(context: RuleContext, rule: type) -> frozenset[str]:
    value = context.options_for(rule).get("transparent-decorators")
    if value is None:
        value = DEFAULT_TRANSPARENT_DECORATORS
    return frozenset(value)


def resolve_callee(context: RuleContext, call: cst.Call) -> Callee | None:
    """The project functions ``call`` may run, seen from the current scope."""
    inference = Inference.for_index(context.index)
    func = call.func
    dotted = cst_dotted_name(func)
    if dotted is not None:
        res = inference.resolve_call(context.module, context.scope, dotted)
        if res is None:
            return None
        return Callee(res, dotted, dotted.rsplit(".", 1)[-1])
    # super().m(...) / super(Cls, self).m(...)
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Call):
        inner = func.value
        if isinstance(inner.func, cst.Name) and inner.func.value == "super":
            explicit = None
            if inner.args:
                explicit = cst_dotted_name(inner.args[0].value)
                if explicit is None:
                    return None
            if context.index.lookup_binding(context.module, context.scope, "super") is not None:
                return None  # `super` rebound: not the builtin
            res = inference.resolve_super_call(context.module, context.scope, func.attr.value, explicit)
            if res is None:
                return None
            return Callee(res, f"super().{func.attr.value}", func.attr.value)
    return None


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


def callable_names(index: ProjectIndex, wanted: Callable[[DefInfo], bool]) -> frozenset[str]:
    """Names through which a project definition that ``wanted`` accepts may be called.

    The definitions' own names, plus every name bound by an aliasing import
    (``from m import f as g``) or an alias assignment (``g = f``) anywhere in the
    project: a call can only reach such a definition through one of these names.
    """
    cache = getattr(index, "_await_callable_names", None)
    if cache is None:
        cache = {}
        index._await_callable_names = cache  # type: ignore[attr-defined]
    if wanted in cache:
        return cache[wanted]
    names: set[str] = set()
    for facts in index.modules.values():
        for info in facts.defs.values():
            if wanted(info):
                names.add(info.name)
        for scope in facts.scopes.values():
            for name, bindings in scope.bindings.items():
                if any(b.kind == ALIAS or (b.kind == FROM and b.name != name) for b in bindings):
                    names.add(name)
    cache[wanted] = frozenset(names)
    return cache[wanted]


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
    "TRANSPARENT_OPTION",
    "callable_names",
    "code",
    "definition_site",
    "enclosing_function",
    "may_be_sync",
    "may_give_coroutine",
    "resolve_callee",
    "short",
    "transparent",
]
