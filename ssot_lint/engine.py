"""``Linter``: one project root, one configuration, one rule set; ``run`` is one check.

The phases live in ``ssot_lint.run``, each in a file named after it:

- ``options``: frozen run options (prefilter, jobs, cache, dependents), built once;
- ``discover``: paths → files (and the dependents of the files named);
- ``plan``: the incremental coordinator (manifest, fingerprints, reuse, saving findings);
- ``contract``: the reference contract plus what inference finds (cached);
- ``facts``: each module's ``ast`` facts and the project index;
- ``lint``: per file, LibCST parse → one traversal (``dispatch``) → suppress →
  diagnostics (``findings``); many files in worker processes (``ssot_lint.workers``);
- ``fix``: fix rounds, the parse check, atomic writes.

This class holds what the phases share and keeps the public methods the CLI, the
language server, tests and plugins call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from . import testcode
from .cache import Cache, content_hash
from .config import Config, resolve_target_version
from .contract import Contract, ReferenceCache, build_contract
from .diagnostics import Diagnostic, InternalError
from .discovery import DiscoveredFile, compile_globs
from .facts import ModuleFacts, extract_facts
from .fixes import FixOutcome
from .index import ProjectIndex
from .project import LazyFacts, Project
from .registry import LoadedRules
from .rule import LintRule
from .run import contract as contract_phase
from .run import discover as discover_phase
from .run import facts as facts_phase
from .run import fix as fix_phase
from .run import lint as lint_phase
from .run import plan as plan_phase
from .run import unchanged as unchanged_phase
from .run.findings import (
    INVALID_SYNTAX,
    INVALID_SYNTAX_NAME,
    MISSING_REASON,
    read_error_diagnostic,
    severity_of,
)
from .run.fix import MAX_FIX_ROUNDS
from .run.lint import FileResult, rule_options, select_rules
from .run.options import RunOptions
from .source import SourceFile, source_from_text
from .timings import phase

__all__ = [
    "INVALID_SYNTAX",
    "INVALID_SYNTAX_NAME",
    "MAX_FIX_ROUNDS",
    "MISSING_REASON",
    "FileResult",
    "Linter",
    "RunOptions",
    "RunResult",
    "select_rules",
]


@dataclass
class RunResult:
    root: Path
    files: list[str]
    diagnostics: list[Diagnostic]
    errors: list[InternalError]
    fixes: list[FixOutcome] = field(default_factory=list)
    # Text of the files that have diagnostics (for code frames): reporters never re-read files.
    sources: dict[str, str] = field(default_factory=dict)
    # Files linted because their findings depend on the files given (``RunOptions.dependents``).
    dependents: list[str] = field(default_factory=list)


class Linter:
    """Lints files of one project root with one configuration, rule set and run options."""

    def __init__(
        self,
        config: Config,
        rules: LoadedRules,
        *,
        select: list[str] | None = None,
        ignore: list[str] | None = None,
        extend_select: list[str] | None = None,
        options: RunOptions | None = None,
    ) -> None:
        self.config = config
        self.root = config.root
        self.options = options if options is not None else RunOptions()
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
        self.rule_options = rule_options(config, rules)
        # Reference + config now; inference is added once the project index exists.
        # The reference package, parsed once per Linter (its facts from the facts cache).
        self._reference_unsaved: list[tuple[str, ModuleFacts]] = []
        self._reference_cache: Cache | None = None  # (building a Cache hashes the facts schema)
        self.references = ReferenceCache(self._reference_facts if self.options.use_cache else None)
        self.contract: Contract = build_contract(config, references=self.references)
        self.base_contract = self.contract
        self.stats_contract_inferred = False
        self.stats: dict[str, int] = {}
        self._tool: str | None = None
        # The index of the project being linted (``contract.bind_test_code``): ``is_test`` asks it.
        self.current_index: ProjectIndex | None = None

    # --- the run options (read-only: build another ``Linter`` for others) --------------------
    @property
    def prefilter(self) -> bool:
        return self.options.prefilter

    @property
    def jobs(self) -> int | None:
        return self.options.jobs

    @property
    def use_cache(self) -> bool:
        return self.options.use_cache

    # --- discover, facts and the index (``run.discover``, ``run.facts``) ----------------------
    def discover(self, paths: list[str]) -> list[DiscoveredFile]:
        return discover_phase.discover_paths(self, paths)

    def module_of(self, relpath: str) -> tuple[str, bool]:
        return facts_phase.module_of(relpath)

    def facts_for(self, source: SourceFile) -> ModuleFacts:
        return facts_phase.facts_for(source)

    def build_index(
        self, targets: list[DiscoveredFile], overrides: dict[str, str] | None = None
    ) -> tuple[ProjectIndex, dict[str, SourceFile], dict[str, ModuleFacts], dict[str, str]]:
        return facts_phase.build_index(self, targets, overrides)

    def make_index(self, facts: Iterable[ModuleFacts]) -> ProjectIndex:
        return facts_phase.make_index(self, facts)

    # --- rules of a file, and linting one file (``run.lint``, ``run.findings``) -------------
    def is_test(self, relpath: str, index: ProjectIndex | None = None) -> bool:
        """Test code: the ``test-paths`` globs, or (with an index: the one given, else the
        current one) a module only test code imports (``ssot_lint.testcode``)."""
        if self.test_spec.match_file(relpath):
            return True
        index = index if index is not None else self.current_index
        if index is None or not self.config.test_only_imports:
            return False
        return testcode.is_test(index, relpath, self.config.test_paths)

    def rules_for(self, relpath: str, index: ProjectIndex | None = None) -> list[type[LintRule]]:
        return lint_phase.rules_for(self, relpath, index)

    def severity_of(self, rule: type[LintRule]) -> str:
        return severity_of(self, rule)

    def read_error_diagnostic(self, path: str, message: str) -> Diagnostic:
        return read_error_diagnostic(self, path, message)

    def lint_source(self, source: SourceFile, facts: ModuleFacts | LazyFacts, index: ProjectIndex) -> FileResult:
        return lint_phase.lint_source(self, source, facts, index)

    def lint_one(self, project: Project, rel: str) -> tuple[list[Diagnostic], list[InternalError], frozenset[str]]:
        return lint_phase.lint_one(self, project, rel)

    # --- fixing (``run.fix``) ------------------------------------------------------------------
    def fix_source(
        self, source: SourceFile, facts: ModuleFacts, index: ProjectIndex, unsafe: bool, first: FileResult | None = None
    ) -> tuple[FileResult, FixOutcome | None]:
        return fix_phase.fix_source(self, source, facts, index, unsafe, first)

    def fix_one(
        self, project: Project, rel: str, first: tuple[list[Diagnostic], list[InternalError]], unsafe: bool
    ) -> tuple[list[Diagnostic], list[InternalError], FixOutcome | None]:
        return fix_phase.fix_one(self, project, rel, first, unsafe)

    # --- the cache (``run.plan``) ----------------------------------------------------------
    def tool(self) -> str:
        """The fingerprint of ssot-lint's code and the rules' modules (hashed once per linter)."""
        if self._tool is None:
            self._tool = plan_phase.tool(self)
        return self._tool

    def run_key(self) -> str:
        return plan_phase.run_key(self)

    def _reference_facts(self, data: bytes, module: str, display: str, is_package: bool) -> ModuleFacts:
        """A reference module's facts, kept in the facts cache by content like any module's."""
        cache = self._reference_cache
        if cache is None:
            cache = self._reference_cache = self.make_cache()
        key = cache.facts_key(content_hash(data), module, display, is_package)
        found = cache.get_facts(key, "reference")
        if found is None or found.module != module or found.path != display:
            found = extract_facts(data.decode("utf-8", errors="replace"), module, display, is_package)
            self._reference_unsaved.append((key, found))  # written by a run, not by building a Linter
        return found

    def make_cache(self, enabled: bool | None = None) -> Cache:
        on = self.use_cache if enabled is None else enabled
        where = self.options.cache_dir
        return Cache(Path(where) if where else self.root / self.config.cache_dir, enabled=on)

    # --- whole runs ----------------------------------------------------------------------------
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

    def run(
        self,
        paths: list[str],
        stdin: tuple[str, str] | None = None,
        *,
        fix: bool = False,
        unsafe_fixes: bool = False,
        write: bool = True,
        progress: Callable[[int, int], None] | None = None,
    ) -> RunResult:
        """Lint ``paths`` (or, with ``stdin=(relpath, text)``, one buffer) against the whole root.

        With ``fix``, applicable fixes are applied (written to disk when ``write`` and the
        input is not stdin) and the remaining diagnostics are returned. ``progress(done,
        total)`` is called as files are linted.
        """
        targets, files, overrides = discover_phase.discover_run(self, paths, stdin)
        if stdin is None and not fix and self.options.use_cache:
            with phase("cache", 1):  # the stamp
                unchanged = unchanged_phase.replay(self, targets, files)
            if unchanged is not None:
                return unchanged
        plan = plan_phase.Plan(self, files, overrides, stdin is not None)
        project = plan.project
        facts_phase.extract_in_parallel(self, project)
        dependents: list[str] = []
        given = targets
        if self.options.dependents and paths and stdin is None:
            targets, dependents = discover_phase.add_dependents(project, plan.manifest.entries, targets, files)
        contract_phase.bind_test_code(self, project.index())
        with phase("contract"):
            self.contract, inferred = contract_phase.contract_for(self, project, plan.cached_manifest)
        self.stats_contract_inferred = inferred
        plan.contract_changed = inferred and plan.use_findings
        contract_phase.bind(self, project.index())
        project.row_salt = plan_phase.row_salt(self)
        per_file, to_lint = plan.partition(targets)
        plan.record(lint_phase.lint_many(self, project, to_lint, progress), per_file)
        plan.save(targets)
        if plan.use_findings:
            for key, facts in self._reference_unsaved:
                plan.cache.put_facts(key, facts, "reference")
            self._reference_unsaved.clear()
        if plan.use_findings and not fix:
            with phase("cache"):
                unchanged_phase.keep(self, project, given, targets, per_file, dependents)
        outcomes: list[FixOutcome] = []
        fixable = 0
        if fix:
            # Dependents are reported, never fixed: the user did not name them.
            not_named = set(dependents)
            candidates = [t.relpath for t in targets if t.relpath not in not_named]
            outcomes, fixable = fix_phase.apply_fixes(
                self, project, candidates, per_file, unsafe_fixes, write and stdin is None
            )
        self.stats = {
            "files": len(targets),
            "cached": len(plan.reused),
            "linted": len(to_lint),
            "facts": project.computed_facts,
            "facts_loaded": project.facts_in_memory,
            "contract_inferred": int(self.stats_contract_inferred),
            "fixable": fixable,
        }
        return _result(self.root, project, targets, per_file, outcomes, dependents)


def _result(
    root: Path,
    project: Project,
    targets: list[DiscoveredFile],
    per_file: plan_phase.PerFile,
    outcomes: list[FixOutcome],
    dependents: list[str],
) -> RunResult:
    """The run's findings in report order, with the text of the files that have some."""
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
    return RunResult(root, [t.relpath for t in targets], diagnostics, errors, outcomes, texts, dependents)
