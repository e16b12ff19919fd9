"""The lint pipeline: discover -> read -> facts/index -> parse -> rules -> suppress -> report.

One LibCST parse per file; one traversal runs every enabled rule; positions are
computed only for files that have something to report.
"""

from __future__ import annotations

import ast
import os
import re
import sys
import traceback
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from .cache import Cache, FindingsEntry, Manifest, digest, tool_fingerprint
from .config import Config, code_matches, resolve_target_version
from .context import RuleContext
from .contract import Contract, build_contract
from .diagnostics import Diagnostic, Edit, Fix, InternalError, Position, Range
from .discovery import DiscoveredFile, compile_globs, discover
from .facts import ModuleFacts, extract_facts, parse_source
from .fixes import FixOutcome, apply_edits, line_starts, offset_of, parses, select_fixes, write_atomic
from .index import WHOLE_PROJECT, ProjectIndex, module_for_path
from .project import LazyFacts, Project
from .registry import LoadedRules
from .rule import CstFix, FileOutcome, LintRule, Report, visitor_methods
from .session import AnalysisSession, rule_tables
from .source import ReadError, SourceFile, read_source, source_from_text
from .suppress import Suppressions, parse_suppressions
from .timings import count as count_phase
from .timings import phase

INVALID_SYNTAX = "SSOT000"
INVALID_SYNTAX_NAME = "invalid-syntax"
MISSING_REASON = "SSOT101"


@dataclass
class FileResult:
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    errors: list[InternalError] = field(default_factory=list)
    source: SourceFile | None = None


@dataclass
class RunResult:
    root: Path
    files: list[str]
    diagnostics: list[Diagnostic]
    errors: list[InternalError]
    fixes: list[FixOutcome] = field(default_factory=list)
    # Text of the files that have diagnostics (for code frames): reporters never re-read files.
    sources: dict[str, str] = field(default_factory=dict)
    # Files linted because their findings depend on the files given (``Linter.dependents``).
    dependents: list[str] = field(default_factory=list)


MAX_FIX_ROUNDS = 10


def select_rules(
    rules: Iterable[type[LintRule]], select: list[str] | None, ignore: list[str], extend_select: list[str] | None = None
) -> list[type[LintRule]]:
    """Enabled rules: the most specific matching selector wins; ties go to ``ignore``.

    ``extend_select`` adds to ``select`` (or to the default rules when ``select`` is None).
    """
    out = []
    for rule in rules:
        if select is None:
            sel_len = 0 if rule.default_enabled else -1
        else:
            lens = [len(s) if s != "ALL" else 0 for s in select if code_matches(rule.code, s)]
            sel_len = max(lens) if lens else -1
        ext = [len(s) if s != "ALL" else 0 for s in extend_select or () if code_matches(rule.code, s)]
        sel_len = max([sel_len, *ext])
        ign = [len(s) if s != "ALL" else 0 for s in ignore if code_matches(rule.code, s)]
        ign_len = max(ign) if ign else -2
        if sel_len >= 0 and sel_len > ign_len:
            out.append(rule)
    return out


def _code_point_range(rng: Any) -> Range:
    return Range(
        Position(rng.start.line, rng.start.column + 1),
        Position(rng.end.line, rng.end.column + 1),
    )


def _normalize_snippet(code: str) -> str:
    return " ".join(code.split())[:400]


class _Dispatcher(cst.CSTVisitor):
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
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            # Decorators, bases and defaults belong to the outer scope: rules visiting the
            # def itself see the outer scope; the body is visited with the inner one.
            entries = self.visit_table.get(type(node).__name__)
            if entries:
                self._call(entries, node)
            self.statements.append(node)
            self.context.current_statement = node
            name = node.name.value
            self.scopes.append(f"{self.context.scope}.{name}" if self.context.scope else name)
            return True
        if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            self.statements.append(node)
            self.context.current_statement = node
        entries = self.visit_table.get(type(node).__name__)
        if entries:
            self._call(entries, node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        entries = self.leave_table.get(type(original_node).__name__)
        is_scope = isinstance(original_node, (cst.FunctionDef, cst.ClassDef))
        if is_scope:
            self.scopes.pop()
            self.context.scope = self.scopes[-1] if self.scopes else ""
        if entries:
            self._call(entries, original_node)
        if is_scope or isinstance(original_node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            self.statements.pop()
            self.context.current_statement = self.statements[-1] if self.statements else None

    # Enter the new scope only for the body, so decorators/params resolve outside it.
    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)) and attribute == "body":
            self.context.scope = self.scopes[-1]

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        if isinstance(original_node, (cst.FunctionDef, cst.ClassDef)) and attribute == "body":
            self.context.scope = self.scopes[-2] if len(self.scopes) > 1 else ""


