"""What a rule sees of the world while it visits one file.

The engine keeps ``scope`` (the qualified name of the innermost function or class) and
``current_statement`` up to date during the single traversal; rules ask the shared
project index through ``resolve``, and the run's tables through ``session``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from .config import Config
from .contract import Contract
from .facts import ModuleFacts, mentions_any
from .index import Definition, ProjectIndex, Target
from .session import AnalysisSession, session_of


def cst_dotted_name(node: cst.CSTNode) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


@dataclass
class RuleContext:
    path: str  # POSIX, relative to the root
    module: str  # dotted module name ("" when the file is not importable)
    facts: ModuleFacts
    index: ProjectIndex
    config: Config
    contract: Contract
    is_test: bool
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    scope: str = ""
    current_statement: cst.CSTNode | None = None
    text: str | None = None  # the file's source, for cheap textual prefilters

    def may_mention(self, names: frozenset[str]) -> bool:
        """Could the file use one of ``names`` as an identifier? ``False`` is certain.

        The file's words (``facts.identifiers``: every whole identifier of the source,
        NFKC-normalised as identifiers are, comments and strings included) meet ``names``.
        """
        if not names:
            return False
        return mentions_any(self.facts.identifiers, names)

    @property
    def session(self) -> AnalysisSession:
        """The run's analysis session: project tables and the rules' per-run caches."""
        return session_of(self.index, self.config, self.contract)

    def options_for(self, rule: type) -> Mapping[str, Any]:
        return self.rule_options.get(rule.name, {})

    def resolve(self, node: cst.CSTNode) -> Target | None:
        """What a Name/Attribute expression refers to, seen from the current scope."""
        dotted = cst_dotted_name(node)
        if dotted is None:
            return None
        return self.index.resolve(self.module, self.scope, dotted)

    def resolve_definition(self, node: cst.CSTNode) -> Definition | None:
        target = self.resolve(node)
        return target if isinstance(target, Definition) else None
