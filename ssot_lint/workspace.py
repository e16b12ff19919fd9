"""A warm project for editors: lint one buffer at a time against a kept index.

``Linter.run`` reads and indexes the whole project on every call, which is right for a
command-line run and far too slow for a keystroke.  A ``Workspace`` does that work once,
then keeps the sources and facts of every module under the root.  When an editor buffer
changes, only that module's facts are extracted again; the project index is rebuilt
from the kept facts (a dictionary pass, no reading and no parsing) only when those
facts actually changed, and never when an edit leaves the module's shape alone.

Open buffers override the files on disk, for this file and for every other file that
imports it, exactly as ``check --stdin-filename`` does for one buffer.  Closing a
buffer reverts the module to its contents on disk.  Nothing here imports or runs the
code being linted.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .config import ConfigError, load_config, validate_codes
from .diagnostics import Diagnostic
from .discovery import DEFAULT_EXCLUDED_DIRS, relpath_of
from .engine import FileResult, Linter, RunOptions
from .facts import ModuleFacts
from .fixes import FixOutcome
from .index import ProjectIndex
from .registry import LoadedRules
from .source import ReadError, SourceFile, read_source, source_from_text


def validate_rule_options(config, rules: LoadedRules) -> None:
    """Every ``[tool.ssot-lint.rules.<rule>]`` table names a known rule and known options."""
    from .config import _check_type, _type_word, at

    prefix = "tool.ssot-lint.rules" if (config.source or "").endswith("pyproject.toml") else "rules"
    for key, options in config.rules.items():
        rule = rules.by_code(key)
        if rule is None:
            raise ConfigError(f"{at(config.source, f'{prefix}.{key}')}: unknown rule '{prefix}.{key}'")
        for opt, value in options.items():
            spec = rule.OPTIONS.get(opt)
            full = f"{prefix}.{key}.{opt}"
            if spec is None:
                raise ConfigError(f"{at(config.source, full)}: unknown key '{full}'")
            if not _check_type(value, spec.kind):
                raise ConfigError(f"{at(config.source, full)}: '{full}' must be {_type_word(spec.kind)}")


def load_linter(
    root: Path,
    rules: LoadedRules,
    config_file: str | None = None,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    *,
    require_reason: bool = False,
    extend_select: list[str] | None = None,
    exclude: list[str] | None = None,
    extend_exclude: list[str] | None = None,
    options: RunOptions | None = None,
) -> Linter:
    """A ``Linter`` for ``root`` with its configuration; raises ``ConfigError`` (one line).

    ``exclude`` replaces the configured ``exclude``, ``extend_exclude`` adds to it."""
    config = load_config(root, config_file)
    config.require_reason = config.require_reason or require_reason
    if exclude is not None or extend_exclude:
        config.exclude = (list(exclude) if exclude is not None else list(config.exclude)) + list(extend_exclude or [])
    validate_codes(
        config,
        rules.codes,
        {"--select": select or [], "--ignore": ignore or [], "--extend-select": extend_select or []},
    )
    validate_rule_options(config, rules)
    return Linter(config, rules, select=select, ignore=ignore, extend_select=extend_select, options=options)


def buffer_source(relpath: str, abspath: str, text: str) -> SourceFile:
    """A ``SourceFile`` for an editor buffer."""
    return source_from_text(text, abspath, relpath)


class Workspace:
    """The sources, facts and index of one project root, kept between lints."""

    def __init__(self, linter: Linter, *, index_project: bool = True) -> None:
        # ``index_project=False``: a loose file outside any project; only open buffers are indexed.
        self.index_project = index_project
        self.linter = linter
        self.root: Path = linter.root
        self.sources: dict[str, SourceFile] = {}
        self.facts: dict[str, ModuleFacts] = {}
        self.read_errors: dict[str, str] = {}
        self.buffers: set[str] = set()  # relpaths whose text comes from an editor buffer
        self._index: ProjectIndex | None = None
        self.loaded = False
        # How many times the index was rebuilt (from kept facts) and the project read (from disk).
        self.index_builds = 0
        self.loads = 0

    # --- loading ------------------------------------------------------------------------
    def load(self) -> None:
        """Read and index every module under the root (once; buffers already set are kept)."""
        buffers = {rel: self.sources[rel] for rel in self.buffers if rel in self.sources}
        if self.index_project:
            _index, sources, facts, read_errors = self.linter.build_index([])
            self.sources, self.facts, self.read_errors = sources, facts, read_errors
        else:
            self.sources, self.facts, self.read_errors = {}, {}, {}
        for rel, src in buffers.items():
            self._store(rel, src)
        self._index = None
        self.loaded = True
        self.loads += 1

    def _ensure_loaded(self) -> None:
        if not self.loaded:
            self.load()

    @property
    def index(self) -> ProjectIndex:
        """The project index, rebuilt from the kept facts only after a module's facts changed."""
        self._ensure_loaded()
        if self._index is None:
            # Sorted by path, as ``Linter.build_index`` does, so duplicate modules resolve alike.
            self._index = self.linter.make_index(self.facts[rel] for rel in sorted(self.facts))
            self.index_builds += 1
        return self._index

    # --- paths ----------------------------------------------------------------------------
    def relpath(self, path: str | Path) -> str:
        return relpath_of(path, self.root)

    def contains(self, path: str | Path) -> bool:
        rel = self.relpath(path)
        return not rel.startswith("/") and not rel.startswith("../") and rel != ".."

    def is_excluded(self, relpath: str) -> bool:
        """True for a path the project run would skip: ``exclude`` globs or tool/virtualenv folders.

        Editors get no diagnostics for such files (as Ruff's ``--force-exclude``).
        """
        parts = relpath.split("/")
        for i in range(1, len(parts)):
            if parts[i - 1] in DEFAULT_EXCLUDED_DIRS:
                return True
            if self.linter.exclude.match_file("/".join(parts[:i]) + "/"):
                return True
        return self.linter.exclude.match_file(relpath)

    # --- updates ----------------------------------------------------------------------------
    def _store(self, rel: str, source: SourceFile) -> bool:
        """Keep ``source`` for ``rel``; True when the module's facts changed (the index is stale)."""
        self.sources[rel] = source
        self.read_errors.pop(rel, None)
        facts = self.linter.facts_for(source)
        old = self.facts.get(rel)
        self.facts[rel] = facts
        if old == facts:
            return False
        if facts.module or (old is not None and old.module):
            self._index = None
        return True

    def _forget(self, rel: str) -> bool:
        self.sources.pop(rel, None)
        self.read_errors.pop(rel, None)
        old = self.facts.pop(rel, None)
        if old is not None and old.module:
            self._index = None
            return True
        return old is not None

    def update_buffer(self, relpath: str, text: str) -> bool:
        """An editor buffer's text for ``relpath``; True when other modules may see a change."""
        self._ensure_loaded()
        self.buffers.add(relpath)
        current = self.sources.get(relpath)
        if current is not None and current.text == text and relpath not in self.read_errors:
            return False
        return self._store(relpath, buffer_source(relpath, str(self.root / relpath), text))

    def close_buffer(self, relpath: str) -> bool:
        """The buffer is closed: the module goes back to its contents on disk."""
        self.buffers.discard(relpath)
        if not self.loaded:
            return False
        if not self.index_project:
            return self._forget(relpath)
        return self._reload_from_disk(relpath)

    def file_changed(self, relpath: str) -> bool:
        """A file changed, appeared or disappeared on disk; open buffers keep priority."""
        if not self.loaded or relpath in self.buffers or not self.index_project:
            return False
        return self._reload_from_disk(relpath)

    def _reload_from_disk(self, relpath: str) -> bool:
        path = self.root / relpath
        # Only Python modules join the index from disk, as in a project run.
        if not relpath.endswith((".py", ".pyi")) or not path.is_file() or self.is_excluded(relpath):
            return self._forget(relpath)
        try:
            source = read_source(str(path), relpath, self.linter.config.max_file_bytes)
        except ReadError as exc:
            changed = self._forget(relpath)
            self.read_errors[relpath] = str(exc)
            return changed
        if relpath in self.sources and self.sources[relpath].text == source.text:
            return False
        return self._store(relpath, source)

    # --- linting ----------------------------------------------------------------------------
    def lint(self, relpath: str) -> FileResult:
        """Lint one module (its buffer if open, else its file) against the warm index."""
        index = self.index
        if relpath in self.read_errors:
            result = FileResult(relpath)
            if self.linter.syntax_enabled:
                result.diagnostics.append(self.linter.read_error_diagnostic(relpath, self.read_errors[relpath]))
            return result
        source = self.sources.get(relpath)
        if source is None:
            if not self._reload_from_disk(relpath) and relpath not in self.sources:
                return FileResult(relpath)
            index = self.index
            source = self.sources[relpath]
        result = self.linter.lint_source(source, self.facts[relpath], index)
        result.diagnostics.sort(key=lambda d: d.sort_key)
        return result

    def fix(self, relpath: str, unsafe: bool = False) -> FixOutcome | None:
        """Every applicable fix for one module, in rounds; None when nothing applies."""
        index = self.index
        source = self.sources.get(relpath)
        if source is None or relpath in self.read_errors:
            return None
        _result, outcome = self.linter.fix_source(source, self.facts[relpath], index, unsafe)
        return outcome

    def open_buffers(self) -> Iterable[str]:
        return sorted(self.buffers)


def fixable(diagnostics: Iterable[Diagnostic], unsafe: bool) -> list[Diagnostic]:
    return [d for d in diagnostics if d.fix is not None and (d.fix.safe or unsafe)]
