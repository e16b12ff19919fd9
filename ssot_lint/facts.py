"""Per-module facts, extracted with the standard ``ast`` module.

The facts pass is the cheap first phase: it reads every module of the project (the
linted files and everything they may import) and records what the resolver needs:
scopes and their bindings, definitions with their kind, decorators, bases and
return facts, imports (with relative imports made absolute), star imports and
``__all__``.  Facts are plain data, small and picklable, so they can be cached by
content hash.  Nothing here imports or executes the code being read.
"""

from __future__ import annotations

import ast
import functools
import operator
import re
import sys
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Generic, TypeAlias, TypeVar

# Binding kinds.
IMPORT = "import"  # `import a.b` (binds `a` -> module a) / `import a.b as m` (m -> a.b)
FROM = "from"  # `from m import n [as x]`: target=m, name=n
DEF = "def"
ASYNC_DEF = "async def"
CLASS = "class"
ALIAS = "alias"  # `Y = X` / `Y = a.b.X`: target is the dotted expression
ASSIGN = "assign"  # any other assignment; `value` may hold the callee of a call
PARAM = "param"
GLOBAL = "global"  # `global x` inside a function: x refers to the module binding

DEF_KINDS = (DEF, ASYNC_DEF, CLASS)

_INIT_METHODS = ("__init__", "__post_init__")

if sys.version_info >= (3, 11):
    _TryNode: TypeAlias = "ast.Try | ast.TryStar"  # `except*` (3.11+) is visited as `except`
else:
    _TryNode: TypeAlias = ast.Try


def _fast_pickle(cls: type) -> type:
    """Pickle as ``(cls, field values)``: the facts cache and worker processes move
    hundreds of thousands of these; the per-object ``__getstate__`` that slotted
    dataclasses get is about three times slower to write and 40 % larger."""
    get = operator.attrgetter(*[f.name for f in fields(cls)])

    def __reduce__(self: object) -> tuple:
        return (cls, get(self))

    cls.__reduce__ = __reduce__  # type: ignore[method-assign, assignment]  # set on the class, unbound; mypy checks it as bound
    return cls


@_fast_pickle
@dataclass(slots=True)
class Binding:
    kind: str
    target: str = ""  # module, dotted expression, or ""
    name: str = ""  # imported name for FROM
    line: int = 0
    col: int = 0
    type_checking: bool = False
    annotation: str | None = None  # annotation of an annotated assignment or a parameter
    value: str | None = None  # for ASSIGN: dotted callee if the value is `callee(...)`
    value_kind: str | None = None  # for ASSIGN: "call", "none", "literal", "dict", "list", "set", "other"
    default_none: bool = False  # for PARAM: the default is the literal None
    awaited_call: str | None = None  # for ASSIGN: dotted callee if the value is `await callee(...)`
    # The control flow around the binding inside its scope: "" when it runs whenever the
    # scope's body runs to its end (top level, `with`, `try` body, `finally`), else the
    # enclosing conditional constructs, outermost first, joined by "/": "if", "else",
    # "loop", "match", "try-else", or "except:" + what the `try` body does ("?" when it
    # may fail for reasons other than its imports, else "mod|name;mod|;..." for each
    # `from mod import name` / `import mod`: if all of them exist in the project, the
    # handler cannot run).
    cond: str = ""


@_fast_pickle
@dataclass(slots=True)
class Param:
    name: str
    annotation: str | None
    has_default: bool
    default_none: bool
    kind: str  # "posonly", "normal", "vararg", "kwonly", "kwarg"


@_fast_pickle
@dataclass(slots=True)
class CallFact:
    """A call made in a function body (calls in nested functions belong to those)."""

    callee: str  # dotted callee (`Cls`, `mod.Cls`, `self._build`, `cls`)
    line: int
    col: int
    arg_names: tuple[str, ...] = ()  # root names read by the arguments (`context.user_id` -> "context")
    parent: int = -1  # index (in ``DefInfo.calls``) of the call whose arguments contain this one
    target: str = ""  # the local it is assigned to: `x = call(...)` / `x = await call(...)`
    returned: bool = False  # `return call(...)` / `return await call(...)`
    raised: bool = False  # inside a `raise` statement


@_fast_pickle
@dataclass(slots=True)
class DefInfo:
    """A class or function definition."""

    kind: str  # DEF, ASYNC_DEF or CLASS
    name: str
    qualname: str  # dotted path within the module ("Cls.method")
    scope: str  # qualname of the enclosing scope ("" = module)
    line: int
    col: int
    end_line: int
    decorators: tuple[str, ...] = ()  # dotted names; a call decorator `d(...)` is recorded as "d()"
    bases: tuple[str, ...] = ()  # dotted expressions, for classes
    keywords: tuple[tuple[str, str], ...] = ()  # class keywords (metaclass=...)
    params: tuple[Param, ...] = ()
    returns: str | None = None  # return annotation source
    has_yield: bool = False
    has_await: bool = False
    return_calls: tuple[str, ...] = ()  # dotted callees of `return callee(...)`
    returns_self_attr: tuple[str, ...] = ()  # attribute names of `return self.<name>`
    returns_names: tuple[str, ...] = ()  # plain names returned (`return _x`)
    globals: tuple[str, ...] = ()  # names declared `global`
    raises: bool = False  # the body contains a `raise`
    members: tuple[str, ...] = ()  # for classes: names bound in the class body
    self_attrs: dict[str, str] = field(default_factory=dict)  # classes: `self.x` -> value summary
    docstring: str | None = None
    # Classes: `self.x = name` -> (qualname of the method, dotted name assigned), first seen.
    self_attr_names: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Functions: parameters the body checks against None/falsy and then raises, asserts,
    # replaces (`p = p or X()`) or hands to a `validate*`/`require*`/`check*`/`ensure*` call.
    none_checked: tuple[str, ...] = ()
    # Classes: `self.x.m(...)` in a method -> attribute x -> method names called on it.
    self_attr_calls: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # classes: `self.x = value` in `__init__`/`__post_init__`: (name, value_kind, callee, annotation),
    # value_kind as in Binding, callee "" unless the value is a call, annotation "" when absent.
    init_attrs: tuple[tuple[str, str, str, str], ...] = ()
    # functions: returned attribute paths rooted at a name (`return cls._instance` -> "cls._instance",
    # `return self._cache[key]` -> "self._cache[]").
    returns_attr_paths: tuple[str, ...] = ()
    decorator_sources: tuple[str, ...] = ()  # source text of each decorator (`dataclass(frozen=True)`)
    calls: tuple[CallFact, ...] = ()  # functions: calls with a dotted callee, in source order
    # Functions: what each `return` may give, one descriptor per leaf of the returned
    # expression (through `a if c else b`, `a or b`, `(x := a)`): "call:<dotted>",
    # "call:?" (callee not a dotted name), "await", "name:<id>", "attr:<dotted>",
    # "subscript", "lambda", "none", "literal", "other". A bare `return` is "none".
    return_leaves: tuple[str, ...] = ()
    # Functions: the body (after the docstring) is only `...`, or only raises
    # `NotImplementedError`: an interface stub whose real implementation is elsewhere.
    stub: bool = False
    # Classes: every `self.<attr> = value` in the class's methods, in source order.
    attr_assigns: tuple[AttrAssign, ...] = ()
    # Functions: what each `yield` gives (descriptors as in ``return_leaves``; "other" for `yield from`).
    yield_leaves: tuple[str, ...] = ()
    # Classes: what the methods store into a container attribute, as (attr, key, value):
    # `self.a[k] = v` -> (a, dotted k or "", leaf of v); `self.a.setdefault(k, v)` likewise;
    # `self.a.append(v)` / `.add(v)` / `.appendleft(v)` / `.insert(i, v)` -> (a, "", leaf of v).
    keyed_attrs: tuple[tuple[str, str, str], ...] = ()


