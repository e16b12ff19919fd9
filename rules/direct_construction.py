"""SSOT001 direct-construction: factory-managed classes built outside their factory."""

from __future__ import annotations

from ssot_lint.api import Definition, Invalid, LintRule, RuleContext, Valid, alias_closure, cst

_ENGINE_MODULE = "app/agents/execution_engine.py"
_ENGINE = """\
class ExecutionEngine:
    def __init__(self, context, registry, notifier):
        self.context = context

    @classmethod
    def _init_from_factory(cls, context):
        return cls(context, None, None)
"""
_FACTORY = """\
from app.agents.execution_engine import ExecutionEngine
from app.context import UserExecutionContext

class ExecutionEngineFactory:
    async def create_for_user(self, context: UserExecutionContext):
        return ExecutionEngine(context, registry=None, notifier=None)
"""
# The factory makes `ExecutionEngine` managed: the contract infers it (see `ssot-lint contract`).
_FILES = {
    _ENGINE_MODULE: _ENGINE,
    "app/agents/__init__.py": "from .execution_engine import ExecutionEngine\n",
    "app/agents/execution_engine_factory.py": _FACTORY,
    "app/__init__.py": "",
    "app/context.py": "class UserExecutionContext:\n    user_id: str\n",
}


class DirectConstruction(LintRule):
    """
    ## What it does
    Flags a call that constructs a factory-managed class (for example
    `ExecutionEngine(...)`) outside the modules allowed to construct it: the
    factory's module and the class's own module. The class is found through the
    project's imports, so aliases (`import ... as E`), function-local imports,
    package re-exports, `module.Class(...)` and `Y = X` rebindings are all seen.
    It also flags the back doors `Class.__new__(Class)`, `object.__new__(Class)`,
    and classmethods documented as factory-internal (`_init_from_factory` by
    default, configurable with `contract.factory-internal-methods`).

    It does not flag `Mock(spec=Class)`, `create_autospec(Class)`, `isinstance`
    checks, annotations, subclass definitions, calls to unrelated classes that
    happen to share the name, or names imported only under `TYPE_CHECKING`.
    Test code is not checked by default.

    Which classes are managed, and where construction is allowed, comes from the
    contract (`ssot-lint contract` prints it): the classes the reference factory
    builds (`contract.module`), those listed in `contract.managed`, and those your
    own per-user factories return (`create_*` / `*_for_user` functions and
    `*Factory` methods taking the user context), which may then be built only in
    that factory's module. A factory takes the user context only through a
    parameter annotated with the contract's context class (resolved through the
    project's imports, `Optional[...]` allowed): a parameter merely *named*
    `context`, an `Optional[str]`, or another `*Context` class does not count.
    Value objects (a dataclass or `NamedTuple` of plain values, holding neither
    the context nor another per-user collaborator) are never managed.

    ## Why is this bad?
    A factory-managed object built directly skips what the factory guarantees: a
    validated user context, a per-user registry and a per-user notifier. The
    engine either shares state with other users or has no notifier, so events
    leak to the wrong user or never arrive.

    ## Example
    ```python
    from app.agents.execution_engine import ExecutionEngine

    async def handle(ctx):
        engine = ExecutionEngine(ctx, registry, notifier)
    ```

    Use instead:
    ```python
    async def handle(ctx, factory: ExecutionEngineFactory):
        engine = await factory.create_for_user(ctx)
    ```

    ## Fix
    Obtain the object from its factory (`await factory.create_for_user(ctx)`) instead of constructing it.
    """

    code = "SSOT001"
    name = "direct-construction"
    summary = "Factory-managed class constructed outside its factory"
    applies_to_tests = False

    VALID = [
        Valid(_FACTORY, files=_FILES, path="app/agents/execution_engine_factory.py"),
        Valid(
            "from app.agents import ExecutionEngine\n"
            "from unittest.mock import Mock, create_autospec\n"
            "def f(x: ExecutionEngine) -> ExecutionEngine:\n"
            "    m = Mock(spec=ExecutionEngine)\n"
            "    a = create_autospec(ExecutionEngine)\n"
            "    return isinstance(x, ExecutionEngine)\n"
            "class Debug(ExecutionEngine):\n"
            "    pass\n",
            files=_FILES,
        ),
        Valid(
            "from somelib import ExecutionEngine\nengine = ExecutionEngine()\n",
            files=_FILES,
        ),
        Valid(
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n"
            "    from app.agents import ExecutionEngine\n"
            "def f(e: 'ExecutionEngine') -> None:\n"
            "    pass\n",
            files=_FILES,
        ),
        Valid(
            "from app.agents import ExecutionEngine\ndef build(ExecutionEngine):\n    return ExecutionEngine()\n",
            files=_FILES,
        ),
        Valid(
            "from app.agents.execution_engine import ExecutionEngine\nengine = ExecutionEngine(ctx, r, n)\n",
            files=_FILES,
            path="tests/test_engine.py",
        ),
        # a parameter *named* `context` does not make a per-user factory, nor is a value object managed
        Valid(
            "from app.summaries import RunSummary\nsummary = RunSummary(3)\n",
            files={
                **_FILES,
                "app/summaries.py": (
                    "from dataclasses import dataclass\nfrom typing import Optional\n"
                    "from app.context import UserExecutionContext\n"
                    "@dataclass\nclass RunSummary:\n    total: int\n"
                    "class SummaryHelpers:\n"
                    "    def create_summary(self, total: int, context: Optional[str] = None) -> RunSummary:\n"
                    "        return RunSummary(total)\n"
                    "def create_summary_for_user(context: UserExecutionContext) -> RunSummary:\n"
                    "    return RunSummary(0)\n"
                ),
            },
        ),
    ]
    INVALID = [
        Invalid(
            "from app.agents.execution_engine import ExecutionEngine\n"
            "async def handle(ctx):\n"
            "    return ExecutionEngine(ctx, None, None)\n",
            line=3,
            column=12,
            files=_FILES,
            message="ExecutionEngine",
        ),
        Invalid(
            "import app.agents.execution_engine as ee\nengine = ee.ExecutionEngine(ctx, r, n)\n",
            message="`ExecutionEngine` is constructed directly outside its factory",
            line=2,
            column=10,
            files=_FILES,
        ),
        Invalid(
            "def legacy():\n    from app.agents import ExecutionEngine as E\n    return E(1, 2, 3)\n",
            column=12,
            message="`ExecutionEngine` is constructed directly outside its factory",
            line=3,
            files=_FILES,
        ),
        Invalid(
            "from app.agents import ExecutionEngine\nLegacy = ExecutionEngine\nx = Legacy(1, 2, 3)\n",
            column=5,
            message="`ExecutionEngine` is constructed directly outside its factory",
            line=3,
            files=_FILES,
        ),
        Invalid(
            "from app.agents import ExecutionEngine\nx = object.__new__(ExecutionEngine)\n",
            column=5,
            line=2,
            files=_FILES,
            message="__new__",
        ),
        Invalid(
            "from app.agents import ExecutionEngine\nx = ExecutionEngine._init_from_factory(ctx)\n",
            column=5,
            line=2,
            files=_FILES,
            message="factory-internal",
        ),
    ]

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.contract = context.contract

    @classmethod
    def could_fire(cls, context: RuleContext) -> bool:
        # Every report resolves a name written in this file to a managed class; that
        # name is the class's own name or one bound to it through `Y = X` / imports
        # somewhere in the project (the alias closure), so the file must mention one.
        seeds = frozenset(m.name.rsplit(".", 1)[-1] for m in context.contract.managed)
        return context.may_mention(alias_closure(context.index, seeds))

    def _managed(self, node: cst.CSTNode) -> Definition | None:
        definition = self.context.resolve_definition(node)
        if definition is None or definition.kind != "class":
            return None
        entry = self.contract.managed_entry(definition)
        if entry is None or self.contract.construction_allowed(entry, self.context.module, definition):
            return None
        return definition

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        managed = self._managed(func)
        if managed is not None:
            self.report(node, self._message(managed, f"`{managed.qualname}` is constructed directly"))
            return
        if not isinstance(func, cst.Attribute):
            return
        attr = func.attr.value
        if attr == "__new__" and node.args:
            target = self._managed(node.args[0].value)
            if target is not None:
                self.report(node, self._message(target, f"`{target.qualname}` is created through `__new__`"))
        elif attr in self.contract.factory_internal_methods:
            target = self._managed(func.value)
            if target is not None:
                self.report(
                    node,
                    self._message(target, f"`{target.qualname}.{attr}` is factory-internal and is called directly"),
                )

    def _message(self, definition: Definition, what: str) -> str:
        allowed = ", ".join(f"`{g}`" for g in self.contract.allowed_modules(definition))
        where = f"{allowed} and its own module" if allowed else "its own module"
        return f"{what} outside its factory (allowed only in {where}); get it from the factory"
