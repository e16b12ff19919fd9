"""The incremental coordinator: what changed since the last run, which files' findings
are reused, which are linted again, and what the manifest keeps.

Facts are cached by content; findings are cached with the fingerprints of the modules
(and derived project tables) they depend on, and reused while nothing they depend on
changed. The manifest's snapshot (dependency -> fingerprint) is the state every entry
is valid for; ``changed()`` is what differs from it now.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..cache import FindingsEntry, Manifest, TableMemo, digest, tool_fingerprint
from ..contract import Contract
from ..diagnostics import Diagnostic, InternalError
from ..discovery import DiscoveredFile
from ..facts import identifier_text, identifier_words, plain_word
from ..index import MEET, TABLE, WHOLE_PROJECT, meet_table, mentions
from ..project import Project
from ..session import names_from
from ..source import ReadError
from ..timings import phase

if TYPE_CHECKING:
    from ..engine import Linter

_FEW_WORDS = 16  # more: the text's identifiers as a set, rather than a search per word

# A file's findings and errors, as the run reports them.
PerFile = dict[str, tuple[list[Diagnostic], list[InternalError]]]


def tool(linter: Linter) -> str:
    """The fingerprint of ssot-lint's code and the rules' modules."""
    modules = [sys.modules[r.__module__] for r in linter.all_rules.rules if r.__module__ in sys.modules]
    return tool_fingerprint(modules)


def row_salt(linter: Linter) -> str:
    """What module rows that follow imports depend on besides the modules they read: the
    config, the rules' options and the contract (see ``Project.row_salt``)."""
    return digest(linter.config, sorted(linter.rule_options.items()), contract_key(linter.contract))


def run_key(linter: Linter) -> str:
    """What the findings of a file depend on besides its content and its dependencies."""
    return digest(
        linter.tool(),
        linter.config,
        [(r.code, r.__module__, r.__qualname__) for r in linter.enabled],
        sorted(linter.rule_options.items()),
        contract_key(linter.contract),
        linter.prefilter,
    )


def table_key(linter: Linter) -> str:
    """What a project table's value depends on besides what it reads (``@contract``
    included, when it reads the contract): the tool, the config, the rules and their
    options. Known before the contract is inferred."""
    return digest(
        linter.tool(),
        linter.config,
        [(r.code, r.__module__, r.__qualname__) for r in linter.enabled],
        sorted(linter.rule_options.items()),
        linter.prefilter,
    )


_PROVENANCE = ("source", "defined_at", "warnings", "module_path")


def contract_key(contract: Contract) -> Any:
    """The contract without provenance (``source`` = file:line): moving a factory down a few
    lines must not invalidate every cached finding. Rules do not put provenance in messages."""

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