@_fast_pickle
@dataclass(slots=True, frozen=True)
class AttrAssign:
    """One ``self.<attr> = value`` (or ``self.<attr>: T = value``) inside a method."""

    attr: str
    scope: str  # qualname of the method (or nested function) that assigns it
    annotation: str | None
    value: str  # a return-leaf style descriptor of the value ("call:f", "name:x", ...)
    awaited_call: str | None = None  # dotted callee of `await callee(...)`


@_fast_pickle
@dataclass(slots=True)
class Scope:
    kind: str  # "module", "class", "function"
    qualname: str
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    star_imports: list[str] = field(default_factory=list)

    def bind(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)


@_fast_pickle
@dataclass(slots=True)
class ModuleFacts:
    module: str
    path: str  # POSIX path relative to the root
    is_package: bool
    scopes: dict[str, Scope] = field(default_factory=dict)
    defs: dict[str, DefInfo] = field(default_factory=dict)
    all_names: tuple[str, ...] | None = None  # `__all__`, when it is a literal
    syntax_error: str | None = None
    syntax_error_at: tuple[int, int] = (1, 1)  # 1-based line and column of the error
    names: frozenset[str] = frozenset()  # every identifier and attribute name used (prefilter)
    has_await: bool = False
    # Attribute names the module replaces at run time: `x.m = ...`, `setattr(x, "m", ...)`,
    # `patch.object(X, "m")`, `patch("pkg.X.m")`, `patch.multiple(X, m=...)` (mocks in tests).
    patched_attrs: frozenset[str] = frozenset()
    # Patches that apply only to a range of lines: (attr, first line, last line). A `with patch(...)`
    # block, the def or class a `@patch(...)` decorates, a test function that patches (from the
    # line of an `obj.m = ...` on, else whole), or the class whose method (`setUp`) patches.
    # Patches anywhere else (module level, helpers, fixtures, generators) are in `patched_attrs`.
    patched_regions: tuple[tuple[str, int, int], ...] = ()
    # Every call whose callee is a dotted name or `super().m` / `super(X, y).m`, as
    # (scope qualname, callee, use): callee is the dotted name, "super()" + ".m", or
    # "super(X)" + ".m"; scope is the one the engine's traversal is in at the call (decorators,
    # defaults and bases belong to the outer scope); use is how the call's value is used
    # (``CALL_USES``). The await rules' prefilters resolve them.
    call_sites: frozenset[tuple[str, str, str]] = frozenset()
    # Every `await <name>` of a bare name, as (scope qualname, name), scoped as ``call_sites``:
    # a coroutine assigned to that name in that scope (or an enclosing one) is awaited.
    awaited_names: frozenset[tuple[str, str]] = frozenset()
    # pytest fixtures defined at module level: (fixture name, function qualname); the name is
    # the function's or the literal `name=` of `@pytest.fixture(name=...)`.
    fixtures: tuple[tuple[str, str], ...] = ()
    # Every module an import statement names, anywhere in the module (functions, `try`,
    # `TYPE_CHECKING` too), made absolute: `import a.b` gives "a.b"; `from m import n` gives
    # "m" and "m.n" (a submodule, or a name: the reader keeps the modules that exist).
    imported: tuple[str, ...] = ()
    # Every identifier-like word of the text, comments and strings included (``identifier_words``):
    # textual screens intersect it with the names they look for instead of scanning the text.
    # Not compared: two facts that differ only here give the same index (an editor's body-only
    # edit keeps the index; the screens read each module's current facts).
    identifiers: frozenset[str] = field(default=frozenset(), compare=False)
    # What the installed rules' ``FactCollector``s found: collector name -> its value as typed
    # JSON (``ssot_lint.codec``). Read with ``collector.of(facts)``.
    collected: dict[str, str] = field(default_factory=dict)

    @property
    def module_scope(self) -> Scope:
        return self.scopes[""]


