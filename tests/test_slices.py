"""Name slices (``ssot_lint.slices``): what a lookup in another module's facts records,
what each slice contains, and what a warm run re-lints after an edit of a module that
others import."""

from __future__ import annotations

import dataclasses
import shutil
from typing import Any

import pytest
from test_speed import lint, write

from ssot_lint.facts import Binding, DefInfo, ModuleFacts, Scope, extract_facts
from ssot_lint.slices import HEADER, HEADER_FIELDS, FactsView, slice_digests

HUB = """\
from app.base import *

__all__ = ["Hub", "load"]


def load():
    return 1


class Hub:
    kind = "hub"

    def start(self):
        def inner():
            return 2

        return inner()
"""


def view(source: str = HUB) -> tuple[FactsView, list[str]]:
    touched: list[str] = []
    return FactsView(extract_facts(source, "app.hub", "app/hub.py", False), touched.append), touched


def test_each_read_records_the_slice_of_its_top_level_name():
    facts, touched = view()
    assert facts.defs.get("Hub.start.inner") is not None and touched == ["app.hub#Hub"]
    touched.clear()
    assert facts.scopes.get("Hub.start") is not None and "load" in facts.module_scope.bindings
    assert facts.defs.get("missing") is None  # absent: a later definition changes the slice
    assert touched == ["app.hub#Hub", "app.hub#load", "app.hub#missing"]
    touched.clear()
    assert facts.module_scope.star_imports == ["app.base"] and facts.all_names == ("Hub", "load")
    assert facts.path == "app/hub.py" and touched == ["app.hub#"] * 3  # the header
    touched.clear()
    assert sorted(facts.defs) == ["Hub", "Hub.start", "Hub.start.inner", "load"]
    assert "app.hub" in touched  # iterating: the whole module
    for field in dataclasses.fields(ModuleFacts):
        if field.name in ("defs", "scopes"):
            continue
        touched.clear()
        getattr(facts, field.name)
        assert touched == ["app.hub#" if field.name in HEADER_FIELDS else "app.hub"], field.name


