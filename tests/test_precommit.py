"""pre-commit, for real: the hook of this checkout runs in a temporary git repository.

`pre-commit try-repo` builds the hook's own virtualenv from this checkout
(`.pre-commit-hooks.yaml`, `language: python`: a pip install, so it needs PyPI or a
mirror); the `repo: local` variant runs the ssot-lint installed next to the tests.
Skipped, with the reason, when git or pre-commit is missing (CI installs both).
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

ENGINE = "class ExecutionEngine:\n    def __init__(self, ctx):\n        self.ctx = ctx\n"
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


def test_try_repo_hook_fails_on_finding_then_passes(repo, pre_commit_home):
    if subprocess.run([GIT, "-C", str(REPO), "rev-parse", "--git-dir"], capture_output=True).returncode != 0:
        pytest.skip(f"{REPO} is not a git checkout; `pre-commit try-repo` needs one")
    (repo / ".pre-commit-config.yaml").write_text("repos: []\n")
    _git(repo, "add", "-A")
    proc = _pre_commit(repo, pre_commit_home, "try-repo", str(REPO), "ssot-lint", "--all-files")
    out = proc.stdout + proc.stderr
    if "Installing environment" in out and proc.returncode not in (0, 1):
        pytest.fail(f"pre-commit could not build the hook environment:\n{out}")
    assert proc.returncode == 1, out
    assert "ssot-lint" in out and "Failed" in out
    assert "app/routes.py:5:12 SSOT001" in out
    _fix(repo)
    proc = _pre_commit(repo, pre_commit_home, "try-repo", str(REPO), "ssot-lint", "--all-files")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "Passed" in out and "SSOT001" not in out


def test_try_repo_fix_hook_fixes_then_passes(repo, pre_commit_home):
    if subprocess.run([GIT, "-C", str(REPO), "rev-parse", "--git-dir"], capture_output=True).returncode != 0:
        pytest.skip(f"{REPO} is not a git checkout; `pre-commit try-repo` needs one")
    routes = repo / "app" / "routes.py"
    routes.write_text("def build(ctx, factory):  # noqa: SSOT001\n    return factory.create_for_user(ctx)\n")
    _git(repo, "add", "-A")
    proc = _pre_commit(repo, pre_commit_home, "try-repo", str(REPO), "ssot-lint-fix", "--all-files")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out  # it changed the file: the commit must be redone
    assert "files were modified by this hook" in out
    assert routes.read_text() == FIXED
    _git(repo, "add", "-A")
    proc = _pre_commit(repo, pre_commit_home, "try-repo", str(REPO), "ssot-lint-fix", "--all-files")
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
