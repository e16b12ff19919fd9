"""The unchanged run: when nothing changed since the last full check, its findings are the answer.

A run that read or verified the stat of every file of the project keeps a stamp
(``Cache.save_last_run``): a digest of everything its findings depend on, and the findings.
That is the tool, the config, the rules and their options, the reference contract, the
targets and the run options that change results (``_settings``), and every file's stat
record (mtime, ctime, size, inode) as the run read or verified it. The next run stats every
file without reading it; when the digest is the same, it reports the kept findings: no
manifest, no facts, no index. Any edit, added or removed file, or changed setting gives
another digest, and the incremental run (``run.plan``), which replaces the stamp.

The stat records are trusted as the findings cache trusts them (``ssot_lint.cache``): a file
changed within the timestamp granularity of its read has no record, and then no stamp is
kept. Fixing (``--fix``, ``--diff``) and stdin buffers never take this path.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..cache import LastRun, digest
from ..diagnostics import Diagnostic
from ..discovery import DiscoveredFile
from ..source import ReadError, read_bytes, source_from_bytes
from ..timings import phase
from .plan import PerFile, contract_key, table_key

if TYPE_CHECKING:
    from ..engine import Linter, RunResult
    from ..project import Project


def _settings(linter: Linter, targets: list[DiscoveredFile]) -> str:
    """What the findings depend on besides the files' content."""
    return digest(
        table_key(linter),
        contract_key(linter.base_contract),
        linter.options.dependents,
        [(t.relpath, t.explicit) for t in targets],
    )


def _stamp(settings: str, records: Iterable[tuple[str, tuple[int, int, int, int]]]) -> str:
    return digest(settings, sorted(records))


def replay(linter: Linter, targets: list[DiscoveredFile], files: dict[str, DiscoveredFile]) -> RunResult | None:
    """The result of the last full check when nothing it depends on changed, else None."""
    from ..engine import RunResult

    cache = linter.make_cache()
    if not cache.enabled:
        return None
    found = cache.load_last_run(linter.tool())
    if found is None:
        return None
    records = []
    for rel, f in files.items():
        try:
            st = os.stat(f.abspath)
        except OSError:
            return None
        records.append((rel, (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)))
    if _stamp(_settings(linter, targets), records) != found.key:
        return None
    diagnostics: list[Diagnostic] = []
    sources: dict[str, str] = {}
    for rel, diags in found.findings.items():
        where = files.get(rel)
        if where is None:
            return None
        try:
            with phase("read", 1):  # for its code frame
                data = read_bytes(where.abspath, linter.config.max_file_bytes)
                sources[rel] = source_from_bytes(data, where.abspath, rel).text
        except ReadError:  # (its finding says why: reported without a code frame, as always)
            pass
        diagnostics.extend(diags)
    diagnostics.sort(key=lambda d: d.sort_key)
    linted = [t.relpath for t in targets] + list(found.dependents)  # as ``add_dependents`` orders them
    count = len(linted)
    linter.stats = {"files": count, "cached": count, "linted": 0, "facts": 0, "facts_loaded": 0}
    linter.stats.update({"contract_inferred": 0, "fixable": 0, "unchanged": 1})
    return RunResult(linter.root, linted, diagnostics, [], [], sources, list(found.dependents))


def keep(
    linter: Linter,
    project: Project,
    given: list[DiscoveredFile],
    targets: list[DiscoveredFile],
    per_file: PerFile,
    dependents: list[str],
) -> None:
    """Keep the stamp of this run (of the targets ``given``; ``targets`` adds their
    ``dependents``) when every file's stat was read or verified in it and no file had an
    error; else drop the stamp (it no longer describes the last run)."""
    cache = project.cache
    if not cache.enabled:
        return
    records = project.new_stats
    complete = all(rel in records for rel in project.files) and not any(errs for _, errs in per_file.values())
    if not complete:
        cache.drop_last_run()
        return
    key = _stamp(_settings(linter, given), ((rel, records[rel][:4]) for rel in project.files))
    findings = {t.relpath: tuple(per_file[t.relpath][0]) for t in targets if per_file.get(t.relpath, ([], []))[0]}
    cache.save_last_run(linter.tool(), LastRun(key, findings, tuple(dependents)))


__all__ = ["LastRun", "keep", "replay"]
