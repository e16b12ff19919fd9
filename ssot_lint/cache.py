"""The on-disk cache: per-file facts by content hash, and findings with their dependencies.

Layout of ``<root>/.ssot_lint_cache/`` (``cache-dir`` in the config):

- ``facts/<ab>/<key>.json``: the ``ModuleFacts`` of one file. The key hashes the file's
  content, its module name and path, the tool version and a fingerprint of the facts
  schema (the source of ``ssot_lint/facts.py``), so a new facts field invalidates
  every old entry by itself.
- ``findings.json``: for each linted path, the content hash, the run key (tool,
  config, enabled rules, contract), the names of the dependencies recorded while the
  file was linted (module names; ``*`` for the whole project; ``@...`` for derived
  project facts) and the findings; one table of the fingerprint of every dependency
  when the manifest was written (the snapshot: every entry is valid for it); and the
  ``stat`` of every file with its content hash. A cached entry is used only when its
  content and run key match and none of its dependencies changed since the snapshot.
- ``findings-delta.json``: what changed in the manifest since ``findings.json`` was written
  (``ManifestDelta``), for that file only.
- ``sections/<name>/<nn>.json``: per-module data (screens, word signatures, import rows,
  module rows; ``SECTIONS``), in 16 shards by path: read on first use, and only the shards
  a run changed are written again.
- ``row-texts/<ab>.json``: the JSON of module rows, by digest (``Cache.row_text``).
- ``last-run.json``: the stamp of the last full check (``run.unchanged``).
- ``dependents.json``: the importers of recent pre-commit runs' files (``DependentsMemo``).
- ``reference/``: the facts of the reference package's modules, by content.

The stat fast path: a file whose (mtime_ns, ctime_ns, size, inode) equal the recorded
ones is not read; its recorded content hash is used (as Ruff and mypy do). Any change of
these re-reads and re-hashes it. Writing a file changes its ctime, which no user tool can
set back, so an edit that keeps the size and restores the mtime is still seen. A stat
taken within ``RACY_NS`` of the file's last change is not recorded ("racily clean", as
git calls it): a second edit within the file system's timestamp granularity would
otherwise go unnoticed.

Every write is atomic (a temporary file renamed into place). Anything unreadable,
truncated, of another format or another tool version is ignored and rebuilt.

The cache is data, never code: entries are JSON decoded against the declared types
(``codec``), since anyone who can commit to a repository can plant a cache file in
it. Loading a hostile entry builds nothing but strings, numbers and our own
dataclasses, fails validation, and is rebuilt. The pickle files of older versions
(``findings.pickle``, ``facts/**/*.pickle``) are never read, and are deleted the
first time the cache is written.

Why JSON: measured by ``benchmarks/cache_formats.py /work/real-corpus/django --runs 5``
(Django 5.2.19, 885 modules; medians; one file per module as the cache writes them):

    data      format    write ms   read ms        bytes
    facts     pickle         554       264    7,231,949   (runs code on load: rejected)
    facts     json          1210       915   11,432,639   (the choice)
    facts     marshal       3599      1577    8,473,273   (can build code objects)
    facts     sqlite         992      1049   11,898,880   (JSON rows in one table)
    manifest  pickle          61        44    1,363,151
    manifest  json            67       100    1,459,819
    manifest  marshal        110        91    1,365,583
    manifest  sqlite         155        98    1,470,464

JSON reads at about a third of pickle's speed (the type checks are the cost; reading
the manifest alone is 33 ms against 18 ms for ``json.loads`` on a quiet moment), and a
warm run reads the manifest and almost no facts. marshal is no faster once its
output is checked the same way, and SQLite only adds a container around the same JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from . import __version__
from .codec import CodecError, decoder, dumps
from .contract import Contract
from .diagnostics import Diagnostic
from .facts import ModuleFacts
from .fixes import write_bytes_atomic

FORMAT = 9  # 9: the alias edges and the class hierarchy module rows (no "edges", "class-rows" sections); 8: the manifest's snapshot, the alias edges and import rows by index, rows shards with a header; 7: rows and class rows with their strings once per shard; 6: sections, sharded, in files of their own; 5: table values kept; 4: the manifest's dependencies by index; 3: JSON (codec); 2 and before: pickle
# A file changed less than this long before it was stat'ed is re-read next time.
RACY_NS = 2_000_000_000
_MAGIC = "ssot-lint-cache"
_GITIGNORE = "# Created by ssot-lint automatically.\n*\n"
_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# ssot-lint cache (https://bford.info/cachedir/)\n"


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def digest(*parts: Any) -> str:
    h = hashlib.blake2b(digest_size=16)
    for p in parts:
        h.update(repr(p).encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def _file_digest(path: str | None) -> str:
    if not path:
        return ""
    try:
        with open(path, "rb") as fh:
            return content_hash(fh.read())
    except OSError:
        return ""


def _schema_of(cls: object) -> list[str]:
    return [f"{f.name}:{f.type}" for f in fields(cls)] if is_dataclass(cls) else []


def facts_schema() -> str:
    """Changes whenever the facts module (its dataclasses or its extraction) or the
    installed rules' fact collectors (name, version, type) change."""
    from . import facts as facts_mod

    shapes = [(name, _schema_of(obj)) for name, obj in sorted(vars(facts_mod).items()) if is_dataclass(obj)]
    return digest(_file_digest(facts_mod.__file__), shapes, sys.version_info[:2], facts_mod.collectors_key())