def dotted_name(node: ast.AST) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def super_site(node: ast.Call) -> str | None:
    """``super().m`` / ``super(X).m`` for a call of a method of ``super(...)``, else None
    (also None when the explicit class is not a dotted name: nothing can be resolved)."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call)):
        return None
    inner = func.value
    if not (isinstance(inner.func, ast.Name) and inner.func.id == "super"):
        return None
    if not inner.args:
        return f"super().{func.attr}"
    explicit = dotted_name(inner.args[0])
    return None if explicit is None else f"super({explicit}).{func.attr}"


def _decorator_name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        inner = dotted_name(node.func)
        return f"{inner}()" if inner else "<call>"
    return dotted_name(node) or "<expr>"


def _value_kind(node: ast.expr | None) -> str:
    if node is None:
        return "other"
    if isinstance(node, ast.Constant):
        return "none" if node.value is None else "literal"
    if isinstance(node, ast.Call):
        return "call"
    if isinstance(node, (ast.Dict, ast.DictComp)):
        return "dict"
    if isinstance(node, (ast.List, ast.ListComp)):
        return "list"
    if isinstance(node, (ast.Set, ast.SetComp)):
        return "set"
    if isinstance(node, (ast.Name, ast.Attribute)):
        return "name"
    return "other"


def _call_target(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Call):
        return dotted_name(node.func)
    return None


def _is_stub(body: list[ast.stmt]) -> bool:
    stmts = body
    if (
        stmts
        and isinstance(stmts[0], ast.Expr)
        and isinstance(stmts[0].value, ast.Constant)
        and isinstance(stmts[0].value.value, str)
    ):
        stmts = stmts[1:]
    if len(stmts) != 1:
        return not stmts  # a docstring alone is a stub too
    only = stmts[0]
    if isinstance(only, ast.Expr) and isinstance(only.value, ast.Constant) and only.value.value is Ellipsis:
        return True
    if isinstance(only, ast.Raise) and only.exc is not None:
        exc = only.exc.func if isinstance(only.exc, ast.Call) else only.exc
        return dotted_name(exc) in ("NotImplementedError", "NotImplemented")
    return False


def _awaited_call(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Await):
        return _call_target(node.value)
    return None


def _leaf(node: ast.expr) -> str:
    """A descriptor of one value expression (see ``DefInfo.return_leaves``)."""
    if isinstance(node, ast.Call):
        callee = dotted_name(node.func)
        return f"call:{callee}" if callee else "call:?"
    if isinstance(node, ast.Await):
        return "await"
    if isinstance(node, ast.Name):
        return f"name:{node.id}"
    if isinstance(node, ast.Attribute):
        dotted = dotted_name(node)
        return f"attr:{dotted}" if dotted else "other"
    if isinstance(node, ast.Lambda):
        return "lambda"
    if isinstance(node, ast.Constant) and node.value is None:
        return "none"
    if isinstance(node, ast.Subscript):
        return "subscript"
    if isinstance(
        node,
        (
            ast.Constant,
            ast.JoinedStr,
            ast.Tuple,
            ast.List,
            ast.Dict,
            ast.Set,
            ast.ListComp,
            ast.DictComp,
            ast.SetComp,
            ast.Compare,
            ast.BinOp,
            ast.UnaryOp,
        ),
    ):
        return "literal"
    return "other"


def _return_leaves(node: ast.expr) -> list[str]:
    """Descriptors of the values an expression may evaluate to (an explicit stack: chains
    of conditional expressions can nest deeper than the recursion limit)."""
    out: list[str] = []
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, ast.IfExp):
            stack += [cur.orelse, cur.body]
        elif isinstance(cur, ast.BoolOp):
            stack += reversed(cur.values)
        elif isinstance(cur, ast.NamedExpr):
            stack.append(cur.value)
        else:
            out.append(_leaf(cur))
    return out


def _attr_path(node: ast.expr) -> str | None:
    """``a.b`` for an attribute chain rooted at a name; a trailing subscript adds ``[]``."""
    suffix = ""
    if isinstance(node, ast.Subscript):
        node, suffix = node.value, "[]"
    if not isinstance(node, ast.Attribute):
        return None
    name = dotted_name(node)
    return name + suffix if name else None


def _try_imports(body: list[ast.stmt], facts: ModuleFacts) -> str:
    """What a `try` body can fail on (see ``Binding.cond``): "mod|name;mod|..." for its
    imports when nothing else in it can raise, else "?"."""
    out: list[str] = []
    for stmt in body:
        if isinstance(stmt, ast.ImportFrom):
            if any(a.name == "*" for a in stmt.names):
                return "?"
            module = resolve_relative(facts.module, facts.is_package, stmt.level or 0, stmt.module)
            out.extend(f"{module}|{a.name}" for a in stmt.names)
        elif isinstance(stmt, ast.Import):
            out.extend(f"{a.name}|" for a in stmt.names)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(stmt.value, ast.Constant):
            continue
        elif isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            continue
        else:
            return "?"
    return ";".join(out) if out else "?"


def _is_type_checking(test: ast.expr) -> bool:
    name = dotted_name(test)
    return name in ("TYPE_CHECKING", "typing.TYPE_CHECKING", "t.TYPE_CHECKING")


def resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    """Make ``from ..x import y`` absolute, given the importing module."""
    if level == 0:
        return target or ""
    parts = module.split(".") if module else []
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
    base = ".".join(parts)
    if target:
        return f"{base}.{target}" if base else target
    return base


_FIELDS: dict[type, tuple[str, ...]] = {}  # node type -> its fields, without `ctx` (Load/Store/Del)


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """The child nodes of ``node`` in field order: ``ast.iter_child_nodes`` without the
    ``ctx`` of names, attributes and subscripts (leaves no walk wants), and without its two
    generators per node. For fact collectors' own walks too (``ssot_lint.api``)."""
    names = _FIELDS.get(type(node))
    if names is None:
        names = _FIELDS[type(node)] = tuple(f for f in node._fields if f != "ctx")
    out: list[ast.AST] = []
    for name in names:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            out.append(value)
        elif isinstance(value, list):
            out.extend(v for v in value if isinstance(v, ast.AST))
    return out


