"""Method dispatch reads subclasses from their rows, without loading them.

``self.m()`` in a class may run an override in any project subclass, so the resolver looks
``m`` up in every subclass. Two cases are answered from the class-names rows:

- a subclass whose classes outside the receiver's MRO neither define, bind nor assign ``m``,
  and have only project or harmless bases, finds ``m`` where the receiver does (C3 keeps
  the receiver's MRO in order): it is skipped;
- for the await rules, a subclass that defines ``m`` itself as an undecorated ``async def``
  (or generator), with no ``self.m = ...`` in its ancestry outside the receiver's MRO, runs
  that method, whose kind its row gives.

Neither loads the subclass's facts, and the reader depends on the row, not on the module:
an edit elsewhere in that module leaves the reader's cached findings valid. Each shape below
is linted with the rows and without them (every subclass loaded, as before): the findings
must be the same.
"""

from __future__ import annotations

import pytest
from warm_cold import write_tree

from ssot_lint import inference
from ssot_lint.config import load_config
from ssot_lint.engine import Linter, RunOptions
from ssot_lint.registry import load_rules

BASE = "class Base:\n    def m(self):\n        return 1\n\n    async def run(self):\n        await self.m()\n"
SHAPES = {
    # Plain subclasses: skipped; `await self.m()` awaits a sync method (SSOT003).
    "plain": {},
    # A subclass overrides m with an async def: looked up, and the await is right for it.
    "override": {
        "app/over.py": "from app.base import Base\n\n\nclass Over(Base):\n    async def m(self):\n        return 2\n"
    },
    # A mixin before Base defines m: the subclass runs Mixin.m (async); it must not be skipped.
    "mixin": {
        "app/mix.py": (
            "from app.base import Base\n\n\nclass Mixin:\n    async def m(self):\n        return 2\n\n\n"
            "class Mixed(Mixin, Base):\n    pass\n"
        )
    },
    # A mixin further up, through an intermediate subclass.
    "deep-mixin": {
        "app/mix.py": (
            "from app.base import Base\n\n\nclass Mixin:\n    async def m(self):\n        return 2\n\n\n"
            "class Middle(Mixin):\n    pass\n\n\nclass Mixed(Middle, Base):\n    pass\n"
        )
    },
    # An instance attribute shadows the method in a subclass: nothing can be said.
    "assigned": {
        "app/cb.py": (
            "from app.base import Base\n\n\nclass Callback(Base):\n    def __init__(self, fn):\n        self.m = fn\n"
        )
    },
    # A base outside the project could define m.
    "external": {
        "app/ext.py": "from lib import Thing\nfrom app.base import Base\n\n\nclass Ext(Thing, Base):\n    pass\n"
    },
    # Every subclass overrides m with an async def: their kinds come from rows.
    "async-overrides": {
        f"app/sub{i:02d}.py": f"from app.base import Base\n\n\nclass Sub{i}(Base):\n    async def m(self):\n        return {i}\n"
        for i in range(12)
    },
    # A generator override, and an override under it that inherits it.
    "generator": {
        "app/gen.py": (
            "from app.base import Base\n\n\nclass Gen(Base):\n    def m(self):\n        yield 1\n\n\n"
            "class Under(Gen):\n    pass\n"
        )
    },
    # A decorated override: its kind needs the decorator, so its facts are loaded.
    "decorated": {
        "app/deco.py": (
            "import functools\n\nfrom app.base import Base\n\n\nclass Deco(Base):\n    @functools.cache\n"
            "    async def m(self):\n        return 2\n"
        )
    },
    # An async override in a subclass whose mixin assigns `self.m`: nothing can be said.
    "override-assigned": {
        "app/over.py": (
            "from app.base import Base\n\n\nclass Setter:\n    def __init__(self):\n        self.m = None\n\n\n"
            "class Over(Base, Setter):\n    async def m(self):\n        return 2\n"
        )
    },
    # An intermediate subclass overrides m with a plain def (its kind needs its facts); the
    # classes under it run that override: they add nothing, and are skipped.
    "intermediate": {
        "app/mid.py": (
            "from app.base import Base\n\n\nclass Middle(Base):\n    def m(self):\n        return 3\n\n\n"
            "class Leaf1(Middle):\n    pass\n\n\nclass Leaf2(Leaf1):\n    pass\n"
        )
    },
    # The same with an async override: the classes under it run a coroutine function.
    "intermediate-async": {
        "app/mid.py": (
            "from app.base import Base\n\n\nclass Middle(Base):\n    async def m(self):\n        return 3\n\n\n"
            "class Leaf1(Middle):\n    pass\n\n\nclass Leaf2(Leaf1):\n    pass\n"
        )
    },
    # Generic[...] and ABC are harmless bases: still skipped.
    "generic": {
        "app/gen.py": (
            "from abc import ABC\nfrom typing import Generic, TypeVar\n\nfrom app.base import Base\n\n"
            "T = TypeVar('T')\n\n\nclass Gen(Base, Generic[T], ABC):\n    pass\n"
        )
    },
}


