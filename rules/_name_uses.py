"""How a function body uses one local name (SSOT005's assigned-then-used coroutines).

Apart from ``missing_await`` because its classes subclass LibCST's visitor, and defining
them imports LibCST: the rule imports this module only when it judges an assignment
(``ssot_lint.lazy``).
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from ssot_lint.api import cst_dotted_name

from ._awaits import short
from .missing_await import COROUTINE_ATTRS, PLAIN_CONSUMERS


class NameUses(cst.CSTVisitor):
    """How a function body uses one local name: plain-value uses, escapes, bindings."""

    def __init__(
        self,
        name: str,
        declared_return: str | None = None,
        plain_parameter: Callable[[cst.Call, int, cst.Arg], str | None] | None = None,
    ) -> None:
        super().__init__()
        self.name = name
        self.declared_return = declared_return  # the function returns a type that is not awaitable
        self.plain_parameter = plain_parameter  # how a call uses an argument (None: not plainly)
        self.plain: list[str] = []
        self.escapes = False
        self.assignments = 0
        self._handled: set[int] = set()

    def _is(self, node: cst.CSTNode) -> bool:
        return isinstance(node, cst.Name) and node.value == self.name

    def _plain(self, node: cst.CSTNode, context: cst.CSTNode) -> None:
        if self._is(node):
            self._handled.add(id(node))
            self.plain.append(short(context, 50))

    # Nested scopes that use the name: it escapes.
    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.escapes = self.escapes or _mentions(node, self.name)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        self.escapes = self.escapes or _mentions(node, self.name)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.escapes = self.escapes or _mentions(node, self.name)
        return False

    # Bindings of the name.
    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        for n in _names_in_target(node.target):
            if n is not None and self._is(n):
                self._handled.add(id(n))
                self.assignments += 1

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if self._is(node.target):
            self._handled.add(id(node.target))
            self.assignments += 2  # an annotated rebinding: give up

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if self._is(node.target):
            self._handled.add(id(node.target))
            self.escapes = True

    def visit_For(self, node: cst.For) -> None:
        for n in _names_in_target(node.target):
            if self._is(n):
                self._handled.add(id(n))
                self.assignments += 2
        if node.asynchronous is None:
            self._plain(node.iter, node.iter)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        if self._is(node.target):
            self._handled.add(id(node.target))
            self.assignments += 2

    def visit_AsName(self, node: cst.AsName) -> None:
        if self._is(node.name):
            self._handled.add(id(node.name))
            self.assignments += 2

    def visit_Global(self, node: cst.Global) -> None:
        if any(n.name.value == self.name for n in node.names):
            self.escapes = True

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        if any(n.name.value == self.name for n in node.names):
            self.escapes = True

    def visit_Del(self, node: cst.Del) -> None:
        if _mentions(node, self.name):
            self.escapes = True

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self._handled.add(id(node.keyword))

    # Plain-value uses.
    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._handled.add(id(node.attr))
        if self._is(node.value):
            self._handled.add(id(node.value))
            if node.attr.value in COROUTINE_ATTRS:
                self.escapes = True
            else:
                self.plain.append(short(node, 50))

    def visit_Subscript(self, node: cst.Subscript) -> None:
        self._plain(node.value, node)

    def visit_If(self, node: cst.If) -> None:
        self._plain(node.test, node.test)

    def visit_While(self, node: cst.While) -> None:
        self._plain(node.test, node.test)

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._plain(node.test, node.test)

    def visit_Assert(self, node: cst.Assert) -> None:
        self._plain(node.test, node.test)

    def visit_UnaryOperation(self, node: cst.UnaryOperation) -> None:
        if isinstance(node.operator, cst.Not):
            self._plain(node.expression, node)

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        # `x or y` as a value may return x itself: only the left side is a truth test.
        self._plain(node.left, node)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        self._plain(node.left, node)
        for c in node.comparisons:
            self._plain(c.comparator, node)

    def visit_FormattedStringExpression(self, node: cst.FormattedStringExpression) -> None:
        self._plain(node.expression, node)

    def visit_Call(self, node: cst.Call) -> None:
        name = cst_dotted_name(node.func)
        if name in PLAIN_CONSUMERS:
            for arg in node.args:
                self._plain(arg.value, node)
            return
        if self.plain_parameter is None:
            return
        for i, arg in enumerate(node.args):
            if arg.star:
                break
            if self._is(arg.value) and self.plain_parameter(node, i, arg) is not None:
                self._plain(arg.value, node)

    def visit_Return(self, node: cst.Return) -> None:
        if self.declared_return is not None and node.value is not None:
            self._plain(node.value, node)

    # Anything else that reads the name lets the coroutine escape (awaited, returned,
    # passed on, stored): never flagged.
    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name and id(node) not in self._handled:
            self.escapes = True


def _names_in_target(node: cst.BaseExpression) -> list[cst.Name]:
    if isinstance(node, cst.Name):
        return [node]
    if isinstance(node, (cst.Tuple, cst.List)):
        return [n for el in node.elements for n in _names_in_target(el.value)]
    if isinstance(node, cst.StarredElement):
        return _names_in_target(node.value)
    return []


class _Mentions(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.found = False

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name:
            self.found = True


def _mentions(node: cst.CSTNode, name: str) -> bool:
    v = _Mentions(name)
    node.visit(v)
    return v.found
