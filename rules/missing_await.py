"""SSOT005 missing-await: a coroutine from a project `async def` that is never awaited."""

from __future__ import annotations

from dataclasses import dataclass, field

from ssot_lint.api import (
    ASYNC_DEF,
    DEF,
    CstFix,
    Definition,
    Finding,
    Inference,
    Invalid,
    LintRule,
    RuleContext,
    Valid,
    cst,
    cst_dotted_name,
)

from ._awaits import (
    KNOWN_BASES_OPTION,
    TRANSPARENT_OPTION,
    Callee,
    Patches,
    call_site,
    definition_site,
    enclosing_function,
    file_may_call,
    may_give_coroutine,
    resolve_callee,
    resolve_site,
    short,
    transparent,
)
from ._awaits import (
    TABLES as AWAIT_TABLES,
)

# Callables that use their argument as a plain value (a coroutine there is a bug).
PLAIN_CONSUMERS = frozenset(
    {
        "len",
        "str",
        "int",
        "float",
        "bool",
        "list",
        "dict",
        "tuple",
        "set",
        "frozenset",
        "sorted",
        "sum",
        "min",
        "max",
        "print",
        "repr",
        "iter",
        "next",
        "enumerate",
        "zip",
        "json.dumps",
        "json.dump",
        "hash",
    }
)
# Coroutine attributes: using these is legitimate.
COROUTINE_ATTRS = frozenset(
    {
        "send",
        "throw",
        "close",
        "__await__",
        "cr_frame",
        "cr_running",
        "cr_code",
        "cr_await",
        "cr_origin",
        "cr_suspended",
        "__name__",
        "__qualname__",
    }
)

_SVC = """\
class Notifier:
    async def send(self, event) -> bool:
        return True

    async def flush(self):
        pass

async def load_user(user_id: str) -> dict:
    return {"id": user_id}

class Page:
    def __init__(self, user: dict, title: str = "") -> None:
        self.user = user

    def render(self, items: list) -> str:
        return str(items)
"""
_FILES = {"app/__init__.py": "", "app/notify.py": _SVC}


@dataclass
class _Pending:
    """``name = coro_call()`` waiting for the end of its function to be judged."""

    name: str
    call: cst.Call
    callee: Callee
    can_fix: bool
    scope: str
    statement: cst.CSTNode | None


@dataclass
class _Frame:
    is_async: bool
    pending: list[_Pending] = field(default_factory=list)
    node: cst.FunctionDef | None = None


def _plain_parameter(
    context: RuleContext, inference: Inference, scope: str, site: str, i: int, keyword: str | None
) -> str | None:
    """How a call of ``site`` made in ``scope`` uses its argument (the ``i``-th positional
    one, or ``keyword``) when that binds to a parameter of a project function annotated with
    a type that is not awaitable, else None."""
    outer = resolve_site(context.index, context.module, scope, site)
    if outer is None:
        return None
    bound = inference.parameter_for(outer.resolution, None if keyword else i, keyword)
    if bound is None or not bound[1].annotation:
        return None
    fn, param = bound
    if inference.annotation_kind(fn.module, fn.info.scope, param.annotation) != "plain":
        return None
    return f"use as the argument `{param.name}: {param.annotation}` of `{outer.label}()`"


def _declared_plain_return(context: RuleContext, inference: Inference, scope: str) -> str | None:
    """The return annotation of the function ``scope`` when it names a type that is not
    awaitable (a coroutine returned from there is never awaited as such), else None."""
    facts = context.facts
    info = facts.defs.get(scope) if scope else None
    if info is None or info.kind not in (DEF, ASYNC_DEF) or not info.returns or info.has_yield:
        return None
    parent = facts.scopes.get(info.scope)
    if parent is None or len(parent.bindings.get(info.name, ())) > 1:
        return None  # `@overload` variants or a redefinition: which signature is this one?
    if inference.annotation_kind(context.module, info.scope, info.returns) != "plain":
        return None
    return info.returns


# Uses of a call's value (``ModuleFacts.call_sites``) the rule judges whatever the context.
_ALWAYS_JUDGED = frozenset({"stmt", "subscript", "test", "compare", "iter", "fstring"})