def source_files(modules: Iterable[Any] = ()) -> list[str]:
    """Every ``.py`` file of the installed ssot_lint package (subpackages included) and of
    the packages the given (rule) modules belong to: a rule's helpers (``rules/_awaits.py``)
    change its findings as much as the rule's own module. Found by globbing, so a new
    module is covered without being listed."""
    dirs = {Path(__file__).resolve().parent}
    files: set[str] = set()
    for m in modules:
        path = getattr(m, "__file__", None)
        if not path:
            continue
        files.add(str(Path(path).resolve()))
        if getattr(m, "__package__", None):  # in a package: its helper modules too
            dirs.add(Path(path).resolve().parent)
    for d in dirs:
        files.update(str(p) for p in d.rglob("*.py"))
    return sorted(files)


def tool_fingerprint(modules: Iterable[Any] = ()) -> str:
    """Tool version, Python version, and the source of ssot-lint and of the given (rule)
    modules' packages (``source_files``).

    Hashing the sources keeps a cache honest while ssot-lint or a rule pack is being
    developed from a checkout, where the version number does not change.
    """
    files = source_files(modules)
    return digest(__version__, sys.version_info[:3], facts_schema(), [(f, _file_digest(f)) for f in files])


@dataclass
class FindingsEntry:
    content: str  # content hash of the file
    run_key: str
    deps: frozenset[str]  # the dependencies recorded while linting (fingerprints: ``Manifest.fingerprints``)
    diagnostics: tuple[Diagnostic, ...]


# (row key, rel) -> (content hash, dependency fingerprints, ``row_digest`` of the row's
# JSON), see ``Project.module_row``; the JSON itself is kept by digest (``Cache.row_text``).
ModuleRows = dict[tuple[str, str], tuple[str, dict[str, str], str]]
# ``row_digest`` -> the row's JSON.
RowTexts = dict[str, str]


def row_digest(text: str) -> str:
    """The digest a module row's JSON is kept and fingerprinted by."""
    return content_hash(text.encode("utf-8", "surrogatepass"))


# (mtime_ns, ctime_ns, size, inode, content hash) of a file when it was last read.
StatRecord = tuple[int, int, int, int, str]

# What ``dependents.importers`` needs of a module (``dependents.import_row``): its star
# imports (target, at module level), its import bindings (local, kind, target, name, at
# module level), its module-level aliases (local, target) and classes (name, bases).
ImportRow = tuple[
    list[tuple[str, bool]],
    list[tuple[str, str, str, str, bool]],
    list[tuple[str, str]],
    list[tuple[str, list[str]]],
]


@dataclass
class TableMemo:
    """The project tables of a run, for the next one to check cached findings without
    computing them (``Project.table_memo``). Tables that read the same things (every
    SSOT007 table of a module reads the whole duplicate table) share one group."""

    key: str = ""  # the table key of the run that wrote it (``run.plan.table_key``)
    tables: dict[str, tuple[int, str]] = field(default_factory=dict)  # ``@table`` dep -> (group, fingerprint)
    groups: list[tuple[str, ...]] = field(default_factory=list)  # each group's inputs (dependency names)
    inputs: dict[str, str] = field(default_factory=dict)  # input dependency -> its fingerprint then
    # ``@table`` dep -> its summary as JSON, for a table that can be rebuilt from it
    # (``ProjectTable.restore``): a later run reads it instead of computing the table.
    values: dict[str, str] = field(default_factory=dict)


# Per-module data kept in files of their own, apart from the manifest: ``sections/<name>/<nn>.json``,
# each holding the entries of the files whose path falls in shard ``nn`` (``section_shard``).
# A section is read on first use (all its shards), and a run writes only the shards whose
# entries it changed: an edit of one module writes one shard of each section it touched,
# not the whole section. Every entry names the content hash it holds for (and, for class
# rows and ``reads_project`` module rows, the fingerprints of what it read) and is checked
# where it is used, so the sections need no consistency with the manifest or each other:
# a shard that is missing, damaged, or written by a concurrent run is only a miss.
SECTION_SHARDS = 16


@dataclass(frozen=True)
class Section:
    """The type of a section's entries in memory, and of one shard as stored."""

    entries: Any
    stored: Any
    pack: Callable[[dict[Any, Any]], Any] = lambda entries: entries
    unpack: Callable[[Any], dict[Any, Any]] = lambda stored: stored


def _nest(entries: dict[tuple[str, str], Any]) -> dict[str, dict[str, Any]]:
    """(key, rel) -> entry as key -> rel -> entry (each key written once, not per file)."""
    out: dict[str, dict[str, Any]] = {}
    for (key, rel), entry in entries.items():
        out.setdefault(key, {})[rel] = entry
    return out


def _flatten(nested: dict[str, dict[str, Any]]) -> dict[tuple[str, str], Any]:
    return {(key, rel): entry for key, by_rel in nested.items() for rel, entry in by_rel.items()}


