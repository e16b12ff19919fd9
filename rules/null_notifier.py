"""SSOT004 null-notifier: per-user objects wired without a notifier."""

from __future__ import annotations

import fnmatch

from ssot_lint.api import (
    ASYNC_DEF,
    CLASS,
    DEF,
    AnalysisSession,
    Definition,
    Invalid,
    LintRule,
    ModuleFacts,
    ModuleRow,
    Option,
    Param,
    ProjectIndex,
    ProjectTable,
    RuleContext,
    Valid,
    closure_of,
    cst,
    restore_names,
    session_of,
)

from ._notifiers import TABLES as NOTIFIER_TABLES
from ._notifiers import NotifierModel, annotation_mentions, notifier_model

_TOOLS = """\
from typing import Optional

from app.emitter import UserWebSocketEmitter

class UnifiedToolExecutionEngine:
    def __init__(self, websocket_notifier: Optional[UserWebSocketEmitter] = None) -> None:
        self._notifier = websocket_notifier

    async def execute_tool(self, name):
        if self._notifier is not None:
            await self._notifier.tool_executing(name)
"""
_STRICT = """\
class StrictToolExecutor:
    def __init__(self, registry, websocket_notifier=None) -> None:
        if websocket_notifier is None:
            raise ValueError("StrictToolExecutor needs a websocket_notifier")
        self._notifier = websocket_notifier
"""
_EMITTER = "class UserWebSocketEmitter:\n    async def tool_executing(self, name): ...\n"
_FILES = {"app/__init__.py": "", "app/tools.py": _TOOLS, "app/strict.py": _STRICT, "app/emitter.py": _EMITTER}

INIT_METHODS = ("__init__", "__post_init__", "__new__")
DEFAULT_TEARDOWN = (
    "close*", "aclose", "cleanup*", "shutdown*", "teardown*", "dispose*", "reset*",
    "__exit__", "__aexit__", "__del__",
)  # fmt: skip


