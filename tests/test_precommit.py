"""pre-commit, for real: the hooks of this checkout run in a temporary git repository.

The temporary repository's `.pre-commit-config.yaml` names this checkout as its `repo`,
pinned at its HEAD commit, exactly as a user pins a release: pre-commit clones it, reads
`.pre-commit-hooks.yaml` and builds the hooks' own virtualenv (`language: python`: a pip
install, so it needs PyPI or a mirror). The environment is built once for the module
(`pre-commit try-repo` would rebuild it on every call). The `repo: local` variant runs the
ssot-lint installed next to the tests. Skipped, with the reason, when git or pre-commit
is missing (CI installs both), or when this is not a git checkout.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import REPO

GIT = shutil.which("git")
HAVE_PRE_COMMIT = importlib.util.find_spec("pre_commit") is not None

pytestmark = [
    pytest.mark.skipif(GIT is None, reason="git is not installed (CI installs it in .ci/run)"),
    pytest.mark.skipif(not HAVE_PRE_COMMIT, reason="pre-commit is not installed (it is in the dev extra)"),
]

# The factory function makes `ExecutionEngine` factory-managed (inferred by the contract).
ENGINE = (
    "class ExecutionEngine:\n    def __init__(self, ctx):\n        self.ctx = ctx\n\n\n"
    "def create_engine_for_user(ctx: 'UserExecutionContext'):\n    return ExecutionEngine(ctx)\n"
)
VIOLATING = "from app.engine import ExecutionEngine\n\n\ndef build(ctx):\n    return ExecutionEngine(ctx)\n"
FIXED = "def build(ctx, factory):\n    return factory.create_for_user(ctx)\n"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run([GIT, *args], cwd=cwd, check=True, capture_output=True)


def _pre_commit(cwd: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1", "PRE_COMMIT_COLOR": "never"}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "service"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "engine.py").write_text(ENGINE)
    (root / "app" / "routes.py").write_text(VIOLATING)
    _git(root, "init", "-q")
    _git(root, "config", "user.email", "test@example.com")
    _git(root, "config", "user.name", "test")
    _git(root, "config", "commit.gpgsign", "false")
    return root


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory):
    return tmp_path_factory.mktemp("pre-commit-home")


def _fix(root: Path) -> None:
    (root / "app" / "routes.py").write_text(FIXED)
    _git(root, "add", "-A")


@pytest.fixture(scope="module")
def head() -> str:
    proc = subprocess.run([GIT, "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"{REPO} is not a git checkout: pre-commit clones the hook repository with git")
    return proc.stdout.strip()


def _use_this_checkout(root: Path, head: str, hook: str) -> None:
    (root / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {REPO.as_posix()}\n    rev: {head}\n    hooks:\n      - id: {hook}\n"
    )
    _git(root, "add", "-A")


def test_hook_fails_on_finding_then_passes(repo, pre_commit_home, head):
    _use_this_checkout(repo, head, "ssot-lint")
    proc = _pre_commit(repo, pre_commit_home, "run", "--all-files")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "ssot-lint" in out and "Failed" in out
    assert "app/routes.py:5:12 SSOT001" in out
    _fix(repo)
    proc = _pre_commit(repo, pre_commit_home, "run", "--all-files")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "Passed" in out and "SSOT001" not in out


def test_fix_hook_fixes_then_passes(repo, pre_commit_home, head):
    _use_this_checkout(repo, head, "ssot-lint-fix")
    routes = repo / "app" / "routes.py"
    routes.write_text("def build(ctx, factory):  # noqa: SSOT001\n    return factory.create_for_user(ctx)\n")
    _git(repo, "add", "-A")
    proc = _pre_commit(repo, pre_commit_home, "run", "--all-files")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out  # it changed the file: the commit must be redone
    assert "files were modified by this hook" in out
    assert routes.read_text() == FIXED
    _git(repo, "add", "-A")
    proc = _pre_commit(repo, pre_commit_home, "run", "--all-files")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_local_hook_with_installed_ssot_lint(repo, pre_commit_home):
    entry = f"{sys.executable} -m ssot_lint check --format concise"
    (repo / ".pre-commit-config.yaml").write_text(
        textwrap.dedent(
            f"""\
            repos:
              - repo: local
                hooks:
                  - id: ssot-lint
                    name: ssot-lint
                    entry: {entry}
                    language: system
                    types: [python]
                    require_serial: true
            """
        )
    )
    _git(repo, "add", "-A")
    proc = _pre_commit(repo, pre_commit_home, "run", "--all-files")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "app/routes.py:5:12: SSOT001" in out
    _fix(repo)
    proc = _pre_commit(repo, pre_commit_home, "run", "--all-files")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout
