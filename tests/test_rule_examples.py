"""Every rule's VALID and INVALID examples run through the real engine."""

from __future__ import annotations

import pytest
from conftest import load_test_plugins

from ssot_lint.registry import LoadedRules, load_rules
from ssot_lint.rule import Finding, Invalid, LintRule, Valid
from ssot_lint.testing import check_example

RULES = load_rules()
# The test-only rule pack's examples are promises too (tests/plugins).
PLUGINS = LoadedRules(tuple(load_test_plugins().RULES))
CASES = [
    pytest.param(rule, example, id=f"{rule.code}-{kind}-{i}")
    for rule in (*RULES.rules, *PLUGINS.rules)
    for kind, examples in (("valid", rule.VALID), ("invalid", rule.INVALID))
    for i, example in enumerate(examples)
]


@pytest.mark.parametrize("rule,example", CASES)
def test_example(rule, example):
    check_example(rule, example, RULES)  # a plugin rule is added to RULES for its own example


# --- check_example keeps every promise an example makes ------------------------------------------
class FlagCalls(LintRule):
    """
    ## What it does
    Reports every call to `flag`.

    ## Why is this bad?
    It is a test.

    ## Example
    ```python
    flag()
    ```

    ## Fix
    None.
    """

    code, name, summary = "TST901", "flag-calls", "Reports calls to flag()"
    VALID = [Valid("x = 1\n")]
    INVALID = [Invalid("flag(1)\n", line=1, column=1, message="flag 1")]

    def visit_Call(self, node) -> None:
        if getattr(node.func, "value", None) == "flag":
            self.report(node, f"flag {len(node.args)}")


TWO = "flag(1)\nx = [flag(1, 2)]\n"


@pytest.mark.parametrize(
    "example",
    [
        Invalid("flag(1)\n", line=1, column=1, message="^flag 1$"),
        Invalid(TWO, findings=(Finding(1, 1, "flag 1"), Finding(2, 6, "flag 2"))),
        Invalid(TWO, findings=(Finding(2, 6, "flag 2", code="TST901"), Finding(1, 1, "flag 1"))),  # any order
        Valid("x = 1\n"),
    ],
)
def test_check_example_accepts_kept_promises(example):
    check_example(FlagCalls, example, RULES)


@pytest.mark.parametrize(
    ("example", "why"),
    [
        (Invalid("flag(1)\n", line=1, column=2, message="flag"), "column"),
        (Invalid("flag(1)\n", line=2, column=1, message="flag"), "line"),
        (Invalid("flag(1)\n", line=1, column=1, message="flag 2"), "message"),
        (Invalid("flag(1)\n", findings=(Finding(1, 1, "flag", code="TST902"),)), "code"),
        (Invalid(TWO, line=1, column=1, message="flag 1"), "a second finding not listed"),
        (Invalid(TWO, findings=(Finding(1, 1, "flag 1"), Finding(2, 7, "flag 2"))), "second finding's column"),
        (Invalid(TWO, findings=(Finding(1, 1, "flag 1"), Finding(2, 6, "flag 1"))), "second finding's message"),
        (Invalid(TWO, findings=(Finding(1, 1, "flag 1"), Finding(2, 6, "flag 2"), Finding(3, 1, "f"))), "missing"),
        (Invalid("x = 1\n", line=1, column=1, message="flag"), "no finding at all"),
        (Invalid("flag(1)\n", line=1, column=1), "no message promised"),
        (Invalid("flag(1)\n", message="flag"), "no position promised"),
        (Invalid("flag(1)\n", line=1, column=1, message="f", findings=(Finding(1, 1, "f"),)), "both forms"),
        (Valid(TWO), "a VALID example that is flagged"),
    ],
)
def test_check_example_rejects_broken_promises(example, why):
    with pytest.raises(AssertionError):
        check_example(FlagCalls, example, RULES)


@pytest.mark.parametrize("rule", RULES.rules, ids=lambda r: r.code)
def test_rule_is_documented(rule):
    assert rule.check_declaration() == []
    assert rule.INVALID, f"{rule.code} has no INVALID examples"
    assert rule.VALID, f"{rule.code} has no VALID examples"


def test_builtin_rules_load_through_entry_point():
    import importlib.metadata

    eps = importlib.metadata.entry_points(group="ssot_lint.rules")
    assert "builtin" in {ep.name for ep in eps}
    codes = RULES.codes
    assert codes == sorted(codes)
    assert "SSOT001" in codes and "SSOT000" in codes