def _is_none(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _init_of(index: ProjectIndex, cls: Definition) -> Definition | None:
    """The ``__init__`` a call of ``cls`` runs (the first one in its project MRO)."""
    for c in index.mro(cls):
        d = index.definition(c.module, f"{c.qualname}.__init__")
        if d is not None and d.kind in (DEF, ASYNC_DEF):
            return d
    return None


def _stored_as(index: ProjectIndex, init: Definition, param: str) -> list[str]:
    """Attributes ``init`` stores ``param`` in, unchanged (``self.x = param``)."""
    owner = index.definition(init.module, init.info.scope)
    if owner is None:
        return []
    return sorted(a for a, src in owner.info.self_attr_names.items() if src == (init.qualname, param))


def _targets_row(facts: ModuleFacts, index: ProjectIndex) -> tuple[str, ...]:
    """A module's names a file must use for SSOT004 to find anything there: classes whose
    ``__init__`` takes a notifier, attributes set from a notifier parameter, and classes
    with a classmethod constructor taking one. Depends on the contract's notifier
    parameters (the row's salt) and the notifier model's class names (recorded)."""
    session = session_of(index)
    assert session.contract is not None
    params = frozenset(p.name for p in session.contract.notifier_params)
    classes = notifier_model(session).class_names
    seeds: set[str] = set()
    for info in facts.defs.values():
        if info.kind == CLASS:
            d = Definition(facts.module, info.qualname, info)
            for attr, (_fn, src) in info.self_attr_names.items():
                if src in params:
                    seeds.add(attr)
            init = _init_of(index, d)
            if init is not None and any(
                p.name in params or annotation_mentions(p.annotation, classes) for p in init.info.params
            ):
                seeds.add(info.name)
        elif "." in info.qualname and any(
            p.name in params or annotation_mentions(p.annotation, classes) for p in info.params
        ):
            seeds.add(info.qualname.split(".")[0])  # classmethod constructors
    return tuple(sorted(seeds))


TARGETS_ROW: ModuleRow[tuple[str, ...]] = ModuleRow(
    "null-notifier-targets", tuple[str, ...], _targets_row, reads_project=True
)


def _compute_targets(session: AnalysisSession, arg: str) -> frozenset[str]:
    """Project-wide names a file must use for SSOT004 to find anything (sound prefilter)."""
    seeds: set[str] = set(notifier_model(session).class_names)
    for row in session.index.rows(TARGETS_ROW).values():
        seeds.update(row)
    return frozenset(closure_of(session.index, seeds))


# The project's targets (once per session); callers depend on their value.
TARGETS: ProjectTable[frozenset[str]] = ProjectTable("null-notifier-targets", _compute_targets, restore=restore_names)


class NullNotifier(LintRule):
    """
    ## What it does
    Flags the ways a per-user object ends up with no notifier. The notifier
    parameter names and the notifier classes come from the contract
    (`ssot-lint contract`): the reference's `notifier`, the parameters inferred
    from the project's factories (such as `websocket_notifier`), and
    `contract.notifier-params`; a parameter annotated with a notifier class counts
    too. A parameter named like a notifier counts only where it is used as one:
    in a factory-managed class or tool executor, or when the class calls a
    notifier method on it.

    1. A literal `None` passed, by keyword or by position, to a notifier
       parameter of a factory-managed class or of a tool executor (a class whose
       name contains `ToolExecut`), including its classmethod constructors.
    2. A constructor call that omits a notifier parameter whose default is
       `None`, when that class's `__init__` stores it without checking it.
    3. `self.<notifier> = None` outside `__init__` and teardown-style methods
       (`close`, `cleanup`, `shutdown`, `__aexit__`, `reset*`, ...; option
       `teardown-methods`).
    4. An `__init__` that defaults a notifier parameter to `None`, stores it and
       never validates it (no `raise`, `assert` or replacement on `None`). It is
       reported at the parameter, naming the silent no-op guards
       (`if not self.notifier: return`, `if self._notifier is not None: ...`) that
       will hide the missing notifier.

    Test code is not checked: tests build objects without collaborators on purpose.

    ## Why is this bad?
    A notifier that is `None` does not fail: every event method is skipped by a
    guard, so the user's chat shows no `agent_started`, no tool progress and no
    result while the agent keeps working. In the seed project,
    `UnifiedToolExecutionEngine` was built with a null `websocket_notifier`, and
    WebSocket event delivery for tools was silently broken.

    ## Example
    ```python
    class UnifiedToolExecutionEngine:
        def __init__(self, websocket_notifier: UserWebSocketEmitter | None = None):
            self._notifier = websocket_notifier

    engine = UnifiedToolExecutionEngine(websocket_notifier=None)
    ```

    Use instead:
    ```python
    class UnifiedToolExecutionEngine:
        def __init__(self, websocket_notifier: UserWebSocketEmitter):
            if websocket_notifier is None:
                raise ValueError("a per-user websocket_notifier is required")
            self._notifier = websocket_notifier

    engine = UnifiedToolExecutionEngine(websocket_notifier=emitter)
    ```

    ## Fix
    Make the notifier a required parameter that `__init__` validates, pass the
    per-user emitter the factory created, and drop the `is None` guards.
    """

    code = "SSOT004"
    name = "null-notifier"
    summary = "Per-user object wired with a null notifier"
    applies_to_tests = False
    TABLES = (*NOTIFIER_TABLES, TARGETS)
    OPTIONS = {
        "teardown-methods": Option(
            "list[str]",
            list(DEFAULT_TEARDOWN),
            "Method name globs where `self.<notifier> = None` is a legitimate release.",
        ),
    }

    VALID = [
        Valid(
            "from app.tools import UnifiedToolExecutionEngine\nx = UnifiedToolExecutionEngine(websocket_notifier=em)\n",
            files=_FILES,
        ),
        Valid("from app.strict import StrictToolExecutor\nx = StrictToolExecutor(reg)\n", files=_FILES),
        Valid(
            "class ExecutionEngine:\n"
            "    def __init__(self, notifier):\n"
            "        self._notifier = notifier\n"
            "    async def run(self):\n"
            "        await self._notifier.agent_started('triage')\n"
            "    async def close(self):\n"
            "        self._notifier = None\n"
            "    def reset_state(self):\n"
            "        self._notifier = None\n",
        ),
        Valid(
            "class Engine:\n"
            "    def __init__(self, notifier=None):\n"
            "        self._notifier = notifier or NullNotifier()\n"
            "class Other:\n"
            "    def __init__(self, notifier=None):\n"
            "        if notifier is None:\n"
            "            notifier = NullNotifier()\n"
            "        self._notifier = notifier\n"
            "class Asserted:\n"
            "    def __init__(self, emitter=None):\n"
            "        assert emitter is not None\n"
            "        self.emitter = emitter\n",
        ),
        Valid(
            "from app.tools import UnifiedToolExecutionEngine\n"
            "def test_tools():\n"
            "    UnifiedToolExecutionEngine(websocket_notifier=None)\n",
            files=_FILES,
            path="tests/test_tools.py",
        ),
        Valid("class Sink:\n    def __init__(self, handler=None):\n        self.handler = handler\n"),
        Valid(
            # Named `notifier`, but a queue: nothing of it is used as a notifier.
            "class Cache(dict):\n"
            "    def __init__(self, *args, notifier=None, **kw):\n"
            "        self.notifier = notifier\n"
            "        super().__init__(*args, **kw)\n"
            "    def __delitem__(self, item):\n"
            "        super().__delitem__(item)\n"
            "        if not self:\n"
            "            self.notifier.put(None)\n"
            "    def rebind(self):\n"
            "        self.notifier = None\n",
            files=_FILES,
        ),
    ]
    INVALID = [
        Invalid(
            # Not managed, but it calls a notifier method on what it stored.
            "from app.ws import WebSocketNotifier\n"
            "class Reporter:\n"
            "    def __init__(self, notifier=None):\n"
            "        self._notifier = notifier\n"
            "    async def report(self):\n"
            "        if not self._notifier:\n"
            "            return\n"
            "        await self._notifier.agent_started('a')\n",
            files={**_FILES, "app/ws.py": "class WebSocketNotifier:\n    async def agent_started(self, name): ...\n"},
            line=3,
            column=24,
            message=r"`if not self._notifier` in `report`",
        ),
        Invalid(
            "from app.tools import UnifiedToolExecutionEngine\n"
            "engine = UnifiedToolExecutionEngine(websocket_notifier=None)\n",
            line=2,
            column=37,
            files=_FILES,
            message=r"`None` is passed as `websocket_notifier` to `UnifiedToolExecutionEngine`",
        ),
        Invalid(
            "from app.tools import UnifiedToolExecutionEngine\nengine = UnifiedToolExecutionEngine(None)\n",
            message=r"`None` is passed as `websocket_notifier` to `UnifiedToolExecutionEngine`",
            line=2,
            column=37,
            files=_FILES,
        ),
        Invalid(
            "from app.tools import UnifiedToolExecutionEngine\nengine = UnifiedToolExecutionEngine()\n",
            line=2,
            column=10,
            files=_FILES,
            message=r"omits `websocket_notifier`",
        ),
        Invalid(
            "class ExecutionEngine:\n"
            "    def __init__(self, notifier):\n"
            "        self._notifier = notifier\n"
            "    def switch_user(self, ctx):\n"
            "        self._notifier = None\n"
            "    async def run(self):\n"
            "        await self._notifier.agent_started('triage')\n",
            line=5,
            column=9,
            message=r"`self._notifier = None` in `switch_user`",
        ),
        Invalid(
            _TOOLS,
            path="app/tools.py",
            files={"app/__init__.py": "", "app/emitter.py": _EMITTER},
            line=6,
            column=24,
            message=r"`websocket_notifier` defaults to None.*`if self._notifier is not None` in `execute_tool`",
        ),
    ]

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.contract = context.contract
        self.model = notifier_model(context.session)
        self.params = frozenset(p.name for p in context.contract.notifier_params)
        self.teardown = tuple(self.options.get("teardown-methods", DEFAULT_TEARDOWN))

    # --- prefilter ------------------------------------------------------------------
    @classmethod
    def could_fire(cls, context: RuleContext) -> bool:
        params = frozenset(p.name for p in context.contract.notifier_params)
        model = notifier_model(context.session)
        names = context.facts.names
        targets = context.session.table(TARGETS)
        screened = (
            any(n.lstrip("_") in params for n in names)
            or bool(names & targets)
            or any(
                any(p.annotation and any(c in p.annotation for c in model.class_names) for p in info.params)
                for info in context.facts.defs.values()
            )
        )
        return screened and _may_report(context, params, model)

    def _is_notifier_param(self, p: Param) -> bool:
        return _is_notifier_param(p, self.params, self.model)

    # --- 1 and 2: calls -------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        target = self.context.resolve_definition(node.func)
        if target is None:
            return
        index = self.context.index
        built = _constructor(index, target)
        if built is None:
            return
        owner, init, params, constructor = built
        notifier_params = [p for p in params if self._is_notifier_param(p)]
        if not notifier_params:
            return
        supplied, starred = _bind_args(node, params)
        if self._watched(owner):
            for p in notifier_params:
                arg = supplied.get(p.name)
                if arg is not None and _is_none(arg.value):
                    self.report(
                        arg,
                        f"`None` is passed as `{p.name}` to `{owner.qualname}`: its events are silently "
                        "dropped, so the user sees no progress; pass the per-user emitter from the factory",
                    )
        if constructor and not starred:
            for p in notifier_params:
                if p.name in supplied or not p.default_none or p.kind in ("vararg", "kwarg"):
                    continue
                if p.name in init.info.none_checked:
                    continue
                attrs = _stored_as(index, init, p.name)
                init_owner = index.definition(init.module, init.info.scope)
                if not attrs or init_owner is None or not self._holds_notifier(init_owner, p, attrs):
                    continue
                self.report(
                    node,
                    f"`{owner.qualname}(...)` omits `{p.name}`, which defaults to None and is stored "
                    "unchecked: every event of this object is silently dropped; pass the per-user notifier",
                )

    def _holds_notifier(self, owner: Definition, p: Param, attrs: list[str]) -> bool:
        """Is the parameter really a notifier here, not just named like one?

        It is when the class is factory-managed or a tool executor, when the parameter is
        annotated with a notifier class, or when the class calls a notifier method on the
        attribute it stores it in (``self._notifier.tool_executing(...)``).
        """
        if self._watched(owner) or annotation_mentions(p.annotation, self.model.class_names):
            return True
        methods = self.model.all_methods
        if not methods:
            return False
        for c in [owner] + self.context.index.subclasses(owner):
            for a in attrs:
                if any(m in methods for m in c.info.self_attr_calls.get(a, ())):
                    return True
        return False

    def _watched(self, owner: Definition) -> bool:
        for c in self.context.index.mro(owner):
            if self.contract.managed_entry(c) is not None or "ToolExecut" in c.info.name:
                return True
        return False

    # --- 3: self.<notifier> = None ----------------------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        if _is_none(node.value):
            for t in node.targets:
                self._check_self_none(t.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if _is_none(node.value):
            self._check_self_none(node.target)

    def _check_self_none(self, target: cst.BaseExpression) -> None:
        if not (
            isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == "self"
        ):
            return
        cls = self.context.index.enclosing_class(self.context.module, self.context.scope)
        if cls is None:
            return
        method = self.context.scope[len(cls.qualname) + 1 :].split(".")[0]
        if method in INIT_METHODS or any(fnmatch.fnmatchcase(method, g) for g in self.teardown):
            return
        attr = target.attr.value
        if not self._is_notifier_attr(cls, attr):
            return
        self.report(
            target,
            f"`self.{attr} = None` in `{method}` drops this object's notifier while it is still in use: "
            f"later events are silently lost; do this only in `__init__` or a teardown method (`close`, `reset*`)",
        )

    def _is_notifier_attr(self, cls: Definition, attr: str) -> bool:
        """``self.<attr>`` holds a notifier: typed as one, or named/stored like one and used as one."""
        index = self.context.index
        named = attr.lstrip("_") in self.params
        for c in index.mro(cls):
            summary = c.info.self_attrs.get(attr, "")
            if summary.startswith("annotated:") and annotation_mentions(summary[10:], self.model.class_names):
                return True
            src = c.info.self_attr_names.get(attr)
            if src is not None and "." not in src[1]:
                fn = index.definition(c.module, src[0])
                param = next((p for p in fn.info.params if p.name == src[1]), None) if fn is not None else None
                if param is not None:
                    if annotation_mentions(param.annotation, self.model.class_names):
                        return True
                    named = named or param.name in self.params
        if not named:
            return False
        if self._watched(cls):
            return True
        methods = self.model.all_methods
        return bool(methods) and any(
            m in methods for c in index.mro(cls) + index.subclasses(cls) for m in c.info.self_attr_calls.get(attr, ())
        )

    # --- 4: __init__ that defaults a notifier to None -----------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        scope = self.context.scope
        qual = f"{scope}.{node.name.value}" if scope else node.name.value
        facts = self.context.facts
        cls_info = facts.defs.get(qual)
        init_info = facts.defs.get(f"{qual}.__init__")
        if cls_info is None or cls_info.kind != CLASS or init_info is None or init_info.kind not in (DEF, ASYNC_DEF):
            return
        init_node = next(
            (s for s in node.body.body if isinstance(s, cst.FunctionDef) and s.name.value == "__init__"), None
        )
        if init_node is None:
            return
        by_name = {p.name: p for p in init_info.params}
        cst_params = (
            list(init_node.params.posonly_params) + list(init_node.params.params) + list(init_node.params.kwonly_params)
        )
        for cp in cst_params:
            p = by_name.get(cp.name.value)
            if p is None or not p.default_none or not self._is_notifier_param(p) or p.name in init_info.none_checked:
                continue
            attrs = sorted(a for a, src in cls_info.self_attr_names.items() if src == (init_info.qualname, p.name))
            if not attrs:
                continue
            owner = Definition(self.context.module, qual, cls_info)
            if not self._holds_notifier(owner, p, attrs):
                continue
            guards = _guards(node, set(attrs))
            stored = ", ".join(f"`self.{a}`" for a in attrs)
            if guards:
                hidden = "; these guards will hide it: " + ", ".join(guards)
            else:
                hidden = "; calls on it fail with AttributeError on None"
            self.report(
                cp,
                f"`{p.name}` defaults to None, is stored as {stored} and never validated: an object "
                f"built without it silently sends no events{hidden}. Make it required and raise on None",
            )


def _constructor(index: ProjectIndex, target: Definition) -> tuple[Definition, Definition, list[Param], bool] | None:
    """For a call of ``target``: the class it builds, the function that takes the arguments
    (its ``__init__``, or ``target`` itself for a classmethod or staticmethod of a class),
    that function's parameters the call binds, and whether it is the class's constructor.
    None for any other callee."""
    if target.kind == CLASS:
        init = _init_of(index, target)
        return None if init is None else (target, init, list(init.info.params[1:]), True)
    if target.kind in (DEF, ASYNC_DEF) and "." in target.qualname:
        decorators = {d.rsplit(".", 1)[-1] for d in target.info.decorators}
        if not decorators & {"classmethod", "staticmethod"}:
            return None
        owner = index.definition(target.module, target.qualname.rpartition(".")[0])
        if owner is None or owner.kind != CLASS:
            return None
        params = list(target.info.params[1:] if "classmethod" in decorators else target.info.params)
        return owner, target, params, False
    return None


def _is_notifier_param(p: Param, params: frozenset[str], model: NotifierModel) -> bool:
    """Named as the contract's notifier parameters, or annotated with a notifier class."""
    return p.name in params or annotation_mentions(p.annotation, model.class_names)


def _may_report(context: RuleContext, params: frozenset[str], model: NotifierModel) -> bool:
    """The visitor's first tests, on the facts: a class of the file that sets ``self.x =
    None`` in a method (3) or whose ``__init__`` defaults a notifier parameter to None (4),
    or a call (a call site of the facts, resolved in its scope) of a class or classmethod
    constructor that takes a notifier parameter (1, 2)."""
    facts = context.facts
    for info in facts.defs.values():
        if info.kind != CLASS:
            continue
        if any(a.value == "none" for a in info.attr_assigns):
            return True
        init = facts.defs.get(f"{info.qualname}.__init__")
        if init is not None and init.kind in (DEF, ASYNC_DEF):
            if any(p.default_none and _is_notifier_param(p, params, model) for p in init.params):
                return True
    index = context.index
    for scope, site, _use in facts.call_sites:
        if site.startswith("super("):
            continue  # the visitor resolves dotted callees only
        target = index.resolve(context.module, scope, site)
        if not isinstance(target, Definition):
            continue
        built = _constructor(index, target)
        if built is not None and any(_is_notifier_param(p, params, model) for p in built[2]):
            return True
    return False


def _bind_args(node: cst.Call, params: list[Param]) -> tuple[dict[str, cst.Arg], bool]:
    """Map a call's arguments to parameter names; also whether it has ``*``/``**`` arguments."""
    supplied: dict[str, cst.Arg] = {}
    positional = [p for p in params if p.kind in ("posonly", "normal")]
    has_vararg = any(p.kind == "vararg" for p in params)
    starred = False
    pos = 0
    for arg in node.args:
        if arg.star:
            starred = True
            if arg.star == "*":
                pos = len(positional) + 1  # positions after it are unknown
            continue
        if arg.keyword is not None:
            supplied[arg.keyword.value] = arg
            continue
        if pos < len(positional):
            supplied[positional[pos].name] = arg
        elif not has_vararg:
            pass
        pos += 1
    return supplied, starred


def _guards(cls_node: cst.ClassDef, attrs: set[str]) -> list[str]:
    """``if self.x is not None`` style tests on ``attrs`` in a class's methods, as "`test` in `method`"."""
    found: dict[tuple[str, str], int] = {}
    module = cst.Module(body=[])

    class _Finder(cst.CSTVisitor):
        def __init__(self) -> None:
            self.method = ""

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            if not self.method:
                self.method = node.name.value

        def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
            if self.method == original_node.name.value:
                self.method = ""

        def visit_If(self, node: cst.If) -> None:
            if self.method and self.method != "__init__" and _tests_attr(node.test, attrs):
                key = (f"if {module.code_for_node(node.test)}", self.method)
                found[key] = found.get(key, 0) + 1

    cls_node.body.visit(_Finder())
    out = []
    for (test, method), n in found.items():
        out.append(f"`{test}` in `{method}`" + (f" ({n}x)" if n > 1 else ""))
    return out


def _self_attr(node: cst.BaseExpression, attrs: set[str]) -> bool:
    return (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == "self"
        and node.attr.value in attrs
    )


def _tests_attr(test: cst.BaseExpression, attrs: set[str]) -> bool:
    """``self.x``, ``not self.x``, ``self.x is [not] None``, or any of them in ``and``/``or``."""
    if _self_attr(test, attrs):
        return True
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _tests_attr(test.expression, attrs)
    if isinstance(test, cst.Comparison) and _self_attr(test.left, attrs) and len(test.comparisons) == 1:
        comp = test.comparisons[0]
        return isinstance(comp.operator, (cst.Is, cst.IsNot)) and _is_none(comp.comparator)
    if isinstance(test, cst.BooleanOperation):
        return _tests_attr(test.left, attrs) or _tests_attr(test.right, attrs)
    return False


__all__ = ["NullNotifier"]
