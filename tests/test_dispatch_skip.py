"""Method dispatch skips the subclasses that cannot change its answer, without loading them.

``self.m()`` in a class may run an override in any project subclass, so the resolver looks
``m`` up in every subclass. A subclass whose classes outside the receiver's MRO neither
define, bind nor assign ``m``, and have only project or harmless bases, finds ``m`` where
the receiver does (C3 keeps the receiver's MRO in order): it is skipped, and its module's
facts are not loaded. Each shape below is linted with the skip and without it (every
subclass looked up, as before): the findings must be the same.
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
    monkeypatch.setattr(inference.Inference, "_inherits_only", lambda self, *a: False)
    full, _ = lint(root)
    assert skipped == full
    awaited_sync = [f for f in full if f[0] == "SSOT003" and f[1] == "app/base.py"]
    if shape in ("plain", "generic"):
        assert len(awaited_sync) == 1
    else:
        assert awaited_sync == []  # an override, a mixin, an assignment or an outside base may make it awaitable


@pytest.mark.parametrize("skip", [True, False])
def test_an_edit_of_the_base_loads_no_plain_subclass(tmp_path, monkeypatch, skip):
    """Linting app/base.py looks ``m`` up in the twelve subclasses: with the skip, from
    their rows (only the changed one's facts are loaded, to read it again); without it,
    from all their facts."""
    if not skip:
        monkeypatch.setattr(inference.Inference, "_inherits_only", lambda self, *a: False)
    root = tmp_path / "p"
    files = project("plain")
    write_tree(root, files)
    cold, _ = lint(root, cache=True)
    # A subclass's module changes (app/base.py's result depends on it): lint app/base.py.
    write_tree(root, {**files, "app/sub00.py": files["app/sub00.py"] + "\n\nEXTRA = 1\n"})
    linter = Linter(load_config(root), load_rules(), options=RunOptions(jobs=1, use_cache=True))
    result = linter.run([str(root / "app" / "base.py")])
    warm = [(d.code, d.path, d.range.start.line, d.message) for d in result.diagnostics]
    stats = linter.stats
    assert warm == [f for f in cold if f[1] == "app/base.py"] and len(warm) == 1 and stats["linted"] == 1
    if skip:
        assert stats["facts_loaded"] <= 3, stats
    else:
        assert stats["facts_loaded"] >= 13, stats
