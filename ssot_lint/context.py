"""What a rule sees of the world while it visits one file.

The engine keeps ``scope`` (the qualified name of the innermost function or class) and
``current_statement`` up to date during the single traversal; rules ask the shared
project index through ``resolve``, and the run's tables through ``session``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .config import Config
from .contract import Contract
from .facts import ModuleFacts, mentions_any
from .index import Definition, ProjectIndex, Target
from .inference import DEFAULT_TRANSPARENT_DECORATORS, CallResolution, ClassType, Inference
from .lazy import cst
from .session import AnalysisSession, session_of

if TYPE_CHECKING:
    from .rule import LintRule


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

    def options_for(self, rule: type[LintRule]) -> Mapping[str, Any]:
        return self.rule_options.get(rule.name, {})

    def resolve(self, node: cst.CSTNode) -> Target | None:
        """What a Name/Attribute expression refers to, seen from the current scope."""
        dotted = cst_dotted_name(node)
        if dotted is None:
            return None
        return self.index.resolve(self.module, self.scope, dotted)

    def resolve_definition(self, node: cst.CSTNode) -> Definition | None:
        """What a Name/Attribute expression refers to, when that is a project class or function."""
        target = self.resolve(node)
        return target if isinstance(target, Definition) else None

    # --- the resolver's deeper questions (memoised per run; lookups are recorded) ---------
    @property
    def inference(self) -> Inference:
        """The run's type and call inference over the project index."""
        return Inference.for_index(self.index)

    def resolve_call(self, node: cst.CSTNode) -> CallResolution | None:
        """The project functions (or classes) that a call may run: ``node`` is the
        ``Call`` or its callee. ``primary`` is the one named, ``targets`` every one that
        may run (overrides in subclasses for ``self.m()``). None when not a project call."""
        func = node.func if isinstance(node, cst.Call) else node
        dotted = cst_dotted_name(func)
        if dotted is None:
            return None
        return self.inference.resolve_call(self.module, self.scope, dotted)

    def callee_kind(
        self, node: cst.CSTNode, transparent: frozenset[str] = frozenset(DEFAULT_TRANSPARENT_DECORATORS)
    ) -> str | None:
        """What calling ``node`` (a ``Call`` or its callee) gives: "coroutine", "awaitable",
        "plain", "generator" or "asyncgen"; None when unknown, not a project call, or when
        the functions it may run disagree. ``transparent``: decorators that keep a
        function's kind."""
        func = node.func if isinstance(node, cst.Call) else node
        dotted = cst_dotted_name(func)
        res = None if dotted is None else self.inference.resolve_call(self.module, self.scope, dotted, kinds_only=True)
        if res is None:
            return None
        kinds = self.inference.target_kinds(res, transparent)
        return kinds.pop() if len(kinds) == 1 else None

    def receiver_classes(self, node: cst.CSTNode) -> tuple[ClassType, ...] | None:
        """The project classes the value of a Name/Attribute expression may be an instance
        of (``ClassType.is_type``: the class object itself), or None when unknown."""
        dotted = cst_dotted_name(node)
        if dotted is None:
            return None
        return self.inference.value_types(self.module, self.scope, dotted)
