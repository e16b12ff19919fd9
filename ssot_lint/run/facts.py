"""The facts phase: each module's ``ast`` facts, and the project index over them.

In a run (``Linter.run``), the files whose content is not known from the previous run
(all of them on a cold cache, or with ``--no-cache``) are read, hashed, parsed and
their facts extracted in worker processes (``extract_in_parallel``). A worker writes
each module's facts to the cache itself and hands back the content hash, the stat
record and the facts (``read_and_extract``). Everything else is loaded lazily through
``Project`` (cached by content).

The eager path the language server, ``lint_texts`` and ``ssot-lint contract`` use is
here too: read every module, extract its facts, index them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .. import workers
from ..cache import StatRecord
from ..codec import dumps
from ..discovery import DiscoveredFile
from ..facts import ModuleFacts, extract_facts
from ..index import ProjectIndex, module_for_path
from ..project import Project
from ..source import ReadError, SourceFile, read_source, source_from_text
from ..timings import PARALLEL, phase
from .contract import infer_eagerly

if TYPE_CHECKING:
    from ..engine import Linter


def module_of(relpath: str) -> tuple[str, bool]:
    """The dotted module name of a root-relative path, and whether it is a package."""
    named = module_for_path(relpath)
    return named if named is not None else ("", False)


def facts_for(source: SourceFile) -> ModuleFacts:
    module, is_package = module_of(source.path)
    return extract_facts(source.text, module, source.path, is_package)


def build_index(
    linter: Linter, targets: list[DiscoveredFile], overrides: dict[str, str] | None = None
) -> tuple[ProjectIndex, dict[str, SourceFile], dict[str, ModuleFacts], dict[str, str]]:
    """Read and index every module under the root plus the targets.

    Returns the index, the sources and facts by path, and read errors by path.
    """
    overrides = overrides or {}
    files = {f.relpath: f for f in linter.discover([str(linter.root)])}
    for f in targets:
        files.setdefault(f.relpath, f)
    sources: dict[str, SourceFile] = {}
    facts: dict[str, ModuleFacts] = {}
    read_errors: dict[str, str] = {}
    for rel in sorted(set(files) | set(overrides)):
        try:
            if rel in overrides:
                src = source_from_text(overrides[rel], str(linter.root / rel), rel)
            else:
                src = read_source(files[rel].abspath, rel, linter.config.max_file_bytes)
        except ReadError as exc:
            read_errors[rel] = str(exc)
            continue
        sources[rel] = src
        facts[rel] = linter.facts_for(src)
    return linter.make_index(facts.values()), sources, facts, read_errors


def make_index(linter: Linter, facts: Iterable[ModuleFacts]) -> ProjectIndex:
    """The project index over these facts, and the contract inferred from it."""
    index = ProjectIndex(fa for fa in facts if fa.module)
    infer_eagerly(linter, index)
    return index


def extract_in_parallel(linter: Linter, project: Project) -> int:
    """Read and extract, in worker processes, the files whose content hash is not known
    without reading them (nothing on a warm run); returns how many were sent.

    With one job, too few such files, or no ``fork``, nothing is done here: facts are
    extracted lazily in this process, as lookups need them."""
    jobs = linter.jobs or os.cpu_count() or 1
    if jobs <= 1:
        return 0
    todo = [rel for rel in project.paths if rel not in project.overrides and project.known_hash(rel) is None]
    if len(todo) < workers.MIN_PARALLEL_FILES or not workers.can_fork():
        return 0

    with phase(PARALLEL):
        workers.lint_in_workers(
            linter,
            project,
            todo,
            jobs,
            lambda n: None,
            work=lambda rel: read_and_extract(project, rel),
            failed=None,
            on_result=project.adopt,
        )
    return len(todo)


def read_and_extract(project: Project, rel: str) -> tuple[str, StatRecord | None, ModuleFacts | None] | None:
    """In a worker: read and hash a file; unless the cache has its facts, extract them and
    write them to the cache. Returns (content hash, stat record, the facts or None when
    cached), or None when the file cannot be read (or anything fails: the main process
    then does it all again, and reports what fails).

    The facts go back to the main process as objects, pickled by the pool over the pipe
    between the processes of this run, as every worker result is: that is not the cache,
    and nothing read from the project's folder is unpickled. Unpickling is done in C, where
    decoding the cache's JSON against the declared types took the main process four times
    as long (its serial part of a cold run). With ``--no-cache`` nothing is encoded."""
    try:
        if project.read_error(rel) is not None:
            return None
        chash = project.content_hash(rel)
        record = project.new_stats.get(rel)
        module, is_package = project.module_info.get(rel, ("", False))
        cache = project.cache
        key = cache.facts_key(chash, module, rel, is_package)
        with phase("cache", 1 if cache.enabled else 0):
            if cache.has_facts(key):
                return chash, record, None
        src = project.source(rel)
        assert isinstance(src, SourceFile)
        with phase("facts", 1):
            facts = extract_facts(src.text, module, rel, is_package)
        if cache.enabled:
            with phase("cache", 1):
                cache.put_packed_facts(key, dumps(facts, ModuleFacts))
        return chash, record, facts
    except Exception:
        return None
