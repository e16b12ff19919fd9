"""The returns and assignments of one function body (SSOT008's factory functions).

Apart from ``shared_factory_product`` because the visitor subclasses LibCST's, and
defining it imports LibCST: the rule imports this module only when a factory function
is linted (``ssot_lint.lazy``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst


@dataclass
class Assignment:
    targets: list[cst.BaseExpression]
    value: cst.BaseExpression
    unconditional: bool
    order: int


@dataclass
class Body:
    returns: list[tuple[cst.Return, int]] = field(default_factory=list)
    assigns: list[Assignment] = field(default_factory=list)


class BodyScan(cst.CSTVisitor):
    """Returns and assignments of one function body (not of nested functions or classes)."""

    def __init__(self) -> None:
        super().__init__()
        self.body = Body()
        self.depth = 0
        self.order = 0

    def _tick(self) -> int:
        self.order += 1
        return self.order

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def _enter(self, node: cst.CSTNode) -> None:
        self.depth += 1

    def _leave(self, original_node: cst.CSTNode) -> None:
        self.depth -= 1

    visit_If = visit_For = visit_While = visit_Try = visit_TryStar = visit_Match = _enter
    leave_If = leave_For = leave_While = leave_Try = leave_TryStar = leave_Match = _leave

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None:
            self.body.returns.append((node, self._tick()))

    def visit_Assign(self, node: cst.Assign) -> None:
        self.body.assigns.append(
            Assignment([t.target for t in node.targets], node.value, self.depth == 0, self._tick())
        )

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self.body.assigns.append(Assignment([node.target], node.value, self.depth == 0, self._tick()))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.body.assigns.append(Assignment([node.target], node.value, False, self._tick()))
