"""One LibCST traversal for every enabled rule of a file.

The dispatcher calls each rule's ``visit_X``/``leave_X`` as the traversal reaches an X,
keeps the scope (qualified name) and the current statement in the rule context, and
isolates rules: one that raises is reported and skipped for the rest of the file.
"""

from __future__ import annotations

from collections.abc import Callable

from ..context import RuleContext
from ..lazy import cst
from ..rule import LintRule, visitor_methods


class Dispatcher(cst.CSTVisitor):
    """Calls every rule's ``visit_X``/``leave_X`` during one traversal, and keeps scope."""

    def __init__(
        self, rules: list[LintRule], context: RuleContext, on_error: Callable[[LintRule, BaseException], None]
    ) -> None:
        super().__init__()
        self.context = context
        self.on_error = on_error
        self.visit_table: dict[str, list[tuple[LintRule, Callable]]] = {}
        self.leave_table: dict[str, list[tuple[LintRule, Callable]]] = {}
        for rule in rules:
            for kind, node_name, method in visitor_methods(rule):
                table = self.visit_table if kind == "visit" else self.leave_table
                table.setdefault(node_name, []).append((rule, method))
        self.failed: set[int] = set()
        self.scopes: list[str] = []
        self.statements: list[cst.CSTNode] = []

    def _call(self, entries: list[tuple[LintRule, Callable]], node: cst.CSTNode) -> None:
        for rule, method in entries:
            if id(rule) in self.failed:
                continue
            try:
                method(node)
            except Exception as exc:  # a broken rule must not stop the others
                self.failed.add(id(rule))
                self.on_error(rule, exc)

    def on_visit(self, node: cst.CSTNode) -> bool:
        kind = _kind_of(node)
        entries = self.visit_table.get(type(node).__name__)
        if kind == _SCOPE:
            # Decorators, bases and defaults belong to the outer scope: rules visiting the
            # def itself see the outer scope; the body is visited with the inner one.
            if entries:
                self._call(entries, node)
            self.statements.append(node)
            self.context.current_statement = node
            name = node.name.value  # type: ignore[attr-defined]  # a FunctionDef or ClassDef
            self.scopes.append(f"{self.context.scope}.{name}" if self.context.scope else name)
            return True
        if kind == _STATEMENT:
            self.statements.append(node)
            self.context.current_statement = node
        if entries:
            self._call(entries, node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        kind = _kind_of(original_node)
        entries = self.leave_table.get(type(original_node).__name__)
        if kind == _SCOPE:
            self.scopes.pop()
            self.context.scope = self.scopes[-1] if self.scopes else ""
        if entries:
            self._call(entries, original_node)
        if kind != _OTHER:
            self.statements.pop()
            self.context.current_statement = self.statements[-1] if self.statements else None

    # Enter the new scope only for the body, so decorators/params resolve outside it.
    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        if attribute == "body" and _KINDS.get(type(node)) == _SCOPE:
            self.context.scope = self.scopes[-1]

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        if attribute == "body" and _KINDS.get(type(original_node)) == _SCOPE:
            self.context.scope = self.scopes[-2] if len(self.scopes) > 1 else ""


# What the traversal does at a node, by its type (decided once per type: ``isinstance``
# against LibCST's abstract ``BaseCompoundStatement`` costs an ABC check per node).
_OTHER, _STATEMENT, _SCOPE = 0, 1, 2
_KINDS: dict[type, int] = {}


def _kind_of(node: cst.CSTNode) -> int:
    kind = _KINDS.get(type(node))
    return _kind(type(node)) if kind is None else kind


def _kind(t: type) -> int:
    if issubclass(t, (cst.FunctionDef, cst.ClassDef)):
        kind = _SCOPE
    elif issubclass(t, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
        kind = _STATEMENT
    else:
        kind = _OTHER
    _KINDS[t] = kind
    return kind
