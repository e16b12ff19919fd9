"""Loading rules: one path, the ``ssot_lint.rules`` entry-point group.

The built-in pack registers itself there like any third-party pack.  An entry point
may name a rule class, a module or package with a ``RULES`` list, or a callable
returning rules.
"""

from __future__ import annotations

import importlib.metadata
import inspect
from dataclasses import dataclass

from .rule import LintRule

ENTRY_POINT_GROUP = "ssot_lint.rules"


class RuleLoadError(Exception):
    """A rule pack that cannot be loaded; the message is one line."""


@dataclass(frozen=True)
class LoadedRules:
    rules: tuple[type[LintRule], ...]

    def by_code(self, code: str) -> type[LintRule] | None:
        for r in self.rules:
            if r.code == code or r.name == code:
                return r
        return None

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.rules]


def _rules_from(obj: object, origin: str) -> list[type[LintRule]]:
    if inspect.isclass(obj) and issubclass(obj, LintRule):
        return [obj]
    if isinstance(obj, (list, tuple)):
        if all(inspect.isclass(r) and issubclass(r, LintRule) for r in obj):
            return list(obj)
        raise RuleLoadError(f"entry point {origin!r}: every item must be a LintRule subclass")
    if hasattr(obj, "RULES"):
        return _rules_from(list(obj.RULES), origin)
    if callable(obj):
        return list(obj())
    raise RuleLoadError(f"entry point {origin!r} names no rule, RULES list or callable")


def installed_rules() -> list[type[LintRule]]:
    """Every rule of the installed packs that load, without checks (a broken pack adds
    none: ``load_rules`` is the one that reports it)."""
    out: list[type[LintRule]] = []
    eps = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    for ep in sorted(eps, key=lambda e: (e.name != "builtin", e.name)):
        try:
            out.extend(_rules_from(ep.load(), ep.value))
        except Exception:
            continue
    return out


def load_rules() -> LoadedRules:
    found: dict[str, type[LintRule]] = {}
    eps = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    for ep in sorted(eps, key=lambda e: (e.name != "builtin", e.name)):
        try:
            obj = ep.load()
        except Exception as exc:  # a broken third-party pack must not take the tool down
            raise RuleLoadError(
                f"cannot load rule pack {ep.name!r} ({ep.value}): {type(exc).__name__}: {exc}"
            ) from None
        for rule in _rules_from(obj, ep.value):
            problems = rule.check_declaration()
            if problems:
                raise RuleLoadError(f"rule pack {ep.name!r}: {problems[0]}")
            other = found.get(rule.code)
            if other is not None and other is not rule:
                raise RuleLoadError(f"rule code {rule.code} is defined twice ({other.__module__}, {rule.__module__})")
            found[rule.code] = rule
    if not found:
        raise RuleLoadError("no rules found: is ssot-lint installed (pip install -e .)?")
    return LoadedRules(tuple(sorted(found.values(), key=lambda r: r.code)))
