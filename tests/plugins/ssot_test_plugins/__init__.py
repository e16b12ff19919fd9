"""Rule packs used by the tests, installed through the entry-point group by the
``ssot_test_plugins-0.1.dist-info`` folder beside this package (put this folder on
PYTHONPATH and importlib.metadata finds it, exactly like a pip-installed pack).

- ``BRK001 broken-rule`` raises on any call to a function named ``explode`` (and reports calls
  to ``flag_me``, so that its examples can be checked).
- ``FIX001 rename-legacy`` renames calls to ``legacy_call`` to ``modern_call`` (a safe fix).
- ``FIX002 bad-fix`` offers a fix that would not parse (for ``--fix`` safety tests).
- ``FIX003 wrap-call`` wraps ``legacy_call(...)``/``modern_call(...)`` in ``wrapped(...)``: it
  overlaps FIX001, so the two need two rounds.
"""

from __future__ import annotations

import libcst as cst

from ssot_lint.rule import CstFix, Invalid, LintRule, Valid

_DOCS = """
    ## What it does
    A test rule.

    ## Why is this bad?
    It is not; it exercises the engine.

    ## Example
    ```python
    x()
    ```

    ## Fix
    None needed.
"""


class BrokenRule(LintRule):
    __doc__ = _DOCS
    code = "BRK001"
    name = "broken-rule"
    summary = "Raises on calls to explode()"
    VALID = [Valid("x = 1\n")]
    INVALID = [Invalid("flag_me()\n", line=1, column=1, message="^flagged$")]

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "explode":
            raise RuntimeError("deliberate failure in a test plugin")
        if isinstance(node.func, cst.Name) and node.func.value == "flag_me":
            self.report(node, "flagged")


class RenameLegacy(LintRule):
    __doc__ = _DOCS
    code = "FIX001"
    name = "rename-legacy"
    summary = "legacy_call() is renamed modern_call()"
    VALID = [Valid("modern_call()\n")]
    INVALID = [
        Invalid("legacy_call(1)\n", line=1, column=1, message=r"^use modern_call\(\)$", expected_fix="modern_call(1)\n")
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "legacy_call":
            self.report(
                node,
                "use modern_call()",
                fix=CstFix("rename to modern_call", [(node.func, node.func.with_changes(value="modern_call"))]),
            )


class BadFix(LintRule):
    __doc__ = _DOCS
    code = "FIX002"
    name = "bad-fix"
    summary = "break_me() gets a fix that does not parse"
    default_enabled = False
    VALID = [Valid("x = 1\n")]
    INVALID = [Invalid("break_me()\n", line=1, column=1, message="^broken fix$")]

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "break_me":
            self.report(node, "broken fix", fix=CstFix("break it", [(node, "break_me((")]))


class WrapCall(LintRule):
    __doc__ = _DOCS
    code = "FIX003"
    name = "wrap-call"
    summary = "calls to legacy_call()/modern_call() are wrapped in wrapped()"
    default_enabled = False
    VALID = [Valid("wrapped(modern_call())\n")]
    INVALID = [
        Invalid("modern_call()\n", line=1, column=1, message="^wrap it$", expected_fix="wrapped(modern_call())\n")
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        self.wrapped: set[int] = set()

    def visit_Call(self, node: cst.Call) -> None:
        if not isinstance(node.func, cst.Name):
            return
        if node.func.value == "wrapped":
            self.wrapped.update(id(arg.value) for arg in node.args)
        elif node.func.value in ("legacy_call", "modern_call") and id(node) not in self.wrapped:
            code = cst.Module([]).code_for_node(node)
            self.report(node, "wrap it", fix=CstFix("wrap", [(node, f"wrapped({code})")]))


RULES = [BrokenRule, RenameLegacy, BadFix, WrapCall]
