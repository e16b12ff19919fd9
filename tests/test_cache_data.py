"""The cache is data, never code: planted cache files run nothing and are rebuilt.

Anyone who can commit to a repository can commit a ``.ssot_lint_cache`` folder too,
so a cache file is untrusted input, like the code being linted.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, run_cli
from test_cli import ENGINE, VIOLATION, make_project
from test_speed import lint

import ssot_lint
import ssot_lint.cache
from ssot_lint import codec
from ssot_lint.cache import FORMAT, Cache, Manifest, source_files, tool_fingerprint
from ssot_lint.config import load_config
from ssot_lint.contract import Contract, build_contract
from ssot_lint.engine import Linter
from ssot_lint.facts import ModuleFacts, extract_facts
from ssot_lint.registry import load_rules


class _Trap:
    """Unpickling this writes the marker file (as a real payload would run anything)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"import pathlib; pathlib.Path({str(self.marker)!r}).write_text('ran')",))


def _diagnostics(proc) -> list[dict]:
    assert proc.returncode in (0, 1), proc.stderr.decode()
    doc = json.loads(proc.stdout)
    assert doc["errors"] == []
    return doc["diagnostics"]


def test_a_planted_pickle_runs_nothing_and_the_cache_is_rebuilt(tmp_path):
    marker = tmp_path / "RAN"
    root = make_project(tmp_path / "proj", {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": VIOLATION})
    expected = _diagnostics(run_cli("check", str(root), "--no-cache", "--format", "json"))
    assert [d["code"] for d in expected] == ["SSOT001"]
    # A first run writes the cache: its file names are where a planted file would be read.
    assert _diagnostics(run_cli("check", str(root), "--format", "json")) == expected
    cache = root / ".ssot_lint_cache"
    facts = sorted(cache.glob("facts/*/*.json"))
    assert len(facts) == 3 and (cache / "findings.json").is_file()
    payload = pickle.dumps(_Trap(marker))
    # Every cache file, under its current name and under the names of the pickle format.
    targets = [cache / "findings.json", cache / "findings.pickle", cache / "last-run.json"]
    targets += facts + [f.with_suffix(".pickle") for f in facts]
    for t in targets:
        t.write_bytes(payload)
    pickle.loads(payload)  # the payload is real: unpickling it writes the marker
    assert marker.exists()
    marker.unlink()

    for args in (["--format", "json"], ["--format", "json", "--jobs", "2"]):
        assert _diagnostics(run_cli("check", str(root), *args)) == expected
        assert not marker.exists()
    # Rebuilt: the old-format files are gone, the new ones hold data again.
    assert not (cache / "findings.pickle").exists() and not list(cache.glob("facts/*/*.pickle"))
    manifest = json.loads((cache / "findings.json").read_bytes())
    assert manifest[:2] == ["ssot-lint-cache", FORMAT]
    assert sorted(Cache(cache).load_manifest(manifest[2]).entries) == [
        "app/__init__.py",
        "app/engine.py",
        "app/routes.py",
    ]
    for f in facts:
        assert json.loads(f.read_bytes())[:3] == ["ssot-lint-cache", FORMAT, f.stem]


def test_hostile_json_of_the_right_frame_is_a_miss(tmp_path):
    """Valid JSON under the right header but of the wrong shape: never trusted, never a crash."""
    root = make_project(tmp_path / "proj", {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": VIOLATION})
    found, stats, _ = lint(root)
    assert stats["cached"] == 0
    cache = root / ".ssot_lint_cache"
    tool = json.loads((cache / "findings.json").read_bytes())[2]
    good = json.loads((cache / "findings.json").read_bytes())
    # [manifest without entries, dependency names, entries (their dependencies by index), ...]
    entries = good[3][2]
    routes = entries["app/routes.py"]
    bad_values = [
        {
            **entries,
            "app/routes.py": [*routes[:3], [["SSOT001", "x", "y", "app/routes.py", {"__class__": "os.system"}]]],
        },
        {**entries, "app/routes.py": [*routes[:2], "not a list of deps", routes[3]]},
        {**entries, "app/routes.py": [*routes[:2], [len(good[3][1])], routes[3]]},  # names no dependency
        {**entries, "app/routes.py": [*routes[:2], [-1], routes[3]]},
        {**entries, "app/routes.py": routes + ["extra"]},
        [[1, 2]],
        None,
    ]
    # [..., entries, fingerprint values, one value index per dependency name, the tables'
    # (name, group, value) index triples, the kept tables' (name, value) index pairs]
    values, fingerprints, tables, texts = good[3][3], good[3][4], good[3][5], good[3][6]
    assert len(fingerprints) == len(good[3][1]) and max(fingerprints) < len(values)
    assert tables and len(tables) % 3 == 0
    assert texts and len(texts) % 2 == 0
    bad_snapshots = [
        (values, fingerprints[:-1], tables, texts),  # one name without its index
        (values, [*fingerprints[:-1], len(values)], tables, texts),  # an index past the values
        (values, [*fingerprints[:-1], -2], tables, texts),
        (values[: max(fingerprints)], fingerprints, tables, texts),
        (values, fingerprints, tables[:-1], texts),  # a table without its value
        (values, fingerprints, [len(good[3][1]), *tables[1:]], texts),  # a table named by no name
        (values, fingerprints, [*tables[:-1], len(values)], texts),
        (values, fingerprints, tables, texts[:-1]),  # a kept table without its text
        (values, fingerprints, tables, [len(good[3][1]), *texts[1:]]),
        (values, fingerprints, tables, [*texts[:-1], len(values)]),
        (values, fingerprints, tables, [*texts[:-1], -1]),
    ]
    docs = [[good[3][0], good[3][1], bad, values, fingerprints, tables, texts] for bad in bad_values]
    docs += [[good[3][0], good[3][1], entries, *snapshot] for snapshot in bad_snapshots]
    for bad in docs:
        doc = [*good[:3], bad]
        (cache / "findings.json").write_text(json.dumps(doc))
        (cache / "last-run.json").unlink(missing_ok=True)  # (else the unchanged run answers)
        again, stats, _ = lint(root)
        assert again == found and stats["cached"] == 0
    (cache / "findings.json").write_text(json.dumps(good))  # as written: every entry holds
    (cache / "last-run.json").unlink(missing_ok=True)
    assert lint(root)[1]["cached"] == 3
    deep = "[" * 100_000 + "]" * 100_000
    for text in (deep, f'["ssot-lint-cache", {FORMAT}, {json.dumps(tool)}, {deep}]', "\xff\xfe", ""):
        (cache / "findings.json").write_bytes(text.encode("latin-1"))
        (cache / "last-run.json").write_bytes(text.encode("latin-1"))
        for f in cache.glob("facts/*/*.json"):
            f.write_bytes(text.encode("latin-1"))
        again, stats, _ = lint(root)
        assert again == found and stats["cached"] == 0
    assert lint(root)[1]["cached"] == 3


def test_a_section_shard_whose_indices_name_no_string_is_a_miss(tmp_path):
    """The module rows keep their strings once per shard and name them by index: a shard
    whose indices fall outside its strings (damaged, or planted) is dropped and computed
    again, never read as some other string or a crash."""
    name = "rows"
    root = FIXTURES / "legacy_service"
    work = tmp_path / "p"
    make_project(work, {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*.py")})
    found, _, _ = lint(work, select=None)
    assert found
    cache = Cache(work / ".ssot_lint_cache")
    tool = json.loads((work / ".ssot_lint_cache" / "findings.json").read_bytes())[2]
    shards = sorted((work / ".ssot_lint_cache" / "sections" / name).glob("*.json"))
    assert shards and len(cache.load_section(tool, name)) == len(shards)
    for shard in shards:
        # (a rows shard: a header line, then its entries; the header goes too, so that
        # the run reads the entries)
        head, _, text = shard.read_text().rpartition("\n")
        doc = json.loads(text)
        doc[3][0] = []  # no strings: every index is out of range
        shard.write_text(("not a header\n" if head else "") + json.dumps(doc))
    assert cache.load_section(tool, name) == {}  # each planted shard is a miss, not a value
    (work / ".ssot_lint_cache" / "last-run.json").unlink(missing_ok=True)
    (work / "extra_module.py").write_text("X = 1\n")  # a run that checks the tables again
    again, _, _ = lint(work, select=None)
    assert again == found == lint(work, cache=False, select=None)[0]
    assert len(Cache(work / ".ssot_lint_cache").load_section(tool, name)) == len(shards)  # written again


def test_import_rows_round_trip_and_a_damaged_one_is_a_miss():
    """The import rows (``--dependents``) are kept as lists of ints into their shard's
    strings: every fixture's row comes back as it was, and a list cut short, too long, or
    naming a string past the table is a ValueError (the shard is a miss), never a row."""
    from ssot_lint.cache import SECTIONS
    from ssot_lint.dependents import import_row

    section = SECTIONS["imports"]
    entries = {f.path: (f"hash{i}", import_row(f)) for i, f in enumerate(_every_fixture_facts())}
    assert any(row[1] and row[3] for _, row in entries.values())  # bindings and classes
    stored = codec.loads(codec.dumps(section.pack(entries)), section.stored)
    assert section.unpack(stored) == entries
    table, by_rel = stored
    rel = next(r for r, (_, row) in entries.items() if row[1] and row[3])
    flat = by_rel[rel]
    for bad in (flat[:-1], [*flat, 0], [*flat[:-1], len(table)], [-1, *flat[1:]], flat[:1]):
        with pytest.raises(ValueError):
            section.unpack((table, {rel: bad}))


def _every_fixture_facts() -> list[ModuleFacts]:
    out = []
    for path in sorted((FIXTURES).rglob("*.py")):
        rel = path.relative_to(FIXTURES).as_posix()
        out.append(extract_facts(path.read_text(encoding="utf-8"), rel[:-3].replace("/", "."), rel, False))
    return out


def test_facts_round_trip_exactly():
    facts = _every_fixture_facts()
    assert len(facts) > 20
    for f in facts:
        assert codec.loads(codec.dumps(f), ModuleFacts) == f


def _by_callback(value) -> bytes:
    """What ``codec.dumps`` writes without a declared type: the C encoder calling back
    ``codec._default`` for each dataclass and set."""
    return json.dumps(value, default=codec._default, separators=(",", ":"), check_circular=False).encode("ascii")


@dataclasses.dataclass
class _Node:
    name: str
    kids: tuple[_Node, ...] = ()
    tags: frozenset[str] = frozenset()
    by_line: dict[int, str] = dataclasses.field(default_factory=dict)
    parent: _Node | None = None
    pairs: tuple[tuple[str, _Node], ...] = ()
    count: int = 0
    flag: bool = False


@pytest.mark.parametrize(
    "value",
    [
        _Node("a"),
        _Node("a", tags=frozenset({"y", "x"})),
        _Node("a", by_line={}),  # a converted field is never trimmed
        _Node("a", by_line={3: "x"}, count=0, flag=True),
        _Node("a", (_Node("b", parent=_Node("c")),), pairs=(("k", _Node("d", count=2)),)),
        _Node("a", count=False),  # equal to the default, of another type: kept
        _Node("a", flag=0),
        _Node("a", kids=[]),  # an empty list where the default is (): kept
    ],
)
def test_encoding_by_declared_type_writes_what_the_callbacks_wrote(value):
    assert codec.dumps(value, _Node) == _by_callback(value) == codec.dumps(value)


def test_facts_and_manifests_encode_by_type_to_the_same_bytes(tmp_path):
    for f in _every_fixture_facts():
        assert codec.dumps(f, ModuleFacts) == _by_callback(f)
    root = FIXTURES / "legacy_service"
    linter = Linter(load_config(root), load_rules())
    linter.make_cache = lambda enabled=None: Cache(tmp_path / "cache")  # type: ignore[method-assign]
    linter.run([str(root)])
    manifest = linter.make_cache().load_manifest(linter.tool())
    assert manifest.entries
    assert codec.dumps(manifest, Manifest) == _by_callback(manifest)


def test_decoded_facts_share_their_strings(tmp_path):
    """Every module's facts stay in memory for a run: the same name read from two modules'
    cached facts is one string object (interned), not one per occurrence."""
    text = "from app.engine import ExecutionEngine\n\n\ndef make(ctx):\n    return ExecutionEngine(ctx)\n"
    cache = Cache(tmp_path / "cache")
    for name in ("a", "b"):
        cache.put_facts(name, extract_facts(text, name, f"{name}.py", False))
    a, b = cache.get_facts("a"), cache.get_facts("b")
    assert a is not None and b is not None
    ((_, binding_a),) = [(n, bs[0]) for n, bs in a.module_scope.bindings.items() if n == "ExecutionEngine"]
    ((_, binding_b),) = [(n, bs[0]) for n, bs in b.module_scope.bindings.items() if n == "ExecutionEngine"]
    assert binding_a.target == "app.engine" and binding_a.target is binding_b.target
    call_a, call_b = a.defs["make"].calls[0], b.defs["make"].calls[0]
    assert call_a.callee == "ExecutionEngine" and call_a.callee is call_b.callee


def test_manifest_and_contract_round_trip(tmp_path):
    root = FIXTURES / "legacy_service"
    linter = Linter(load_config(root), load_rules())
    contract = build_contract(linter.config)
    assert codec.loads(codec.dumps(contract), Contract) == contract
    linter.make_cache = lambda enabled=None: Cache(tmp_path / "cache")  # type: ignore[method-assign]
    linter.run([str(root)])
    cache = linter.make_cache()
    manifest = cache.load_manifest(linter.tool())
    assert manifest.entries and manifest.contract is not None
    # The per-module sections are files of their own, in shards, read back under the tool.
    for name in ("imports", "screens", "rows"):
        assert cache.load_section(linter.tool(), name), name
        assert cache.load_section("another tool", name) == {}
    assert any(e.diagnostics for e in manifest.entries.values())
    assert any(d.fix is not None for e in manifest.entries.values() for d in e.diagnostics)
    again = codec.loads(codec.dumps(manifest), Manifest)
    for f in dataclasses.fields(Manifest):
        assert getattr(again, f.name) == getattr(manifest, f.name), f.name


@pytest.mark.parametrize(
    "tp, value",
    [
        (
            ModuleFacts,
            ["m", "m.py", False, {"": ["module", "", {"x": "import"}, []]}, {}, None, None, [1, 1], ["os"], False],
        ),
        (ModuleFacts, ["m", "m.py", 0]),  # a bool field given an int
        (ModuleFacts, ["m", "m.py"]),  # a required field missing
        (ModuleFacts, ["m", "m.py", False] + [None] * 20),  # too many fields
        (dict[tuple[str, str], bool], {"a": True}),  # an object where pairs are due
        (frozenset[str], ["a", 1]),
        (tuple[str, int], ["a", "b"]),
    ],
)
def test_values_of_another_shape_are_rejected(tp, value):
    with pytest.raises(codec.CodecError):
        codec.loads(json.dumps(value).encode(), tp)


def test_the_shapes_above_are_what_they_claim():
    """The first rejected value differs from a valid one in one place only (a str where a
    list of Binding fields is due)."""
    good = [
        "m",
        "m.py",
        False,
        {"": ["module", "", {"x": [["import", "os"]]}, []]},
        {},
        None,
        None,
        [1, 1],
        ["os"],
        False,
    ]
    facts = codec.loads(json.dumps(good).encode(), ModuleFacts)
    assert facts.scopes[""].bindings["x"][0].target == "os" and facts.names == frozenset({"os"})


def test_the_tool_fingerprint_covers_every_module_of_ssot_lint_and_the_rule_pack(monkeypatch):
    """An edit of any module (a rule's helper such as rules/_awaits.py included) changes the
    fingerprint, so no finding cached by the old code survives it."""
    modules = [sys.modules[r.__module__] for r in load_rules().rules]
    package = Path(ssot_lint.__file__).resolve().parent
    pack = Path(sys.modules["ssot_lint.rules"].__file__).resolve().parent
    expected = {str(p.resolve()) for d in (package, pack) for p in d.rglob("*.py")}
    assert {"_awaits.py", "_state.py", "codec.py", "reporters", "probe"} <= {Path(f).name for f in expected} | {
        Path(f).parent.name for f in expected
    }
    assert expected <= set(source_files(modules))
    real = ssot_lint.cache._file_digest
    base = tool_fingerprint(modules)
    for edited in sorted(expected):
        monkeypatch.setattr(ssot_lint.cache, "_file_digest", lambda p, e=edited: real(p) + ("!" if p == e else ""))
        assert tool_fingerprint(modules) != base, f"an edit of {edited} leaves the fingerprint unchanged"
    monkeypatch.setattr(ssot_lint.cache, "_file_digest", real)
    assert tool_fingerprint(modules) == base