def project(shape: str) -> dict[str, str]:
    files = {"app/__init__.py": "", "app/base.py": BASE}
    files.update(
        {f"app/sub{i:02d}.py": f"from app.base import Base\n\n\nclass Sub{i}(Base):\n    pass\n" for i in range(12)}
    )
    files.update(SHAPES[shape])
    return files


def lint(root, cache: bool = False) -> tuple[list[tuple], dict]:
    linter = Linter(load_config(root), load_rules(), options=RunOptions(jobs=1, use_cache=cache))
    result = linter.run([str(root)])
    return [(d.code, d.path, d.range.start.line, d.message) for d in result.diagnostics], linter.stats


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_skipping_subclasses_changes_no_finding(tmp_path, monkeypatch, shape):
    root = tmp_path / "p"
    write_tree(root, project(shape))
    skipped, _ = lint(root)
    monkeypatch.setattr(inference.Inference, "_classify", lambda self, *a, **k: None)
    full, _ = lint(root)
    assert skipped == full
    awaited_sync = [f for f in full if f[0] == "SSOT003" and f[1] == "app/base.py"]
    if shape in ("plain", "generic", "intermediate"):
        assert len(awaited_sync) == 1
    else:
        assert awaited_sync == []  # an override, a mixin, an assignment or an outside base may make it awaitable


def test_override_kinds_from_rows_are_those_of_the_facts(tmp_path, monkeypatch):
    """`self.m()` not awaited where every override is an `async def` (SSOT005 needs all of
    them coroutines): the same finding with and without the rows."""
    root = tmp_path / "p"
    files = project("async-overrides")
    files["app/base.py"] = (
        "class Base:\n    async def m(self):\n        return 1\n\n    async def run(self):\n        self.m()\n"
    )
    write_tree(root, files)
    rows, _ = lint(root)
    monkeypatch.setattr(inference.Inference, "_classify", lambda self, *a, **k: None)
    full, _ = lint(root)
    assert rows == full
    assert [(f[0], f[1], f[2]) for f in rows] == [("SSOT005", "app/base.py", 6)]


@pytest.mark.parametrize("shape", ["plain", "async-overrides"])
@pytest.mark.parametrize("rows", [True, False])
def test_an_edit_of_a_subclass_module_keeps_the_base_cached(tmp_path, monkeypatch, rows, shape):
    """app/base.py looks ``m`` up in the twelve subclasses. With the rows it depends on
    their rows only: an edit elsewhere in a subclass's module keeps its cached findings,
    and no subclass's facts are loaded. Without them it depends on the slices of the
    subclasses' modules it read (``ssot_lint.slices``): the edit adds a name it does not
    read, so its findings are kept too, from the edited module's old and new facts."""
    if not rows:
        monkeypatch.setattr(inference.Inference, "_classify", lambda self, *a, **k: None)
    root = tmp_path / "p"
    files = project(shape)
    write_tree(root, files)
    cold, _ = lint(root, cache=True)
    write_tree(root, {**files, "app/sub00.py": files["app/sub00.py"] + "\n\nEXTRA = 1\n"})
    linter = Linter(load_config(root), load_rules(), options=RunOptions(jobs=1, use_cache=True))
    result = linter.run([str(root / "app" / "base.py")])
    warm = [(d.code, d.path, d.range.start.line, d.message) for d in result.diagnostics]
    stats = linter.stats
    assert warm == [f for f in cold if f[1] == "app/base.py"] and len(warm) == (1 if shape == "plain" else 0)
    assert stats["linted"] == 0 and stats["facts_loaded"] <= 3, stats  # the edited module, to read its rows or slices


def test_an_override_that_turns_sync_is_seen_warm(tmp_path):
    """The row is the dependency: when an override's kind changes, the base is linted
    again, and the warm run reports what a cold one does."""
    root = tmp_path / "p"
    files = project("async-overrides")
    write_tree(root, files)
    first, _ = lint(root, cache=True)
    assert [f for f in first if f[1] == "app/base.py"] == []
    # Every override turns sync: `await self.m()` now awaits plain defs only.
    files.update({k: v.replace("async def m", "def m") for k, v in files.items() if k.startswith("app/sub")})
    write_tree(root, files)
    warm, _ = lint(root, cache=True)
    cold, _ = lint(root, cache=False)
    assert warm == cold
    assert [(f[0], f[1], f[2]) for f in cold if f[1] == "app/base.py"] == [("SSOT003", "app/base.py", 6)]
