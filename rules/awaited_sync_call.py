"""SSOT003 awaited-sync-call: `await` on a call to a project function that is a plain `def`."""

from __future__ import annotations

from ssot_lint.api import ASYNC_DEF, CLASS, CstFix, Inference, Invalid, LintRule, RuleContext, Valid, cst

from ._awaits import (
    KNOWN_BASES_OPTION,
    TRANSPARENT_OPTION,
    Patches,
    definition_site,
    file_may_call,
    may_be_sync,
    resolve_callee,
    short,
    transparent,
)
from ._awaits import (
    TABLES as AWAIT_TABLES,
)

_SVC = """\
class Notifier:
    async def send(self, event):
        pass

class UserService:
    def __init__(self, notifier: Notifier):
        self._notifier = notifier

    def get_notifier(self) -> Notifier:
        return self._notifier

    async def load(self, user_id):
        return {"id": user_id}
"""
_FILES = {"app/__init__.py": "", "app/services.py": _SVC}


class AwaitedSyncCall(LintRule):
    """
    ## What it does
    Flags `await f(...)` where `f` resolves to a function or method of the project
    that is a plain `def` and returns nothing awaitable. Awaiting its result raises
    `TypeError: object X can't be used in 'await' expression` at run time; inside a
    broad `try/except Exception` the error is easily logged away and the caller
    silently loses what the call should have done (for example, the user never
    gets their events).

    The callee is found from the definitions alone, across modules:
    - names: `from a.b import f`, `import a.b as m; m.f()`, relative imports,
      package re-exports, `Y = f` aliases, function-local imports. Only the binding
      the caller really imports counts, so a `def` and an `async def` of the same
      name in two modules ("twins") are told apart. A name bound twice in a module
      is, inside its functions, the last binding (Python binds in order:
      `from a import f` then `from b import f` is `b.f`); a rebinding under an
      `if`, a loop or an `except` keeps every binding possible, and all of them
      must agree. The `except ImportError` fallback of a `try` whose body only
      imports names that the project's own modules define never runs, so the
      import is what the name is (a module missing from the project keeps the
      fallback possible);
    - `self.m()` / `cls.m()`: the enclosing class and its project bases (MRO);
    - `super().m()` (e.g. `await super().setUp()` in test base classes): the MRO
      of every project class the method can run for;
    - `obj.m()` where the class of `obj` is known: an annotated parameter or
      local (`x: Cls`, `Optional[Cls]`, `Cls | None`), an annotated attribute
      (`self.x: Cls`, class-level `x: Cls`), an attribute or local assigned from a
      constructor `Cls(...)`, from a project function with a return annotation,
      or from `await` of an annotated `async def`; a parameter of a test function
      (or fixture) named after a pytest fixture, found as pytest finds it (the
      module's own, then `conftest.py` files up the tree; `@pytest.fixture(name=...)`
      too): the class of its return annotation (the yielded type for a
      generator), or of what it returns or yields (a constructor, an annotated
      function's result, a local assigned from one); an `async` fixture gives its
      awaited value. Tests that `parametrize` are left alone;
    - attribute chains `name.attr.m()` through module-level instances
      (`auth_service = AuthService()`, also imported or as `module.name`), each
      attribute's class known from `__init__` (or other method) assignments from
      constructors, or declared by an annotation (`self.x: Cls = ...`, or
      class-level `x: Cls`): a declared type wins over what is assigned.

    The `def` counts as synchronous only when all of these hold:
    - every decorator is known not to change the return kind: `staticmethod`,
      `classmethod`, `abc.abstractmethod`, `functools.wraps`, `typing.override`,
      `typing.final` by default (option `transparent-decorators`), and project
      decorators written in the `functools.wraps` style whose wrapper is a plain
      `def` returning `fn(...)`;
    - it contains no `yield`;
    - its return annotation is absent or names a type known not to be awaitable
      (builtins, `None`, containers, project classes without `__await__`);
      `Awaitable`, `Coroutine`, `Future`, `Task` and the like are awaitable, and
      `Any`, type variables or outside classes are unknown;
    - without an annotation, no `return` gives an awaitable: the result of an
      `async def` call, `asyncio.create_task`, `ensure_future`, `gather`,
      `wait_for`, `loop.create_future`, `run_in_executor`, `to_thread` (and
      `shield`, `sleep`, `wait`, `wrap_future`), a call of a function with an
      awaitable return annotation, or a `self.x` attribute assigned from one.
      A `return` of a parameter, a subscript (`self._tasks[k]`), a call of an
      unknown callable, or a method call on a value whose class is unknown
      (`self.session.execute(q)` may be an async client's) makes the kind
      unknown; methods of builtin values (`self._cache.get(k)` with
      `self._cache = {}`) and functions of outside modules are plain. A body
      that is only `...` or `raise NotImplementedError` is an interface stub:
      unknown.
    Awaiting a project class without `__await__` (`await Cls()`) is flagged too.
    A class (or annotation) is not awaitable when no class of its MRO defines
    `__await__` and its bases outside the project are known to have none:
    `object`, `Generic`, `Protocol`, `ABC`, builtins (`dict`, `Exception`...),
    standard-library classes (`enum.Enum`, `threading.Thread`...; not
    `asyncio.Future`/`Task` or `Awaitable`/`Coroutine`, which are awaitable,
    nor `unittest.mock` classes), and the classes listed in the option
    `known-non-awaitable-bases` (e.g. `["pydantic.BaseModel"]`). A subscripted
    project base (`class AgentRegistry(Registry["Agent"])`) is its class. Any
    other outside base makes the class unknown.

    Not flagged:
    - anything whose callee or receiver class is unknown: third-party calls,
      `Mock`/`AsyncMock` objects, untyped parameters. The method name alone is
      never used to guess;
    - a method that any project subclass the receiver may be overrides with an
      `async def` (for `self.m()`, `cls.m()`, annotated receivers and
      `super().m()`). Such a call may well be right at run time, so it is not
      reported at all (no lower-confidence finding);
    - a method that a base class outside the project could provide first in the
      MRO, or that is shadowed by an instance attribute (`self.m = AsyncMock()`);
    - a name the same module patches (`obj.m = AsyncMock()`,
      `patch("app.ws.m")`, `patch.object(Cls, "m", ...)`,
      `monkeypatch.setattr(obj, "m", ...)`), where the patch is active: inside
      its `with` block, in the function or class its `@patch` decorates, in the
      test function that calls `p.start()` or `monkeypatch.setattr` (from the
      line of an `obj.m = ...` on), in the whole class when a method such as
      `setUp` patches, and in the whole module when the patch is made at module
      level, in a helper, or in a fixture or generator (it may outlive the
      function that makes it). Elsewhere the real function is called and judged.

    Test code is checked: an awaited sync call breaks the test.

    ## Why is this bad?
    The `await` raises `TypeError` after the synchronous call already ran. The
    caller's remaining work (sending the user's events, releasing resources) is
    skipped, and broad exception handlers hide why.

    ## Example
    ```python
    class UserService:
        def get_notifier(self) -> Notifier:
            return self._notifier

    async def handle(service: UserService):
        notifier = await service.get_notifier()
    ```

    Use instead:
    ```python
    async def handle(service: UserService):
        notifier = service.get_notifier()
    ```

    ## Fix
    Remove the `await` (safe fix; comments and formatting are kept, and the
    enclosing `async def` keeps its signature even if no other `await` remains).
    If the function was meant to be asynchronous, make it `async def` instead.
    """

    code = "SSOT003"
    name = "awaited-sync-call"
    summary = "`await` on a call to a synchronous project function"
    applies_to_tests = True
    OPTIONS = {"transparent-decorators": TRANSPARENT_OPTION, "known-non-awaitable-bases": KNOWN_BASES_OPTION}
    TABLES = AWAIT_TABLES

    VALID = [
        Valid(
            "from app.services import UserService\n"
            "async def handle(service: UserService):\n"
            "    await service.load(1)\n"
            "    notifier = service.get_notifier()\n"
            "    await notifier.send('x')\n",
            files=_FILES,
        ),
        # Twin: the imported `fetch` is the async one.
        Valid(
            "from app.async_api import fetch\nasync def f():\n    return await fetch()\n",
            files={
                "app/__init__.py": "",
                "app/sync_api.py": "def fetch():\n    return 1\n",
                "app/async_api.py": "async def fetch():\n    return 1\n",
            },
        ),
        # A sync def returning a task, and one returning a coroutine.
        Valid(
            "import asyncio\n"
            "async def work():\n    pass\n"
            "def start():\n    return asyncio.create_task(work())\n"
            "def make():\n    return work()\n"
            "async def main():\n    await start()\n    await make()\n",
        ),
        # Unknown receiver: never guessed from the method name.
        Valid(
            "from unittest.mock import AsyncMock\nfrom app.services import UserService\n"
            "async def test_it(service):\n    m = AsyncMock()\n    await m.get_notifier()\n"
            "    await service.get_notifier()\n",
            files=_FILES,
        ),
        # A subclass overrides the method as async: the call may dispatch there.
        Valid(
            "class Base:\n    def run(self):\n        return 1\n    async def go(self):\n        await self.run()\n"
            "class Child(Base):\n    async def run(self):\n        return 2\n",
        ),
        # An unknown decorator may change the return kind.
        Valid("import somelib\n@somelib.to_async\ndef f():\n    return 1\nasync def g():\n    await f()\n"),
    ]
    INVALID = [
        Invalid(
            "from app.services import UserService\n"
            "async def handle(service: UserService):\n"
            "    notifier = await service.get_notifier()  # keep me\n",
            line=3,
            column=16,
            files=_FILES,
            message="get_notifier",
            expected_fix="from app.services import UserService\n"
            "async def handle(service: UserService):\n"
            "    notifier = service.get_notifier()  # keep me\n",
        ),
        Invalid(
            "import app.util as u\nasync def f():\n    return (await u.compute(2)) + 1\n",
            message="`await u\\.compute\\(2\\)` awaits the result of the plain `def` `compute` \\(app/util\\.py:1\\)",
            line=3,
            column=13,
            files={"app/__init__.py": "", "app/util.py": "def compute(x):\n    return x * 2\n"},
            expected_fix="import app.util as u\nasync def f():\n    return (u.compute(2)) + 1\n",
        ),
        Invalid(
            "class Base:\n    def setup(self):\n        pass\n"
            "class Child(Base):\n    async def setup_all(self):\n        await super().setup()\n",
            column=9,
            line=6,
            message="super",
        ),
        Invalid(
            "from app.sync_api import fetch\nasync def f():\n    return await fetch()\n",
            column=12,
            message="`await fetch\\(\\)` awaits the result of the plain `def` `fetch` \\(app/sync_api\\.py:1\\)",
            line=3,
            files={
                "app/__init__.py": "",
                "app/sync_api.py": "def fetch():\n    return 1\n",
                "app/async_api.py": "async def fetch():\n    return 1\n",
            },
        ),
        Invalid(
            "import functools\n"
            "def traced(fn):\n"
            "    @functools.wraps(fn)\n"
            "    def wrapper(*args, **kwargs):\n"
            "        return fn(*args, **kwargs)\n"
            "    return wrapper\n"
            "@traced\ndef total(x):\n    return x + 1\n"
            "async def main():\n    await total(1)\n",
            column=5,
            message="`await total\\(1\\)` awaits the result of the plain `def` `total` \\(app/example\\.py:8\\)",
            line=11,
        ),
        Invalid(
            "import somelib\n@somelib.keep\ndef f():\n    return 1\nasync def g():\n    await f()\n",
            column=5,
            message="`await f\\(\\)` awaits the result of the plain `def` `f` \\(app/example\\.py:3\\)",
            line=6,
            config={"rules": {"awaited-sync-call": {"transparent-decorators": ["somelib.keep"]}}},
        ),
    ]

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.inference = Inference.for_index(context.index)
        self.transparent = transparent(context, type(self))
        self.patches = Patches(context)

    def visit_Module(self, node: cst.Module) -> None:
        self.patches.module = node

    @classmethod
    def could_fire(cls, context: RuleContext) -> bool:
        # The visitor's own test, on the awaited call sites the facts recorded.
        if not context.facts.has_await:
            return False
        return file_may_call(context, cls, may_be_sync, "plain", awaited=True)

    def visit_Await(self, node: cst.Await) -> None:
        call = node.expression
        if not isinstance(call, cst.Call):
            return
        callee = resolve_callee(self.context, call)
        if callee is None:
            return
        kinds = self.inference.target_kinds(callee.resolution, self.transparent)
        if kinds != {"plain"}:
            return
        if self.patches.is_patched(callee.attr, node):
            return
        primary = callee.resolution.primary
        site = definition_site(self.context.index, primary)
        if primary.kind == CLASS:
            what = f"class {site}, whose instances are not awaitable"
        elif primary.kind == ASYNC_DEF:  # pragma: no cover - kinds says plain
            return
        else:
            what = f"the plain `def` {site}"
        self.report(
            node,
            f"`await {short(call)}` awaits the result of {what}; this raises TypeError at run time",
            fix=CstFix("Remove `await`", [(node, node.expression)]),
        )
