"""The unchanged run (``run.unchanged``): when no file's stat and no setting changed since the
last full check, its findings are reported without the manifest, the facts or the index.

Every test compares what it reports with a run without the cache, and checks which path the
run took (``stats["unchanged"]``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_module_rows import project, run
from warm_cold import findings, write_tree

from ssot_lint.config import load_config
from ssot_lint.engine import Linter, RunOptions
from ssot_lint.registry import load_rules

LAST_RUN = Path(".ssot_lint_cache") / "last-run.json"


@pytest.fixture(autouse=True)
def _no_racy_window(monkeypatch):
    """A file is given a stat record only when it was written well before the run (2 s:
    ``cache.RACY_NS``); the tests write files just before. Without the window, every file
    written before the run started gets one (the last test puts the window back)."""
    monkeypatch.setattr("ssot_lint.cache.RACY_NS", 0)


def _run(root: Path, paths: list[str] | None = None, select: list[str] | None = None) -> tuple[list[tuple], dict]:
    linter = Linter(load_config(root), load_rules(), select=select, options=RunOptions(jobs=1, use_cache=True))
    result = linter.run(paths or [str(root)])
    found = [(d.code, d.path, d.range.start.line, d.range.start.column, d.message) for d in result.diagnostics]
    return found, linter.stats


def _tree(tmp_path: Path) -> tuple[Path, dict[str, str], list[tuple]]:
    root = tmp_path / "p"
    files = project()
    write_tree(root, files)
    cold, stats = run(root)
    assert cold and "unchanged" not in stats
    assert (root / LAST_RUN).is_file()
    return root, files, cold


def test_nothing_changed_reports_the_last_findings_without_the_manifest(tmp_path, monkeypatch):
    root, _, cold = _tree(tmp_path)

    def no_manifest(self, tool):
        raise AssertionError("the manifest is read")

    monkeypatch.setattr("ssot_lint.cache.Cache.load_manifest", no_manifest)
    warm, stats = _run(root)
    assert warm == cold
    assert stats["unchanged"] == 1 and stats["linted"] == 0 and stats["facts_loaded"] == 0


def test_an_edit_anywhere_takes_the_incremental_run(tmp_path):
    root, files, cold = _tree(tmp_path)
    write_tree(root, {**files, "app/user.py": files["app/user.py"] + "\n\ndef more():\n    return 1\n"})
    after, stats = _run(root)
    assert "unchanged" not in stats and stats["linted"] >= 1
    assert after == findings(root, cache=False) == cold


def test_a_file_added_or_removed_takes_the_incremental_run(tmp_path):
    root, files, cold = _tree(tmp_path)
    write_tree(root, {**files, "app/extra.py": "class UserSessionTracker:\n    _sessions: dict = {}\n"})
    added, stats = _run(root)
    assert "unchanged" not in stats
    assert added == findings(root, cache=False)
    _run(root)
    write_tree(root, files)
    removed, stats = _run(root)
    assert "unchanged" not in stats
    assert removed == findings(root, cache=False) == cold


def test_other_settings_or_targets_take_the_incremental_run(tmp_path):
    root, _, cold = _tree(tmp_path)
    only, stats = _run(root, select=["SSOT009"])
    assert "unchanged" not in stats
    assert only == [f for f in cold if f[0] == "SSOT009"]
    one, stats = _run(root, paths=[str(root / "app" / "engine.py")])
    assert "unchanged" not in stats
    assert one == [f for f in cold if f[1] == "app/engine.py"]
    # The last full check of the same targets and settings is the one kept.
    again, stats = _run(root, paths=[str(root / "app" / "engine.py")])
    assert again == one and stats.get("unchanged") == 1


def test_a_hostile_or_damaged_stamp_is_ignored(tmp_path):
    root, _, cold = _tree(tmp_path)
    raw = json.loads((root / LAST_RUN).read_text())
    for value in (
        {"__class__": "os.system", "args": ["echo hacked"]},
        [raw[3][0], {"app/engine.py": [{"code": "SSOT999"}]}, []],
        "not a stamp",
    ):
        (root / LAST_RUN).write_text(json.dumps([*raw[:3], value]))
        warm, stats = _run(root)
        assert warm == cold and "unchanged" not in stats
    # A stamp whose key matches but that names a file no longer there is not reported.
    raw[3][1]["app/gone.py"] = raw[3][1]["app/engine.py"]
    (root / LAST_RUN).write_text(json.dumps(raw))
    warm, stats = _run(root)
    assert warm == cold and "unchanged" not in stats


def test_a_run_with_a_file_it_did_not_verify_keeps_no_stamp(tmp_path, monkeypatch):
    """A file written just before the run has no stat record (its next edit could keep
    the same stat): the run keeps no stamp, and the next one is incremental."""
    root, files, cold = _tree(tmp_path)
    monkeypatch.setattr("ssot_lint.cache.RACY_NS", 2_000_000_000)
    write_tree(root, {**files, "app/leaf03.py": files["app/leaf03.py"] + "# fresh\n"})
    _run(root)
    assert not (root / LAST_RUN).exists()
    again, stats = _run(root)
    assert "unchanged" not in stats and again == cold


def test_a_stamp_kept_by_a_warm_run_is_matched(tmp_path):
    """A warm run verifies each file against the stat record the manifest kept, and keeps a
    stamp from those records: the next run takes the unchanged path."""
    root, _, cold = _tree(tmp_path)
    (root / LAST_RUN).unlink()
    warm, stats = _run(root)
    assert warm == cold and "unchanged" not in stats and stats["linted"] == 0
    again, stats = _run(root)
    assert again == cold and stats.get("unchanged") == 1


def test_the_unchanged_run_reports_what_the_incremental_run_reports(tmp_path):
    """Everything a reporter gets: the findings, the files, and the text of each file with a
    finding for its code frame (none for a file that cannot be decoded, whose SSOT000 says
    why), the same as when the run goes through the manifest."""
    root = tmp_path / "p"
    files = project({"app/bad_coding.py": "# -*- coding: no-such-codec -*-\nx = 1\n"})
    write_tree(root, files)
    linter = Linter(load_config(root), load_rules(), options=RunOptions(jobs=1, use_cache=True))
    cold = linter.run([str(root)])
    assert any(d.path == "app/bad_coding.py" for d in cold.diagnostics)
    assert "app/bad_coding.py" not in cold.sources and "app/engine.py" in cold.sources
    linter = Linter(load_config(root), load_rules(), options=RunOptions(jobs=1, use_cache=True))
    warm = linter.run([str(root)])
    assert linter.stats.get("unchanged") == 1
    assert (warm.files, warm.diagnostics, warm.sources, warm.errors) == (
        cold.files,
        cold.diagnostics,
        cold.sources,
        cold.errors,
    )


def test_a_pre_commit_run_with_dependents_is_answered_the_same(tmp_path):
    """``check FILE`` with dependents (pre-commit): the stamp is of the files named; the
    unchanged run gives the same files, dependents and findings."""
    root = tmp_path / "p"
    write_tree(root, project())
    _run(root)

    def pre_commit() -> tuple:
        linter = Linter(load_config(root), load_rules(), options=RunOptions(jobs=1, dependents=True, use_cache=True))
        result = linter.run([str(root / "app" / "engine.py")])
        return (result.files, result.dependents, result.diagnostics, result.sources), linter.stats

    first, stats = pre_commit()
    assert "unchanged" not in stats and "app/user.py" in first[1]
    again, stats = pre_commit()
    assert stats.get("unchanged") == 1 and again == first


def test_the_reference_package_is_parsed_once_then_read_from_the_cache(tmp_path, monkeypatch):
    """Every Linter builds the reference contract. A run keeps the reference modules' facts
    in the cache (``reference/``, apart from the project's facts), and the next Linter reads
    them instead of extracting them; building a Linter writes nothing."""
    import ssot_lint.engine

    root = tmp_path / "p"
    write_tree(root, project())
    extracted: list[str] = []
    real = ssot_lint.engine.extract_facts
    monkeypatch.setattr(ssot_lint.engine, "extract_facts", lambda *a: extracted.append(a[1]) or real(*a))
    linter = Linter(load_config(root), load_rules(), options=RunOptions(jobs=1, use_cache=True))
    assert extracted and not (root / ".ssot_lint_cache").exists()
    cold = linter.run([str(root)])
    assert list((root / ".ssot_lint_cache" / "reference").rglob("*.json"))
    extracted.clear()
    linter = Linter(load_config(root), load_rules(), options=RunOptions(jobs=1, use_cache=True))
    assert extracted == []
    assert linter.base_contract == Linter(load_config(root), load_rules(), options=RunOptions(use_cache=False)).contract
    assert linter.run([str(root)]).diagnostics == cold.diagnostics