class Linter:
    """Lints files of one project root with one configuration and rule set."""

    def __init__(
        self,
        config: Config,
        rules: LoadedRules,
        *,
        select: list[str] | None = None,
        ignore: list[str] | None = None,
        extend_select: list[str] | None = None,
    ) -> None:
        self.config = config
        self.root = config.root
        self.all_rules = rules
        self.enabled = select_rules(
            rules.rules,
            select if select is not None else config.select,
            list(config.ignore) + list(ignore or []),
            extend_select,
        )
        if config.require_reason:
            extra = rules.by_code(MISSING_REASON)
            if extra is not None and extra not in self.enabled:
                self.enabled.append(extra)
        self.syntax_enabled = any(r.code == INVALID_SYNTAX for r in self.enabled)
        self.target = resolve_target_version(config)  # a newer target explains some parse errors
        self.exclude = compile_globs(config.exclude)
        self.test_spec = compile_globs(config.test_paths)
        self.per_file = [(compile_globs([glob]), codes) for glob, codes in config.per_file_ignores.items()]
        self.rule_options = _rule_options(config, rules)
        # Reference + config now; inference is added once the project index exists.
        self.contract: Contract = build_contract(config)
        self.base_contract = self.contract
        self.stats_contract_inferred = False
        # Speed settings (the CLI sets them): the prefilter, worker processes, the cache,
        # and a progress callback ``progress(done, total)`` for the files being linted.
        self.prefilter = True
        self.jobs: int | None = None  # None: one worker per core
        self.use_cache = True
        self.progress: Callable[[int, int], None] | None = None
        # Discovery and dependents (the CLI sets them): apply ``exclude`` to files named
        # explicitly too; lint the files whose findings depend on the paths given.
        self.force_exclude = False
        self.dependents = False
        self.stats: dict[str, int] = {}
        self._tool: str | None = None

    # --- phase 1: the project index -------------------------------------------------------
    def discover(self, paths: list[str]) -> list[DiscoveredFile]:
        with phase("discover"):
            return discover(paths, self.root, self.exclude, self.config.respect_gitignore, self.force_exclude)

    def module_of(self, relpath: str) -> tuple[str, bool]:
        named = module_for_path(relpath)
        return named if named is not None else ("", False)

    def facts_for(self, source: SourceFile) -> ModuleFacts:
        module, is_package = self.module_of(source.path)
        return extract_facts(source.text, module, source.path, is_package)

    def build_index(
        self, targets: list[DiscoveredFile], overrides: dict[str, str] | None = None
    ) -> tuple[ProjectIndex, dict[str, SourceFile], dict[str, ModuleFacts], dict[str, str]]:
        """Read and index every module under the root plus the targets.

        Returns the index, the sources and facts by path, and read errors by path.
        """
        overrides = overrides or {}
        files = {f.relpath: f for f in self.discover([str(self.root)])}
        for f in targets:
            files.setdefault(f.relpath, f)
        sources: dict[str, SourceFile] = {}
        facts: dict[str, ModuleFacts] = {}
        read_errors: dict[str, str] = {}
        for rel in sorted(set(files) | set(overrides)):
            try:
                if rel in overrides:
                    src = source_from_text(overrides[rel], str(self.root / rel), rel)
                else:
                    src = read_source(files[rel].abspath, rel, self.config.max_file_bytes)
            except ReadError as exc:
                read_errors[rel] = str(exc)
                continue
            sources[rel] = src
            facts[rel] = self.facts_for(src)
        return self.make_index(facts.values()), sources, facts, read_errors

    def make_index(self, facts: Iterable[ModuleFacts]) -> ProjectIndex:
        """The project index over these facts, and the contract inferred from it."""
        index = ProjectIndex(fa for fa in facts if fa.module)
        self.contract = build_contract(self.config, index, self.is_test)
        AnalysisSession(index, self.config, self.contract, rule_tables(self.enabled))
        return index

    # --- phase 2: rules ---------------------------------------------------------------------
    def is_test(self, relpath: str) -> bool:
        return self.test_spec.match_file(relpath)

    def rules_for(self, relpath: str) -> list[type[LintRule]]:
        ignored: list[str] = []
        for spec, codes in self.per_file:
            if spec.match_file(relpath):
                ignored.extend(codes)
        test = self.is_test(relpath)
        return [
            r
            for r in self.enabled
            if not any(code_matches(r.code, c) for c in ignored) and (r.applies_to_tests or not test)
        ]

    def severity_of(self, rule: type[LintRule]) -> str:
        """The configured severity (most specific code prefix wins), else the rule's default."""
        best, best_len = rule.default_severity, -1
        for selector, severity in self.config.severity.items():
            if code_matches(rule.code, selector):
                n = 0 if selector == "ALL" else len(selector)
                if n > best_len:
                    best, best_len = severity, n
        return best

    def lint_source(self, source: SourceFile, facts: ModuleFacts | LazyFacts, index: ProjectIndex) -> FileResult:
        result = FileResult(source.path, source=source)
        rules = self.rules_for(source.path)
        post = [r for r in rules if r.POST_PASS]
        engine_rules = [r for r in rules if r.ENGINE_RULE]
        rules = [r for r in rules if not r.POST_PASS and not r.ENGINE_RULE]
        context = RuleContext(
            path=source.path,
            module=self.module_of(source.path)[0],
            facts=facts,  # type: ignore[arg-type]
            index=index,
            config=self.config,
            contract=self.contract,
            is_test=self.is_test(source.path),
            rule_options=self.rule_options,
            text=source.text,
        )
        # Codes the post pass may judge: the visitor rules that run here (a rule whose sound
        # prefilter says it cannot fire has run and found nothing), and SSOT000 once parsed.
        checked = {r.code for r in rules}
        if self.prefilter:
            with phase("prefilter", 1):
                rules = [r for r in rules if _could_fire(r, context)]
        # Suppressions are parsed once: a regex scan when there are none. The post pass
        # (SSOT100) needs them even where no other rule could fire.
        suppressions = parse_suppressions(source.text) if post or engine_rules else None
        if engine_rules:
            result.diagnostics.extend(self._suppression_diagnostics(source, engine_rules, suppressions))
        post = post if suppressions else []
        # SSOT000 is reported only where it is enabled (select, ignore, per-file-ignores).
        report_syntax = any(r.code == INVALID_SYNTAX for r in engine_rules)
        if not rules:
            # No rule can fire: LibCST has nothing to do; only CPython's verdict on the syntax.
            error = _syntax_error(source, facts) if (report_syntax or post) else None
            if error is not None:
                if report_syntax:
                    result.diagnostics.append(self._syntax_diagnostic(source.path, error[1][0], error[1][1], error[0]))
                return result
            if report_syntax:
                checked.add(INVALID_SYNTAX)
            if post:
                self._post_pass(post, context, source, suppressions, checked, result)
            return result
        if facts.syntax_error is not None:
            # CPython cannot compile it either. Its message and position read better, and
            # LibCST must not see what broke ast: inputs that exhaust ast's recursion limit
            # (a 20,000-term expression) crash LibCST's native parser.
            if report_syntax:
                line, col = facts.syntax_error_at
                result.diagnostics.append(self._syntax_diagnostic(source.path, line, col, facts.syntax_error))
            return result
        with phase("LibCST", 1):
            return self._lint_cst(source, context, rules, post, suppressions, checked, report_syntax, result)

    def _lint_cst(
        self,
        source: SourceFile,
        context: RuleContext,
        rules: list[type[LintRule]],
        post: list[type[LintRule]],
        suppressions: Suppressions | None,
        checked: set[str],
        report_syntax: bool,
        result: FileResult,
    ) -> FileResult:
        """The LibCST part of ``lint_source``: parse, one traversal for every rule, the post pass."""
        try:
            module = cst.parse_module(source.text)
        except (cst.ParserSyntaxError, RecursionError, MemoryError) as exc:
            if isinstance(exc, cst.ParserSyntaxError):
                line, column = _libcst_error_position(exc)
                why = exc.message
            else:
                line, column = 1, 1
                why = "too deeply nested to parse" if isinstance(exc, RecursionError) else "out of memory while parsing"
            self._cannot_analyse(
                source, context, rules, post, suppressions, checked, report_syntax, result, (line, column, why)
            )
            return result
        if report_syntax:
            checked.add(INVALID_SYNTAX)
        if rules:
            instances = [r(context) for r in rules]
            self._resolve_metadata(module, instances)

            def on_error(rule: LintRule, exc: BaseException) -> None:
                result.errors.append(_rule_error(type(rule), source.path, exc))

            try:
                module.visit(_Dispatcher(instances, context, on_error))
            except RecursionError:
                where = (1, 1, "too deeply nested to analyse")
                self._cannot_analyse(source, context, rules, post, suppressions, checked, report_syntax, result, where)
                return result
            reports = [rep for inst in instances for rep in inst.reports]
            if reports:
                if suppressions is None:
                    suppressions = parse_suppressions(source.text)
                result.diagnostics.extend(
                    self._to_diagnostics(module, source, context.facts, reports, result, suppressions)
                )
        if post:
            self._post_pass(post, context, source, suppressions, checked, result)
        return result

    def _cannot_analyse(
        self,
        source: SourceFile,
        context: RuleContext,
        rules: list[type[LintRule]],
        post: list[type[LintRule]],
        suppressions: Suppressions | None,
        checked: set[str],
        report_syntax: bool,
        result: FileResult,
        where: tuple[int, int, str],
    ) -> None:
        """CPython accepts the file but LibCST cannot parse or traverse it. Where no rule
        could have reported anything, that loses nothing: the outcome is the one the
        prefilter gives (so `--no-prefilter` changes no output); otherwise it is an SSOT000."""
        if not self.prefilter and not any(_could_fire(r, context) for r in rules):
            if report_syntax:
                checked.add(INVALID_SYNTAX)
            if post and suppressions:
                self._post_pass(post, context, source, suppressions, checked, result)
            return
        if report_syntax:
            line, column, why = where
            prefix = "cannot analyse (CPython accepts the file; LibCST cannot handle it): "
            result.diagnostics.append(self._syntax_diagnostic(source.path, line, column, why, prefix))

    def _post_pass(
        self,
        post: list[type[LintRule]],
        context: RuleContext,
        source: SourceFile,
        suppressions: Suppressions,
        checked: set[str],
        result: FileResult,
    ) -> None:
        """Run the post-pass rules once every other rule has run on the file.

        Their findings are not filtered by suppressions: a suppression comment cannot
        hide the finding that says it is unused (the rule handles its own opt-outs).
        """
        with phase("post-pass", 1):
            self._run_post_pass(post, context, source, suppressions, checked, result)

    def _run_post_pass(
        self,
        post: list[type[LintRule]],
        context: RuleContext,
        source: SourceFile,
        suppressions: Suppressions,
        checked: set[str],
        result: FileResult,
    ) -> None:
        failed = {e.rule for e in result.errors if e.rule}
        outcome = FileOutcome(
            text=source.text,
            suppressions=suppressions,
            checked_codes=frozenset(checked - failed),
            known_codes=frozenset(self.all_rules.codes),
            failed_codes=frozenset(failed),
        )
        for rule in post:
            inst = rule(context)
            try:
                inst.finish_file(outcome)
            except Exception as exc:  # a broken rule must not stop the others
                result.errors.append(_rule_error(rule, source.path, exc))
                continue
            result.diagnostics.extend(self._to_diagnostics(None, source, context.facts, inst.reports, result, None))

    def _resolve_metadata(self, module: cst.Module, instances: list[LintRule]) -> None:
        needed = {p for inst in instances for p in inst.METADATA_DEPENDENCIES}
        if not needed:
            return
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        resolved = wrapper.resolve_many(needed)
        for inst in instances:
            inst._metadata = {p: resolved[p] for p in inst.METADATA_DEPENDENCIES}

    def _suppression_diagnostics(
        self, source: SourceFile, engine_rules: list[type[LintRule]], suppressions: Suppressions
    ) -> list[Diagnostic]:
        """Findings about the suppression comments themselves (SSOT101)."""
        out: list[Diagnostic] = []
        missing_reason = next((r for r in engine_rules if r.code == MISSING_REASON), None)
        if missing_reason is None:
            return out
        for s in suppressions.all():
            if s.reason is None and s.is_ours:
                start = Position(s.line, s.column)
                out.append(
                    Diagnostic(
                        code=missing_reason.code,
                        rule=missing_reason.name,
                        message=f"suppression `{s.text}` gives no reason; add one after ` -- `",
                        path=source.path,
                        range=Range(start, Position(s.line, s.column + len(s.text))),
                        severity=self.severity_of(missing_reason),
                        url=missing_reason.url(),
                        statement_line=s.line,
                        snippet=s.text,
                    )
                )
        return out

    def _syntax_diagnostic(
        self, path: str, line: int, column: int, message: str, prefix: str = "cannot parse: "
    ) -> Diagnostic:
        rule = self.all_rules.by_code(INVALID_SYNTAX)
        first = message.strip().splitlines()[0] if message.strip() else "invalid syntax"
        pos = Position(max(line, 1), max(column, 1))
        text = f"{prefix}{first}"
        running = sys.version_info[:2]
        if prefix == "cannot parse: " and self.target is not None and self.target > running:
            # Valid for the target (PEP 701 f-strings, PEP 695 generics, ...) is not valid here.
            run = f"{running[0]}.{running[1]}"
            text = (
                f"cannot analyse with Python {run}; run ssot-lint on {self.target[0]}.{self.target[1]}+ "
                f"(target-version py{self.target[0]}{self.target[1]}; the {run} parser says: {first})"
            )
        return Diagnostic(
            code=INVALID_SYNTAX,
            rule=INVALID_SYNTAX_NAME,
            message=text,
            path=path,
            range=Range(pos, pos),
            severity=self.severity_of(rule) if rule else "error",
            url=rule.url() if rule else None,
        )

    def read_error_diagnostic(self, path: str, message: str) -> Diagnostic:
        rule = self.all_rules.by_code(INVALID_SYNTAX)
        pos = Position(1, 1)
        return Diagnostic(
            code=INVALID_SYNTAX,
            rule=INVALID_SYNTAX_NAME,
            message=message,
            path=path,
            range=Range(pos, pos),
            severity=self.severity_of(rule) if rule else "error",
            url=rule.url() if rule else None,
        )

    def _to_diagnostics(
        self,
        module: cst.Module | None,
        source: SourceFile,
        facts: ModuleFacts,
        reports: list[Report],
        result: FileResult,
        suppressions: Suppressions | None,
    ) -> list[Diagnostic]:
        """Reports to diagnostics, minus the suppressed ones (``suppressions=None``: none apply)."""
        positions: Any = {}
        if module is not None and any(rep.node is not None for rep in reports):
            positions = _positions(module)
        out = []
        for rep in reports:
            try:
                if rep.node is None:  # reported at a text range (``report_range``)
                    rng, stmt_line, fix, snippet = rep.range, rep.range.start.line, rep.fix, rep.snippet
                    scope = rep.scope or _scope_at(facts, rng.start.line)
                else:
                    rng = _code_point_range(positions[rep.node])
                    stmt_line = positions[rep.statement].start.line if rep.statement in positions else None
                    fix = _to_fix(rep.fix, module, positions, source.text)
                    snippet, scope = module.code_for_node(rep.node), rep.scope
            except Exception as exc:  # a rule that reported a foreign node, or a bad fix
                result.errors.append(_rule_error(rep.rule, source.path, exc))
                continue
            if suppressions is not None and suppressions.is_suppressed(rep.rule.code, rng.start.line, stmt_line):
                continue
            out.append(
                Diagnostic(
                    code=rep.rule.code,
                    rule=rep.rule.name,
                    message=rep.message,
                    path=source.path,
                    range=rng,
                    severity=self.severity_of(rep.rule),
                    fix=fix,
                    url=rep.rule.url(),
                    statement_line=stmt_line,
                    scope=scope,
                    snippet=_normalize_snippet(snippet),
                )
            )
        return out

    def lint_texts(self, files: dict[str, str], targets: list[str]) -> RunResult:
        """Lint in-memory sources (path -> text) as one project; nothing is read from disk."""
        sources = {rel: source_from_text(text, str(self.root / rel), rel) for rel, text in files.items()}
        facts = {rel: self.facts_for(src) for rel, src in sources.items()}
        index = self.make_index(facts.values())
        diagnostics: list[Diagnostic] = []
        errors: list[InternalError] = []
        for rel in targets:
            res = self.lint_source(sources[rel], facts[rel], index)
            diagnostics.extend(res.diagnostics)
            errors.extend(res.errors)
        diagnostics.sort(key=lambda d: d.sort_key)
        return RunResult(self.root, list(targets), diagnostics, errors)

    # --- the whole run ------------------------------------------------------------------------
    def fix_source(
        self, source: SourceFile, facts: ModuleFacts, index: ProjectIndex, unsafe: bool, first: FileResult | None = None
    ) -> tuple[FileResult, FixOutcome | None]:
        """Lint and fix one file in rounds until no fix applies; never produce unparsable text.

        ``first`` is the file's lint result when it is known already (from the cache, or
        from linting it in this run): the first round then parses nothing."""
        res = first if first is not None else self.lint_source(source, facts, index)
        original = text = source.text
        applied: list[Diagnostic] = []
        for _ in range(MAX_FIX_ROUNDS):
            chosen, _deferred = select_fixes(res.diagnostics, unsafe)
            if not chosen:
                break
            new_text = apply_edits(text, [e for d in chosen for e in d.fix.edits])  # type: ignore[union-attr]
            if not parses(new_text):
                outcome = FixOutcome(source.path, original, text, applied, failed="fixed source would not parse")
                return res, outcome
            applied.extend(chosen)
            text = new_text
            source = SourceFile(source.path, source.abspath, text, source.encoding, source.bom, source.newline)
            res = self.lint_source(source, facts, index)
        if not applied:
            return res, None
        return res, FixOutcome(source.path, original, text, applied)

    def tool(self) -> str:
        """The fingerprint of ssot-lint's code and the rules' modules (hashed once per linter)."""
        if self._tool is None:
            modules = [sys.modules[r.__module__] for r in self.all_rules.rules if r.__module__ in sys.modules]
            self._tool = tool_fingerprint(modules)
        return self._tool

    def run_key(self) -> str:
        """What the findings of a file depend on besides its content and its dependencies."""
        return digest(
            self.tool(),
            self.config,
            [(r.code, r.__module__, r.__qualname__) for r in self.enabled],
            sorted(self.rule_options.items()),
            _contract_key(self.contract),
            self.prefilter,
        )

    def make_cache(self, enabled: bool | None = None) -> Cache:
        on = self.use_cache if enabled is None else enabled
        return Cache(self.root / self.config.cache_dir, enabled=on)

    def run(
        self,
        paths: list[str],
        stdin: tuple[str, str] | None = None,
        *,
        fix: bool = False,
        unsafe_fixes: bool = False,
        write: bool = True,
    ) -> RunResult:
        """Lint ``paths`` (or, with ``stdin=(relpath, text)``, one buffer) against the whole root.

        With ``fix``, applicable fixes are applied (written to disk when ``write`` and the
        input is not stdin) and the remaining diagnostics are returned.

        Facts are cached by content; findings are cached with the fingerprints of the
        modules they depend on, and reused when nothing they depend on changed.
        """
        if stdin is not None:
            rel, text = stdin
            targets = [DiscoveredFile(str(self.root / rel), rel, True)]
            overrides = {rel: text}
        else:
            targets = self.discover(paths)
            overrides = {}
        files = {f.relpath: f for f in self.discover([str(self.root)])}
        for f in targets:
            files.setdefault(f.relpath, f)
        count_phase("discover", len(files))
        cache = self.make_cache()
        # --fix and --diff take the cached path too: cached findings say which files have
        # fixes to apply (``select_fixes``), and only those are fixed (``_fix_many``).
        use_findings = cache.enabled and stdin is None
        with phase("cache", 1 if use_findings else 0):
            tool = self.tool()
            manifest = cache.load_manifest(tool) if use_findings else Manifest(tool)
        project = Project(
            files,
            overrides,
            cache,
            manifest.edges if use_findings else None,
            self.config.max_file_bytes,
            stats=manifest.stats if use_findings else None,
            screens=manifest.screens if use_findings else None,
            rows=manifest.rows if use_findings else None,
        )
        dependents: list[str] = []
        if self.dependents and paths and stdin is None:
            from .dependents import find_dependents

            # Files named on the command line (pre-commit names the changed files); a folder
            # given is linted as it is.
            named = [t.relpath for t in targets if t.explicit]
            dependents = find_dependents(project, manifest.entries, named) if named else []
            given = {t.relpath for t in targets}
            dependents = [rel for rel in dependents if rel not in given]
            targets = targets + [files[rel] for rel in dependents]
        with phase("contract"):
            self._contract_for(project, manifest if use_findings else None)
        # The rules' analysis session: the project tables they declare are recomputed in it.
        AnalysisSession(project.index(), self.config, self.contract, rule_tables(self.enabled))
        run_key = self.run_key() if use_findings else ""
        # The dependencies whose fingerprint differs from the manifest's snapshot. Nothing
        # changed when the whole project's fingerprint did not (the stat fast path makes
        # that cheap): then no other fingerprint is computed.
        changed_memo: list[frozenset[str]] = []

        def changed() -> frozenset[str]:
            if not changed_memo:
                snapshot = manifest.fingerprints
                if snapshot.get(WHOLE_PROJECT) == project.fingerprint(WHOLE_PROJECT):
                    changed_memo.append(frozenset())
                else:
                    changed_memo.append(
                        frozenset(d for d, fp in snapshot.items() if not _same_fingerprint(project, d, fp))
                    )
            return changed_memo[0]

        per_file: dict[str, tuple[list[Diagnostic], list[InternalError]]] = {}
        outcomes: list[FixOutcome] = []
        to_lint: list[str] = []
        reused: dict[str, FindingsEntry] = {}
        for target in targets:
            rel = target.relpath
            if use_findings:
                # A cached entry exists only for a file that was readable with this content.
                entry = manifest.entries.get(rel)
                with phase("cache", 1):
                    valid = entry is not None and self._entry_valid(entry, project, run_key, rel, changed)
                if valid:
                    assert entry is not None
                    per_file[rel] = (list(entry.diagnostics), [])
                    reused[rel] = entry
                    continue
            src = project.source(rel)
            if isinstance(src, ReadError):
                diags = [self.read_error_diagnostic(rel, str(src))] if self.syntax_enabled else []
                per_file[rel] = (diags, [])
                continue
            to_lint.append(rel)
        cached = len(reused)

        linted = self._lint_many(project, to_lint)
        fresh: dict[str, FindingsEntry] = {}
        for rel, (diags, errs, deps) in linted.items():
            per_file[rel] = (diags, errs)
            if use_findings and not errs:
                # Everything a derived or module dependency says is part of ``*``.
                kept_deps = frozenset((WHOLE_PROJECT,)) if WHOLE_PROJECT in deps else frozenset(deps)
                fresh[rel] = FindingsEntry(project.content_hash(rel), run_key, kept_deps, tuple(diags))
        if use_findings:
            # The findings of the files as read (a fixed file's new content is another entry).
            with phase("cache"):
                self._save_findings(cache, manifest, project, targets, reused, fresh, changed)
        fixed_count = 0
        if fix:
            # Dependents are reported, never fixed: the user did not name them.
            not_named = set(dependents)
            fixable = [
                t.relpath
                for t in targets
                if t.relpath in per_file
                and t.relpath not in not_named
                and select_fixes(per_file[t.relpath][0], unsafe_fixes)[0]
            ]
            fixed_count = len(fixable)
            results = self._fix_many(project, fixable, per_file, unsafe_fixes)
            for rel in fixable:
                diags, errs, outcome = results[rel]
                errs = list(errs)
                if outcome is not None:
                    outcomes.append(outcome)
                    if outcome.failed:
                        rules_involved = sorted({d.code for d in diags if d.fix is not None})
                        errs.append(
                            InternalError(
                                "fix",
                                f"{rel}: fixes not written: {outcome.failed} (rules: {', '.join(rules_involved)})",
                                path=rel,
                            )
                        )
                    if outcome.changed and write and stdin is None:
                        source = project.source(rel)
                        assert isinstance(source, SourceFile)
                        try:
                            write_atomic(source, outcome.fixed)
                        except OSError as exc:
                            outcome.failed = f"cannot write: {exc.strerror or exc}"
                            errs.append(InternalError("io", f"{rel}: cannot write fix: {exc}", path=rel))
                per_file[rel] = (list(diags), errs)
        self.stats = {
            "files": len(targets),
            "cached": cached,
            "linted": len(to_lint),
            "facts": project.computed_facts,
            "contract_inferred": int(self.stats_contract_inferred),
            "fixable": fixed_count,
        }

        diagnostics: list[Diagnostic] = []
        errors: list[InternalError] = []
        texts: dict[str, str] = {}
        for target in targets:
            rel = target.relpath
            diags, errs = per_file.get(rel, ([], []))
            diagnostics.extend(diags)
            errors.extend(errs)
            if diags:
                fixed = next((o.fixed for o in outcomes if o.path == rel and o.changed), None)
                src = project.source(rel)
                if fixed is not None:
                    texts[rel] = fixed
                elif isinstance(src, SourceFile):
                    texts[rel] = src.text
        with phase("report"):
            diagnostics.sort(key=lambda d: d.sort_key)
        return RunResult(self.root, [t.relpath for t in targets], diagnostics, errors, outcomes, texts, dependents)

    def _contract_for(self, project: Project, manifest: Manifest | None) -> None:
        """The contract, with what inference finds in the project.

        Inference looks only at the modules that pass its textual screens and records
        what it reads (modules, and which modules pass each screen). The cached contract
        is keyed on the config and the reference part of the contract, and reused while
        none of what it read changed: editing a module that defines no factory (and is
        not read while following one) re-infers nothing.
        """
        self._contract_changed = False
        self.stats_contract_inferred = False
        if not self.config.contract.infer:
            return
        key = digest(self.config, _contract_key(self.base_contract))
        if manifest is not None and manifest.contract is not None:
            try:
                old_key, deps, contract, whole = manifest.contract
                # Nothing changed at all, or nothing of what inference read.
                if (
                    old_key == key
                    and isinstance(contract, Contract)
                    and (
                        whole == project.fingerprint(WHOLE_PROJECT)
                        or all(_same_fingerprint(project, d, fp) for d, fp in deps.items())
                    )
                ):
                    self.contract = contract
                    return
            except (TypeError, ValueError, AttributeError):  # a foreign or damaged entry
                pass
        index = project.index()
        index.start_recording()
        try:
            self.contract = build_contract(self.config, index, self.is_test, screen=project.screened)
        finally:
            read = index.stop_recording()
        count_phase("contract", len(read))
        self.stats_contract_inferred = True
        if manifest is not None:
            import dataclasses

            if WHOLE_PROJECT in read:
                read = frozenset((WHOLE_PROJECT,))
            manifest.contract = (
                key,
                {d: project.fingerprint(d) for d in sorted(read)},
                dataclasses.replace(self.contract),
                project.fingerprint(WHOLE_PROJECT),
            )
            self._contract_changed = True

    def _entry_valid(
        self, entry: FindingsEntry, project: Project, run_key: str, rel: str, changed: Callable[[], frozenset[str]]
    ) -> bool:
        try:
            if entry.run_key != run_key or entry.content != project.content_hash(rel):
                return False
            return isinstance(entry.deps, frozenset) and entry.deps.isdisjoint(changed())
        except Exception:  # a foreign or damaged entry is never trusted
            return False

    def _save_findings(
        self,
        cache: Cache,
        manifest: Manifest,
        project: Project,
        targets: list[DiscoveredFile],
        reused: dict[str, FindingsEntry],
        fresh: dict[str, FindingsEntry],
        changed: Callable[[], frozenset[str]],
    ) -> None:
        """Write the manifest when anything in it changed; keep every entry valid for the new snapshot.

        Entries of files that were not targets of this run are kept only when none of
        their dependencies changed (their findings still hold in the new snapshot).
        """
        known = set(project.paths)
        targeted = {t.relpath for t in targets}
        entries: dict[str, FindingsEntry] = {}
        others = [(rel, e) for rel, e in manifest.entries.items() if rel in known and rel not in targeted]
        gone = changed()
        old = manifest.fingerprints
        for rel, e in others:
            if isinstance(e.deps, frozenset) and e.deps.isdisjoint(gone):
                entries[rel] = e
        entries.update(reused)
        entries.update(fresh)
        names = {WHOLE_PROJECT}
        for e in entries.values():
            names.update(e.deps)
        fingerprints = {}
        for dep in sorted(names):
            if dep in old and dep not in gone:
                fingerprints[dep] = old[dep]  # unchanged since the snapshot
                continue
            try:
                fingerprints[dep] = project.fingerprint(dep)
            except Exception:  # cannot be fingerprinted: the entries depending on it go
                entries = {rel: e for rel, e in entries.items() if dep not in e.deps}
        stats = project.stat_records()
        dirty = (
            bool(fresh)
            or self._contract_changed
            or project.derived_changed
            or entries.keys() != manifest.entries.keys()
            or fingerprints != manifest.fingerprints
            or stats != manifest.stats
        )
        if not dirty:
            return
        manifest.entries = entries
        manifest.fingerprints = fingerprints
        manifest.stats = stats
        manifest.edges = {k: v for k, v in project.edges.items() if k in known}
        manifest.screens = {k: v for k, v in project.screens.items() if k[1] in known}
        manifest.rows = {k: v for k, v in project.rows.items() if k in known}
        cache.save_manifest(manifest)

    # --- linting many files: in this process or in worker processes ------------------------
    def lint_one(self, project: Project, rel: str) -> tuple[list[Diagnostic], list[InternalError], frozenset[str]]:
        """Lint one readable file of ``project``; also return the dependencies recorded."""
        source = project.source(rel)
        assert isinstance(source, SourceFile)
        index = project.index()
        index.start_recording()
        try:
            res = self.lint_source(source, project.lazy_facts(rel), index)
        except Exception as exc:  # an engine failure on one file must not stop the run
            index.stop_recording()
            err = InternalError(
                "internal",
                f"{rel}: internal error: {type(exc).__name__}: {exc}",
                path=rel,
                traceback=traceback.format_exc(limit=-6),
            )
            return [], [err], frozenset()
        deps = set(index.stop_recording())
        if any(getattr(r, "PROJECT_WIDE", False) for r in self.rules_for(rel)):
            deps.add(WHOLE_PROJECT)
        return res.diagnostics, res.errors, frozenset(deps)

    def fix_one(
        self, project: Project, rel: str, first: tuple[list[Diagnostic], list[InternalError]], unsafe: bool
    ) -> tuple[list[Diagnostic], list[InternalError], FixOutcome | None]:
        """Fix one file of ``project`` whose lint result ``first`` has fixes to apply: the
        diagnostics left after fixing, the errors, and what was fixed (nothing is written)."""
        source = project.source(rel)
        assert isinstance(source, SourceFile)
        start = FileResult(rel, list(first[0]), list(first[1]), source)
        res, outcome = self.fix_source(source, project.lazy_facts(rel), project.index(), unsafe, first=start)  # type: ignore[arg-type]
        return res.diagnostics, res.errors, outcome

    def _fix_many(
        self,
        project: Project,
        rels: list[str],
        first: dict[str, tuple[list[Diagnostic], list[InternalError]]],
        unsafe: bool,
    ) -> dict[str, tuple[list[Diagnostic], list[InternalError], FixOutcome | None]]:
        """``fix_one`` for each file: in worker processes when there are enough of them."""
        jobs = self.jobs or os.cpu_count() or 1
        if jobs <= 1 or len(rels) < MIN_PARALLEL_FILES or not _can_fork():
            return {rel: self.fix_one(project, rel, first[rel], unsafe) for rel in rels}
        from .workers import lint_in_workers

        return lint_in_workers(
            self,
            project,
            rels,
            jobs,
            lambda n: None,
            work=lambda rel: self.fix_one(project, rel, first[rel], unsafe),
            failed=None,
        )

    def _lint_many(
        self, project: Project, rels: list[str]
    ) -> dict[str, tuple[list[Diagnostic], list[InternalError], frozenset[str]]]:
        out: dict[str, tuple[list[Diagnostic], list[InternalError], frozenset[str]]] = {}
        total = len(rels)
        if not rels:
            return out
        jobs = self.jobs or os.cpu_count() or 1
        # The first file is linted here: it warms what every worker shares (the index,
        # project-wide tables the prefilters use) before the workers are forked.
        first, rest = rels[0], rels[1:]
        out[first] = self.lint_one(project, first)
        done = 1
        if self.progress:
            self.progress(done, total)
        if jobs <= 1 or len(rest) < MIN_PARALLEL_FILES or not _can_fork():
            for rel in rest:
                out[rel] = self.lint_one(project, rel)
                done += 1
                if self.progress:
                    self.progress(done, total)
            return out
        from .timings import PARALLEL
        from .workers import lint_in_workers

        def on_batch(n: int) -> None:
            nonlocal done
            done += n
            if self.progress:
                self.progress(done, total)

        with phase(PARALLEL):
            out.update(lint_in_workers(self, project, rest, jobs, on_batch))
        return out