class Strings:
    """A shard's table of strings: the dependency names and fingerprints of its entries,
    each stored once (a module's fingerprint is shared by every name slice of it that
    hundreds of rows read; stored in each, Home Assistant's rows section took 26 MB)."""

    def __init__(self, table: list[str] | None = None) -> None:
        self.table: list[str] = [] if table is None else table
        self._at: dict[str, int] = {}

    def index(self, text: str) -> int:
        i = self._at.get(text)
        if i is None:
            i = self._at[text] = len(self.table)
            self.table.append(text)
        return i

    def pack(self, deps: dict[str, str]) -> list[int]:
        """``deps`` (dependency -> fingerprint) as a flat list of indices, pair by pair."""
        return [self.index(text) for pair in deps.items() for text in pair]

    def check(self, flat: list[int]) -> None:
        """ValueError when an index of ``flat`` is out of range (a damaged or hostile shard)."""
        if flat and not 0 <= min(flat) <= max(flat) < len(self.table):
            raise ValueError("a string index out of range")

    def unpack(self, flat: list[int]) -> dict[str, str]:
        """The dependencies of ``pack``'s list; ValueError for an odd list or an index out
        of range."""
        if len(flat) % 2:
            raise ValueError("a dependency without its fingerprint")
        self.check(flat)
        table = self.table
        return {table[flat[i]]: table[flat[i + 1]] for i in range(0, len(flat), 2)}


def unpack_strings(table: list[str], flat: list[int]) -> dict[str, str]:
    """``Strings.unpack`` over a table read back (ValueError: an index out of range)."""
    return Strings(table).unpack(flat)


_ROW_ENTRY = tuple[str, dict[str, str], str]


def _pack_rows(entries: dict[tuple[str, str], _ROW_ENTRY]) -> tuple[list[str], dict[str, list[list[int]]]]:
    """Each file's rows as lists of indices into the shard's strings: the row key, the
    content hash and the row's digest, then the dependency pairs (a file's rows share its
    content hash, and the rows of many files have the same digest: an empty row's)."""
    strings = Strings()
    out: dict[str, list[list[int]]] = {}
    for (key, rel), (chash, deps, found) in entries.items():
        head = [strings.index(key), strings.index(chash), strings.index(found)]
        out.setdefault(rel, []).append(head + strings.pack(deps))
    return strings.table, out


def _unpack_rows(stored: tuple[list[str], dict[str, list[list[int]]]]) -> dict[tuple[str, str], _ROW_ENTRY]:
    table, by_rel = stored
    size = len(table)
    at = table.__getitem__
    out: dict[tuple[str, str], _ROW_ENTRY] = {}
    for rel, rows in by_rel.items():  # the hot loop of a warm run's first table check: flat
        for flat in rows:
            n = len(flat)
            if n == 3:  # most rows: no dependencies (one shared empty dict, never written to)
                key, chash, found = flat
                if not (0 <= key < size and 0 <= chash < size and 0 <= found < size):
                    raise ValueError("a string index out of range")
                out[table[key], rel] = (table[chash], _NO_DEPS, table[found])
                continue
            if n < 3 or not n % 2 or not 0 <= min(flat) <= max(flat) < size:
                raise ValueError("a row without its key, content hash and digest, or an index out of range")
            deps = dict(zip(map(at, flat[3::2]), map(at, flat[4::2])))
            out[table[flat[0]], rel] = (table[flat[1]], deps, table[flat[2]])
    return out


# The dependencies of a row that has none, as read back (entries are never changed in place).
_NO_DEPS: dict[str, str] = {}


_IMPORTS = tuple[str, ImportRow]


def _pack_imports(entries: dict[str, _IMPORTS]) -> tuple[list[str], dict[str, list[int]]]:
    """Each file's import row as one list of ints: its strings by index into the shard's
    table, each list of the row preceded by its length, flags as 0/1: the content hash,
    then the star imports (target, top), the bindings (local, kind, target, name, top), the
    aliases (local, target) and the classes (name, bases)."""
    strings = Strings()
    at = strings.index
    out: dict[str, list[int]] = {}
    for rel, (chash, (stars, binds, aliases, classes)) in entries.items():
        flat = [at(chash), len(stars)]
        for target, top in stars:
            flat += (at(target), int(top))
        flat.append(len(binds))
        for local, kind, target, name, top in binds:
            flat += (at(local), at(kind), at(target), at(name), int(top))
        flat.append(len(aliases))
        for local, target in aliases:
            flat += (at(local), at(target))
        flat.append(len(classes))
        for name, bases in classes:
            flat += (at(name), len(bases), *map(at, bases))
        out[rel] = flat
    return strings.table, out


def _unpack_imports(stored: tuple[list[str], dict[str, list[int]]]) -> dict[str, _IMPORTS]:
    """ValueError for a list that is not what ``_pack_imports`` makes (damaged or planted)."""
    table, by_rel = stored
    out: dict[str, _IMPORTS] = {}
    for rel, flat in by_rel.items():
        if flat and min(flat) < 0:
            raise ValueError("a negative index")
        try:
            it = iter(flat)
            take = it.__next__
            chash = table[take()]
            stars = [(table[take()], bool(take())) for _ in range(take())]
            binds = [(table[take()], table[take()], table[take()], table[take()], bool(take())) for _ in range(take())]
            aliases = [(table[take()], table[take()]) for _ in range(take())]
            classes = [(table[take()], [table[take()] for _ in range(take())]) for _ in range(take())]
        except (IndexError, StopIteration):
            raise ValueError("an import row cut short, or an index out of range") from None
        if next(it, None) is not None:
            raise ValueError("an import row too long")
        out[rel] = (chash, (stars, binds, aliases, classes))
    return out


# The header of a rows shard: (strings of the unions, basis, parts). The basis is every
# module of the shard when the header was written (rel -> (module, content hash)); each
# part (stored row key -> (aggregate, union)) is the XOR of ``row_mix`` over those modules'
# rows of that key (hex), and the union of those rows' dependencies (index pairs into the
# strings). A part holds while the shard's modules are the basis and the union holds.
RowsHead = tuple[list[str], dict[str, tuple[str, str]], dict[str, tuple[str, list[int]]]]


