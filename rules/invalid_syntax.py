"""SSOT000 invalid-syntax: reported by the engine itself, never by a visitor."""

from __future__ import annotations

from ssot_lint.api import Invalid, LintRule, Valid


class InvalidSyntax(LintRule):
    """
    ## What it does
    Reports a file that cannot be linted: it does not parse as Python, it cannot be
    decoded (bad bytes for its encoding, or a wrong coding cookie), or it cannot be
    read at all.

    ssot-lint parses with the Python it runs on. A file that is valid for the
    project's target but not for that Python (PEP 701 f-strings such as
    `f"{row["name"]}"`, PEP 695 generics, ... on 3.11) cannot be analysed rather
    than invalid: when the target (`target-version = "py312"`, default: the lowest
    version `[project] requires-python` allows) is newer than the running Python, the
    message says so ("cannot analyse with Python 3.11; run ssot-lint on 3.12+") and
    quotes the running parser's error.

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
    INVALID = [Invalid("def f(:\n    pass\n", line=1, column=7, message="cannot parse: invalid syntax")]