class _FactsVisitor(ast.NodeVisitor):
    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.scope_stack: list[Scope] = []
        self.def_stack: list[DefInfo] = []
        self.type_checking = 0
        self.names: set[str] = set()
        self.patched: set[str] = set()
        self.patched_regions: set[tuple[str, int, int]] = set()
        self.fixtures: list[tuple[str, str]] = []
        self.imported: dict[str, None] = {}  # ModuleFacts.imported, in order
        self.patch_ctx: list[tuple[int, int] | None] = []  # the region of a `with` item or decorator being visited
        self.node_stack: list[ast.AST] = []  # the def/class nodes of ``def_stack``
        self.generators: dict[int, bool] = {}  # id() of a def node of ``node_stack`` -> does it yield?
        # Calls of the innermost function being visited, the enclosing recorded call,
        # and the role (`x = ...`, return, raise) of call nodes found at statement level.
        self.calls: list[CallFact] | None = None
        self.call_parent = -1
        self.call_roles: dict[int, tuple[str, str]] = {}
        self.raising = 0
        self.call_sites: set[tuple[str, str, str]] = set()
        self.awaited_names: set[tuple[str, str]] = set()
        self.uses: dict[int, str] = {}  # id() of a call -> its use (``CALL_USES``), set by its parent
        self.name_log: list[str] = []  # every Name visited, in order (a call's arguments are a slice)
        self.cond: list[str] = []  # conditional constructs around the statement, in the current scope

    def visit(self, node: ast.AST) -> None:
        method = _DISPATCH.get(type(node))
        if method is None:
            method = _DISPATCH[type(node)] = getattr(
                type(self), "visit_" + type(node).__name__, _FactsVisitor.generic_visit
            )
        method(self, node)

    def generic_visit(self, node: ast.AST) -> None:
        """Children of expressions are walked with an explicit stack.

        Long operator chains (``'a' + 'b' + ...`` in generated modules) nest thousands of
        levels deep; recursing through them would hit Python's recursion limit. Only node
        types with their own ``visit_X`` method recurse, and those nest shallowly.
        """
        marker = _MARKERS.get(type(node))
        if marker is not None:
            marker(self.uses, node)
        if not isinstance(node, ast.expr):
            for child in child_nodes(node):
                self.visit(child)
            return
        stack = child_nodes(node)
        stack.reverse()
        while stack:
            child = stack.pop()
            method = _DISPATCH.get(type(child))
            if method is None:
                self.visit(child)  # fills the table
            elif method is _GENERIC:
                marker = _MARKERS.get(type(child))
                if marker is not None:
                    marker(self.uses, child)
                children = child_nodes(child)
                children.reverse()
                stack.extend(children)
            else:
                method(self, child)

    # --- helpers -----------------------------------------------------------------
    @property
    def scope(self) -> Scope:
        return self.scope_stack[-1]

    def _qual(self, name: str) -> str:
        q = self.scope.qualname
        return f"{q}.{name}" if q else name

    def _bind(self, name: str, binding: Binding) -> None:
        binding.type_checking = self.type_checking > 0
        if self.cond:
            binding.cond = "/".join(self.cond)
        self.scope.bind(name, binding)

    def _visit_under(self, cond: str, stmts: list) -> None:
        self.cond.append(cond)
        for s in stmts:
            self.visit(s)
        self.cond.pop()

    def _bind_target(
        self, target: ast.expr, value: ast.expr | None, annotation: str | None, node: ast.stmt | ast.expr
    ) -> None:
        if isinstance(target, ast.Name):
            vname = dotted_name(value) if value is not None else None
            if vname is not None and annotation is None:
                b = Binding(ALIAS, target=vname, line=node.lineno, col=node.col_offset)
            else:
                b = Binding(
                    ASSIGN,
                    line=node.lineno,
                    col=node.col_offset,
                    annotation=annotation,
                    value=_call_target(value),
                    value_kind=_value_kind(value),
                    awaited_call=_awaited_call(value),
                )
                if vname is not None:
                    b.target = vname
            self._bind(target.id, b)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self._bind_target(elt, None, None, node)
        elif isinstance(target, ast.Starred):
            self._bind_target(target.value, None, None, node)
        elif isinstance(target, ast.Subscript):
            self._record_keyed(target.value, target.slice, value)
        elif isinstance(target, ast.Attribute):
            self._patch(target.attr, self._patch_region(getattr(node, "lineno", 0)))
            # `self.x = ...` inside a method: record on the enclosing class.
            if self.def_stack and isinstance(target.value, ast.Name) and target.value.id == "self":
                cls = self._enclosing_class()
                if cls is not None:
                    summary = _value_kind(value)
                    callee = _call_target(value)
                    if callee:
                        summary = f"call:{callee}"
                    if annotation:
                        summary = f"annotated:{annotation}"
                    cls.self_attrs.setdefault(target.attr, summary)
                    vname = dotted_name(value) if value is not None else None
                    if vname is not None and target.attr not in cls.self_attr_names:
                        cls.self_attr_names[target.attr] = (self.def_stack[-1].qualname, vname)
                    cls.attr_assigns = cls.attr_assigns + (
                        AttrAssign(
                            target.attr,
                            self.scope.qualname,
                            annotation,
                            _leaf(value) if value is not None else "other",
                            _awaited_call(value),
                        ),
                    )
                    fn = self.def_stack[-1]
                    if fn.kind != CLASS and fn.name in _INIT_METHODS and self.def_stack[-2] is cls:
                        cls.init_attrs = cls.init_attrs + (
                            (target.attr, _value_kind(value), callee or "", annotation or ""),
                        )

    def _enclosing_class(self) -> DefInfo | None:
        # The class that owns the innermost method.
        for i in range(len(self.def_stack) - 1, 0, -1):
            if self.def_stack[i].kind != CLASS and self.def_stack[i - 1].kind == CLASS:
                return self.def_stack[i - 1]
        return None

    def _define(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, kind: str, **extra) -> DefInfo:
        """Bind a def/class in the current scope and record its DefInfo (first one wins)."""
        qual = self._qual(node.name)
        self._bind(node.name, Binding(kind, line=node.lineno, col=node.col_offset))
        info = DefInfo(
            kind=kind,
            name=node.name,
            qualname=qual,
            scope=self.scope.qualname,
            line=node.lineno,
            col=node.col_offset,
            end_line=getattr(node, "end_lineno", node.lineno) or node.lineno,
            decorators=tuple(_decorator_name(d) for d in node.decorator_list),
            docstring=ast.get_docstring(node, clean=False),
            **extra,
        )
        self.facts.defs.setdefault(qual, info)
        return info

    # --- scopes --------------------------------------------------------------------
    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        kind = ASYNC_DEF if isinstance(node, ast.AsyncFunctionDef) else DEF
        self._visit_decorators(node)
        self._visit_arguments_defaults(node.args)
        if node.returns is not None:
            self.visit(node.returns)
        info = self._define(
            node,
            kind,
            params=tuple(_params(node.args)),
            returns=ast.unparse(node.returns) if node.returns is not None else None,
            stub=_is_stub(node.body),
        )
        qual = info.qualname
        if not self.def_stack:
            name = _fixture_name(node)
            if name is not None:
                self.fixtures.append((name, qual))
        scope = Scope("function", qual)
        self.facts.scopes.setdefault(qual, scope)
        scope = self.facts.scopes[qual]
        for p in info.params:
            scope.bind(p.name, Binding(PARAM, annotation=p.annotation, line=node.lineno, default_none=p.default_none))
        self.scope_stack.append(scope)
        self.def_stack.append(info)
        self.node_stack.append(node)
        saved_tc, self.type_checking = self.type_checking, 0
        saved_calls = (self.calls, self.call_parent, self.raising)
        self.calls, self.call_parent, self.raising = [], -1, 0
        saved_cond, self.cond = self.cond, []
        for stmt in node.body:
            self.visit(stmt)
        self.cond = saved_cond
        info.calls = tuple(self.calls)
        self.calls, self.call_parent, self.raising = saved_calls
        self.type_checking = saved_tc
        self.def_stack.pop()
        self.node_stack.pop()
        self.scope_stack.pop()
        # Only parameters that default to None can be stored as None (SSOT004 asks no more).
        maybe_none = {p.name for p in info.params if p.default_none}
        if maybe_none:
            info.none_checked = _none_checked(node, maybe_none)

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    def _visit_arguments_defaults(self, args: ast.arguments) -> None:
        for d in list(args.defaults) + [d for d in args.kw_defaults if d is not None]:
            self.visit(d)
        for a in (
            list(args.posonlyargs)
            + list(args.args)
            + list(args.kwonlyargs)
            + [x for x in (args.vararg, args.kwarg) if x is not None]
        ):
            if a.annotation is not None:
                self.visit(a.annotation)

    def _visit_decorators(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        # A `@patch(...)` applies while the decorated function (or class) runs.
        self.patch_ctx.append((node.lineno, getattr(node, "end_lineno", None) or node.lineno))
        for dec in node.decorator_list:
            self.visit(dec)
        self.patch_ctx.pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._visit_decorators(node)
        for b in node.bases:
            self.visit(b)
        for k in node.keywords:
            self.visit(k.value)
        info = self._define(
            node,
            CLASS,
            decorator_sources=tuple(ast.unparse(d) for d in node.decorator_list),
            bases=tuple(dotted_name(b) or ast.unparse(b) for b in node.bases),
            keywords=tuple((k.arg or "**", ast.unparse(k.value)) for k in node.keywords),
        )
        qual = info.qualname
        scope = self.facts.scopes.setdefault(qual, Scope("class", qual))
        self.scope_stack.append(scope)
        self.def_stack.append(info)
        self.node_stack.append(node)
        saved_calls = (self.calls, self.call_parent, self.raising)
        self.calls, self.call_parent, self.raising = None, -1, 0
        saved_cond, self.cond = self.cond, []
        for stmt in node.body:
            self.visit(stmt)
        self.cond = saved_cond
        self.calls, self.call_parent, self.raising = saved_calls
        self.def_stack.pop()
        self.node_stack.pop()
        self.scope_stack.pop()
        info.members = tuple(scope.bindings)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        # Lambda parameters shadow names only inside the lambda; record nothing.
        self.generic_visit(node)

    # --- imports --------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.imported[alias.name] = None
            if alias.asname:
                self._bind(alias.asname, Binding(IMPORT, target=alias.name, line=node.lineno, col=node.col_offset))
            else:
                head = alias.name.split(".")[0]
                self._bind(head, Binding(IMPORT, target=head, line=node.lineno, col=node.col_offset))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = resolve_relative(self.facts.module, self.facts.is_package, node.level or 0, node.module)
        if module:
            self.imported[module] = None
        for alias in node.names:
            if module and alias.name != "*":
                self.imported[f"{module}.{alias.name}"] = None
            if alias.name == "*":
                if not self.type_checking:
                    self.scope.star_imports.append(module)
                continue
            self._bind(
                alias.asname or alias.name,
                Binding(FROM, target=module, name=alias.name, line=node.lineno, col=node.col_offset),
            )

    # --- bindings -------------------------------------------------------------------
    def _mark_call(self, value: ast.expr | None, role: str, name: str = "") -> None:
        if isinstance(value, ast.Await):
            value = value.value
        if isinstance(value, ast.Call) and self.calls is not None:
            self.call_roles[id(value)] = (role, name)

    def _call_keyed(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            args = node.args
            if func.attr == "setdefault" and args:
                self._record_keyed(func.value, args[0], args[1] if len(args) > 1 else None)
            elif func.attr in ("append", "add", "appendleft") and len(args) == 1:
                self._record_keyed(func.value, None, args[0])
            elif func.attr == "insert" and len(args) == 2:
                self._record_keyed(func.value, None, args[1])

    def _record_site(self, node: ast.Call, dotted: str | None) -> None:
        site = dotted if dotted is not None else super_site(node)
        if site is not None:
            self.call_sites.add((self.scope.qualname, site, self.uses.get(id(node), "other")))

    def visit_Call(self, node: ast.Call) -> None:
        self._record_self_attr_call(node)
        dotted = dotted_name(node.func)
        self._record_patch(node, dotted or "")
        self._call_keyed(node)
        self._record_site(node, dotted)
        _mark_arguments(self.uses, node, dotted)
        callee = dotted if self.calls is not None else None
        if callee is None or self.calls is None:
            self.generic_visit(node)
            return
        role, name = self.call_roles.pop(id(node), ("", ""))
        fact = CallFact(
            callee,
            node.lineno,
            node.col_offset,
            parent=self.call_parent,
            target=name if role == "assign" else "",
            returned=role == "return",
            raised=self.raising > 0,
        )
        self.calls.append(fact)
        self.visit(node.func)
        saved, self.call_parent = self.call_parent, len(self.calls) - 1
        first = len(self.name_log)
        for arg in node.args:
            self.visit(arg)
        for kw in node.keywords:
            self.visit(kw.value)
        fact.arg_names = tuple(sorted(set(self.name_log[first:])))
        self.call_parent = saved

    def visit_Assign(self, node: ast.Assign) -> None:
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            self._mark_call(node.value, "assign", node.targets[0].id)
            _mark(self.uses, node.value, "assign:" + node.targets[0].id)
        self.visit(node.value)
        for t in node.targets:
            self.visit(t)
            self._bind_target(t, node.value, None, node)
        if self.scope.qualname == "" and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            self._record_all(node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.visit(node.annotation)
        if isinstance(node.target, ast.Name):
            self._mark_call(node.value, "assign", node.target.id)
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.target)
        self._bind_target(node.target, node.value, ast.unparse(node.annotation), node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.generic_visit(node)
        if isinstance(node.target, ast.Attribute):
            self._patch(node.target.attr, self._patch_region(node.lineno))
        if self.scope.qualname == "" and isinstance(node.target, ast.Name) and node.target.id == "__all__":
            extra = _literal_strings(node.value)
            if extra is not None and self.facts.all_names is not None:
                self.facts.all_names = self.facts.all_names + extra

    def _record_all(self, value: ast.expr) -> None:
        names = _literal_strings(value)
        self.facts.all_names = names

    def visit_Global(self, node: ast.Global) -> None:
        if self.def_stack:
            info = self.def_stack[-1]
            info.globals = info.globals + tuple(node.names)
        for n in node.names:
            self.scope.bind(n, Binding(GLOBAL, line=node.lineno, col=node.col_offset))

    def visit_If(self, node: ast.If) -> None:
        _mark(self.uses, node.test, "test")
        self.visit(node.test)
        if _is_type_checking(node.test):
            self.type_checking += 1
            for s in node.body:
                self.visit(s)
            self.type_checking -= 1
            for s in node.orelse:  # what runs at run time, always
                self.visit(s)
        else:
            self._visit_under("if", node.body)
            self._visit_under("else", node.orelse)

    def _bind_loop_target(self, target: ast.expr, node: ast.stmt) -> None:
        for n in ast.walk(target):
            if isinstance(n, ast.Name):
                self._bind(n.id, Binding(ASSIGN, line=node.lineno, col=node.col_offset, value_kind="other"))

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        if isinstance(node, ast.For):
            _mark(self.uses, node.iter, "iter")
        self.visit(node.target)
        self.visit(node.iter)
        self._visit_under("loop", node.body + node.orelse)
        self.cond.append("loop")
        self._bind_loop_target(node.target, node)
        self.cond.pop()

    visit_AsyncFor = visit_For

    def visit_While(self, node: ast.While) -> None:
        _mark(self.uses, node.test, "test")
        self.visit(node.test)
        self._visit_under("loop", node.body + node.orelse)

    def visit_Match(self, node: ast.Match) -> None:
        self.visit(node.subject)
        self.cond.append("match")
        for case in node.cases:
            self.visit(case)
        self.cond.pop()

    def visit_Try(self, node: _TryNode) -> None:
        for s in node.body:
            self.visit(s)
        self.cond.append("except:" + _try_imports(node.body, self.facts))
        for h in node.handlers:
            self.visit(h)
        self.cond.pop()
        self._visit_under("try-else", node.orelse)
        for s in node.finalbody:
            self.visit(s)

    visit_TryStar = visit_Try

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        # A `with patch(...)` applies inside its block; a block that yields (a fixture)
        # hands the patched state to code elsewhere: the whole module then.
        own = any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _own_nodes(node.body))
        self.patch_ctx.append(None if own else (node.lineno, getattr(node, "end_lineno", None) or node.lineno))
        for item in node.items:
            self.visit(item)
        self.patch_ctx.pop()
        for stmt in node.body:
            self.visit(stmt)
        for item in node.items:
            if item.optional_vars is not None:
                self._bind_loop_target(item.optional_vars, node)

    visit_AsyncWith = visit_With

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        self.generic_visit(node)
        if node.name:
            self._bind(node.name, Binding(ASSIGN, line=node.lineno, col=node.col_offset, value_kind="other"))

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.generic_visit(node)
        self._bind_target(node.target, node.value, None, node)

    # --- function body facts -------------------------------------------------------------
    def _current_function(self) -> DefInfo | None:
        if self.def_stack and self.def_stack[-1].kind != CLASS:
            return self.def_stack[-1]
        return None

    def visit_Yield(self, node: ast.Yield | ast.YieldFrom) -> None:
        fn = self._current_function()
        if fn is not None:
            fn.has_yield = True
            if isinstance(node, ast.YieldFrom):
                leaves = ["other"]
            else:
                leaves = _return_leaves(node.value) if node.value is not None else ["none"]
            fn.yield_leaves = fn.yield_leaves + tuple(leaves)
        self.generic_visit(node)

    visit_YieldFrom = visit_Yield

    def visit_Await(self, node: ast.Await) -> None:
        fn = self._current_function()
        if fn is not None:
            fn.has_await = True
        self.facts.has_await = True
        if isinstance(node.value, ast.Call):
            self.uses[id(node.value)] = "await"
        elif isinstance(node.value, ast.Name):
            self.awaited_names.add((self.scope.qualname, node.value.id))
        self.generic_visit(node)

    def visit_Raise(self, node: ast.Raise) -> None:
        fn = self._current_function()
        if fn is not None:
            fn.raises = True
        self.raising += 1
        self.generic_visit(node)
        self.raising -= 1

    def visit_Return(self, node: ast.Return) -> None:
        fn = self._current_function()
        self._mark_call(node.value, "return")
        _mark(self.uses, node.value, "return")
        if fn is not None:
            leaves = _return_leaves(node.value) if node.value is not None else ["none"]
            fn.return_leaves = fn.return_leaves + tuple(leaves)
        if fn is not None and node.value is not None:
            callee = _call_target(node.value)
            if callee:
                fn.return_calls = fn.return_calls + (callee,)
            elif isinstance(node.value, ast.Name):
                fn.returns_names = fn.returns_names + (node.value.id,)
            elif (
                isinstance(node.value, ast.Attribute)
                and isinstance(node.value.value, ast.Name)
                and node.value.value.id in ("self", "cls")
            ):
                fn.returns_self_attr = fn.returns_self_attr + (node.value.attr,)
            path = _attr_path(node.value)
            if path is not None:
                fn.returns_attr_paths = fn.returns_attr_paths + (path,)
        self.generic_visit(node)

    def _record_keyed(self, container: ast.expr, key: ast.expr | None, value: ast.expr | None) -> None:
        """``self.<attr>[key] = value`` (and the container methods that store): on the class."""
        if not (
            self.def_stack
            and isinstance(container, ast.Attribute)
            and isinstance(container.value, ast.Name)
            and container.value.id == "self"
        ):
            return
        cls = self._enclosing_class()
        if cls is None:
            return
        k = (dotted_name(key) or "") if key is not None else ""
        v = _leaf(value) if value is not None else "other"
        entry = (container.attr, k, v)
        if entry not in cls.keyed_attrs and len(cls.keyed_attrs) < 64:
            cls.keyed_attrs = cls.keyed_attrs + (entry,)

    def _record_self_attr_call(self, node: ast.Call) -> None:
        """``self.x.m(...)``: remember that method ``m`` is called on attribute ``x``."""
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Attribute)
            and isinstance(func.value.value, ast.Name)
            and func.value.value.id == "self"
        ):
            cls = self._enclosing_class()
            if cls is not None:
                calls = cls.self_attr_calls.get(func.value.attr, ())
                if func.attr not in calls:
                    cls.self_attr_calls[func.value.attr] = calls + (func.attr,)

    def _record_patch(self, node: ast.Call, name: str) -> None:
        """`setattr(x, "m", ...)`, `patch.object(X, "m")`, `patch("a.X.m")`, `patch.multiple(X, m=...)`."""
        last = name.rsplit(".", 1)[-1]
        if "patch" in name or last in ("setattr", "object", "multiple"):
            region = self.patch_ctx[-1] if self.patch_ctx else self._patch_region(None)
            for arg in node.args:
                text = _string_tail(arg)
                if text:
                    self._patch(text.rsplit(".", 1)[-1], region)
            for kw in node.keywords:
                if kw.arg:
                    self._patch(kw.arg, region)

    def _patch(self, attr: str, region: tuple[int, int] | None) -> None:
        if region is None:
            self.patched.add(attr)
        else:
            self.patched_regions.add((attr, region[0], region[1]))

    def _patch_region(self, line: int | None) -> tuple[int, int] | None:
        """Where a patch made outside a `with` item or decorator applies (None: the whole
        module). In a test function: that function (from ``line`` on for an assignment,
        which applies to later code); in a method (`setUp`, `setup_method`): its class.
        Anywhere else (module level, helpers, fixtures, generators) it may outlive the
        function that makes it."""
        for i in range(len(self.def_stack) - 1, -1, -1):
            info = self.def_stack[i]
            if info.kind == CLASS:
                return None
            node = self.node_stack[i]
            generator = self.generators.get(id(node))
            if generator is None:  # once per function: a function that patches often is walked once
                generator = self.generators[id(node)] = _is_generator(node)
            if generator or any("fixture" in d for d in info.decorators):
                return None
            if info.name.startswith("test"):
                return (line or info.line, info.end_line)
            if i > 0 and self.def_stack[i - 1].kind == CLASS:
                cls = self.def_stack[i - 1]
                return (cls.line, cls.end_line)
            return None
        return None

    def visit_Name(self, node: ast.Name) -> None:
        self.names.add(node.id)
        self.name_log.append(node.id)

    def visit_Constant(self, node: ast.Constant) -> None:
        pass  # no children (and NodeVisitor's own visit_Constant is a slow compatibility shim)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.names.add(node.attr)
        self.generic_visit(node)


