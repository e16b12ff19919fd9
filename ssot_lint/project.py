"""The files of one run: read lazily, hashed, their facts loaded from the cache or extracted.

Nothing is read or analysed before something needs it: the project index asks for
the facts of a module only when a lookup reaches it, and a textual prefilter may
decide a file without its facts at all.
"""

from __future__ import annotations

import json
import os
import stat as stat_mod
import time
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from typing import Any

# The core's rows and tables are registered (``row_for_key``) before a kept dependency names them.
from . import aliases as _aliases  # noqa: F401
from . import cache as cache_mod
from . import hierarchy as _hierarchy  # noqa: F401
from .cache import (
    SECTION_SHARDS,
    Cache,
    ImportRow,
    ModuleRows,
    RowsHead,
    RowTexts,
    StatRecord,
    Strings,
    TableMemo,
    content_hash,
    digest,
    row_digest,
    row_mix,
    section_shard,
    unpack_strings,
)
from .codec import dumps, loads
from .contract import SCREEN
from .discovery import DiscoveredFile
from .facts import ModuleFacts, extract_facts, identifier_words
from .index import MEET, ROW, ROWS, TABLE, WHOLE_PROJECT, ProjectIndex, meet_table, module_for_path
from .rows import ModuleRow, row_for_key
from .session import CONTRACT
from .slices import SLICE, dep_module, is_slice_dep, slice_digest, slice_digests
from .source import MAX_FILE_BYTES, ReadError, SourceFile, read_bytes, source_from_bytes, source_from_text
from .timings import count as count_phase
from .timings import phase
from .wordsig import may_contain, signature

UNREADABLE = "unreadable"


class LazyFacts:
    """The facts of one file, extracted (or loaded from the cache) on first attribute use."""

    __slots__ = ("_load", "_facts")

    def __init__(self, load: Callable[[], ModuleFacts]) -> None:
        self._load = load
        self._facts: ModuleFacts | None = None

    @property
    def loaded(self) -> bool:
        return self._facts is not None

    def get(self) -> ModuleFacts:
        if self._facts is None:
            self._facts = self._load()
        return self._facts

    def __getattr__(self, name: str):
        return getattr(self.get(), name)


# The digests of an empty row (a tuple or a dict), which a ``sparse`` row leaves out.
_EMPTY_ROWS = frozenset(row_digest(text) for text in ("[]", "{}"))


def _share(row: ModuleRow[Any], module: str, found: str | None) -> int:
    """A module's share of the fold's fingerprint (``row_mix``): none for a ``sparse`` row's
    empty one, or a module without one."""
    if row.sparse and (found is None or found in _EMPTY_ROWS):
        return 0
    return row_mix(module, found)


def _never_equal() -> str:
    """A fingerprint equal to no other: the dependency counts as changed."""
    return f"?{os.getpid()}:{time.monotonic_ns()}"