MIN_PARALLEL_FILES = 24


def _same_fingerprint(project: Project, dep: str, fp: str) -> bool:
    try:
        return project.fingerprint(dep) == fp
    except Exception:  # cannot be computed now: treated as changed
        return False


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


_COMPILE_FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


def _syntax_error(source: SourceFile, facts: Any) -> tuple[str, tuple[int, int]] | None:
    """CPython's syntax error in the file (message, position), or None when it parses.

    Uses the facts when they were extracted already; otherwise only parses.
    """
    real = facts.get() if isinstance(facts, LazyFacts) and facts.loaded else facts
    if isinstance(real, ModuleFacts):
        return None if real.syntax_error is None else (real.syntax_error, real.syntax_error_at)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning/DeprecationWarning are not findings
        try:
            # Compiling builds no Python objects for the tree: faster than ast.parse, and
            # whatever compiles parses. It also rejects more (`return` outside a function),
            # so a failure is decided by ast.parse below.
            compile(source.text, source.path, "exec", _COMPILE_FLAGS, dont_inherit=True)
            return None
        except Exception:
            pass
        tree, error, at = parse_source(source.text, source.path)
    return None if tree is not None else (error or "invalid syntax", at)


_PROVENANCE = ("source", "defined_at", "warnings", "module_path")