def row_mix(module: str, found: str | None) -> int:
    """A module's share of a row key's aggregate: its row's digest (``-``: none), mixed
    with its name. The aggregate is the XOR of the shares: a shard's, and the project's
    (of its shards'), so an unchanged shard's is reused as it is."""
    h = hashlib.blake2b(f"{module}\0{'-' if found is None else found}".encode("utf-8", "surrogatepass"), digest_size=16)
    return int.from_bytes(h.digest(), "big")


SECTIONS: dict[str, Section] = {
    # (screen key, rel) -> (content hash, passes the screen), see ``Project.screened``.
    "screens": Section(
        dict[tuple[str, str], tuple[str, bool]], dict[str, dict[str, tuple[str, bool]]], _nest, _flatten
    ),
    # rel -> (content hash, word signature), see ``Project.may_spell``.
    "words": Section(dict[str, tuple[str, str]], dict[str, tuple[str, str]]),
    # rel -> (content hash, import row), see ``Project.import_row`` (``--dependents``),
    # stored as lists of ints (``_pack_imports``).
    "imports": Section(dict[str, _IMPORTS], tuple[list[str], dict[str, list[int]]], _pack_imports, _unpack_imports),
    # The module rows (``ModuleRows``), see ``Project.module_row``; their JSON is kept by
    # digest (``Cache.row_text``).
    "rows": Section(
        dict[tuple[str, str], _ROW_ENTRY], tuple[list[str], dict[str, list[list[int]]]], _pack_rows, _unpack_rows
    ),
}


def section_shard(key: str | tuple[str, str]) -> int:
    """The shard of a section entry: by the path of its file (the last part of its key)."""
    rel = key if isinstance(key, str) else key[-1]
    return zlib.crc32(rel.encode("utf-8", "surrogatepass")) % SECTION_SHARDS


@dataclass
class Manifest:
    tool: str
    entries: dict[str, FindingsEntry] = field(default_factory=dict)
    # The snapshot: dependency -> fingerprint when the manifest was written; every entry
    # is valid for it. ``*`` (the whole project) is always there.
    fingerprints: dict[str, str] = field(default_factory=dict)
    # (key, fingerprints of what it read, contract, fingerprint of the whole project): the
    # contract with what inference found, see ``run.contract.contract_for``.
    contract: tuple[str, dict[str, str], Contract, str] | None = None
    # rel -> stat record, for the stat fast path (see ``Project.content_hash``).
    stats: dict[str, StatRecord] = field(default_factory=dict)
    # What the project tables read and gave, see ``Project.table_memo``.
    tables: TableMemo = field(default_factory=lambda: TableMemo())


@dataclass
class StoredEntry:
    """A ``FindingsEntry`` as stored: its dependencies by index into ``StoredManifest.names``."""

    content: str
    run_key: str
    deps: tuple[int, ...]
    diagnostics: tuple[Diagnostic, ...]


@dataclass
class StoredManifest:
    """The manifest as stored: each dependency name once, the entries by index (hundreds of
    entries name the same modules and rows: stored as text in each, Home Assistant's
    manifest took 82 MB)."""

    manifest: Manifest  # without its entries and fingerprints
    names: tuple[str, ...]  # every dependency of an entry or of the snapshot, sorted
    entries: dict[str, StoredEntry]
    # The snapshot (``Manifest.fingerprints``) as one index per name into ``values``, -1
    # for a name without one: a module's fingerprint is shared by its name slices, and the
    # names are not written twice (Home Assistant's snapshot took 3.4 MB as an object).
    values: tuple[str, ...] = ()
    fingerprints: tuple[int, ...] = ()
    # ``TableMemo.tables`` as (name index, group, value index) triples, flat: one entry per
    # table a finding read (two per module for SSOT007 and the test code).
    tables: tuple[int, ...] = ()
    # ``TableMemo.values`` as (name index, value index) pairs, flat: most are the same few
    # texts (``[]``: a module's SSOT007 entries), stored once.
    table_values: tuple[int, ...] = ()
    # Names this file among the manifests written (``ManifestDelta.base``).
    token: str = ""


@dataclass
class ManifestDelta:
    """What changed in the manifest since its base file (``findings.json``) was written.

    A run that changed a few entries (an edit) writes this small file instead of the whole
    manifest (Home Assistant's is 6.8 MB, 0.11 s to write), until the changes grow past a
    share of the manifest (``_COMPACT_SHARE``): then the whole manifest is written again,
    and this file goes. It holds for the base whose ``token`` it names, only: a delta of
    another base (a concurrent run wrote one) is a miss, and the base alone is an older
    manifest, valid as it is. In the dicts, ``None`` is a removal; the parts kept whole are
    the base's when ``None`` (and the contract unless ``new_contract``)."""

    base: str
    entries: dict[str, FindingsEntry | None]
    fingerprints: dict[str, str | None]
    stats: dict[str, StatRecord | None]
    new_contract: bool
    contract: tuple[str, dict[str, str], Contract, str] | None
    memo_key: str
    memo_tables: dict[str, tuple[int, str] | None]
    memo_groups: list[tuple[str, ...]] | None
    memo_inputs: dict[str, str] | None
    memo_values: dict[str, str | None]
    # A table value (JSON text) that changed a little from the base's, as an edit of it:
    # (length of the prefix kept, length of the suffix kept, the text between). A name
    # table of Home Assistant that gains a `def` is 560 KB; its edit is the new name.
    memo_edits: dict[str, tuple[int, int, str]]


