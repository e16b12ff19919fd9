"""pre-commit, for real: the hooks of this working tree run in a temporary git repository.

The working tree (committed or not) is copied into a temporary git repository and
committed there; a service repository's `.pre-commit-config.yaml` then names that copy
as its `repo`, pinned at the copy's commit SHA, which is the form the README documents
for a release-less checkout. pre-commit clones it, reads `.pre-commit-hooks.yaml` and
builds the hooks' own virtualenv (`language: python`: a pip install, so it needs a
package index or a local mirror); the environment is built once for the module. The
README's `repo: local` snippet is run verbatim with the ssot-lint installed next to
the tests. Skipped, with the reason, when git or pre-commit is missing, or when no
package index can be reached (checked first, with a short timeout).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

GIT = shutil.which("git")
HAVE_PRE_COMMIT = importlib.util.find_spec("pre_commit") is not None
# Building the hook environment installs libcst & co. from the index: generous but bounded.
BUILD_TIMEOUT = 300
RUN_TIMEOUT = 120

pytestmark = [
    pytest.mark.skipif(GIT is None, reason="git is not installed (.ci/run requires it)"),
    pytest.mark.skipif(not HAVE_PRE_COMMIT, reason="pre-commit is not installed (it is in the dev extra)"),
]

# The factory function makes `ExecutionEngine` factory-managed (inferred by the contract).
ENGINE = (
    "class ExecutionEngine:\n    def __init__(self, ctx):\n        self.ctx = ctx\n\n\n"
    "def create_engine_for_user(ctx: 'UserExecutionContext'):\n    return ExecutionEngine(ctx)\n"
)
VIOLATING = "from app.engine import ExecutionEngine\n\n\ndef build(ctx):\n    return ExecutionEngine(ctx)\n"
FIXED = "def build(ctx, factory):\n    return factory.create_for_user(ctx)\n"
# The case: routes.py awaits services.save_user; a commit turns it into a plain def.
SERVICES = 'async def save_user(user):\n    return {"user": user}\n'
ROUTES = (
    "from app.services import save_user\n\n\n"
    "async def create(user):\n    user = dict(user)\n    user['ok'] = True\n    await save_user(user)\n"
)
# Files the copy of the working tree leaves out (never part of a clean clone).
SKIP_DIRS = {
    ".git",
    ".venv",
    "venv",
    "__pycache__",
    ".pytest_cache",
    ".hypothesis",
    ".ssot_lint_cache",
    "build",
    "dist",
}


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run([GIT, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def _init(root: Path) -> None:
    _git(root, "init", "-q")
    _git(root, "config", "user.email", "test@example.com")
    _git(root, "config", "user.name", "test")
    _git(root, "config", "commit.gpgsign", "false")


def _commit(root: Path, message: str = "commit") -> str:
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "--allow-empty", "-m", message)
    return _git(root, "rev-parse", "HEAD").strip()


def _pre_commit(cwd: Path, home: Path, *args: str, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess:
    # The hooks' `language: system` entries find the ssot-lint installed next to the tests.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1", "PRE_COMMIT_COLOR": "never", "PATH": path}
    try:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"pre-commit {' '.join(args)} took more than {timeout} s: {exc.stdout}{exc.stderr}")


@pytest.fixture(scope="module")
def index_reachable(tmp_path_factory) -> None:
    """Skip when pip cannot reach a package index (pre-commit installs the hook with pip)."""
    dest = tmp_path_factory.mktemp("pip-probe")
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--quiet",
        "--dest",
        str(dest),
        "--timeout",
        "5",
        "--retries",
        "0",
        "libcst",
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.skip("no package index reachable: `pip download libcst` took more than 60 s")
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        pytest.skip(f"no package index reachable (pre-commit pip-installs the hook): {last}")


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> tuple[Path, str]:
    """A git repository holding this working tree as one commit: (path, SHA)."""
    dest = tmp_path_factory.mktemp("hook-repo") / "ssot-lint"
    proc = subprocess.run(
        [GIT, "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"], capture_output=True
    )
    if proc.returncode == 0:
        files = [f for f in proc.stdout.decode().split("\0") if f and (REPO / f).is_file()]
    else:  # not a git checkout (a copy of one): every file outside caches and virtualenvs
        files = [
            p.relative_to(REPO).as_posix()
            for p in REPO.rglob("*")
            if p.is_file() and not SKIP_DIRS & set(p.relative_to(REPO).parts)
        ]
    for rel in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, target)
    _init(dest)
    return dest, _commit(dest, "working tree")


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory):
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def service(tmp_path):
    root = tmp_path / "service"
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'service'\n")
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "engine.py").write_text(ENGINE)
    (root / "app" / "routes.py").write_text(VIOLATING)
    _init(root)
    return root


def _use(root: Path, hook_repo: tuple[Path, str], hook: str) -> None:
    repo, sha = hook_repo
    (root / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo.as_posix()}\n    rev: {sha}\n    hooks:\n      - id: {hook}\n"
    )
    _git(root, "add", "-A")


def _fix(root: Path) -> None:
    (root / "app" / "routes.py").write_text(FIXED)
    _git(root, "add", "-A")


def test_hook_fails_on_finding_then_passes(service, pre_commit_home, hook_repo, index_reachable):
    _use(service, hook_repo, "ssot-lint")
    proc = _pre_commit(service, pre_commit_home, "run", "--all-files", timeout=BUILD_TIMEOUT)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "ssot-lint" in out and "Failed" in out
    assert "app/routes.py:5:12 SSOT001" in out
    _fix(service)
    proc = _pre_commit(service, pre_commit_home, "run", "--all-files")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "Passed" in out and "SSOT001" not in out


def test_hook_reports_the_unchanged_caller_of_a_changed_file(service, pre_commit_home, hook_repo, index_reachable):
    """The issue's case: `async def save_user` becomes a `def`; pre-commit names only
    services.py, and the hook still fails on the await in the unchanged routes.py."""
    (service / "app" / "routes.py").write_text(ROUTES)
    (service / "app" / "services.py").write_text(SERVICES)
    _use(service, hook_repo, "ssot-lint")
    _commit(service, "async save_user")
    proc = _pre_commit(service, pre_commit_home, "run", "--files", "app/services.py", timeout=BUILD_TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (service / "app" / "services.py").write_text(SERVICES.replace("async def", "def"))
    _git(service, "add", "-A")
    proc = _pre_commit(service, pre_commit_home, "run", "--files", "app/services.py")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "app/routes.py:7:5 SSOT003" in out
    assert "Found 1 finding (1 in files that import the ones given)" in out


def test_hook_respects_exclude_for_named_files(service, pre_commit_home, hook_repo, index_reachable):
    """pre-commit names every file: the hooks pass --force-exclude, so `exclude` still holds."""
    (service / "pyproject.toml").write_text(
        "[project]\nname = 'service'\n[tool.ssot-lint]\nexclude = ['app/routes.py']\n"
    )
    _use(service, hook_repo, "ssot-lint")
    proc = _pre_commit(service, pre_commit_home, "run", "--all-files", timeout=BUILD_TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_fix_hook_fixes_then_passes(service, pre_commit_home, hook_repo, index_reachable):
    _use(service, hook_repo, "ssot-lint-fix")
    routes = service / "app" / "routes.py"
    routes.write_text("def build(ctx, factory):  # noqa: SSOT001\n    return factory.create_for_user(ctx)\n")
    _git(service, "add", "-A")
    proc = _pre_commit(service, pre_commit_home, "run", "--all-files", timeout=BUILD_TIMEOUT)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out  # it changed the file: the commit must be redone
    assert "files were modified by this hook" in out
    assert routes.read_text() == FIXED
    _git(service, "add", "-A")
    proc = _pre_commit(service, pre_commit_home, "run", "--all-files")
    assert proc.returncode == 0, proc.stdout + proc.stderr


README_URL = "https://github.com/your-org/ssot-lint"
README_REV = "<commit SHA>"


def readme_pre_commit_configs() -> list[str]:
    """The `.pre-commit-config.yaml` blocks of the README's pre-commit section."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## pre-commit\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```yaml\n(.*?)```", section, re.S)


