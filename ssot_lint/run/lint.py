"""The per-file pipeline: rules for the file → prefilter → LibCST parse → one traversal
for every rule → suppressions → diagnostics → the post pass.

One LibCST parse per file, and only where a rule could fire (the sound prefilter
decides from the text and the facts); positions are computed only for files that have
something to report. Many files are linted here or in worker processes
(``lint_many``), each with the dependencies its lookups recorded.
"""

from __future__ import annotations

import ast
import importlib
import os
import traceback
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import workers
from ..config import Config, code_matches
from ..context import RuleContext
from ..diagnostics import Diagnostic, InternalError
from ..facts import ModuleFacts, parse_source
from ..index import WHOLE_PROJECT, ProjectIndex
from ..lazy import cst, cst_metadata
from ..project import LazyFacts, Project
from ..registry import LoadedRules
from ..rule import FileOutcome, LintRule
from ..slices import dep_module
from ..source import SourceFile
from ..suppress import Suppressions, parse_suppressions
from ..timings import PARALLEL, phase
from .findings import (
    INVALID_SYNTAX,
    libcst_error_position,
    rule_error,
    suppression_diagnostics,
    syntax_diagnostic,
    to_diagnostics,
)

if TYPE_CHECKING:
    from ..engine import Linter


@dataclass
class FileResult:
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    errors: list[InternalError] = field(default_factory=list)
    source: SourceFile | None = None


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


def rules_for(linter: Linter, relpath: str, index: ProjectIndex | None = None) -> list[type[LintRule]]:
    ignored: list[str] = []
    for spec, codes in linter.per_file:
        if spec.match_file(relpath):
            ignored.extend(codes)
    test = linter.is_test(relpath, index)
    return [
        r
        for r in linter.enabled
        if not any(code_matches(r.code, c) for c in ignored) and (r.applies_to_tests or not test)
    ]


def lint_source(linter: Linter, source: SourceFile, facts: ModuleFacts | LazyFacts, index: ProjectIndex) -> FileResult:
    result = FileResult(source.path, source=source)
    rules = rules_for(linter, source.path, index)
    post = [r for r in rules if r.POST_PASS]
    engine_rules = [r for r in rules if r.ENGINE_RULE]
    rules = [r for r in rules if not r.POST_PASS and not r.ENGINE_RULE]
    context = RuleContext(
        path=source.path,
        module=linter.module_of(source.path)[0],
        facts=facts,  # type: ignore[arg-type]  # LazyFacts stands in for ModuleFacts
        index=index,
        config=linter.config,
        contract=linter.contract,
        is_test=linter.is_test(source.path, index),
        rule_options=linter.rule_options,
        text=source.text,
    )
    # Codes the post pass may judge: the visitor rules that run here (a rule whose sound
    # prefilter says it cannot fire has run and found nothing), and SSOT000 once parsed.
    checked = {r.code for r in rules}
    if linter.prefilter:
        with phase("prefilter", 1):
            rules = [r for r in rules if could_fire(r, context)]
    # Suppressions are parsed once: a regex scan when there are none. The post pass
    # (SSOT100) needs them even where no other rule could fire.
    suppressions = parse_suppressions(source.text) if post or engine_rules else None
    if engine_rules:
        assert suppressions is not None  # parsed just above when there are engine rules
        result.diagnostics.extend(suppression_diagnostics(linter, source, engine_rules, suppressions))
    post = post if suppressions else []
    # SSOT000 is reported only where it is enabled (select, ignore, per-file-ignores).
    report_syntax = any(r.code == INVALID_SYNTAX for r in engine_rules)
    if not rules:
        # No rule can fire: LibCST has nothing to do; only CPython's verdict on the syntax.
        error = syntax_error(source, facts) if (report_syntax or post) else None
        if error is not None:
            if report_syntax:
                result.diagnostics.append(syntax_diagnostic(linter, source.path, error[1][0], error[1][1], error[0]))
            return result
        if report_syntax:
            checked.add(INVALID_SYNTAX)
        if post and suppressions:
            _post_pass(linter, post, context, source, suppressions, checked, result)
        return result
    if facts.syntax_error is not None:
        # CPython cannot compile it either. Its message and position read better, and
        # LibCST must not see what broke ast: inputs that exhaust ast's recursion limit
        # (a 20,000-term expression) crash LibCST's native parser.
        if report_syntax:
            line, col = facts.syntax_error_at
            result.diagnostics.append(syntax_diagnostic(linter, source.path, line, col, facts.syntax_error))
        return result
    with phase("LibCST", 1):
        return _lint_cst(linter, source, context, rules, post, suppressions, checked, report_syntax, result)


