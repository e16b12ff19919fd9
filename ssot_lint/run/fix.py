"""Fixing: fix rounds until no fix applies, a parse check on every round, atomic writes.

Cached (or fresh) findings say which files have fixes to apply; only those are fixed,
in worker processes when there are enough of them. A round whose result would not
parse is not taken, and nothing that does not parse is ever written.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .. import workers
from ..diagnostics import Diagnostic, InternalError
from ..facts import ModuleFacts
from ..fixes import FixOutcome, apply_edits, parses, select_fixes, write_atomic
from ..index import ProjectIndex
from ..project import Project
from ..source import SourceFile
from .lint import FileResult

if TYPE_CHECKING:
    from ..engine import Linter

MAX_FIX_ROUNDS = 10


def fix_source(
    linter: Linter,
    source: SourceFile,
    facts: ModuleFacts,
    index: ProjectIndex,
    unsafe: bool,
    first: FileResult | None = None,
) -> tuple[FileResult, FixOutcome | None]:
    """Lint and fix one file in rounds until no fix applies; never produce unparsable text.

    ``first`` is the file's lint result when it is known already (from the cache, or
    from linting it in this run): the first round then parses nothing."""
    res = first if first is not None else linter.lint_source(source, facts, index)
    original = text = source.text
    applied: list[Diagnostic] = []
    for _ in range(MAX_FIX_ROUNDS):
        chosen, _deferred = select_fixes(res.diagnostics, unsafe)
        if not chosen:
            break
        new_text = apply_edits(text, [e for d in chosen for e in d.fix.edits])  # type: ignore[union-attr]  # chosen: findings with a fix
        if not parses(new_text):
            outcome = FixOutcome(source.path, original, text, applied, failed="fixed source would not parse")
            return res, outcome
        applied.extend(chosen)
        text = new_text
        source = SourceFile(source.path, source.abspath, text, source.encoding, source.bom, source.newline)
        res = linter.lint_source(source, facts, index)
    if not applied:
        return res, None
    return res, FixOutcome(source.path, original, text, applied)


def fix_one(
    linter: Linter, project: Project, rel: str, first: tuple[list[Diagnostic], list[InternalError]], unsafe: bool
) -> tuple[list[Diagnostic], list[InternalError], FixOutcome | None]:
    """Fix one file of ``project`` whose lint result ``first`` has fixes to apply: the
    diagnostics left after fixing, the errors, and what was fixed (nothing is written)."""
    source = project.source(rel)
    assert isinstance(source, SourceFile)
    start = FileResult(rel, list(first[0]), list(first[1]), source)
    res, outcome = linter.fix_source(source, project.lazy_facts(rel), project.index(), unsafe, first=start)  # type: ignore[arg-type]  # LazyFacts stands in for ModuleFacts
    return res.diagnostics, res.errors, outcome


def fix_many(
    linter: Linter,
    project: Project,
    rels: list[str],
    first: dict[str, tuple[list[Diagnostic], list[InternalError]]],
    unsafe: bool,
) -> dict[str, tuple[list[Diagnostic], list[InternalError], FixOutcome | None]]:
    """``fix_one`` for each file: in worker processes when there are enough of them."""
    jobs = linter.jobs or os.cpu_count() or 1
    if jobs <= 1 or len(rels) < workers.MIN_PARALLEL_FILES or not workers.can_fork():
        return {rel: linter.fix_one(project, rel, first[rel], unsafe) for rel in rels}

    return workers.lint_in_workers(
        linter,
        project,
        rels,
        jobs,
        lambda n: None,
        work=lambda rel: linter.fix_one(project, rel, first[rel], unsafe),
        failed=None,
        share=True,
    )


def apply_fixes(
    linter: Linter,
    project: Project,
    candidates: list[str],
    per_file: dict[str, tuple[list[Diagnostic], list[InternalError]]],
    unsafe: bool,
    write: bool,
) -> tuple[list[FixOutcome], int]:
    """Fix the ``candidates`` that have fixes to apply, and write them when ``write``.

    ``per_file`` (each file's diagnostics and errors) is updated with what is left after
    fixing. Returns what was fixed, and how many files had fixes to apply."""
    outcomes: list[FixOutcome] = []
    fixable = [rel for rel in candidates if rel in per_file and select_fixes(per_file[rel][0], unsafe)[0]]
    results = fix_many(linter, project, fixable, per_file, unsafe)
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
            if outcome.changed and write:
                source = project.source(rel)
                assert isinstance(source, SourceFile)
                try:
                    write_atomic(source, outcome.fixed)
                except OSError as exc:
                    outcome.failed = f"cannot write: {exc.strerror or exc}"
                    errs.append(InternalError("io", f"{rel}: cannot write fix: {exc}", path=rel))
        per_file[rel] = (list(diags), errs)
    return outcomes, len(fixable)