def _other(value: Any) -> Any:
    """A value of the same shape that differs from ``value``."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if value is None:
        return "x"
    if isinstance(value, tuple):
        return (*value, "x")
    if isinstance(value, list):
        return [*value, "x"]
    if isinstance(value, frozenset):
        return value | {"x"}
    if isinstance(value, dict):
        return {**value, "x": "x"}
    raise AssertionError(f"no other value for {value!r}")


def _changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


# (where, key, field, the slice it belongs to): every field of a definition, of a scope and
# of a module-level binding.
FIELDS = (
    [("defs", "Hub.start", f.name, "Hub") for f in dataclasses.fields(DefInfo)]
    + [("scopes", "Hub.start", f.name, "Hub") for f in dataclasses.fields(Scope)]
    + [("bindings", "load", f.name, "load") for f in dataclasses.fields(Binding)]
)


@pytest.mark.parametrize(("where", "key", "field", "name"), FIELDS)
def test_every_field_is_in_the_slice_of_its_top_level_name_only(where, key, field, name):
    """What ``FactsView`` records for a read (the top-level name) is where
    ``slice_digests`` puts every field of what was read: a change anywhere in ``Hub.start``
    changes the slice ``Hub`` and no other."""
    facts = extract_facts(HUB, "app.hub", "app/hub.py", False)
    before = slice_digests(facts)
    holder: Any = facts.module_scope.bindings[key] if where == "bindings" else getattr(facts, where)
    at: Any = 0 if where == "bindings" else key
    holder[at] = dataclasses.replace(holder[at], **{field: _other(getattr(holder[at], field))})
    assert _changed(before, slice_digests(facts)) == {name}


@pytest.mark.parametrize("field", [*HEADER_FIELDS, "star_imports"])
def test_every_field_of_the_header_is_in_the_header_only(field):
    facts = extract_facts(HUB, "app.hub", "app/hub.py", False)
    before = slice_digests(facts)
    if field == "star_imports":
        facts.module_scope.star_imports.append("app.other")
    else:
        setattr(facts, field, _other(getattr(facts, field)))
    assert _changed(before, slice_digests(facts)) == {HEADER}


def test_a_new_name_is_a_new_slice_and_touches_no_other():
    before = slice_digests(extract_facts(HUB, "app.hub", "app/hub.py", False))
    after = slice_digests(extract_facts(HUB + "\n\ndef extra():\n    return 3\n", "app.hub", "app/hub.py", False))
    assert _changed(before, after) == {"extra"}


PROJECT = {
    "app/__init__.py": "",
    "app/hub.py": "def load():\n    return 1\n\n\nclass Other:\n    pass\n",
    "app/a.py": "from app.hub import load\n\n\nasync def f():\n    await load()\n",
    "app/b.py": "from app.hub import Other\n\n\nasync def g():\n    return Other()\n",
    "app/c.py": "from app import hub\n\n\nasync def h():\n    await hub.load()\n",
}


def _edit(root, rel: str, text: str) -> None:
    (root / rel).write_text(text, encoding="utf-8")


def _both(root):
    warm, stats, _ = lint(root, select=None)
    cold, _, _ = lint(root, select=None, cache=False)
    assert warm == cold
    return warm, stats


def test_an_edit_of_an_imported_module_relints_only_the_files_that_read_what_changed(tmp_path):
    root = write(tmp_path / "p", PROJECT)
    found, _ = _both(root)
    assert sorted((f[0], f[1], f[2]) for f in found) == [("SSOT003", "app/a.py", 5), ("SSOT003", "app/c.py", 5)]
    # A new name in the hub: no importer reads it; only the hub is linted.
    hub = PROJECT["app/hub.py"] + "\n\ndef extra():\n    return 2\n"
    _edit(root, "app/hub.py", hub)
    found, stats = _both(root)
    assert stats["linted"] == 1 and len(found) == 2, stats
    # A line inserted above every definition moves them all: each slice read changed.
    # (b.py's prefilter has nothing to resolve: it read no slice of the hub.)
    _edit(root, "app/hub.py", "import os\n" + hub)
    found, stats = _both(root)
    assert stats["linted"] == 3 and len(found) == 2, stats
    # `load` turns async: the two files that read it are linted again, not b.py.
    hub = "import os\n" + hub.replace("def load", "async def load")
    _edit(root, "app/hub.py", hub)
    found, stats = _both(root)
    assert stats["linted"] == 3 and found == [], stats
    # A name a star import would bring: the module that reads it through `*` sees it.
    _edit(root, "app/d.py", "from app.hub import *\n\n\nasync def k():\n    await late()\n")
    found, stats = _both(root)
    assert found == [] and stats["linted"] == 1, stats
    _edit(root, "app/hub.py", hub + "\n\ndef late():\n    return 3\n")
    found, stats = _both(root)
    assert [(f[0], f[1], f[2]) for f in found] == [("SSOT003", "app/d.py", 5)] and stats["linted"] == 2, stats


def test_without_the_old_facts_a_slice_counts_as_changed(tmp_path):
    """The slices of the old content are read from the facts cache; when they are gone
    (a cleaned cache folder), every file that read the module is linted again."""
    root = write(tmp_path / "p", PROJECT)
    _both(root)
    _edit(root, "app/hub.py", PROJECT["app/hub.py"] + "\n\ndef extra():\n    return 2\n")
    shutil.rmtree(root / ".ssot_lint_cache" / "facts")
    found, stats = _both(root)
    assert stats["linted"] == 3 and len(found) == 2, stats  # the hub, a.py and c.py (as for a real change)


def test_a_new_function_relints_only_the_files_that_spell_its_name(tmp_path):
    """The await rules meet the tables of callable names with each file's names
    (``@meet``): a sync ``def extra`` added anywhere changes the table, and only the files
    whose text spells ``extra`` (as the parser reads it: NFKC) are linted again."""
    files = {
        **PROJECT,
        "app/leaf.py": "X = 1\n",
        "app/e.py": "async def e():\n    await extra()\n",
        "app/f.py": "async def f():\n    await \uff45\uff58\uff54\uff52\uff41()\n",  # fullwidth: `extra`
    }
    root = write(tmp_path / "p", files)
    _both(root)
    _edit(root, "app/leaf.py", "X = 1\n\n\ndef extra():\n    return 2\n")
    found, stats = _both(root)
    assert stats["linted"] == 3 and len(found) == 2, stats  # the leaf, e.py and f.py
    _edit(root, "app/leaf.py", "X = 1\n")  # and back: the same files
    found, stats = _both(root)
    assert stats["linted"] == 3 and len(found) == 2, stats