def test_readme_local_snippet_works_verbatim(service, pre_commit_home):
    """The README's `repo: local` configuration, as written, with ssot-lint installed."""
    (local,) = [c for c in readme_pre_commit_configs() if "repo: local" in c]
    (service / ".pre-commit-config.yaml").write_text(local)
    _git(service, "add", "-A")
    proc = _pre_commit(service, pre_commit_home, "run", "--all-files")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "app/routes.py:5:12 SSOT001" in out
    _fix(service)
    proc = _pre_commit(service, pre_commit_home, "run", "--all-files")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout


def test_readme_pinned_snippet_works(service, pre_commit_home, hook_repo, index_reachable):
    """The README's remote configuration, pinned at a commit SHA (no release tag exists), with
    its URL and SHA placeholders filled with the copy of this working tree."""
    (remote,) = [c for c in readme_pre_commit_configs() if "repo: local" not in c]
    assert "v0.1.0" not in remote and README_URL in remote and README_REV in remote, remote
    repo, sha = hook_repo
    (service / ".pre-commit-config.yaml").write_text(
        remote.replace(README_URL, repo.as_posix()).replace(README_REV, sha)
    )
    _git(service, "add", "-A")
    proc = _pre_commit(service, pre_commit_home, "run", "--all-files", timeout=BUILD_TIMEOUT)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1 and "app/routes.py:5:12 SSOT001" in out, out
