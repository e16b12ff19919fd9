"""The rule API: the one module a rule author imports.

A rule is a LibCST visitor (``LintRule``) with its examples (``Valid``/``Invalid``), its
options (``Option``) and fixes (``CstFix``). What it may ask of the project:

- **the resolver**, through its ``RuleContext`` (``self.context``; ``context`` in a
  prefilter): ``resolve(node)`` (what a name or attribute chain is: a ``Definition``, a
  ``ModuleRef`` or a ``Value``), ``resolve_definition(node)``, ``resolve_call(node)``
  (the project functions a call may run), ``callee_kind(node)`` ("coroutine", "plain",
  "generator", "asyncgen", "awaitable" or None), ``receiver_classes(node)`` (the
  project classes a receiver may be an instance of), and ``index``/``inference`` for
  anything deeper;
- **its own per-module facts**: a ``FactCollector`` listed in ``LintRule.FACTS`` runs on
  every module's ``ast`` tree in the facts pass; its value is cached with the module's
  facts (typed JSON, ``ssot_lint.codec``) and read back with ``collector.of(facts)``;
- **project tables**: a ``ProjectTable`` listed in ``LintRule.TABLES``, read with
  ``context.session.table(TABLE, arg)``, computed once per run; the reader depends on
  its value only (``alias_closure(index, names)`` is one: every name through which
  ``names`` can be reached). A table that reads every module folds ``ModuleRow``s
  (``context.index.rows(ROW)``): each module's row is kept in the cache by content hash,
  so after an edit only the changed modules' facts are read to fold the table again;
- **a sound prefilter**: ``LintRule.could_fire(context)`` sees the file's facts (no
  LibCST tree) through the same context; ``False`` must mean the rule cannot report in
  the file. ``docs/writing-rules.md`` builds one step by step.

``cst`` is LibCST itself, imported the first time an attribute is read (``ssot_lint.lazy``):
a rule that names it so costs a run nothing until a file is parsed with LibCST.

Everything else in ``ssot_lint`` is the engine's and may change between releases.
"""

from __future__ import annotations

from .aliases import alias_closure, closure_of
from .config import DEFAULT_TEST_PATHS
from .context import RuleContext, cst_dotted_name
from .contract import CONFIG, INFERRED, REFERENCE, Contract, ManagedClass, NotifierClass, name_variants
from .diagnostics import Edit, Fix, Position, Range
from .discovery import compile_globs
from .facts import (
    ALIAS,
    ASSIGN,
    ASYNC_DEF,
    CLASS,
    DEF,
    FROM,
    GLOBAL,
    IMPORT,
    PARAM,
    Binding,
    DefInfo,
    FactCollector,
    ModuleFacts,
    Param,
    child_nodes,
    dotted_name,
)
from .index import WHOLE_PROJECT, Definition, ModuleRef, ProjectIndex, Target, Value
from .inference import BASE_PREFIX, DEFAULT_TRANSPARENT_DECORATORS, CallResolution, ClassType, Inference
from .lazy import cst
from .rows import ModuleRow, register_family
from .rule import CstFix, FileOutcome, Finding, Invalid, LintRule, Option, Valid
from .run.findings import node_positions
from .session import AnalysisSession, ProjectTable, RowChanges, names_from, restore_names, session_of, union_delta
from .suppress import Suppression, Suppressions
from .testcode import is_test, test_code
from .timings import phase

__all__ = [
    # writing a rule
    "LintRule",
    "Valid",
    "Invalid",
    "Finding",
    "Option",
    "CstFix",
    "Fix",
    "Edit",
    "Position",
    "Range",
    "FileOutcome",
    "Suppression",
    "Suppressions",
    "RuleContext",
    "cst",
    "cst_dotted_name",
    "node_positions",
    # the project: facts, index, inference, contract
    "FactCollector",
    "ModuleFacts",
    "child_nodes",
    "DefInfo",
    "Binding",
    "Param",
    "dotted_name",
    "ALIAS",
    "ASSIGN",
    "ASYNC_DEF",
    "CLASS",
    "DEF",
    "FROM",
    "GLOBAL",
    "IMPORT",
    "PARAM",
    "Definition",
    "ModuleRef",
    "Value",
    "Target",
    "ProjectIndex",
    "WHOLE_PROJECT",
    "Inference",
    "CallResolution",
    "ClassType",
    "BASE_PREFIX",
    "DEFAULT_TRANSPARENT_DECORATORS",
    "Contract",
    "ManagedClass",
    "NotifierClass",
    "CONFIG",
    "INFERRED",
    "REFERENCE",
    "name_variants",
    "alias_closure",
    "closure_of",
    # the run
    "AnalysisSession",
    "ProjectTable",
    "names_from",
    "restore_names",
    "RowChanges",
    "union_delta",
    "ModuleRow",
    "register_family",
    "session_of",
    "DEFAULT_TEST_PATHS",
    "compile_globs",
    "is_test",
    "test_code",
    "phase",
]
