"""Speed machinery: the cache (and what invalidates it), the prefilter, worker processes.

These tests prove behaviour (same findings, what is re-linted); speed itself is measured
by ``benchmarks/lint_speed.py``.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO, run_cli
from test_cli import ENGINE  # a managed class and the factory that makes it managed

import ssot_lint.cache
from ssot_lint.config import load_config
from ssot_lint.engine import Linter, RunOptions
from ssot_lint.registry import LoadedRules, load_rules
from ssot_lint.rule import LintRule

sys.path.insert(0, str(REPO / "benchmarks"))
from legacy_corpus import generate


def write(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    if not (root / "pyproject.toml").exists():
        (root / "pyproject.toml").write_text('[project]\nname = "demo"\n', encoding="utf-8")
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def lint(
    root: Path,
    *,
    jobs: int = 1,
    prefilter: bool = True,
    cache: bool = True,
    rules: LoadedRules | None = None,
    select: list[str] | None = ["SSOT000", "SSOT001"],  # noqa: B006  (never mutated)
):
    options = RunOptions(jobs=jobs, prefilter=prefilter, use_cache=cache)
    linter = Linter(load_config(root), rules or load_rules(), select=select, options=options)
    result = linter.run([str(root)])
    found = [(d.code, d.path, d.range.start.line, d.range.start.column, d.message) for d in result.diagnostics]
    return found, linter.stats, result


def base_project(tmp_path: Path) -> Path:
    return write(
        tmp_path / "proj",
        {
            "app/__init__.py": "",
            "app/engine.py": ENGINE,
            "app/compat.py": "class Legacy:\n    pass\n",
            "app/routes.py": "from app.compat import Legacy\n\n\ndef build(ctx):\n    return Legacy(ctx)\n",
            "app/other.py": "def helper():\n    return 1\n",
        },
    )


def test_warm_run_reuses_every_finding(tmp_path):
    root = write(
        tmp_path / "p",
        {
            "app/__init__.py": "",
            "app/engine.py": ENGINE,
            "app/routes.py": "from app.engine import ExecutionEngine\nx = ExecutionEngine(1)\n",
        },
    )
    cold, stats, _ = lint(root)
    assert stats["linted"] == 3 and stats["cached"] == 0
    warm, stats, _ = lint(root)
    assert warm == cold and [c[:4] for c in warm] == [("SSOT001", "app/routes.py", 2, 5)]
    assert stats["linted"] == 0 and stats["cached"] == 3
    cache = root / ".ssot_lint_cache"
    assert (cache / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (cache / "findings.json").is_file() and any((cache / "facts").rglob("*.json"))


def test_changed_file_is_relinted(tmp_path):
    root = write(
        tmp_path / "p",
        {
            "app/__init__.py": "",
            "app/engine.py": ENGINE,
            "app/routes.py": "from app.engine import ExecutionEngine\nx = 1\n",
        },
    )
    assert lint(root)[0] == []
    write(root, {"app/routes.py": "from app.engine import ExecutionEngine\n\nx = ExecutionEngine(1)\n"})
    found, stats, _ = lint(root)
    assert [f[:3] for f in found] == [("SSOT001", "app/routes.py", 3)]
    assert stats["linted"] == 1


def test_dependency_that_becomes_an_alias_of_a_managed_class(tmp_path):
    """routes.py is unchanged; compat.py turns `Legacy` into the managed engine: routes must be re-linted."""
    root = base_project(tmp_path)
    assert lint(root)[0] == []
    write(root, {"app/compat.py": "from app.engine import ExecutionEngine\n\nLegacy = ExecutionEngine\n"})
    found, stats, _ = lint(root)
    assert [f[:4] for f in found] == [("SSOT001", "app/routes.py", 5, 12)]
    # ... and back: the finding goes away although routes.py never changed.
    write(root, {"app/compat.py": "class Legacy:\n    pass\n"})
    assert lint(root)[0] == []
    # An edit that changes nothing the others depend on re-lints only the edited file.
    write(root, {"app/other.py": "def helper():\n    return 2\n"})
    found, stats, _ = lint(root)
    assert found == [] and stats["linted"] == 1 and stats["cached"] == 4


def test_dependency_whose_kind_changes_through_a_reexport(tmp_path):
    root = write(
        tmp_path / "p",
        {
            "app/__init__.py": "",
            "app/engine.py": ENGINE,
            "app/api.py": "from app.engine import ExecutionEngine\n",
            "app/routes.py": "from app import api\n\n\ndef build(ctx):\n    return api.ExecutionEngine(ctx)\n",
        },
    )
    assert [f[:3] for f in lint(root)[0]] == [("SSOT001", "app/routes.py", 5)]
    # api.py now defines its own (unmanaged) class under another name and re-exports nothing.
    write(root, {"app/api.py": "class ExecutionEngineStub:\n    pass\n"})
    assert lint(root)[0] == []
    write(root, {"app/api.py": "from app.engine import ExecutionEngine\n"})
    assert [f[:3] for f in lint(root)[0]] == [("SSOT001", "app/routes.py", 5)]


def test_new_module_changes_resolution(tmp_path):
    root = write(
        tmp_path / "p",
        {
            "app/__init__.py": "",
            "app/engine.py": ENGINE,
            "app/routes.py": "from app.extra import ExecutionEngine\nx = ExecutionEngine(1)\n",
        },
    )
    assert lint(root)[0] == []  # app.extra does not exist: nothing to resolve
    write(root, {"app/extra.py": "from app.engine import ExecutionEngine\n"})
    assert [f[:3] for f in lint(root)[0]] == [("SSOT001", "app/routes.py", 2)]


def test_changed_config_invalidates(tmp_path):
    root = write(
        tmp_path / "p",
        {
            "app/__init__.py": "",
            "app/engine.py": ENGINE,
            "app/routes.py": "from app.engine import ExecutionEngine\nx = ExecutionEngine(1)\n",
        },
    )
    assert len(lint(root)[0]) == 1
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n[tool.ssot-lint.contract]\ninfer = false\n', encoding="utf-8"
    )
    found, stats, _ = lint(root)
    assert found == [] and stats["cached"] == 0
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n[tool.ssot-lint]\nignore = ["SSOT001"]\n')
    assert lint(root)[0] == []
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    assert len(lint(root)[0]) == 1


def test_changed_tool_version_invalidates(tmp_path, monkeypatch):
    root = base_project(tmp_path)
    lint(root)
    assert lint(root)[1]["cached"] == 5
    monkeypatch.setattr(ssot_lint.cache, "__version__", "99.0.0")
    found, stats, _ = lint(root)
    assert stats["cached"] == 0 and stats["linted"] == 5
    assert lint(root)[1]["cached"] == 5


def test_corrupt_and_foreign_cache_files_are_ignored_and_rebuilt(tmp_path):
    root = write(
        tmp_path / "p",
        {
            "app/__init__.py": "",
            "app/engine.py": ENGINE,
            "app/routes.py": "from app.engine import ExecutionEngine\nx = ExecutionEngine(1)\n",
        },
    )
    expected = lint(root)[0]
    cache = root / ".ssot_lint_cache"
    facts_files = sorted((cache / "facts").rglob("*.json"))
    for f in facts_files:
        f.write_bytes(b"\x80\x05garbage")
    (cache / "findings.json").write_bytes(b"not JSON at all")
    (cache / "last-run.json").write_bytes(b"not JSON either")
    found, stats, _ = lint(root)
    assert found == expected and stats["cached"] == 0
    assert lint(root)[1]["cached"] == 3  # rebuilt
    # Well-formed JSON of something else (another tool, another format, another shape) is not trusted either.
    (cache / "findings.json").write_text(json.dumps(["other-tool", 1, {"app/routes.py": []}]))
    (cache / "last-run.json").write_text(json.dumps(["other-tool", 1, {"app/routes.py": []}]))
    facts_files[0].write_text(json.dumps(["ssot-lint-cache", 3, "wrong-key", []]))
    facts_files[1].write_text(json.dumps(["ssot-lint-cache", 3, facts_files[1].stem, ["not", "facts"]]))
    found, stats, _ = lint(root)
    assert found == expected and stats["cached"] == 0


def test_no_cache_writes_nothing(tmp_path):
    root = base_project(tmp_path)
    proc = run_cli("check", str(root), "--no-cache")
    assert proc.returncode == 0, proc.stderr.decode()
    assert not (root / ".ssot_lint_cache").exists()


def test_cache_dir_from_config(tmp_path):
    root = base_project(tmp_path)
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n[tool.ssot-lint]\ncache-dir = "build/lint-cache"\n')
    assert run_cli("check", str(root)).returncode == 0
    assert (root / "build" / "lint-cache" / "findings.json").is_file()
    assert not (root / ".ssot_lint_cache").exists()


def _json(root: Path, *args: str) -> dict:
    proc = run_cli("check", str(root), "--format", "json", "--exit-zero", *args)
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("corpus") / "legacy"
    generate(out, lines=25_000, seed=11, module_lines=200, legacy_share=0.15)
    return out


@pytest.mark.parametrize("project", ["legacy_service", "clean_service", "corpus"])
def test_prefilter_never_drops_a_finding(project, corpus):
    root = corpus if project == "corpus" else FIXTURES / project
    with_prefilter = _json(root, "--no-cache")
    without = _json(root, "--no-cache", "--no-prefilter")
    assert with_prefilter == without
    if project != "clean_service":
        assert with_prefilter["diagnostics"]


@pytest.mark.parametrize("project", ["legacy_service", "corpus"])
def test_jobs_1_and_jobs_2_give_identical_output(project, corpus):
    root = corpus if project == "corpus" else FIXTURES / project
    one = run_cli("check", str(root), "--no-cache", "--jobs", "1")
    two = run_cli("check", str(root), "--no-cache", "--jobs", "2")
    assert one.returncode == two.returncode == 1
    assert one.stdout == two.stdout and one.stdout


def test_corpus_findings_match_its_markers(corpus):
    from conftest import expected_markers

    doc = _json(corpus, "--no-cache", "--select", "SSOT001")
    found = {(d["code"], d["path"], d["range"]["start"]["line"]) for d in doc["diagnostics"]}
    assert found == {m for m in expected_markers(corpus) if m[0] == "SSOT001"}


def test_warm_cache_with_workers_matches_cold(corpus, tmp_path):
    import shutil

    root = tmp_path / "c"
    shutil.copytree(corpus, root)
    cold, stats, _ = lint(root, jobs=2, select=None)
    assert stats["linted"] == stats["files"]
    warm, stats, _ = lint(root, jobs=2, select=None)
    assert warm == cold and stats["linted"] == 0
    # One file changed: it is re-linted, the rest comes from the cache.
    victim = sorted(root.rglob("generated/*.py"))[3]
    victim.write_text(victim.read_text() + "\n_bench_edit = 1\n")
    again, stats, _ = lint(root, jobs=2, select=None)
    # Files whose rules read project-wide tables (recorded as "*") are re-linted too.
    assert again == cold and 1 <= stats["linted"] < stats["files"]


def _double_doc(what: str) -> str:
    """The docs every rule carries, for a test double that does ``what``."""
    return f"## What it does\n{what} (a test double).\n\n## Why is this bad?\nIt is not.\n\n## Example\n```python\nx = 1\n```\n\n## Fix\nNone.\n"


class _DiesInWorkers(LintRule):
    __doc__ = _double_doc("Kills the worker process that runs it")

    code = "TEST901"
    name = "dies-in-workers"
    summary = "kills worker processes"
    MAIN_PID = os.getpid()

    def visit_Module(self, node) -> None:
        if os.getpid() != self.MAIN_PID:
            os._exit(3)
        self.report(node, "visited in the main process")


def test_a_dying_worker_does_not_hang_the_run(corpus):
    rules = LoadedRules(load_rules().rules + (_DiesInWorkers,))
    linter = Linter(load_config(corpus), rules, select=["TEST901"], options=RunOptions(jobs=2, use_cache=False))
    result = linter.run([str(corpus)])
    # Every file was linted again in the main process after the workers died.
    assert len(result.diagnostics) == len(result.files) and not result.errors


class _SaysWhere(LintRule):
    __doc__ = _double_doc("Reports the process that lints each file")

    code = "TEST902"
    name = "says-where"
    summary = "reports the linting process"

    def visit_Module(self, node) -> None:
        self.report(node, f"linted in {os.getpid()}")


def test_the_main_process_lints_its_share_beside_one_forked_worker(corpus):
    """With two jobs, the main process is one of them: it lints batches itself, beside a
    single forked worker (a worker's memory grows apart from the main process's; one
    fewer is that much less). The findings are those of one process."""
    rules = LoadedRules(load_rules().rules + (_SaysWhere,))

    def where(jobs: int) -> list[tuple[str, str]]:
        linter = Linter(load_config(corpus), rules, select=["TEST902"], options=RunOptions(jobs=jobs, use_cache=False))
        result = linter.run([str(corpus)])
        assert not result.errors
        return [(d.path, d.message.rsplit(" ", 1)[1]) for d in result.diagnostics]

    shared = where(2)
    pids = {pid for _, pid in shared}
    assert str(os.getpid()) in pids and len(pids) == 2, pids
    mine = sum(1 for _, pid in shared if pid == str(os.getpid()))
    assert 5 < mine < len(shared) - 5, (mine, len(shared))  # both did a real share
    assert sorted(path for path, _ in shared) == sorted(path for path, _ in where(1))


def test_progress_bar_only_on_a_tty(monkeypatch):
    import io

    from ssot_lint.cli import _progress_bar

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    with _progress_bar(delay=0) as progress:
        assert progress is None  # not a terminal: no bar at all
    tty = Tty()
    monkeypatch.setattr(sys, "stderr", tty)
    monkeypatch.delenv("SSOT_LINT_NO_PROGRESS", raising=False)
    with _progress_bar(delay=0) as progress:
        progress(1, 10)
        progress(5, 10)
    assert "linting" in tty.getvalue() and "5/10" in tty.getvalue()
    quiet = Tty()
    monkeypatch.setattr(sys, "stderr", quiet)
    with _progress_bar(delay=60) as progress:
        progress(1, 10)  # a run shorter than the delay shows nothing
    assert quiet.getvalue() == ""


def test_index_records_dependencies_also_through_memoised_lookups():
    from ssot_lint.facts import extract_facts
    from ssot_lint.index import ProjectIndex

    sources = {
        "a": "class Base:\n    def run(self):\n        pass\n",
        "b": "from a import Base\n\nclass Mid(Base):\n    pass\n",
        "x": "from b import Mid\n",
        "y": "from b import Mid\n",
        "lonely": "z = 1\n",
    }
    loads: list[str] = []

    def loader(name: str):
        loads.append(name)
        return extract_facts(sources[name], name, f"{name}.py", False)

    index = ProjectIndex(names=list(sources), loader=loader)
    assert loads == []  # nothing is read before a lookup needs it
    for mod in ("x", "y"):
        index.start_recording()
        target = index.resolve(mod, "", "Mid.run")
        deps = index.stop_recording()
        assert target is not None and target.fullname == "a.Base.run"
        # By name slice (``ssot_lint.slices``): each module's header and the names read.
        assert deps == {"a#", "a#Base", "b#", "b#Base", "b#Mid", f"{mod}#", f"{mod}#Mid"}
    assert "lonely" not in loads
    # The class hierarchy is a dependency (its value), plus the subclasses' slices.
    base = index.definition("a", "Base")
    for _ in range(2):  # the table is built once; every call records
        index.start_recording()
        assert [d.fullname for d in index.subclasses(base)] == ["b.Mid"]
        assert index.stop_recording() == {"@table:class-hierarchy:", "b#", "b#Mid"}


def test_class_becomes_managed_or_unmanaged_through_its_factory(tmp_path):
    """Only the factory module changes; the contract (inferred) and so routes.py's finding follow."""
    root = write(
        tmp_path / "p",
        {
            "app/__init__.py": "",
            "app/engine.py": ENGINE,
            "app/routes.py": "from app.engine import ExecutionEngine\nx = ExecutionEngine(1)\n",
        },
    )
    assert [f[:3] for f in lint(root)[0]] == [("SSOT001", "app/routes.py", 2)]
    write(root, {"app/engine.py": "class ExecutionEngine:\n    def __init__(self, ctx):\n        self.ctx = ctx\n"})
    assert lint(root)[0] == []
    write(root, {"app/engine.py": ENGINE})
    assert [f[:3] for f in lint(root)[0]] == [("SSOT001", "app/routes.py", 2)]