def _judged_use(context: RuleContext, inference: Inference, scope: str, use: str) -> bool:
    """Could the rule report a coroutine call used as ``use`` (``facts.CALL_USES``) in
    ``scope``? The visitor's own tests where they are cheap (a `return` from a function
    declared to return a plain type; an argument bound to a parameter annotated with
    one), else yes."""
    kind, _, rest = use.partition(":")
    if kind in _ALWAYS_JUDGED:
        return True
    if kind == "attr":
        return rest not in COROUTINE_ATTRS
    if kind == "assign":
        # `name = f()` is judged when its function ends (``_judge_assignment``): never at
        # module level, and never when the function awaits the name (`await name`, there or
        # in a nested scope, is a use ``NameUses`` counts as an escape).
        return scope != "" and not any(
            name == rest and (where == scope or where.startswith(scope + "."))
            for where, name in context.facts.awaited_names
        )
    if kind == "return":
        return _declared_plain_return(context, inference, scope) is not None
    if kind == "star":
        return rest in PLAIN_CONSUMERS  # else the visitor stops at the first `*`/`**` argument
    if kind in ("arg", "kw"):
        position, _, site = rest.partition(":")  # an index for "arg", a name for "kw"
        if site in PLAIN_CONSUMERS:
            return True
        index, keyword = (int(position), None) if kind == "arg" else (0, position)
        return _plain_parameter(context, inference, scope, site, index, keyword) is not None
    return False  # "other": a use the visitor never judges ("await" never reaches here)