class Project:
    """Every Python file under the root (plus the targets), keyed by root-relative path."""

    def __init__(
        self,
        files: dict[str, DiscoveredFile],
        overrides: dict[str, str] | None,
        cache: Cache,
        max_bytes: int = MAX_FILE_BYTES,
        stats: dict[str, StatRecord] | None = None,
        load_section: Callable[[str], dict[int, dict[Any, Any]]] | None = None,
        tool: str | None = None,
    ) -> None:
        self.cache = cache
        # The stat fast path: records of the previous run, and those taken in this one.
        self.old_stats = stats if stats is not None else {}
        self.new_stats: dict[str, StatRecord] = {}
        self.restatted: set[str] = set()  # files stat'ed and read in this run
        # The cache's per-module sections (``cache.SECTIONS``: screens, import rows, module
        # rows), each read on first use (all its shards), and the shards
        # as read (a run writes those it changed).
        self._load_section = load_section
        self._sections: dict[str, dict[Any, Any]] = {}
        self.section_shards: dict[str, dict[int, dict[Any, Any]]] = {}
        # The rows section is read shard by shard (``_rows_section``): each shard's header
        # first, its entries only when a row of it is looked up or its header does not
        # answer (``_shard_aggregate``). ``tool``: the key the run's cache files are kept
        # under (None: nothing is read from the cache).
        self.tool = tool
        self._rows_files: dict[int, tuple[RowsHead | None, bytes]] | None = None
        self._rows_loaded: set[int] = set()
        self._members: dict[int, list[tuple[str, str]]] | None = None
        self._bases: dict[int, dict[str, tuple[str, str]]] = {}
        # shard -> stored row key -> (aggregate, union): the header parts that held or were
        # computed in this run (``rows_to_save`` writes them), and the shards whose parts
        # were computed from their entries (their header changes).
        self._parts: dict[int, dict[str, tuple[str, dict[str, str]]]] = {}
        self._parts_computed: set[int] = set()
        self._shard_by_rel: dict[str, int] = {}
        # stored row key -> module -> (digest of its kept row then, of its row now): the rows
        # found changed while fingerprinting ``@rows`` (``table_changes``).
        self._row_changes: dict[str, dict[str, tuple[str | None, str | None]]] = {}
        self.touched: dict[str, set[Any]] = {}  # the keys of entries set in this run
        self._row_values: dict[tuple[str, str], Any] = {}
        self._new_rows: ModuleRows = {}
        # digest -> JSON of the rows made in this run (``_new_texts``: since the last
        # ``take_new_rows``); kept rows' JSON is read from the cache when a value is needed.
        self._row_texts: RowTexts = {}
        self._new_texts: RowTexts = {}
        # What a ``reads_project`` row may depend on besides what it reads: the config, the
        # rule options and the contract (``run.plan.row_salt``), set once the contract is
        # known. Such rows are kept under ``<row key>@<salt>``; the others under ``<row key>``.
        self.row_salt = ""
        self.max_bytes = max_bytes
        self.files = files
        self.overrides = overrides or {}
        self.paths = sorted(set(files) | set(self.overrides))
        self.module_info: dict[str, tuple[str, bool]] = {}
        self.path_of_module: dict[str, str] = {}
        for rel in self.paths:
            named = module_for_path(rel)
            module, is_package = named if named is not None else ("", False)
            self.module_info[rel] = (module, is_package)
            if module:
                # A package's __init__ and a same-named .py: the first path wins, as before.
                self.path_of_module.setdefault(module, rel)
        self._sources: dict[str, SourceFile | ReadError] = {}
        self._hashes: dict[str, str] = {}
        self._facts: dict[str, ModuleFacts] = {}
        self._slice_digests: dict[tuple[str, str], dict[str, str] | None] = {}
        self._held: set[tuple[str, str]] = set()  # (dependency, fingerprint) pairs that hold
        # Files a worker read without error: their hash is known; they are read here only
        # when their text is needed.
        self._readable: set[str] = set()
        self._index: ProjectIndex | None = None
        self._whole: str | None = None
        self._fingerprints: dict[str, str] = {}
        # The previous run's project tables: what computing each read and its fingerprint
        # (``run.plan``). A table whose inputs did not change is not computed again to
        # fingerprint it. Used only under the same ``table_key`` (the tool, config, rules
        # and options: ``run.plan.table_key``).
        self.table_memo = TableMemo()
        self.table_key = ""
        # The fingerprint of the dependency ``@contract`` once the run's contract is known.
        self.contract_fp = ""
        self.memo_hits: set[str] = set()  # the memo entries that answered in this run
        self._checking: set[int] = set()
        self._groups_hold: dict[int, bool] = {}
        self.computed_facts = 0  # facts extracted (not loaded from the cache) in this process

    # --- the manifest's sections ------------------------------------------------------
    def section(self, name: str) -> dict[Any, Any]:
        """A per-module section of the cache, read on first use."""
        if name == "rows":
            return self._rows_section(None)
        found = self._sections.get(name)
        if found is None:
            shards: dict[int, dict[Any, Any]] = {}
            if self._load_section is not None:
                with phase("cache", 1):
                    shards = self._load_section(name)
            self.section_shards[name] = shards
            found = self._sections[name] = {}
            for part in shards.values():
                found.update(part)
        return found

    def _rows_file_map(self) -> dict[int, tuple[RowsHead | None, bytes]]:
        if self._rows_files is None:
            self._rows_files = {}
            if self.tool is not None and self._load_section is not None:
                with phase("cache", 1):
                    self._rows_files = self.cache.load_rows_shards(self.tool)
        return self._rows_files

    def _rows_section(self, shard: int | None) -> dict[Any, Any]:
        """The rows section with the entries of ``shard`` (None: of every shard) read."""
        found = self._sections.get("rows")
        if found is None:
            found = self._sections["rows"] = {}
            self.section_shards["rows"] = {}
        if shard is not None and shard in self._rows_loaded:
            return found
        for s in range(SECTION_SHARDS) if shard is None else (shard,):
            if s in self._rows_loaded:
                continue
            self._rows_loaded.add(s)
            data = self._rows_file_map().get(s)
            entries: dict[Any, Any] | None = None
            if data is not None and self.tool is not None:
                with phase("cache", 1):
                    entries = self.cache.rows_entries(self.tool, data[1])
            self.section_shards["rows"][s] = entries or {}
            found.update(entries or {})
        return found

    def _row_entry(self, key: tuple[str, str]) -> tuple[str, dict[str, str], str] | None:
        """The kept entry of a module row (``ModuleRows``), reading its shard only."""
        return self._rows_section(self._shard_of(key[1])).get(key)

    def _shard_of(self, rel: str) -> int:
        found = self._shard_by_rel.get(rel)
        if found is None:
            found = self._shard_by_rel[rel] = section_shard(rel)
        return found

    def _members_by_shard(self) -> dict[int, list[tuple[str, str]]]:
        """Shard -> the modules (module, rel) whose rows it keeps, in module order."""
        if self._members is None:
            members: dict[int, list[tuple[str, str]]] = {s: [] for s in range(SECTION_SHARDS)}
            for module, rel in sorted(self.path_of_module.items()):
                shard = self._shard_by_rel[rel] = section_shard(rel)
                members[shard].append((module, rel))
            self._members = members
        return self._members

    def _put(self, name: str, key: Any, entry: Any) -> None:
        section = self._rows_section(self._shard_of(key[1])) if name == "rows" else self.section(name)
        if section.get(key) != entry:
            section[key] = entry
            self.touched.setdefault(name, set()).add(key)

    @property
    def screens(self) -> dict[tuple[str, str], tuple[str, bool]]:
        return self.section("screens")

    @property
    def imports(self) -> dict[str, tuple[str, ImportRow]]:
        """rel -> (content hash, import row), see ``import_row``."""
        return self.section("imports")

    # --- sources ----------------------------------------------------------------------
    def _read(self, rel: str) -> None:
        abspath = self.files[rel].abspath if rel in self.files else rel
        if rel in self.overrides:
            # Already text (decoded once by the caller): hash it, never decode it again.
            text = self.overrides[rel]
            self._hashes[rel] = content_hash(text.encode("utf-8", "surrogatepass"))
            self._sources[rel] = source_from_text(text, abspath, rel)
            return
        else:
            before = time.time_ns()
            try:
                st = os.stat(abspath)
            except OSError:
                st = None
            self.restatted.add(rel)
            try:
                data = read_bytes(self.files[rel].abspath, self.max_bytes)
            except ReadError as exc:
                self._sources[rel] = exc
                self._hashes[rel] = UNREADABLE
                return
        chash = self._hashes[rel] = content_hash(data)
        if st is not None and stat_mod.S_ISREG(st.st_mode) and st.st_size == len(data):
            # Stat taken before the read: a later change shows as a different stat. A file
            # changed just before (within the timestamp granularity) is not recorded.
            if max(st.st_mtime_ns, st.st_ctime_ns) < before - cache_mod.RACY_NS:
                self.new_stats[rel] = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino, chash)
        try:
            self._sources[rel] = source_from_bytes(data, abspath, rel)
        except ReadError as exc:
            self._sources[rel] = exc

    def source(self, rel: str) -> SourceFile | ReadError:
        if rel not in self._sources:
            with phase("read", 1):
                self._read(rel)
        return self._sources[rel]

    def content_hash(self, rel: str) -> str:
        """The content hash of a file; from its stat record when the stat is unchanged."""
        found = self.known_hash(rel)
        if found is not None:
            return found
        with phase("read", 1):
            self._read(rel)
        return self._hashes[rel]

    def known_hash(self, rel: str) -> str | None:
        """The content hash of a file when it is known without reading it (already read,
        or its stat is unchanged since the previous run), else None."""
        found = self._hashes.get(rel)
        if found is not None:
            return found
        if rel not in self.overrides and rel in self.files:
            record = self.old_stats.get(rel)
            if record is not None:
                try:
                    st = os.stat(self.files[rel].abspath)
                except OSError:
                    st = None
                if st is not None and (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino) == record[:4]:
                    self._hashes[rel] = record[4]
                    self.new_stats[rel] = record
                    return record[4]
        return None

    def read_error(self, rel: str) -> ReadError | None:
        """Why a file cannot be read, or None; not read again when a worker read it."""
        if rel in self._readable and rel not in self._sources:
            return None
        src = self.source(rel)
        return src if isinstance(src, ReadError) else None

    def adopt(self, rel: str, found: tuple[str, StatRecord | None, ModuleFacts | None] | None) -> None:
        """Take what a worker found reading a file (``run.facts.read_and_extract``): its
        content hash, its stat record, and its facts when they were extracted (not cached).
        None: the worker could not read it; it is read (and its error reported) here."""
        if found is None:
            return
        chash, record, facts = found
        self._hashes[rel] = chash
        self.restatted.add(rel)
        if record is not None:
            self.new_stats[rel] = record
        self._readable.add(rel)
        if facts is not None:
            self._facts[rel] = facts
            self._keep_row(rel, facts)
            self.computed_facts += 1

    def stat_records(self) -> dict[str, StatRecord]:
        """Records to keep: this run's, and the previous run's for files not looked at."""
        known = set(self.files)
        out = {rel: rec for rel, rec in self.old_stats.items() if rel in known and rel not in self.restatted}
        out.update(self.new_stats)
        return out

    def screened(self, module: str, key: str) -> bool:
        """Does a module pass the textual screen ``key`` (``contract.screen_predicate``)?

        Cached by content hash, so only changed files are read. An unreadable module, or
        an unknown key, passes: a screen only ever rules modules out.
        """
        rel = self.path_of_module.get(module)
        if rel is None:
            return True
        chash = self.content_hash(rel)
        known = self.screens.get((key, rel))
        if known is not None and known[0] == chash:
            return known[1]
        from .contract import screen_predicate

        predicate = screen_predicate(key)
        facts = self.facts(rel) if predicate is not None else None
        found = True if facts is None or predicate is None else bool(predicate(facts))
        self._put("screens", (key, rel), (chash, found))
        return found

    def _passing(self, key: str) -> list[str]:
        """The modules that pass the screen ``key``, in module order: ``screened`` of each,
        answered here from the kept results of the files whose content is known (6,725
        modules for each of inference's three screens, after any edit of Home Assistant)."""
        screens, hashes = self.screens, self._hashes
        out = []
        for module, rel in self.path_of_module.items():
            known = screens.get((key, rel))
            chash = hashes.get(rel)
            if known is not None and chash is not None and known[0] == chash:
                passed = known[1]
            else:
                passed = self.screened(module, key)
            if passed:
                out.append(module)
        return out

    def may_spell(self, rel: str, words: AbstractSet[str]) -> bool:
        """Could the text of ``rel`` spell one of ``words`` (each made of word characters) as
        a whole identifier? False is certain: from the file's word signature
        (``ssot_lint.wordsig``), kept by content hash; computed from its text (and kept)
        when there is none for this content. An unreadable file may."""
        chash = self.content_hash(rel)
        known = self.section("words").get(rel)
        if known is not None and known[0] == chash:
            try:
                return may_contain(known[1], words)
            except (TypeError, ValueError):  # damaged or planted: computed below
                pass
        src = self.source(rel)
        if isinstance(src, ReadError):
            return True
        sig = signature(identifier_words(src.text))
        self._put("words", rel, (chash, sig))
        return may_contain(sig, words)

    def read_all(self) -> None:
        for rel in self.paths:
            if rel not in self._sources:
                self._read(rel)

    # --- facts ------------------------------------------------------------------------
    def facts(self, rel: str) -> ModuleFacts | None:
        """The facts of a readable file (from memory, the cache, or extracted now)."""
        found = self._facts.get(rel)
        if found is not None:
            return found
        module, is_package = self.module_info.get(rel, ("", False))
        record = self.new_stats.get(rel) if rel not in self._sources else None
        if record is not None and record[2] <= self.max_bytes:
            # Unchanged since it was read (its stat says so): cached facts of this content
            # mean it was readable then, and so it is now; the file is not read for them.
            key = self.cache.facts_key(record[4], module, rel, is_package)
            with phase("cache", 1 if self.cache.enabled else 0):
                found = self.cache.get_facts(key)
            if found is not None:
                self._facts[rel] = found
                self._keep_row(rel, found)
                return found
        if self.read_error(rel) is not None:
            return None
        key = self.cache.facts_key(self.content_hash(rel), module, rel, is_package)
        with phase("cache", 1 if self.cache.enabled else 0):
            found = self.cache.get_facts(key)
        if found is None:
            src = self.source(rel)
            if isinstance(src, ReadError):
                return None
            with phase("facts", 1):
                found = extract_facts(src.text, module, rel, is_package)
            self.computed_facts += 1
            with phase("cache", 1 if self.cache.enabled else 0):
                self.cache.put_facts(key, found)
        self._facts[rel] = found
        self._keep_row(rel, found)
        return found

    def _keep_row(self, rel: str, facts: ModuleFacts) -> None:
        """Note the import row of facts loaded anyway, so that the manifest has the rows a
        later ``--dependents`` run needs without loading any facts."""
        chash = self._hashes.get(rel)
        if chash is None or not self.cache.enabled:
            return
        if "imports" not in self._sections and self.old_stats:
            return  # not read in this warm run: a later ``import_row`` makes it from the facts
        known = self.imports.get(rel)
        if known is None or known[0] != chash:
            from .dependents import import_row

            self._put("imports", rel, (chash, import_row(facts)))

    def lazy_facts(self, rel: str) -> LazyFacts:
        module, is_package = self.module_info.get(rel, ("", False))
        return LazyFacts(lambda: self.facts(rel) or extract_facts("", module, rel, is_package))

    def import_row(self, rel: str) -> ImportRow | None:
        """``dependents.import_row`` of a readable file, cached by content hash."""
        from .dependents import import_row

        chash = self.content_hash(rel)
        known = self.imports.get(rel)
        if known is not None and known[0] == chash:
            return known[1]
        facts = self.facts(rel)
        if facts is None:
            return None
        row = import_row(facts)
        self._put("imports", rel, (chash, row))
        return row

    def _not_own(self, deps: AbstractSet[str], module: str, rel: str) -> AbstractSet[str]:
        """``deps`` without the module's own (its slices and header): an entry kept by the
        content hash of ``rel`` holds for that content only anyway."""
        if self.path_of_module.get(module) != rel:
            return deps
        return {d for d in deps if dep_module(d) != module}

    def module_row(self, row: ModuleRow[Any], module: str) -> Any:
        """``row`` of a module (None: not a module of the project, or unreadable), kept
        in the cache (``cache.SECTIONS``) while the module's content (and, for a ``reads_project`` row,
        everything it consulted) is unchanged: a table folded from rows loads the facts
        of the changed modules only."""
        rel = self.path_of_module.get(module)
        if rel is None:
            return None
        key = self._row_key(row, rel)
        found = self._row_values.get(key)
        if found is not None:
            return found
        chash = self.content_hash(rel)
        kept = self._kept_row(key, rel)
        text = None if kept is None else self._row_text_of(kept)
        if text is not None:
            try:
                found = loads(text.encode("utf-8"), row.type)
            except Exception:  # damaged or foreign
                found = None
        if found is None:
            facts = self.facts(rel)
            if facts is None:
                return None
            index = self.index()
            deps: frozenset[str] = frozenset()
            tainted = False
            if row.reads_project:
                index.start_recording()
                try:
                    found = row.make(facts, index)
                finally:
                    tainted = index.recording_tainted()
                    deps = index.stop_recording()
            else:
                found = row.make(facts, index)
            if self.cache.enabled and not tainted:
                fingerprints = {d: self.fingerprint(d) for d in sorted(self._not_own(deps, module, rel))}
                text = dumps(found, row.type).decode("ascii")
                entry = (chash, fingerprints, row_digest(text))
                self._put("rows", key, entry)
                self._new_rows[key] = entry
                self._row_texts[entry[2]] = self._new_texts[entry[2]] = text
        self._row_values[key] = found
        return found

    def _row_key(self, row: ModuleRow[Any], rel: str) -> tuple[str, str]:
        """Where ``row`` of the file ``rel`` is kept: a ``reads_project`` row under this
        run's salt (the config, options and contract it may read)."""
        return (f"{row.key}@{self.row_salt}" if row.reads_project and row.salted else row.key, rel)

    def _row_text_of(self, found: str) -> str | None:
        """The JSON of the row whose digest is ``found``: made in this run, or kept in
        the cache (None: not there, or damaged)."""
        text = self._row_texts.get(found)
        return text if text is not None else self.cache.row_text(found)

    def _kept_row(self, key: tuple[str, str], rel: str) -> str | None:
        """The digest of the kept row (of its JSON) at ``key`` while it holds: the file's
        content unchanged and, for a ``reads_project`` row, every dependency's fingerprint
        too."""
        return self._held_digest(self._row_entry(key), self._hashes.get(rel) or self.content_hash(rel))

    def _held_digest(self, known: tuple[str, dict[str, str], str] | None, chash: str) -> str | None:
        """The digest of a kept row entry while it holds for content ``chash`` (and, with
        dependencies, while each of them holds), else None."""
        if known is None or known[0] != chash:
            return None
        if not known[1]:
            return known[2]
        try:
            if self.all_hold(known[1]):
                return known[2]
        except Exception:  # a dependency that cannot be checked now
            pass
        return None

    def _memo_holds(self, dep: str) -> bool:
        """Does the previous run's entry for the table ``dep`` still hold (same table key,
        every input's fingerprint unchanged)?"""
        memo = self.table_memo
        found = memo.tables.get(dep)
        if found is None or not self.table_key or memo.key != self.table_key:
            return False
        return self._group_holds(found[0])

    def stored_table(self, dep: str) -> Any:
        """The summary the previous run kept for the project table ``dep`` (decoded JSON, not
        trusted: ``ProjectTable.restore`` checks it), when its entry holds; else None."""
        text = self.table_memo.values.get(dep)
        if text is None or not self._memo_holds(dep):
            return None
        try:
            found = json.loads(text)
        except ValueError:
            return None
        self._fingerprints.setdefault(dep, self.table_memo.tables[dep][1])
        self.memo_hits.add(dep)
        return found

    def table_changes(self, dep: str) -> tuple[Any, dict[str, list[tuple[str, Any, Any]]], frozenset[str]] | None:
        """For the project table ``dep`` whose previous entry no longer holds: its summary
        then (decoded JSON, not trusted), the module rows that changed since, and what
        computing it read; when every input that changed is a fold of rows (``@rows``) whose
        changes this run found, and they account exactly for the change of its fingerprint
        (the XOR of each changed row's ``row_mix`` then and now). Else None: compute it."""
        memo = self.table_memo
        found = memo.tables.get(dep)
        text = memo.values.get(dep)
        if found is None or text is None or not self.table_key or memo.key != self.table_key:
            return None
        if not 0 <= found[0] < len(memo.groups):
            return None
        names = memo.groups[found[0]]
        changes: dict[str, list[tuple[str, Any, Any]]] = {}
        for d in names:
            fp = memo.inputs.get(d, "")
            if self.holds(d, fp):
                continue
            if not d.startswith(ROWS + ":"):
                return None
            key = d[len(ROWS) + 1 :]
            rows = self._verified_changes(key, fp)
            if rows is None:
                return None
            changes[key] = rows
        if not changes:
            return None
        try:
            return json.loads(text), changes, frozenset(names)
        except ValueError:
            return None

    def _verified_changes(self, key: str, before: str) -> list[tuple[str, Any, Any]] | None:
        """The rows of ``key`` that changed since its fingerprint was ``before`` (module, row
        then, row now), when the changes found in this run account for it exactly."""
        row = row_for_key(key)
        if row is None:
            return None
        try:
            diff = int(before, 16) ^ int(self.fingerprint(f"{ROWS}:{key}"), 16)
        except ValueError:  # never equal, or not a fingerprint of rows
            return None
        found = self._row_changes.get(self._row_key(row, "")[0], {})
        mixed = 0
        for module, (then, now) in found.items():
            mixed ^= _share(row, module, then) ^ _share(row, module, now)
        if mixed != diff:
            return None
        out: list[tuple[str, Any, Any]] = []
        for module, (then, now) in sorted(found.items()):
            old = None
            if then is not None:
                text = self._row_text_of(then)
                if text is None:
                    return None
                try:
                    old = loads(text.encode("utf-8"), row.type)
                except Exception:  # damaged or foreign
                    return None
            out.append((module, old, self.module_row(row, module) if now is not None else None))
        return out

    def _group_holds(self, group: int) -> bool:
        """Are the inputs of a group of tables unchanged? Checked once per run; groups that
        read each other's tables are checked once each: a group met again while it is being
        checked does not hold."""
        known = self._groups_hold.get(group)
        if known is not None:
            return known
        memo = self.table_memo
        if not 0 <= group < len(memo.groups) or group in self._checking:
            return False
        names = memo.groups[group]
        if not self.contract_fp and CONTRACT in names:
            return False  # not yet: checked again once the contract is known
        self._checking.add(group)
        try:
            holds = all(self.holds(d, memo.inputs.get(d, "")) for d in names)
        finally:
            self._checking.discard(group)
        self._groups_hold[group] = holds
        return holds

    def _row_fingerprint(self, key: str, module: str) -> str:
        """``@row:<key>:<module>``: the module's row of ``key`` (a row of its own facts), as
        ``<rel>:<content hash>:<digest of its JSON>``: the kept digest while the module is
        unchanged (not decoded), else computed. A row is a function of its module's content,
        so ``holds`` answers from the path and content hash alone while they are the same
        (``_row_holds``), and from the digest after an edit."""
        row = row_for_key(key)
        if row is None or row.reads_project:
            return _never_equal()
        rel = self.path_of_module.get(module)
        if rel is None:
            return "-"
        found = self._row_digest(row, module, rel)
        return f"{rel}:{self.content_hash(rel)}:{'-' if found is None else found}"

    def _row_holds(self, dep: str, fp: str) -> bool:
        """``holds`` for ``@row:<key>:<module>`` (see ``_row_fingerprint``)."""
        key, _, module = dep[len(ROW) + 1 :].rpartition(":")
        row = row_for_key(key)
        rel = self.path_of_module.get(module)
        old_basis, _, old_digest = fp.rpartition(":")
        if row is not None and not row.reads_project and rel is not None:
            if old_basis == f"{rel}:{self.content_hash(rel)}":
                return True  # the same content: the same row, not looked up
        now = self.fingerprint(dep)
        if now == fp:
            return True
        basis, _, found = now.rpartition(":")
        return bool(old_basis) and basis.rpartition(":")[0] == old_basis.rpartition(":")[0] and found == old_digest

    def _row_digest(self, row: ModuleRow[Any], module: str, rel: str) -> str | None:
        """The digest of the module's row (of its JSON): the kept one while it holds (the
        row is not read), else computed (None: the module cannot be read)."""
        where = self._row_key(row, rel)
        found = self._kept_row(where, rel)
        if found is None:
            value = self.module_row(row, module)
            found = self._kept_row(where, rel)
            if found is None and value is not None:  # no cache, or not kept (a cycle)
                found = row_digest(dumps(value, row.type).decode("ascii"))
        return found

    def _rows_fingerprint(self, key: str) -> str:
        """``@rows:<key>``: every module's row of ``key``, as the XOR of their ``row_mix``
        (hex), shard by shard (``_shard_aggregate``). A ``reads_project`` row is checked
        against what it read, under this run's salt. When the row is not known in this
        process, a value that equals no other (the dependency changed)."""
        row = row_for_key(key)
        if row is None:
            return _never_equal()
        stored = self._row_key(row, "")[0]
        total = 0
        for shard, members in self._members_by_shard().items():
            if members:
                total ^= self._shard_aggregate(row, stored, shard, members)
        return f"{total:032x}"

    def _basis(self, shard: int, members: list[tuple[str, str]]) -> dict[str, tuple[str, str]]:
        """The shard's modules now: rel -> (module, content hash)."""
        found = self._bases.get(shard)
        if found is None:
            hashes = self._hashes
            found = self._bases[shard] = {
                rel: (module, hashes.get(rel) or self.content_hash(rel)) for module, rel in members
            }
        return found

    def _shard_aggregate(self, row: ModuleRow[Any], stored: str, shard: int, members: list[tuple[str, str]]) -> int:
        """The XOR of ``row_mix`` over the shard's modules' rows of ``row`` (kept under
        ``stored``). Its header answers while the shard's modules are those it was written
        for, with the same contents, and (a ``reads_project`` row) everything those rows
        read holds: the shard's entries are then not read. Else each row is checked as
        ``_kept_row`` does (and computed when it does not hold), and the result becomes the
        header's part for the next run."""
        basis = self._basis(shard, members)
        found = self._rows_file_map().get(shard)
        head = found[0] if found is not None else None
        if head is not None and head[1] == basis:
            part = head[2].get(stored)
            if part is not None:
                try:
                    answer = int(part[0], 16)
                    read = unpack_strings(head[0], part[1])
                    if not read or self.all_hold(read):
                        self._parts.setdefault(shard, {})[stored] = (part[0], read)
                        return answer
                except Exception:  # a damaged or planted part: computed below
                    pass
        kept = self._rows_section(shard)
        held_digest = self._held_digest
        aggregate = 0
        union: dict[str, str] = {}
        keep = self.cache.enabled
        for module, rel in members:
            known = kept.get((stored, rel))
            digest_of = held_digest(known, basis[rel][1])
            if digest_of is None:
                before = known[2] if known is not None else None
                digest_of = self._row_digest(row, module, rel)
                if before != digest_of:
                    self._row_changes.setdefault(stored, {})[module] = (before, digest_of)
                known = kept.get((stored, rel))
                if digest_of is not None and (known is None or known[2] != digest_of):
                    keep = False  # a row not kept (a cycle, or no cache): no part
            if known is not None and known[1]:
                union.update(known[1])
            aggregate ^= _share(row, module, digest_of)
        if keep:
            self._parts.setdefault(shard, {})[stored] = (f"{aggregate:032x}", union)
            self._parts_computed.add(shard)
        return aggregate

    def rows_to_save(self, known: set[str], every: bool) -> dict[int, tuple[RowsHead, dict[Any, Any]]]:
        """The rows shards to write: those whose entries this run set (``every``: all, when
        a file the previous run recorded is gone) or whose header parts it computed, each
        with its header (the parts that held or were computed in this run, for the shard's
        modules now) and its entries to keep."""
        if "rows" not in self._sections:
            return {}
        shards = {self._shard_of(k[1]) for k in self.touched.get("rows", ())} | self._parts_computed
        if every:
            shards |= set(range(SECTION_SHARDS))
        for shard in shards:
            self._rows_section(shard)
        by_shard: dict[int, dict[Any, Any]] = {shard: {} for shard in shards}
        for k, v in self._sections["rows"].items():
            mine = by_shard.get(self._shard_of(k[1]))
            if mine is not None:
                mine[k] = v
        out: dict[int, tuple[RowsHead, dict[Any, Any]]] = {}
        members = self._members_by_shard()
        files = self._rows_file_map()
        for shard in sorted(shards):
            kept = self._kept_entries("rows", by_shard[shard], known)
            strings = Strings()
            parts = {
                key: (aggregate, strings.pack(union)) for key, (aggregate, union) in self._parts.get(shard, {}).items()
            }
            head: RowsHead = (strings.table, self._basis(shard, members.get(shard, [])), parts)
            old = files.get(shard)
            if old is not None and old[0] == head and self.section_shards["rows"].get(shard) == kept:
                continue  # as kept
            out[shard] = (head, kept)
        return out

    def loaded_rows(self) -> ModuleRows:
        """The rows entries read (or set) in this run, without reading any more."""
        return self._sections.get("rows", {})

    def rows_every_loaded(self) -> bool:
        """Are the entries of every rows shard read (``new_row_texts`` can tell which row
        texts no kept row names)?"""
        return len(self._rows_loaded) == SECTION_SHARDS

    @property
    def facts_in_memory(self) -> int:
        """How many modules' facts this process loaded or extracted."""
        return len(self._facts)

    def take_new_rows(self) -> tuple[ModuleRows, RowTexts]:
        """The module rows computed since the last call, with their JSON (a worker sends
        them to the main process, which keeps them in the cache: ``adopt_rows``)."""
        rows, self._new_rows = self._new_rows, {}
        texts, self._new_texts = self._new_texts, {}
        return rows, texts

    def adopt_rows(self, taken: tuple[ModuleRows, RowTexts]) -> None:
        rows, texts = taken
        self._row_texts.update(texts)
        for key, entry in rows.items():
            self._put("rows", key, entry)

    def new_row_texts(self) -> RowTexts:
        """The JSON of the rows made (or received) in this run, by digest."""
        return self._row_texts

    def kept_shards(self, name: str, known: set[str], every: bool) -> dict[int, dict[Any, Any]]:
        """The shards of a section read in this run that may have changed (``every``: all
        of them; else those of the entries set in this run), with the entries to keep."""
        entries = self._sections[name]
        if every:
            kept = self._kept_entries(name, entries, known)
        else:
            old = self.section_shards[name]
            shards = {section_shard(k) for k in self.touched.get(name, ())}
            keys = {k for shard in shards for k in old.get(shard, ())} | self.touched.get(name, set())
            kept = self._kept_entries(name, {k: entries[k] for k in keys if k in entries}, known)
        out: dict[int, dict[Any, Any]] = {} if every else {shard: {} for shard in shards}
        for key, entry in kept.items():
            out.setdefault(section_shard(key), {})[key] = entry
        return out

    def _kept_entries(self, name: str, entries: dict[Any, Any], known: set[str]) -> dict[Any, Any]:
        """Of ``entries``, those of files that still exist, and, for module rows that
        depend on the config and contract, of this run's salt (when this run set one)."""
        if name != "rows":
            return {k: v for k, v in entries.items() if (k[-1] if isinstance(k, tuple) else k) in known}
        salt = f"@{self.row_salt}"
        return {
            k: v
            for k, v in entries.items()
            if k[1] in known and ("@" not in k[0] or not self.row_salt or k[0].endswith(salt))
        }

    @property
    def has_index(self) -> bool:
        return self._index is not None

    def index(self) -> ProjectIndex:
        if self._index is None:
            count_phase("index", len(self.path_of_module))
            self._index = ProjectIndex(
                names=list(self.path_of_module),
                loader=lambda m: self.facts(self.path_of_module[m]) if m in self.path_of_module else None,
                module_row=self.module_row,
                stored_table=self.stored_table,
                table_changes=self.table_changes,
            )
        return self._index

    # --- dependency fingerprints ------------------------------------------------------
    def fingerprint(self, dep: str) -> str:
        """The current fingerprint of a dependency recorded while linting some file.

        A module is fingerprinted by its path and content hash (its facts are a function
        of both); a namespace package or a missing module by that status; ``*`` by every
        file of the project; ``@...`` (derived project facts) by their current value.
        """
        if dep == WHOLE_PROJECT:
            if self._whole is None:
                self._whole = digest([(rel, self.content_hash(rel)) for rel in self.paths])
            return self._whole
        if dep.startswith(MEET + ":"):
            # The table's own: the reader's own words decide the rest (``run.plan``).
            return self.fingerprint(meet_table(dep))
        if dep.startswith("@"):
            found = self._fingerprints.get(dep)
            if found is None and dep.startswith(SCREEN + ":"):
                key = dep[len(SCREEN) + 1 :]
                found = self._fingerprints[dep] = digest(self._passing(key))
            if found is None and dep == CONTRACT:
                # Unknown before the contract is: equal to nothing then.
                return self.contract_fp or _never_equal()
            if found is None and dep.startswith(ROWS + ":"):
                key = dep[len(ROWS) + 1 :]
                row = row_for_key(key)
                if row is not None and row.reads_project and row.salted and not self.row_salt:
                    return _never_equal()  # before the contract is known: not kept
                found = self._fingerprints[dep] = self._rows_fingerprint(key)
            if found is None and dep.startswith(ROW + ":"):
                key, _, module = dep[len(ROW) + 1 :].rpartition(":")
                found = self._fingerprints[dep] = self._row_fingerprint(key, module)
            if found is None and dep.startswith(TABLE + ":") and self._memo_holds(dep):
                found = self._fingerprints[dep] = self.table_memo.tables[dep][1]
                self.memo_hits.add(dep)
            if found is None:
                value = self.index().derived_fingerprint(dep)
                found = self._fingerprints[dep] = "?" if value is None else digest(value)
            return found
        found = self._fingerprints.get(dep)
        if found is None:
            module, sliced, _ = dep.partition(SLICE)
            if sliced:  # a slice of a module: as the module (``holds`` tells more)
                found = self.fingerprint(module)
            else:
                rel = self.path_of_module.get(module)
                if rel is not None:
                    found = f"{rel}:{self.content_hash(rel)}"
                else:
                    found = "package" if module in self.index().packages else "-"
            self._fingerprints[dep] = found
        return found

    def refreshed(self, dep: str, fp: str) -> str:
        """The fingerprint to keep for a dependency that held at ``fp``: for a module row
        (``@row``), the one computed in this run, if any (it names the current content,
        so the next run answers from it without looking the row up); else ``fp``."""
        if dep.startswith(ROW + ":"):
            return self._fingerprints.get(dep, fp)
        return fp

    def all_hold(self, fingerprints: dict[str, str]) -> bool:
        """Does every dependency of ``fingerprints`` (dependency -> fingerprint) hold? Most
        are already fingerprinted in this run and equal: a subset test of the items, in C;
        the others one by one (``holds``)."""
        known = self._fingerprints
        if fingerprints.items() <= known.items():
            return True
        for dep, fp in fingerprints.items():
            now = known.get(dep)
            if now is None and SLICE in dep and not dep.startswith("@"):
                now = self.fingerprint(dep)  # a slice: as its module, cached
            if now != fp and not self.holds(dep, fp):
                return False
        return True

    def holds(self, dep: str, fp: str) -> bool:
        """Is the dependency ``dep`` still as it was when fingerprinted ``fp``? Its
        fingerprint is the same; or, for a name slice of a module whose content changed
        (``ssot_lint.slices``), the slice is the same in the facts of both contents (those
        of the old content are read from the cache: not there, it changed).

        Asked tens of thousands of times per run (every kept row's and table's inputs): a
        dependency whose fingerprint is known is answered from it first. Fingerprints, once
        computed, hold for the run, so a pair found equal is kept too."""
        if self._fingerprints.get(dep) == fp or (dep, fp) in self._held:
            return True
        if dep.startswith(ROW + ":"):
            try:
                held = self._row_holds(dep, fp)
            except Exception:  # cannot be checked now: treated as changed
                return False
            if held:
                self._held.add((dep, fp))
            return held
        try:
            now = self.fingerprint(dep)
        except Exception:  # cannot be computed now: treated as changed
            return False
        if now == fp:
            self._held.add((dep, fp))
            return True
        if not is_slice_dep(dep):
            return False
        old_rel, _, old_hash = fp.rpartition(":")
        rel, _, new_hash = now.rpartition(":")
        if not rel or old_rel != rel:
            return False
        old = self._slices(rel, old_hash)
        if old is None:
            return False
        new = self._slices(rel, new_hash)
        key = dep.partition(SLICE)[2]
        if new is None or slice_digest(old, key) != slice_digest(new, key):
            return False
        self._held.add((dep, fp))
        return True

    def _slices(self, rel: str, chash: str) -> dict[str, str] | None:
        """``slice_digests`` of the facts of ``rel`` with content ``chash`` (the current
        content's, or a previous one's kept in the cache), or None."""
        key = (rel, chash)
        if key in self._slice_digests:
            return self._slice_digests[key]
        found: ModuleFacts | None = None
        try:
            if chash == self.content_hash(rel):
                found = self.facts(rel)
            elif self.cache.enabled:
                module, is_package = self.module_info.get(rel, ("", False))
                with phase("cache", 1):
                    found = self.cache.get_facts(self.cache.facts_key(chash, module, rel, is_package))
        except Exception:  # unreadable now, or damaged: changed
            found = None
        digests = self._slice_digests[key] = None if found is None else slice_digests(found)
        return digests
