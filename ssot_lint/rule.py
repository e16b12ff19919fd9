"""The rule API: a rule is a LibCST visitor that reports through one method.

A rule declares its code, kebab-case name, summary, docs (What it does / Why is this
bad? / Example / Fix), ``VALID``/``INVALID`` examples that the test suite runs,
whether it applies to test code, its default severity, its options and the LibCST
metadata it needs.  The engine walks each tree once for all enabled rules and calls
their ``visit_<Node>``/``leave_<Node>`` methods; rules never do I/O.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from .diagnostics import Fix, Range
from .lazy import cst

if TYPE_CHECKING:
    from .context import RuleContext
    from .facts import FactCollector
    from .session import ProjectTable
    from .suppress import Suppressions


@dataclass(frozen=True)
class Valid:
    """Code that must give no finding of the rule.

    ``files`` adds other modules of the example project (path -> source); ``path`` is
    where ``code`` lives in it; ``config`` is a ``[tool.ssot-lint]`` table.
    """

    code: str
    files: Mapping[str, str] = field(default_factory=dict)
    path: str = "app/example.py"
    config: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    """One finding an ``Invalid`` example promises: its position (1-based), a regular
    expression its message must match (``re.search``), and its code (``None``: the rule's)."""

    line: int
    column: int
    message: str
    code: str | None = None


@dataclass(frozen=True)
class Invalid:
    """Code that must give exactly the findings listed, and nothing else.

    One finding: give ``line``, ``column`` (1-based) and ``message`` (a regular expression
    the message must match).  Several: list them in ``findings`` instead.  Findings of
    other rules the example's ``config`` selects count too: list them with their ``code``.
    ``expected_fix`` is the whole module after the rule's fixes are applied.
    """

    code: str
    line: int | None = None
    column: int | None = None
    message: str | None = None  # a regular expression the message must match
    files: Mapping[str, str] = field(default_factory=dict)
    path: str = "app/example.py"
    config: Mapping[str, Any] = field(default_factory=dict)
    expected_fix: str | None = None
    findings: tuple[Finding, ...] = ()  # several findings (then leave line/column/message unset)


@dataclass(frozen=True)
class Option:
    """A per-rule setting, configured under ``[tool.ssot-lint.rules.<rule-name>]``."""

    kind: str  # "list[str]", "str", "bool", "int"
    default: Any
    doc: str


@dataclass
class CstFix:
    """A fix given as node replacements; the engine turns it into text edits.

    Each replacement maps an original node to a new node, or to source text.
    """

    message: str
    replacements: list[tuple[cst.CSTNode, cst.CSTNode | str]]
    safe: bool = True


@dataclass
class Report:
    node: cst.CSTNode | None  # None for a report at a text range (``LintRule.report_range``)
    message: str
    fix: CstFix | Fix | None
    scope: str
    statement: cst.CSTNode | None
    rule: type[LintRule]
    range: Range | None = None
    snippet: str = ""


@dataclass(frozen=True)
class FileOutcome:
    """A file after every other rule has run on it: what a post-pass rule judges.

    ``checked_codes`` are the codes of the rules that ran on the file to completion
    (a rule whose sound prefilter said it could not fire counts as having run);
    rules disabled for the file, and rules that raised (``failed_codes``), are not
    among them.
    """

    text: str
    suppressions: Suppressions
    checked_codes: frozenset[str]
    known_codes: frozenset[str]
    failed_codes: frozenset[str] = frozenset()


_CODE_RE = re.compile(r"^[A-Z][A-Z0-9]*[0-9]{3}$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Fix")


class LintRule:
    """Base class of every rule. Subclasses set the class attributes below."""

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    default_severity: ClassVar[str] = "error"
    default_enabled: ClassVar[bool] = True
    applies_to_tests: ClassVar[bool] = True
    # Implemented by the engine itself (syntax errors, suppression comments), not a visitor.
    ENGINE_RULE: ClassVar[bool] = False
    # A post-pass rule visits no tree: the engine calls ``finish_file`` once every other
    # rule has run on the file (SSOT100 judges which suppressions were used).
    POST_PASS: ClassVar[bool] = False
    # LibCST metadata providers the rule reads through ``self.get_metadata``.
    METADATA_DEPENDENCIES: ClassVar[tuple[type, ...]] = ()
    OPTIONS: ClassVar[Mapping[str, Option]] = {}
    # True when the rule's findings in a file may depend on any module of the project
    # (e.g. a table computed over the whole index): its cached findings are then keyed
    # on every file of the project, not only on the modules the lookups consulted.
    PROJECT_WIDE: ClassVar[bool] = False
    # The project tables (``ProjectTable``) the rule reads through ``context.session.table``:
    # a later run recomputes their values by kind to check the rule's cached findings.
    TABLES: ClassVar[tuple[ProjectTable[Any], ...]] = ()
    # The rule's own per-module facts (``FactCollector``): run on every module's ``ast`` tree
    # in the facts pass and cached with its facts; read with ``collector.of(facts)``.
    FACTS: ClassVar[tuple[FactCollector[Any], ...]] = ()
    VALID: ClassVar[list[Valid | str]] = []
    INVALID: ClassVar[list[Invalid]] = []

    def __init__(self, context: RuleContext) -> None:
        self.context = context
        self.reports: list[Report] = []
        self._metadata: Mapping[type, Mapping[cst.CSTNode, Any]] = {}

    # --- what rules call ----------------------------------------------------------
    def report(
        self,
        node: cst.CSTNode,
        message: str,
        *,
        fix: CstFix | Fix | None = None,
    ) -> None:
        """Report a finding at ``node`` with an optional fix."""
        self.reports.append(Report(node, message, fix, self.context.scope, self.context.current_statement, type(self)))

    def report_range(self, range: Range, message: str, *, fix: Fix | None = None, snippet: str = "") -> None:
        """Report a finding at a text range (for findings that are not nodes, such as comments)."""
        self.reports.append(Report(None, message, fix, self.context.scope, None, type(self), range, snippet))

    def finish_file(self, outcome: FileOutcome) -> None:
        """Post-pass rules (``POST_PASS = True``) report here; the others never get called."""

    def get_metadata(self, provider: type, node: cst.CSTNode, default: Any = None) -> Any:
        return self._metadata.get(provider, {}).get(node, default)

    @property
    def options(self) -> Mapping[str, Any]:
        return self.context.options_for(type(self))

    # --- what the engine asks -------------------------------------------------------
    @classmethod
    def could_fire(cls, context: RuleContext) -> bool:
        """Could the rule report anything in this file? ``False`` must be sound.

        The engine skips parsing files where no enabled rule could fire. The default
        is conservative: always ``True``. ``context.text`` holds the source and
        ``context.may_mention(names)`` searches it; ``context.facts`` is extracted on
        first use. Index lookups made here are recorded as the file's dependencies.
        """
        return True

    @classmethod
    def docs(cls) -> str:
        return textwrap.dedent(cls.__doc__ or "").strip()

    @classmethod
    def doc_section(cls, title: str) -> str:
        """The text of one docs section (e.g. "Fix"), or ""."""
        docs = cls.docs()
        pattern = re.compile(rf"^## {re.escape(title)}\s*$", re.M)
        m = pattern.search(docs)
        if not m:
            return ""
        rest = docs[m.end() :]
        nxt = re.search(r"^## ", rest, re.M)
        return (rest[: nxt.start()] if nxt else rest).strip()

    @classmethod
    def url(cls) -> str:
        return f"https://ssot-lint.dev/rules/{cls.name}"

    @classmethod
    def check_declaration(cls) -> list[str]:
        """Problems with the rule's declaration (empty when it is well-formed)."""
        problems = []
        if not _CODE_RE.match(getattr(cls, "code", "")):
            problems.append(f"{cls.__name__}: code must look like SSOT001")
        if not _NAME_RE.match(getattr(cls, "name", "")):
            problems.append(f"{cls.__name__}: name must be kebab-case")
        if not getattr(cls, "summary", ""):
            problems.append(f"{cls.__name__}: missing summary")
        for section in DOC_SECTIONS:
            if not cls.doc_section(section):
                problems.append(f"{cls.__name__}: docs lack a '## {section}' section")
        if cls.default_severity not in ("error", "warning", "info"):
            problems.append(f"{cls.__name__}: bad default_severity")
        return problems


def visitor_methods(rule: LintRule) -> Iterable[tuple[str, str, Any]]:
    """(kind, node type name, bound method) for every ``visit_X``/``leave_X`` of a rule."""
    for attr in dir(type(rule)):
        if attr.startswith("visit_"):
            yield "visit", attr[6:], getattr(rule, attr)
        elif attr.startswith("leave_"):
            yield "leave", attr[6:], getattr(rule, attr)