class MissingAwait(LintRule):
    """
    ## What it does
    Flags a call of a project coroutine function (an `async def` without `yield`,
    or a `def` that returns a coroutine: annotated `-> Coroutine[...]`, or returning
    the call of an `async def`) whose coroutine is never awaited:
    - the call is an expression statement (the result is discarded), in an
      `async def`, a plain `def` or at module level;
    - the result is used directly as a plain value: `f().x`, `f()[k]`,
      `if f():`, `not f()`, `f() or d`, `f() == x`, `for x in f():`,
      `f"{f()}"`, or passed to `len`, `str`, `int`, `bool`, `list`, `dict`,
      `sorted`, `print`, `json.dumps` and the like;
    - the call is an argument of a project function whose parameter is annotated
      with a type that is not awaitable (`def render(items: list)`;
      `render(load_items())`);
    - the call is returned from a function declared to return a type that is not
      awaitable (`def context_for(u) -> Ctx: return create_context(u)`; also from
      an `async def`, whose callers then get a coroutine instead of a `Ctx`);
    - the result is assigned to a local name (`x = f()`) that is later used only
      in such plain-value ways (attribute access other than `send`/`throw`/
      `close`, subscript, truth test, comparison, iteration, formatting, the
      consumers above, an argument whose parameter is annotated with a type that
      is not awaitable, or a `return` from a function declared as above), and
      never escapes.

    The callee is resolved exactly as for SSOT003 (imports, twins, `self.m()`,
    `super().m()`, known receiver classes); when a project subclass the receiver
    may be overrides the method with a plain `def`, nothing is reported.

    Not flagged: a coroutine that is awaited (also later: `x = f(); ...;
    await x`), returned from a function without a return annotation (or one
    declared awaitable or unknown), yielded, passed to any other call (`asyncio.create_task`,
    `gather`, `ensure_future`, `wait_for`, `run`, `loop.run_until_complete`, a
    callback API, `list.append` of a list that is gathered, a parameter without
    an annotation or with an awaitable or unknown one), stored in a
    collection or an attribute, or assigned to a name that has other bindings in
    the function. Calls of `async def` generators (which return async iterators),
    functions with unknown decorators, functions returning tasks or futures (a
    discarded task still runs), and unknown callees are never flagged, nor is a
    name the module patches where the patch is active (as for SSOT003: its `with`
    block, the def a `@patch` decorates, the test function or class that patches).

    ## Why is this bad?
    Calling an `async def` only creates a coroutine object; its body never runs
    unless it is awaited or scheduled. The work (sending a user's event,
    releasing their engine) silently does not happen, and the coroutine object
    is truthy, so checks on it always pass. Python only warns
    "coroutine ... was never awaited" when it is garbage-collected, if at all.

    ## Example
    ```python
    async def finish(notifier: Notifier, run_id):
        notifier.send({"run_id": run_id, "type": "agent_completed"})
    ```

    Use instead:
    ```python
    async def finish(notifier: Notifier, run_id):
        await notifier.send({"run_id": run_id, "type": "agent_completed"})
    ```

    ## Fix
    Add `await` in front of the call (wrapped in parentheses where the call is
    used as a value, e.g. `(await f()).x`). Offered only when the enclosing
    function is an `async def` (and not inside a `lambda` or generator
    expression), and marked unsafe because it changes behaviour: the coroutine's
    body now runs. Apply it with `--fix --unsafe-fixes`. In a plain `def`, make the
    function `async def` or schedule the coroutine instead.
    """

    code = "SSOT005"
    name = "missing-await"
    summary = "Coroutine of a project `async def` is never awaited"
    applies_to_tests = True
    OPTIONS = {"transparent-decorators": TRANSPARENT_OPTION, "known-non-awaitable-bases": KNOWN_BASES_OPTION}
    TABLES = AWAIT_TABLES

    VALID = [
        Valid(
            "import asyncio\nfrom app.notify import Notifier, load_user\n"
            "async def handle(n: Notifier):\n"
            "    await n.send(1)\n"
            "    task = asyncio.create_task(n.flush())\n"
            "    coro = load_user('a')\n"
            "    results = await asyncio.gather(coro, n.send(2))\n"
            "    pending = [n.send(i) for i in range(3)]\n"
            "    await asyncio.gather(*pending)\n"
            "    return n.flush()\n",
            files=_FILES,
        ),
        Valid(
            "from app.notify import load_user\n"
            "async def f():\n    user = load_user('a')\n    if user is not None:\n        pass\n"
            "    return await user\n",
            files=_FILES,
        ),
        Valid("async def gen():\n    yield 1\nasync def f():\n    gen()\n"),
        Valid("import somelib\nasync def f(client):\n    client.send(1)\n    somelib.go()\n"),
    ]
    INVALID = [
        Invalid(
            "from app.notify import Page, load_user\n"
            "async def f():\n    page = Page(load_user('a'))\n    return page.render(items=load_user('b'))\n",
            files=_FILES,
            findings=(
                Finding(
                    3, 17, "`load_user\\('a'\\)` .* never awaited; its use as the argument `user: dict` of `Page\\(\\)`"
                ),
                Finding(
                    4,
                    30,
                    "`load_user\\('b'\\)` .* never awaited; its use as the argument `items: list` of `page.render\\(\\)`",
                ),
            ),
        ),
        Invalid(
            "from app.notify import Notifier\n"
            "async def finish(notifier: Notifier):\n"
            "    notifier.send({'type': 'done'})  # notify\n",
            line=3,
            column=5,
            files=_FILES,
            message="never awaited",
            expected_fix="from app.notify import Notifier\n"
            "async def finish(notifier: Notifier):\n"
            "    await notifier.send({'type': 'done'})  # notify\n",
        ),
        Invalid(
            "from app.notify import load_user\nasync def f():\n    user = load_user('a')\n    return user['id']\n",
            line=3,
            column=12,
            files=_FILES,
            message="plain value",
            expected_fix="from app.notify import load_user\n"
            "async def f():\n    user = await load_user('a')\n    return user['id']\n",
        ),
        Invalid(
            "from app.notify import load_user\nasync def f():\n    return load_user('a').get('id')\n",
            message="its attribute access `.get` treats the coroutine as a plain value",
            line=3,
            column=12,
            files=_FILES,
            expected_fix="from app.notify import load_user\n"
            "async def f():\n    return (await load_user('a')).get('id')\n",
        ),
        Invalid(
            "from app.notify import Notifier\ndef sync_cleanup(n: Notifier):\n    n.flush()\n",
            column=5,
            line=3,
            message="plain `def`",
            files=_FILES,
        ),
        Invalid(
            "from app.notify import load_user\nasync def f():\n    if load_user('a'):\n        pass\n",
            column=8,
            line=3,
            files=_FILES,
            message="truth test",
        ),
    ]

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.inference = Inference.for_index(context.index)
        self.transparent = transparent(context, type(self))
        self._frames: list[_Frame] = [_Frame(is_async=False)]
        self.patches = Patches(context)
        self._no_await_depth = 0  # inside lambda / generator expression
        self._reported: set[int] = set()

    @classmethod
    def could_fire(cls, context: RuleContext) -> bool:
        # Every finding is a call whose callee resolves to definitions that all give a
        # coroutine (`_coroutine_call`), used where the visitor judges it: the same tests,
        # on the call sites the facts recorded with their use (``_judged_use``). The operand
        # of an `await` is never one.
        inference = Inference.for_index(context.index)
        return file_may_call(
            context,
            cls,
            may_give_coroutine,
            "coroutine",
            awaited=False,
            judged=lambda scope, use: _judged_use(context, inference, scope, use),
        )

    # --- bookkeeping ------------------------------------------------------------------
    def visit_Module(self, node: cst.Module) -> None:
        self.patches.module = node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._frames.append(_Frame(is_async=node.asynchronous is not None, node=node))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        frame = self._frames.pop()
        for p in frame.pending:
            self._judge_assignment(frame, p)

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._no_await_depth += 1

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._no_await_depth -= 1

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._no_await_depth += 1

    def leave_GeneratorExp(self, original_node: cst.GeneratorExp) -> None:
        self._no_await_depth -= 1

    def _can_fix(self) -> bool:
        info = enclosing_function(self.context)
        return info is not None and info.kind == ASYNC_DEF and self._no_await_depth == 0

    # --- what counts as a coroutine call ---------------------------------------------
    def _coroutine_call(self, node: cst.BaseExpression) -> Callee | None:
        if not isinstance(node, cst.Call):
            return None
        callee = resolve_callee(self.context, node)
        if callee is None:
            return None
        kinds = self.inference.target_kinds(callee.resolution, self.transparent)
        if kinds != {"coroutine"}:
            return None
        if self.patches.is_patched(callee.attr, node):
            return None
        return callee

    def _what(self, callee: Callee) -> str:
        primary: Definition = callee.resolution.primary
        site = definition_site(self.context.index, primary)
        if primary.kind == ASYNC_DEF:
            return f"`async def` {site}"
        return f"coroutine-returning {site}"

    def _awaited(self, call: cst.Call, parens: bool) -> cst.Await:
        # The call itself is kept as it is (the engine copies its original text).
        if parens:
            return cst.Await(expression=call, lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        return cst.Await(expression=call)

    def _flag(self, call: cst.Call, callee: Callee, what: str, fix_parens: bool | None) -> None:
        """Report ``call``; ``fix_parens`` None means no fix, else add `await` (in parentheses)."""
        fix = None
        if fix_parens is not None:
            fix = CstFix("Add `await`", [(call, self._awaited(call, fix_parens))], safe=False)
        self.report(
            call,
            f"`{short(call)}` creates a coroutine of the {self._what(callee)} that is never awaited; {what}",
            fix=fix,
        )

    def _report_use(self, call: cst.BaseExpression, use: str, parens: bool = False) -> None:
        if id(call) in self._reported:
            return
        callee = self._coroutine_call(call)
        if callee is None:
            return
        assert isinstance(call, cst.Call)
        self._reported.add(id(call))
        self._flag(
            call, callee, f"its {use} treats the coroutine as a plain value", parens if self._can_fix() else None
        )

    # --- discarded results ---------------------------------------------------------------
    def visit_Expr(self, node: cst.Expr) -> None:
        call = node.value
        callee = self._coroutine_call(call)
        if callee is None:
            return
        assert isinstance(call, cst.Call)
        info = enclosing_function(self.context)
        if info is not None and info.kind == DEF:
            self._flag(call, callee, "the result is discarded inside the plain `def` (it can never run here)", None)
        else:
            self._flag(call, callee, "the result is discarded", False if self._can_fix() else None)

    # --- direct plain-value uses -----------------------------------------------------------
    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value not in COROUTINE_ATTRS:
            self._report_use(node.value, f"attribute access `.{node.attr.value}`", parens=True)

    def visit_Subscript(self, node: cst.Subscript) -> None:
        self._report_use(node.value, "subscript", parens=True)

    def visit_If(self, node: cst.If) -> None:
        self._report_use(node.test, "truth test (`if`)")

    def visit_While(self, node: cst.While) -> None:
        self._report_use(node.test, "truth test (`while`)")

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._report_use(node.test, "truth test (conditional expression)")

    def visit_Assert(self, node: cst.Assert) -> None:
        self._report_use(node.test, "truth test (`assert`)")

    def visit_UnaryOperation(self, node: cst.UnaryOperation) -> None:
        if isinstance(node.operator, cst.Not):
            self._report_use(node.expression, "truth test (`not`)")

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        self._report_use(node.left, "truth test (`and`/`or`)")

    def visit_Comparison(self, node: cst.Comparison) -> None:
        self._report_use(node.left, "comparison")
        for target in node.comparisons:
            self._report_use(target.comparator, "comparison")

    def visit_For(self, node: cst.For) -> None:
        if node.asynchronous is None:
            self._report_use(node.iter, "iteration (`for`)")

    def visit_FormattedStringExpression(self, node: cst.FormattedStringExpression) -> None:
        self._report_use(node.expression, "formatting in an f-string")

    def visit_Call(self, node: cst.Call) -> None:
        if not any(isinstance(arg.value, cst.Call) for arg in node.args):
            return
        name = cst_dotted_name(node.func)
        if name in PLAIN_CONSUMERS:
            head = name.split(".")[0]
            if (
                head == "json"
                or self.context.index.lookup_binding(self.context.module, self.context.scope, head) is None
            ):
                for arg in node.args:
                    self._report_use(arg.value, f"use as an argument of `{name}()`")
            return
        # A project function whose parameter is annotated with a type that is not awaitable.
        for i, arg in enumerate(node.args):
            if arg.star:
                break
            if not isinstance(arg.value, cst.Call):
                continue
            use = self._plain_parameter(node, i, arg, self.context.scope)
            if use is not None:
                self._report_use(arg.value, use)

    def _plain_parameter(self, call: cst.Call, i: int, arg: cst.Arg, scope: str) -> str | None:
        """How ``call`` uses its argument ``arg`` (the ``i``-th) when it binds to a parameter
        of a project function annotated with a type that is not awaitable, else None."""
        site = call_site(call)
        keyword = arg.keyword.value if arg.keyword is not None else None
        return None if site is None else _plain_parameter(self.context, self.inference, scope, site, i, keyword)

    def _declared_plain_return(self, scope: str) -> str | None:
        return _declared_plain_return(self.context, self.inference, scope)

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is None:
            return
        declared = self._declared_plain_return(self.context.scope)
        if declared is not None:
            self._report_use(node.value, f"return from a function declared `-> {declared}`")

    # --- assigned, then used as a plain value ----------------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return
        frame = self._frames[-1]
        if frame.node is None:
            return  # module level: names may be used from other modules
        callee = self._coroutine_call(node.value)
        if callee is None:
            return
        assert isinstance(node.value, cst.Call)
        frame.pending.append(
            _Pending(
                node.targets[0].target.value,
                node.value,
                callee,
                self._can_fix(),
                self.context.scope,
                self.context.current_statement,
            )
        )

    def _judge_assignment(self, frame: _Frame, p: _Pending) -> None:
        from ._name_uses import NameUses  # a LibCST visitor class: imports LibCST

        uses = NameUses(
            p.name,
            self._declared_plain_return(p.scope),
            lambda call, i, arg: self._plain_parameter(call, i, arg, p.scope),
        )
        assert frame.node is not None
        frame.node.body.visit(uses)
        if uses.assignments != 1 or uses.escapes or not uses.plain:
            return
        fix = None
        if p.can_fix:
            fix = CstFix("Add `await`", [(p.call, self._awaited(p.call, False))], safe=False)
        # Judged when the function ends: report with the scope and statement of the assignment.
        saved = self.context.scope, self.context.current_statement
        self.context.scope, self.context.current_statement = p.scope, p.statement
        try:
            self.report(
                p.call,
                f"`{p.name} = {short(p.call)}` stores a coroutine of the {self._what(p.callee)} that is never "
                f"awaited; `{uses.plain[0]}` then uses it as a plain value",
                fix=fix,
            )
        finally:
            self.context.scope, self.context.current_statement = saved
