"""Shared helpers: run the real CLI as a subprocess, read fixture markers."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
SCHEMA = REPO / "ssot_lint" / "schemas" / "diagnostics.schema.json"
MARKER_RE = re.compile(r"#\s*expect:\s*(?P<codes>[A-Z0-9]+(?:\s*,\s*[A-Z0-9]+)*)")


def run_cli(*args: str, cwd: Path | str | None = None, input: str | bytes | None = None, env: dict | None = None):
    """Run ``python -m ssot_lint`` as a real subprocess."""
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    if isinstance(input, str):
        input = input.encode("utf-8")
    return subprocess.run(
        [sys.executable, "-m", "ssot_lint", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        env=full_env,
        timeout=300,
    )


def load_test_plugins():
    """The test-only rule pack (tests/plugins), loaded from its file: putting its folder on
    sys.path would make its entry point visible to every other test in this process."""
    import importlib.util

    if "ssot_test_plugins" in sys.modules:
        return sys.modules["ssot_test_plugins"]
    init = Path(__file__).parent / "plugins" / "ssot_test_plugins" / "__init__.py"
    spec = importlib.util.spec_from_file_location("ssot_test_plugins", init)
    module = importlib.util.module_from_spec(spec)
    sys.modules["ssot_test_plugins"] = module
    spec.loader.exec_module(module)
    return module


def expected_markers(project: Path) -> set[tuple[str, str, int]]:
    """(code, path, line) for every ``# expect: CODE[, CODE]`` marker in a project."""
    out = set()
    for path in sorted(project.rglob("*.py")):
        rel = path.relative_to(project).as_posix()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = MARKER_RE.search(line)
            if m:
                for code in m.group("codes").split(","):
                    out.add((code.strip(), rel, n))
    return out


def marker_counts(project: Path) -> Counter[str]:
    """How many findings of each code the ``# expect:`` markers of a project promise."""
    return Counter(code for code, _, _ in expected_markers(project))


def copy_fixture(name: str, dest: Path) -> Path:
    """A copy of ``fixtures/<name>`` at ``dest/<name>``, without any cache or bytecode that
    sits in the fixture: tests lint copies with a fresh cache, never the fixtures in place."""
    dst = dest / name
    shutil.copytree(FIXTURES / name, dst, ignore=shutil.ignore_patterns(".ssot_lint_cache", "__pycache__", "*.pyc"))
    return dst


@pytest.fixture(scope="session", autouse=True)
def fixtures_stay_pristine():
    """Tests lint copies of the fixtures (``fixture_copy``), never the fixtures in place:
    a cache the session leaves in ``fixtures/`` is an error."""
    before = set(FIXTURES.rglob(".ssot_lint_cache"))
    yield
    left = sorted(str(p.relative_to(REPO)) for p in set(FIXTURES.rglob(".ssot_lint_cache")) - before)
    assert not left, f"a test linted the fixtures in place and left a cache: {left}"


@pytest.fixture()
def fixture_copy(tmp_path):
    """``fixture_copy("legacy_service")``: a fresh copy of that fixture project for this test."""
    return lambda name: copy_fixture(name, tmp_path)


@pytest.fixture(scope="session")
def json_schema():
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


def validate_json(doc: dict, schema: dict) -> None:
    import jsonschema

    jsonschema.validate(doc, schema)


def prefilter_soundness(rules, rule, root: Path, monkeypatch) -> tuple[set[str], set[str], int]:
    """(files where ``rule.could_fire`` passes, files where the rule reports with the prefilter
    bypassed, files of the project) for the project at ``root``."""
    from ssot_lint.config import load_config
    from ssot_lint.context import RuleContext
    from ssot_lint.engine import Linter

    cfg = load_config(root)
    linter = Linter(cfg, rules, select=[rule.code])
    index, sources, facts, _ = linter.build_index(linter.discover([str(root)]))
    passed = {
        rel
        for rel, fa in facts.items()
        if rule in linter.rules_for(rel)
        and rule.could_fire(
            RuleContext(rel, fa.module, fa, index, cfg, linter.contract, linter.is_test(rel), linter.rule_options)
        )
    }
    monkeypatch.setattr(rule, "could_fire", classmethod(lambda cls, ctx: True))
    flagged = set()
    for rel in sources:
        res = linter.lint_source(sources[rel], facts[rel], index)
        flagged |= {d.path for d in res.diagnostics if d.code == rule.code}
    return passed, flagged, len(facts)


def contract_both_ways(root):
    """The contract inferred through the textual screens, and by reading every module."""
    from ssot_lint.cache import Cache
    from ssot_lint.config import load_config
    from ssot_lint.contract import build_contract
    from ssot_lint.engine import Linter
    from ssot_lint.project import Project
    from ssot_lint.registry import load_rules

    linter = Linter(load_config(root), load_rules())
    files = {f.relpath: f for f in linter.discover([str(root)])}

    def fresh() -> Project:
        return Project(files, {}, Cache(root / ".none", enabled=False))

    screened = fresh()
    with_screen = build_contract(linter.config, screened.index(), linter.is_test, screen=screened.screened)
    without = build_contract(linter.config, fresh().index(), linter.is_test)
    return with_screen, without