# The manifest is written whole again once its delta names more than this share of its
# entries, snapshot, stat records and table entries.
_COMPACT_SHARE = 0.1


def _changes(base: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``new`` as changes of ``base`` (None: removed). Values are hashable: set operations
    on the items, in C, for the 25,000 names of a snapshot."""
    out: dict[str, Any] = dict(new.items() - base.items())
    for key in base.keys() - new.keys():
        out[key] = None
    return out


def _applied(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def manifest_delta(base: Manifest, token: str, new: Manifest) -> ManifestDelta | None:
    """The changes from ``base`` to ``new``, or None when they are too many to be worth a
    delta (``_COMPACT_SHARE``)."""
    entries: dict[str, FindingsEntry | None] = {
        rel: e for rel, e in new.entries.items() if (before := base.entries.get(rel)) is not e and before != e
    }
    entries.update(dict.fromkeys(base.entries.keys() - new.entries.keys()))
    memo, old = new.tables, base.tables
    new_contract = new.contract is not base.contract and new.contract != base.contract
    same_groups = memo.groups == old.groups
    if same_groups:
        memo_tables = _changes(old.tables, memo.tables)
    else:  # numbered again: an entry changed only if its group's inputs or its fingerprint did
        was, now = _by_inputs(old), _by_inputs(memo)
        memo_tables = {dep: memo.tables[dep] for dep in _changes(was, now) if dep in memo.tables}
        memo_tables.update(dict.fromkeys(old.tables.keys() - memo.tables.keys()))
    delta = ManifestDelta(
        token,
        entries,
        _changes(base.fingerprints, new.fingerprints),
        _changes(base.stats, new.stats),
        new_contract,
        new.contract if new_contract else None,
        memo.key,
        memo_tables,
        None if same_groups else memo.groups,
        None if memo.inputs == old.inputs else memo.inputs,
        *_value_changes(old.values, memo.values),
    )
    size = len(new.entries) + len(new.fingerprints) + len(new.stats) + len(new.tables.tables)
    changed = len(delta.entries) + len(delta.fingerprints) + len(delta.stats) + len(delta.memo_tables)
    return delta if changed <= _COMPACT_SHARE * size else None


def _value_changes(
    base: dict[str, str], new: dict[str, str]
) -> tuple[dict[str, str | None], dict[str, tuple[int, int, str]]]:
    """The table values that changed from ``base`` to ``new``: whole (or None: removed),
    and as edits of the base's text where that is much smaller (``ManifestDelta.memo_edits``)."""
    whole: dict[str, str | None] = _changes(base, new)
    edits: dict[str, tuple[int, int, str]] = {}
    for key, text in list(whole.items()):
        before = base.get(key)
        if text is None or before is None or len(text) < 1024:
            continue
        head = _common(before, text, lambda a, k: a[:k])
        tail = _common(before[head:], text[head:], lambda a, k: a[len(a) - k :])
        middle = text[head : len(text) - tail]
        if len(middle) * 4 < len(text):
            edits[key] = (head, tail, middle)
            del whole[key]
    return whole, edits


def _common(a: str, b: str, part: Callable[[str, int], str]) -> int:
    """The length of the longest ``part`` (a prefix, or a suffix) that ``a`` and ``b``
    share: a binary search of slice comparisons, in C."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if part(a, mid) == part(b, mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def _edited(
    base: dict[str, str], whole: dict[str, str | None], edits: dict[str, tuple[int, int, str]]
) -> dict[str, str]:
    """``base`` with a delta's table values applied. An edit that does not fit its base
    text (damaged, or of another base) leaves the value out: the table is computed again."""
    out = _applied(base, whole)
    for key, (head, tail, middle) in edits.items():
        before = base.get(key)
        if before is not None and 0 <= head and 0 <= tail and head + tail <= len(before):
            out[key] = before[:head] + middle + before[len(before) - tail :]
        else:
            out.pop(key, None)
    return out


def _by_inputs(memo: TableMemo) -> dict[str, tuple[tuple[str, ...] | None, str]]:
    """``memo.tables`` with each group named by its inputs rather than by its number."""
    groups = memo.groups
    return {dep: (groups[g] if 0 <= g < len(groups) else None, fp) for dep, (g, fp) in memo.tables.items()}


def with_delta(base: Manifest, delta: ManifestDelta) -> Manifest:
    """``base`` with ``delta`` applied (new dicts: ``base`` is left as it is)."""
    old = base.tables
    kept = old.tables
    if delta.memo_groups is not None:  # the base's entries, in the delta's numbering of groups
        number = {names: i for i, names in enumerate(delta.memo_groups)}
        kept = {}
        for dep, (group, fp) in old.tables.items():
            found = number.get(old.groups[group]) if 0 <= group < len(old.groups) else None
            if found is not None:
                kept[dep] = (found, fp)
    memo = TableMemo(
        delta.memo_key,
        _applied(kept, delta.memo_tables),
        list(old.groups if delta.memo_groups is None else delta.memo_groups),
        dict(old.inputs if delta.memo_inputs is None else delta.memo_inputs),
        _edited(old.values, delta.memo_values, delta.memo_edits),
    )
    return Manifest(
        base.tool,
        _applied(base.entries, delta.entries),
        _applied(base.fingerprints, delta.fingerprints),
        delta.contract if delta.new_contract else base.contract,
        _applied(base.stats, delta.stats),
        memo,
    )


def stored_manifest(manifest: Manifest, token: str = "") -> StoredManifest:
    memo = manifest.tables
    names = sorted(
        {d for e in manifest.entries.values() for d in e.deps}
        | manifest.fingerprints.keys()
        | memo.tables.keys()
        | memo.values.keys()
    )
    at = {n: i for i, n in enumerate(names)}
    entries = {
        rel: StoredEntry(e.content, e.run_key, tuple(sorted(at[d] for d in e.deps)), e.diagnostics)
        for rel, e in manifest.entries.items()
    }
    values = Strings()
    fps = manifest.fingerprints
    fingerprints = tuple(values.index(fps[n]) if n in fps else -1 for n in names)
    tables = tuple(n for dep, (group, fp) in memo.tables.items() for n in (at[dep], group, values.index(fp)))
    texts = tuple(n for dep, text in memo.values.items() for n in (at[dep], values.index(text)))
    return StoredManifest(
        replace(manifest, entries={}, fingerprints={}, tables=replace(memo, tables={}, values={})),
        tuple(names),
        entries,
        tuple(values.table),
        fingerprints,
        tables,
        texts,
        token,
    )


def loaded_manifest(stored: StoredManifest) -> Manifest:
    """The manifest of ``stored``; ValueError when an index names no dependency or value."""
    names = stored.names
    count = len(names)
    entries = {}
    for rel, e in stored.entries.items():
        if any(not 0 <= i < count for i in e.deps):
            raise ValueError(f"{rel}: a dependency index out of range")
        entries[rel] = FindingsEntry(e.content, e.run_key, frozenset([names[i] for i in e.deps]), e.diagnostics)
    fps, values = stored.fingerprints, stored.values
    if len(fps) != count or (fps and not -1 <= min(fps) <= max(fps) < len(values)):
        raise ValueError("a fingerprint index out of range")
    fingerprints = {name: values[i] for name, i in zip(names, fps) if i >= 0}
    flat = stored.tables
    if (
        len(flat) % 3
        or any(not 0 <= i < count for i in flat[0::3])
        or any(not 0 <= i < len(values) for i in flat[2::3])
    ):
        raise ValueError("a table index out of range")
    tables = {names[flat[i]]: (flat[i + 1], values[flat[i + 2]]) for i in range(0, len(flat), 3)}
    pairs = stored.table_values
    if (
        len(pairs) % 2
        or any(not 0 <= i < count for i in pairs[0::2])
        or any(not 0 <= i < len(values) for i in pairs[1::2])
    ):
        raise ValueError("a table value index out of range")
    texts = {names[pairs[i]]: values[pairs[i + 1]] for i in range(0, len(pairs), 2)}
    memo = replace(stored.manifest.tables, tables=tables, values={**stored.manifest.tables.values, **texts})
    return replace(stored.manifest, entries=entries, fingerprints=fingerprints, tables=memo)


@dataclass
class DependentsMemo:
    """The importers of recent runs' module sets (``dependents.importers``), for one state
    of the project: each file's content hash and the digest of its import row then. A later
    run whose files differ from that only in contents with the same import rows reads them
    back, but for sets whose answer read the text of a changed file (``dependents.json``)."""

    layout: str  # the digest of every file's module name (``dependents._layout``)
    basis: dict[str, tuple[str, str]]
    # (modules, their importers, the files whose text the answer read), the latest first.
    sets: list[tuple[list[str], list[str], list[str]]]


@dataclass
class LastRun:
    """The stamp of the last full check, and its findings (``run.unchanged``)."""

    key: str
    findings: dict[str, tuple[Diagnostic, ...]]  # the targets that have findings
    dependents: tuple[str, ...]


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(str(path), data, mode=0o644)


class Cache:
    """Reads and writes the cache directory; every failure just means "not cached"."""

    def __init__(self, directory: Path, enabled: bool = True) -> None:
        self.dir = directory
        self.enabled = enabled
        self._schema = facts_schema() if enabled else ""
        self._prepared = False
        self._row_shards: dict[str, RowTexts] = {}  # ``row-texts`` files read or written
        # The manifest file as last read or written by this process (its token, and its
        # content without the delta): what the next ``save_manifest`` writes a delta of.
        self._base: tuple[str, Manifest] | None = None

    # --- setup ------------------------------------------------------------------------
    def _prepare(self) -> bool:
        if self._prepared:
            return True
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            gi = self.dir / ".gitignore"
            if not gi.exists():
                _atomic_write(gi, _GITIGNORE.encode())
            tag = self.dir / "CACHEDIR.TAG"
            if not tag.exists():
                _atomic_write(tag, _TAG.encode())
            _remove_pickles(self.dir)
            (self.dir / "rows.json").unlink(missing_ok=True)  # format 5's rows, now a section
            _remove_sections(self.dir / "sections", ("edges", "class-rows"))  # format 8's, now module rows
        except OSError:
            self.enabled = False
            return False
        self._prepared = True
        return True

    # --- facts ------------------------------------------------------------------------
    def facts_key(self, chash: str, module: str, path: str, is_package: bool) -> str:
        return digest(chash, module, path, is_package, __version__, self._schema)

    def _facts_path(self, key: str, folder: str = "facts") -> Path:
        return self.dir / folder / key[:2] / f"{key}.json"

    def get_facts(self, key: str, folder: str = "facts") -> ModuleFacts | None:
        """The facts kept under ``key`` (``folder``: "reference" for the reference package's
        modules, kept apart from the project's)."""
        if not self.enabled:
            return None
        return _load(self._facts_path(key, folder), key, ModuleFacts, intern=True)

    def put_facts(self, key: str, facts: ModuleFacts, folder: str = "facts") -> None:
        if not self.enabled or not self._prepare():
            return
        _store(self._facts_path(key, folder), key, facts)

    def has_facts(self, key: str) -> bool:
        """Is there an entry for ``key`` (not read: it may still turn out damaged)?"""
        return self.enabled and self._facts_path(key).is_file()

    def put_packed_facts(self, key: str, packed: bytes) -> None:
        """``put_facts`` of facts already encoded (``codec.dumps``): written as they are."""
        if not self.enabled or not self._prepare():
            return
        try:
            head = json.dumps([_MAGIC, FORMAT, key], separators=(",", ":")).encode()
            _atomic_write(self._facts_path(key), head[:-1] + b"," + packed + b"]")
        except OSError:
            pass

    # --- findings ---------------------------------------------------------------------
    @property
    def _manifest_path(self) -> Path:
        return self.dir / "findings.json"

    def load_dependents(self, tool: str) -> DependentsMemo | None:
        if not self.enabled:
            return None
        return _load(self.dir / "dependents.json", f"{tool}:dependents", DependentsMemo)

    def save_dependents(self, tool: str, memo: DependentsMemo) -> None:
        if self.enabled and self._prepare():
            _store(self.dir / "dependents.json", f"{tool}:dependents", memo)

    @property
    def _delta_path(self) -> Path:
        return self.dir / "findings-delta.json"

    def load_manifest(self, tool: str) -> Manifest:
        """The manifest kept for ``tool``: its file, with its delta applied when the delta
        is of that file (``ManifestDelta``)."""
        self._base = None
        if not self.enabled:
            return Manifest(tool)
        found = _load(self._manifest_path, tool, StoredManifest)
        if found is None or found.manifest.tool != tool:
            return Manifest(tool)
        try:
            base = loaded_manifest(found)
        except ValueError:  # a damaged or hostile file: a miss
            return Manifest(tool)
        if not found.token:
            return base
        # (kept as read: the run replaces the parts of the one it is given, never these)
        self._base = (found.token, base)
        delta = _load(self._delta_path, f"{tool}:delta", ManifestDelta)
        if delta is None or delta.base != found.token:
            return replace(base)  # none, damaged, or of another base: the base alone holds
        return with_delta(base, delta)

    def save_manifest(self, manifest: Manifest) -> None:
        """Keep ``manifest``: as a delta of the file this process read or wrote when the
        changes are few (``manifest_delta``), else whole (and the delta goes)."""
        if not self.enabled or not self._prepare():
            return
        base = self._base
        if base is not None and base[1].tool == manifest.tool:
            delta = manifest_delta(base[1], base[0], manifest)
            if delta is not None:
                _store(self._delta_path, f"{manifest.tool}:delta", delta)
                return
        token = os.urandom(8).hex()
        _store(self._manifest_path, manifest.tool, stored_manifest(manifest, token))
        try:
            self._delta_path.unlink(missing_ok=True)
        except OSError:
            pass
        snapshot = replace(
            manifest,
            entries=dict(manifest.entries),
            fingerprints=dict(manifest.fingerprints),
            stats=dict(manifest.stats),
            tables=replace(manifest.tables, tables=dict(manifest.tables.tables), values=dict(manifest.tables.values)),
        )
        self._base = (token, snapshot)

    # --- sections (``SECTIONS``) --------------------------------------------------------
    def _section_path(self, name: str, shard: int) -> Path:
        return self.dir / "sections" / name / f"{shard:02d}.json"

    def load_section(self, tool: str, name: str) -> dict[int, dict[Any, Any]]:
        """Each shard of the section ``name`` that is kept for ``tool``: a missing,
        damaged or foreign shard is left out (a miss)."""
        section = SECTIONS[name]
        out: dict[int, dict[Any, Any]] = {}
        if not self.enabled:
            return out
        if name == "rows":  # shards with a header line (``load_rows_shards``)
            for shard, (_, data) in self.load_rows_shards(tool).items():
                entries = self.rows_entries(tool, data)
                if entries is not None:
                    out[shard] = entries
            return out
        for shard in range(SECTION_SHARDS):
            found = _load(self._section_path(name, shard), f"{tool}:{name}", section.stored)
            if found is not None:
                try:
                    out[shard] = section.unpack(found)
                except (TypeError, ValueError):
                    pass
        return out

    def save_section(self, tool: str, name: str, shard: int, entries: dict[Any, Any]) -> None:
        if not self.enabled or not self._prepare():
            return
        path = self._section_path(name, shard)
        if entries:
            _store(path, f"{tool}:{name}", SECTIONS[name].pack(entries))
        else:
            path.unlink(missing_ok=True)

    # --- the rows section, shard by shard, with a header --------------------------------
    # A rows shard is two JSON lines: its header (``RowsHead``), then its entries. A run
    # that can answer from the headers (``Project``'s aggregate of each row key) never
    # decodes the entries: their line is kept as bytes and decoded when first needed.
    def load_rows_shards(self, tool: str) -> dict[int, tuple[RowsHead | None, bytes]]:
        """Each rows shard kept for ``tool``: its header (None: damaged, foreign or absent)
        and the bytes of its entries' line (``rows_entries``)."""
        out: dict[int, tuple[RowsHead | None, bytes]] = {}
        if not self.enabled:
            return out
        for shard in range(SECTION_SHARDS):
            try:
                data = self._section_path("rows", shard).read_bytes()
            except OSError:
                continue
            first, _, rest = data.partition(b"\n")
            out[shard] = (_decoded(first, f"{tool}:rows-head", RowsHead), rest)
        return out

    def rows_entries(self, tool: str, data: bytes) -> dict[Any, Any] | None:
        """The entries of a rows shard's second line (None: damaged or foreign)."""
        section = SECTIONS["rows"]
        found = _decoded(data, f"{tool}:rows", section.stored)
        if found is None:
            return None
        try:
            return section.unpack(found)
        except (TypeError, ValueError):
            return None

    def save_rows_shard(self, tool: str, shard: int, head: RowsHead | None, entries: dict[Any, Any]) -> None:
        if not self.enabled or not self._prepare():
            return
        path = self._section_path("rows", shard)
        if not entries:
            path.unlink(missing_ok=True)
            return
        try:
            first = dumps([_MAGIC, FORMAT, f"{tool}:rows-head", head])
            rest = dumps([_MAGIC, FORMAT, f"{tool}:rows", SECTIONS["rows"].pack(entries)])
            _atomic_write(path, first + b"\n" + rest)
        except (OSError, CodecError, RecursionError, ValueError):
            pass

    # --- the last full check (``run.unchanged``) ------------------------------------------
    @property
    def _last_run_path(self) -> Path:
        return self.dir / "last-run.json"

    def load_last_run(self, tool: str) -> LastRun | None:
        if not self.enabled:
            return None
        found = _load(self._last_run_path, tool, LastRun)
        return found if isinstance(found, LastRun) else None

    def save_last_run(self, tool: str, last: LastRun) -> None:
        if not self.enabled or not self._prepare():
            return
        _store(self._last_run_path, tool, last)

    def drop_last_run(self) -> None:
        try:
            self._last_run_path.unlink()
        except OSError:
            pass

    # --- the JSON of module rows --------------------------------------------------------
    # The rows themselves are a section (``SECTIONS["rows"]``): each holds the digest of
    # its JSON, kept by digest in ``row-texts/<ab>.json`` (the digest's first two
    # characters) and read only when a row's value is needed. Fingerprinting a table's rows
    # reads digests alone, and an edit that leaves a module's rows as they were writes no
    # row text.
    def save_row_texts(self, texts: RowTexts, named: set[str], every: bool = True) -> None:
        """Keep the JSON of the rows made in this run that a kept row names (``named``):
        each ``row-texts`` file that gets one is written again without the rows no kept
        row names any more (``every``: ``named`` is every kept row's; else it is only some,
        and nothing is dropped)."""
        if not self.enabled or not self._prepare():
            return
        fresh: dict[str, RowTexts] = {}
        for found, text in texts.items():
            if found in named:
                fresh.setdefault(found[:2], {})[found] = text
        for shard, new in sorted(fresh.items()):
            old = self._row_shard(shard)
            if all(old.get(d) == t for d, t in new.items()):
                continue
            merged = {d: t for d, t in old.items() if d in named or not every}
            merged.update(new)
            self._row_shards[shard] = merged
            _store(self._row_texts_path(shard), "row-texts", merged)

    def _row_texts_path(self, shard: str) -> Path:
        return self.dir / "row-texts" / f"{shard}.json"

    def _row_shard(self, shard: str) -> RowTexts:
        found = self._row_shards.get(shard)
        if found is None:
            loaded = _load(self._row_texts_path(shard), "row-texts", RowTexts)
            found = self._row_shards[shard] = loaded if isinstance(loaded, dict) else {}
        return found

    def row_text(self, found: str) -> str | None:
        """The JSON of the row whose digest is ``found`` (None: not kept, or not the JSON
        of that digest: a damaged or planted entry)."""
        if not self.enabled or len(found) < 2:
            return None
        text = self._row_shard(found[:2]).get(found)
        if text is None or row_digest(text) != found:
            return None
        return text


def _remove_sections(directory: Path, names: Iterable[str]) -> None:
    """Delete the shards of sections an older format kept (one ``stat`` each per run that
    writes)."""
    for name in names:
        folder = directory / name
        if folder.is_dir():
            for p in folder.glob("*.json"):
                p.unlink(missing_ok=True)
            folder.rmdir()


def _remove_pickles(directory: Path) -> None:
    """Delete the cache files of the pickle format (never read: they could run code).

    A cache of that format always has its manifest, so only its presence is checked
    (one ``stat`` per run that writes)."""
    old = directory / "findings.pickle"
    try:
        if old.exists():
            for p in directory.glob("facts/*/*.pickle"):
                p.unlink(missing_ok=True)
            old.unlink(missing_ok=True)
    except OSError:
        pass


def _store(path: Path, key: str, value: Any) -> None:
    try:
        _atomic_write(path, dumps([_MAGIC, FORMAT, key, value]))
    except (OSError, CodecError, RecursionError, ValueError):
        pass


def _load(path: Path, key: str, tp: type, intern: bool = False) -> Any:
    """The value stored under ``key`` at ``path``, or None: missing, truncated, foreign, from
    another format or version, or not of the declared shape (a hostile file) are all a miss."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    return _decoded(data, key, tp, intern)


def _decoded(data: bytes, key: str, tp: Any, intern: bool = False) -> Any:
    """``_load`` of bytes already read (``intern``: see ``codec.decoder``)."""
    try:
        raw = json.loads(data)
        if type(raw) is not list or len(raw) != 4 or raw[:3] != [_MAGIC, FORMAT, key]:
            return None
        return decoder(tp, intern)(raw[3])
    except Exception:  # JSON/Unicode errors, CodecError, RecursionError, a rejecting __init__
        return None
