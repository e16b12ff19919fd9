"""SSOT101 missing-suppression-reason: a suppression comment that does not say why."""

from __future__ import annotations

from ssot_lint.api import Invalid, LintRule, Valid


class MissingSuppressionReason(LintRule):
    """
    ## What it does
    Flags a suppression comment (`# noqa`, `# ssot-lint: ignore[...]`,
    `# ssot-lint: disable[...]`, `# ssot-lint: file-ignore[...]`) that gives no
    reason after ` -- `. Only suppressions that concern ssot-lint count: a bare
    `# noqa` or a `# noqa: E501` of another tool is left alone. It is off by default: enable it with `--require-reason`,
    `require-reason = true` in the config, or by selecting SSOT101.

    ## Why is this bad?
    A suppression without a reason cannot be reviewed: nobody knows whether the
    finding was a false alarm, an accepted risk, or a bug someone meant to fix.
    Suppressions pile up and the isolation guarantees quietly erode.

    ## Example
    ```python
    engine = ExecutionEngine(ctx)  # noqa: SSOT001
    ```

    Use instead:
    ```python
    engine = ExecutionEngine(ctx)  # noqa: SSOT001 -- legacy v1 endpoint, removed in Q3
    ```

    ## Fix
    Add the reason after ` -- ` in the suppression comment.
    """

    ENGINE_RULE = True
    code = "SSOT101"
    name = "missing-suppression-reason"
    summary = "Suppression comment without a reason"
    default_enabled = False
    default_severity = "warning"
    VALID = [
        Valid("x = f()  # noqa: SSOT001 -- legacy path, removed in Q3\n"),
        Valid("# ssot-lint: file-ignore[SSOT002] -- generated module\nx = 1\n"),
        Valid("x = 1  # a comment that mentions noqa-less code\n"),
        Valid("import os  # noqa\nimport sys  # noqa: F401\n"),
    ]
    INVALID = [
        Invalid("x = f()  # noqa: SSOT001\n", line=1, column=10, message="no reason"),
        Invalid(
            "# ssot-lint: disable[SSOT002]\nx = 1\n# ssot-lint: enable[SSOT002]\n",
            message="suppression `# ssot-lint: disable\\[SSOT002\\]` gives no reason",
            line=1,
            column=1,
        ),
        Invalid(
            "y = g()  # ssot-lint: ignore[SSOT003]\n",
            message="suppression `# ssot-lint: ignore\\[SSOT003\\]` gives no reason",
            line=1,
            column=10,
        ),
        Invalid(
            "import os  # noqa: F401, SSOT001\n",
            message="suppression `# noqa: F401, SSOT001` gives no reason",
            line=1,
            column=12,
        ),
    ]