# node type -> the _FactsVisitor method that visits it
_DISPATCH: dict[type, Callable[[_FactsVisitor, ast.AST], None]] = {}


# How a call's value is used, as ``ModuleFacts.call_sites`` records it (set by the call's
# parent node, before the call is visited):
#   "await"      the operand of an `await`
#   "stmt"       an expression statement (the value is discarded)
#   "attr:<a>"   the object of the attribute access `.a`
#   "subscript"  the object of a subscript
#   "test"       the test of `if`, `while`, a conditional expression or `assert`, the operand
#                of `not`, or the first operand of `and`/`or`
#   "compare"    an operand of a comparison
#   "iter"       the iterable of a (synchronous) `for`
#   "fstring"    a replacement field of an f-string
#   "return"     the value of a `return`
#   "assign:<name>"      the value of `name = ...` (one target, a name)
#   "arg:<i>:<callee>"   the i-th positional argument of a call of ``callee`` (a call site),
#                        before any `*` or `**` argument
#   "kw:<name>:<callee>" the keyword argument ``name``, before any `*` or `**` argument
#   "star:<callee>"      `*x`, `**x`, or any argument after one of them
#   "other"      anything else (an element of a display, a lambda's body, ...)
CALL_USES = (
    "await", "stmt", "attr", "subscript", "test", "compare", "iter", "fstring", "return", "assign",
    "arg", "kw", "star", "other",
)  # fmt: skip


