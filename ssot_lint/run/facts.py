"""The facts phase: each module's ``ast`` facts, and the project index over them.

A full run (``Linter.run``) loads facts lazily through ``Project`` (cached by content);
this module holds the eager path the language server, ``lint_texts`` and
``ssot-lint contract`` use: read every module, extract its facts, index them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..discovery import DiscoveredFile
from ..facts import ModuleFacts, extract_facts
from ..index import ProjectIndex, module_for_path
from ..source import ReadError, SourceFile, read_source, source_from_text
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
