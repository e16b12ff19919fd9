"""SSOT000 invalid-syntax: reported by the engine itself, never by a visitor."""

from __future__ import annotations

from ssot_lint.rule import Invalid, LintRule, Valid


class InvalidSyntax(LintRule):
    """
    ## What it does
    Reports a file that cannot be linted: it does not parse as Python, it cannot be
    decoded (bad bytes for its encoding, or a wrong coding cookie), or it cannot be
    read at all.

    ## Why is this bad?
    ssot-lint cannot check what it cannot parse, so a file with this finding is not
    checked by any other rule. The rest of the files are still checked.

    ## Example
    ```python
    def create_for_user(ctx)
        return ExecutionEngine(ctx)
    ```

    ## Fix
    Fix the syntax error (or the encoding) that the message names.
    """

    ENGINE_RULE = True
    code = "SSOT000"
    name = "invalid-syntax"
    summary = "The file cannot be read, decoded or parsed"
    VALID = [Valid("x = 1\n")]
    INVALID = [Invalid("def f(:\n    pass\n", line=1)]
