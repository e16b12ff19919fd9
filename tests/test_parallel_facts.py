"""The facts phase in worker processes (``ssot_lint.run.facts``) gives exactly what
extracting facts lazily in this process gives: the same findings and errors, the same
cache entries, and a warm run after it that extracts nothing."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES
from warm_cold import generate, write_tree

import ssot_lint.cache
import ssot_lint.project
import ssot_lint.run.facts
import ssot_lint.workers
from ssot_lint.config import load_config
from ssot_lint.engine import Linter, RunOptions
from ssot_lint.registry import load_rules

RULES = load_rules()
BROKEN = "def broken(:\n    pass\n"  # a syntax error: SSOT000 through the facts' parse
NOT_UTF8 = b"x = '\xff\xfe'\n"  # undecodable: a read error (SSOT000) from the read


def _run(root: Path, *, jobs: int, cache: bool) -> tuple[list[tuple], dict[str, int]]:
    linter = Linter(load_config(root), RULES, options=RunOptions(jobs=jobs, use_cache=cache))
    result = linter.run([str(root)])
    out = [(d.code, d.path, d.range.start.line, d.range.start.column, d.message) for d in result.diagnostics]
    return out + [("error", e.kind, e.path, e.message) for e in result.errors], linter.stats


def _tree(tmp_path: Path, name: str, kind: str) -> Path:
    root = tmp_path / name
    if kind == "legacy_service":
        shutil.copytree(FIXTURES / "legacy_service", root, ignore=shutil.ignore_patterns(".ssot_lint_cache"))
    else:
        write_tree(root, generate(random.Random(7)))
    (root / "zz_broken.py").write_text(BROKEN, encoding="utf-8")
    (root / "zz_latin.py").write_bytes(NOT_UTF8)
    return root


@pytest.fixture
def spies(monkeypatch):
    """Every parallel facts phase (files sent), and every extraction in this process."""
    sent: list[int] = []
    here: list[str] = []
    real_phase = ssot_lint.run.facts.extract_in_parallel
    real_extract = ssot_lint.project.extract_facts
    monkeypatch.setattr(ssot_lint.workers, "MIN_PARALLEL_FILES", 1)
    monkeypatch.setattr(ssot_lint.cache, "RACY_NS", 0)  # files written just now get stat records
    monkeypatch.setattr(ssot_lint.run.facts, "extract_in_parallel", lambda *a: sent.append(real_phase(*a)) or sent[-1])
    monkeypatch.setattr(ssot_lint.project, "extract_facts", lambda *a: here.append(a[2]) or real_extract(*a))
    return sent, here


@pytest.mark.parametrize("kind", ["legacy_service", "generated"])
def test_facts_in_workers_equal_facts_in_process(tmp_path, spies, kind):
    sent, here = spies
    serial, stats = _run(_tree(tmp_path, "serial", kind), jobs=1, cache=False)
    assert sent == [0] and stats["facts"] == len(here) > 5  # --jobs 1: all in this process
    assert any(f[0] == "SSOT000" and f[1] == "zz_broken.py" for f in serial)
    assert any(f[0] == "SSOT000" and f[1] == "zz_latin.py" for f in serial)
    sent.clear(), here.clear()

    parallel, stats = _run(_tree(tmp_path, "nocache", kind), jobs=2, cache=False)
    assert parallel == serial
    files = stats["files"]
    # Every file went to the workers (unreadable ones too); none was extracted here.
    assert sent == [files] and here == [] and stats["facts"] == files - 1
    sent.clear()

    root = _tree(tmp_path, "cached", kind)
    cold, stats = _run(root, jobs=2, cache=True)
    assert cold == serial and sent == [files] and here == []
    # The workers wrote every readable module's facts: a run that must load all of
    # them (the manifest gone, each file read again) extracts none.
    written = list((root / ".ssot_lint_cache" / "facts").rglob("*.json"))
    assert len(written) == files - 1
    (root / ".ssot_lint_cache" / "findings.json").unlink()
    (root / ".ssot_lint_cache" / "last-run.json").unlink()
    sent.clear()
    again, stats = _run(root, jobs=1, cache=True)
    assert again == serial and sent == [0] and here == [] and stats["facts"] == 0
    # Warm: every content hash is known from its stat record: nothing is read or sent.
    (root / ".ssot_lint_cache" / "last-run.json").unlink()  # (else the unchanged run answers)
    warm, stats = _run(root, jobs=2, cache=True)
    assert warm == serial and sent == [0, 0] and here == [] and stats["cached"] == files - 1
    # Unchanged: the last run's stamp holds; no facts phase at all.
    unchanged, stats = _run(root, jobs=2, cache=True)
    assert unchanged == serial and sent == [0, 0] and here == [] and stats["unchanged"] == 1