def _contract_key(contract: Contract) -> Any:
    """The contract without provenance (``source`` = file:line): moving a factory down a few
    lines must not invalidate every cached finding. Rules do not put provenance in messages."""
    import dataclasses

    def strip(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return (
                type(value).__name__,
                tuple(
                    (f.name, strip(getattr(value, f.name)))
                    for f in dataclasses.fields(value)
                    if f.name not in _PROVENANCE
                ),
            )
        if isinstance(value, (list, tuple)):
            return tuple(strip(v) for v in value)
        return value

    return strip(contract)


_ERROR_AT = re.compile(r"error at (\d+):(\d+)")


def _libcst_error_position(exc: cst.ParserSyntaxError) -> tuple[int, int]:
    """1-based line and column of a LibCST parse error. The native parser's ``raw_line``
    is one too far when more lines follow; its message says where the error is."""
    m = _ERROR_AT.search(exc.message)
    if m:
        return int(m.group(1)), int(m.group(2)) + 1
    return exc.raw_line, exc.raw_column + 1


def _positions(module: cst.Module) -> Any:
    """Every node's ``PositionProvider`` range, from one position-tracking codegen pass.

    ``MetadataWrapper.resolve`` would also run an empty batched traversal of the whole tree
    (half the cost on files with findings); the provider alone is enough. Falls back to the
    wrapper if this LibCST's provider does not work that way.
    """
    try:
        provider = PositionProvider()
        provider._gen_impl(module)
        return provider._computed
    except Exception:  # another LibCST version: the public, slower way
        return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)