def _lint_cst(
    linter: Linter,
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
            line, column = libcst_error_position(exc)
            why = exc.message
        else:
            line, column = 1, 1
            why = "too deeply nested to parse" if isinstance(exc, RecursionError) else "out of memory while parsing"
        _cannot_analyse(
            linter, source, context, rules, post, suppressions, checked, report_syntax, result, (line, column, why)
        )
        return result
    if report_syntax:
        checked.add(INVALID_SYNTAX)
    if rules:
        instances = [r(context) for r in rules]
        _resolve_metadata(linter, module, instances)

        def on_error(rule: LintRule, exc: BaseException) -> None:
            result.errors.append(rule_error(type(rule), source.path, exc))

        try:
            from .dispatch import Dispatcher  # a LibCST visitor: imports LibCST

            module.visit(Dispatcher(instances, context, on_error))
        except RecursionError:
            where = (1, 1, "too deeply nested to analyse")
            _cannot_analyse(linter, source, context, rules, post, suppressions, checked, report_syntax, result, where)
            return result
        reports = [rep for inst in instances for rep in inst.reports]
        if reports:
            if suppressions is None:
                suppressions = parse_suppressions(source.text)
            result.diagnostics.extend(
                to_diagnostics(linter, module, source, context.facts, reports, result, suppressions)
            )
    if post and suppressions:
        _post_pass(linter, post, context, source, suppressions, checked, result)
    return result


def _cannot_analyse(
    linter: Linter,
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
    if not linter.prefilter and not any(could_fire(r, context) for r in rules):
        if report_syntax:
            checked.add(INVALID_SYNTAX)
        if post and suppressions:
            _post_pass(linter, post, context, source, suppressions, checked, result)
        return
    if report_syntax:
        line, column, why = where
        prefix = "cannot analyse (CPython accepts the file; LibCST cannot handle it): "
        result.diagnostics.append(syntax_diagnostic(linter, source.path, line, column, why, prefix))


def _post_pass(
    linter: Linter,
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
        _run_post_pass(linter, post, context, source, suppressions, checked, result)


def _run_post_pass(
    linter: Linter,
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
        known_codes=frozenset(linter.all_rules.codes),
        failed_codes=frozenset(failed),
    )
    for rule in post:
        inst = rule(context)
        try:
            inst.finish_file(outcome)
        except Exception as exc:  # a broken rule must not stop the others
            result.errors.append(rule_error(rule, source.path, exc))
            continue
        result.diagnostics.extend(to_diagnostics(linter, None, source, context.facts, inst.reports, result, None))


def _resolve_metadata(linter: Linter, module: cst.Module, instances: list[LintRule]) -> None:
    needed = {p for inst in instances for p in inst.METADATA_DEPENDENCIES}
    if not needed:
        return
    wrapper = cst_metadata.MetadataWrapper(module, unsafe_skip_copy=True)
    resolved = wrapper.resolve_many(needed)
    for inst in instances:
        inst._metadata = {p: resolved[p] for p in inst.METADATA_DEPENDENCIES}


def lint_one(
    linter: Linter, project: Project, rel: str
) -> tuple[list[Diagnostic], list[InternalError], frozenset[str]]:
    """Lint one readable file of ``project``; also return the dependencies recorded."""
    source = project.source(rel)
    assert isinstance(source, SourceFile)
    index = project.index()
    index.start_recording()
    try:
        res = linter.lint_source(source, project.lazy_facts(rel), index)
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
    own = project.module_info.get(rel, ("", False))[0]
    if own and project.path_of_module.get(own) == rel:
        # The file's own facts: the cached entry holds only for this content anyway.
        deps = {d for d in deps if dep_module(d) != own}
    if any(getattr(r, "PROJECT_WIDE", False) for r in rules_for(linter, rel, index)):
        deps.add(WHOLE_PROJECT)
    return res.diagnostics, res.errors, frozenset(deps)


def lint_many(
    linter: Linter, project: Project, rels: list[str], progress: Callable[[int, int], None] | None = None
) -> dict[str, tuple[list[Diagnostic], list[InternalError], frozenset[str]]]:
    out: dict[str, tuple[list[Diagnostic], list[InternalError], frozenset[str]]] = {}
    total = len(rels)
    if not rels:
        return out
    jobs = linter.jobs or os.cpu_count() or 1
    # The first file is linted here: it warms what every worker shares (the index,
    # project-wide tables the prefilters use) before the workers are forked.
    first, rest = rels[0], rels[1:]
    out[first] = linter.lint_one(project, first)
    done = 1
    if progress:
        progress(done, total)
    if jobs <= 1 or len(rest) < workers.MIN_PARALLEL_FILES or not workers.can_fork():
        for rel in rest:
            out[rel] = linter.lint_one(project, rel)
            done += 1
            if progress:
                progress(done, total)
        return out

    def on_batch(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    # Many files: some will likely be parsed with LibCST. Imported once here, the forked
    # workers share it instead of each importing it (``ssot_lint.lazy``).
    importlib.import_module("libcst")
    importlib.import_module("libcst.metadata")
    with phase(PARALLEL):
        out.update(workers.lint_in_workers(linter, project, rest, jobs, on_batch, share=True))
    return out


_COMPILE_FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


def syntax_error(source: SourceFile, facts: Any) -> tuple[str, tuple[int, int]] | None:
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


def could_fire(rule: type[LintRule], context: RuleContext) -> bool:
    try:
        return rule.could_fire(context)
    except Exception:
        return True


def rule_options(config: Config, rules: LoadedRules) -> dict[str, dict[str, Any]]:
    """Each rule's options: its declared defaults, overridden by ``[tool.ssot-lint.rules.<name>]``."""
    out: dict[str, dict[str, Any]] = {}
    for rule in rules.rules:
        opts = {k: v.default for k, v in rule.OPTIONS.items()}
        opts.update(config.rules.get(rule.name, {}))
        opts.update(config.rules.get(rule.code, {}))
        out[rule.name] = opts
    return out
