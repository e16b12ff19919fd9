"""The manifest's delta (``cache.ManifestDelta``): an edit writes what changed, not the
whole manifest, and a run reads the manifest back exactly as the last run left it.

Every test checks the findings against a run without the cache (warm equals cold) and
the manifest read back against the one the run kept, field by field.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from test_module_rows import leaf, linted_then_edited, project, run
from warm_cold import findings, write_tree

from ssot_lint.cache import Cache, Manifest
from ssot_lint.config import load_config
from ssot_lint.engine import Linter
from ssot_lint.registry import load_rules


def _tool(root: Path) -> str:
    return Linter(load_config(root), load_rules()).tool()


def _kept(monkeypatch) -> list[Manifest]:
    """Records each manifest a run keeps (``Cache.save_manifest``), as it was then."""
    kept: list[Manifest] = []
    real = Cache.save_manifest

    def saving(self, manifest):
        kept.append(dataclasses.replace(manifest))
        return real(self, manifest)

    monkeypatch.setattr(Cache, "save_manifest", saving)
    return kept


def _same(a: Manifest, b: Manifest) -> None:
    for f in dataclasses.fields(Manifest):
        assert getattr(a, f.name) == getattr(b, f.name), f.name


def test_an_edit_writes_a_delta_and_the_manifest_reads_back_as_kept(tmp_path, monkeypatch):
    root = tmp_path / "p"
    files = project()
    write_tree(root, files)
    run(root)
    cache = root / ".ssot_lint_cache"
    base = (cache / "findings.json").read_bytes()
    kept = _kept(monkeypatch)
    edits = [
        ("app/leaf05.py", leaf(5) + "\nX = 1\n"),
        ("app/leaf06.py", leaf(6) + "\n\ndef added():\n    return 2\n"),
        ("app/leaf05.py", leaf(5)),  # back as it was
        ("app/caller.py", "from app.leaf06 import added\n\n\nasync def go():\n    await added()\n"),
    ]
    for path, text in edits:
        files = {**files, path: text}
        write_tree(root, files)
        found, _ = run(root)
        assert found == findings(root, cache=False), path
        assert (cache / "findings.json").read_bytes() == base, "the manifest itself is not written again"
        assert (cache / "findings-delta.json").is_file()
        _same(Cache(cache).load_manifest(_tool(root)), kept[-1])
    assert any(f[0] == "SSOT003" for f in found)  # the last edit's finding, through the delta
    _, stats = run(root)
    assert stats["linted"] == 0  # every entry holds from the manifest and its delta


def _edited_once(tmp_path: Path) -> tuple[Path, dict[str, str], list[tuple]]:
    """A project linted, then a leaf edited and linted again (a delta written): its root,
    files and the findings of the second run."""
    root, files, found = linted_then_edited(tmp_path, "app/leaf05.py", leaf(5) + "\nX = 1\n")
    assert (root / ".ssot_lint_cache" / "findings-delta.json").is_file()
    return root, files, found


def test_many_changes_write_the_manifest_whole_and_drop_the_delta(tmp_path, monkeypatch):
    root, files, _ = _edited_once(tmp_path)
    cache = root / ".ssot_lint_cache"
    base = (cache / "findings.json").read_bytes()
    kept = _kept(monkeypatch)
    files = {**files, **{f"app/leaf{i:02d}.py": leaf(i) + f"\nY = {i}\n" for i in range(30)}}
    write_tree(root, files)
    found, _ = run(root)
    assert found == findings(root, cache=False)
    assert (cache / "findings.json").read_bytes() != base
    assert not (cache / "findings-delta.json").exists()
    _same(Cache(cache).load_manifest(_tool(root)), kept[-1])


@pytest.mark.parametrize("damage", ["another base", "wrong shape", "not json", "hostile values"])
def test_a_delta_of_another_base_or_damaged_is_a_miss(tmp_path, damage):
    """The base alone is an older manifest, valid as it is: the run is right, and only the
    files the delta held for are linted again."""
    root, _, expected = _edited_once(tmp_path)
    cache = root / ".ssot_lint_cache"
    delta = cache / "findings-delta.json"
    doc = json.loads(delta.read_bytes())
    if damage == "another base":
        doc[3][0] = "0" * 16
    elif damage == "wrong shape":
        doc[3] = doc[3][:4]
    elif damage == "hostile values":
        doc[3][1] = {"app/leaf05.py": ["x", "y", [{"__class__": "os.system"}], []]}
    delta.write_text("[not json" if damage == "not json" else json.dumps(doc))
    (cache / "last-run.json").unlink(missing_ok=True)  # (else the unchanged run answers)
    again, stats = run(root)
    assert again == expected == findings(root, cache=False)
    assert stats["linted"] == 1, stats  # the edited leaf: its entry was in the delta only


def test_a_long_table_value_that_changed_a_little_is_kept_as_an_edit(tmp_path):
    """A name table that gains one name (a `def` added) goes into the delta as that name
    and where it goes, not whole; it reads back equal, and an edit that does not fit its
    base leaves the value out (the table is computed again)."""
    from ssot_lint.cache import TableMemo, manifest_delta, with_delta

    names = [f"name_{i:05d}" for i in range(2000)]
    grown = sorted(names + ["name_01000a"])
    small = {"@table:s:": json.dumps(["a"]), "@table:gone:": json.dumps(names)}
    base = Manifest("t", tables=TableMemo("k", values={"@table:n:": json.dumps(names), **small}))
    new = Manifest("t", tables=TableMemo("k", values={"@table:n:": json.dumps(grown), "@table:s:": json.dumps(["b"])}))
    delta = manifest_delta(base, "token", new)
    assert delta is not None
    assert len(delta.memo_edits["@table:n:"][2]) == len('"name_01000a", ')
    assert delta.memo_values == {"@table:s:": json.dumps(["b"]), "@table:gone:": None}
    assert with_delta(base, delta).tables.values == new.tables.values
    head, tail, middle = delta.memo_edits["@table:n:"]
    for damaged in ((head + 10**6, tail, middle), (-1, tail, middle), (head, len(json.dumps(names)), middle)):
        delta.memo_edits["@table:n:"] = damaged
        assert "@table:n:" not in with_delta(base, delta).tables.values