def _could_fire(rule: type[LintRule], context: RuleContext) -> bool:
    try:
        return rule.could_fire(context)
    except Exception:
        return True


def _scope_at(facts: ModuleFacts, line: int) -> str:
    """Qualified name of the innermost function or class whose lines hold ``line``."""
    best = ""
    best_start = 0
    for d in facts.defs.values():
        if d.line <= line <= d.end_line and d.line >= best_start:
            best, best_start = d.qualname, d.line
    return best


def _rule_error(rule: type[LintRule], path: str, exc: BaseException) -> InternalError:
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""
    return InternalError(
        kind="rule",
        message=f"rule {rule.code} ({rule.name}) raised {type(exc).__name__}: {exc}{where}",
        path=path,
        rule=rule.code,
        traceback="".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-4)),
    )


def _to_fix(fix: CstFix | Fix | None, module: cst.Module, positions: Any, text: str) -> Fix | None:
    """Text edits for a fix; ``text`` is the source the module was parsed from."""
    if fix is None or isinstance(fix, Fix):
        return fix
    edits = []
    starts: list[int] | None = None
    for old, new in fix.replacements:
        rng = _code_point_range(positions[old])
        if isinstance(new, str):
            content = new
        else:
            if starts is None:
                starts = line_starts(text)
            content = _render(new, module, positions, text, starts)
        edits.append(Edit(rng, content))
    return Fix(fix.message, tuple(sorted(edits, key=lambda e: e.range)), fix.safe)