def _mark(uses: dict[int, str], node: ast.AST | None, use: str) -> None:
    if isinstance(node, ast.Call):
        uses[id(node)] = use


def _mark_arguments(uses: dict[int, str], node: ast.Call, dotted: str | None) -> None:
    """The uses of the calls that are arguments of ``node`` (none without a call site)."""
    callee = dotted if dotted is not None else super_site(node)
    if callee is None:
        return
    stars = [(a.lineno, a.col_offset) for a in node.args if isinstance(a, ast.Starred)]
    stars += [(k.lineno, k.col_offset) for k in node.keywords if k.arg is None]
    first = min(stars) if stars else None
    for i, arg in enumerate(node.args):
        if isinstance(arg, ast.Starred):
            _mark(uses, arg.value, f"star:{callee}")
        elif isinstance(arg, ast.Call):
            before = first is None or (arg.lineno, arg.col_offset) < first
            uses[id(arg)] = f"arg:{i}:{callee}" if before else f"star:{callee}"
    for kw in node.keywords:
        if isinstance(kw.value, ast.Call):
            before = kw.arg is not None and (first is None or (kw.lineno, kw.col_offset) < first)
            uses[id(kw.value)] = f"kw:{kw.arg}:{callee}" if before else f"star:{callee}"


def _mark_bool(uses: dict[int, str], node: ast.BoolOp) -> None:
    _mark(uses, node.values[0], "test")


