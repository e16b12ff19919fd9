"""``ssot-lint server`` with one extra, fixable test rule (the built-in pack has no fix yet).

Run as a script by tests/test_lsp.py: the real server on stdio, with ``TST901``
added to the loaded rules.  ``TST901 print-call`` flags ``print(...)`` and its safe fix
renames the callee to ``log``; ``TST902 pass-statement`` flags ``pass`` with an unsafe
fix that deletes it (to exercise the ``unsafeFixes`` option); ``TST903 crashes`` raises
on the name ``crash_the_rule``.
"""

from __future__ import annotations

import libcst as cst

from ssot_lint import server
from ssot_lint.registry import LoadedRules, load_rules
from ssot_lint.rule import CstFix, LintRule

_DOCS = """
    ## What it does
    Test rule.

    ## Why is this bad?
    It is a test.

    ## Example
    ```python
    print(1)
    ```

    ## Fix
    Call `log`.
    """


class PrintCall(LintRule):
    __doc__ = _DOCS
    code = "TST901"
    name = "print-call"
    summary = "print() call"
    default_severity = "warning"

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "print":
            self.report(node, "`print` call", fix=CstFix("Replace `print` with `log`", [(node.func, "log")]))


class PassStatement(LintRule):
    __doc__ = _DOCS
    code = "TST902"
    name = "pass-statement"
    summary = "pass statement"
    default_severity = "info"

    def visit_Pass(self, node: cst.Pass) -> None:
        self.report(node, "`pass`", fix=CstFix("Replace `pass` with `...`", [(node, "...")], safe=False))


class Crashes(LintRule):
    __doc__ = _DOCS
    code = "TST903"
    name = "crashes"
    summary = "raises on `crash_the_rule`"

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == "crash_the_rule":
            raise RuntimeError("boom")


def _rules() -> LoadedRules:
    return LoadedRules(load_rules().rules + (PrintCall, PassStatement, Crashes))


if __name__ == "__main__":
    server.load_rules = _rules
    server.serve()