def _original_text(node: cst.CSTNode, text: str, positions: Any, starts: list[int]) -> str:
    """The exact source text of an original node, with its parentheses."""
    lpar = getattr(node, "lpar", None) or ()
    rpar = getattr(node, "rpar", None) or ()
    first = positions[lpar[0]] if lpar and lpar[0] in positions else positions[node]
    last = positions[rpar[-1]] if rpar and rpar[-1] in positions else positions[node]
    start = offset_of(starts, Position(first.start.line, first.start.column + 1))
    end = offset_of(starts, Position(last.end.line, last.end.column + 1))
    return text[start:end]


def _render(new: cst.CSTNode, module: cst.Module, positions: Any, text: str, starts: list[int]) -> str:
    """Source for a replacement node; parts taken from the original tree keep their exact text.

    ``code_for_node`` alone would lose the indentation of multi-line original parts
    (and so break comments and continuation lines); they are rendered as placeholders
    and filled in with their original text.
    """
    if new in positions:
        return _original_text(new, text, positions, starts)
    texts: dict[str, str] = {}

    class _Swap(cst.CSTTransformer):
        def on_visit(self, node: cst.CSTNode) -> bool:
            return node not in positions

        def on_leave(self, original: cst.CSTNode, updated: Any) -> Any:
            if original in positions and isinstance(original, cst.BaseExpression):
                key = f"__ssot_lint_fix_{len(texts)}__"
                texts[key] = _original_text(original, text, positions, starts)
                return cst.Name(key)
            return updated

    code = module.code_for_node(new.visit(_Swap()))
    for key, original_text in texts.items():
        code = code.replace(key, original_text, 1)
    return code


def _rule_options(config: Config, rules: LoadedRules) -> dict[str, dict[str, Any]]:
    """Each rule's options: its declared defaults, overridden by ``[tool.ssot-lint.rules.<name>]``."""
    out: dict[str, dict[str, Any]] = {}
    for rule in rules.rules:
        opts = {k: v.default for k, v in rule.OPTIONS.items()}
        opts.update(config.rules.get(rule.name, {}))
        opts.update(config.rules.get(rule.code, {}))
        out[rule.name] = opts
    return out
