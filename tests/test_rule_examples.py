"""Every rule's VALID and INVALID examples run through the real engine."""

from __future__ import annotations

import pytest

from ssot_lint.registry import load_rules
from ssot_lint.testing import check_example

RULES = load_rules()
CASES = [
    pytest.param(rule, example, id=f"{rule.code}-{kind}-{i}")
    for rule in RULES.rules
    for kind, examples in (("valid", rule.VALID), ("invalid", rule.INVALID))
    for i, example in enumerate(examples)
]


@pytest.mark.parametrize("rule,example", CASES)
def test_example(rule, example):
    check_example(rule, example, RULES)


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
