"""EXM001 blocking-call-in-async: an ``async def`` calls a project function that sleeps.

The worked example of ``docs/writing-rules.md``. It asks a cross-module question (is
the function this call resolves to, in whatever module, one that blocks?), so it
brings three things besides its visitor:

1. a fact collector (``BLOCKING``): which functions of a module call ``time.sleep``
   themselves, collected once per module in the facts pass and cached with its facts;
2. two project tables: the blocking functions of the whole project, and the names
   through which one of them can be reached (their names, and every alias of them);
3. a sound prefilter: a file that defines no ``async def``, or mentions none of those
   names, cannot call a blocking function from a coroutine.
"""

from __future__ import annotations

import ast

import libcst as cst

from ssot_lint.api import (
    ASYNC_DEF,
    AnalysisSession,
    FactCollector,
    Invalid,
    LintRule,
    ModuleFacts,
    ModuleRow,
    ProjectTable,
    RuleContext,
    Valid,
    alias_closure,
    dotted_name,
    restore_names,
)

BLOCKING_CALLS = frozenset({"time.sleep"})


# --- 1. the rule's own facts: one ast walk per module, in the facts pass --------------------
def _blocking_functions(tree: ast.Module, facts: ModuleFacts) -> tuple[str, ...]:
    """Qualnames of the plain functions whose own body calls ``time.sleep``."""
    found: list[str] = []

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                qualname = f"{prefix}{node.name}"
                if isinstance(node, ast.FunctionDef) and _calls_blocking(node):
                    found.append(qualname)
                visit(node.body, f"{qualname}.")

    visit(tree.body, "")
    return tuple(found)


def _calls_blocking(fn: ast.FunctionDef) -> bool:
    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue  # a nested function's body runs when it is called, not here
        if isinstance(node, ast.Call) and dotted_name(node.func) in BLOCKING_CALLS:
            return True
        stack.extend(ast.iter_child_nodes(node))
    return False


BLOCKING: FactCollector[tuple[str, ...]] = FactCollector("example-sleepers", tuple[str, ...], _blocking_functions, ())


# --- 2. project tables: computed once per run; readers depend on their value ----------------
# The table reads every module: it folds a module row (a module's part, from its own facts),
# which the engine keeps by content hash, so after an edit only the changed modules' facts
# are loaded to fold it again.
BLOCKING_ROW: ModuleRow[tuple[str, ...]] = ModuleRow(
    "example-blocking", tuple[str, ...], lambda facts, index: tuple(f"{facts.module}.{q}" for q in BLOCKING.of(facts))
)


def _all_blocking(session: AnalysisSession, arg: str) -> frozenset[str]:
    return frozenset(name for row in session.index.rows(BLOCKING_ROW).values() for name in row)


def _reaching_names(session: AnalysisSession, arg: str) -> frozenset[str]:
    bare = frozenset(name.rsplit(".", 1)[-1] for name in session.table(BLOCKING_FUNCTIONS))
    return alias_closure(session.index, bare)


BLOCKING_FUNCTIONS: ProjectTable[frozenset[str]] = ProjectTable(
    "example-blocking-functions", _all_blocking, restore=restore_names
)
REACHING_NAMES: ProjectTable[frozenset[str]] = ProjectTable("example-blocking-names", _reaching_names)

_LIB = "import time\n\n\ndef wait_for_disk():\n    time.sleep(1)\n"
_FILES = {"app/__init__.py": "", "app/disk.py": _LIB}


class BlockingCallInAsync(LintRule):
    """
    ## What it does
    Flags a call, inside an `async def`, of a project function that calls
    `time.sleep` itself, wherever that function is defined or re-exported.

    ## Why is this bad?
    A coroutine that blocks holds the event loop: every other user's request
    waits until the sleep is over.

    ## Example
    ```python
    from app.disk import wait_for_disk

    async def handler():
        wait_for_disk()
    ```

    ## Fix
    Run the blocking function in a thread: `await asyncio.to_thread(wait_for_disk)`,
    or give it an `async` twin that uses `await asyncio.sleep(...)`.
    """

    code = "EXM001"
    name = "blocking-call-in-async"
    summary = "An async def calls a project function that blocks on time.sleep"
    FACTS = (BLOCKING,)
    TABLES = (BLOCKING_FUNCTIONS, REACHING_NAMES)
    VALID = [
        # The blocking function called from plain code.
        Valid("from app.disk import wait_for_disk\n\n\ndef job():\n    wait_for_disk()\n", files=_FILES),
        # Run in a thread: the call is not made here.
        Valid(
            "import asyncio\n\nfrom app.disk import wait_for_disk\n\n\n"
            "async def handler():\n    await asyncio.to_thread(wait_for_disk)\n",
            files=_FILES,
        ),
        # A function of the same name that does not block (the prefilter passes, the rule does not fire).
        Valid("def wait_for_disk():\n    pass\n\n\nasync def handler():\n    wait_for_disk()\n", files=_FILES),
        # No name of a blocking function: the prefilter skips the file.
        Valid("async def handler():\n    return 1\n", files=_FILES),
    ]
    INVALID = [
        Invalid(
            "from app.disk import wait_for_disk\n\n\nasync def handler():\n    wait_for_disk()\n",
            files=_FILES,
            line=5,
            column=5,
            message=r"`wait_for_disk\(\)` blocks the event loop",
        ),
        # Through a module alias and a re-export in a package `__init__`.
        Invalid(
            "from app import tools as t\n\n\nasync def handler():\n    t.pause()\n",
            files={**_FILES, "app/tools/__init__.py": "from app.disk import wait_for_disk as pause\n"},
            line=5,
            column=5,
            message=r"`t\.pause\(\)` blocks the event loop \(`app\.disk\.wait_for_disk` calls `time\.sleep`\)",
        ),
    ]

    # --- 3. the sound prefilter: it sees the file's facts, not its LibCST tree -------------
    @classmethod
    def could_fire(cls, context: RuleContext) -> bool:
        if not any(info.kind == ASYNC_DEF for info in context.facts.defs.values()):
            return False  # no coroutine: nothing to flag
        # A call reaches a blocking function only through one of these names.
        return context.may_mention(context.session.table(REACHING_NAMES))

    # --- the visitor ------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        info = self.context.facts.defs.get(self.context.scope)
        if info is None or info.kind != ASYNC_DEF:
            return  # not directly in the body of an `async def`
        target = self.context.resolve_definition(node.func)
        if target is None or target.fullname not in self.context.session.table(BLOCKING_FUNCTIONS):
            return
        shown = cst.Module([]).code_for_node(node.func)
        self.report(
            node,
            f"`{shown}()` blocks the event loop (`{target.fullname}` calls `time.sleep`); "
            f"run it in a thread: `await asyncio.to_thread({shown})`",
        )