class Plan:
    """One run's cache state: the manifest, the project over it, and the findings to keep.

    With ``use_findings`` off (no cache, or a stdin buffer), every target is linted and
    nothing is saved; facts may still be cached by content (``cache.enabled``).
    """

    def __init__(self, linter: Linter, files: dict[str, DiscoveredFile], overrides: dict[str, str], stdin: bool):
        self.linter = linter
        self.cache = cache = linter.make_cache()
        # --fix and --diff take the cached path too: cached findings say which files have
        # fixes to apply (``select_fixes``), and only those are fixed (``fix.fix_many``).
        self.use_findings = use = cache.enabled and not stdin
        with phase("cache", 1 if use else 0):
            tool = linter.tool()
            self.manifest = manifest = cache.load_manifest(tool) if use else Manifest(tool)
        self.project = Project(
            files,
            overrides,
            cache,
            linter.config.max_file_bytes,
            stats=manifest.stats if use else None,
            load_section=(lambda name: cache.load_section(tool, name)) if use else None,
            tool=tool if use else None,
        )
        if use:
            self.project.table_memo = manifest.tables
            self.project.table_key = table_key(linter)
        self.run_key = ""
        self.contract_changed = False
        self.reused: dict[str, FindingsEntry] = {}
        self.fresh: dict[str, FindingsEntry] = {}
        self._changed: frozenset[str] | None = None
        self._diffs: dict[str, frozenset[str] | None] = {}

    @property
    def cached_manifest(self) -> Manifest | None:
        """The manifest, when this run reads and writes it."""
        return self.manifest if self.use_findings else None

    def changed(self) -> frozenset[str]:
        """The dependencies whose fingerprint differs from the manifest's snapshot. Nothing
        changed when the whole project's fingerprint did not (the stat fast path makes that
        cheap) and neither did what the project tables depend on besides the files (the
        config, the rules, the tool: ``table_key``): then no other fingerprint is computed."""
        if self._changed is None:
            snapshot = self.manifest.fingerprints
            project = self.project
            if (
                snapshot.get(WHOLE_PROJECT) == project.fingerprint(WHOLE_PROJECT)
                and self.manifest.tables.key == project.table_key
            ):
                self._changed = frozenset()
            else:
                self._changed = frozenset(d for d, fp in snapshot.items() if not project.holds(d, fp))
        return self._changed

    def partition(self, targets: list[DiscoveredFile]) -> tuple[PerFile, list[str]]:
        """The targets whose findings are known (reused from the cache, or unreadable),
        and the files to lint."""
        if self.use_findings:
            self.run_key = self.linter.run_key()
            self.project.contract_fp = digest(contract_key(self.linter.contract))
        per_file: PerFile = {}
        to_lint: list[str] = []
        project = self.project
        for target in targets:
            rel = target.relpath
            if self.use_findings:
                # A cached entry exists only for a file that was readable with this content.
                entry = self.manifest.entries.get(rel)
                with phase("cache", 1):
                    valid = entry is not None and self._entry_valid(entry, rel)
                if valid:
                    assert entry is not None
                    per_file[rel] = (list(entry.diagnostics), [])
                    self.reused[rel] = entry
                    continue
            error = project.read_error(rel)
            if error is not None:
                linter = self.linter
                diags = [linter.read_error_diagnostic(rel, str(error))] if linter.syntax_enabled else []
                per_file[rel] = (diags, [])
                continue
            to_lint.append(rel)
        return per_file, to_lint

    def _entry_valid(self, entry: FindingsEntry, rel: str) -> bool:
        try:
            if entry.run_key != self.run_key or entry.content != self.project.content_hash(rel):
                return False
            return isinstance(entry.deps, frozenset) and self._deps_hold(rel, entry.deps, self.changed())
        except Exception:  # a foreign or damaged entry is never trusted
            return False

    def _deps_hold(self, rel: str, deps: frozenset[str], changed: frozenset[str]) -> bool:
        """Do the cached findings of ``rel``, which depend on ``deps``, still hold? None of
        ``deps`` changed; or those that did are ``@meet`` dependencies (the names of a table
        that the file's text spells: ``AnalysisSession.table_meet``) and the file's text
        spells none of the names their tables gained or lost."""
        if deps.isdisjoint(changed):
            return True
        words: set[str] = set()
        for dep in deps & changed:
            diff = self._meet_diff(dep) if dep.startswith(MEET + ":") else None
            if diff is None:
                return False
            words |= diff
        return not self._spells(rel, words)

    def _meet_diff(self, dep: str) -> frozenset[str] | None:
        """The names the table of a ``@meet`` dependency gained or lost since the snapshot:
        its summary kept then (``TableMemo.values``) against its value now (None: either
        is not known, or is not a list of names)."""
        if dep in self._diffs:
            return self._diffs[dep]
        project = self.project
        table = meet_table(dep)
        found: frozenset[str] | None = None
        kept = project.table_memo.values.get(table)
        session = project.index().session if project.has_index else None
        if kept is not None and session is not None and project.table_memo.key == project.table_key:
            try:
                kind, _, arg = table[len(TABLE) + 1 :].partition(":")
                now = session.table_summary(kind, arg)
                if now is not None:
                    # Copied: a symmetric difference keeps the table of its (large)
                    # operands, and each reader's ``words |= diff`` would scan all of it.
                    found = frozenset(list(names_from(json.loads(kept)) ^ names_from(now)))
            except Exception:  # damaged or foreign: the dependency changed
                found = None
        self._diffs[dep] = found
        return found

    def _spells(self, rel: str, words: set[str]) -> bool:
        """Does the text of ``rel`` spell one of ``words`` as a whole identifier, as the
        parser sees it (comments and strings count: a superset of its facts' names)?"""
        if not words:
            return False
        if all(map(plain_word, words)) and not self.project.may_spell(rel, words):
            return False  # its word signature says so: not read
        src = self.project.source(rel)
        if isinstance(src, ReadError):
            return True
        if len(words) <= _FEW_WORDS:
            return mentions(identifier_text(src.text), words)
        return not words.isdisjoint(identifier_words(src.text))

    def record(
        self, linted: dict[str, tuple[list[Diagnostic], list[InternalError], frozenset[str]]], per_file: PerFile
    ) -> None:
        """Take the findings of the files linted; keep those without errors for the cache."""
        for rel, (diags, errs, deps) in linted.items():
            per_file[rel] = (diags, errs)
            if self.use_findings and not errs:
                # Everything a derived or module dependency says is part of ``*``.
                kept_deps = frozenset((WHOLE_PROJECT,)) if WHOLE_PROJECT in deps else frozenset(deps)
                self.fresh[rel] = FindingsEntry(self.project.content_hash(rel), self.run_key, kept_deps, tuple(diags))

    def _table_memo(self, fingerprints: dict[str, str]) -> TableMemo:
        """What the next run needs to tell a table unchanged without computing it: for each
        ``@table`` dependency of the new snapshot, what computing it read
        (``AnalysisSession.inputs``) with those inputs' fingerprints, and its own
        fingerprint, under this run's table key. A table computed in this run gives a new
        entry; one that the previous entry answered for keeps it; any other has none (it
        is computed when checked)."""
        project = self.project
        session = project.index().session if project.has_index else None
        inputs = session.inputs if session is not None else {}
        old = project.table_memo
        memo = TableMemo(project.table_key)
        # A group per distinct set of inputs (thousands of tables read the same ones): its
        # inputs are fingerprinted, and scanned for tables, once.
        groups: dict[object, int] = {}
        numbered: dict[tuple[str, ...], int] = {}  # one group per distinct inputs, however reached
        # The tables the snapshot names, and the tables those read (an entry of a table
        # that only other tables read lets them be checked without computing it).
        pending = [(dep, fp) for dep, fp in fingerprints.items() if dep.startswith(TABLE + ":")]
        # A ``@meet`` dependency needs its table's entry: its fingerprint, and its summary
        # (the next run's ``_meet_diff``).
        pending += [
            (meet_table(dep), fp)
            for dep, fp in fingerprints.items()
            if dep.startswith(MEET + ":") and meet_table(dep) not in fingerprints
        ]
        seen = {dep for dep, _ in pending}
        # Nothing changed since the snapshot (same files, same table key: ``changed``'s fast
        # path, which checks no table): every entry of the previous memo still holds.
        unchanged = not self.changed() and old.key == project.table_key
        for dep, fp in pending:  # grows as it goes
            read = inputs.get(dep)
            key: object
            held = dep not in inputs and dep in old.tables and (dep in project.memo_hits or unchanged)
            if read is not None:
                key = read
            elif held:
                key = old.tables[dep][0]  # its old group: it held in this run, so unchanged
            else:
                continue
            group = groups.get(key)
            if group is None:
                if isinstance(key, int):
                    names = old.groups[key]
                    fps = {d: project.refreshed(d, old.inputs[d]) for d in names}
                else:
                    names = tuple(sorted(read or ()))
                    try:
                        fps = {d: project.fingerprint(d) for d in names}
                    except Exception:  # an input that cannot be fingerprinted: no entry
                        continue
                group = numbered.get(names)
                if group is None:
                    group = numbered[names] = len(memo.groups)
                    memo.groups.append(names)
                    memo.inputs.update(fps)
                    for d in names:
                        if d.startswith(TABLE + ":") and d not in seen:
                            seen.add(d)
                            pending.append((d, fps[d]))
                groups[key] = group
            memo.tables[dep] = (group, fp)
            # A table that held keeps its text as it was (its value is the same: not
            # written out again; Home Assistant's class hierarchy is 750 KB of JSON).
            kept = old.values.get(dep) if held else None
            if kept is None and session is not None:
                kept = session.kept_summary(dep)
            if kept is not None:
                memo.values[dep] = kept
        return memo

    def save(self, targets: list[DiscoveredFile]) -> None:
        """The findings of the files as read (a fixed file's new content is another entry)."""
        if self.use_findings:
            with phase("cache"):
                self._save_findings(targets, self.changed)

    def _save_findings(self, targets: list[DiscoveredFile], changed: Callable[[], frozenset[str]]) -> None:
        """Write the manifest when anything in it changed; keep every entry valid for the new snapshot.

        Entries of files that were not targets of this run are kept only when none of
        their dependencies changed (their findings still hold in the new snapshot).
        """
        manifest, project = self.manifest, self.project
        known = set(project.paths)
        targeted = {t.relpath for t in targets}
        entries: dict[str, FindingsEntry] = {}
        others = [(rel, e) for rel, e in manifest.entries.items() if rel in known and rel not in targeted]
        gone = changed()
        old = manifest.fingerprints
        for rel, e in others:
            if isinstance(e.deps, frozenset) and self._deps_hold(rel, e.deps, gone):
                entries[rel] = e
        entries.update(self.reused)
        entries.update(self.fresh)
        names = {WHOLE_PROJECT}
        for e in entries.values():
            names.update(e.deps)
        fingerprints = {}
        for dep in sorted(names):
            if dep in old and dep not in gone:
                # Unchanged since the snapshot. A module's or slice's fingerprint is cheap
                # and names the current content (a slice that held across an edit must
                # not be compared with the old content's facts again next time).
                fingerprints[dep] = (
                    project.refreshed(dep, old[dep]) if dep.startswith("@") else project.fingerprint(dep)
                )
                continue
            try:
                fingerprints[dep] = project.fingerprint(dep)
            except Exception:  # cannot be fingerprinted: the entries depending on it go
                entries = {rel: e for rel, e in entries.items() if dep not in e.deps}
        tables = self._table_memo(fingerprints)
        self._save_sections(known)
        stats = project.stat_records()
        dirty = (
            bool(self.fresh)
            or self.contract_changed
            or entries.keys() != manifest.entries.keys()
            or fingerprints != manifest.fingerprints
            or tables != manifest.tables
            or stats != manifest.stats
        )
        if not dirty:
            return
        manifest.entries = entries
        manifest.fingerprints = fingerprints
        manifest.tables = tables
        manifest.stats = stats
        self.cache.save_manifest(manifest)

    def _save_sections(self, known: set[str]) -> None:
        """Write the shards of the sections read in this run whose entries changed (the
        sections not read are kept as they are), and the JSON of the new module rows.
        When a file the previous run recorded is gone, every shard of what was read is
        checked (entries of removed files go); else only the shards of the entries this
        run set."""
        project = self.project
        tool = self.manifest.tool
        every = not project.old_stats.keys() <= known
        for name, old in project.section_shards.items():
            if name == "rows":
                continue  # below: shards with a header, some of them not read
            shards = project.kept_shards(name, known, every)
            for shard in sorted(set(shards) | (set(old) if every else set())):
                new = shards.get(shard, {})
                if new != old.get(shard, {}):
                    self.cache.save_section(tool, name, shard, new)
        for shard, (head, entries) in project.rows_to_save(known, every).items():
            self.cache.save_rows_shard(tool, shard, head, entries)
        if project.new_row_texts():
            # The digests of the rows read: every kept row's when every shard was read;
            # else no row text is dropped (a row not read may name it).
            named = {entry[2] for entry in project.loaded_rows().values()}
            self.cache.save_row_texts(project.new_row_texts(), named, every=project.rows_every_loaded())