def _mark_compare(uses: dict[int, str], node: ast.Compare) -> None:
    _mark(uses, node.left, "compare")
    for c in node.comparators:
        _mark(uses, c, "compare")


def _mark_not(uses: dict[int, str], node: ast.UnaryOp) -> None:
    if isinstance(node.op, ast.Not):
        _mark(uses, node.operand, "test")


# Parents without a visit method of their own: marked where they are expanded.
_MARKERS: dict[type, Callable[[dict[int, str], Any], None]] = {
    ast.Expr: lambda uses, node: _mark(uses, node.value, "stmt"),
    ast.Assert: lambda uses, node: _mark(uses, node.test, "test"),
    ast.IfExp: lambda uses, node: _mark(uses, node.test, "test"),
    ast.Attribute: lambda uses, node: _mark(uses, node.value, f"attr:{node.attr}"),
    ast.Subscript: lambda uses, node: _mark(uses, node.value, "subscript"),
    ast.FormattedValue: lambda uses, node: _mark(uses, node.value, "fstring"),
    ast.BoolOp: _mark_bool,
    ast.Compare: _mark_compare,
    ast.UnaryOp: _mark_not,
}
_GENERIC = _FactsVisitor.generic_visit


_VALIDATOR_WORDS = ("valid", "require", "check", "ensure", "assert")


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _own_nodes(stmts: list[ast.stmt]):
    """Every node of ``stmts`` without descending into nested functions, classes or lambdas."""
    stack: list[ast.AST] = list(reversed(stmts))
    while stack:
        node = stack.pop()
        yield node
        for child in child_nodes(node):  # (no `ctx` leaves: no caller looks for them)
            if not isinstance(child, _SCOPES):
                stack.append(child)


def _names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _none_checked(fn: ast.FunctionDef | ast.AsyncFunctionDef, params: set[str]) -> tuple[str, ...]:
    """Parameters that ``fn`` validates or replaces before they could be stored as None."""
    checked: set[str] = set()
    for node in _own_nodes(fn.body):
        if isinstance(node, ast.If):
            tested = _names_in(node.test) & params
            if tested:
                branch = list(_own_nodes(node.body + node.orelse))
                if any(isinstance(n, ast.Raise) for n in branch):
                    checked |= tested
                for n in branch:
                    if isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                        targets = n.targets if isinstance(n, ast.Assign) else [n.target]
                        checked |= {t.id for t in targets if isinstance(t, ast.Name)} & tested
        elif isinstance(node, ast.Assert):
            checked |= _names_in(node.test) & params
        elif isinstance(node, ast.Assign) and not isinstance(node.value, ast.Name):
            # `p = p or Default()` / `p = X() if p is None else p`
            for t in node.targets:
                if isinstance(t, ast.Name) and t.id in params and t.id in _names_in(node.value):
                    checked.add(t.id)
        elif isinstance(node, ast.Call):
            callee = dotted_name(node.func) or ""
            last = callee.rsplit(".", 1)[-1].lower()
            if any(w in last for w in _VALIDATOR_WORDS):
                for a in list(node.args) + [k.value for k in node.keywords]:
                    if isinstance(a, ast.Name) and a.id in params:
                        checked.add(a.id)
    return tuple(sorted(checked))


def _fixture_name(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The pytest fixture name of a function decorated with `fixture` (`pytest.fixture`,
    `pytest_asyncio.fixture`, with or without arguments), else None."""
    for dec in node.decorator_list:
        call = dec if isinstance(dec, ast.Call) else None
        name = dotted_name(call.func if call is not None else dec) or ""
        if name.rsplit(".", 1)[-1] != "fixture":
            continue
        for kw in call.keywords if call is not None else ():
            if kw.arg == "name":
                value = kw.value
                return value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else None
        return node.name
    return None


def _string_tail(node: ast.expr) -> str | None:
    """The literal end of a string argument: `"a.b.m"`, `f"{MODULE}.m"`, `MODULE + ".m"`."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr) and node.values:
        return _string_tail(node.values[-1])
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _string_tail(node.right)
    return None


def _is_generator(node: ast.AST) -> bool:
    body = getattr(node, "body", [])
    return any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _own_nodes(body))


def _literal_strings(node: ast.expr) -> tuple[str, ...] | None:
    if isinstance(node, (ast.List, ast.Tuple)):
        out = []
        for e in node.elts:
            if isinstance(e, ast.Constant) and isinstance(e.value, str):
                out.append(e.value)
            else:
                return None
        return tuple(out)
    return None


def _params(args: ast.arguments) -> list[Param]:
    out: list[Param] = []
    positional = list(args.posonlyargs) + list(args.args)
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)

    def ann(a: ast.arg) -> str | None:
        return ast.unparse(a.annotation) if a.annotation is not None else None

    def is_none(d: ast.expr | None) -> bool:
        return isinstance(d, ast.Constant) and d.value is None

    for i, (a, d) in enumerate(zip(positional, defaults)):
        kind = "posonly" if i < len(args.posonlyargs) else "normal"
        out.append(Param(a.arg, ann(a), d is not None, is_none(d), kind))
    if args.vararg is not None:
        out.append(Param(args.vararg.arg, ann(args.vararg), False, False, "vararg"))
    for a, d in zip(args.kwonlyargs, args.kw_defaults):
        out.append(Param(a.arg, ann(a), d is not None, is_none(d), "kwonly"))
    if args.kwarg is not None:
        out.append(Param(args.kwarg.arg, ann(args.kwarg), False, False, "kwarg"))
    return out


