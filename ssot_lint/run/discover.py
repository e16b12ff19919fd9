"""The discover phase: the paths given → the files to lint, and every file of the root.

Gitignore, ``exclude`` and ``--force-exclude`` are applied by ``ssot_lint.discovery``.
With ``--dependents``, the files whose findings depend on the files named are added
(``ssot_lint.dependents``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..discovery import DiscoveredFile, discover
from ..project import Project
from ..timings import count as count_phase
from ..timings import phase

if TYPE_CHECKING:
    from ..engine import Linter


def discover_paths(linter: Linter, paths: list[str]) -> list[DiscoveredFile]:
    """The Python files under ``paths`` that the configuration does not exclude."""
    with phase("discover"):
        return discover(
            paths, linter.root, linter.exclude, linter.config.respect_gitignore, linter.options.force_exclude
        )


def discover_run(
    linter: Linter, paths: list[str], stdin: tuple[str, str] | None
) -> tuple[list[DiscoveredFile], dict[str, DiscoveredFile], dict[str, str]]:
    """The targets of a run, every file of the project (the root's and the targets) by
    path, and the in-memory texts (a stdin buffer) that replace files on disk."""
    everything = linter.discover([str(linter.root)])
    if stdin is not None:
        rel, text = stdin
        targets = [DiscoveredFile(str(linter.root / rel), rel, True)]
        overrides = {rel: text}
    elif len(paths) == 1 and os.path.isdir(paths[0]) and Path(paths[0]).resolve() == linter.root.resolve():
        targets = list(everything)  # `check .` at the root: the same walk, once
        overrides = {}
    else:
        targets = linter.discover(paths)
        overrides = {}
    files = {f.relpath: f for f in everything}
    for f in targets:
        files.setdefault(f.relpath, f)
    count_phase("discover", len(files))
    return targets, files, overrides


def add_dependents(
    project: Project, entries: dict[str, Any], targets: list[DiscoveredFile], files: dict[str, DiscoveredFile]
) -> tuple[list[DiscoveredFile], list[str]]:
    """The targets plus the files whose findings depend on the files named explicitly
    (pre-commit names the changed files; a folder given is linted as it is), and those
    dependents alone."""
    from ..dependents import find_dependents

    named = [t.relpath for t in targets if t.explicit]
    dependents = find_dependents(project, entries, named) if named else []
    given = {t.relpath for t in targets}
    dependents = [rel for rel in dependents if rel not in given]
    return targets + [files[rel] for rel in dependents], dependents
