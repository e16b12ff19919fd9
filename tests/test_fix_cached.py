"""--fix and --diff take the cached path: cached findings say which files have fixes,
only those are parsed with LibCST and fixed (in the workers with --jobs > 1), and the
output and the written files are what a run without the cache gives."""

from __future__ import annotations

import shutil
from pathlib import Path

import libcst
import pytest
from conftest import FIXTURES, run_cli
from test_cli import ENGINE, VIOLATION

import ssot_lint.cache
import ssot_lint.engine
import ssot_lint.workers
from ssot_lint.config import load_config
from ssot_lint.engine import Linter, RunOptions
from ssot_lint.registry import load_rules

SYNC_AWAITED = "def compute(x):\n    return x + 1\n\n\nasync def handler(x):\n    return await compute(x)\n"


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".ssot_lint_cache" not in p.parts
    }


@pytest.mark.parametrize("mode", [["--fix", "--unsafe-fixes"], ["--diff"]], ids=["fix-unsafe", "diff"])
def test_warm_fix_gives_the_output_and_files_of_a_run_without_cache(tmp_path, mode):
    cold, warm = tmp_path / "cold" / "svc", tmp_path / "warm" / "svc"
    for root in (cold, warm):
        shutil.copytree(FIXTURES / "legacy_service", root)
    assert run_cli("check", ".", "--exit-zero", cwd=warm).returncode == 0  # the cache is warm
    a = run_cli("check", ".", *mode, "--no-cache", cwd=cold)
    b = run_cli("check", ".", *mode, cwd=warm)
    assert a.returncode == b.returncode and a.returncode != 2, a.stderr.decode()
    assert a.stdout == b.stdout and a.stderr == b.stderr
    assert b"Fixed " in a.stdout or b"+++" in a.stdout  # there was something to fix
    assert _tree(cold) == _tree(warm)
    if mode[0] == "--fix":
        assert _tree(cold) != _tree(FIXTURES / "legacy_service")  # fixes were written
    else:
        assert _tree(cold) == _tree(FIXTURES / "legacy_service")


def _run(root: Path, *, fix: bool, cache: bool = True, jobs: int = 1, unsafe: bool = True):
    linter = Linter(load_config(root), load_rules(), options=RunOptions(jobs=jobs, use_cache=cache))
    result = linter.run([str(root)], fix=fix, unsafe_fixes=unsafe)
    diags = [(d.code, d.path, d.range.start.line, d.range.start.column, d.message) for d in result.diagnostics]
    fixes = [(o.path, o.fixed, o.failed) for o in result.fixes]
    return diags, fixes, [e.message for e in result.errors], linter.stats


def test_fixing_in_workers_gives_what_fixing_in_process_gives(tmp_path, monkeypatch):
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    for root in (serial, parallel):
        shutil.copytree(FIXTURES / "legacy_service", root)
    expected = _run(serial, fix=True, cache=False)
    monkeypatch.setattr(ssot_lint.workers, "MIN_PARALLEL_FILES", 1)
    forked = []
    real = ssot_lint.engine.Linter.fix_one
    monkeypatch.setattr(ssot_lint.engine.Linter, "fix_one", lambda self, *a: forked.append(1) or real(self, *a))
    got = _run(parallel, fix=True, jobs=2)
    assert got[:3] == expected[:3] and expected[1]
    assert got[3]["fixable"] == len(expected[1]) >= 5
    # The fixes were shared: this process fixed its share, and the one forked worker the
    # two batches sent to it before this process took any (``lint_in_workers(share=True)``).
    assert 0 < len(forked) <= got[3]["fixable"] - 2, (len(forked), got[3]["fixable"])
    assert _tree(serial) == _tree(parallel)


def test_a_warm_fix_parses_only_the_files_with_fixes(tmp_path, monkeypatch):
    monkeypatch.setattr(ssot_lint.cache, "RACY_NS", 0)
    root = tmp_path / "p"
    shutil.copytree(FIXTURES / "legacy_service", root)
    files = {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": VIOLATION}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    _run(root, fix=True)  # fixes everything fixable (and warms the cache)
    check = _run(root, fix=False)
    assert check[3]["linted"] > 0  # the fixed files, read again
    parsed: list[str] = []
    real = libcst.parse_module
    monkeypatch.setattr(libcst, "parse_module", lambda text, *a, **k: parsed.append(text) or real(text, *a, **k))
    diags, fixes, errors, stats = _run(root, fix=True)
    assert parsed == [] and fixes == [] and stats["linted"] == 0 and stats["fixable"] == 0
    assert (diags, errors) == check[:3:2] and any(d[0] == "SSOT001" for d in diags)
    # A new file with a fix: it is linted (with whatever its new names invalidate), then
    # fixed without being parsed again; the fixed text is parsed twice: to check that it
    # parses, and to lint it (the next round).
    (root / "app" / "handler.py").write_text(SYNC_AWAITED)
    parsed.clear()
    diags, fixes, errors, stats = _run(root, fix=True)
    assert stats["fixable"] == 1 and errors == []
    assert sum("await compute(x)" in t for t in parsed) == 1 and sum("return compute(x)" in t for t in parsed) == 2
    assert len(parsed) <= stats["linted"] + 2
    assert fixes == [("app/handler.py", SYNC_AWAITED.replace("await compute", "compute"), None)]
    assert (root / "app" / "handler.py").read_text() == SYNC_AWAITED.replace("await compute", "compute")