def parse_source(source: str, path: str) -> tuple[ast.Module | None, str | None, tuple[int, int]]:
    """``ast.parse`` the source: the tree, or None with CPython's message and 1-based position."""
    try:
        return ast.parse(source, filename=path), None, (1, 1)
    except SyntaxError as exc:
        return None, exc.msg, (exc.lineno or 1, exc.offset or 1)
    except ValueError as exc:  # e.g. "source code string cannot contain null bytes"
        return None, str(exc), (1, 1)
    except RecursionError:
        return None, "too deeply nested (exceeds Python's recursion limit)", (1, 1)
    except MemoryError:
        return None, "out of memory while parsing", (1, 1)


def identifier_text(text: str) -> str:
    """Text in which every identifier is spelled as the parser sees it.

    Python NFKC-normalises identifiers (``ｘ`` is ``x``). Identifiers are delimited by
    ASCII punctuation, whitespace or the ends of comments and strings, so normalising
    the whole text keeps each identifier whole and spelled as the parser sees it.
    """
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def _word_char(c: str) -> bool:
    return c.isidentifier() or c.isdigit()


# Runs of anything but ASCII non-word characters and whitespace; an ASCII run is a word.
_CHUNKS = re.compile(r"[^\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f\s]+")
_ASCII_WORDS = re.compile(r"[A-Za-z0-9_]+")


def identifier_words(text: str) -> frozenset[str]:
    """The maximal runs of word characters (``c.isidentifier() or c.isdigit()``) of the
    NFKC-normalised text: a word made of word characters occurs in the text as a whole
    identifier (what ``index.mentions`` looks for) exactly when it is in this set."""
    text = identifier_text(text)
    if text.isascii():
        return frozenset(map(sys.intern, _ASCII_WORDS.findall(text)))
    out: set[str] = set()
    for chunk in _CHUNKS.findall(text):
        if chunk.isascii():
            out.add(chunk)
            continue
        start = None
        for i, c in enumerate(chunk):
            if _word_char(c):
                if start is None:
                    start = i
            elif start is not None:
                out.add(chunk[start:i])
                start = None
        if start is not None:
            out.add(chunk[start:])
    return frozenset(map(sys.intern, out))


def mentions_any(words_of_text: frozenset[str], words: frozenset[str] | set[str]) -> bool:
    """Does a text whose ``identifier_words`` are ``words_of_text`` mention one of ``words``
    as a whole identifier? Exact for words made of word characters; a word that is not (no
    identifier is) is assumed to be there, which a screen may always assume."""
    if not words.isdisjoint(words_of_text):
        return True
    return any(w and not plain_word(w) for w in words)


def plain_word(word: str) -> bool:
    """Made of word characters only: in a text's ``identifier_words`` exactly when the text
    spells it as a whole identifier."""
    return bool(word) and all(map(_word_char, word))


def extract_facts(
    source: str,
    module: str,
    path: str,
    is_package: bool,
    collectors: Sequence[FactCollector[Any]] | None = None,
) -> ModuleFacts:
    """Extract the facts of one module. A module that does not parse has empty facts
    (but its ``identifiers``). ``collectors`` (default: those of the installed rules,
    ``installed_collectors``) add the rules' own facts."""
    facts = ModuleFacts(module=module, path=path, is_package=is_package)
    facts.identifiers = identifier_words(source)
    facts.scopes[""] = Scope("module", "")
    tree, error, at = parse_source(source, path)
    if tree is None:
        facts.syntax_error = error
        facts.syntax_error_at = at
        return facts
    visitor = _FactsVisitor(facts)
    visitor.scope_stack.append(facts.scopes[""])
    try:
        for stmt in tree.body:
            visitor.visit(stmt)
    except RecursionError:
        facts.syntax_error = "too deeply nested to analyse (exceeds Python's recursion limit)"
    facts.names = frozenset(visitor.names)
    facts.patched_attrs = frozenset(visitor.patched)
    facts.fixtures = tuple(visitor.fixtures)
    facts.imported = tuple(visitor.imported)
    facts.patched_regions = tuple(sorted(r for r in visitor.patched_regions if r[0] not in visitor.patched))
    facts.call_sites = frozenset(visitor.call_sites)
    facts.awaited_names = frozenset(visitor.awaited_names)
    for collector in installed_collectors() if collectors is None else collectors:
        facts.collected[collector.name] = collector.run(tree, facts)
    return facts


# --- facts that rules declare ---------------------------------------------------------------
T = TypeVar("T")


class FactCollector(Generic[T]):
    """Facts a rule needs about every module, collected in the facts pass.

    ``collect(tree, facts)`` runs once per module that parses, on its ``ast`` tree, after
    the core facts (read ``facts``, never change it), and returns plain data of the
    declared ``type``: str, int, bool, None; tuples, lists, frozensets; dicts with str keys;
    dataclasses of those. The value is kept with the module's facts as typed JSON
    (``ssot_lint.codec``): cached with them and read back against ``type``, never pickled.
    ``of(facts)`` gives it back (``default`` for a module that does not parse).

    A rule lists its collectors in ``LintRule.FACTS``; the collectors of every installed
    rule pack run (``installed_collectors``). ``name`` must be unique; change ``version``
    whenever ``collect`` changes what it gives: name, version and type are part of the
    facts' cache key (``collectors_key``).
    """

    def __init__(
        self,
        name: str,
        type: Any,
        collect: Callable[[ast.Module, ModuleFacts], T],
        default: T,
        version: int = 1,
    ) -> None:
        self.name = name
        self.type = type
        self.collect = collect
        self.default = default
        self.version = version

    def __repr__(self) -> str:
        return f"FactCollector({self.name!r}, version={self.version})"

    @property
    def key(self) -> str:
        return f"{self.name}:{self.version}:{self.type!r}"

    def run(self, tree: ast.Module, facts: ModuleFacts) -> str:
        """The collector's value for one module, as typed JSON."""
        from .codec import dumps

        return dumps(self.collect(tree, facts), self.type).decode("utf-8")

    def of(self, facts: ModuleFacts) -> T:
        """The value collected for the module of ``facts``."""
        raw = facts.collected.get(self.name)
        if raw is None:
            if facts.syntax_error is not None or not facts.scopes:
                return self.default
            raise LookupError(
                f"fact collector {self.name!r} did not run on {facts.path}: list it in its rule's FACTS, "
                "and install the rule pack (entry-point group ssot_lint.rules)"
            )
        from .codec import loads

        return loads(raw.encode("utf-8"), self.type)


@functools.cache
def installed_collectors() -> tuple[FactCollector[Any], ...]:
    """The collectors of every installed rule (``LintRule.FACTS``), sorted by name.

    The rules are found as ``ssot_lint.registry.load_rules`` finds them; a pack that cannot
    be loaded adds none (loading the rules reports it).
    """
    from .registry import installed_rules

    found: dict[str, FactCollector[Any]] = {}
    for rule in installed_rules():
        for collector in getattr(rule, "FACTS", ()):
            other = found.setdefault(collector.name, collector)
            if other is not collector:
                raise ValueError(f"two fact collectors named {collector.name!r}")
    return tuple(found[name] for name in sorted(found))


def collectors_key() -> list[str]:
    """What the facts of a module depend on besides its text and this module: the
    installed collectors (part of the facts' cache key)."""
    return [c.key for c in installed_collectors()]
