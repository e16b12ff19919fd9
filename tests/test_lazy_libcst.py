"""LibCST is imported only by a run that parses a file with it (``ssot_lint.lazy``)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES

from ssot_lint.lazy import LazyModule

_RUN = """
import sys
from pathlib import Path
from ssot_lint.config import load_config
from ssot_lint.engine import Linter, RunOptions
from ssot_lint.registry import load_rules

root = Path(sys.argv[1])
result = Linter(load_config(root), load_rules(), options=RunOptions(jobs=1)).run([str(root)])
print(len(result.diagnostics), "libcst" in sys.modules)
"""


def _run(root: Path) -> tuple[int, bool]:
    out = subprocess.run([sys.executable, "-c", _RUN, str(root)], capture_output=True, text=True, check=True)
    count, loaded = out.stdout.split()
    return int(count), loaded == "True"


def test_a_run_that_parses_nothing_with_libcst_does_not_import_it(tmp_path: Path):
    root = tmp_path / "svc"
    shutil.copytree(FIXTURES / "legacy_service", root, ignore=shutil.ignore_patterns(".ssot_lint_cache"))
    cold, loaded = _run(root)
    assert cold > 0 and loaded  # the files with findings are parsed with LibCST
    warm, loaded = _run(root)
    assert (warm, loaded) == (cold, False)  # every finding from the cache: LibCST never imported
    # A leaf module no rule can fire in, added then edited: linted, without LibCST.
    leaf = root / "netra_backend" / "version_note.py"
    leaf.write_text("VERSION = 1\n")
    assert _run(root) == (cold, False)
    leaf.write_text("VERSION = 2\n")
    assert _run(root) == (cold, False)


def test_lazy_module_imports_on_first_use_and_rebinds_the_reader():
    namespace: dict[str, object] = {}
    exec(
        "from ssot_lint.lazy import LazyModule\nmod = LazyModule('colorsys')\n"
        "def first():\n    return mod.rgb_to_hsv(1.0, 0.0, 0.0)\n",
        namespace,
    )
    assert isinstance(namespace["mod"], LazyModule)
    assert namespace["first"]() == (0.0, 1.0, 1.0)  # type: ignore[operator]
    import colorsys

    assert namespace["mod"] is colorsys  # the reading module now names the real one
